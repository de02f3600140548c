package license

import (
	"bytes"
	"strings"
)

// The scanner turns physical lines into logical lines ("INCREMENT lines use a backslash (\)
// to wrap long lines of text") and the tokenizer splits a logical line into fields.
//
// Rules, in the order they apply to each physical line:
//   - a UTF-8 byte order mark at the start of the file is skipped; "\r\n" ends a line like "\n";
//   - outside a logical line, a blank line is skipped and a line whose first non-blank
//     character is "#" is a comment (#CITRIXTERM comments carry friendly names);
//   - "#" at the start of a field, outside quotes, starts a trailing comment that runs to the
//     end of the physical line (files of other vendors write "SIGN=... # comment");
//   - a line whose text, after removing a trailing comment and trailing blanks, ends in "\"
//     continues on the next line, also inside a quoted string (NOTICE="Citrix \ Systems Inc.");
//     the backslash and line break become one space;
//   - a blank or comment line ends a continued line early: the next line starts afresh, which
//     keeps one broken line from swallowing the rest of the file.

// logicalLine is one joined line with a map back to physical line numbers.
type logicalLine struct {
	text   []byte
	starts []segment // where each physical line's text begins in text
}

type segment struct{ off, line int }

func (ll *logicalLine) firstLine() int { return ll.starts[0].line }
func (ll *logicalLine) lastLine() int  { return ll.starts[len(ll.starts)-1].line }

// lineAt returns the physical line of a byte offset in text.
func (ll *logicalLine) lineAt(off int) int {
	line := ll.starts[0].line
	for _, s := range ll.starts {
		if s.off > off {
			break
		}
		line = s.line
	}
	return line
}

// scanLines calls logical for each logical line and comment for each comment line.
func scanLines(data []byte, logical func(*logicalLine), comment func(line int, text string)) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	var cur *logicalLine
	cont := false
	finish := func() {
		if cur != nil {
			logical(cur)
		}
		cur, cont = nil, false
	}
	lineNo := 0
	for len(data) > 0 {
		lineNo++
		var phys []byte
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			phys, data = data[:i], data[i+1:]
		} else {
			phys, data = data, nil
		}
		phys = bytes.TrimSuffix(phys, []byte("\r"))
		trimmed := bytes.TrimSpace(phys)
		if len(trimmed) == 0 {
			finish()
			continue
		}
		if trimmed[0] == '#' && !(cont && quoteOpen(cur.text)) {
			finish()
			comment(lineNo, string(trimmed))
			continue
		}
		content, more := stripLineEnd(phys, cont && quoteOpen(cur.text))
		if cur == nil {
			cur = &logicalLine{}
		} else {
			cur.text = append(cur.text, ' ')
		}
		cur.starts = append(cur.starts, segment{off: len(cur.text), line: lineNo})
		cur.text = append(cur.text, content...)
		cont = more
		if !cont {
			finish()
		}
	}
	finish()
}

// stripLineEnd removes a trailing comment and a continuation backslash from one physical
// line. inQuote says whether the line starts inside a quoted string.
func stripLineEnd(phys []byte, inQuote bool) (content []byte, continued bool) {
	end := len(phys)
	for i := 0; i < len(phys); i++ {
		c := phys[i]
		if c == '"' {
			inQuote = !inQuote
			continue
		}
		if c == '#' && !inQuote && (i == 0 || phys[i-1] == ' ' || phys[i-1] == '\t') {
			end = i
			break
		}
	}
	content = bytes.TrimRight(phys[:end], " \t")
	if n := len(content); n > 0 && content[n-1] == '\\' {
		return content[:n-1], true
	}
	return content, false
}

// quoteOpen reports whether text ends inside a quoted string.
func quoteOpen(text []byte) bool {
	return bytes.Count(text, []byte{'"'})%2 == 1
}

// token is one whitespace-separated field of a logical line: a bare word (Key) or KEY=value.
type token struct {
	key, value string
	hasEq      bool
	off        int // offset of the token in the logical line
}

// tokenError is a tokenizer problem at an offset of the logical line.
type tokenError struct {
	off, endOff int
	msg, hint   string
}

// tokenize splits a logical line. Quotes may appear anywhere in a field and are removed;
// whitespace inside them is collapsed to single spaces and trimmed. A value that starts with
// "{" runs to the matching "}" (SUPERSEDE_SIGN={"FEATURE:SIGN" ...}) and keeps its quotes.
func tokenize(s []byte) ([]token, *tokenError) {
	var toks []token
	i := 0
	for {
		for i < len(s) && isBlank(s[i]) {
			i++
		}
		if i >= len(s) {
			return toks, nil
		}
		t := token{off: i}
		var b strings.Builder
		quoted := false
		inQuote := false
		quoteAt := 0
		for i < len(s) {
			c := s[i]
			if inQuote {
				if c == '"' {
					inQuote = false
				} else {
					b.WriteByte(c)
				}
				i++
				continue
			}
			if isBlank(c) {
				break
			}
			if c == '"' {
				inQuote, quoted, quoteAt = true, true, i
				i++
				continue
			}
			if c == '=' && !t.hasEq {
				t.hasEq = true
				t.key = b.String()
				b.Reset()
				i++
				if i < len(s) && s[i] == '{' {
					v, next, err := braceValue(s, i)
					if err != nil {
						return nil, err
					}
					b.WriteString(v)
					quoted = true
					i = next
					if i < len(s) && !isBlank(s[i]) {
						return nil, &tokenError{off: i, endOff: i, msg: "unexpected text after the closing }", hint: "separate attributes with a space"}
					}
					break
				}
				continue
			}
			b.WriteByte(c)
			i++
		}
		if inQuote {
			return nil, &tokenError{off: quoteAt, endOff: len(s), msg: "a quoted value is not closed", hint: `close it with " or, if it continues on the next line, end the line with \`}
		}
		v := b.String()
		if quoted {
			v = collapseSpace(v)
		}
		if t.hasEq {
			t.value = v
			t.key = collapseSpace(t.key)
		} else {
			t.key = v
		}
		toks = append(toks, t)
	}
}

// braceValue reads "{...}" starting at s[i] == '{' and returns the inside, collapsed.
func braceValue(s []byte, i int) (string, int, *tokenError) {
	start := i
	inQuote := false
	for j := i + 1; j < len(s); j++ {
		switch s[j] {
		case '"':
			inQuote = !inQuote
		case '}':
			if !inQuote {
				return collapseSpace(string(s[i+1 : j])), j + 1, nil
			}
		}
	}
	return "", 0, &tokenError{off: start, endOff: len(s), msg: "a { value is not closed by }", hint: `write it as {"FEATURE:SIGN" ...} and end continued lines with \`}
}

func isBlank(c byte) bool {
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f'
}

// collapseSpace trims s and replaces every run of blanks by one space.
func collapseSpace(s string) string {
	clean := true
	for i := 0; i < len(s); i++ {
		if isBlank(s[i]) && (s[i] != ' ' || i == 0 || i == len(s)-1 || s[i+1] == ' ') {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool { return r < 0x80 && isBlank(byte(r)) }), " ")
}
