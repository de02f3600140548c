package daemon_test

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/licd/licd/actors/daemon"
	"github.com/licd/licd/bench"
	"github.com/licd/licd/license"
	"github.com/licd/licd/wire"
)

// licdCmd runs the licd binary with args (a subcommand) and returns its output and exit code.
func licdCmd(t *testing.T, env []string, args ...string) (string, int) {
	t.Helper()
	c, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(c, licdBinary, args...)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("licd %v: %v", args, err)
	}
	return string(out), code
}

// handleLife is what a product saw of one grant: when it was acknowledged, when its
// checkin was begun and when that was acknowledged (zero: not yet).
type handleLife struct {
	acked, checkinBegun, checkinAcked time.Time
}

// A backup taken under load restores to a server that holds every grant acknowledged
// before the backup began (unless its checkin was begun before the backup ended) and
// nothing whose checkin was acknowledged before the backup began (doc/HA.md "Backup and
// restore"; manual, "Disaster recovery backup and redundancy"). Real licd processes, real
// Pebble directories, real sockets: products check out and in while `licd backup` runs
// against the live server (found through its locator); `licd restore` makes a new data
// directory; a plain `licd -data` starts there. The backup is private (0700/0600), the
// load never stopped, restore refuses the live directory, a non-empty one and a tampered
// backup.
func TestBackupUnderLoadRestoresEveryAcknowledgedGrant(t *testing.T) {
	const (
		clients = 8
		workers = 4
		keep    = 16 // grants each worker holds before it checks the oldest in
	)
	f := newFixture(t)
	f.issue("ccs.lic", license.LineSpec{Feature: "XDT_PLT_CCS", Count: 1_000_000})
	// A slow disk widens the window between a decision and its durability.
	s := f.start("-test-commit-delay", "1ms")
	data := s.DataDir()

	var (
		mu    sync.Mutex
		lives = map[uint64]*handleLife{}
		seq   atomic.Int64
		ops   atomic.Int64
		stop  = make(chan struct{})
		wg    sync.WaitGroup
	)
	for i := range clients {
		c, err := wire.Dial(ctx(t), []string{s.VendorAddr()}, wire.ClientOptions{
			ClientID: fmt.Sprintf("backup-c%d", i), Product: "XDT", Host: fmt.Sprintf("ddc%d", i),
			RequestTimeout: 10 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = c.Close() })
		for w := range workers {
			// The first worker of each product never checks in: its grants are the ones
			// the restored server must hold, however long the backup takes.
			sticky := w == 0
			wg.Add(1)
			go func() {
				defer wg.Done()
				var mine []uint64
				for {
					select {
					case <-stop:
						return
					default:
					}
					dev := fmt.Sprintf("dev-%d", seq.Add(1))
					g, err := c.Checkout(ctx(t), wire.Checkout{Feature: "XDT_PLT_CCS", Device: dev, User: "u", ClientHost: dev})
					if err != nil {
						t.Errorf("checkout: %v", err)
						return
					}
					now := time.Now()
					mu.Lock()
					if _, dup := lives[g.Handle]; dup {
						t.Errorf("handle %d granted twice", g.Handle)
					}
					lives[g.Handle] = &handleLife{acked: now}
					mu.Unlock()
					ops.Add(1)
					mine = append(mine, g.Handle)
					if sticky || len(mine) <= keep {
						continue
					}
					h := mine[0]
					mine = mine[1:]
					mu.Lock()
					lives[h].checkinBegun = time.Now()
					mu.Unlock()
					if err := c.Checkin(ctx(t), h); err != nil {
						t.Errorf("checkin %d: %v", h, err)
						return
					}
					now = time.Now()
					mu.Lock()
					lives[h].checkinAcked = now
					mu.Unlock()
					ops.Add(1)
				}
			}()
		}
	}
	defer func() {
		select {
		case <-stop:
		default:
			close(stop)
		}
		wg.Wait()
	}()

	time.Sleep(800 * time.Millisecond)
	backup := filepath.Join(t.TempDir(), "nested", "backup")
	locator := []string{"LICD_RUNTIME_DIR=" + filepath.Clean(data) + ".run"}
	opsBefore := ops.Load()
	began := time.Now()
	out, code := licdCmd(t, locator, "backup", "-to", backup, "-data", data)
	ended := time.Now()
	opsDuring := ops.Load() - opsBefore
	if code != 0 {
		t.Fatalf("licd backup: exit %d\n%s\n%s", code, out, s.Output())
	}
	t.Logf("licd backup took %s; %d checkouts and checkins were acknowledged meanwhile\n%s", ended.Sub(began), opsDuring, out)
	time.Sleep(300 * time.Millisecond)
	close(stop)
	wg.Wait()
	if opsDuring == 0 {
		t.Errorf("no checkout or checkin was acknowledged while the backup ran: it paused the server")
	}

	// Private: the backup holds the vendor key, the admin token, user and device names.
	err := filepath.WalkDir(backup, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := e.Info()
		if err != nil {
			return err
		}
		want := os.FileMode(0o600)
		if fi.IsDir() {
			want = 0o700
		}
		if fi.Mode().Perm() != want {
			t.Errorf("%s: mode %v, want %v", p, fi.Mode().Perm(), want)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	m, err := daemon.ReadBackupManifest(backup)
	if err != nil {
		t.Fatal(err)
	}
	if m.Hostname != testHost || m.ServerID == "" || m.Version != daemon.Version || len(m.Files) < 6 {
		t.Errorf("manifest: %+v", m)
	}
	for _, want := range []string{"MyFiles/ccs.lic", "MyFiles/citrix_startup.lic", "admin.token", "db/LICD-STATE"} {
		found := false
		for _, f := range m.Files {
			found = found || f.Path == want
		}
		if !found {
			t.Errorf("the backup lacks %s", want)
		}
	}

	// Restore refuses the live data directory, and a non-empty one.
	if out, code := licdCmd(t, nil, "restore", "-from", backup, "-data", data); code != 1 || !strings.Contains(out, "is running on "+data) || !strings.Contains(out, "restore into a new directory") {
		t.Errorf("restore over the live data directory: exit %d\n%s", code, out)
	}
	full := t.TempDir()
	if err := os.WriteFile(filepath.Join(full, "something"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, code := licdCmd(t, nil, "restore", "-from", backup, "-data", full); code != 1 || !strings.Contains(out, "is not empty") {
		t.Errorf("restore over a non-empty directory: exit %d\n%s", code, out)
	}

	// A tampered copy of the backup is refused, and nothing is created.
	tampered := filepath.Join(t.TempDir(), "tampered")
	if err := os.CopyFS(tampered, os.DirFS(backup)); err != nil {
		t.Fatal(err)
	}
	lic := filepath.Join(tampered, "MyFiles", "ccs.lic")
	b, err := os.ReadFile(lic)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(lic, []byte(strings.Replace(string(b), "1000000", "9000000", 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	nowhere := filepath.Join(t.TempDir(), "never")
	if out, code := licdCmd(t, nil, "restore", "-from", tampered, "-data", nowhere); code != 1 || !strings.Contains(out, "MyFiles/ccs.lic") || !strings.Contains(out, "does not match its SHA-256") {
		t.Errorf("restore of a tampered backup: exit %d\n%s", code, out)
	}
	if _, err := os.Stat(nowhere); !os.IsNotExist(err) {
		t.Errorf("a refused restore left %s behind (%v)", nowhere, err)
	}

	// Restore into a new directory and start a plain licd there.
	restored := filepath.Join(t.TempDir(), "restored")
	out, code = licdCmd(t, nil, "restore", "-from", backup, "-data", restored)
	if code != 0 {
		t.Fatalf("licd restore: exit %d\n%s", code, out)
	}
	// The vendor key the server trusted (-trust) travels with the backup.
	trusted := filepath.Join(restored, "trusted", "1-vendor.pub")
	if !strings.Contains(out, "-trust "+trusted) {
		t.Errorf("licd restore does not say to trust %s:\n%s", trusted, out)
	}
	rctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	r, err := bench.StartServer(rctx, bench.ServerOptions{Binary: licdBinary, DataDir: restored, Hostname: testHost, Trust: []string{trusted}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Stop(20 * time.Second) })
	w := dial(t, r, "WATCH")
	held := map[uint64]bool{}
	for _, co := range featureStatus(t, w, "XDT_PLT_CCS").Checkouts {
		held[co.Handle] = true
	}
	mu.Lock()
	defer mu.Unlock()
	var mustHold, mustNot, lost, resurrected int
	for h, l := range lives {
		switch {
		case l.acked.Before(began) && (l.checkinBegun.IsZero() || l.checkinBegun.After(ended)):
			mustHold++
			if !held[h] {
				lost++
				if lost <= 5 {
					t.Errorf("handle %d was acknowledged %s before the backup began and still held after it, but the restored server does not hold it", h, began.Sub(l.acked))
				}
			}
		case !l.checkinAcked.IsZero() && l.checkinAcked.Before(began):
			mustNot++
			if held[h] {
				resurrected++
				if resurrected <= 5 {
					t.Errorf("handle %d was checked in %s before the backup began, but the restored server holds it", h, began.Sub(l.checkinAcked))
				}
			}
		}
	}
	if lost+resurrected > 0 {
		t.Fatalf("%d of %d grants lost, %d of %d checked-in grants resurrected", lost, mustHold, resurrected, mustNot)
	}
	if mustHold < clients*workers || mustNot < 100 {
		t.Fatalf("only %d grants to hold and %d checked in before the backup: the test did not exercise the server", mustHold, mustNot)
	}
	t.Logf("the restored server holds all %d grants acknowledged before the backup and none of the %d checked in before it (%d held in all)", mustHold, mustNot, len(held))

	// The restored server serves: a new checkout gets a handle no earlier grant had.
	g := grant(t, w, "XDT_PLT_CCS", "after-restore", 20240101)
	if _, dup := lives[g.Handle]; dup {
		t.Errorf("the restored server granted handle %d again", g.Handle)
	}
}

// `licd backup` of a server that is not running copies its data directory directly (no
// locator names it, nobody holds its store); the grants it held are held after a restore.
// The subcommands' mistakes are usage errors (exit 2) that say what to give.
func TestBackupOfAStoppedServer(t *testing.T) {
	f := newFixture(t)
	f.issue("ccs.lic", license.LineSpec{Feature: "XDT_PLT_CCS", Count: 10})
	s := f.start()
	c := dial(t, s, "XDT")
	g1 := grant(t, c, "XDT_PLT_CCS", "one", 20240101)
	g2 := grant(t, c, "XDT_PLT_CCS", "two", 20240101)
	if err := s.Stop(20 * time.Second); err != nil {
		t.Fatal(err)
	}
	backup := filepath.Join(t.TempDir(), "backup")
	out, code := licdCmd(t, []string{"LICD_RUNTIME_DIR=" + filepath.Clean(s.DataDir()) + ".run"}, "backup", "-to", backup, "-data", s.DataDir(), "-hostname", testHost)
	if code != 0 {
		t.Fatalf("licd backup of a stopped server: exit %d\n%s", code, out)
	}
	restored := filepath.Join(t.TempDir(), "restored")
	if out, code := licdCmd(t, nil, "restore", "-from", backup, "-data", restored); code != 0 || !strings.Contains(out, "licd -data "+restored) {
		t.Fatalf("licd restore: exit %d\n%s", code, out)
	}
	rctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	r, err := bench.StartServer(rctx, bench.ServerOptions{Binary: licdBinary, DataDir: restored, Hostname: testHost, Trust: []string{f.pubPath}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Stop(20 * time.Second) })
	held := map[uint64]bool{}
	for _, co := range featureStatus(t, dial(t, r, "WATCH"), "XDT_PLT_CCS").Checkouts {
		held[co.Handle] = true
	}
	if !held[g1.Handle] || !held[g2.Handle] {
		t.Errorf("the restored server holds %v, want handles %d and %d", held, g1.Handle, g2.Handle)
	}

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"backup"}, "give the backup directory with -to DIR"},
		{[]string{"restore", "-from", backup}, "the new data directory with -data DIR"},
		{[]string{"backup", "-no-such-flag"}, "usage: licd backup"},
	} {
		if out, code := licdCmd(t, nil, tc.args...); code != 2 || !strings.Contains(out, tc.want) {
			t.Errorf("licd %v: exit %d, want 2 with %q\n%s", tc.args, code, tc.want, out)
		}
	}
}
