package daemon

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"go.uber.org/zap"

	"github.com/licd/licd/actors"
	"github.com/licd/licd/actors/userdevice"
	"github.com/licd/licd/storage"
)

// Daemon is a running licd.
type Daemon struct {
	cfg      Config
	log      *zap.Logger
	now      func() time.Time
	hostname string
	token    string
	keys     []string

	store     *storage.Store
	committer *storage.Committer
	system    *actor.ActorSystem
	engine    *actors.Engine
	debug     *actors.DebugLog

	lm, vd net.Listener // vd is nil while lmdown -vendor has the vendor daemon down (vendor.go)
	vdAddr *net.TCPAddr // the vendor port, kept for restarting it
	// vendorDown: lmdown -vendor CITRIX stopped the vendor daemon (vendor.go).
	vendorDown atomic.Bool
	closing    bool // Shutdown began (under mu): the vendor daemon is not started again

	// Product port security (guard.go): TLS, credentials, hello limits.
	productTLS *tls.Config
	creds      *credentials
	hellos     helloLimiter
	limits     Limits
	maxConns   int    // product connections served at once
	nofile     uint64 // RLIMIT_NOFILE at start
	open       atomic.Int64
	refusing   atomic.Int64
	refused    atomic.Int64
	// gate admits query and admin answers within the reply budget (replygate.go).
	gate *replyGate

	mu       sync.Mutex // guards live and shutting (connection bookkeeping, not the hot path)
	live     map[*conn]struct{}
	shutting bool
	conns    sync.WaitGroup
	accepts  sync.WaitGroup

	logs logFiles // where the debug and report logs went (logs.go)

	backupMu sync.Mutex // one backup at a time (backup.go)

	rereadMu   sync.Mutex
	lastReread ReadReport
	stopWatch  chan struct{}
	watchDone  chan struct{}

	// Historical usage ("Historical Use"): the store's side and the sampler (history.go).
	history        *historyDB
	historySamples atomic.Int64
	samplerStop    chan struct{}
	samplerDone    chan struct{}
	alerts         alertsRun
	// The scheduled renewal check (fulfilment_renewal.go).
	renewalStop, renewalDone chan struct{}
	fulfilCtx                context.Context // ends the fulfilment calls at shutdown
	fulfilCancel             context.CancelFunc
	tele                     telemetryRun // usage data programs and uploads (telemetry.go)

	shutdownOnce sync.Once
	done         chan struct{}

	started time.Time    // for the API's uptime
	apiPort atomic.Int64 // the port the API listens on (settings' "running")
	hooks   rereadHooks  // run after every reread (the API's certificate reload)
}

// Start brings a daemon up: it prepares the data directory, opens the store, rebuilds every
// actor's state from it, loads the licenses, and only then starts accepting connections.
// Anything started before a failure is stopped again: the cleanups close over the local d,
// not a named result, which every "return nil, err" sets to nil before they run.
func Start(cfg Config) (_ *Daemon, err error) {
	if cfg.DataDir == "" {
		return nil, errors.New("no data directory: pass -data DIR")
	}
	if cfg.Logger == nil {
		cfg.Logger = zap.NewNop()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.MaxFrame <= 0 {
		cfg.MaxFrame = 1 << 20
	}
	d := &Daemon{cfg: cfg, log: cfg.Logger, now: cfg.Now, started: cfg.Now(), live: map[*conn]struct{}{}, done: make(chan struct{}), stopWatch: make(chan struct{}), watchDone: make(chan struct{})}
	d.limits = cfg.Limits.withDefaults()
	d.maxConns, d.nofile = connLimit(d.limits)
	d.gate = newReplyGate(d.limits.ReplyBudget, d.limits.StatusBuilds)
	d.log.Info("connection limits", zap.Int("product_connections", d.maxConns), zap.Uint64("descriptor_limit", d.nofile),
		zap.Int("utility_reserve", d.limits.UtilityReserve))
	var cleanups []func()
	defer func() {
		if err != nil {
			for i := len(cleanups) - 1; i >= 0; i-- {
				cleanups[i]()
			}
		}
	}()
	lay, err := Prepare(PrepareOptions{DataDir: cfg.DataDir, LicenseDir: cfg.licenseDir(), Hostname: cfg.Hostname})
	if err != nil {
		return nil, err
	}
	for _, w := range lay.Warnings {
		d.log.Warn(w)
	}
	d.hostname, d.token = lay.Hostname, lay.Token
	if d.productTLS, err = productTLS(cfg.Product); err != nil {
		return nil, err
	}
	if d.creds, err = loadCredentials(cfg.Product.SecretsFile); err != nil {
		return nil, err
	}
	d.hellos.every, d.hellos.burst = cfg.Product.helloRate()
	d.keys = append([]string{lay.PublicKey}, cfg.TrustedKeys...)

	if cfg.shared != nil {
		// A cluster leader (cluster.go): the node owns the store and the ports.
		d.store = cfg.shared.store
	} else {
		if d.store, err = storage.Open(filepath.Join(cfg.DataDir, "db"), storage.Options{Logger: d.log, DiskReserve: cfg.DiskReserve}); err != nil {
			return nil, fmt.Errorf("open the store in %s: %w", cfg.DataDir, err)
		}
		cleanups = append(cleanups, func() { _ = d.store.Close() })
		if err = d.applyStoredPorts(&cfg); err != nil {
			return nil, err
		}
	}
	d.cfg = cfg
	d.committer = d.store.StartCommitter(storage.CommitterOptions{Delay: cfg.CommitDelay})
	cleanups = append(cleanups, func() { _ = d.committer.Close() })
	if d.history, err = openHistory(d.store, cfg.History.Retention); err != nil {
		return nil, err
	}

	if err = d.openLogs(); err != nil {
		return nil, err
	}
	cleanups = append(cleanups, d.debug.Close)

	d.system = actor.NewActorSystem(actor.WithLoggerFactory(slogToZap(d.log)))
	ud := cfg.UD
	if ud.Lease == 0 {
		ud = mergeUD(ud)
	}
	env := &actors.Env{System: d.system, Store: d.store, Committer: d.committer, Now: cfg.Now, Log: d.log,
		Debug: d.debug, UD: ud, HandleBlock: 4096, EventRetention: cfg.EventRetention}
	if env.EventRetention <= 0 {
		env.EventRetention = 30 * 24 * time.Hour
	}
	// Grants of sessions that ended are released before any actor restores them: a kill -9
	// between a session's end and its features' releases must not hold them for ever.
	dropped, used, err := d.store.SweepGrants(startupFeature)
	if err != nil {
		return nil, fmt.Errorf("release the licenses of ended sessions: %w", err)
	}
	if dropped > 0 {
		d.log.Info("released licenses of product sessions that had ended", zap.Int("grants", dropped))
	}
	d.engine = actors.NewEngine(env, actors.EngineConfig{Linger: cfg.Linger, Heartbeat: cfg.Heartbeat,
		IdleLinger: cfg.Product.IdleLinger, MaxSessionsPerAddr: cfg.Product.maxSessionsPerAddr(), Used: used})
	cleanups = append(cleanups, d.engine.Stop)

	if _, err = d.Reread(); err != nil {
		return nil, err
	}
	host := cfg.ListenHost
	if cfg.shared != nil {
		d.lm, d.vd = cfg.shared.lm, cfg.shared.vd
	} else if d.lm, err = net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(cfg.port(cfg.LMPort, 27000)))); err != nil {
		return nil, fmt.Errorf("listen on the license-manager port: %w (is another license server running? choose another with -lm-port)", err)
	}
	cleanups = append(cleanups, func() { _ = d.lm.Close() })
	if cfg.shared == nil {
		if d.vd, err = net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(cfg.port(cfg.VendorPort, 7279)))); err != nil {
			return nil, fmt.Errorf("listen on the vendor daemon port: %w (choose another with -vendor-port)", err)
		}
	}
	d.vdAddr = d.vd.Addr().(*net.TCPAddr)
	if err = d.startAlerts(); err != nil {
		return nil, err
	}
	cleanups = append(cleanups, d.stopAlerts)
	if err = d.startRenewals(); err != nil {
		return nil, err
	}
	cleanups = append(cleanups, d.stopRenewals)
	if err = d.startTelemetry(); err != nil {
		return nil, err
	}
	cleanups = append(cleanups, d.stopTelemetry)
	d.debug.Info(d.now(), fmt.Sprintf("licd %s started on %s: license manager port %d, vendor daemon port %d", Version, d.hostname, d.LMAddr().Port, d.VendorAddr().Port))
	d.accepts.Add(2)
	go d.acceptLoop(d.lm)
	go d.acceptLoop(d.vd)
	go d.watchLicenseDir()
	d.startSampler()
	return d, nil
}

func mergeUD(c userdevice.Config) userdevice.Config {
	def := userdevice.DefaultConfig()
	def.UseDomain = c.UseDomain
	if c.FastInterval > 0 {
		def.FastInterval = c.FastInterval
	}
	if c.SlowInterval > 0 {
		def.SlowInterval = c.SlowInterval
	}
	if c.SlowThreshold > 0 {
		def.SlowThreshold = c.SlowThreshold
	}
	if c.NamedUserPeriod > 0 {
		def.NamedUserPeriod = c.NamedUserPeriod
	}
	def.UserCase, def.DeviceCase = c.UserCase, c.DeviceCase
	return def
}

// LMAddr is the license-manager listener's address.
func (d *Daemon) LMAddr() *net.TCPAddr { return d.lm.Addr().(*net.TCPAddr) }

// VendorAddr is the vendor daemon listener's address.
func (d *Daemon) VendorAddr() *net.TCPAddr { return d.vdAddr }

// Done is closed when the daemon has shut down (by Shutdown or lmdown).
func (d *Daemon) Done() <-chan struct{} { return d.done }

// Engine exposes the actor engine (for in-process benchmarks and tests).
func (d *Daemon) Engine() *actors.Engine { return d.engine }

func (d *Daemon) tokenPath() string { return filepath.Join(d.cfg.DataDir, TokenFile) }

func (d *Daemon) acceptLoop(l net.Listener) {
	defer d.accepts.Done()
	var backoff acceptBackoff
	for {
		nc, err := l.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			backoff.failed(d, l, err) // e.g. out of file descriptors: do not spin
			continue
		}
		backoff.succeeded()
		serve, reserve := d.admitConn(nc)
		if !serve {
			d.refuseConn(nc)
			continue
		}
		d.conns.Add(1)
		go d.serveConn(nc, reserve)
	}
}

func (d *Daemon) track(c *conn) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.shutting {
		return false
	}
	d.live[c] = struct{}{}
	return true
}

func (d *Daemon) untrack(c *conn) {
	d.mu.Lock()
	delete(d.live, c)
	d.mu.Unlock()
}

// Shutdown stops the daemon in order: stop accepting, close the product connections, stop
// the actors (each finishes its mailbox), flush the committer, close Pebble. It is safe to
// call more than once; every call returns after the daemon is down.
func (d *Daemon) Shutdown() {
	d.shutdownOnce.Do(func() {
		d.debug.Info(d.now(), "licd shutting down")
		close(d.stopWatch)
		<-d.watchDone // a reread in progress finishes before the engine stops
		_ = d.lm.Close()
		d.mu.Lock()
		d.closing = true
		if d.vd != nil {
			_ = d.vd.Close()
		}
		d.mu.Unlock()
		d.accepts.Wait()
		d.mu.Lock()
		d.shutting = true
		live := make([]*conn, 0, len(d.live))
		for c := range d.live {
			live = append(live, c)
		}
		d.mu.Unlock()
		for _, c := range live {
			// Replies already queued (lmdown's own answer among them) leave first.
			c.w.close(time.Second)
			_ = c.Close()
		}
		d.conns.Wait()
		d.stopSampler()   // it asks the actors for their status
		d.stopTelemetry() // so does a run
		d.stopRenewals()
		d.stopAlerts()
		d.engine.Stop()
		if err := d.committer.Close(); err != nil {
			d.log.Error("flush the committer", zap.Error(err))
		}
		if d.cfg.shared == nil { // a cluster node keeps its store for the next leadership
			if err := d.store.Close(); err != nil {
				d.log.Error("close the store", zap.Error(err))
			}
		}
		d.system.Shutdown()
		d.debug.Close()
		close(d.done)
	})
	<-d.done
}
