package daemon_test

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/licd/licd/license"
)

// smallDisk mounts a tmpfs of size bytes on dir (root only), unmounted when the test ends.
func smallDisk(t *testing.T, dir string, size string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("this test needs a small real disk and mounts a tmpfs, which is not permitted here (%v: %s); run it as root", err, strings.TrimSpace(string(out)))
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", "-l", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v: %s", dir, err, out)
		}
	})
}

// fill writes a file until the disk is full, and returns its path.
func fill(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "filler")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	chunk := make([]byte, 64<<10)
	for {
		if _, err := f.Write(chunk); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatal(err)
			}
			return path
		}
	}
}

// A full disk: licd denies cleanly while it is full and grants again, by itself, as soon as
// there is space (before, the first failed write stopped the store until a restart); a
// restart on the full disk fails at once with a clear message (before, it hung with
// thousands of Pebble error lines), and succeeds once there is space, with every grant.
func TestDiskFullDeniesThenRecovers(t *testing.T) {
	f := newFixture(t)
	data := filepath.Join(f.dir, "data")
	smallDisk(t, data, "24m")
	startup, err := license.StartupLicenseFile(testHost, f.priv)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(f.licenseDir(), 0o755); err != nil {
		t.Fatal(err)
	}
	f.writeFile("citrix_startup.lic", startup)
	f.issue("ccs.lic", license.LineSpec{Feature: "XDT_PLT_CCS", Count: 1000})
	s := f.start("-disk-reserve", "2MiB")
	c := dial(t, s, "XDT")
	grant(t, c, "XDT_PLT_CCS", "before", 20240101)

	filler := fill(t, data)
	// What still fits in the pages the WAL already has may be granted (it is durable); then
	// every checkout is denied.
	granted := 1
	for {
		if _, err := checkout(t, c, "XDT_PLT_CCS", fmt.Sprintf("full-%d", granted), 20240101); err != nil {
			t.Logf("denied on the full disk after %d grants: %v", granted, err)
			break
		}
		if granted++; granted == 1000 {
			t.Fatal("1000 checkouts granted on a full disk")
		}
	}
	for i := 0; i < 20; i++ {
		if _, err := checkout(t, c, "XDT_PLT_CCS", "denied", 20240101); err == nil {
			t.Fatal("a checkout was granted on a full disk after one was denied")
		}
	}
	// Said once, not once per denial.
	if out := s.Output(); strings.Count(out, "the disk holding the data directory is full") != 1 || strings.Contains(out, "not durable") {
		t.Errorf("licd should say once that the disk is full:\n%s", out)
	}
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "a checkout to be granted once there is space again", func() bool {
		_, err := checkout(t, c, "XDT_PLT_CCS", "after", 20240101)
		return err == nil
	})
	granted++

	filler = fill(t, data)
	if err := s.Stop(20 * time.Second); err != nil {
		t.Fatal(err)
	}
	began := time.Now()
	err = s.Restart(ctx(t))
	if err == nil {
		t.Fatal("licd started on a full disk")
	}
	if !strings.Contains(err.Error(), "free space") || strings.Count(err.Error(), "\n") > 40 {
		t.Errorf("licd's refusal to start on a full disk:\n%v", err)
	}
	t.Logf("refused after %s: %v", time.Since(began), err)
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	if err := s.Restart(ctx(t)); err != nil {
		t.Fatal(err)
	}
	if fs := featureStatus(t, dial(t, s, "WATCH"), "XDT_PLT_CCS"); fs.InUse != granted {
		t.Fatalf("%d in use after the restart, want the %d granted", fs.InUse, granted)
	}
}
