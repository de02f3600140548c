package daemon

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/licd/licd/storage"
)

// offlineBackup prepares a data directory with a store, backs it up while it is stopped and
// returns the backup's directory.
func offlineBackup(t *testing.T) string {
	t.Helper()
	data := filepath.Join(t.TempDir(), "data")
	if _, err := Prepare(PrepareOptions{DataDir: data, Hostname: "h", Demo: true}); err != nil {
		t.Fatal(err)
	}
	st, err := storage.Open(filepath.Join(data, "db"), storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	b := storage.NewBatch()
	b.PutSetting(installIDSetting, []byte("0123456789abcdef0123456789abcdef"))
	b.PutGrant(&storage.Grant{Handle: 7, Session: 1, Feature: "XDT_PLT_CCS", Device: "d", User: "u"})
	if err := st.Commit(b); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	to := filepath.Join(t.TempDir(), "backup")
	info, err := BackupOffline(OfflineBackup{DataDir: data, To: to, Hostname: "h"})
	if err != nil {
		t.Fatal(err)
	}
	if info.Manifest.ServerID != "0123456789abcdef0123456789abcdef" {
		t.Fatalf("server id %q", info.Manifest.ServerID)
	}
	return to
}

// Restore refuses a backup that is not exactly what was made: no manifest, a file added,
// a file missing, a file changed, a manifest that names a path outside the backup; and a
// target that is not empty. Each refusal says where and what to do, and leaves nothing.
// An intact backup restores into a store that opens and holds the grant.
func TestRestoreRefusesWhatIsNotTheBackup(t *testing.T) {
	for _, tc := range []struct {
		name  string
		spoil func(t *testing.T, dir string)
		want  string
	}{
		{"no manifest", func(t *testing.T, dir string) { rm(t, filepath.Join(dir, BackupManifestFile)) }, "has no licd-backup.json"},
		{"a file added", func(t *testing.T, dir string) { write(t, filepath.Join(dir, "MyFiles", "extra.lic"), "x") }, "MyFiles/extra.lic is in the backup"},
		{"a file missing", func(t *testing.T, dir string) { rm(t, filepath.Join(dir, "MyFiles", "demo.lic")) }, "MyFiles/demo.lic is missing"},
		{"a file changed", func(t *testing.T, dir string) {
			write(t, filepath.Join(dir, "db", storage.StateFile), `{"schema":1,"epoch":1}`)
		}, "does not match its SHA-256"},
		{"a path outside", func(t *testing.T, dir string) {
			m, err := ReadBackupManifest(dir)
			if err != nil {
				t.Fatal(err)
			}
			m.Files = append(m.Files, BackupFile{Path: "../../etc/passwd"})
			b, _ := json.Marshal(m)
			write(t, filepath.Join(dir, BackupManifestFile), string(b))
		}, "which is not a file of a backup"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			from := offlineBackup(t)
			tc.spoil(t, from)
			to := filepath.Join(t.TempDir(), "restored")
			_, err := Restore(from, to)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error with %q", err, tc.want)
			}
			if _, err := os.Stat(to); !os.IsNotExist(err) {
				t.Errorf("a refused restore left %s (%v)", to, err)
			}
			left, _ := filepath.Glob(to + ".restoring-*")
			if len(left) > 0 {
				t.Errorf("a refused restore left %v", left)
			}
		})
	}

	from := offlineBackup(t)
	full := t.TempDir()
	write(t, filepath.Join(full, "keep-me"), "x")
	if _, err := Restore(from, full); err == nil || !strings.Contains(err.Error(), "is not empty") || !strings.Contains(err.Error(), "move this one aside") {
		t.Fatalf("restore over a non-empty directory: %v", err)
	}
	empty := t.TempDir()
	rep, err := Restore(from, empty)
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(empty); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("restored data directory: %v %v", fi, err)
	}
	if len(rep.Notes) == 0 || !strings.Contains(rep.Notes[0], `host name "h"`) {
		t.Errorf("notes: %q", rep.Notes)
	}
	st, err := storage.Open(filepath.Join(empty, "db"), storage.Options{})
	if err != nil {
		t.Fatalf("the restored store does not open: %v", err)
	}
	defer st.Close()
	n := 0
	if err := st.ForEachGrant(func(g *storage.Grant) error { n++; return nil }); err != nil || n != 1 {
		t.Fatalf("restored grants: %d, %v", n, err)
	}
}

func rm(t *testing.T, p string) {
	t.Helper()
	if err := os.Remove(p); err != nil {
		t.Fatal(err)
	}
}

func write(t *testing.T, p, s string) {
	t.Helper()
	if err := os.WriteFile(p, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
}
