package bench

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/licd/licd/license"
	"github.com/licd/licd/storage"
	"github.com/licd/licd/wire"
)

// Options is one licbench run of one scenario.
type Options struct {
	Scenario *Scenario
	Params   Params // the scenario's Defaults with the user's overrides
	// Addr aims at a running server (-c port@host); empty starts licd from Licd.
	Addr      string
	Licd      string // licd binary for a self-started server
	ServerPid int    // -c: the server's process id, to read its CPU and memory (0: unknown)
	// Baseline measures the echo and Pebble baselines for BaselineTime each before the load.
	Baseline     bool
	BaselineTime time.Duration
	WorkDir      string // temporary directories (default os.TempDir())
	Keep         bool   // keep a self-started server's data directory
	ProfileDir   string // self-started: write licd's pprof profiles of the primary phase here
	TLS          bool   // self-started: products talk to licd over TLS (README "Security")
	Progress     io.Writer
	Terminal     bool // Progress is a terminal: rewrite the progress line in place
	Command      string
	// Scrape is a URL to GET every ScrapeInterval (default 100 ms) during the primary phase,
	// as a monitoring system would; ScrapeMetrics scrapes a self-started licd's own
	// /metrics (-metrics-listen). With ScrapeRounds > 0 the phase alternates windows without
	// and with scrapes, and the result compares their throughput.
	Scrape         string
	ScrapeInterval time.Duration
	ScrapeRounds   int
}

// Run runs one scenario and returns its result. A result is returned with Failed set
// when the load could not complete; err is for runs that could not start.
func Run(ctx context.Context, o Options) (*Result, error) {
	sc := o.Scenario
	p := o.Params.withDefaults()
	if err := p.Validate(); err != nil {
		return nil, err
	}
	if o.Addr == "" && o.Licd == "" {
		return nil, errors.New("no server: give -c port@host for a running licd, or a licd binary to start")
	}
	if o.WorkDir == "" {
		o.WorkDir = os.TempDir()
	}
	if err := RaiseFileLimit(p.Products); err != nil {
		return nil, err
	}
	if err := CheckPortRange(p.Products); err != nil {
		return nil, err
	}
	r := &Result{Scenario: sc.Name, Command: o.Command, Started: time.Now().UTC(), Params: p, Mode: "closed-loop"}
	switch {
	case p.Rate > 0:
		r.Mode = fmt.Sprintf("open-loop at %s/s", group(int64(p.Rate)))
	case p.Think > 0:
		r.Mode = fmt.Sprintf("closed-loop, %v think time per product", p.Think)
	}
	r.Machine = ThisMachine()
	selfStart := selfCPU()

	if o.Baseline {
		if err := measureBaselines(ctx, &r.Baseline, p, o); err != nil {
			return nil, err
		}
	}

	e := &Env{P: p, Progress: o.Progress, terminal: o.Terminal, scenario: sc.Name, result: r, RunID: runID()}
	r.RunID = e.RunID
	if o.Scrape != "" {
		if o.Scrape == ScrapeMetrics && o.Addr != "" {
			return nil, errors.New("-scrape metrics scrapes a licd that licbench starts; with -c give the URL, e.g. -scrape http://127.0.0.1:9279/metrics")
		}
		e.scraper = &scraper{url: o.Scrape, interval: o.ScrapeInterval, rounds: o.ScrapeRounds}
		if e.scraper.interval <= 0 {
			e.scraper.interval = DefaultScrapeInterval
		}
	}
	if o.Addr != "" {
		r.Target = o.Addr
		e.Addrs = []string{o.Addr}
		e.serverPid = o.ServerPid
		if err := preflight(ctx, e, sc, r); err != nil {
			e.closeFleets()
			return nil, err
		}
	} else {
		var extra []string
		if o.ProfileDir != "" {
			addr, err := freeLoopbackAddr()
			if err != nil {
				return nil, err
			}
			if err := os.MkdirAll(o.ProfileDir, 0o755); err != nil {
				return nil, fmt.Errorf("profile directory: %w", err)
			}
			extra = append(extra, "-pprof", addr)
			e.profiler = &profiler{addr: addr, dir: o.ProfileDir, scenario: sc.Name}
		}
		if o.TLS {
			args, cfg, err := productTLS(o.WorkDir)
			if err != nil {
				return nil, err
			}
			extra = append(extra, args...)
			e.tls = cfg
			r.Mode += ", products over TLS"
		}
		if o.Scrape == ScrapeMetrics {
			extra = append(extra, "-metrics-listen", "127.0.0.1:-1")
		}
		srv, dir, err := startOwnServer(ctx, o.Licd, o.WorkDir, sc, p, extra)
		if err != nil {
			return nil, err
		}
		if o.Scrape == ScrapeMetrics {
			e.scraper.url = fmt.Sprintf("http://127.0.0.1:%d/metrics", srv.MetricsPort)
		}
		defer func() {
			if r.Connections.Lost > 0 || r.Primary().Errors > 0 {
				r.ServerLog = lastLines(srv.Output(), 20)
			}
			if err := srv.Stop(30 * time.Second); err != nil && r.Failed == "" {
				r.Failed = "licd did not stop cleanly: " + err.Error()
			}
			if !o.Keep {
				_ = os.RemoveAll(dir)
			}
		}()
		r.Target = "self-started licd (" + dir + ")"
		e.Addrs = []string{srv.Addr()}
		e.serverPid = srv.Pid()
	}

	err := sc.Run(ctx, e, r)
	if err == nil && ctx.Err() != nil {
		err = ctx.Err()
	}
	if err != nil {
		r.Failed = err.Error()
	}
	sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	if !e.counted {
		e.countSessions(sctx)
	}
	cancel()
	if e.serverPid != 0 { // before the products leave, to count the connections' descriptors
		if ps, err := ReadProcStats(e.serverPid); err == nil {
			r.Server = &ps
		}
	}
	e.closeFleets()
	if r.Server != nil {
		if ps, err := ReadProcStats(e.serverPid); err == nil {
			r.Server.CPUSeconds, r.Server.PeakRSSBytes = ps.CPUSeconds, ps.PeakRSSBytes
		}
	}
	r.Harness, _ = ReadProcStats(os.Getpid())
	r.Harness.CPUSeconds -= selfStart // this scenario's share; peak RSS is the process's
	if e.profiler != nil {
		r.Profiles = e.profiler.files
		r.Notes = append(r.Notes, e.profiler.errs...)
	}
	pr := r.Primary()
	r.Ratios.RequestsPerSec = pr.OpsPerSec * pr.RequestsPerOp
	if r.Baseline.EchoRoundTripsPerSec > 0 {
		r.Ratios.VsEcho = r.Ratios.RequestsPerSec / r.Baseline.EchoRoundTripsPerSec
	}
	if r.Baseline.PebbleRecordsPerSec > 0 {
		r.Ratios.VsPebble = r.Ratios.RequestsPerSec / r.Baseline.PebbleRecordsPerSec
	}
	if sc.Targets != nil && fullSize(p, sc.Defaults.withDefaults()) {
		r.Checks = sc.Targets(r)
	}
	if e.scraper != nil {
		e.scraper.report(r)
	}
	return r, nil
}

// measureBaselines runs the echo and the group-commit baselines, sized like the scenario.
func measureBaselines(ctx context.Context, b *Baseline, p Params, o Options) error {
	d := o.BaselineTime
	if d <= 0 {
		d = 3 * time.Second
	}
	// Both ends of every echo connection live in licbench: keep within the open-file limit.
	conns := p.Products
	if lim, err := FileLimit(); err == nil {
		conns = min(conns, int(lim/2)-fdsPerRun)
	}
	conns = max(conns, 1)
	b.EchoConns, b.EchoWorkers = conns, max(p.workers(), conns)
	if o.Progress != nil {
		fmt.Fprintf(o.Progress, "%s baseline: loopback echo over %d connections, %d in flight, %v\n", o.Scenario.Name, conns, b.EchoWorkers, d)
	}
	rt, err := MeasureEcho(ctx, conns, b.EchoWorkers, d)
	if err != nil {
		return err
	}
	b.EchoRoundTripsPerSec = rt
	b.PebbleWriters = min(max(p.workers(), 1), 1024)
	if o.Progress != nil {
		fmt.Fprintf(o.Progress, "%s baseline: Pebble group commit, %d writers, %v, in %s\n", o.Scenario.Name, b.PebbleWriters, d, o.WorkDir)
	}
	rate, err := storage.MeasureGroupCommit(o.WorkDir, b.PebbleWriters, d)
	if err != nil {
		return fmt.Errorf("group-commit baseline in %s: %w", o.WorkDir, err)
	}
	b.PebbleRecordsPerSec = rate
	return nil
}

// lastLines is the end of a log, for a report.
func lastLines(s string, n int) []string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	if len(lines) == 1 && lines[0] == "" {
		return nil
	}
	return lines
}

func isUDFeature(feature string) bool {
	m, err := license.ModelOfFeature(feature)
	return err == nil && m.HasOverdraft() // the models whose licenses are leased
}

func runID() string {
	var b [3]byte
	_, _ = rand.Read(b[:])
	return "lb" + hex.EncodeToString(b[:])
}

// preflight checks, against a running server, that the features the scenario uses exist
// and have the licenses it will ask for; shortfalls are facts (and progress lines), since
// a user may want to measure denials on purpose.
func preflight(ctx context.Context, e *Env, sc *Scenario, r *Result) error {
	st, err := e.Status(ctx, "")
	if err != nil {
		return fmt.Errorf("the server at %v does not answer a status query: %w", e.Addrs, err)
	}
	holds := sc.Holds(e.P)
	for _, feature := range sortedKeys(holds) {
		need := holds[feature]
		fs, ok := FeatureStatus(st, feature)
		if !ok {
			var have []string
			for _, f := range st.Features {
				have = append(have, f.Feature)
			}
			return fmt.Errorf("the server at %v serves no %s (it has %v); name one of its features with -feature (concurrent) or -ud-feature (user/device)", e.Addrs, feature, have)
		}
		if wire.IsUserDeviceModel(fs.Model) || isUDFeature(feature) {
			msg := fmt.Sprintf("the user/device licenses of %s this run assigns stay leased on the server for the assignment period "+
				"(90 days by default, \"License assignment period\"), unless released with udadmin -f %s -delete -user NAME; "+
				"this run's users and devices are named %s-*", feature, feature, e.RunID)
			r.Notes = append(r.Notes, msg)
			if e.Progress != nil {
				fmt.Fprintln(e.Progress, "licbench: "+msg)
			}
		}
		if avail := fs.Issued - fs.InUse; avail < need { // Issued includes a user/device overdraft
			msg := fmt.Sprintf("the server has %d free licenses of %s and this run may hold %d at once: expect denials (lower -concurrency or -users to measure without them)", avail, feature, need)
			r.Notes = append(r.Notes, msg)
			if e.Progress != nil {
				fmt.Fprintln(e.Progress, "licbench: "+msg)
			}
		}
	}
	return nil
}
