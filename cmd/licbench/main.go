// Command licbench is licd's load harness: it drives a real licd the way a fleet of product
// servers would, measures throughput and latency, and puts them beside the machine's own
// limits measured in the same run (a loopback echo, group-committed Pebble writes).
//
//	licbench -scenario ccu-churn            # start a licd of its own, run, print the table
//	licbench -scenario all --json > r.json  # every scenario at full size
//	licbench -c 27000@localhost -scenario ccu-churn -concurrency 64 -duration 10s
//	licbench -scenario ccu-churn --compare r.json
//	licbench -scenario ccu-churn -scrape metrics   # with a /metrics scrape every 100 ms: the cost
//
// The scenarios live in package bench; this is its thin command line.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"golang.org/x/term"

	"github.com/licd/licd/bench"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// config is the command line beyond the scenario parameters.
type config struct {
	scenario     string
	addr         string
	serverPid    int
	licd         string
	jsonOut      bool
	compare      string
	baseline     bool
	baselineTime time.Duration
	workDir      string
	keep         bool
	profile      string
	quiet        bool
	tls          bool
	list         bool
	scrape       string
	scrapeEvery  time.Duration
	scrapeRounds int
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var cfg config
	var over bench.Params
	fs := flag.NewFlagSet("licbench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { usage(fs, stderr) }
	fs.StringVar(&cfg.scenario, "scenario", "ccu-churn", "scenario to run, or all (see -list)")
	fs.BoolVar(&cfg.list, "list", false, "list the scenarios and their full-size parameters")
	fs.StringVar(&cfg.addr, "c", "", "aim at a running licd (port@host) instead of starting one")
	fs.IntVar(&cfg.serverPid, "server-pid", 0, "with -c: the server's process id on this machine, to report its CPU and memory")
	fs.StringVar(&cfg.licd, "licd", "", "licd binary to start (default: licd next to licbench, else built from the module in the current directory)")
	fs.BoolVar(&cfg.jsonOut, "json", false, "print the results as JSON on standard output (the table goes to standard error)")
	fs.StringVar(&cfg.compare, "compare", "", "show the change against an earlier --json result FILE")
	fs.BoolVar(&cfg.baseline, "baseline", true, "measure the loopback echo and Pebble group-commit baselines first")
	fs.DurationVar(&cfg.baselineTime, "baseline-time", 3*time.Second, "how long each baseline runs")
	fs.StringVar(&cfg.workDir, "workdir", "", "directory for the server's data and the Pebble baseline (default: the system's temporary directory)")
	fs.BoolVar(&cfg.keep, "keep", false, "keep a self-started server's data directory")
	fs.StringVar(&cfg.profile, "profile", "", "write a self-started licd's CPU, allocation and heap profiles of the headline phase into DIR")
	fs.BoolVar(&cfg.quiet, "q", false, "no progress line")
	fs.BoolVar(&cfg.tls, "tls", false, "products talk to a self-started licd over TLS (to measure its cost)")
	fs.StringVar(&cfg.scrape, "scrape", "", "GET this URL every -scrape-interval during the measured phase, as a monitoring system would; \""+bench.ScrapeMetrics+"\": a self-started licd's own Prometheus /metrics")
	fs.DurationVar(&cfg.scrapeEvery, "scrape-interval", bench.DefaultScrapeInterval, "time between two scrapes (-scrape)")
	fs.IntVar(&cfg.scrapeRounds, "scrape-rounds", 5, "with -scrape: alternate this many rounds of windows without, then with scrapes in the measured phase and compare their throughput (0: scrape throughout)")

	fs.IntVar(&over.Products, "products", 0, "product-server connections")
	fs.IntVar(&over.Concurrency, "concurrency", 0, "operations in flight across all products")
	fs.IntVar(&over.Users, "users", 0, "distinct users")
	fs.IntVar(&over.Licenses, "licenses", 0, "licenses issued per feature to a self-started licd")
	fs.DurationVar(&over.Heartbeat, "heartbeat", 0, "heartbeat interval of the products and a self-started licd")
	fs.DurationVar(&over.Duration, "duration", 0, "length of the measured phase")
	fs.Int64Var(&over.Ops, "ops", 0, "operations in the measured phase, instead of -duration")
	fs.DurationVar(&over.Warmup, "warmup", 0, "load before measuring, not reported")
	fs.Float64Var(&over.Rate, "rate", 0, "open loop: operations per second (0: closed loop, as fast as the server answers)")
	fs.DurationVar(&over.Think, "think", 0, "a product's pause between its operations (sockets-10k)")
	fs.StringVar(&over.Feature, "feature", "", "concurrent feature to check out (default "+bench.DefaultFeature+")")
	fs.StringVar(&over.UDFeature, "ud-feature", "", "user/device feature to check out (default "+bench.DefaultUDFeature+")")
	fs.DurationVar(&over.Optimize, "optimize", 0, "a self-started licd's user/device optimizer interval")
	var versionDate uint
	fs.UintVar(&versionDate, "version-date", 0, "the products' version date YYYYMMDD, checked against the licenses' CSS date (default 20250101)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "licbench: unexpected argument %q; flags only (licbench -h)\n", fs.Arg(0))
		return 2
	}
	if cfg.list {
		listScenarios(stdout)
		return 0
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	over.VersionDate = uint32(versionDate)

	scenarios, err := pick(cfg.scenario)
	if err != nil {
		fmt.Fprintln(stderr, "licbench:", err)
		return 2
	}
	var old *bench.Report
	if cfg.compare != "" {
		if old, err = bench.ReadReport(cfg.compare); err != nil {
			fmt.Fprintln(stderr, "licbench:", err)
			return 2
		}
	}
	if cfg.addr == "" {
		bin, cleanup, err := findLicd(cfg.licd, stderr)
		if err != nil {
			fmt.Fprintln(stderr, "licbench:", err)
			return 1
		}
		defer cleanup()
		cfg.licd = bin
	}
	table := stdout
	if cfg.jsonOut {
		table = stderr
	}
	var progress io.Writer
	terminal := false
	if !cfg.quiet {
		progress = stderr
		if f, ok := stderr.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
			terminal = true
		}
	}

	rep := &bench.Report{}
	code := 0
	for _, sc := range scenarios {
		p := override(sc.Defaults, over, set)
		res, err := bench.Run(ctx, bench.Options{
			Scenario: sc, Params: p, Addr: cfg.addr, Licd: cfg.licd, ServerPid: cfg.serverPid,
			Baseline: cfg.baseline, BaselineTime: cfg.baselineTime, WorkDir: cfg.workDir, Keep: cfg.keep,
			ProfileDir: cfg.profile, Progress: progress, Terminal: terminal, TLS: cfg.tls,
			Command: "licbench " + strings.Join(args, " "),
			Scrape:  cfg.scrape, ScrapeInterval: cfg.scrapeEvery, ScrapeRounds: cfg.scrapeRounds,
		})
		if err != nil {
			fmt.Fprintf(stderr, "licbench: %s: %v\n", sc.Name, err)
			return 1
		}
		rep.Results = append(rep.Results, res)
		bench.WriteTable(table, res)
		if res.Failed != "" {
			code = 1
		}
		if ctx.Err() != nil {
			break
		}
	}
	if old != nil {
		bench.WriteComparison(table, old, rep)
	}
	if cfg.jsonOut {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			fmt.Fprintln(stderr, "licbench:", err)
			return 1
		}
	}
	if ctx.Err() != nil {
		fmt.Fprintln(stderr, "licbench: interrupted; the figures above cover what ran")
		return 130
	}
	return code
}

func pick(name string) ([]*bench.Scenario, error) {
	if name == "all" {
		return bench.Scenarios(), nil
	}
	var out []*bench.Scenario
	for _, n := range strings.Split(name, ",") {
		sc, err := bench.Lookup(strings.TrimSpace(n))
		if err != nil {
			return nil, err
		}
		out = append(out, sc)
	}
	return out, nil
}

// override applies the flags the user gave to a scenario's full-size defaults.
func override(p, over bench.Params, set map[string]bool) bench.Params {
	if set["products"] {
		p.Products = over.Products
	}
	if set["concurrency"] {
		p.Concurrency = over.Concurrency
	}
	if set["users"] {
		p.Users = over.Users
	}
	if set["licenses"] {
		p.Licenses = over.Licenses
	}
	if set["heartbeat"] {
		p.Heartbeat = over.Heartbeat
	}
	if set["duration"] {
		p.Duration, p.Ops = over.Duration, 0
	}
	if set["ops"] {
		p.Ops = over.Ops
		if !set["duration"] {
			p.Duration = 0
		}
	}
	if set["warmup"] {
		p.Warmup = over.Warmup
	}
	if set["rate"] {
		p.Rate = over.Rate
	}
	if set["think"] {
		p.Think = over.Think
	}
	if set["feature"] {
		p.Feature = over.Feature
	}
	if set["ud-feature"] {
		p.UDFeature = over.UDFeature
	}
	if set["optimize"] {
		p.Optimize = over.Optimize
	}
	if set["version-date"] {
		p.VersionDate = over.VersionDate
	}
	return p
}

func listScenarios(w io.Writer) {
	for _, sc := range bench.Scenarios() {
		p := sc.Defaults
		fmt.Fprintf(w, "%-12s %s\n", sc.Name, sc.Summary)
		fmt.Fprintf(w, "%-12s -products %d", "", p.Products)
		if p.Concurrency > 0 {
			fmt.Fprintf(w, " -concurrency %d", p.Concurrency)
		}
		if p.Users > 0 {
			fmt.Fprintf(w, " -users %d", p.Users)
		}
		if p.Rate > 0 {
			fmt.Fprintf(w, " -rate %g", p.Rate)
		}
		if p.Duration > 0 {
			fmt.Fprintf(w, " -duration %v", p.Duration)
		}
		if p.Warmup > 0 {
			fmt.Fprintf(w, " -warmup %v", p.Warmup)
		}
		if p.Heartbeat > 0 {
			fmt.Fprintf(w, " -heartbeat %v", p.Heartbeat)
		}
		if p.Think > 0 {
			fmt.Fprintf(w, " -think %v", p.Think)
		}
		if p.Optimize > 0 {
			fmt.Fprintf(w, " -optimize %v", p.Optimize)
		}
		fmt.Fprintln(w)
	}
}

func usage(fs *flag.FlagSet, w io.Writer) {
	fmt.Fprintln(w, `usage: licbench [-scenario NAME|all] [-c port@host] [size and pacing flags] [--json] [--compare FILE]

licbench drives a licd with simulated product servers and reports operations per second,
latency percentiles, denials, errors, the server's CPU and memory, and the same run's
loopback-echo and Pebble group-commit baselines. Without -c it starts a licd of its own on a
temporary data directory with licenses issued for the scenario. Flags override the
scenario's full-size parameters (licbench -list shows them).

flags:`)
	fs.PrintDefaults()
}
