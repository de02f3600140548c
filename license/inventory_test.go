package license

import (
	"crypto/ed25519"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var testHost = HostIdentity{Hostname: "licsrv", MACs: []string{"001a2b3c4d5e"}}

func testOptions(now time.Time) LoadOptions {
	pub, _ := testKey(1)
	return LoadOptions{Host: testHost, Keys: []ed25519.PublicKey{pub}, Now: now}
}

// lic is a LineSpec with the defaults of these tests.
func lic(feature string, count int, css CSSDate) LineSpec {
	return LineSpec{Feature: feature, Count: count, CSS: css, Permanent: true, Overdraft: -1,
		VendorString: ";LT=Retail;GP=720;SA=0", DupGroup: "V", Issued: day(2022, 1, 1)}
}

// writeIssued writes a signed file for testHost into dir.
func writeIssued(t *testing.T, dir, name string, lines ...LineSpec) string {
	t.Helper()
	_, priv := testKey(1)
	text, err := IssueFile(IssueSpec{HostName: testHost.Hostname, Lines: lines}, priv)
	if err != nil {
		t.Fatal(err)
	}
	return writeText(t, dir, name, text)
}

func writeText(t *testing.T, dir, name, text string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func load(t *testing.T, dir string, now time.Time) *Inventory {
	t.Helper()
	inv, err := LoadDir(dir, testOptions(now))
	if err != nil {
		t.Fatal(err)
	}
	return inv
}

var now2023 = day(2023, 6, 1).Add(12 * time.Hour)

// TestPoolsAddUpAcrossLines: lines with the same grouping attributes form one pool whose count
// and overdraft add up ("INCREMENT lines also determine the grouping of licenses"; LIC-3651).
func TestPoolsAddUpAcrossLines(t *testing.T) {
	dir := t.TempDir()
	a := lic("XDT_PLT_UD", 1000, 20221201)
	b := lic("XDT_PLT_UD", 500, 20221201)
	b.SN, b.Issued, b.Notice = "other-order", day(2022, 3, 1), "another purchase" // purchase details do not split pools
	writeIssued(t, dir, "a.lic", a, b)
	c := lic("XDT_PLT_UD", 25, 20221201)
	writeIssued(t, dir, "b.lic", c)
	inv := load(t, dir, now2023)
	if len(inv.Rejected) > 0 {
		t.Fatalf("rejected: %v", inv.Rejected)
	}
	pools := inv.PoolsOf("XDT_PLT_UD")
	if len(pools) != 1 {
		t.Fatalf("%d pools, want 1", len(pools))
	}
	p := pools[0]
	// overdraft 100 + 50 + 3: every line's OVERDRAFT counts, not only the first's (LIC-3651)
	if p.Count != 1525 || p.Overdraft != 153 || p.Installed() != 1678 || len(p.Lines) != 3 || p.Model != ModelUserDevice {
		t.Errorf("pool: count %d overdraft %d installed %d lines %d model %v", p.Count, p.Overdraft, p.Installed(), len(p.Lines), p.Model)
	}
	if !strings.HasPrefix(p.ID, "XDT_PLT_UD/2022.1201/") || len(p.ID) != len("XDT_PLT_UD/2022.1201/")+8 {
		t.Errorf("pool ID %q", p.ID)
	}
}

// TestPoolGrouping: which attributes split pools.
func TestPoolGrouping(t *testing.T) {
	base := lic("XDT_PLT_UD", 10, 20221201)
	tests := []struct {
		name  string
		other func(*LineSpec)
		pools int
	}{
		{"same attributes", func(*LineSpec) {}, 1},
		{"other ISSUED, SN, NOTICE, START", func(l *LineSpec) {
			l.Issued, l.SN, l.Notice, l.Start = day(2021, 1, 1), "x", "y", day(2021, 1, 1)
		}, 1},
		{"other count", func(l *LineSpec) { l.Count = 99 }, 1},
		{"other CSS date", func(l *LineSpec) { l.CSS = 20231201 }, 2},
		{"other expiry", func(l *LineSpec) { l.Permanent, l.Expiry = false, day(2030, 1, 1) }, 2},
		{"other vendor string", func(l *LineSpec) { l.VendorString = ";LT=Eval;GP=720;SA=0" }, 2},
		{"other DUP_GROUP", func(l *LineSpec) { l.DupGroup = "" }, 2},
		{"other feature", func(l *LineSpec) { l.Feature = "XDT_ENT_UD" }, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			other := base
			other.Count = 20
			tt.other(&other)
			writeIssued(t, dir, "x.lic", base, other)
			inv := load(t, dir, now2023)
			if len(inv.Pools) != tt.pools || len(inv.Rejected) > 0 {
				t.Errorf("%d pools, want %d (rejected %v)", len(inv.Pools), tt.pools, inv.Rejected)
			}
		})
	}
}

func TestPoolIDStableAcrossRereads(t *testing.T) {
	dir1, dir2 := t.TempDir(), t.TempDir()
	a, b := lic("XDT_PLT_UD", 10, 20221201), lic("XDT_PLT_UD", 20, 20221201)
	b.SN = "second order"
	writeIssued(t, dir1, "a.lic", a, b)
	// the same licenses in other files, in another order, loaded a day later
	writeIssued(t, dir2, "z.lic", b)
	writeIssued(t, dir2, "y.lic", a)
	p1 := load(t, dir1, now2023).Pools
	p2 := load(t, dir2, now2023.AddDate(0, 0, 1)).Pools
	if len(p1) != 1 || len(p2) != 1 || p1[0].ID != p2[0].ID {
		t.Errorf("pool IDs differ: %v vs %v", p1, p2)
	}
}

func TestPoolsOfSortedByCSS(t *testing.T) {
	dir := t.TempDir()
	writeIssued(t, dir, "a.lic", lic("XDT_PLT_CCU", 1, 20231201), lic("XDT_PLT_CCU", 1, 20191201), lic("XDT_PLT_CCU", 1, 20221201),
		lic("MPS_ENT_CCU", 1, 20221201))
	inv := load(t, dir, now2023)
	var got []string
	for _, p := range inv.PoolsOf("XDT_PLT_CCU") {
		got = append(got, p.CSS.String())
	}
	if strings.Join(got, " ") != "2019.1201 2022.1201 2023.1201" {
		t.Errorf("PoolsOf order: %v", got)
	}
	if f := inv.Features(); strings.Join(f, " ") != "MPS_ENT_CCU XDT_PLT_CCU" {
		t.Errorf("Features: %v", f)
	}
}

// TestConcurrentHasNoOverdraft: "Concurrent licenses and server licenses do not contain the
// overdraft feature" even when a line carries OVERDRAFT= (as the manual's XDT_PLT_CCS example
// does).
func TestConcurrentHasNoOverdraft(t *testing.T) {
	_, priv := testKey(1)
	l := parseOne(t, `INCREMENT XDT_PLT_CCS CITRIX 2022.1201 permanent 5 OVERDRAFT=1 DUP_GROUP=V`)
	l.Sign = SignLine(priv, l)
	dir := t.TempDir()
	writeText(t, dir, "ccs.lic", "SERVER this_host HOSTNAME=licsrv\nVENDOR CITRIX\n"+FormatLine(l)+"\n")
	inv := load(t, dir, now2023)
	if len(inv.Pools) != 1 || inv.Pools[0].Overdraft != 0 || inv.Pools[0].Installed() != 5 {
		t.Errorf("pools %+v rejected %v", inv.Pools, inv.Rejected)
	}
}

// TestStartAndExpiry: "The License Server cannot use licenses before their start date" (START=)
// and an expired license is out of the pools from the day after its expiry date.
func TestStartAndExpiry(t *testing.T) {
	dir := t.TempDir()
	future := lic("XDT_PLT_UD", 10, 20221201)
	future.Start = day(2023, 6, 2)
	today := lic("XDT_PLT_UD", 20, 20221201)
	today.Start = day(2023, 6, 1)
	expired := lic("XDT_PLT_UD", 40, 20221201)
	expired.Permanent, expired.Expiry = false, day(2023, 5, 31)
	lastDay := lic("XDT_PLT_UD", 80, 20221201)
	lastDay.Permanent, lastDay.Expiry = false, day(2023, 6, 1)
	writeIssued(t, dir, "a.lic", future, today, expired, lastDay)
	inv := load(t, dir, now2023)
	if len(inv.Pending) != 1 || inv.Pending[0].Count != 10 {
		t.Errorf("pending: %v", inv.Pending)
	}
	if len(inv.Expired) != 1 || inv.Expired[0].Count != 40 {
		t.Errorf("expired: %v", inv.Expired)
	}
	total := 0
	for _, p := range inv.Pools {
		total += p.Count
	}
	if total != 100 {
		t.Errorf("pooled %d licenses, want 20 + 80", total)
	}
	// a day later the future line has started and the last-day line has expired
	inv = load(t, dir, now2023.AddDate(0, 0, 1))
	if len(inv.Pending) != 0 || len(inv.Expired) != 2 {
		t.Errorf("next day: pending %d expired %d", len(inv.Pending), len(inv.Expired))
	}
}

// TestSupersede: "SUPERSEDE=... this line supersedes all licenses issued before the date
// specified in ISSUED= and they become ineffective."
func TestSupersede(t *testing.T) {
	_, priv := testKey(1)
	dir := t.TempDir()
	adv := lic("MPS_ADV_CCU", 10, 20070101)
	adv.Issued = day(2007, 1, 1)
	std := lic("MPS_STD_CCU", 10, 20070101)
	std.Issued = day(2007, 6, 6) // same day as the upgrade: not before it
	other := lic("MPS_ENT_CCU", 10, 20070101)
	other.Issued = day(2006, 1, 1) // not named
	writeIssued(t, dir, "base.lic", adv, std, other)
	up := parseOne(t, `INCREMENT MPS_PLT_CCU CITRIX 2008.0606 permanent 25 DUP_GROUP=V ISSUED=06-Jun-2007 SUPERSEDE="MPS_ADV_CCU MPS_STD_CCU"`)
	up.Sign = SignLine(priv, up)
	writeText(t, dir, "upgrade.lic", "SERVER this_host HOSTNAME=licsrv\nVENDOR CITRIX\n"+FormatLine(up)+"\n")
	inv := load(t, dir, now2023)
	if len(inv.Superseded) != 1 || inv.Superseded[0].Feature != "MPS_ADV_CCU" {
		t.Errorf("superseded: %v", inv.Superseded)
	}
	if got := strings.Join(inv.Features(), " "); got != "MPS_ENT_CCU MPS_PLT_CCU MPS_STD_CCU" {
		t.Errorf("features in use: %s", got)
	}
	// an upgrade that has not started yet switches nothing off
	pending := parseOne(t, `INCREMENT MPS_PLT_CCU CITRIX 2008.0606 permanent 25 ISSUED=06-Jun-2007 START=01-jan-2030 SUPERSEDE="MPS_ADV_CCU"`)
	pending.Sign = SignLine(priv, pending)
	writeText(t, dir, "upgrade.lic", "SERVER this_host HOSTNAME=licsrv\nVENDOR CITRIX\n"+FormatLine(pending)+"\n")
	inv = load(t, dir, now2023)
	if len(inv.Superseded) != 0 || len(inv.Pending) != 1 {
		t.Errorf("pending upgrade: superseded %v pending %v", inv.Superseded, inv.Pending)
	}
}

// TestSupersedeSign: a Customer Success Services renewal with SUPERSEDE_SIGN "turns off
// specific licenses based on license feature and signature".
func TestSupersedeSign(t *testing.T) {
	_, priv := testKey(1)
	dir := t.TempDir()
	base := parseOne(t, readFixture(t, "base_license.lic"))
	base.Sign = SignLine(priv, base)
	keep := lic("CBR_100_SSERVER", 5, 20161201) // same feature, other signature: stays
	writeIssued(t, dir, "keep.lic", keep)
	writeText(t, dir, "base.lic", "SERVER this_host HOSTNAME=licsrv\nVENDOR CITRIX\n"+FormatLine(base)+"\n")
	renewalText := strings.Replace(readFixture(t, "css_renewal.lic"), "1B19 C213 7517 \\\n  CC62 756F 864C 9C93 06FC E1DE B5D5 D793", base.Sign, 1)
	renewal := parseOne(t, renewalText)
	if len(renewal.SupersedeSign) != 1 || renewal.SupersedeSign[0].Sign != base.Sign {
		t.Fatalf("renewal does not name the base line: %+v", renewal.SupersedeSign)
	}
	renewal.Sign = SignLine(priv, renewal)
	writeText(t, dir, "renewal.lic", "SERVER this_host HOSTNAME=licsrv\nVENDOR CITRIX\n"+FormatLine(renewal)+"\n")
	inv := load(t, dir, now2023)
	if len(inv.Rejected) > 0 {
		t.Fatalf("rejected: %v", inv.Rejected)
	}
	if len(inv.Superseded) != 1 || inv.Superseded[0].CSS != 20161201 || inv.Superseded[0].Count != 10 {
		t.Errorf("superseded: %v", inv.Superseded)
	}
	pools := inv.PoolsOf("CBR_100_SSERVER")
	if len(pools) != 2 || pools[0].Count != 5 || pools[1].CSS != 20171201 || pools[1].Model != ModelServer {
		t.Errorf("pools: %+v", pools)
	}
}

func readFixture(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "manual", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestRejections: each rule that keeps a line out, with a reason a person can act on; the
// other lines of the same file still load.
func TestRejections(t *testing.T) {
	_, priv := testKey(1)
	_, otherPriv := testKey(2)
	signed := func(p ed25519.PrivateKey, text string) string {
		l := parseOne(t, text)
		l.Sign = SignLine(p, l)
		return FormatLine(l)
	}
	good := signed(priv, "INCREMENT XDT_PLT_UD CITRIX 2022.1201 permanent 10")
	header := "SERVER this_host HOSTNAME=licsrv\nVENDOR CITRIX\nUSE_SERVER\n"
	tests := []struct {
		name   string
		text   string
		reason string
		loaded int // good lines that still load
	}{
		{"unsigned", header + "INCREMENT XDT_ENT_UD CITRIX 2022.1201 permanent 10\n" + good, "no SIGN=", 1},
		{"FlexNet signature", header + "INCREMENT XDT_ENT_UD CITRIX 2022.1201 permanent 10 SIGN=\"1B19 C213\"\n" + good, "not an Ed25519 signature", 1},
		{"another vendor's key", header + signed(otherPriv, "INCREMENT XDT_ENT_UD CITRIX 2022.1201 permanent 10") + "\n" + good, "does not match", 1},
		{"edited count", header + strings.Replace(good, " 10 ", " 99 ", 1) + "\n" + good, "does not match", 1},
		{"another vendor", header + signed(priv, "INCREMENT jupiter orbit 2.0 permanent 10") + "\n" + good, `vendor daemon "orbit"`, 1},
		{"unknown model", header + signed(priv, "INCREMENT XDT_PLT_ZZ CITRIX 2022.1201 permanent 10") + "\n" + good, "unknown license model code", 1},
		{"not a CSS date", header + signed(priv, "INCREMENT XDT_ENT_UD CITRIX 2.0 permanent 10") + "\n" + good, "not a Customer Success Services date", 1},
		{"line HOSTID for another host", header + signed(priv, "INCREMENT XDT_ENT_UD CITRIX 2022.1201 permanent 10 HOSTID=HOSTNAME=other") + "\n" + good, `"other"`, 1},
		{"syntax error", header + "INCREMENT XDT_ENT_UD CITRIX 2022.1201 permanent\n" + good, "required fields", 1},
		{"another host", "SERVER this_host HOSTNAME=other\nVENDOR CITRIX\n" + good, `host name "other"`, 0},
		{"host names differ in case", "SERVER this_host HOSTNAME=LICSRV\nVENDOR CITRIX\n" + good, "case-sensitively", 0},
		{"another MAC", "SERVER this_host 0a0b0c0d0e0f\nVENDOR CITRIX\n" + good, "0a0b0c0d0e0f", 0},
		{"no SERVER line", "VENDOR CITRIX\n" + good, "no SERVER line", 0},
		{"two HOSTNAME= lines", "SERVER this_host HOSTNAME=licsrv\nSERVER this_host HOSTNAME=other\nVENDOR CITRIX\n" + good, "License file issues", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			writeText(t, dir, "x.lic", tt.text)
			inv := load(t, dir, now2023)
			if len(inv.Rejected) != 1 || !strings.Contains(inv.Rejected[0].Reason, tt.reason) {
				t.Fatalf("rejected %v; want one containing %q", inv.Rejected, tt.reason)
			}
			r := inv.Rejected[0]
			if r.File != filepath.Join(dir, "x.lic") || r.Line == 0 {
				t.Errorf("rejection does not say where: %+v", r)
			}
			loaded := 0
			for _, p := range inv.Pools {
				loaded += len(p.Lines)
			}
			if loaded != tt.loaded {
				t.Errorf("%d lines loaded, want %d", loaded, tt.loaded)
			}
		})
	}
}

func TestHostBindingKinds(t *testing.T) {
	_, priv := testKey(1)
	l := parseOne(t, "INCREMENT XDT_PLT_UD CITRIX 2022.1201 permanent 10")
	l.Sign = SignLine(priv, l)
	for _, server := range []string{"SERVER this_host HOSTNAME=licsrv", "SERVER this_host 001a2b3c4d5e", "SERVER this_host 00-1A-2B-3C-4D-5E",
		"SERVER anyname ANY 27000", "SERVER this_host HOSTNAME=other\nSERVER this_host 001A2B3C4D5E"} {
		dir := t.TempDir()
		writeText(t, dir, "x.lic", server+"\nVENDOR CITRIX\n"+FormatLine(l)+"\n")
		inv := load(t, dir, now2023)
		if len(inv.Pools) != 1 || len(inv.Rejected) != 0 {
			t.Errorf("%q: pools %d rejected %v", server, len(inv.Pools), inv.Rejected)
		}
	}
}

// TestLoadDirFileNames: "it must have a .lic (lower case) extension".
func TestLoadDirFileNames(t *testing.T) {
	dir := t.TempDir()
	writeIssued(t, dir, "FID_30d0000_0000.lic", lic("XDT_PLT_UD", 10, 20221201))
	writeIssued(t, dir, "UPPER.LIC", lic("XDT_PLT_UD", 20, 20221201))
	writeIssued(t, dir, "mixed.Lic", lic("XDT_PLT_UD", 40, 20221201))
	writeText(t, dir, "CITRIX.opt", "INCLUDE XDT_PLT_UD USER bob\n")
	os.Mkdir(filepath.Join(dir, "sub.lic"), 0o755)
	inv := load(t, dir, now2023)
	if len(inv.Files) != 1 || len(inv.Pools) != 1 || inv.Pools[0].Count != 10 {
		t.Errorf("files %v pools %+v", inv.Files, inv.Pools)
	}
	// A directory named *.lic is not loaded, and the administrator is told why.
	if len(inv.Rejected) != 3 || !strings.Contains(inv.Rejected[0].Reason, "rename it to UPPER.lic") ||
		!strings.Contains(inv.Rejected[1].Reason, "rename it to mixed.lic") || !strings.Contains(inv.Rejected[2].Reason, "a directory") {
		t.Errorf("rejected: %v", inv.Rejected)
	}
}

func TestDuplicateFileCountsOnce(t *testing.T) {
	dir := t.TempDir()
	a := writeIssued(t, dir, "license.lic", lic("XDT_PLT_UD", 10, 20221201))
	b, _ := os.ReadFile(a)
	writeText(t, dir, "license_copy.lic", string(b))
	inv := load(t, dir, now2023)
	if len(inv.Pools) != 1 || inv.Pools[0].Count != 10 || len(inv.Rejected) != 1 || !strings.Contains(inv.Rejected[0].Reason, "already loaded") {
		t.Errorf("pools %+v rejected %v", inv.Pools, inv.Rejected)
	}
}

func TestStartupLicensesLoad(t *testing.T) {
	_, priv := testKey(1)
	text, err := StartupLicenseFile("licsrv", priv)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	writeText(t, dir, StartupFileName, text)
	inv := load(t, dir, now2023)
	if len(inv.Pools) != 2 || len(inv.Rejected) > 0 {
		t.Fatalf("pools %v rejected %v", inv.Pools, inv.Rejected)
	}
	for _, p := range inv.Pools {
		if p.Model != ModelServer || p.Count != 10000 || p.Overdraft != 0 || p.CSS != 20380101 || !p.Permanent {
			t.Errorf("pool %+v", p)
		}
	}
	if inv.Friendly["CITRIX"].Name != "Citrix Start-up License" {
		t.Errorf("friendly: %v", inv.Friendly)
	}
}

func TestFriendlyPrefersEnglish(t *testing.T) {
	dir := t.TempDir()
	writeText(t, dir, "a.lic", "#CITRIXTERM FEATURE 2.0 XDT_PLT_UD DE Citrix Virtual Apps Premium|Benutzer/Gerät\n"+
		"#CITRIXTERM FEATURE 2.0 XDT_PLT_UD EN Citrix Virtual Apps Premium|User/Device\n"+
		"#CITRIXTERM FEATURE 2.0 XDT_PLT_UD FR Citrix Virtual Apps Premium|Utilisateur/Appareil\n")
	inv := load(t, dir, now2023)
	if fn := inv.Friendly["XDT_PLT_UD"]; fn.Lang != "EN" || fn.ModelText != "User/Device" {
		t.Errorf("friendly: %+v", fn)
	}
}

func TestLoadErrors(t *testing.T) {
	if _, err := LoadDir(filepath.Join(t.TempDir(), "missing"), testOptions(now2023)); err == nil {
		t.Error("missing directory loaded")
	}
	if _, err := LoadFiles(nil, LoadOptions{}); err == nil || !strings.Contains(err.Error(), "Now is zero") {
		t.Errorf("zero Now: %v", err)
	}
}

func TestHostMatches(t *testing.T) {
	h := HostIdentity{Hostname: "licsrv", MACs: []string{"001a2b3c4d5e", "0a0b0c0d0e0f"}}
	tests := []struct {
		s      ServerLine
		ok     bool
		reason string
	}{
		{ServerLine{HostID: "HOSTNAME=licsrv", HostName: "licsrv"}, true, ""},
		{ServerLine{HostID: "HOSTNAME=LicSrv", HostName: "LicSrv"}, false, "case-sensitively"},
		{ServerLine{HostID: "0a0b0c0d0e0f", Ether: "0a0b0c0d0e0f"}, true, ""},
		{ServerLine{HostID: "ffffffffffff", Ether: "ffffffffffff"}, false, "001a2b3c4d5e, 0a0b0c0d0e0f"},
		{ServerLine{HostID: "ANY"}, true, ""},
		{ServerLine{HostID: "any"}, true, ""},
		{ServerLine{Host: "licsrv", HostID: "ID=1234"}, false, "not one licd can check"},
	}
	for _, tt := range tests {
		ok, why := h.Matches(tt.s)
		if ok != tt.ok || !strings.Contains(why, tt.reason) || (ok && why != "") {
			t.Errorf("Matches(%+v) = %v, %q", tt.s, ok, why)
		}
	}
}

func TestNormalizeMAC(t *testing.T) {
	tests := map[string]string{
		"001a2b3c4d5e": "001a2b3c4d5e", "00:1A:2B:3C:4D:5E": "001a2b3c4d5e", "00-1a-2b-3c-4d-5e": "001a2b3c4d5e",
		"00:1a-2b:3c:4d:5e": "", "001a2b3c4d5": "", "001a2b3c4d5g": "", "ANY": "",
	}
	for in, want := range tests {
		got, ok := NormalizeMAC(in)
		if got != want || ok != (want != "") {
			t.Errorf("NormalizeMAC(%q) = %q, %v", in, got, ok)
		}
	}
}

func TestThisHost(t *testing.T) {
	h, err := ThisHost()
	if err != nil {
		t.Fatal(err)
	}
	if h.Hostname == "" {
		t.Error("no host name")
	}
	for _, m := range h.MACs {
		if n, ok := NormalizeMAC(m); !ok || n != m {
			t.Errorf("MAC %q is not normalised", m)
		}
	}
	if ok, _ := h.Matches(ServerLine{HostID: "HOSTNAME=" + h.Hostname, HostName: h.Hostname}); !ok {
		t.Error("this host does not match its own host name")
	}
}

// TestLoadOtherVendorsFiles: files of other vendors load without an error; every line is
// rejected with a reason and nothing is pooled.
func TestLoadOtherVendorsFiles(t *testing.T) {
	inv := load(t, filepath.Join("testdata", "flexlm"), now2023)
	if len(inv.Files) != 4 || len(inv.Pools) != 0 || len(inv.Rejected) == 0 {
		t.Fatalf("files %d pools %d rejected %d", len(inv.Files), len(inv.Pools), len(inv.Rejected))
	}
	for _, r := range inv.Rejected {
		if r.Reason == "" || r.File == "" {
			t.Errorf("rejection without reason or place: %+v", r)
		}
	}
}
