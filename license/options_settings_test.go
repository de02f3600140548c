package license

import "testing"

func TestNormalizeUser(t *testing.T) {
	tests := []struct {
		settings, in, want string
	}{
		{"", "jack@mycompany.com", "jack"}, // truncation is the default
		{"UDUseDomain 0", "jack@newplace.com", "jack"},
		{"UDUseDomain 1", "jack@newplace.com", "jack@newplace.com"},
		{"", "jack", "jack"},
		{"", "@corp.example", "@corp.example"}, // all domain: kept, not an empty user
		{"", "a@b@c", "a@b"},                   // the domain follows the last @, as licensing cuts it (license.TrimUserDomain)
		{"", "Jack@Corp", "Jack"},              // no case change by default
		{"UDUserNameCase 0", "Jack", "Jack"},
		{"UDUserNameCase 1", "Jack@Corp", "jack"},
		{"UDUserNameCase 2", "Jack@Corp", "JACK"},
		{"UDUseDomain 1\nUDUserNameCase 1", "Jack@Corp.COM", "jack@corp.com"},
		{"UDDeviceNameCase 1", "Jack", "Jack"}, // device case does not touch users
	}
	for _, tt := range tests {
		o := parseOpts(t, tt.settings+"\n")
		mustClean(t, o)
		if got := o.NormalizeUser(tt.in); got != tt.want {
			t.Errorf("%q: NormalizeUser(%q) = %q, want %q", tt.settings, tt.in, got, tt.want)
		}
	}
	var none *Options
	if got := none.NormalizeUser("jack@corp"); got != "jack" {
		t.Errorf("nil options: %q, want the default truncation", got)
	}
}

func TestNormalizeDevice(t *testing.T) {
	tests := []struct {
		settings, in, want string
	}{
		{"", "PC-01@lab", "PC-01@lab"}, // devices have no domain to cut
		{"UDDeviceNameCase 1", "PC-01", "pc-01"},
		{"UDDeviceNameCase 2", "pc-01", "PC-01"},
		{"UDUserNameCase 2", "pc-01", "pc-01"},
	}
	for _, tt := range tests {
		o := parseOpts(t, tt.settings+"\n")
		if got := o.NormalizeDevice(tt.in); got != tt.want {
			t.Errorf("%q: NormalizeDevice(%q) = %q, want %q", tt.settings, tt.in, got, tt.want)
		}
	}
	var none *Options
	if got := none.NormalizeDevice("PC"); got != "PC" {
		t.Errorf("nil options: %q", got)
	}
}

func TestNoLogStatus(t *testing.T) {
	for text, want := range map[string]int{
		"":                    0,
		"NOLOG IN":            1,
		"NOLOG OUT":           2,
		"NOLOG IN\nNOLOG OUT": 3,
		"NOLOG DENIED":        0,
		"NOLOG IN OUT":        3,
	} {
		if got := parseOpts(t, text+"\n").NoLogStatus(); got != want {
			t.Errorf("%q: OptFileNoLogStatus %d, want %d", text, got, want)
		}
	}
	var none *Options
	if none.NoLogStatus() != 0 {
		t.Error("nil options")
	}
}

func TestOptionsSettingErrors(t *testing.T) {
	for _, line := range []string{"UDUseDomain", "UDUseDomain 2", "UDUserNameCase 3", "UDDeviceNameCase lower", "CEILOPTIN MAYBE", "CEIP", "CALLHOME sometimes", "GROUPCASEINSENSITIVE"} {
		o := parseOpts(t, line+"\n")
		if len(o.Errors) != 1 || o.Errors[0].Line != 1 || o.Errors[0].Hint == "" || o.CEIP != nil || o.CallHome != nil || o.UDUseDomain {
			t.Errorf("%q: errors %v", line, o.Errors)
		}
	}
}
