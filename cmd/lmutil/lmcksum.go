package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/licd/licd/license"
	"github.com/licd/licd/wire"
)

// codeBadChecksum is FLEXlm's -8, "Invalid (inconsistent) license key": a line whose ck=
// does not match its content.
const codeBadChecksum = wire.CodeBadChecksum

// runLmcksum prints a checksum per license line, the way tools that audit license files
// compare a line typed or copied by hand with the original: ck=NNN, the sum of the bytes
// the line's signature covers (license.CanonicalForm) modulo 256. Layout, wrapping and
// comments do not change it; any change to a value does (or is caught by the signature).
func runLmcksum(e *env, args []string) int {
	o, err := e.parse(nil, args)
	if err != nil {
		return e.usageError(err)
	}
	if o.help() {
		return e.printHelp()
	}
	if len(o.args) > 1 {
		return e.usageError(fmt.Errorf("lmcksum: give at most one feature, not %q", strings.Join(o.args, " ")))
	}
	feature := ""
	if len(o.args) == 1 {
		feature = o.args[0]
	}
	files, err := e.licenseFiles(o)
	if err != nil {
		return e.fail(err)
	}
	fmt.Fprintln(e.stdout, banner("lmcksum"))
	exit := 0
	for _, path := range files {
		f, err := license.ParseFile(path)
		if err != nil {
			exit = e.fail(&wire.Error{Code: codeNoLicenseFile, Detail: err.Error()})
			continue
		}
		fmt.Fprintf(e.stdout, "lmcksum: using license file %q\n", path)
		for _, l := range f.Lines {
			if feature != "" && l.Feature != feature {
				continue
			}
			ck := lineChecksum(l)
			// FLEXlm echoes the line's fields before its checksum ("INCREMENT name vendor
			// version expiry count"): dashboards read the expiry dates from it.
			fmt.Fprintf(e.stdout, "%6d: %s %s %s %s %s %s ck=%d", l.LineNo, l.Keyword, l.Feature, l.Vendor, l.Version, lineExpiry(l), lineCount(l), ck)
			if written, ok := l.Attr("ck"); ok {
				if written == strconv.Itoa(ck) {
					fmt.Fprint(e.stdout, " OK")
				} else {
					fmt.Fprintf(e.stdout, " BAD: the line says ck=%s; it was changed since it was issued", written)
					exit = codeBadChecksum.ExitStatus()
				}
			}
			fmt.Fprintln(e.stdout)
		}
		for _, pe := range f.Errors {
			fmt.Fprintf(e.stdout, "%6d: not a valid license line: %s\n", pe.Line, pe.Msg)
		}
	}
	return exit
}

// lineChecksum is ck= of a line: the bytes its signature covers, summed modulo 256, without
// a ck= attribute (a line can carry its own checksum).
func lineChecksum(l *license.Line) int {
	c := *l
	c.Attrs = nil
	for _, a := range l.Attrs {
		if !strings.EqualFold(a.Key, "ck") {
			c.Attrs = append(c.Attrs, a)
		}
	}
	sum := 0
	for _, b := range license.CanonicalForm(&c) {
		sum += int(b)
	}
	return sum % 256
}

// licenseFiles are the files -c names, or the files a server serves (read here, so on the
// server's machine).
func (e *env) licenseFiles(o *options) ([]string, error) {
	targets, err := e.targets(o)
	if err != nil {
		return nil, err
	}
	var files []string
	for _, t := range targets {
		if len(t.Files) > 0 {
			files = append(files, t.Files...)
			continue
		}
		timeout, err := timeoutOption(o)
		if err != nil {
			return nil, err
		}
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		c, err := dial(ctx, t, timeout)
		cancel()
		if err != nil {
			return nil, err
		}
		st, err := c.status("", false)
		c.Close()
		if err != nil {
			return nil, err
		}
		files = append(files, st.Files...)
	}
	if len(files) == 0 {
		return nil, &wire.Error{Code: codeNoLicenseFile, Detail: "the server serves no license files"}
	}
	return files, nil
}

// lineExpiry is the expiry field as license files write it: "permanent" or "01-jan-2039".
func lineExpiry(l *license.Line) string {
	if l.Permanent || l.Expiry.IsZero() {
		return "permanent"
	}
	return strings.ToLower(l.Expiry.Format("02-Jan-2006"))
}

// lineCount is the count field: the number, or "uncounted".
func lineCount(l *license.Line) string {
	if l.Uncounted {
		return "uncounted"
	}
	return strconv.Itoa(l.Count)
}
