package license

import (
	"fmt"
	"strconv"
	"strings"
)

// attrError is a problem with one attribute, by its index in Line.Attrs.
type attrError struct {
	index     int
	msg, hint string
}

// interpretAttrs fills the typed fields of l from l.Attrs (the "Citrix Attributes in
// INCREMENT Lines" table). Unknown attributes stay in Attrs only; they are never an error.
// It is used by the parser and by the code that builds lines, so both agree on meaning.
func interpretAttrs(l *Line) []attrError {
	var errs []attrError
	seen := map[string]bool{}
	for i, a := range l.Attrs {
		key := strings.ToUpper(a.Key)
		fail := func(hint, format string, args ...any) {
			errs = append(errs, attrError{index: i, msg: fmt.Sprintf(format, args...), hint: hint})
		}
		if knownAttr[key] {
			if seen[key] {
				fail("a line holds each attribute once; remove the repeated one or get a fresh file from the vendor", "%s appears twice on the line", key)
				continue
			}
			seen[key] = true
		}
		switch key {
		case "VENDOR_STRING":
			l.VendorString = ParseVendorString(a.Value)
		case "OVERDRAFT":
			n, err := strconv.Atoi(a.Value)
			if err != nil || n < 0 {
				fail("OVERDRAFT is a number of licenses (\"License overdraft\")", "OVERDRAFT=%q is not a number of licenses", a.Value)
			}
			l.Overdraft = n
		case "DUP_GROUP":
			l.DupGroup = a.Value
		case "ISSUED", "START":
			t, perm, err := ParseDate(a.Value)
			if err == nil && perm {
				err = fmt.Errorf("%q is not a calendar date", a.Value)
			}
			if err != nil {
				fail("write the date as dd-mmm-yyyy, e.g. 18-dec-2005", "%s: %v", key, err)
			}
			if key == "ISSUED" {
				l.Issued = t
			} else {
				l.Start = t
			}
		case "ISSUER":
			l.Issuer = a.Value
		case "NOTICE":
			l.Notice = a.Value
		case "SN":
			l.SN = a.Value
		case "HOSTID":
			l.HostID = a.Value
		case "SIGN":
			l.Sign = NormalizeSign(a.Value)
		case "SUPERSEDE":
			// "SUPERSEDE="MPS_ADV_CCU MPS_STD_CCU ..."": a bare SUPERSEDE names the line's own
			// feature (FLEXlm's meaning).
			l.Supersede = strings.Fields(a.Value)
			if len(l.Supersede) == 0 {
				l.Supersede = []string{l.Feature}
			}
		case "SUPERSEDE_SIGN":
			refs, err := parseSupersedeSign(a.Value)
			if err != nil {
				fail(`write SUPERSEDE_SIGN={"FEATURE:SIGN" ...}`, "SUPERSEDE_SIGN: %v", err)
			}
			l.SupersedeSign = refs
		}
	}
	return errs
}

// knownAttr are the attributes licd interprets; each may appear once on a line.
var knownAttr = map[string]bool{
	"VENDOR_STRING": true, "OVERDRAFT": true, "DUP_GROUP": true, "ISSUED": true, "START": true,
	"ISSUER": true, "NOTICE": true, "SN": true, "HOSTID": true, "SIGN": true, "SUPERSEDE": true,
	"SUPERSEDE_SIGN": true,
}

// parseSupersedeSign reads the inside of SUPERSEDE_SIGN={"F:SIGN" "G:SIGN"}: quoted entries,
// or one unquoted entry.
func parseSupersedeSign(v string) ([]SupersedeRef, error) {
	var entries []string
	if strings.Contains(v, `"`) {
		parts := strings.Split(v, `"`)
		if len(parts)%2 == 0 {
			return nil, fmt.Errorf("unbalanced quotes in %q", v)
		}
		for i, part := range parts {
			if i%2 == 1 {
				entries = append(entries, part)
			} else if strings.TrimSpace(part) != "" {
				return nil, fmt.Errorf("text %q outside the quoted entries", strings.TrimSpace(part))
			}
		}
	} else if strings.TrimSpace(v) != "" {
		entries = []string{v}
	}
	if len(entries) == 0 {
		return nil, fmt.Errorf("no entries")
	}
	refs := make([]SupersedeRef, 0, len(entries))
	for _, e := range entries {
		f, s, ok := strings.Cut(e, ":")
		f, s = strings.TrimSpace(f), strings.TrimSpace(s)
		if !ok || f == "" || s == "" {
			return nil, fmt.Errorf("entry %q is not FEATURE:SIGN", e)
		}
		refs = append(refs, SupersedeRef{Feature: f, Sign: NormalizeSign(s)})
	}
	return refs, nil
}

// NormalizeSign writes a signature the way licd compares and prints it: all blanks removed,
// upper case, in groups of four hex digits separated by single spaces ("SIGN="0885 F320 ...").
// A value that is not hexadecimal is only trimmed and collapsed, so that verification can say
// what is wrong with it.
func NormalizeSign(s string) string {
	compact := strings.ToUpper(strings.Join(strings.Fields(s), ""))
	if compact == "" {
		return ""
	}
	for i := 0; i < len(compact); i++ {
		c := compact[i]
		if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'F') {
			return collapseSpace(s)
		}
	}
	var b strings.Builder
	b.Grow(len(compact) + len(compact)/4)
	for i := 0; i < len(compact); i += 4 {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(compact[i:min(i+4, len(compact))])
	}
	return b.String()
}
