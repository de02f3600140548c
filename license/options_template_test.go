package license

import (
	"strings"
	"testing"
)

// The template names every keyword licd acts on, parses to the defaults as shipped, and each
// of its examples, uncommented, is a line licd accepts (no error; warnings only where the
// manual's feature is not applied yet).
func TestOptionsTemplate(t *testing.T) {
	o, err := ParseOptions("CITRIX.opt", strings.NewReader(OptionsTemplate))
	if err != nil || len(o.Errors) > 0 || len(o.Warnings) > 0 {
		t.Fatalf("the template as shipped: %v %v %v", err, o.Errors, o.Warnings)
	}
	var examples []string
	for _, l := range strings.Split(OptionsTemplate, "\n") {
		body, ok := strings.CutPrefix(l, "# ")
		if !ok || body == "" || !isKeywordLine(body) {
			continue
		}
		examples = append(examples, body)
	}
	for _, kw := range OptionsKeywords {
		found := false
		for _, e := range examples {
			found = found || strings.EqualFold(strings.Fields(e)[0], kw)
		}
		if !found {
			t.Errorf("the template has no example of %s", kw)
		}
	}
	all, err := ParseOptions("CITRIX.opt", strings.NewReader(strings.Join(examples, "\n")+"\n"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range all.Errors {
		t.Errorf("an example is refused: %+v", e)
	}
}

func isKeywordLine(s string) bool {
	f := strings.Fields(s)
	if len(f) < 2 {
		return false
	}
	for _, kw := range OptionsKeywords {
		if strings.EqualFold(f[0], kw) {
			return true
		}
	}
	return false
}
