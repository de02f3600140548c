package e2e

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/licd/licd/license"
)

// POST /api/v1/backups makes the backup `licd backup` makes (the same daemon function): an
// administrator gets the manifest back, the directory is private and restorable; a read
// token is refused, a relative path is a 400, a directory that is not empty a 409 and one
// inside the store's own directory a 422.
func TestBackupRoute(t *testing.T) {
	f := newFixture(t, false)
	f.writeLicense("ccs.lic", f.issue(license.LineSpec{Feature: "XDT_PLT_CCS", Count: 10}))
	e := f.start()
	admin := e.admin()
	secret, _ := e.token(admin, "reader", "read")
	reader := &caller{name: "read token", token: secret}
	dir := filepath.Join(t.TempDir(), "backup")

	if r := e.json(reader, "POST", "/api/v1/backups", map[string]string{"dir": dir}); r.status != 403 {
		t.Errorf("a read token made a backup: %s", r)
	}
	e.wantProblem(e.json(admin, "POST", "/api/v1/backups", map[string]string{"dir": "relative/backup"}), 400, "bad-request")
	var made struct {
		Dir      string `json:"dir"`
		Files    int    `json:"files"`
		Manifest struct {
			ServerID string `json:"server_id"`
			Files    []struct {
				Path string `json:"path"`
			} `json:"files"`
		} `json:"manifest"`
	}
	r := e.json(admin, "POST", "/api/v1/backups", map[string]string{"dir": dir})
	if r.status != 201 {
		t.Fatalf("backup: %s", r)
	}
	e.ok(r, &made)
	if made.Dir != dir || made.Manifest.ServerID == "" || made.Files != len(made.Manifest.Files) {
		t.Errorf("answer: %+v", made)
	}
	found := false
	for _, fl := range made.Manifest.Files {
		found = found || fl.Path == "MyFiles/ccs.lic"
	}
	if !found {
		t.Errorf("the backup lacks the license file: %+v", made.Manifest.Files)
	}
	if fi, err := os.Stat(filepath.Join(dir, "licd-backup.json")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("manifest: %v %v", fi, err)
	}
	if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("backup directory: %v %v", fi, err)
	}
	e.wantProblem(e.json(admin, "POST", "/api/v1/backups", map[string]string{"dir": dir}), 409, "conflict")
	// Never inside the store's own directory.
	e.wantProblem(e.json(admin, "POST", "/api/v1/backups", map[string]string{"dir": filepath.Join(f.dataDir(), "db", "backup")}), 422, "unprocessable")
}
