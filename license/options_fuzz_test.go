package license

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzParseOptions: whatever the file holds, parsing and gating do not panic, every issue
// points at a line of the file, and every loaded rule's group exists.
func FuzzParseOptions(f *testing.F) {
	seeds, err := filepath.Glob(filepath.Join("testdata", "options", "*.opt"))
	if err != nil || len(seeds) == 0 {
		f.Fatalf("no seed corpus in testdata/options: %v", err)
	}
	for _, s := range seeds {
		b, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(b))
	}
	f.Add("GROUPCASEINSENSITIVE ON\nGROUP g \"A b\" \xff\nMAX 1 f GROUP G\nRESERVE 1 f USER ALL_USERS\n")
	f.Fuzz(func(t *testing.T, text string) {
		o, err := ParseOptions("fuzz.opt", strings.NewReader(text))
		if err != nil {
			t.Fatalf("ParseOptions failed on an in-memory reader: %v", err)
		}
		lines := strings.Count(text, "\n") + 1
		for _, i := range append(o.Errors, o.Warnings...) {
			if i.Line < 1 || i.Line > lines || i.File != "fuzz.opt" || i.Msg == "" {
				t.Fatalf("issue %+v outside the file's %d lines", i, lines)
			}
		}
		features := map[string]bool{"": true}
		for _, r := range o.Rules {
			features[r.Feature] = true
			switch r.Type {
			case OptGroup:
				if _, ok := o.Groups[r.Name]; !ok {
					t.Fatalf("rule %+v names an undefined group", r)
				}
			case OptHostGroup:
				if _, ok := o.HostGroups[r.Name]; !ok {
					t.Fatalf("rule %+v names an undefined host group", r)
				}
			}
		}
		names := []string{"", "a", "A", "bob", "\xff"}
		for feature := range features {
			g := o.Gate(feature)
			for i, u := range names {
				h := names[(i+1)%len(names)]
				g.Took(u, h, u, i)
				_ = g.Admit(u, h, u, i, 1)
				g.Returned(u, h, u, i)
			}
		}
		o.NormalizeUser(text)
		o.NormalizeDevice(text)
	})
}
