package daemon_test

import (
	"context"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/licd/licd/license"
	"github.com/licd/licd/wire"
)

func udCheckout(t *testing.T, c *wire.Client, feature, user, device string) (wire.Grant, error) {
	t.Helper()
	return c.Checkout(ctx(t), wire.Checkout{Feature: feature, User: user, Device: device, ClientHost: device})
}

func udList(t *testing.T, c *wire.Client, f *fixture, feature string) wire.UDFeature {
	t.Helper()
	var res wire.UDAdminResult
	if err := c.Admin(ctx(t), adminToken(t, f), "udadmin", wire.UDAdminArgs{Op: "list", Feature: feature}, &res); err != nil {
		t.Fatal(err)
	}
	if len(res.Features) != 1 {
		t.Fatalf("udadmin -list -f %s: %+v", feature, res)
	}
	return res.Features[0]
}

func names(ls []wire.UDLicense) string {
	var out []string
	for _, l := range ls {
		out = append(out, l.Name)
	}
	sort.Strings(out)
	return strings.Join(out, ",")
}

// "User/device license": the manual's table comes out as four user licenses (John, Rose,
// Joe, Roy) and two device licenses (Desktop1, Desktop2) once the optimizer has run.
func TestUserDeviceManualTable(t *testing.T) {
	f := newFixture(t)
	f.issue("ud.lic", license.LineSpec{Feature: "XDT_PLT_UD", Count: 20, Overdraft: -1})
	s := f.start("-ud-optimize-fast", "200ms")
	c := dial(t, s, "XDT")
	pairs := map[string][]string{
		"Laptop": {"John", "Rose"}, "PC": {"John"}, "Mobiles": {"John", "Rose", "Joe", "Roy"},
		"Laptop2": {"Joe", "Roy"}, "PC1": {"Joe"}, "Desktop1": {"Tom", "Karen", "Rick", "Tony"},
		"Desktop2": {"Rick", "Tony"},
	}
	for device, users := range pairs {
		for _, u := range users {
			if _, err := udCheckout(t, c, "XDT_PLT_UD", u, device); err != nil {
				t.Fatalf("%s on %s: %v", u, device, err)
			}
		}
	}
	eventually(t, 10*time.Second, "the optimizer to reach the minimum cover", func() bool {
		u := udList(t, c, f, "XDT_PLT_UD")
		return u.InUse == 6 && names(u.Users) == "Joe,John,Rose,Roy" && names(u.Devices) == "Desktop1,Desktop2"
	})
	u := udList(t, c, f, "XDT_PLT_UD")
	if u.Installed != 22 || u.Overdraft != 2 {
		t.Fatalf("installed %d with overdraft %d, want 20 + 2 (\"License overdraft\")", u.Installed, u.Overdraft)
	}
	if u.LastOptimization.IsZero() {
		t.Fatal("no optimization time reported")
	}
}

// Domain truncation ("Disable the domain name truncation"), names with spaces (LIC-3506),
// the count with overdraft, and a bad name's clear denial.
func TestUserDeviceNamesAndCount(t *testing.T) {
	f := newFixture(t)
	f.issue("ud.lic", license.LineSpec{Feature: "XDT_PLT_UD", Count: 2, Overdraft: 1})
	s := f.start()
	c := dial(t, s, "XDT")
	for _, u := range []string{"abc@eng.com", "abc@citrite.com"} {
		if _, err := udCheckout(t, c, "XDT_PLT_UD", u, "dev-"+u); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := udCheckout(t, c, "XDT_PLT_UD", "Jane Doe", "shared kiosk"); err != nil {
		t.Fatalf("a name with a space: %v", err)
	}
	if _, err := udCheckout(t, c, "XDT_PLT_UD", "Carl", "carl-pc"); err != nil {
		t.Fatalf("the overdraft license: %v", err)
	}
	_, err := udCheckout(t, c, "XDT_PLT_UD", "Dora", "dora-pc")
	wantCode(t, err, wire.CodeLicensedNumberReached)
	_, err = udCheckout(t, c, "XDT_PLT_UD", "", "some-pc")
	wantCode(t, err, wire.CodeBadName)
	u := udList(t, c, f, "XDT_PLT_UD")
	if names(u.Users) != "Carl,Jane Doe,abc" || u.OverdraftInUse != 1 {
		t.Fatalf("users %q, overdraft in use %d; want abc once (domain truncated), Jane Doe, Carl and 1 in overdraft", names(u.Users), u.OverdraftInUse)
	}
}

// After kill -9 no assignment, lease or release count is lost; udadmin -delete releases one
// user and counts it (UDAdminUsersReleased).
func TestUserDeviceSurvivesSIGKILL(t *testing.T) {
	f := newFixture(t)
	f.issue("ud.lic", license.LineSpec{Feature: "XDT_PLT_UD", Count: 50})
	s := f.start()
	c := dial(t, s, "XDT")
	for _, u := range []string{"ann", "ben", "cat"} {
		if _, err := udCheckout(t, c, "XDT_PLT_UD", u, u+"-pc"); err != nil {
			t.Fatal(err)
		}
	}
	var res wire.UDAdminResult
	if err := c.Admin(ctx(t), adminToken(t, f), "udadmin", wire.UDAdminArgs{Op: "delete", Feature: "XDT_PLT_UD", User: "ben"}, &res); err != nil {
		t.Fatal(err)
	}
	if res.Released != 1 {
		t.Fatalf("udadmin -delete released %d, want 1", res.Released)
	}
	c.Close()
	s.Kill()
	rctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.Restart(rctx); err != nil {
		t.Fatal(err)
	}
	c = dial(t, s, "XDT")
	u := udList(t, c, f, "XDT_PLT_UD")
	if names(u.Users) != "ann,cat" || u.UsersReleased != 1 {
		t.Fatalf("after kill -9: users %q, released %d; want ann,cat and 1 release counted", names(u.Users), u.UsersReleased)
	}
	for _, l := range u.Users {
		if until := time.Until(l.LeaseEnd); until < 89*24*time.Hour {
			t.Fatalf("lease of %s ends in %s, want about 90 days (\"License assignment period\")", l.Name, until)
		}
	}
	var ev wire.UDAdminResult
	if err := c.Admin(ctx(t), adminToken(t, f), "udadmin", wire.UDAdminArgs{Op: "events", Feature: "XDT_PLT_UD"}, &ev); err != nil {
		t.Fatal(err)
	}
	if len(ev.Events) < 4 {
		t.Fatalf("udadmin -events after restart: %d events, want the connections and the release", len(ev.Events))
	}
	for i := 1; i < len(ev.Events); i++ {
		if ev.Events[i].Time.Before(ev.Events[i-1].Time) {
			t.Fatal("events are not in time order")
		}
	}
}

// "Disable the domain name truncation": with UDUseDomain 1 in the options file, users of
// different domains are different users; UDUserNameCase folds names.
func TestUserDeviceOptionsSettings(t *testing.T) {
	f := newFixture(t)
	f.issue("ud.lic", license.LineSpec{Feature: "XDT_PLT_UD", Count: 10})
	f.writeFile("CITRIX.opt", "UDUseDomain 1\nUDUserNameCase TOLOWER\n")
	s := f.start()
	c := dial(t, s, "XDT")
	for _, u := range []string{"abc@eng.com", "ABC@citrite.com", "abc@ENG.com"} {
		if _, err := udCheckout(t, c, "XDT_PLT_UD", u, "pc-"+u); err != nil {
			t.Fatal(err)
		}
	}
	if got := names(udList(t, c, f, "XDT_PLT_UD").Users); got != "abc@citrite.com,abc@eng.com" {
		t.Fatalf("users %q, want the two domains kept apart and case folded", got)
	}
}

// "Per socket license", "Per user license", "Per device license" through the daemon: a
// per-socket checkout consumes the host's sockets; per user licenses only the user, per
// device only the device.
func TestPerSocketPerUserPerDevice(t *testing.T) {
	f := newFixture(t)
	f.issue("m.lic",
		license.LineSpec{Feature: "XHV_ENT_SKT", Count: 4},
		license.LineSpec{Feature: "XDT_PLT_USR", Count: 10},
		license.LineSpec{Feature: "XDT_PLT_DEV", Count: 10},
	)
	s := f.start()
	c := dial(t, s, "XHV")
	sockets := func(host string, n uint16) error {
		_, err := c.Checkout(ctx(t), wire.Checkout{Feature: "XHV_ENT_SKT", ClientHost: host, Device: host, User: "root", Sockets: n})
		return err
	}
	if err := sockets("hv1", 2); err != nil {
		t.Fatal(err)
	}
	wantCode(t, sockets("hv2", 3), wire.CodeLicensedNumberReached)
	if err := sockets("hv2", 2); err != nil {
		t.Fatal(err)
	}
	if fs := featureStatus(t, c, "XHV_ENT_SKT"); fs.InUse != 4 {
		t.Fatalf("per socket: %d in use, want 2 + 2 sockets", fs.InUse)
	}

	for _, d := range []string{"pc1", "pc2", "pc3"} {
		if _, err := udCheckout(t, c, "XDT_PLT_USR", "alice", d); err != nil {
			t.Fatal(err)
		}
		if _, err := udCheckout(t, c, "XDT_PLT_DEV", "user-"+d, "kiosk"); err != nil {
			t.Fatal(err)
		}
	}
	if u := udList(t, c, f, "XDT_PLT_USR"); u.InUse != 1 || names(u.Users) != "alice" || len(u.Devices) != 0 {
		t.Fatalf("per user: %+v, want one user license for alice", u)
	}
	if u := udList(t, c, f, "XDT_PLT_DEV"); u.InUse != 1 || names(u.Devices) != "kiosk" || len(u.Users) != 0 {
		t.Fatalf("per device: %+v, want one device license for the kiosk", u)
	}
}

// "License caching mode": user/device licenses have no limit while a product caches; the
// reconcile reinstates them all, and new users wait until usage is back within the count.
func TestUserDeviceReconcileBeyondCount(t *testing.T) {
	f := newFixture(t)
	f.issue("ud.lic", license.LineSpec{Feature: "XDT_PLT_UD", Count: 1})
	s := f.start()
	c, err := wire.Dial(ctx(t), []string{s.VendorAddr()}, wire.ClientOptions{ClientID: "ud-site", Product: "XDT", Host: "ud-site",
		ReconnectMin: 50 * time.Millisecond, ReconnectMax: 200 * time.Millisecond, RequestTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	s.Kill()
	eventually(t, 10*time.Second, "caching mode", func() bool { on, _ := c.CachingMode(); return on })
	for _, u := range []string{"u1", "u2", "u3"} {
		if g, err := udCheckout(t, c, "XDT_PLT_UD", u, u+"-pc"); err != nil || !g.Cached {
			t.Fatalf("caching-mode checkout of %s: %+v %v", u, g, err)
		}
	}
	rctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.RestartSamePorts(rctx); err != nil {
		t.Fatal(err)
	}
	eventually(t, 15*time.Second, "the reconcile", func() bool { on, _ := c.CachingMode(); return !on })
	if u := udList(t, c, f, "XDT_PLT_UD"); u.InUse != 3 {
		t.Fatalf("after reconcile %d licenses in use, want the 3 users held in caching mode", u.InUse)
	}
	_, err = udCheckout(t, c, "XDT_PLT_UD", "u4", "u4-pc")
	wantCode(t, err, wire.CodeLicensedNumberReached)
	if _, err := udCheckout(t, c, "XDT_PLT_UD", "u1", "another-pc"); err != nil {
		t.Fatalf("a licensed user on a new device needs no new license: %v", err)
	}
}
