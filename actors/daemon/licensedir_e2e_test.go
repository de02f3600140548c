package daemon_test

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/licd/licd/license"
	"github.com/licd/licd/wire"
)

// badEntries puts into dir everything a careless administrator (or an attacker with write
// access to the license directory) could leave there under a license file's name: a dangling
// symbolic link, a directory, a FIFO (a read would block for ever), a link to /dev/zero (a
// read would never end) and a 100 MiB file. It returns each name and the reason expected.
func badEntries(t *testing.T, dir, prefix string) map[string]string {
	t.Helper()
	p := func(n string) string { return filepath.Join(dir, prefix+n) }
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.Symlink(filepath.Join(dir, "gone.lic"), p("dangling.lic")))
	must(os.Mkdir(p("dir.lic"), 0o755))
	must(syscall.Mkfifo(p("fifo.lic"), 0o644))
	must(os.Symlink("/dev/zero", p("zero.lic")))
	big, err := os.Create(p("big.lic"))
	must(err)
	must(big.Truncate(100 << 20)) // sparse: 100 MiB to stat, nothing on disk
	must(big.Close())
	return map[string]string{
		prefix + "dangling.lic": "symbolic link", prefix + "dir.lic": "a directory", prefix + "fifo.lic": "named pipe (FIFO)",
		prefix + "zero.lic": "character device", prefix + "big.lic": "over the 4194304-byte limit",
	}
}

type rereadReport struct {
	Rejected []struct{ File, Reason string }
	Options  []string
}

func reread(t *testing.T, c *wire.Client, f *fixture) rereadReport {
	t.Helper()
	var rep rereadReport
	if err := c.Admin(ctx(t), adminToken(t, f), "reread", nil, &rep); err != nil {
		t.Fatalf("lmreread: %v", err)
	}
	return rep
}

func debugLog(t *testing.T, f *fixture) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(f.dir, "data", "CITRIX.log"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// wantRefused checks that every bad entry is reported by lmreread, in the operational log
// and in the vendor debug log, each with its reason.
func wantRefused(t *testing.T, f *fixture, out string, rep rereadReport, bad map[string]string) {
	t.Helper()
	for name, reason := range bad {
		found := false
		for _, r := range rep.Rejected {
			if filepath.Base(r.File) == name && strings.Contains(r.Reason, reason) {
				found = true
			}
		}
		if !found {
			t.Errorf("lmreread does not report %s as refused (%q): %+v", name, reason, rep.Rejected)
		}
		if !strings.Contains(out, name) {
			t.Errorf("the operational log does not name %s:\n%s", name, out)
		}
		eventually(t, 10*time.Second, "the vendor debug log to name "+name, func() bool {
			log := debugLog(t, f)
			return strings.Contains(log, name) && strings.Contains(log, reason)
		})
	}
}

// "License files": a license directory holding things that are not license files still
// starts, every real license file loads, each other entry is refused with its reason, no
// read blocks or grows without bound (before, a FIFO hung start-up, lmreread and SIGTERM,
// and a link to /dev/zero ran licd out of memory), and one added later is refused by the
// directory watcher and lmreread alike.
func TestLicenseDirectoryRefusesWhatIsNotALicenseFile(t *testing.T) {
	f := newFixture(t)
	f.issue("ccs.lic", license.LineSpec{Feature: "XDT_PLT_CCS", Count: 3})
	bad := badEntries(t, f.licenseDir(), "")
	s := f.start("-log-level", "warn")
	c := dial(t, s, "XDT")
	grant(t, c, "XDT_PLT_CCS", "d1", 20240101)
	wantRefused(t, f, s.Output(), reread(t, c, f), bad)

	// Added while running: the watcher notices the change and rereads without blocking, and
	// so does lmreread.
	f.issue("adv.lic", license.LineSpec{Feature: "XDT_ADV_CCS", Count: 2})
	more := badEntries(t, f.licenseDir(), "late-")
	eventually(t, 10*time.Second, "the new license file to be picked up", func() bool {
		_, err := checkout(t, c, "XDT_ADV_CCS", "d2", 20240101)
		return err == nil
	})
	wantRefused(t, f, s.Output(), reread(t, c, f), more)
	if err := s.Stop(20 * time.Second); err != nil {
		t.Fatalf("SIGTERM with a FIFO in the license directory: %v", err)
	}
}

// "Options file": an options file that is a FIFO or a link to /dev/zero is refused with its
// reason, lmreread and the watcher do not block on it, the options in force stay in force,
// and licd starts with it present (without options then).
func TestOptionsFileRefusedWhenNotARegularFile(t *testing.T) {
	f := newFixture(t)
	f.issue("ccs.lic", license.LineSpec{Feature: "XDT_PLT_CCS", Count: 10})
	f.writeFile("CITRIX.opt", "EXCLUDE XDT_PLT_CCS USER mallory\n")
	s := f.start("-log-level", "warn")
	c := dial(t, s, "XDT")
	co := func(user, device string) error {
		_, err := c.Checkout(ctx(t), wire.Checkout{Feature: "XDT_PLT_CCS", User: user, Device: device, ClientHost: device})
		return err
	}
	wantCode(t, co("mallory", "m1"), wire.CodeExcluded)
	opt := filepath.Join(f.licenseDir(), "CITRIX.opt")
	for _, tc := range []struct {
		make   func() error
		reason string
	}{
		{func() error { return syscall.Mkfifo(opt, 0o644) }, "named pipe (FIFO)"},
		{func() error { return os.Symlink("/dev/zero", opt) }, "character device"},
	} {
		if err := os.Remove(opt); err != nil {
			t.Fatal(err)
		}
		if err := tc.make(); err != nil {
			t.Fatal(err)
		}
		rep := reread(t, c, f)
		if len(rep.Options) == 0 || !strings.Contains(rep.Options[0], tc.reason) || !strings.Contains(rep.Options[0], "kept") {
			t.Fatalf("lmreread with an options file that is a %s: %+v", tc.reason, rep.Options)
		}
		wantCode(t, co("mallory", "m2"), wire.CodeExcluded)
		eventually(t, 10*time.Second, "the vendor debug log to give the reason", func() bool {
			return strings.Contains(debugLog(t, f), tc.reason)
		})
	}
	if !strings.Contains(s.Output(), "options file not read") {
		t.Errorf("the operational log does not report the options file:\n%s", s.Output())
	}
	if err := s.Stop(20 * time.Second); err != nil {
		t.Fatalf("SIGTERM with the options file a link to /dev/zero: %v", err)
	}
	if err := s.Restart(ctx(t)); err != nil {
		t.Fatalf("licd does not start with the options file a link to /dev/zero: %v", err)
	}
	c = dial(t, s, "XDT")
	if err := co("bob", "b1"); err != nil {
		t.Fatalf("checkout after a start with a refused options file: %v", err)
	}
}
