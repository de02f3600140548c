package daemon_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/licd/licd/license"
	"github.com/licd/licd/wire"
)

// "Concurrent license": a license belongs to an endpoint device; every session of that
// device shares it; it is checked in when the device's last session ends; when all are in
// use, new devices are denied.
func TestConcurrentSharingAndCount(t *testing.T) {
	f := newFixture(t)
	f.issue("ccs.lic", license.LineSpec{Feature: "XDT_PLT_CCS", Count: 2})
	s := f.start()
	a, b := dial(t, s, "XDT"), dial(t, s, "XDT")

	g1 := grant(t, a, "XDT_PLT_CCS", "dev1", 20240101)
	g2 := grant(t, b, "XDT_PLT_CCS", "dev1", 20240101) // another product server, same device
	if !g2.Shared || g1.Handle == g2.Handle {
		t.Fatalf("second session of dev1 should share its license with a handle of its own: %+v %+v", g1, g2)
	}
	grant(t, a, "XDT_PLT_CCS", "dev2", 20240101)
	_, err := checkout(t, b, "XDT_PLT_CCS", "dev3", 20240101)
	wantCode(t, err, wire.CodeLicensedNumberReached)

	if fs := featureStatus(t, a, "XDT_PLT_CCS"); fs.InUse != 2 || fs.Issued != 2 {
		t.Fatalf("status: in use %d of %d, want 2 of 2", fs.InUse, fs.Issued)
	}
	// dev1's first session ends: its license stays, shared by the other session.
	if err := a.Checkin(ctx(t), g1.Handle); err != nil {
		t.Fatal(err)
	}
	_, err = checkout(t, b, "XDT_PLT_CCS", "dev3", 20240101)
	wantCode(t, err, wire.CodeLicensedNumberReached)
	// Its last session ends: the license goes back and dev3 gets it.
	if err := b.Checkin(ctx(t), g2.Handle); err != nil {
		t.Fatal(err)
	}
	grant(t, b, "XDT_PLT_CCS", "dev3", 20240101)
	// A handle checked in twice is unknown the second time.
	wantCode(t, b.Checkin(ctx(t), g2.Handle), wire.CodeUnknownHandle)
}

// "Concurrent license" scenarios and "Customer Success Services": connecting first with a
// 1811 product and then a 1903 one takes two licenses; 1903 first takes one.
func TestCSSDateOrder(t *testing.T) {
	f := newFixture(t)
	f.issue("old.lic", license.LineSpec{Feature: "XDT_PLT_CCS", Count: 5, CSS: 20181201})
	f.issue("new.lic", license.LineSpec{Feature: "XDT_PLT_CCS", Count: 5, CSS: 20190601})
	s := f.start()
	c := dial(t, s, "XDT")

	grant(t, c, "XDT_PLT_CCS", "older-first", 20181101)
	grant(t, c, "XDT_PLT_CCS", "older-first", 20190301)
	if fs := featureStatus(t, c, "XDT_PLT_CCS"); fs.InUse != 2 {
		t.Fatalf("1811 then 1903: %d licenses in use, want 2", fs.InUse)
	}
	grant(t, c, "XDT_PLT_CCS", "newer-first", 20190301)
	g := grant(t, c, "XDT_PLT_CCS", "newer-first", 20181101)
	if !g.Shared {
		t.Fatalf("1903 then 1811 should share the 2019.0601 license: %+v", g)
	}
	if fs := featureStatus(t, c, "XDT_PLT_CCS"); fs.InUse != 3 {
		t.Fatalf("after 1903 then 1811: %d licenses in use, want 3", fs.InUse)
	}
	_, err := checkout(t, c, "XDT_PLT_CCS", "too-new", 20200101)
	wantCode(t, err, wire.CodeVersionNewer)
}

// Denials carry stable codes: no such feature, not yet started, expired.
func TestDenialCodes(t *testing.T) {
	f := newFixture(t)
	f.issue("x.lic",
		license.LineSpec{Feature: "MPS_ENT_CCU", Count: 5, Start: farFuture()},
		license.LineSpec{Feature: "MPS_ADV_CCU", Count: 5, Expiry: longAgo()},
	)
	s := f.start()
	c := dial(t, s, "MPS")
	_, err := checkout(t, c, "NOPE_PLT_CCS", "d", 20240101)
	wantCode(t, err, wire.CodeNoSuchFeature)
	_, err = checkout(t, c, "MPS_ENT_CCU", "d", 20240101)
	wantCode(t, err, wire.CodeNotYetStarted)
	_, err = checkout(t, c, "MPS_ADV_CCU", "d", 20240101)
	wantCode(t, err, wire.CodeExpired)
}

// Names that cannot be stored get a clear denial, and the vendor debug log keeps FLEXlm's
// line shape ("HH:MM:SS (CITRIX) OUT: "FEATURE" user@host") for administrators' greps.
func TestBadNamesAndDebugLog(t *testing.T) {
	f := newFixture(t)
	f.issue("ccs.lic", license.LineSpec{Feature: "XDT_PLT_CCS", Count: 1})
	s := f.start()
	c := dial(t, s, "XDT")
	_, err := c.Checkout(ctx(t), wire.Checkout{Feature: "XDT_PLT_CCS", User: "u", Device: strings.Repeat("d", 300)})
	wantCode(t, err, wire.CodeBadName)
	_, err = c.Checkout(ctx(t), wire.Checkout{Feature: "XDT_PLT_CCS", User: "u"})
	wantCode(t, err, wire.CodeBadName)
	g, err := c.Checkout(ctx(t), wire.Checkout{Feature: "XDT_PLT_CCS", User: "alice", Device: "d1", ClientHost: "pc1"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Checkout(ctx(t), wire.Checkout{Feature: "XDT_PLT_CCS", User: "bob", Device: "d2", ClientHost: "pc2"})
	wantCode(t, err, wire.CodeLicensedNumberReached)
	if err := c.Checkin(ctx(t), g.Handle); err != nil {
		t.Fatal(err)
	}
	if err := s.Stop(20 * time.Second); err != nil { // the log is flushed on shutdown
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(f.dir, "data", "CITRIX.log"))
	if err != nil {
		t.Fatal(err)
	}
	log := string(b)
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`(?m)^\d\d:\d\d:\d\d \(CITRIX\) OUT: "XDT_PLT_CCS" alice@pc1$`),
		regexp.MustCompile(`(?m)^\d\d:\d\d:\d\d \(CITRIX\) IN: "XDT_PLT_CCS" alice@pc1  \(checkin\)$`),
		regexp.MustCompile(`(?m)^\d\d:\d\d:\d\d \(CITRIX\) DENIED: "XDT_PLT_CCS" bob@pc2  \(Licensed number of users already reached.\)$`),
	} {
		if !want.MatchString(log) {
			t.Errorf("debug log lacks a line matching %s:\n%s", want, log)
		}
	}
}
