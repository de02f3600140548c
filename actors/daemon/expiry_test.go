package daemon_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/licd/licd/actors/daemon"
	"github.com/licd/licd/license"
	"github.com/licd/licd/wire"
)

// fakeClock is the daemon's injectable clock, walked by the test.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	c.now = t
	c.mu.Unlock()
}

// START and expiry dates take effect on their day without a reread ("INCREMENT Lines":
// licenses installed before their START date are not visible "until the actual START
// date"; "Once the expiration date passes, these licenses do not work on your server").
// The daemon runs in-process here so that its clock can be walked.
func TestStartAndExpiryDatesTakeEffectOnTheirDay(t *testing.T) {
	day := time.Date(2027, 3, 10, 0, 0, 0, 0, time.UTC)
	clock := &fakeClock{now: day.Add(12 * time.Hour)}
	d := startDated(t, clock, []license.LineSpec{
		{Feature: "XDT_PLT_CCS", Count: 5, CSS: 20991231, Permanent: true, Start: day.AddDate(0, 0, 1)},
		{Feature: "MPS_ENT_CCU", Count: 5, CSS: 20991231, Expiry: day},
		{Feature: "XDT_PLT_UD", Count: 5, CSS: 20991231, Expiry: day},
	}, t.TempDir())
	defer d.Shutdown()
	c, err := wire.Dial(context.Background(), []string{d.LMAddr().String()}, wire.ClientOptions{ClientID: "dated", Product: "XDT", Host: "ddc"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	try := func(feature string) error {
		_, err := c.Checkout(ctx(t), wire.Checkout{Feature: feature, User: "u", Device: "dev-" + feature + clock.Now().String()})
		return err
	}

	wantCode(t, try("XDT_PLT_CCS"), wire.CodeNotYetStarted)
	for _, f := range []string{"MPS_ENT_CCU", "XDT_PLT_UD"} {
		if err := try(f); err != nil {
			t.Fatalf("%s on its expiry day: %v", f, err)
		}
	}

	clock.Set(day.AddDate(0, 0, 1).Add(time.Second)) // just past midnight
	eventually(t, 10*time.Second, "the START date to bring XDT_PLT_CCS in", func() bool { return try("XDT_PLT_CCS") == nil })
	wantCode(t, try("MPS_ENT_CCU"), wire.CodeExpired)
	wantCode(t, try("XDT_PLT_UD"), wire.CodeExpired)
}

// startDated starts an in-process daemon on dir with a walked clock and the given lines.
func startDated(t *testing.T, clock *fakeClock, lines []license.LineSpec, dir string) *daemon.Daemon {
	t.Helper()
	keys := filepath.Join(dir, "keys")
	if _, err := os.Stat(filepath.Join(keys, "vendor.key")); err != nil {
		pub, priv, err := license.GenerateKey()
		if err != nil {
			t.Fatal(err)
		}
		if err := license.WriteKeyPair(keys, pub, priv); err != nil {
			t.Fatal(err)
		}
		lic := filepath.Join(dir, "data", "MyFiles")
		if err := os.MkdirAll(lic, 0o755); err != nil {
			t.Fatal(err)
		}
		startup, _ := license.StartupLicenseFile(testHost, priv)
		text, err := license.IssueFile(license.IssueSpec{HostName: testHost, Lines: lines}, priv)
		if err != nil {
			t.Fatal(err)
		}
		for name, body := range map[string]string{"citrix_startup.lic": startup, "dated.lic": text} {
			if err := os.WriteFile(filepath.Join(lic, name), []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	d, err := daemon.Start(daemon.Config{DataDir: filepath.Join(dir, "data"), Hostname: testHost, ListenHost: "127.0.0.1",
		LMPort: -1, VendorPort: -1, TrustedKeys: []string{filepath.Join(keys, "vendor.pub")}, DebugLog: discard{},
		Now: clock.Now, WatchInterval: 20 * time.Millisecond, Linger: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// "License assignment period": a user's license lasts 90 days after their last connection
// ends, and the lease survives a restart; 90 days and a second later it is gone, for good.
func TestUserDeviceLeaseEndsNinetyDaysAfterLastDisconnect(t *testing.T) {
	clock := &fakeClock{now: time.Date(2027, 1, 1, 9, 0, 0, 0, time.UTC)}
	dir := t.TempDir()
	lines := []license.LineSpec{{Feature: "XDT_PLT_UD", Count: 10, CSS: 20991231, Permanent: true}}
	d := startDated(t, clock, lines, dir)
	c, err := wire.Dial(context.Background(), []string{d.VendorAddr().String()}, wire.ClientOptions{ClientID: "lease", Product: "XDT", Host: "ddc"})
	if err != nil {
		t.Fatal(err)
	}
	g, err := c.Checkout(ctx(t), wire.Checkout{Feature: "XDT_PLT_UD", User: "ann", Device: "ann-pc"})
	if err != nil {
		t.Fatal(err)
	}
	clock.Set(clock.Now().Add(8 * time.Hour)) // a working day later she logs off
	if err := c.Checkin(ctx(t), g.Handle); err != nil {
		t.Fatal(err)
	}
	loggedOff := clock.Now()
	_ = c.Shutdown(ctx(t))
	users := func(d *daemon.Daemon) int {
		u, err := d.Engine().UDUsage("XDT_PLT_UD", 5*time.Second)
		if err != nil || len(u) != 1 {
			t.Fatalf("usage: %+v %v", u, err)
		}
		return len(u[0].Users)
	}

	clock.Set(loggedOff.Add(90*24*time.Hour - time.Minute))
	d.Shutdown()
	d = startDated(t, clock, lines, dir) // the lease is persisted
	defer func() { d.Shutdown() }()
	time.Sleep(1500 * time.Millisecond) // an optimizer pass or more at this clock: nothing may end
	if n := users(d); n != 1 {
		t.Fatalf("%d user licenses a minute before the lease ends, want ann's", n)
	}
	clock.Set(loggedOff.Add(90*24*time.Hour + time.Second))
	eventually(t, 10*time.Second, "the lease to end", func() bool { return users(d) == 0 })
	d.Shutdown()
	d = startDated(t, clock, lines, dir)
	if n := users(d); n != 0 {
		t.Fatalf("the ended lease came back after a restart: %d user licenses", n)
	}
}

// udadmin's event log keeps the configured retention (30 days by default): older events go.
func TestUserDeviceEventsKeepTheirRetention(t *testing.T) {
	clock := &fakeClock{now: time.Date(2027, 1, 1, 9, 0, 0, 0, time.UTC)}
	dir := t.TempDir()
	d := startDated(t, clock, []license.LineSpec{{Feature: "XDT_PLT_UD", Count: 10, CSS: 20991231, Permanent: true}}, dir)
	defer d.Shutdown()
	c, err := wire.Dial(context.Background(), []string{d.VendorAddr().String()}, wire.ClientOptions{ClientID: "ev", Product: "XDT", Host: "ddc"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	token, err := os.ReadFile(filepath.Join(dir, "data", "admin.token"))
	if err != nil {
		t.Fatal(err)
	}
	events := func() []wire.UDEvent {
		var res wire.UDAdminResult
		if err := c.Admin(ctx(t), strings.TrimSpace(string(token)), "udadmin", wire.UDAdminArgs{Op: "events", Feature: "XDT_PLT_UD"}, &res); err != nil {
			t.Fatal(err)
		}
		return res.Events
	}
	connect := func(user string) {
		if _, err := c.Checkout(ctx(t), wire.Checkout{Feature: "XDT_PLT_UD", User: user, Device: user + "-pc"}); err != nil {
			t.Fatal(err)
		}
	}
	connect("old")
	eventually(t, 10*time.Second, "the first events", func() bool { return len(events()) > 0 })
	clock.Set(clock.Now().Add(31 * 24 * time.Hour))
	connect("new")
	eventually(t, 10*time.Second, "the month-old events to be pruned", func() bool {
		evs := events()
		for _, e := range evs {
			if strings.Contains(e.Text, `"old"`) {
				return false
			}
		}
		return len(evs) > 0
	})
}

// NURMAX bounds the named-user period ("Named user license (legacy)"; the license file's
// VENDOR_STRING NURMIN/NURMAX, in minutes): with NURMAX=1440 a named user's checkout ends a
// day after it was made, not after the server's 90 days.
func TestNamedUserPeriodBoundedByNURMAX(t *testing.T) {
	clock := &fakeClock{now: time.Date(2027, 1, 1, 9, 0, 0, 0, time.UTC)}
	dir := t.TempDir()
	lines := []license.LineSpec{{Feature: "XDT_PLT_NU", Count: 10, CSS: 20991231, Permanent: true,
		VendorString: ";LT=Retail;GP=720;SA=0;NURMIN=60;NURMAX=1440"}}
	d := startDated(t, clock, lines, dir)
	defer d.Shutdown()
	c, err := wire.Dial(context.Background(), []string{d.VendorAddr().String()}, wire.ClientOptions{ClientID: "nu", Product: "XDT", Host: "ddc"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	g, err := c.Checkout(ctx(t), wire.Checkout{Feature: "XDT_PLT_NU", User: "nina", Device: "nina-pc"})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Checkin(ctx(t), g.Handle); err != nil {
		t.Fatal(err)
	}
	users := func() int {
		u, err := d.Engine().UDUsage("XDT_PLT_NU", 5*time.Second)
		if err != nil || len(u) != 1 {
			t.Fatalf("usage: %+v %v", u, err)
		}
		return len(u[0].Users)
	}
	start := clock.Now()
	clock.Set(start.Add(23 * time.Hour))
	time.Sleep(1500 * time.Millisecond) // an optimizer pass or more at this clock: nothing may end
	if n := users(); n != 1 {
		t.Fatalf("%d named users 23 hours into a one-day period, want nina", n)
	}
	clock.Set(start.Add(24*time.Hour + time.Second))
	eventually(t, 10*time.Second, "the named-user checkout to end after NURMAX", func() bool { return users() == 0 })
}
