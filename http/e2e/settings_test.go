package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/licd/licd/actors/daemon"
	"github.com/licd/licd/license"
)

type settingsAnswer struct {
	Settings map[string]daemon.Setting
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// TestSettingsRoundTrip ("Server configuration"): settings changed through the API are
// stored and answered with their source; a change with any bad name or value changes
// nothing, nor does malformed JSON, a huge body or a wrong content type. Ports apply at
// the next start: a port flag given on the command line wins over the stored port (and the
// API says so); without the flags, licd starts on the stored ports.
func TestSettingsRoundTrip(t *testing.T) {
	f := newFixture(t, true)
	e := f.start()
	admin := e.admin()
	lm, vd, api := freePort(t), freePort(t), freePort(t)
	change := map[string]any{"proxy": "http://proxy.example.com:8080", "renewal_action": "manual", "console_language": "de",
		"burst_mode": false, "history_retention": "720h", "lm_port": lm, "vendor_port": vd, "api_port": api}
	var got settingsAnswer
	e.ok(e.json(admin, "PUT", "/api/v1/settings", change), &got)
	for _, name := range []string{"proxy", "renewal_action", "console_language", "burst_mode", "history_retention"} {
		s := got.Settings[name]
		if s.Source != "store" || fmt.Sprint(s.Value) != fmt.Sprint(map[string]any{"history_retention": "720h0m0s"}[name]) && fmt.Sprint(s.Value) != fmt.Sprint(change[name]) || s.ChangedBy != "admin" {
			t.Errorf("%s after the change: %+v", name, s)
		}
	}
	if s := got.Settings["lm_port"]; s.Source != "flag" || fmt.Sprint(s.Stored) != fmt.Sprint(lm) || !strings.Contains(s.Note, "-lm-port") || s.Applies != "next start" {
		t.Errorf("lm_port with an explicit -lm-port flag: %+v", s)
	}
	var ret struct{ Retention string }
	e.ok(e.json(admin, "GET", "/api/v1/history/retention", nil), &ret)
	if ret.Retention != "720h0m0s" {
		t.Errorf("history retention through settings: %+v", ret)
	}
	var burst settingsAnswer
	e.ok(e.json(admin, "GET", "/api/v1/settings", nil), &burst)
	if burst.Settings["burst_mode"].Value != false {
		t.Errorf("burst mode not switched off: %+v", burst.Settings["burst_mode"])
	}

	// Refused whole: nothing changes.
	before := e.json(admin, "GET", "/api/v1/settings", nil).body
	for _, bad := range []struct {
		ct, body string
		status   int
		code     string
	}{
		{"application/json", `{"proxy": "", "lm_port": 0}`, 400, "invalid-json"},
		{"application/json", `{"proxy": "", "no_such_setting": 1}`, 400, "invalid-json"},
		{"application/json", `{"renewal_action": "sometimes"}`, 400, "invalid-json"},
		{"application/json", `{"proxy": "",`, 400, "invalid-json"},
		{"application/json", `[1, 2]`, 400, "invalid-json"},
		{"text/plain", `{"proxy": ""}`, 415, "unsupported-media-type"},
		{"", `{"proxy": ""}`, 415, "unsupported-media-type"},
		{"application/json", `{"proxy": "` + strings.Repeat("x", 100<<10) + `"}`, 413, "body-too-large"},
	} {
		e.wantProblem(e.do(admin, "PUT", "/api/v1/settings", bad.ct, []byte(bad.body)), bad.status, bad.code)
	}
	e.wantProblem(e.json(admin, "PUT", "/api/v1/history/retention", map[string]string{"retention": "1h"}), 400, "bad-request")
	e.wantProblem(e.do(admin, "PUT", "/api/v1/history/retention", "application/json", []byte(`{"retention": "720h", "extra": 1}`)), 400, "invalid-json")
	if after := e.json(admin, "GET", "/api/v1/settings", nil).body; !bytes.Equal(before, after) {
		t.Fatalf("a refused change changed the settings:\n%s\n%s", before, after)
	}

	// The next start without port flags uses the stored ports; the other settings stayed.
	if err := e.srv.Stop(30 * time.Second); err != nil {
		t.Fatal(err)
	}
	ports := filepath.Join(f.dir, "ports2.json")
	cmd := exec.Command(licdBinary, "-data", f.dataDir(), "-listen", "127.0.0.1", "-hostname", testHost, "-trust", f.pubPath,
		"-demo=false", "-log-level", "error", "-ports-file", ports)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Kill()
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var p struct{ LM, Vendor, API int }
	for {
		if b, err := os.ReadFile(ports); err == nil {
			if err := json.Unmarshal(b, &p); err != nil {
				t.Fatal(err)
			}
			break
		}
		select {
		case err := <-exited:
			t.Fatalf("licd exited: %v\n%s", err, out.String())
		case <-ctx.Done():
			t.Fatalf("licd did not serve:\n%s", out.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	if p.LM != lm || p.Vendor != vd || p.API != api {
		t.Fatalf("started on %+v, want the stored ports %d %d %d\n%s", p, lm, vd, api, out.String())
	}
	e.base = fmt.Sprintf("https://127.0.0.1:%d", api)
	admin, _ = e.login("admin", adminPassword)
	e.ok(e.json(admin, "GET", "/api/v1/settings", nil), &got)
	if s := got.Settings["lm_port"]; s.Source != "store" || fmt.Sprint(s.Value) != fmt.Sprint(lm) || fmt.Sprint(s.Running) != fmt.Sprint(lm) || s.PendingRestart {
		t.Errorf("lm_port after the restart: %+v", s)
	}
	if s := got.Settings["proxy"]; s.Value != change["proxy"] || s.Source != "store" {
		t.Errorf("proxy after the restart: %+v", s)
	}
	if s := got.Settings["history_retention"]; s.Value != "720h0m0s" {
		t.Errorf("history retention after the restart: %+v", s)
	}
}

// TestOptionsFileAndHistory: the options file is read, validated without being applied,
// and replaced only without errors ("Options file"); historical usage is sampled and
// exported as CSV with the filters, and as a series ("Historical Use", "Export historical
// usage data"), with a clear 400 for a bad filter.
func TestOptionsFileAndHistory(t *testing.T) {
	f := newFixture(t, true)
	f.writeLicense("a.lic", f.issue(license.LineSpec{Feature: "XDT_ENT_CCU", Count: 10}, license.LineSpec{Feature: "XDT_PLT_UD", Count: 7}))
	e := f.start("-history-interval", "100ms")
	admin := e.admin()
	reader := e.addAccount(admin, "reader", "user", "reader password 1")

	good := "EXCLUDE XDT_ENT_CCU USER mallory\n"
	bad := "MAX five XDT_ENT_CCU USER alice\n"
	var v struct {
		Valid   bool
		Options daemon.OptionsFile
	}
	e.ok(e.do(admin, "POST", "/api/v1/options-file/validate", "text/plain", []byte(bad)), &v)
	if v.Valid || len(v.Options.Errors) == 0 {
		t.Fatalf("validate a bad options file: %+v", v)
	}
	e.ok(e.do(admin, "POST", "/api/v1/options-file/validate", "text/plain", []byte(good)), &v)
	if !v.Valid {
		t.Fatalf("validate a good options file: %+v", v)
	}
	var of daemon.OptionsFile
	e.ok(e.json(reader, "GET", "/api/v1/options-file", nil), &of)
	if of.Exists {
		t.Fatalf("validation wrote the options file: %+v", of)
	}
	e.wantProblem(e.do(admin, "PUT", "/api/v1/options-file", "text/plain", []byte(bad)), 422, "unprocessable")
	e.wantProblem(e.do(admin, "PUT", "/api/v1/options-file", "application/json", []byte(`"x"`)), 415, "unsupported-media-type")
	e.ok(e.json(reader, "GET", "/api/v1/options-file", nil), &of)
	if of.Exists {
		t.Fatalf("a refused options file was written: %+v", of)
	}
	e.ok(e.do(admin, "PUT", "/api/v1/options-file", "text/plain", []byte(good)), nil)
	e.ok(e.json(reader, "GET", "/api/v1/options-file", nil), &of)
	if !of.Exists || of.Text != good {
		t.Fatalf("options file after the replace: %+v", of)
	}

	// Samples every 100 ms: wait for a few, then query them.
	deadline := time.Now().Add(60 * time.Second)
	var series struct {
		Pools []struct {
			Feature, ProductEdition, Model string
			Points                         []struct{ Installed int }
		}
	}
	for {
		e.ok(e.json(reader, "GET", "/api/v1/history/series?product_edition=XDT_ENT", nil), &series)
		if len(series.Pools) == 1 && len(series.Pools[0].Points) >= 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no history samples: %+v", series)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if p := series.Pools[0]; p.Feature != "XDT_ENT_CCU" || p.Points[0].Installed != 10 {
		t.Fatalf("series: %+v", p)
	}
	r := e.json(reader, "GET", "/api/v1/history/export.csv?product_edition=XDT_PLT&from="+time.Now().UTC().AddDate(0, 0, -1).Format("2006-01-02"), nil)
	if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/csv") || !strings.Contains(r.header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("CSV export: %d %v", r.status, r.header)
	}
	csv := string(r.body)
	if !strings.Contains(csv, "peak in use") || !strings.Contains(csv, "XDT_PLT") || strings.Contains(csv, "XDT_ENT") {
		t.Fatalf("CSV export filtered to XDT_PLT:\n%s", csv)
	}
	for _, q := range []string{"css=abc", "from=yesterday", "to=2024-13-01", "step=fast"} {
		e.wantProblem(e.json(reader, "GET", "/api/v1/history/series?"+q, nil), 400, "bad-request")
	}
	e.wantProblem(e.json(reader, "GET", "/api/v1/history/export.csv?css=2024", nil), 400, "bad-request")
}
