package main

import (
	"fmt"
	"io"

	"github.com/licd/licd/license"
)

func verify(args []string, stdout io.Writer) error {
	fs := newFlags("verify")
	var pubs listFlag
	fs.Var(&pubs, "pub", "vendor.pub to verify with (may be repeated)")
	files, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	switch {
	case len(pubs) == 0:
		return usagef("-pub is required: give the vendor.pub that `licgen keygen` wrote")
	case len(files) == 0:
		return usagef("give the license files to verify")
	}
	keys, err := license.ReadPublicKeys(pubs...)
	if err != nil {
		return err
	}
	good, bad := 0, 0
	for _, path := range files {
		f, err := license.ParseFile(path)
		if err != nil {
			fmt.Fprintf(stdout, "%s: ERROR: %v; check the path\n", path, err)
			bad++
			continue
		}
		for _, e := range f.Errors {
			fmt.Fprintf(stdout, "%s:%d: ERROR: %s; %s\n", e.File, e.Line, e.Msg, e.Hint)
			bad++
		}
		if len(f.Lines) == 0 && len(f.Errors) == 0 {
			fmt.Fprintf(stdout, "%s: no INCREMENT or FEATURE lines\n", path)
		}
		for _, l := range f.Lines {
			if err := license.VerifyLine(keys, l); err != nil {
				fmt.Fprintf(stdout, "BAD %v\n", err)
				bad++
				continue
			}
			fmt.Fprintf(stdout, "OK  %s:%d: %s %s %s\n", l.File, l.LineNo, l.Feature, l.Version, countText(l))
			good++
		}
	}
	fmt.Fprintf(stdout, "%d line(s) verified, %d problem(s)\n", good, bad)
	if bad > 0 {
		return errReported
	}
	return nil
}

func countText(l *license.Line) string {
	if l.Uncounted {
		return "uncounted"
	}
	return fmt.Sprintf("count %d", l.Count)
}
