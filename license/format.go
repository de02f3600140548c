package license

import (
	"strings"
)

// formatWidth is where FormatLine wraps; continuation lines start with a tab.
const formatWidth = 78

// FormatLine writes a line back as license-file text: the keyword and its five fields, then
// the attributes in order, SIGN= carrying l.Sign (appended at the end when the line had no
// SIGN attribute, left out when l.Sign is empty). Long lines wrap with " \" and a tab, also
// inside quoted values, which does not change the signature (see CanonicalForm). The text has
// no trailing newline.
func FormatLine(l *Line) string {
	var words []string
	add := func(tok string) {
		// a quoted value may break at its spaces; the parser joins it again
		words = append(words, strings.Split(tok, " ")...)
	}
	words = append(words, strings.ToUpper(l.Keyword), l.Feature, l.Vendor, l.Version,
		formatExpiry(l.Expiry, l.Permanent), formatCount(l))
	signed := false
	for _, a := range l.Attrs {
		if equalFoldASCII(a.Key, "SIGN") {
			if signed || l.Sign == "" {
				continue
			}
			signed = true
			add(formatAttr(Attr{Key: a.Key, Value: l.Sign}))
			continue
		}
		add(formatAttr(a))
	}
	if !signed && l.Sign != "" {
		add(formatAttr(Attr{Key: "SIGN", Value: l.Sign}))
	}
	var b strings.Builder
	col := 0
	for i, w := range words {
		switch {
		case i == 0:
		case col+1+len(w) > formatWidth-2 && i >= 6:
			b.WriteString(" \\\n\t")
			col = 8
		default:
			b.WriteByte(' ')
			col++
		}
		b.WriteString(w)
		col += len(w)
	}
	return b.String()
}

// formatAttr writes KEY=value, quoting what the parser would otherwise read differently. A
// value holding quotes can only have come from a {...} value and is written in braces.
func formatAttr(a Attr) string {
	key := collapseSpace(a.Key)
	if needsQuote(key) || strings.IndexByte(key, '=') >= 0 {
		key = `"` + key + `"`
	}
	v := collapseSpace(a.Value)
	switch {
	case v == "":
		return key
	case strings.IndexByte(v, '"') >= 0:
		return key + "={" + v + "}"
	case needsQuote(v):
		return key + `="` + v + `"`
	default:
		return key + "=" + v
	}
}

func needsQuote(s string) bool {
	return s == "" || strings.ContainsAny(s, " \t\"#") || s[0] == '{' || s[len(s)-1] == '\\'
}
