package bench

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCompareReadsEarlierJSONAndShowsChange(t *testing.T) {
	old := &Report{Results: []*Result{{Scenario: "ccu-churn", Phases: []Phase{{Name: "checkout+checkin", Primary: true, OpsPerSec: 20000,
		Latency: Latency{P50: 1, P99: 10}}}}}}
	b, err := json.Marshal(old)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "old.json")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	read, err := ReadReport(path)
	if err != nil {
		t.Fatal(err)
	}
	cur := &Report{Results: []*Result{{Scenario: "ccu-churn", Phases: []Phase{{Name: "checkout+checkin", Primary: true, OpsPerSec: 30000,
		Latency: Latency{P50: 0.5, P99: 20}}}}}}
	var out bytes.Buffer
	WriteComparison(&out, read, cur)
	for _, want := range []string{"+50.0% better", "-50.0% better", "+100.0% worse"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("comparison lacks %q:\n%s", want, out.String())
		}
	}

	if err := os.WriteFile(path, []byte("not json"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadReport(path); err == nil || !strings.Contains(err.Error(), "not a licbench --json result") {
		t.Errorf("a bad file gives %v", err)
	}
}
