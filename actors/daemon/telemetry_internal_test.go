package daemon

import "testing"

func TestAlertFeature(t *testing.T) {
	for _, c := range []struct{ subject, feature, css string }{
		{"XDT_PLT_CCS (pool XDT_PLT_CCS/2027.0301/3c5d3662)", "XDT_PLT_CCS", "2027.0301"},
		{"demo.lic:3 XDT_PLT_UD", "XDT_PLT_UD", ""},
		{"XDT_PLT_UD", "XDT_PLT_UD", ""},
	} {
		if f, css := alertFeature(c.subject); f != c.feature || css != c.css {
			t.Errorf("%q: %q %q, want %q %q", c.subject, f, css, c.feature, c.css)
		}
	}
}
