package license

import (
	"crypto/ed25519"
	"strings"
	"testing"
)

func TestStartupLicenseFile(t *testing.T) {
	pub, priv := testKey(1)
	text, err := StartupLicenseFile("licsrv", priv)
	if err != nil {
		t.Fatal(err)
	}
	f := mustParse(t, text)
	if len(f.Errors) > 0 || len(f.Lines) != 2 || !f.UseServer {
		t.Fatalf("parse: %d lines, errors %v\n%s", len(f.Lines), f.Errors, text)
	}
	if len(f.Servers) != 1 || f.Servers[0].Host != "this_host" || f.Servers[0].HostName != "licsrv" {
		t.Errorf("servers: %+v", f.Servers)
	}
	if len(f.Vendors) != 1 || f.Vendors[0].Name != "CITRIX" {
		t.Errorf("vendors: %+v", f.Vendors)
	}
	// lmstat: "CITRIX" v2038.0101, vendor: CITRIX, expiry: permanent ... vendor_string: ;LT=SYS;GP=720;SA=0
	for i, feature := range []string{"CITRIX", "CTXLSDIAG"} {
		l := f.Lines[i]
		if l.Feature != feature || l.Version != "2038.0101" || !l.Permanent || l.Count != 10000 ||
			l.VendorString.Raw != ";LT=SYS;GP=720;SA=0" || l.Overdraft != 0 || l.Vendor != "CITRIX" {
			t.Errorf("line %d: %+v", i, l)
		}
		if err := VerifyLine([]ed25519.PublicKey{pub}, l); err != nil {
			t.Errorf("line %d: %v", i, err)
		}
	}
	names := map[string]string{}
	for _, fn := range f.Friendly {
		names[fn.Feature] = fn.Name + "|" + fn.ModelText
	}
	if names["CITRIX"] != "Citrix Start-up License|Server" || names["CTXLSDIAG"] != "Citrix License Server Diagnostics License|Server" {
		t.Errorf("friendly names: %v", names)
	}
	again, _ := StartupLicenseFile("licsrv", priv)
	if again != text {
		t.Error("the start-up license file is not deterministic")
	}
}

func TestIssueFileOverdraftDefaults(t *testing.T) {
	_, priv := testKey(1)
	tests := []struct {
		feature   string
		count     int
		overdraft int
		want      int
	}{
		// "License overdraft": "an additional 10% of extra licenses" for user/device, user, device
		{"XDT_PLT_UD", 1000, -1, 100},
		{"XDT_PLT_UD", 25, -1, 3}, // rounded up
		{"XDT_PLT_USR", 10, -1, 1},
		{"XDT_PLT_DEV", 1, -1, 1},
		{"XDT_PLT_CCU", 1000, -1, 0}, // concurrent: none
		{"XDT_PLT_SYS", 10, -1, 0},   // server: none
		{"XDT_PLT_UD", 1000, 0, 0},   // explicitly none
		{"XDT_PLT_UD", 1000, 7, 7},
	}
	for _, tt := range tests {
		text, err := IssueFile(IssueSpec{HostName: "licsrv", Lines: []LineSpec{{Feature: tt.feature, Count: tt.count, CSS: 20221201,
			Permanent: true, Overdraft: tt.overdraft}}}, priv)
		if err != nil {
			t.Fatalf("%s %d: %v", tt.feature, tt.count, err)
		}
		l := parseOne(t, text)
		if l.Overdraft != tt.want {
			t.Errorf("%s count %d overdraft %d: OVERDRAFT=%d, want %d", tt.feature, tt.count, tt.overdraft, l.Overdraft, tt.want)
		}
		if _, has := l.Attr("OVERDRAFT"); has != (tt.want > 0) {
			t.Errorf("%s: OVERDRAFT attribute written: %v", tt.feature, has)
		}
	}
}

func TestIssueFileAllFields(t *testing.T) {
	pub, priv := testKey(1)
	text, err := IssueFile(IssueSpec{Ether: "00:1A:2B:3C:4D:5E", Lines: []LineSpec{{
		Feature: "XDT_PLT_UD", Count: 50, CSS: 20231201, Expiry: day(2024, 12, 31), Start: day(2024, 1, 1), Overdraft: -1,
		VendorString: ";LT=Retail;GP=720;SA=0", Notice: "Example Corp", SN: "LA-1:2", Issued: day(2023, 12, 15), DupGroup: "V"}}}, priv)
	if err != nil {
		t.Fatal(err)
	}
	f := mustParse(t, text)
	if len(f.Servers) != 1 || f.Servers[0].Ether != "001a2b3c4d5e" {
		t.Errorf("server: %+v", f.Servers)
	}
	l := f.Lines[0]
	if l.CSS != 20231201 || l.Expiry != day(2024, 12, 31) || l.Start != day(2024, 1, 1) || l.Issued != day(2023, 12, 15) ||
		l.Notice != "Example Corp" || l.SN != "LA-1:2" || l.DupGroup != "V" || l.Overdraft != 5 || l.VendorString.LT() != "Retail" {
		t.Errorf("line: %+v", l)
	}
	if err := VerifyLine([]ed25519.PublicKey{pub}, l); err != nil {
		t.Error(err)
	}
}

func TestIssueFileErrors(t *testing.T) {
	_, priv := testKey(1)
	good := LineSpec{Feature: "XDT_PLT_UD", Count: 10, CSS: 20221201, Permanent: true, Overdraft: -1}
	with := func(change func(*LineSpec)) []LineSpec { l := good; change(&l); return []LineSpec{l} }
	tests := []struct {
		name string
		spec IssueSpec
		want string
	}{
		{"no host", IssueSpec{Lines: []LineSpec{good}}, "host name or MAC"},
		{"both", IssueSpec{HostName: "a", Ether: "001a2b3c4d5e", Lines: []LineSpec{good}}, "not both"},
		{"bad MAC", IssueSpec{Ether: "zz", Lines: []LineSpec{good}}, "not a MAC address"},
		{"no lines", IssueSpec{HostName: "a"}, "no INCREMENT lines"},
		{"unknown model", IssueSpec{HostName: "a", Lines: with(func(l *LineSpec) { l.Feature = "XDT_PLT_XX" })}, "unknown license model code"},
		{"zero count", IssueSpec{HostName: "a", Lines: with(func(l *LineSpec) { l.Count = 0 })}, "at least one license"},
		{"no CSS", IssueSpec{HostName: "a", Lines: with(func(l *LineSpec) { l.CSS = 0 })}, "CSS date"},
		{"no expiry", IssueSpec{HostName: "a", Lines: with(func(l *LineSpec) { l.Permanent = false })}, "expiry date or permanent"},
		{"both expiries", IssueSpec{HostName: "a", Lines: with(func(l *LineSpec) { l.Expiry = day(2030, 1, 1) })}, "expiry date or permanent"},
		{"start after expiry", IssueSpec{HostName: "a", Lines: with(func(l *LineSpec) {
			l.Permanent, l.Expiry, l.Start = false, day(2030, 1, 1), day(2031, 1, 1)
		})}, "after the expiry"},
		{"overdraft on concurrent", IssueSpec{HostName: "a", Lines: with(func(l *LineSpec) { l.Feature, l.Overdraft = "XDT_PLT_CCU", 5 })}, "License overdraft"},
		{"quote in notice", IssueSpec{HostName: "a", Lines: with(func(l *LineSpec) { l.Notice = `a "b"` })}, "cannot be written"},
	}
	for _, tt := range tests {
		_, err := IssueFile(tt.spec, priv)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: got %v, want an error containing %q", tt.name, err, tt.want)
		}
	}
	if _, err := IssueFile(IssueSpec{HostName: "a", Lines: []LineSpec{good}}, nil); err == nil {
		t.Error("issued without a key")
	}
}
