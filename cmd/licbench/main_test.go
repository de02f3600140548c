package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/licd/licd/bench"
)

// licdBinary builds licd once for the package's tests.
func licdBinary(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	bin, err := bench.BuildLicd(filepath.Join("..", ".."), dir)
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

// smallAll runs every scenario at tiny sizes for about a second each against licd
// processes of their own, so that the harness cannot rot: `make test` runs it.
var smallAll = []string{"-scenario", "all", "-products", "4", "-concurrency", "8", "-users", "200",
	"-duration", "1s", "-warmup", "200ms", "-heartbeat", "1s", "-think", "100ms", "-optimize", "1s",
	"-baseline-time", "200ms", "-q", "--json"}

func TestSmokeEveryScenarioAgainstRealLicd(t *testing.T) {
	bin := licdBinary(t)
	dir := t.TempDir()
	var out, errOut bytes.Buffer
	args := append(append([]string{}, smallAll...), "-licd", bin, "-workdir", dir)
	if code := run(context.Background(), args, &out, &errOut); code != 0 {
		t.Fatalf("licbench exited %d:\n%s", code, errOut.String())
	}
	var rep bench.Report
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("--json output does not decode: %v\n%s", err, out.String())
	}
	if len(rep.Results) != len(bench.Scenarios()) {
		t.Fatalf("%d results for %d scenarios", len(rep.Results), len(bench.Scenarios()))
	}
	for _, r := range rep.Results {
		pr := r.Primary()
		switch {
		case r.Failed != "":
			t.Errorf("%s stopped early: %s", r.Scenario, r.Failed)
		case pr.Ops == 0 || pr.OpsPerSec <= 0:
			t.Errorf("%s: no operations in its headline phase %q", r.Scenario, pr.Name)
		case pr.Latency.Count == 0 || pr.Latency.P99 <= 0 || pr.Latency.Max < pr.Latency.P99:
			t.Errorf("%s: latencies missing or inconsistent: %+v", r.Scenario, pr.Latency)
		case r.Server == nil || r.Server.CPUSeconds <= 0 || r.Server.PeakRSSBytes <= 0:
			t.Errorf("%s: the server's CPU and memory were not read: %+v", r.Scenario, r.Server)
		case r.Baseline.EchoRoundTripsPerSec <= 0 || r.Baseline.PebbleRecordsPerSec <= 0 || r.Ratios.VsEcho <= 0:
			t.Errorf("%s: baselines or ratios missing: %+v %+v", r.Scenario, r.Baseline, r.Ratios)
		case r.Connections.Held != r.Connections.Wanted || r.Connections.Lost != 0 || r.Connections.ServerSessions != r.Connections.Wanted:
			t.Errorf("%s: connections %+v: every product should stay connected", r.Scenario, r.Connections)
		}
		for _, ph := range r.Phases {
			if ph.Errors != 0 || len(ph.Denials) != 0 {
				t.Errorf("%s %s: %d errors %v, denials %v (licenses are issued for the run: none expected)", r.Scenario, ph.Name, ph.Errors, ph.ErrorSamples, ph.Denials)
			}
		}
	}
	table := errOut.String()
	for _, want := range []string{"== licbench ccu-churn", "p99.9 ms", "vs echo", "vs Pebble", "server         pid", "== licbench sockets-10k"} {
		if !strings.Contains(table, want) {
			t.Errorf("the table lacks %q:\n%s", want, table)
		}
	}

	// The same JSON compares against itself: every figure unchanged.
	old := filepath.Join(dir, "old.json")
	if err := os.WriteFile(old, out.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	var cmp bytes.Buffer
	rep2, err := bench.ReadReport(old)
	if err != nil {
		t.Fatal(err)
	}
	bench.WriteComparison(&cmp, rep2, &rep)
	if !strings.Contains(cmp.String(), "== compare ud-150k") {
		t.Errorf("comparison:\n%s", cmp.String())
	}
}

func TestAgainstRunningServerWithDashC(t *testing.T) {
	bin := licdBinary(t)
	srv, err := startDemoLikeServer(t, bin)
	if err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"-c", srv.Addr(), "-server-pid", itoa(srv.Pid()), "-scenario", "ccu-churn",
		"-products", "2", "-concurrency", "4", "-duration", "500ms", "-warmup", "0", "-baseline=false", "-q"}, &out, &errOut)
	if code != 0 {
		t.Fatalf("exit %d:\n%s\n%s", code, out.String(), errOut.String())
	}
	for _, want := range []string{"server: " + srv.Addr(), "server         pid " + itoa(srv.Pid()), "2 wanted, 2 held"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}

	// A feature the server does not have is named, with what it has and what to do.
	errOut.Reset()
	code = run(context.Background(), []string{"-c", srv.Addr(), "-scenario", "ccu-churn", "-feature", "NOPE_PLT_CCS",
		"-products", "1", "-duration", "200ms", "-baseline=false", "-q"}, &out, &errOut)
	if code == 0 || !strings.Contains(errOut.String(), "serves no NOPE_PLT_CCS") || !strings.Contains(errOut.String(), "-feature") {
		t.Errorf("exit %d, stderr:\n%s", code, errOut.String())
	}
}

func TestTooManyConnectionsIsExplained(t *testing.T) {
	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"-c", "1@127.0.0.1", "-products", "100000000", "-q"}, &out, &errOut)
	if code == 0 {
		t.Fatal("100 million connections accepted")
	}
	if msg := errOut.String(); !strings.Contains(msg, "open files") || !strings.Contains(msg, "-products") {
		t.Errorf("the refusal does not say what to do:\n%s", msg)
	}
}

func TestUnknownScenarioListsTheOthers(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"-scenario", "nope"}, &out, &errOut); code != 2 {
		t.Fatalf("exit %d", code)
	}
	if !strings.Contains(errOut.String(), "ccu-churn, logon-storm, ud-150k, sockets-10k, mixed") {
		t.Errorf("stderr: %s", errOut.String())
	}
}

// startDemoLikeServer starts licd the way `make run` does: with its demo license
// (XDT_PLT_CCS and XDT_PLT_UD, 100 each).
func startDemoLikeServer(t *testing.T, bin string) (*bench.Server, error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	srv, err := bench.StartServer(ctx, bench.ServerOptions{Binary: bin, DataDir: t.TempDir(), Hostname: "demohost", Args: []string{"-demo=true"}})
	if err != nil {
		return nil, err
	}
	t.Cleanup(func() { _ = srv.Stop(30 * time.Second) })
	return srv, nil
}

func itoa(n int) string { return strconv.Itoa(n) }
