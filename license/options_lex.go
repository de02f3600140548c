package license

import (
	"bufio"
	"errors"
	"io"
	"strings"
)

// optLine is one logical line of an options file: physical lines joined where one ends in a
// backslash, numbered by the first of them so that an issue points where the line starts.
type optLine struct {
	text string
	line int
}

// readOptionLines splits r into logical lines. It drops a UTF-8 byte-order mark (Notepad
// writes one) and the '\r' of Windows line ends. A comment that ends in '\' continues too, so
// that putting '#' in front of a continued rule comments all of it out.
func readOptionLines(r io.Reader) ([]optLine, error) {
	br := bufio.NewReader(r)
	var (
		out     []optLine
		pending strings.Builder
		start   int
		n       int
	)
	for {
		s, err := br.ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, err
		}
		if s == "" && err != nil {
			break
		}
		n++
		if n == 1 {
			s = strings.TrimPrefix(s, "\uFEFF")
		}
		s = strings.TrimRight(s, "\r\n")
		if pending.Len() == 0 {
			start = n
		}
		trimmed := strings.TrimRight(s, " \t")
		if strings.HasSuffix(trimmed, `\`) {
			pending.WriteString(trimmed[:len(trimmed)-1])
			pending.WriteByte(' ')
		} else {
			pending.WriteString(s)
			out = append(out, optLine{text: pending.String(), line: start})
			pending.Reset()
		}
		if err != nil {
			break
		}
	}
	if pending.Len() > 0 { // the file ended on a continuation
		out = append(out, optLine{text: pending.String(), line: start})
	}
	return out, nil
}

// optionsFields splits a logical line into fields separated by blanks. A double-quoted run
// keeps its blanks and loses its quotes, also inside a field (f1:VENDOR_STRING="a b").
// ok is false when a quote is not closed.
func optionsFields(s string) (fields []string, ok bool) {
	var b strings.Builder
	in, inField := false, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"':
			in = !in
			inField = true
		case !in && (c == ' ' || c == '\t' || c == '\v' || c == '\f'):
			if inField {
				fields = append(fields, b.String())
				b.Reset()
				inField = false
			}
		default:
			b.WriteByte(c)
			inField = true
		}
	}
	if inField {
		fields = append(fields, b.String())
	}
	return fields, !in
}
