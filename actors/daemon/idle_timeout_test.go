package daemon_test

import (
	"bytes"
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

// syncBuffer is a debug log a test can read while the daemon writes it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TIMEOUT and TIMEOUTALL ("Options file"), with a walked clock: a checkout whose user its
// product reported idle for the timeout is checked in at once; one whose product session has
// not been heard for the timeout is checked in by the sweep; FLEXlm's 900-second minimum
// applies to a shorter TIMEOUT; a feature's TIMEOUT wins over TIMEOUTALL; a heartbeating
// session keeps its checkouts; the start-up license is never taken; each release is an IN line with "INACTIVE: TIMEOUT".
func TestTimeoutChecksInIdleCheckouts(t *testing.T) {
	t0 := time.Date(2027, 5, 3, 9, 0, 0, 0, time.UTC)
	clock := &fakeClock{now: t0}
	dir := t.TempDir()
	pub, priv, _ := license.GenerateKey()
	keys := filepath.Join(dir, "keys")
	if err := license.WriteKeyPair(keys, pub, priv); err != nil {
		t.Fatal(err)
	}
	lic := filepath.Join(dir, "data", "MyFiles")
	if err := os.MkdirAll(lic, 0o755); err != nil {
		t.Fatal(err)
	}
	startup, _ := license.StartupLicenseFile(testHost, priv)
	text, err := license.IssueFile(license.IssueSpec{HostName: testHost, Lines: []license.LineSpec{
		{Feature: "XDT_PLT_CCS", Count: 10, CSS: 20991231, Permanent: true},
		{Feature: "MPS_ENT_CCU", Count: 10, CSS: 20991231, Permanent: true},
		{Feature: "XDT_PLT_UD", Count: 10, CSS: 20991231, Permanent: true},
	}}, priv)
	if err != nil {
		t.Fatal(err)
	}
	for name, body := range map[string]string{"citrix_startup.lic": startup, "idle.lic": text,
		"CITRIX.opt": "TIMEOUT XDT_PLT_CCS 600\nTIMEOUTALL 1000\n"} {
		if err := os.WriteFile(filepath.Join(lic, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	debug := &syncBuffer{}
	d, err := daemon.Start(daemon.Config{DataDir: filepath.Join(dir, "data"), Hostname: testHost, ListenHost: "127.0.0.1",
		LMPort: -1, VendorPort: -1, TrustedKeys: []string{filepath.Join(keys, "vendor.pub")}, DebugLog: debug,
		Now: clock.Now, WatchInterval: 20 * time.Millisecond, Linger: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Shutdown()
	open := func(id string, hb time.Duration) *wire.Client {
		c, err := wire.Dial(context.Background(), []string{d.LMAddr().String()}, wire.ClientOptions{ClientID: id, Product: "XDT", Host: id,
			Heartbeat: hb, RequestTimeout: 10 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = c.Close() })
		return c
	}
	active := open("ddc-active", 30*time.Millisecond) // heartbeats all the time
	quiet := open("ddc-quiet", 0)                     // the default 5 minutes: never within the test
	take := func(c *wire.Client, feature, device string) wire.Grant {
		g, err := c.Checkout(ctx(t), wire.Checkout{Feature: feature, User: "u-" + device, Device: device})
		if err != nil {
			t.Fatalf("checkout %s %s: %v", feature, device, err)
		}
		return g
	}
	a1, _ := take(active, "XDT_PLT_CCS", "dev-a1"), take(active, "XDT_PLT_CCS", "dev-a2")
	take(quiet, "XDT_PLT_CCS", "dev-b1")
	take(quiet, "MPS_ENT_CCU", "dev-b2")
	inUse := func(feature string) int {
		st, err := active.Status(ctx(t), feature)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range st.Features {
			if f.Feature == feature {
				return f.InUse
			}
		}
		return -1
	}

	// walk moves the clock and waits until the active product's heartbeat was heard at it.
	walk := func(to time.Time) {
		clock.Set(to)
		eventually(t, 10*time.Second, "a heartbeat of the active product at "+to.String(), func() bool {
			st, err := active.Status(ctx(t), "")
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range st.Sessions {
				if s.Host == "ddc-active" && !s.LastHeartbeat.Before(to) {
					return true
				}
			}
			return false
		})
	}
	walk(t0.Add(800 * time.Second))
	if n := inUse("XDT_PLT_CCS"); n != 3 {
		t.Fatalf("XDT_PLT_CCS in use %d at 800 s, want 3", n)
	}
	walk(t0.Add(901 * time.Second))
	eventually(t, 10*time.Second, "the quiet session's XDT_PLT_CCS checkout timed out", func() bool { return inUse("XDT_PLT_CCS") == 2 })
	if n := inUse("MPS_ENT_CCU"); n != 1 {
		t.Fatalf("MPS_ENT_CCU in use %d at 901 s under TIMEOUTALL 1000, want 1", n)
	}
	walk(t0.Add(1001 * time.Second))
	eventually(t, 10*time.Second, "the quiet session's MPS_ENT_CCU checkout timed out (TIMEOUTALL)", func() bool { return inUse("MPS_ENT_CCU") == 0 })
	if n := inUse("XDT_PLT_CCS"); n != 2 {
		t.Fatalf("the heartbeating product's checkouts were taken: XDT_PLT_CCS in use %d, want 2", n)
	}
	// The user of a1 idle 700 s (of the 1001 s it has held it): TIMEOUT 600 is raised to 900,
	// so nothing yet; idle 900 s is due.
	if released, err := active.UserIdle(ctx(t), a1.Handle, 700*time.Second); err != nil || released {
		t.Fatalf("idle 700s under a 900s minimum: released %v, %v", released, err)
	}
	if released, err := active.UserIdle(ctx(t), a1.Handle, 900*time.Second); err != nil || !released {
		t.Fatalf("idle 900s: released %v, %v", released, err)
	}
	if n := inUse("XDT_PLT_CCS"); n != 1 {
		t.Fatalf("XDT_PLT_CCS in use %d after the idle report, want 1", n)
	}

	// A user/device license is an assignment: an idle report is answered, and changes nothing.
	ud := take(active, "XDT_PLT_UD", "dev-a3")
	if released, err := active.UserIdle(ctx(t), ud.Handle, 5000*time.Second); err != nil || released {
		t.Fatalf("idle report on a user/device license: released %v, %v", released, err)
	}
	eventually(t, 10*time.Second, "three IN lines with INACTIVE: TIMEOUT", func() bool {
		n := 0
		for _, l := range strings.Split(debug.String(), "\n") {
			if strings.Contains(l, "IN: ") && strings.Contains(l, "INACTIVE: TIMEOUT") {
				n++
			}
		}
		return n == 3
	})
	if strings.Contains(debug.String(), `IN: "CITRIX"`) {
		t.Fatalf("TIMEOUTALL took a start-up license:\n%s", debug.String())
	}
}
