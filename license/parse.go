package license

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Parse reads a FLEXlm-style license file ("License file format"). The error is only for I/O:
// syntax problems are returned in File.Errors with their line numbers, and every other line of
// the file still parses. name is used in messages and in Line.File.
func Parse(name string, r io.Reader) (*File, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("read license file %s: %w", name, err)
	}
	return parseBytes(name, data), nil
}

// ParseFile parses the license file at path. It reads only a regular file of at most
// MaxFileBytes, without blocking (ReadRegularFile).
func ParseFile(path string) (*File, error) {
	data, err := ReadRegularFile(path, MaxFileBytes)
	if err != nil {
		return nil, fmt.Errorf("read license file: %w", err)
	}
	return parseBytes(path, data), nil
}

func parseBytes(name string, data []byte) *File {
	p := &parser{f: &File{Path: name}}
	scanLines(data, p.logical, p.comment)
	return p.f
}

type parser struct {
	f *File
}

func (p *parser) errorf(line int, hint, format string, args ...any) {
	p.f.Errors = append(p.f.Errors, &Error{File: p.f.Path, Line: line, Msg: fmt.Sprintf(format, args...), Hint: hint})
}

// comment handles a comment line; "#CITRIXTERM FEATURE 2.0 <FEATURE> <LANG> <name>|<model>"
// becomes a FriendlyName, anything else is ignored.
func (p *parser) comment(line int, text string) {
	const prefix = "#CITRIXTERM"
	if !strings.HasPrefix(text, prefix) {
		return
	}
	rest := strings.TrimSpace(text[len(prefix):])
	var fields []string
	for len(fields) < 4 && rest != "" {
		f, r, _ := strings.Cut(rest, " ")
		fields = append(fields, f)
		rest = strings.TrimSpace(r)
	}
	if len(fields) < 4 || fields[0] != "FEATURE" || rest == "" {
		return // a comment after all: never an error
	}
	name, model, _ := strings.Cut(rest, "|")
	p.f.Friendly = append(p.f.Friendly, FriendlyName{
		Feature: fields[2], Lang: fields[3], Name: strings.TrimSpace(name), ModelText: strings.TrimSpace(model),
	})
}

func (p *parser) logical(ll *logicalLine) {
	toks, terr := tokenize(ll.text)
	if terr != nil {
		from, to := ll.lineAt(terr.off), ll.lineAt(terr.endOff)
		msg := terr.msg
		if to != from {
			msg = fmt.Sprintf("%s (opened on line %d, still open at the end of line %d)", msg, from, to)
		}
		if first := ll.firstLine(); first != from {
			msg = fmt.Sprintf("%s; the line that starts on line %d is ignored", msg, first)
		} else {
			msg += "; the line is ignored"
		}
		p.errorf(from, terr.hint, "%s", msg)
		return
	}
	if len(toks) == 0 {
		return
	}
	kw := toks[0]
	word := strings.ToUpper(kw.key)
	if kw.hasEq {
		word = ""
	}
	switch word {
	case "SERVER":
		p.server(ll, toks)
	case "VENDOR", "DAEMON":
		p.vendor(ll, toks)
	case "USE_SERVER":
		p.f.UseServer = true
	case "INCREMENT", "FEATURE":
		if l := p.increment(ll, word, toks); l != nil {
			p.f.Lines = append(p.f.Lines, l)
		}
	case "PACKAGE", "UPGRADE", "FEATURESET":
		p.errorf(ll.firstLine(), "licd serves SERVER, VENDOR, USE_SERVER, INCREMENT and FEATURE lines; ask the vendor for INCREMENT lines instead",
			"%s lines are not supported; the line is ignored", word)
	default:
		text := string(bytes.TrimSpace(ll.text))
		if len(text) > 40 {
			text = text[:40] + "..."
		}
		p.errorf(ll.firstLine(), "a line must start with SERVER, VENDOR, USE_SERVER, INCREMENT or FEATURE; if this text belongs to the line above, end that line with \\",
			"unknown line %q", text)
	}
}

func (p *parser) server(ll *logicalLine, toks []token) {
	if len(toks) < 3 || toks[1].hasEq {
		p.errorf(ll.firstLine(), "write SERVER this_host HOSTNAME=<host name> or SERVER this_host <MAC address>",
			"SERVER line has no binding identifier")
		return
	}
	s := ServerLine{LineNo: ll.firstLine(), Host: toks[1].key}
	id := toks[2]
	switch {
	case id.hasEq && strings.EqualFold(id.key, "HOSTNAME"):
		s.HostName = id.value
		s.HostID = "HOSTNAME=" + id.value
	case id.hasEq:
		s.HostID = id.key + "=" + id.value
	default:
		s.HostID = id.key
		if mac, ok := NormalizeMAC(id.key); ok {
			s.Ether = mac
		}
	}
	for _, t := range toks[3:] {
		switch {
		case !t.hasEq && allDigits(t.key) && s.Port == 0:
			s.Port = p.port(ll.lineAt(t.off), t.key)
		case t.hasEq && strings.EqualFold(t.key, "PORT"):
			s.Port = p.port(ll.lineAt(t.off), t.value)
		default:
			s.Attrs = append(s.Attrs, Attr{Key: t.key, Value: t.value})
		}
	}
	p.f.Servers = append(p.f.Servers, s)
}

func (p *parser) port(line int, s string) int {
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > 65535 {
		p.errorf(line, "use a TCP port between 1 and 65535 (27000 is the license manager's)", "port %q is not a TCP port number", s)
		return 0
	}
	return n
}

func (p *parser) vendor(ll *logicalLine, toks []token) {
	if len(toks) < 2 || toks[1].hasEq || toks[1].key == "" {
		p.errorf(ll.firstLine(), "write VENDOR CITRIX", "VENDOR line has no vendor daemon name")
		return
	}
	v := VendorLine{LineNo: ll.firstLine(), Name: toks[1].key}
	positional := 0
	for _, t := range toks[2:] {
		switch {
		case t.hasEq && strings.EqualFold(t.key, "PORT"):
			v.Port = p.port(ll.lineAt(t.off), t.value)
		case t.hasEq && strings.EqualFold(t.key, "OPTIONS"):
			v.Options = t.value
		case t.hasEq:
			// other vendors' keywords are not ours to judge
		case allDigits(t.key):
			v.Port = p.port(ll.lineAt(t.off), t.key)
		case positional == 0:
			v.Path, positional = t.key, 1
		default:
			v.Options = t.key
		}
	}
	p.f.Vendors = append(p.f.Vendors, v)
}

const incrementHint = "an INCREMENT line is: INCREMENT feature vendor CSS_date exp_date count SIGN=... [attributes]"

func (p *parser) increment(ll *logicalLine, keyword string, toks []token) *Line {
	first := ll.firstLine()
	l := &Line{File: p.f.Path, LineNo: first, EndLine: ll.lastLine(), Keyword: keyword}
	if len(toks) < 6 {
		p.errorf(first, incrementHint, "%s line has %d of its 5 required fields", keyword, len(toks)-1)
		return nil
	}
	names := [...]string{"feature", "vendor", "version", "expiry date", "license count"}
	for i, name := range names {
		if toks[i+1].hasEq {
			p.errorf(ll.lineAt(toks[i+1].off), incrementHint, "%s field of the %s line is the attribute %s=", name, keyword, toks[i+1].key)
			return nil
		}
	}
	ok := true
	bad := func(t token, hint, format string, args ...any) {
		p.errorf(ll.lineAt(t.off), hint, format, args...)
		ok = false
	}
	l.Feature, l.Vendor, l.Version = toks[1].key, toks[2].key, toks[3].key
	if !validName(l.Feature) {
		bad(toks[1], "feature names are letters, digits and _ (PRODUCT_EDITION_MODEL, e.g. XDT_PLT_UD)", "feature name %q is not valid", l.Feature)
	}
	if !validName(l.Vendor) {
		bad(toks[2], "the vendor is the vendor daemon name, CITRIX for Citrix licenses", "vendor name %q is not valid", l.Vendor)
	}
	if !validVersion(l.Version) {
		bad(toks[3], "the version is the CSS date YYYY.MMDD (e.g. 2022.1201), or a number such as 1.0 in other vendors' files", "version %q is not a version number", l.Version)
	} else if css, err := ParseCSSDate(l.Version); err == nil {
		l.CSS = css
	}
	var err error
	if l.Expiry, l.Permanent, err = ParseDate(toks[4].key); err != nil {
		bad(toks[4], "the expiry date is dd-mmm-yyyy (e.g. 07-may-2006) or permanent", "expiry date: %v", err)
	}
	if c := toks[5].key; strings.EqualFold(c, "uncounted") {
		l.Uncounted = true
	} else if n, err := strconv.Atoi(c); err != nil || n < 0 {
		bad(toks[5], "the count is a positive number of licenses, or uncounted", "license count %q is not a number of licenses", c)
	} else {
		// a count of 0 is FLEXlm's other spelling of uncounted
		l.Count, l.Uncounted = n, n == 0
	}
	for _, t := range toks[6:] {
		l.Attrs = append(l.Attrs, Attr{Key: t.key, Value: t.value})
	}
	for _, ae := range interpretAttrs(l) {
		bad(toks[6+ae.index], ae.hint, "%s", ae.msg)
	}
	if !ok {
		return nil
	}
	return l
}

func validName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

func validVersion(s string) bool {
	whole, frac, dot := strings.Cut(s, ".")
	return allDigits(whole) && (!dot || allDigits(frac))
}
