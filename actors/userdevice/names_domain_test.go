package userdevice

import (
	"testing"

	"github.com/licd/licd/license"
)

// Licensing and the options file cut "@domain" at the same '@' (the last), so that an
// options-file rule (INCLUDE, EXCLUDE, MAX, RESERVE for USER a@b) names the user the server
// counts; they cut at different ones before.
func TestLicensingAndOptionsTrimTheSameDomain(t *testing.T) {
	var opts *license.Options // the defaults: domains truncated
	cfg := DefaultConfig()
	for _, name := range []string{"jack@eng.com", "a@b@corp.com", "plain", "x@", "John Smith@corp"} {
		got, err := cfg.NormalizeUser(name)
		if err != nil {
			t.Fatalf("%q: %v", name, err)
		}
		if want := opts.NormalizeUser(name); fold(want, cfg.UserCase) != got {
			t.Errorf("%q: licensed as %q, the options file's rules name %q", name, got, want)
		}
	}
	if got, _ := cfg.NormalizeUser("a@b@corp.com"); got != "a@b" {
		t.Errorf("a@b@corp.com is licensed as %q, want a@b (the domain follows the last @)", got)
	}
	if _, err := cfg.NormalizeUser("@corp.com"); err == nil {
		t.Error("a user that is all domain was licensed")
	}
}
