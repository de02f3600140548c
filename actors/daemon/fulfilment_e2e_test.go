package daemon_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/licd/licd/actors/alerts"
	"github.com/licd/licd/actors/daemon"
	"github.com/licd/licd/bench"
	"github.com/licd/licd/license"
	"github.com/licd/licd/wire"
)

// End-to-end tests of the fulfilment flow with two real processes on loopback: a real
// `licgen serve` (the vendor's fulfilment service) and a real licd ("Install licenses",
// "Use license access code", "Check for and install Customer Success Services renewal
// licenses", "Update licenses", "Configure a proxy server").

var (
	licgenOnce sync.Once
	licgenPath string
	licgenErr  error
)

// licgenBinary builds cmd/licgen once for the package's tests.
func licgenBinary(t *testing.T) string {
	t.Helper()
	licgenOnce.Do(func() {
		dir, err := os.MkdirTemp("", "licgen-e2e-bin")
		if err != nil {
			licgenErr = err
			return
		}
		licgenPath = filepath.Join(dir, "licgen")
		cmd := exec.Command("go", "build", "-o", licgenPath, "./cmd/licgen")
		cmd.Dir = "../.."
		if out, err := cmd.CombinedOutput(); err != nil {
			licgenErr = fmt.Errorf("go build ./cmd/licgen: %v\n%s", err, out)
		}
	})
	if licgenErr != nil {
		t.Fatal(licgenErr)
	}
	return licgenPath
}

// vendor is a running `licgen serve` with its store and key.
type vendor struct {
	t     *testing.T
	bin   string
	dir   string
	store string
	url   string
	ca    string
}

const testCode = "LA-0001-TEST"

// startVendor starts licgen serve signing with keyPath, with one entitlement of 10
// XDT_PLT_CCS (Retail, CSS 2027.0101) under testCode.
func startVendor(t *testing.T, keyPath string) *vendor {
	t.Helper()
	v := &vendor{t: t, bin: licgenBinary(t), dir: t.TempDir()}
	v.store = filepath.Join(v.dir, "store.json")
	v.licgen("entitle", "-store", v.store, "-code", testCode, "-customer", "Example Inc", "-feature", "XDT_PLT_CCS",
		"-count", "10", "-css", "2027.0101", "-vendor-string", ";LT=Retail;GP=720;SA=0")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	f, err := bench.StartFulfilment(ctx, bench.FulfilmentOptions{Binary: v.bin, Key: keyPath, Store: v.store, Dir: v.dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := f.Stop(15 * time.Second); err != nil {
			t.Error(err)
		}
	})
	v.url, v.ca = f.URL, f.CA
	return v
}

func (v *vendor) licgen(args ...string) string {
	v.t.Helper()
	out, err := exec.Command(v.bin, args...).CombinedOutput()
	if err != nil {
		v.t.Fatalf("licgen %v: %v\n%s", args, err, out)
	}
	return string(out)
}

// available asks the service directly how many licenses the entitlement has left.
func (v *vendor) available() int {
	v.t.Helper()
	pem, _ := os.ReadFile(v.ca)
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	hc := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	resp, err := hc.Get(v.url + "/v1/entitlements/" + testCode)
	if err != nil {
		v.t.Fatal(err)
	}
	defer resp.Body.Close()
	var e daemon.Entitlements
	if err := json.NewDecoder(resp.Body).Decode(&e); err != nil || len(e.Entitlements) != 1 {
		v.t.Fatalf("entitlements: %v %+v", err, e)
	}
	return e.Entitlements[0].Available
}

// admin makes one admin request of a licd.
func admin(t *testing.T, s *bench.Server, f *fixture, op string, args, out any) error {
	t.Helper()
	c := dial(t, s, "ADMIN")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	return c.Admin(ctx, adminToken(t, f), op, args, out)
}

func fixtureKey(t *testing.T, f *fixture) string {
	t.Helper()
	return filepath.Join(filepath.Dir(f.pubPath), "vendor.key")
}

// restartWith stops s and starts licd again on the same data directory with other flags.
func (f *fixture) restartWith(s *bench.Server, args ...string) *bench.Server {
	f.t.Helper()
	if err := s.Stop(20 * time.Second); err != nil {
		f.t.Fatal(err)
	}
	return f.start(args...)
}

func licFiles(t *testing.T, f *fixture) []string {
	t.Helper()
	m, _ := filepath.Glob(filepath.Join(f.licenseDir(), "fulfil-*"))
	return m
}

func alertsOf(t *testing.T, s *bench.Server, f *fixture) []wire.Alert {
	t.Helper()
	var as []wire.Alert
	if err := admin(t, s, f, "alerts", nil, &as); err != nil {
		t.Fatal(err)
	}
	return as
}

// Install by access code: the entitlements are listed, 4 of 10 are allocated to this
// server and installed as a verified license file; asking for more than is left installs
// nothing; a return deletes the file and gives the licenses back. A file signed by a key
// licd does not trust is refused whole, its allocation given back, and an alert says so.
func TestFulfilmentInstallByCodeAndReturn(t *testing.T) {
	f := newFixture(t)
	v := startVendor(t, fixtureKey(t, f))
	s := f.start("-fulfilment-url", v.url, "-fulfilment-ca", v.ca, "-renewal-action", "manual")

	var ents daemon.Entitlements
	if err := admin(t, s, f, "fulfil.entitlements", daemon.FulfilmentArgs{Code: testCode}, &ents); err != nil {
		t.Fatal(err)
	}
	if len(ents.Entitlements) != 1 || ents.Entitlements[0].Feature != "XDT_PLT_CCS" || ents.Entitlements[0].Available != 10 {
		t.Fatalf("entitlements: %+v", ents)
	}
	var inst daemon.CodeInstall
	if err := admin(t, s, f, "fulfil.install", daemon.FulfilmentArgs{Code: testCode, Quantity: 4}, &inst); err != nil {
		t.Fatal(err)
	}
	if inst.File != "fulfil-"+inst.Allocation+".lic" || inst.Quantity != 4 {
		t.Fatalf("install: %+v", inst)
	}
	c := dial(t, s, "XDT")
	if fs := featureStatus(t, c, "XDT_PLT_CCS"); fs.Issued != 4 {
		t.Fatalf("installed XDT_PLT_CCS: %+v, want 4", fs)
	}
	if got := v.available(); got != 6 {
		t.Fatalf("vendor says %d available, want 6", got)
	}
	if err := admin(t, s, f, "fulfil.install", daemon.FulfilmentArgs{Code: testCode, Quantity: 7}, nil); err == nil || !strings.Contains(err.Error(), "6 licenses available") {
		t.Fatalf("7 of 6: %v", err)
	}
	if err := admin(t, s, f, "fulfil.install", daemon.FulfilmentArgs{Code: "LA-NOPE-0000", Quantity: 1}, nil); err == nil || !strings.Contains(err.Error(), "not known") {
		t.Fatalf("unknown code: %v", err)
	}
	if err := admin(t, s, f, "fulfil.install", daemon.FulfilmentArgs{Code: "bad code!", Quantity: 1}, nil); err == nil {
		t.Fatal("a malformed code was sent")
	}
	if n := len(licFiles(t, f)); n != 1 {
		t.Fatalf("%d fulfil files after refusals, want 1", n)
	}
	var ret daemon.CodeInstall
	if err := admin(t, s, f, "fulfil.return", daemon.FulfilmentArgs{Allocation: inst.Allocation}, &ret); err != nil {
		t.Fatal(err)
	}
	if ret.Returned == nil || len(licFiles(t, f)) != 0 || v.available() != 10 {
		t.Fatalf("after the return: %+v files %v available %d", ret, licFiles(t, f), v.available())
	}
	st, err := c.Status(ctx(t), "")
	if err != nil {
		t.Fatal(err)
	}
	for _, fs := range st.Features {
		if fs.Feature == "XDT_PLT_CCS" && fs.Issued != 0 {
			t.Fatalf("XDT_PLT_CCS still installed after the return: %+v", fs)
		}
	}

	// A service signing with a key licd does not trust: nothing installed, allocation given back.
	otherPub, otherPriv, _ := license.GenerateKey()
	otherDir := t.TempDir()
	if err := license.WriteKeyPair(otherDir, otherPub, otherPriv); err != nil {
		t.Fatal(err)
	}
	rogue := startVendor(t, filepath.Join(otherDir, "vendor.key"))
	s2 := f.restartWith(s, "-fulfilment-url", rogue.url, "-fulfilment-ca", rogue.ca, "-renewal-action", "manual")
	err = admin(t, s2, f, "fulfil.install", daemon.FulfilmentArgs{Code: testCode, Quantity: 3}, nil)
	if err == nil || !strings.Contains(err.Error(), "not signed by a trusted vendor key") {
		t.Fatalf("untrusted file: %v", err)
	}
	if len(licFiles(t, f)) != 0 || rogue.available() != 10 {
		t.Fatalf("after a bad signature: files %v, vendor available %d (want none, 10)", licFiles(t, f), rogue.available())
	}
	if a := findAlert(alertsOf(t, s2, f), alerts.KindFulfilmentFailed); a == nil || !strings.Contains(a.Message, "trusted vendor key") {
		t.Fatalf("no fulfilment alert for the bad signature: %+v", alertsOf(t, s2, f))
	}
}

// countingProxy is an HTTP CONNECT proxy on loopback that counts the tunnels asked of it
// and can refuse them (403), as a proxy that does not allow the destination would.
type countingProxy struct {
	srv      *http.Server
	url      string
	connects atomic.Int64
	refuse   atomic.Bool
}

func startProxy(t *testing.T) *countingProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &countingProxy{url: "http://" + ln.Addr().String()}
	p.srv = &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodConnect {
			http.Error(w, "CONNECT only", http.StatusMethodNotAllowed)
			return
		}
		p.connects.Add(1)
		if p.refuse.Load() {
			http.Error(w, "destination not allowed", http.StatusForbidden)
			return
		}
		up, err := net.DialTimeout("tcp", r.Host, 10*time.Second)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		hj, ok := w.(http.Hijacker)
		if !ok {
			up.Close()
			http.Error(w, "no hijack", http.StatusInternalServerError)
			return
		}
		down, rw, err := hj.Hijack()
		if err != nil {
			up.Close()
			return
		}
		_, _ = rw.WriteString("HTTP/1.1 200 Connection established\r\n\r\n")
		_ = rw.Flush()
		go func() { _, _ = io.Copy(up, rw); up.Close() }()
		_, _ = io.Copy(down, up)
		down.Close()
	})}
	go func() { _ = p.srv.Serve(ln) }()
	t.Cleanup(func() { _ = p.srv.Close() })
	return p
}

// adminRetry is admin that retries while another fulfilment operation (the scheduled
// check) holds the server's fulfilment lock.
func adminRetry(t *testing.T, s *bench.Server, f *fixture, op string, args, out any) error {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		err := admin(t, s, f, op, args, out)
		if err == nil || !strings.Contains(err.Error(), "try again in a moment") || time.Now().After(deadline) {
			return err
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func poolVersion(t *testing.T, s *bench.Server, feature string) []string {
	t.Helper()
	c := dial(t, s, "XDT")
	var out []string
	for _, p := range featureStatus(t, c, feature).Pools {
		out = append(out, fmt.Sprintf("%s:%d", p.Version, p.Count))
	}
	return out
}

// The renewal check with the action auto through a proxy: every call goes through the
// proxy ("Configure a proxy server"); the weekly schedule (here 1 s) finds the renewal of
// the file installed by access code and installs it over that file (same count, later CSS
// date), lists it as installed and raises the renewal-installed alert; a proxy that refuses
// the destination is a failure alert saying so, never a crash.
func TestRenewalAutoThroughProxy(t *testing.T) {
	f := newFixture(t)
	v := startVendor(t, fixtureKey(t, f))
	p := startProxy(t)
	s := f.start("-fulfilment-url", v.url, "-fulfilment-ca", v.ca, "-proxy", p.url, "-renewal-action", "auto", "-renewal-interval", "1s")
	var inst daemon.CodeInstall
	if err := adminRetry(t, s, f, "fulfil.install", daemon.FulfilmentArgs{Code: testCode, Quantity: 5}, &inst); err != nil {
		t.Fatal(err)
	}
	if p.connects.Load() < 3 {
		t.Fatalf("%d CONNECTs through the proxy, want at least 3 (entitlements, allocation, download)", p.connects.Load())
	}
	if got := poolVersion(t, s, "XDT_PLT_CCS"); len(got) != 1 || got[0] != "2027.0101:5" {
		t.Fatalf("installed pools: %v", got)
	}
	v.licgen("renew", "-store", v.store, "-code", testCode, "-css", "2028.0101")
	var st daemon.RenewalState
	eventually(t, 30*time.Second, "the scheduled check installing the renewal", func() bool {
		if err := adminRetry(t, s, f, "renewal.list", nil, &st); err != nil {
			t.Fatal(err)
		}
		return len(st.Installed) == 1
	})
	if r := st.Installed[0]; r.SN != inst.Allocation || r.CSS != "2028.0101" || r.Was != "2027.0101" || r.File != inst.File || len(st.Available) != 0 {
		t.Fatalf("renewal state: %+v", st)
	}
	if got := poolVersion(t, s, "XDT_PLT_CCS"); len(got) != 1 || got[0] != "2028.0101:5" {
		t.Fatalf("pools after the renewal: %v (want the same 5 licenses with the later CSS date)", got)
	}
	if n := len(licFiles(t, f)); n != 1 {
		t.Fatalf("%d fulfil files, want the one replaced", n)
	}
	if a := findAlert(alertsOf(t, s, f), alerts.KindRenewalInstalled); a == nil {
		t.Fatal("no renewal-installed alert")
	}
	before := p.connects.Load()
	p.refuse.Store(true)
	err := adminRetry(t, s, f, "renewal.check", nil, nil)
	if err == nil || !strings.Contains(err.Error(), "proxy") || !strings.Contains(err.Error(), "refused") {
		t.Fatalf("check through a refusing proxy: %v", err)
	}
	if p.connects.Load() <= before {
		t.Fatal("the check did not go through the proxy")
	}
	if a := findAlert(alertsOf(t, s, f), alerts.KindFulfilmentFailed); a == nil || !strings.Contains(a.Message, "proxy") {
		t.Fatalf("no proxy failure alert: %+v", alertsOf(t, s, f))
	}
	p.refuse.Store(false)
	if err := adminRetry(t, s, f, "renewal.check", nil, &st); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "the failure alert to clear", func() bool {
		return findAlert(alertsOf(t, s, f), alerts.KindFulfilmentFailed) == nil
	})
	// A proxy that is not running.
	_ = p.srv.Close()
	err = adminRetry(t, s, f, "renewal.check", nil, nil)
	if err == nil || !strings.Contains(err.Error(), "the proxy") || !strings.Contains(err.Error(), "cannot be reached") {
		t.Fatalf("check through a stopped proxy: %v", err)
	}
}

// The action notify: an on-demand check lists the renewal and raises the renewal-available
// alert without installing; "Download and Install" (renewal.install) installs it; the list
// of installed renewals survives a restart. A service whose certificate licd does not trust
// and one that cannot be reached are failures with what to do.
func TestRenewalNotifyThenInstall(t *testing.T) {
	f := newFixture(t)
	v := startVendor(t, fixtureKey(t, f))
	s := f.start("-fulfilment-url", v.url, "-fulfilment-ca", v.ca, "-renewal-action", "notify")
	var inst daemon.CodeInstall
	if err := adminRetry(t, s, f, "fulfil.install", daemon.FulfilmentArgs{Code: testCode, Entitlement: "XDT_PLT_CCS", Quantity: 2}, &inst); err != nil {
		t.Fatal(err)
	}
	var st daemon.RenewalState
	if err := adminRetry(t, s, f, "renewal.check", nil, &st); err != nil || len(st.Available) != 0 || st.Action != "notify" {
		t.Fatalf("check before a renewal: %+v %v", st, err)
	}
	v.licgen("renew", "-store", v.store, "-code", testCode, "-css", "2028.0101")
	if err := adminRetry(t, s, f, "renewal.check", nil, &st); err != nil {
		t.Fatal(err)
	}
	if len(st.Available) != 1 || st.Available[0].SN != inst.Allocation || st.Available[0].CSS != "2028.0101" || len(st.Installed) != 0 {
		t.Fatalf("check after the renewal: %+v", st)
	}
	if got := poolVersion(t, s, "XDT_PLT_CCS"); got[0] != "2027.0101:2" {
		t.Fatalf("notify installed the renewal: %v", got)
	}
	if a := findAlert(alertsOf(t, s, f), alerts.KindRenewalAvailable); a == nil || !strings.Contains(a.Message, "XDT_PLT_CCS") {
		t.Fatalf("no renewal-available alert: %+v", alertsOf(t, s, f))
	}
	if err := adminRetry(t, s, f, "renewal.install", daemon.FulfilmentArgs{SN: inst.Allocation}, &st); err != nil {
		t.Fatal(err)
	}
	if len(st.Installed) != 1 || len(st.Available) != 0 {
		t.Fatalf("after install: %+v", st)
	}
	if got := poolVersion(t, s, "XDT_PLT_CCS"); got[0] != "2028.0101:2" {
		t.Fatalf("pools after install: %v", got)
	}

	// Without the service's CA the certificate is not trusted.
	s = f.restartWith(s, "-fulfilment-url", v.url, "-renewal-action", "manual")
	st = daemon.RenewalState{}
	if err := adminRetry(t, s, f, "renewal.list", nil, &st); err != nil || len(st.Installed) != 1 || st.Action != "manual" || !st.NextCheck.IsZero() {
		t.Fatalf("renewals after a restart: %+v %v", st, err)
	}
	if a := findAlert(alertsOf(t, s, f), alerts.KindRenewalInstalled); a == nil {
		t.Fatal("the renewal-installed alert did not survive the restart")
	}
	err := adminRetry(t, s, f, "renewal.check", nil, nil)
	if err == nil || !strings.Contains(err.Error(), "not trusted") {
		t.Fatalf("untrusted certificate: %v", err)
	}
	if a := findAlert(alertsOf(t, s, f), alerts.KindFulfilmentFailed); a == nil || !strings.Contains(a.Action, "-fulfilment-ca") {
		t.Fatalf("no certificate alert: %+v", alertsOf(t, s, f))
	}

	// A service that is not there.
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	dead := "https://" + ln.Addr().String()
	ln.Close()
	s = f.restartWith(s, "-fulfilment-url", dead, "-renewal-action", "manual")
	err = adminRetry(t, s, f, "fulfil.install", daemon.FulfilmentArgs{Code: testCode, Quantity: 1}, nil)
	if err == nil || !strings.Contains(err.Error(), "cannot be reached") {
		t.Fatalf("unreachable service: %v", err)
	}
	if n := len(licFiles(t, f)); n != 1 {
		t.Fatalf("%d fulfil files after the failures, want 1", n)
	}
}

// The daemon's fulfilment methods, which the HTTPS API calls, in-process (so that the race
// detector sees them) against a real licgen serve: install all of an entitlement, the
// renewal check with the action auto installs the renewal, the list, the return.
func TestFulfilmentMethodsInProcess(t *testing.T) {
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
	if err := os.WriteFile(filepath.Join(lic, "citrix_startup.lic"), []byte(startup), 0o644); err != nil {
		t.Fatal(err)
	}
	v := startVendor(t, filepath.Join(keys, "vendor.key"))
	d, err := daemon.Start(daemon.Config{DataDir: filepath.Join(dir, "data"), Hostname: testHost, ListenHost: "127.0.0.1",
		LMPort: -1, VendorPort: -1, TrustedKeys: []string{filepath.Join(keys, "vendor.pub")}, DebugLog: discard{},
		Fulfilment: daemon.FulfilmentConfig{URL: v.url, CAFile: v.ca}, Settings: daemon.SettingDefaults{RenewalAction: "auto"}})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Shutdown()
	retry := func(f func() error) error {
		deadline := time.Now().Add(20 * time.Second)
		for {
			err := f()
			if err == nil || !strings.Contains(err.Error(), "try again in a moment") || time.Now().After(deadline) {
				return err
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	var inst *daemon.CodeInstall
	if err := retry(func() (err error) { inst, err = d.InstallByAccessCode(testCode, "", 0); return }); err != nil {
		t.Fatal(err)
	}
	if inst.Quantity != 10 || v.available() != 0 {
		t.Fatalf("install of all: %+v, vendor available %d", inst, v.available())
	}
	if _, err := d.InstallByAccessCode(testCode, "", 1); err == nil {
		t.Fatal("installed from an exhausted entitlement")
	}
	v.licgen("renew", "-store", v.store, "-code", testCode, "-css", "2029.0101")
	var st *daemon.RenewalState
	if err := retry(func() (err error) { st, err = d.CheckRenewals(); return }); err != nil {
		t.Fatal(err)
	}
	if len(st.Installed) != 1 || st.Installed[0].CSS != "2029.0101" || st.Action != "auto" {
		t.Fatalf("auto check: %+v", st)
	}
	if got, err := d.Renewals(); err != nil || len(got.Installed) != 1 {
		t.Fatalf("Renewals: %+v %v", got, err)
	}
	list, err := d.CodeInstalls()
	if err != nil || len(list) != 1 || list[0].Allocation != inst.Allocation {
		t.Fatalf("CodeInstalls: %+v %v", list, err)
	}
	if _, err := d.ReturnAllocation(inst.Allocation); err != nil {
		t.Fatal(err)
	}
	if v.available() != 10 {
		t.Fatalf("vendor available after the return: %d", v.available())
	}
	if _, err := d.ReturnAllocation(inst.Allocation); err == nil {
		t.Fatal("returned twice")
	}
}
