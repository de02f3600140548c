package metrics

import (
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
)

// exprs returns every "expr" and variable "query"/"definition" string of a Grafana dashboard.
func exprs(v any, out *[]string) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if s, ok := e.(string); ok && (k == "expr" || k == "definition" || k == "query") {
				*out = append(*out, s)
				continue
			}
			exprs(e, out)
		}
	case []any:
		for _, e := range x {
			exprs(e, out)
		}
	}
}

var metricRef = regexp.MustCompile(`\b(?:licd|go|process)_[a-zA-Z0-9_]+`)

// The Grafana dashboard in the repository is built on the names licd exports: every metric
// its queries reference is one a real scrape has (or one of the collector's own, which
// appear once something counted), and every panel queries something.
func TestGrafanaDashboardUsesExportedMetrics(t *testing.T) {
	b, err := os.ReadFile("grafana/licd.json")
	if err != nil {
		t.Fatal(err)
	}
	var dash map[string]any
	if err := json.Unmarshal(b, &dash); err != nil {
		t.Fatalf("grafana/licd.json is not JSON: %v", err)
	}
	if dash["uid"] == "" || dash["title"] == "" {
		t.Fatal("the dashboard has no uid or title")
	}
	panels, _ := dash["panels"].([]any)
	if len(panels) == 0 {
		t.Fatal("the dashboard has no panels")
	}
	for _, p := range panels {
		pm := p.(map[string]any)
		if pm["type"] == "row" {
			continue
		}
		var qs []string
		exprs(pm["targets"], &qs)
		if len(qs) == 0 {
			t.Errorf("panel %q queries nothing", pm["title"])
		}
	}

	exported := map[string]dto.MetricType{}
	for name, f := range scrape(t, Handler(startDaemon(t))) {
		exported[name] = f.GetType()
	}
	for _, n := range Names() {
		if _, ok := exported[n]; !ok {
			exported[n] = dto.MetricType_UNTYPED // described, appears once counted (denials, ...)
		}
	}
	var all []string
	exprs(dash, &all)
	seen := map[string]bool{}
	for _, q := range all {
		for _, ref := range metricRef.FindAllString(q, -1) {
			seen[ref] = true
			if _, ok := exported[ref]; ok {
				continue
			}
			base := ref
			for _, suf := range []string{"_bucket", "_sum", "_count"} {
				base = strings.TrimSuffix(base, suf)
			}
			if exported[base] == dto.MetricType_HISTOGRAM && base != ref {
				continue
			}
			t.Errorf("the dashboard queries %s, which licd does not export (query: %s)", ref, q)
		}
	}
	if len(seen) < 10 {
		t.Fatalf("the dashboard references only %d metrics: %v", len(seen), seen)
	}
}
