package userdevice

import (
	"errors"
	"strings"
	"testing"
)

func TestNormalizeUser(t *testing.T) {
	def := DefaultConfig()
	withDomain := DefaultConfig()
	withDomain.UseDomain = true
	lower := DefaultConfig()
	lower.UserCase = CaseLower
	upper := DefaultConfig()
	upper.UserCase = CaseUpper
	cases := []struct {
		name string
		cfg  Config
		in   string
		want string
	}{
		// "User/device license": abc@eng.com and abc@citrite.com are the same user.
		{"domain truncated", def, "abc@eng.com", "abc"},
		{"other domain same user", def, "abc@citrite.com", "abc"},
		// "Disable the domain name truncation" (UDUseDomain = 1).
		{"domain kept", withDomain, "jack@mycompany.com", "jack@mycompany.com"},
		// "Fixed issues", LIC-3506: a space in the user name checks out.
		{"space kept", def, "John Smith", "John Smith"},
		{"space and domain", def, "John Smith@corp.example", "John Smith"},
		{"unchanged case", def, "Alice", "Alice"},
		{"lower", lower, "Alice", "alice"},
		{"upper", upper, "Alice", "ALICE"},
		{"unicode", lower, "ÉLODIE", "élodie"},
	}
	for _, c := range cases {
		got, err := c.cfg.NormalizeUser(c.in)
		if err != nil || got != c.want {
			t.Errorf("%s: NormalizeUser(%q) = %q, %v; want %q", c.name, c.in, got, err, c.want)
		}
	}
}

func TestNormalizeDevice(t *testing.T) {
	cfg := DefaultConfig()
	if got, _ := cfg.NormalizeDevice("kiosk@lobby"); got != "kiosk@lobby" {
		t.Errorf("device names are not domain-truncated: got %q", got)
	}
	cfg.DeviceCase = CaseUpper
	if got, _ := cfg.NormalizeDevice("dn01.88"); got != "DN01.88" {
		t.Errorf("DeviceCase upper: got %q, want DN01.88", got)
	}
}

func TestBadNames(t *testing.T) {
	cfg := DefaultConfig()
	cfg.MaxNameBytes = 8
	cases := map[string]string{
		"":          "is empty",
		"   ":       "is empty",
		"@eng.com":  "is empty once the @domain part is dropped",
		"123456789": "more than the limit of 8",
		"ab\xffcd":  "not valid UTF-8",
		"a\nb":      "control character",
	}
	for in, reason := range cases {
		_, err := cfg.NormalizeUser(in)
		var ne *NameError
		if !errors.As(err, &ne) || !errors.Is(err, ErrBadName) {
			t.Errorf("NormalizeUser(%q): err %v, want a *NameError", in, err)
			continue
		}
		if !strings.Contains(err.Error(), reason) || ne.Role != "user" {
			t.Errorf("NormalizeUser(%q): %q, want role user and %q", in, err, reason)
		}
	}
	if _, err := cfg.NormalizeUser("12345678"); err != nil {
		t.Errorf("a name of exactly MaxNameBytes is valid: %v", err)
	}
	if _, err := cfg.NormalizeDevice(""); !errors.Is(err, ErrBadName) || !strings.Contains(err.Error(), "device name") {
		t.Errorf("empty device: %v, want a device name error", err)
	}
}

// Connect applies the configuration: users in two domains share a license, a bad name is
// refused with the distinct name error, not the licensed-number one.
func TestConnectNames(t *testing.T) {
	f := newUD(t, 10, 0)
	mustConnect(t, f, "abc@eng.com", "pc1", t0)
	d := mustConnect(t, f, "abc@citrite.com", "pc2", t0)
	if d.NewLicense || d.Name != "abc" {
		t.Fatalf("abc in a second domain: %+v, want the license of abc", d)
	}
	d = mustConnect(t, f, "Mary Ann", "pc 3", t0)
	if !d.NewLicense || d.Name != "Mary Ann" || d.Edge.Device != "pc 3" {
		t.Fatalf("names with spaces: %+v", d)
	}
	if _, err := f.Connect("bob", "", t0); !errors.Is(err, ErrBadName) || errors.Is(err, ErrLicensedNumberReached) {
		t.Fatalf("empty device: %v, want only ErrBadName", err)
	}
	cfg := DefaultConfig()
	cfg.UseDomain = true
	g := NewFeature("F", ModelUserDevice, 10, 0, cfg)
	mustConnect(t, g, "jack@mycompany.com", "pc1", t0)
	if d := mustConnect(t, g, "jack@newplace.com", "pc2", t0); !d.NewLicense {
		t.Fatalf("UseDomain: jack in another domain is another user, got %+v", d)
	}
}
