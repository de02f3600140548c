// Command licd is the license server: the vendor daemon (port 7279) and the license-manager
// port (27000) that product servers and the utilities talk to. `licd -data DIR` prepares DIR
// on first start (keys, start-up licenses, a demo license), prints where everything is and
// serves until SIGINT/SIGTERM or an allowed lmdown.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"github.com/licd/licd/cmd/internal/locate"
	"io"
	"net/http"
	_ "net/http/pprof"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/licd/licd/actors/daemon"
	"github.com/licd/licd/storage"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if code, ok := subcommand(args, stdout, stderr); ok {
		return code
	}
	fs := flag.NewFlagSet("licd", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: licd [flags]              serve (flags below)")
		fmt.Fprintln(stderr, "       licd backup -to DIR       back up the running server (licd backup -h)")
		fmt.Fprintln(stderr, "       licd restore -from DIR -data NEWDIR   make a data directory of a backup (licd restore -h)")
		fs.PrintDefaults()
	}
	var cfg daemon.Config
	var logFile, level string
	var demo bool
	var portsFile, pprofAddr string
	fs.StringVar(&cfg.DataDir, "data", "licd-data", "data directory (store, keys, admin token, logs)")
	fs.StringVar(&cfg.LicenseDir, "c", "", "license directory (the manual's MyFiles; default DATA/MyFiles)")
	fs.StringVar(&cfg.OptionsFile, "options", "", "options file (default LICENSEDIR/CITRIX.opt)")
	fs.StringVar(&logFile, "l", "", "operational log file (default: standard error)")
	fs.StringVar(&level, "log-level", "info", "operational log level: debug, info, warn, error")
	fs.StringVar(&cfg.ListenHost, "listen", "", "address to listen on (default: all interfaces)")
	fs.IntVar(&cfg.LMPort, "lm-port", 27000, "license-manager port (-1: any free port)")
	fs.IntVar(&cfg.VendorPort, "vendor-port", 7279, "vendor daemon port (-1: any free port)")
	fs.StringVar(&cfg.Hostname, "hostname", "", "host name license files are bound to (default: this machine's)")
	fs.DurationVar(&cfg.Heartbeat, "heartbeat", 5*time.Minute, "server heartbeat interval")
	fs.DurationVar(&cfg.Linger, "linger", time.Hour, "how long a lost product's licenses stay held")
	fs.BoolVar(&cfg.AllowShutdown, "allow-lmdown", false, "let lmdown stop this server")
	fs.BoolVar(&demo, "demo", true, "on first start, add a demo evaluation license file")
	fs.StringVar(&portsFile, "ports-file", "", "write the listening ports as JSON to this file once serving (for tests and scripts)")
	fs.StringVar(&pprofAddr, "pprof", "", "serve Go's pprof profiles on this address (e.g. 127.0.0.1:6060) for profiling")
	fs.DurationVar(&cfg.UD.FastInterval, "ud-optimize-fast", 5*time.Second, "user/device optimization interval below the threshold (\"License optimization\")")
	fs.DurationVar(&cfg.UD.SlowInterval, "ud-optimize-slow", 5*time.Minute, "user/device optimization interval from the threshold up")
	fs.IntVar(&cfg.UD.SlowThreshold, "ud-threshold", 5000, "unique connections from which the slow interval applies")
	fs.DurationVar(&cfg.EventRetention, "event-retention", 30*24*time.Hour, "how long user/device events are kept for udadmin -events")
	fs.BoolVar(&cfg.UD.UseDomain, "ud-use-domain", false, "keep user@domain whole (the manual's UDUseDomain=1)")
	fs.DurationVar(&cfg.CommitDelay, "test-commit-delay", 0, "test hook: hold every durable write this long (a slow disk)")
	fs.BoolVar(&cfg.FaultInjection, "test-fault-injection", false, "test hook: allow the fault.panic admin request")
	reserve := byteSize(storage.DefaultDiskReserve)
	fs.Var(&reserve, "disk-reserve", "free space on the data directory's disk below which grants are denied and licd does not start (e.g. 64MiB)")
	fs.DurationVar(&cfg.Limits.FrameTimeout, "frame-timeout", 30*time.Second, "close a connection whose frame is not complete this long after its first byte")
	fs.DurationVar(&cfg.Limits.IdleTimeout, "idle-timeout", 2*time.Minute, "close a connection that sends neither hello nor a request for this long")
	fs.DurationVar(&cfg.Limits.WriteTimeout, "write-timeout", time.Minute, "close a connection that does not read its replies for this long")
	fs.IntVar(&cfg.Limits.MaxConns, "max-conns", 0, "product connections served at once (0: from the descriptor limit, ulimit -n, less a reserve for the store and 30 utility connections)")
	var keys multiFlag
	fs.Var(&keys, "trust", "another vendor public key file to trust (repeatable)")
	productFlags(fs, &cfg.Product)
	historyFlags(fs, &cfg.History)
	lifecycleFlags(fs, &cfg)
	fulfilmentFlags(fs, &cfg)
	var apiOpt apiOptions
	apiFlags(fs, &cfg, &apiOpt)
	var configPath string
	var printCfg bool
	fs.StringVar(&configPath, "config", os.Getenv("LICD_CONFIG"), "TOML configuration file whose keys are these flags' names (default $LICD_CONFIG); flags on the command line override it")
	fs.BoolVar(&printCfg, "print-config", false, "print the configuration file of the present settings (every key, defaults commented out) and exit")
	metricsListen := metricsFlags(fs)
	telemetryFlags(fs, &cfg.Telemetry)
	var cluster clusterOptions
	clusterFlags(fs, &cluster)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if configPath != "" {
		if _, err := applyConfigFile(fs, configPath); err != nil {
			fmt.Fprintln(stderr, "licd:", err)
			return 2
		}
	}
	// Flags given on the command line (or in the configuration file) win over the ports
	// stored through the API, and the settings name them as the source.
	cfg.Settings.Explicit = map[string]bool{}
	fs.Visit(func(f *flag.Flag) { cfg.Settings.Explicit[f.Name] = true })
	if err := checkFulfilmentFlags(fs, &cfg); err != nil {
		fmt.Fprintln(stderr, "licd:", err)
		return 2
	}
	if printCfg {
		printConfig(stdout, fs)
		return 0
	}
	cfg.TrustedKeys = keys
	if configPath != "" {
		cfg.ConfigFile, _ = filepath.Abs(configPath)
	}
	cfg.DiskReserve = uint64(reserve)

	log, err := newLogger(logFile, level, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "licd:", err)
		return 1
	}
	defer func() { _ = log.Sync() }()
	cfg.Logger = log
	if logFile != "" {
		cfg.LogFile, _ = filepath.Abs(logFile)
	}

	if pprofAddr != "" {
		go func() {
			// The profiles only, on their own listener: never on a product port.
			if err := http.ListenAndServe(pprofAddr, nil); err != nil {
				log.Warn("pprof listener", zap.Error(err))
			}
		}()
	}
	abs, _ := filepath.Abs(cfg.DataDir)
	lay, err := daemon.Prepare(daemon.PrepareOptions{DataDir: abs, LicenseDir: cfg.LicenseDir, Hostname: cfg.Hostname, Demo: demo, OptionsFile: cfg.OptionsFile})
	if err != nil {
		fmt.Fprintln(stderr, "licd:", err)
		return 1
	}
	for _, w := range lay.Warnings {
		log.Warn(w)
	}
	cfg.DataDir = abs
	// The handler is in place before the ports file says licd serves: a SIGTERM sent the
	// moment a script sees the file must shut down cleanly, not kill the process.
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	if cluster.enabled {
		return runCluster(cfg, cluster, portsFile, sig, log, stdout, stderr, apiOpt, lay.Hostname, metricsListen)
	}
	d, err := daemon.Start(cfg)
	if err != nil {
		fmt.Fprintln(stderr, "licd:", err)
		return 1
	}
	if err := metricsListen.start(d, log); err != nil {
		fmt.Fprintln(stderr, "licd:", err)
		d.Shutdown()
		return 1
	}
	defer metricsListen.stop()
	printLayout(stdout, lay, d)
	// The utilities find this server's data directory (its admin token) from any directory
	// of this host through the locator, as the manual types them: "lmreread -c @localhost".
	if loc, err := locate.Write(locate.Server{DataDir: abs, LMPort: d.LMAddr().Port, VendorPort: d.VendorAddr().Port, PID: os.Getpid()}, os.Getenv); err != nil {
		log.Warn("the utilities will need -data or LICD_DATA", zap.Error(err))
	} else {
		defer locate.Remove(loc, os.Getpid())
	}
	api, err := startAPI(d, cfg, apiOpt, lay.Hostname, log, stdout)
	if err != nil {
		fmt.Fprintln(stderr, "licd:", err)
		d.Shutdown()
		return 1
	}
	stop := func() {
		if api != nil {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			_ = api.Shutdown(ctx)
			cancel()
		}
		d.Shutdown()
	}
	fmt.Fprintln(stdout, "press Ctrl-C to stop")
	if portsFile != "" {
		extra := map[string]int{}
		for k, v := range metricsListen.ports() {
			extra[k] = v
		}
		if api != nil {
			extra["api"] = api.Port()
		}
		if err := writePorts(portsFile, d, extra); err != nil {
			fmt.Fprintln(stderr, "licd:", err)
			stop()
			return 1
		}
	}

	if err := notifySystemd(fmt.Sprintf("READY=1\nMAINPID=%d\nSTATUS=serving on ports %d and %d", os.Getpid(), d.LMAddr().Port, d.VendorAddr().Port)); err != nil {
		log.Warn("readiness not sent", zap.Error(err))
	}
	select {
	case s := <-sig:
		log.Info("signal received; shutting down", zap.String("signal", s.String()))
		_ = notifySystemd("STOPPING=1")
		stop()
	case <-d.Done():
		log.Info("shut down by lmdown")
		_ = notifySystemd("STOPPING=1")
		stop()
	}
	fmt.Fprintln(stdout, "licd: stopped; everything is persisted in", filepath.Join(abs, "db"))
	return 0
}

func printLayout(w io.Writer, lay daemon.Layout, d *daemon.Daemon) {
	fmt.Fprintf(w, "licd %s serving as %q\n", daemon.Version, lay.Hostname)
	fmt.Fprintf(w, "  license-manager port  %d   (lmutil lmstat -a -c %d@localhost)\n", d.LMAddr().Port, d.LMAddr().Port)
	fmt.Fprintf(w, "  vendor daemon port    %d\n", d.VendorAddr().Port)
	fmt.Fprintf(w, "  data directory        %s\n", lay.DataDir)
	fmt.Fprintf(w, "  license files         %s\n", lay.LicenseDir)
	fmt.Fprintf(w, "  vendor keys           %s (public)  %s (private)\n", lay.PublicKey, lay.PrivateKey)
	fmt.Fprintf(w, "  admin token           %s\n", lay.TokenPath)
	fmt.Fprintf(w, "  vendor debug log      %s\n", d.DebugLogPath())
	for _, c := range lay.Created {
		fmt.Fprintf(w, "  created               %s\n", c)
	}
	if inv := d.Engine().Inventory(); inv != nil {
		fmt.Fprintf(w, "inventory: %d license files, %d features\n", len(inv.Files), len(inv.Features()))
		for _, p := range inv.Pools {
			exp := "permanent"
			if !p.Permanent {
				exp = p.Expiry.Format("02-Jan-2006")
			}
			fmt.Fprintf(w, "  %-14s %-12s v%s  %6d installed  expires %s\n", p.Feature, p.Model, p.CSS, p.Installed(), exp)
		}
		for _, r := range inv.Rejected {
			fmt.Fprintf(w, "  rejected %s:%d %s: %s\n", r.File, r.Line, r.Feature, r.Reason)
		}
	}
}

func newLogger(file, level string, stderr io.Writer) (*zap.Logger, error) {
	var lv zapcore.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("log level %q: use debug, info, warn or error", level)
	}
	var ws zapcore.WriteSyncer = zapcore.AddSync(stderr)
	if file != "" {
		f, err := os.OpenFile(file, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600) // names users and devices
		if err != nil {
			return nil, fmt.Errorf("open log file: %w", err)
		}
		ws = zapcore.AddSync(f)
	}
	enc := zap.NewProductionEncoderConfig()
	enc.EncodeTime = zapcore.ISO8601TimeEncoder
	return zap.New(zapcore.NewCore(zapcore.NewConsoleEncoder(enc), ws, lv)), nil
}

// writePorts tells a waiting test or script that licd serves, and where: the file appears
// only once both ports (and the extra listeners, e.g. "metrics") accept connections.
func writePorts(path string, d *daemon.Daemon, extra map[string]int) error {
	ports := map[string]int{"lm": d.LMAddr().Port, "vendor": d.VendorAddr().Port, "pid": os.Getpid()}
	for k, v := range extra {
		ports[k] = v
	}
	return writePortsMap(path, ports)
}

func writePortsMap(path string, ports map[string]int) error {
	b, err := json.Marshal(ports)
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return fmt.Errorf("write ports file: %w", err)
	}
	return os.Rename(tmp, path)
}

type multiFlag []string

func (m *multiFlag) String() string     { return fmt.Sprint(*m) }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

// byteSize is a flag holding a number of bytes, written plain or with a KiB, MiB or GiB suffix.
type byteSize uint64

func (b *byteSize) String() string { return strconv.FormatUint(uint64(*b), 10) }

func (b *byteSize) Set(v string) error {
	mult := uint64(1)
	for _, u := range []struct {
		suffix string
		mult   uint64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}} {
		if strings.HasSuffix(v, u.suffix) {
			v, mult = strings.TrimSuffix(v, u.suffix), u.mult
			break
		}
	}
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		return fmt.Errorf("%q is not a size: write bytes, or a number with KiB, MiB or GiB", v)
	}
	*b = byteSize(n * mult)
	return nil
}
