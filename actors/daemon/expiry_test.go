package daemon_test

import (
	"context"
	"os"
	"path/filepath"
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
	dir := t.TempDir()
	pub, priv, err := license.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	if err := license.WriteKeyPair(filepath.Join(dir, "keys"), pub, priv); err != nil {
		t.Fatal(err)
	}
	lic := filepath.Join(dir, "data", "MyFiles")
	if err := os.MkdirAll(lic, 0o755); err != nil {
		t.Fatal(err)
	}
	startup, _ := license.StartupLicenseFile(testHost, priv)
	text, err := license.IssueFile(license.IssueSpec{HostName: testHost, Lines: []license.LineSpec{
		{Feature: "XDT_PLT_CCS", Count: 5, CSS: 20991231, Permanent: true, Start: day.AddDate(0, 0, 1)},
		{Feature: "MPS_ENT_CCU", Count: 5, CSS: 20991231, Expiry: day},
		{Feature: "XDT_PLT_UD", Count: 5, CSS: 20991231, Expiry: day},
	}}, priv)
	if err != nil {
		t.Fatal(err)
	}
	for name, body := range map[string]string{"citrix_startup.lic": startup, "dated.lic": text} {
		if err := os.WriteFile(filepath.Join(lic, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	d, err := daemon.Start(daemon.Config{DataDir: filepath.Join(dir, "data"), Hostname: testHost, ListenHost: "127.0.0.1",
		LMPort: -1, VendorPort: -1, TrustedKeys: []string{filepath.Join(dir, "keys", "vendor.pub")}, DebugLog: discard{},
		Now: clock.Now, WatchInterval: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
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
