package main

import (
	"bytes"
	"crypto/ed25519"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/licd/licd/license"
)

func sign(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("sign")
	keyPath := fs.String("key", "", "vendor.key to sign with")
	out := fs.String("o", "", "write to this file instead of standard output")
	files, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	switch {
	case *keyPath == "":
		return usagef("-key is required: give the vendor.key that `licgen keygen` wrote")
	case len(files) != 1:
		return usagef("give exactly one template file to sign (got %d)", len(files))
	}
	priv, err := license.ReadPrivateKey(*keyPath)
	if err != nil {
		return err
	}
	data, err := os.ReadFile(files[0])
	if err != nil {
		return fmt.Errorf("read template: %w", err)
	}
	f, err := license.Parse(files[0], bytes.NewReader(data))
	if err != nil {
		return err
	}
	if len(f.Errors) > 0 {
		for _, e := range f.Errors {
			fmt.Fprintf(stderr, "%v\n", e)
		}
		fmt.Fprintf(stderr, "licgen sign: %s not signed: fix the %d error(s) above first\n", files[0], len(f.Errors))
		return errReported
	}
	if len(f.Lines) == 0 {
		return fmt.Errorf("%s has no INCREMENT or FEATURE line to sign", files[0])
	}
	if len(f.Servers) == 0 {
		fmt.Fprintf(stderr, "licgen sign: warning: %s has no SERVER line; licd rejects files that are not bound to its host (add SERVER this_host HOSTNAME=<name>)\n", files[0])
	}
	return output(*out, signText(string(data), f.Lines, priv), stdout)
}

// signText replaces each license line of text (by its physical line range) with the signed,
// formatted line and keeps every other physical line as it was. Comments at the end of a
// license line are not kept.
func signText(text string, lines []*license.Line, priv ed25519.PrivateKey) string {
	phys := strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n")
	if len(phys) > 0 && phys[len(phys)-1] == "" {
		phys = phys[:len(phys)-1]
	}
	var b strings.Builder
	next := 0 // index into lines
	for i := 0; i < len(phys); i++ {
		lineNo := i + 1
		if next < len(lines) && lines[next].LineNo == lineNo {
			l := lines[next]
			l.Sign = license.SignLine(priv, l)
			b.WriteString(license.FormatLine(l) + "\n")
			i = l.EndLine - 1
			next++
			continue
		}
		b.WriteString(phys[i] + "\n")
	}
	return b.String()
}
