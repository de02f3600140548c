package metrics_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/licd/licd/actors/daemon"
	"github.com/licd/licd/bench"
	"github.com/licd/licd/license"
	"github.com/licd/licd/wire"
)

// licdBinary is built once for the package's end-to-end tests.
var licdBinary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "licd-metrics-bin")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	licdBinary, err = bench.BuildLicd("../..", dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

const testHost = "licd-metrics-host"

// startLicd starts a real licd with -metrics-listen on a free loopback port, serving a
// concurrent feature of 2 licenses (expiring on expiry) and a user/device feature of 2 plus
// its 10% overdraft (1), and a license file signed by a key licd does not trust. It returns
// the server and the metrics URL read from the ports file.
func startLicd(t *testing.T, expiry time.Time) (*bench.Server, string) {
	t.Helper()
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	myFiles := filepath.Join(data, "MyFiles")
	if err := os.MkdirAll(myFiles, 0o755); err != nil {
		t.Fatal(err)
	}
	pub, priv, err := license.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	if err := license.WriteKeyPair(filepath.Join(dir, "keys"), pub, priv); err != nil {
		t.Fatal(err)
	}
	write := func(name string, priv []byte, spec license.IssueSpec) {
		text, err := license.IssueFile(spec, priv)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(myFiles, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	startup, err := license.StartupLicenseFile(testHost, priv)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(myFiles, "citrix_startup.lic"), []byte(startup), 0o644); err != nil {
		t.Fatal(err)
	}
	write("products.lic", priv, license.IssueSpec{HostName: testHost, Lines: []license.LineSpec{
		{Feature: "XDT_PLT_CCS", Count: 2, CSS: 20991231, Expiry: expiry, DupGroup: "V"},
		{Feature: "XDT_PLT_UD", Count: 2, Overdraft: -1, CSS: 20991231, Permanent: true, DupGroup: "V"},
	}})
	_, stranger, err := license.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	write("forged.lic", stranger, license.IssueSpec{HostName: testHost, Lines: []license.LineSpec{
		{Feature: "MPS_ENT_CCU", Count: 50, CSS: 20991231, Permanent: true, DupGroup: "V"},
	}})

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := bench.StartServer(ctx, bench.ServerOptions{Binary: licdBinary, DataDir: data, Hostname: testHost,
		Trust: []string{filepath.Join(dir, "keys", "vendor.pub")}, Args: []string{"-metrics-listen", "127.0.0.1:-1"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Stop(20 * time.Second); err != nil {
			t.Errorf("stop licd: %v", err)
		}
	})
	b, err := os.ReadFile(filepath.Join(data, "ports.json"))
	if err != nil {
		t.Fatal(err)
	}
	var ports map[string]int
	if err := json.Unmarshal(b, &ports); err != nil {
		t.Fatal(err)
	}
	if ports["metrics"] == 0 {
		t.Fatalf("the ports file has no metrics port: %s", b)
	}
	return s, fmt.Sprintf("http://127.0.0.1:%d/metrics", ports["metrics"])
}

// families scrapes url and parses the text exposition with Prometheus's own parser.
func families(t *testing.T, url string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("GET %s: %s\n%s", url, resp.Status, b)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("parse %s: %v", url, err)
	}
	return fams
}

// sample finds the sample of family name whose labels include want.
func sample(fams map[string]*dto.MetricFamily, name string, want map[string]string) (*dto.Metric, bool) {
	f := fams[name]
	if f == nil {
		return nil, false
	}
next:
	for _, m := range f.Metric {
		have := map[string]string{}
		for _, l := range m.Label {
			have[l.GetName()] = l.GetValue()
		}
		for k, v := range want {
			if have[k] != v {
				continue next
			}
		}
		return m, true
	}
	return nil, false
}

func num(fams map[string]*dto.MetricFamily, name string, labels ...string) float64 {
	want := map[string]string{}
	for i := 0; i+1 < len(labels); i += 2 {
		want[labels[i]] = labels[i+1]
	}
	m, ok := sample(fams, name, want)
	switch {
	case !ok:
		return -1
	case m.Gauge != nil:
		return m.Gauge.GetValue()
	case m.Counter != nil:
		return m.Counter.GetValue()
	case m.Histogram != nil:
		return float64(m.Histogram.GetSampleCount())
	}
	return -1
}

func dial(t *testing.T, s *bench.Server, id string) *wire.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := wire.Dial(ctx, []string{s.Addr()}, wire.ClientOptions{ClientID: id, Product: "XDT", Edition: "PLT", Model: "CCS",
		Host: id + ".example.com", VersionDate: 20240101, RequestTimeout: 10 * time.Second})
	if err != nil {
		t.Fatalf("dial: %v\n%s", err, s.Output())
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// What an administrator reads from /metrics of a real licd after grants, denials and a
// checkin: in use equals the grants held (and lmstat's count), denials counted by feature
// and code, releases by reason, sessions connected and lost, the overdraft of a
// user/device pool, the rejected license file, the group commit measured.
func TestMetricsOfARealLicd(t *testing.T) {
	expiry := time.Now().AddDate(1, 0, 0).UTC().Truncate(24 * time.Hour)
	s, url := startLicd(t, expiry)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	a, b := dial(t, s, "ddc-a"), dial(t, s, "ddc-b")
	co := func(c *wire.Client, feature, user string) (wire.Grant, error) {
		return c.Checkout(ctx, wire.Checkout{Feature: feature, User: user, Device: "dev-" + user, ClientHost: "pc-" + user, VersionDate: 20240101})
	}
	code := func(err error) wire.Code {
		if we, ok := err.(*wire.Error); ok {
			return we.Code
		}
		t.Fatalf("want a denial, got %v", err)
		return 0
	}
	ga, err := co(a, "XDT_PLT_CCS", "alice")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := co(b, "XDT_PLT_CCS", "bob"); err != nil {
		t.Fatal(err)
	}
	if _, err := co(a, "XDT_PLT_CCS", "carol"); code(err) != wire.CodeLicensedNumberReached {
		t.Fatalf("third checkout of 2: %v", err)
	}
	if _, err := co(a, "NOT_A_FEATURE", "alice"); code(err) != wire.CodeNoSuchFeature {
		t.Fatalf("unknown feature: %v", err)
	}
	if err := a.Checkin(ctx, ga.Handle); err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{"u1", "u2", "u3"} { // 2 purchased + 1 overdraft
		if _, err := co(a, "XDT_PLT_UD", u); err != nil {
			t.Fatalf("user/device %s: %v", u, err)
		}
	}
	if _, err := co(a, "XDT_PLT_UD", "u4"); code(err) != wire.CodeLicensedNumberReached {
		t.Fatalf("fourth user/device of 2+1: %v", err)
	}
	_ = b.Close() // no goodbye: the session is lost and bob's license stays held for its reconcile

	var fams map[string]*dto.MetricFamily
	deadline := time.Now().Add(30 * time.Second)
	for {
		fams = families(t, url)
		if num(fams, "licd_product_sessions", "state", "lost") == 1 || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	st, err := a.Status(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	lmstatInUse := map[string]int{}
	for _, f := range st.Features {
		lmstatInUse[f.Feature] = f.InUse
	}

	ccs := []string{"feature", "XDT_PLT_CCS"}
	ud := []string{"feature", "XDT_PLT_UD"}
	with := func(base []string, more ...string) []string { return append(append([]string(nil), base...), more...) }
	for _, c := range []struct {
		what   string
		name   string
		labels []string
		want   float64
	}{
		{"concurrent licenses in use (bob's, held while his product is lost)", "licd_pool_in_use_licenses", ccs, 1},
		{"lmstat agrees", "licd_pool_in_use_licenses", ccs, float64(lmstatInUse["XDT_PLT_CCS"])},
		{"concurrent installed", "licd_pool_installed_licenses", ccs, 2},
		{"concurrent available", "licd_pool_available_licenses", ccs, 1},
		{"concurrent checkouts", "licd_checkouts_total", ccs, 2},
		{"concurrent checkins", "licd_checkins_total", with(ccs, "reason", "checkin"), 1},
		{"concurrent denials, all in use", "licd_denials_total", with(ccs, "code", "-4"), 1},
		{"denials of a feature not served", "licd_denials_total", []string{"feature", "(not served)", "code", "-5"}, 1},
		{"expiry", "licd_pool_expiry_timestamp_seconds", ccs, float64(expiry.Unix())},
		{"user/device installed: purchased plus overdraft", "licd_pool_installed_licenses", ud, 3},
		{"user/device in use", "licd_pool_in_use_licenses", ud, 3},
		{"lmstat agrees", "licd_pool_in_use_licenses", ud, float64(lmstatInUse["XDT_PLT_UD"])},
		{"user/device overdraft in use", "licd_pool_overdraft_in_use_licenses", ud, 1},
		{"user/device available", "licd_pool_available_licenses", ud, 0},
		{"user/device checkouts", "licd_checkouts_total", ud, 3},
		{"user/device denials", "licd_denials_total", with(ud, "code", "-4"), 1},
		{"sessions connected", "licd_product_sessions", []string{"state", "connected"}, 1},
		{"sessions lost", "licd_product_sessions", []string{"state", "lost"}, 1},
		{"license files rejected", "licd_license_files_rejected", nil, 1},
		{"license lines rejected", "licd_license_lines_rejected", nil, 1},
		{"build", "licd_build_info", []string{"version", daemon.Version}, 1},
		{"live status read", "licd_status_up", nil, 1},
	} {
		if got := num(fams, c.name, c.labels...); got != c.want {
			t.Errorf("%s: %s%v = %v, want %v", c.what, c.name, c.labels, got, c.want)
		}
	}
	if m, ok := sample(fams, "licd_pool_expiry_timestamp_seconds", map[string]string{"feature": "XDT_PLT_UD"}); ok {
		t.Errorf("a permanent pool has an expiry: %v", m)
	}
	// Every grant, checkin and session record was a durable group commit.
	m, ok := sample(fams, "licd_storage_commit_records", nil)
	if !ok || m.Histogram.GetSampleCount() == 0 || m.Histogram.GetSampleSum() < 6 {
		t.Errorf("group commits: %v", m)
	}
	if m, ok := sample(fams, "licd_storage_commit_sync_seconds", nil); !ok || m.Histogram.GetSampleSum() <= 0 {
		t.Errorf("sync latency: %v", m)
	}
	if fams["go_goroutines"] == nil || fams["process_resident_memory_bytes"] == nil {
		t.Error("the Go runtime's and the process's metrics are missing")
	}

	// A goodbye releases what the session held: counted as such.
	if err := a.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	deadline = time.Now().Add(30 * time.Second)
	for {
		fams = families(t, url)
		if num(fams, "licd_checkins_total", "feature", "XDT_PLT_UD", "reason", "goodbye") == 3 || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if got := num(fams, "licd_checkins_total", "feature", "XDT_PLT_UD", "reason", "goodbye"); got != 3 {
		t.Errorf("user/device connections released by the goodbye: %v, want 3", got)
	}
	if got := num(fams, "licd_product_sessions", "state", "connected"); got != 0 {
		t.Errorf("sessions connected after the goodbye: %v, want 0", got)
	}
}
