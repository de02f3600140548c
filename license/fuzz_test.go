package license

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse: any input parses without panicking, errors carry real line numbers, and every
// parsed line written back with FormatLine parses to the same signed content (so licgen's
// output always verifies the way it was signed).
func FuzzParse(f *testing.F) {
	for _, pattern := range []string{"testdata/manual/*.lic", "testdata/flexlm/*.lic"} {
		files, _ := filepath.Glob(pattern)
		for _, p := range files {
			b, err := os.ReadFile(p)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b)
		}
	}
	f.Add([]byte("INCREMENT A_B_UD CITRIX 2022.1201 permanent 1 K=\"a \\\n b\" {x} SUPERSEDE_SIGN={\"A_B_UD:00\"} #c\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		file := parseBytes("fuzz.lic", data)
		physical := bytes.Count(data, []byte("\n")) + 1
		for _, e := range file.Errors {
			if e.Line < 1 || e.Line > physical || e.Msg == "" {
				t.Fatalf("error with a bad place or no message: %+v", e)
			}
		}
		for _, l := range file.Lines {
			if l.LineNo < 1 || l.EndLine < l.LineNo || l.EndLine > physical {
				t.Fatalf("line %s spans %d-%d of %d", l.Feature, l.LineNo, l.EndLine, physical)
			}
			text := FormatLine(l)
			again := parseBytes("again.lic", []byte(text))
			if len(again.Errors) > 0 || len(again.Lines) != 1 {
				t.Fatalf("FormatLine output does not parse back: %v\n%s", again.Errors, text)
			}
			if !bytes.Equal(CanonicalForm(again.Lines[0]), CanonicalForm(l)) || again.Lines[0].Sign != l.Sign {
				t.Fatalf("FormatLine changed the signed content:\n%q\n%q\n%s", CanonicalForm(l), CanonicalForm(again.Lines[0]), text)
			}
		}
	})
}
