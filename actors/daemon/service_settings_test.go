package daemon

import (
	"testing"
)

// TestParseSettingsUpdate: a settings change is all valid or refused whole ("Server
// configuration"): unknown names, out-of-range ports, unknown enum values, non-objects and
// trailing data are refused with the setting named.
func TestParseSettingsUpdate(t *testing.T) {
	up, err := ParseSettingsUpdate([]byte(`{"lm_port": 27001, "burst_mode": false, "renewal_action": "auto", "proxy": "http://proxy.example.com:8080"}`))
	if err != nil {
		t.Fatal(err)
	}
	if up["lm_port"] != 27001 || up["burst_mode"] != false || up["renewal_action"] != "auto" {
		t.Fatalf("parsed %v", up)
	}
	for _, bad := range []string{
		``, `null`, `[]`, `{}`, `{"lm_port": 0}`, `{"lm_port": 70000}`, `{"lm_port": "27000"}`,
		`{"nope": 1}`, `{"renewal_action": "sometimes"}`, `{"proxy": "ftp://x"}`, `{"burst_mode": "yes"}`,
		`{"lm_port": 27001} {}`, `{"console_language": "xx"}`,
	} {
		if _, err := ParseSettingsUpdate([]byte(bad)); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// FuzzParseSettingsUpdate: whatever the body, the decoder answers an update of known,
// valid settings or an error, and never panics.
func FuzzParseSettingsUpdate(f *testing.F) {
	for _, s := range []string{`{"lm_port": 27001}`, `{"proxy": ""}`, `{"burst_mode": true}`, `{`, `null`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		up, err := ParseSettingsUpdate(body)
		if err != nil {
			return
		}
		for name := range up {
			if findSetting(name) == nil {
				t.Fatalf("unknown setting %q accepted", name)
			}
		}
	})
}
