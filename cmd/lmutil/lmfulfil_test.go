package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// lminstall and lmrenew against a real licd that talks to a real `licgen serve` ("Use
// license access code", "Update licenses"): the entitlements, an install of 3, the list,
// a renewal found by -check (action notify) and installed by -install, the return.
func TestLminstallLmrenew(t *testing.T) {
	dir := t.TempDir()
	licgen := filepath.Join(bins.dir, "licgen")
	if _, err := os.Stat(licgen); err != nil {
		cmd := exec.Command("go", "build", "-o", licgen, "./cmd/licgen")
		cmd.Dir = "../.."
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("build licgen: %v\n%s", err, out)
		}
	}
	store := filepath.Join(dir, "store.json")
	lg := func(args ...string) {
		t.Helper()
		if out, err := exec.Command(licgen, args...).CombinedOutput(); err != nil {
			t.Fatalf("licgen %v: %v\n%s", args, err, out)
		}
	}
	lg("entitle", "-store", store, "-code", "LA-LMUTIL-1", "-feature", "MPS_PLT_CCU", "-count", "8", "-css", "2027.0101")
	ready, ca := filepath.Join(dir, "ready.json"), filepath.Join(dir, "ca.pem")
	srv := exec.Command(licgen, "serve", "-key", filepath.Join(bins.dir, "vendor", "vendor.key"), "-store", store,
		"-addr", "127.0.0.1:0", "-tls-cert-out", ca, "-ready-file", ready)
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Process.Signal(syscall.SIGTERM); _ = srv.Wait() })
	var url string
	if err := poll(20*time.Second, func() (bool, error) {
		b, err := os.ReadFile(ready)
		var r struct{ URL string }
		if err == nil && json.Unmarshal(b, &r) == nil {
			url = r.URL
		}
		return url != "", nil
	}); err != nil {
		t.Fatal("licgen serve not ready:", err)
	}
	s := startServer(t, nil, "-fulfilment-url", url, "-fulfilment-ca", ca, "-renewal-action", "manual")
	run := func(util string, args ...string) result {
		t.Helper()
		return runIn(t, "", util, append(args, "-c", s.c(), "-data", s.data)...)
	}
	if r := run("lminstall", "-code", "LA-LMUTIL-1", "-list"); r.code != 0 || !regexp.MustCompile(`1 +MPS_PLT_CCU +8 +8 +0 +2027\.0101 +permanent`).MatchString(r.stdout) {
		t.Fatalf("lminstall -list: %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r := run("lminstall", "-code", "LA-LMUTIL-1", "-qty", "3")
	m := regexp.MustCompile(`Installed 3 MPS_PLT_CCU \(CSS 2027\.0101\) from access code LA-LMUTIL-1 as fulfil-([0-9a-f]{16})\.lic`).FindStringSubmatch(r.stdout)
	if r.code != 0 || m == nil {
		t.Fatalf("lminstall -qty 3: %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	alloc := m[1]
	if r := run("lminstall", "-installed"); r.code != 0 || !strings.Contains(r.stdout, alloc+"  MPS_PLT_CCU") {
		t.Fatalf("lminstall -installed: %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := run("lminstall", "-code", "LA-LMUTIL-1", "-qty", "zero"); r.code != exitUsage {
		t.Fatalf("-qty zero: %d", r.code)
	}
	if r := run("lmrenew"); r.code != exitUsage {
		t.Fatalf("lmrenew alone: %d", r.code)
	}
	lg("renew", "-store", store, "-code", "LA-LMUTIL-1", "-css", "2028.0101")
	if r := run("lmrenew", "-check"); r.code != 0 || !strings.Contains(r.stdout, "action: manual") ||
		!regexp.MustCompile(`MPS_PLT_CCU +3  CSS 2028\.0101 \(installed 2027\.0101\)  SN `+alloc).MatchString(r.stdout) ||
		!strings.Contains(r.stdout, "No renewal licenses were installed") {
		t.Fatalf("lmrenew -check: %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := run("lmrenew", "-install", alloc); r.code != 0 || !strings.Contains(r.stdout, "CSS 2028.0101 (was 2027.0101)  fulfil-"+alloc+".lic") {
		t.Fatalf("lmrenew -install: %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := run("lmrenew", "-install", alloc); r.code == 0 || !strings.Contains(r.stderr, "no renewal of serial number") {
		t.Fatalf("lmrenew -install again: %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := run("lminstall", "-return", alloc); r.code != 0 || !strings.Contains(r.stdout, "Returned allocation "+alloc+": 3 MPS_PLT_CCU") {
		t.Fatalf("lminstall -return: %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if _, err := os.Stat(filepath.Join(s.data, "MyFiles", "fulfil-"+alloc+".lic")); !os.IsNotExist(err) {
		t.Fatalf("the returned allocation's file is still there: %v", err)
	}
}
