package daemon_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/licd/licd/license"
)

// The store and CITRIX.log hold user and device names, the keys directory the vendor key and
// admin.token the right to run lmdown: other users may read none of them, whatever the umask
// licd runs under, and an admin.token or data directory an earlier licd left open is made
// private with a warning.
func TestDataDirectoryIsPrivate(t *testing.T) {
	old := syscall.Umask(0) // the child inherits it: every file would be world-writable
	t.Cleanup(func() { syscall.Umask(old) })
	f := newFixture(t)
	f.issue("ccs.lic", license.LineSpec{Feature: "XDT_PLT_CCS", Count: 3})
	data := filepath.Join(f.dir, "data")
	token := filepath.Join(data, "admin.token")
	if err := os.WriteFile(token, []byte("0123456789abcdef\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(data, 0o777); err != nil {
		t.Fatal(err)
	}
	s := f.start("-log-level", "warn")
	grant(t, dial(t, s, "XDT"), "XDT_PLT_CCS", "d1", 20240101) // the store and log are written
	if !strings.Contains(s.Output(), "admin.token was accessible to other users") {
		t.Errorf("no warning about the loose admin.token:\n%s", s.Output())
	}
	if err := s.Stop(20 * time.Second); err != nil {
		t.Fatal(err)
	}
	mode := func(p string) fs.FileMode {
		t.Helper()
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		return fi.Mode().Perm()
	}
	for _, p := range []string{data, filepath.Join(data, "db"), filepath.Join(data, "keys")} {
		if m := mode(p); m != 0o700 {
			t.Errorf("%s is %v, want drwx------", p, m)
		}
	}
	files := []string{token, filepath.Join(data, "CITRIX.log"), filepath.Join(data, "keys", "vendor.key")}
	db, err := os.ReadDir(filepath.Join(data, "db"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range db {
		files = append(files, filepath.Join(data, "db", e.Name()))
	}
	for _, p := range files {
		if m := mode(p); m != 0o600 {
			t.Errorf("%s is %v, want -rw-------", p, m)
		}
	}
	if b, _ := os.ReadFile(token); string(b) != "0123456789abcdef\n" {
		t.Errorf("the existing admin token was replaced: %q", b)
	}
}
