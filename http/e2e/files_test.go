package e2e

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/licd/licd/actors/daemon"
	"github.com/licd/licd/license"
)

type uploadAnswer struct {
	File     string
	Replaced bool
	Lines    []daemon.LineVerdict
	Reread   struct{ Added, Updated, Removed, Pending []string }
}

func verdicts(lines []daemon.LineVerdict) string {
	var parts []string
	for _, l := range lines {
		parts = append(parts, l.Feature+":"+l.Verdict)
	}
	return strings.Join(parts, " ")
}

// features lists the inventory's features.
func (e *env) features(c *caller) string {
	e.t.Helper()
	var inv struct{ Products []struct{ Feature string } }
	e.ok(e.json(c, "GET", "/api/v1/inventory", nil), &inv)
	var out []string
	for _, p := range inv.Products {
		out = append(out, p.Feature)
	}
	return strings.Join(out, " ")
}

// dirState is the license directory's names and contents, to show that nothing changed.
func dirState(t *testing.T, dir string) string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, en := range entries {
		data, _ := os.ReadFile(filepath.Join(dir, en.Name()))
		b.WriteString(en.Name() + "\n" + string(data) + "\n")
	}
	return b.String()
}

// TestLicenseFileUploadAndDelete ("Install licenses", "Delete license files"): a good file
// is checked and installed, and the answer says what changed; a file of the same name is
// replaced only when asked; a badly signed file is refused line by line and not written; a
// file whose START is in the future is installed as pending; a file that supersedes
// another makes that one's lines superseded; a file is deleted without stopping the
// server; malformed uploads get a clear 4xx and change nothing.
func TestLicenseFileUploadAndDelete(t *testing.T) {
	f := newFixture(t, true)
	e := f.start()
	admin := e.admin()

	base := f.issue(license.LineSpec{Feature: "XDT_ENT_CCU", Count: 10, Issued: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)})
	r := e.upload(admin, "base.lic", base, false)
	var up uploadAnswer
	e.ok(r, &up)
	if r.status != 201 || up.File != "base.lic" || up.Replaced || verdicts(up.Lines) != "XDT_ENT_CCU:active" || !contains(up.Reread.Added, "XDT_ENT_CCU") {
		t.Fatalf("good upload: %d %+v", r.status, up)
	}
	if got := e.features(admin); !strings.Contains(got, "XDT_ENT_CCU") {
		t.Fatalf("the inventory lacks the uploaded feature: %s", got)
	}

	// The same name again: refused unless replace is asked.
	before := dirState(t, f.licenseDir())
	bigger := f.issue(license.LineSpec{Feature: "XDT_ENT_CCU", Count: 20, Issued: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)})
	e.wantProblem(e.upload(admin, "base.lic", bigger, false), 409, "conflict")
	if dirState(t, f.licenseDir()) != before {
		t.Fatal("a refused upload changed the license directory")
	}
	r = e.upload(admin, "base.lic", bigger, true)
	e.ok(r, &up)
	if r.status != 200 || !up.Replaced {
		t.Fatalf("replace: %d %+v", r.status, up)
	}

	// Badly signed: every line rejected with its reason, nothing written.
	_, otherKey, _ := license.GenerateKey()
	fx2 := &fixture{t: t, priv: otherKey}
	forged := fx2.issue(license.LineSpec{Feature: "XDT_PLT_CCU", Count: 1000})
	before = dirState(t, f.licenseDir())
	r = e.upload(admin, "forged.lic", forged, false)
	e.wantProblem(r, 422, "unprocessable")
	if !bytes.Contains(r.body, []byte(`"rejected"`)) || !bytes.Contains(r.body, []byte("XDT_PLT_CCU")) {
		t.Errorf("the refusal does not give each line's verdict: %s", r.body)
	}
	if dirState(t, f.licenseDir()) != before || strings.Contains(e.features(admin), "XDT_PLT_CCU") {
		t.Fatal("a badly signed file was installed")
	}

	// START in the future: installed, pending, not in the inventory yet.
	future := f.issue(license.LineSpec{Feature: "XDT_ADV_CCU", Count: 5, Start: time.Now().AddDate(0, 2, 0)})
	e.ok(e.upload(admin, "future.lic", future, false), &up)
	if verdicts(up.Lines) != "XDT_ADV_CCU:pending" || strings.Contains(e.features(admin), "XDT_ADV_CCU") {
		t.Fatalf("future start: %+v, inventory %s", up, e.features(admin))
	}

	// A superseding file: the lines it names issued before it are superseded.
	upgrade := f.signedText(`INCREMENT XDT_PLT_CCU CITRIX 2099.1231 permanent 25 DUP_GROUP=V ISSUED=01-jan-2024 SUPERSEDE="XDT_ENT_CCU"`)
	e.ok(e.upload(admin, "upgrade.lic", upgrade, false), &up)
	if verdicts(up.Lines) != "XDT_PLT_CCU:active" {
		t.Fatalf("upgrade: %+v", up)
	}
	var files struct {
		Files []struct {
			Name  string
			Lines []daemon.LineVerdict
		}
	}
	e.ok(e.json(admin, "GET", "/api/v1/license-files", nil), &files)
	got := map[string]string{}
	for _, fl := range files.Files {
		got[fl.Name] = verdicts(fl.Lines)
	}
	if got["base.lic"] != "XDT_ENT_CCU:superseded" || got["upgrade.lic"] != "XDT_PLT_CCU:active" || got["future.lic"] != "XDT_ADV_CCU:pending" {
		t.Fatalf("license files after the upgrade: %v", got)
	}
	if inv := e.features(admin); strings.Contains(inv, "XDT_ENT_CCU") || !strings.Contains(inv, "XDT_PLT_CCU") {
		t.Fatalf("inventory after the upgrade: %s", inv)
	}

	// Delete: the file goes, its feature leaves the inventory; again is a 404; the start-up
	// license is never deleted.
	var del struct{ Deleted string }
	e.ok(e.json(admin, "DELETE", "/api/v1/license-files/upgrade.lic", nil), &del)
	if _, err := os.Stat(filepath.Join(f.licenseDir(), "upgrade.lic")); !errors.Is(err, os.ErrNotExist) || del.Deleted != "upgrade.lic" {
		t.Fatalf("upgrade.lic not deleted: %v %+v", err, del)
	}
	if inv := e.features(admin); strings.Contains(inv, "XDT_PLT_CCU") || !strings.Contains(inv, "XDT_ENT_CCU") {
		t.Fatalf("inventory after the delete: %s", inv)
	}
	e.wantProblem(e.json(admin, "DELETE", "/api/v1/license-files/upgrade.lic", nil), 404, "not-found")
	e.wantProblem(e.json(admin, "DELETE", "/api/v1/license-files/citrix_startup.lic", nil), 409, "conflict")
	e.wantProblem(e.json(admin, "DELETE", "/api/v1/license-files/..%2Fdb", nil), 422, "unprocessable")

	// Malformed uploads: a clear 4xx, and nothing changes.
	before = dirState(t, f.licenseDir())
	e.wantProblem(e.do(admin, "POST", "/api/v1/license-files", "application/json", []byte(`{"file": "x"}`)), 415, "unsupported-media-type")
	e.wantProblem(e.upload(admin, "huge.lic", strings.Repeat("#", 5<<20), false), 413, "body-too-large")
	e.wantProblem(e.upload(admin, "notes.txt", base, false), 422, "unprocessable")
	e.wantProblem(e.upload(admin, "empty.lic", "", false), 422, "unprocessable")
	e.wantProblem(e.do(admin, "POST", "/api/v1/license-files", "multipart/form-data; boundary=x", []byte("--x\r\ngarbage")), 400, "bad-request")
	if dirState(t, f.licenseDir()) != before {
		t.Fatal("a malformed upload changed the license directory")
	}

	// Every change is in the audit log with its result.
	var audit struct {
		Entries []struct{ Who, Action, Target, Result, Detail string }
	}
	e.ok(e.json(admin, "GET", "/api/v1/audit?limit=1000", nil), &audit)
	seen := map[string]bool{}
	for _, a := range audit.Entries {
		seen[a.Action+" "+a.Target+" "+a.Result] = true
	}
	for _, want := range []string{"license-file.upload base.lic ok", "license-file.upload base.lic failed", "license-file.upload forged.lic failed",
		"license-file.upload upgrade.lic ok", "license-file.delete upgrade.lic ok", "license-file.delete citrix_startup.lic failed"} {
		if !seen[want] {
			t.Errorf("audit log lacks %q: %v", want, seen)
		}
	}
}
