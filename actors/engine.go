package actors

import (
	"encoding/binary"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"go.uber.org/zap"

	"github.com/licd/licd/actors/userdevice"
	"github.com/licd/licd/license"
	"github.com/licd/licd/storage"
	"github.com/licd/licd/wire"
)

// EngineConfig holds the engine's timings.
type EngineConfig struct {
	// Linger is how long a lost product's licenses stay held so that it can come back and
	// reconcile ("License caching mode").
	Linger time.Duration
	// Heartbeat is the server's heartbeat interval ("Citrix Start-up license": five minutes).
	Heartbeat time.Duration
	// OptimizeTick is how often the optimizer looks for user/device features that are due.
	OptimizeTick time.Duration
	// IdleLinger is the linger of a lost session that never checked out more than its
	// start-up license: it holds nothing a product would reconcile, so its start-up license
	// goes back sooner than Linger (issue 9: hellos must not drain the start-up pool).
	IdleLinger time.Duration
	// CachingWindow is how long a released session is remembered so that its product, back
	// from License caching mode, may still reconcile ("License caching mode": 30 days).
	CachingWindow time.Duration
	// MaxSessionsPerAddr bounds the product sessions (connected or lingering) from one
	// network address; 0 means no bound. Loopback addresses are exempt unless the daemon
	// says otherwise (OpenSession.Limit).
	MaxSessionsPerAddr int
	// Used lists the sessions found holding licenses beyond their start-up license when the
	// store was opened (storage.SweepGrants): they keep the full linger after a restart.
	Used map[uint64]bool
}

// Engine assembles the actors of one licd: the supervisor and its feature actors, the
// sessions registry and the user/device optimizer, and the immutable routing table the
// connection readers use.
type Engine struct {
	env       *Env
	cfg       EngineConfig
	sup       *actor.PID
	sessions  *actor.PID
	optimizer *actor.PID

	routes  atomic.Pointer[Routes]
	inv     atomic.Pointer[license.Inventory]
	opts    atomic.Pointer[license.Options]
	missing atomic.Pointer[map[string]*wire.Error]
	window  atomic.Int64 // the caching window in force (CachingWindowOf the inventory)

	applyMu sync.Mutex // serialises Apply (admin path only, never the checkout path)
}

// NewEngine starts the supervisor, the sessions registry and the optimizer. Features come
// with Apply.
func NewEngine(env *Env, cfg EngineConfig) *Engine {
	if cfg.Heartbeat <= 0 {
		cfg.Heartbeat = 5 * time.Minute
	}
	if cfg.Linger <= 0 {
		cfg.Linger = time.Hour
	}
	if cfg.OptimizeTick <= 0 {
		cfg.OptimizeTick = time.Second
	}
	if cfg.IdleLinger <= 0 || cfg.IdleLinger > cfg.Linger {
		cfg.IdleLinger = min(time.Minute, cfg.Linger)
	}
	if cfg.CachingWindow <= 0 {
		cfg.CachingWindow = 30 * 24 * time.Hour
	}
	e := &Engine{env: env, cfg: cfg}
	e.window.Store(int64(cfg.CachingWindow))
	e.routes.Store(newRoutes(nil))
	empty := map[string]*wire.Error{}
	e.missing.Store(&empty)
	root := env.System.Root
	e.sup = root.Spawn(newSupervisorProps())
	e.sessions = root.Spawn(newSessionsProps(env, e, cfg))
	e.optimizer = e.spawn(newOptimizerProps(env, e, cfg.OptimizeTick), "optimizer")
	return e
}

// Env returns the engine's environment.
func (e *Engine) Env() *Env { return e.env }

// Routes returns the current routing table (never nil).
func (e *Engine) Routes() *Routes { return e.routes.Load() }

// Inventory returns the inventory last applied.
func (e *Engine) Inventory() *license.Inventory { return e.inv.Load() }

// Options returns the options last applied (may be nil).
func (e *Engine) Options() *license.Options { return e.opts.Load() }

// CachingWindow is how long a released session is remembered for its product to reconcile:
// the longest grace period (GP=) of the inventory.
func (e *Engine) CachingWindow() time.Duration { return time.Duration(e.window.Load()) }

// CachingWindowOf is the longest caching-mode grace period of an inventory's licenses (the
// vendor string's GP=, in hours: "GP=720" is the 30 days of "License caching mode"), or def
// when none says: the products license themselves from their cache that long, so the server
// remembers their released sessions that long for their reconcile.
func CachingWindowOf(inv *license.Inventory, def time.Duration) time.Duration {
	var hours int
	if inv != nil {
		for _, p := range inv.Pools {
			for _, l := range p.Lines {
				if gp, ok := l.VendorString.GP(); ok && gp > hours {
					hours = gp
				}
			}
		}
	}
	if hours <= 0 {
		return def
	}
	return time.Duration(hours) * time.Hour
}

// Heartbeat is the server's heartbeat interval.
func (e *Engine) Heartbeat() time.Duration { return e.cfg.Heartbeat }

// Sessions is the sessions registry's PID.
func (e *Engine) Sessions() *actor.PID { return e.sessions }

// Unavailable says why a feature that has no route cannot be served: its lines are all
// expired or not yet started, or it does not exist at all.
func (e *Engine) Unavailable(feature string) *wire.Error {
	if err := (*e.missing.Load())[feature]; err != nil {
		return err
	}
	return wire.Errorf(wire.CodeNoSuchFeature, fmt.Sprintf("feature %q is not in this license server's inventory", feature))
}

func (e *Engine) spawn(props *actor.Props, name string) *actor.PID {
	reply := make(chan *actor.PID, 1)
	e.env.System.Root.Send(e.sup, &spawnChild{props: props, name: name, reply: reply})
	return <-reply
}

// Send delivers a message to an actor from outside the actor system.
func (e *Engine) Send(pid *actor.PID, msg interface{}) { e.env.System.Root.Send(pid, msg) }

// Broadcast sends a message to every feature actor and returns how many it reached.
func (e *Engine) Broadcast(msg interface{}) int {
	all := e.Routes().All()
	for _, r := range all {
		e.env.System.Root.Send(r.PID, msg)
	}
	return len(all)
}

// StartProduct spawns the product actor of a connection whose hello succeeded.
func (e *Engine) StartProduct(session uint64, conn ConnCloser, sink Sink) *actor.PID {
	return e.env.System.Root.Spawn(newProductProps(e.env, e, session, conn, sink, e.cfg.Heartbeat))
}

// ApplyReport says what an Apply changed, for lmreread.
type ApplyReport struct {
	Added, Updated, Removed []string
}

// Apply installs an inventory and options file: new features get actors, existing ones
// reload in place (no session or handle is dropped), features no longer licensed keep their
// actor so that their holders can still check in, but have no pools to grant from.
func (e *Engine) Apply(inv *license.Inventory, opts *license.Options) (ApplyReport, error) {
	e.applyMu.Lock()
	defer e.applyMu.Unlock()
	var rep ApplyReport
	old := e.Routes()
	byFeature := map[string][]*license.Pool{}
	for _, p := range inv.Pools {
		byFeature[p.Feature] = append(byFeature[p.Feature], p)
	}
	var routes []*Route
	for feature, pools := range byFeature {
		sort.Slice(pools, func(i, j int) bool { return pools[i].CSS < pools[j].CSS })
		if r := old.ByName(feature); r != nil {
			e.env.System.Root.Send(r.PID, &Reload{Pools: pools, Options: opts})
			routes = append(routes, r)
			if prev := e.inv.Load(); prev == nil || !samePools(prev.PoolsOf(feature), pools) {
				rep.Updated = append(rep.Updated, feature)
			}
			continue
		}
		r, err := e.newRoute(feature, pools, opts, inv)
		if err != nil {
			return rep, err
		}
		routes = append(routes, r)
		rep.Added = append(rep.Added, feature)
	}
	for _, r := range old.All() {
		if _, ok := byFeature[r.Name]; !ok {
			e.env.System.Root.Send(r.PID, &Reload{Pools: nil, Options: opts})
			routes = append(routes, r)
			rep.Removed = append(rep.Removed, r.Name)
		}
	}
	missing := map[string]*wire.Error{}
	for _, l := range inv.Expired {
		missing[l.Feature] = wire.Errorf(wire.CodeExpired, fmt.Sprintf("%s expired on %s", l.Feature, l.Expiry.Format("02-Jan-2006")))
	}
	for _, l := range inv.Pending {
		missing[l.Feature] = wire.Errorf(wire.CodeNotYetStarted, fmt.Sprintf("%s starts on %s", l.Feature, l.Start.Format("02-Jan-2006")))
	}
	e.inv.Store(inv)
	e.window.Store(int64(CachingWindowOf(inv, e.cfg.CachingWindow)))
	e.opts.Store(opts)
	e.missing.Store(&missing)
	e.routes.Store(newRoutes(routes))
	sort.Strings(rep.Added)
	sort.Strings(rep.Updated)
	sort.Strings(rep.Removed)
	return rep, nil
}

func (e *Engine) newRoute(feature string, pools []*license.Pool, opts *license.Options, inv *license.Inventory) (*Route, error) {
	id, err := e.featureID(feature)
	if err != nil {
		return nil, err
	}
	spec := &FeatureSpec{Name: feature, ID: id, Model: pools[0].Model, Pools: pools, Options: opts}
	if f, ok := inv.Friendly[feature]; ok {
		spec.Friendly = f.Name
	}
	var props *actor.Props
	if isUserDevice(spec.Model) {
		props = newUDProps(e.env, e, spec)
	} else {
		props = newConcurrentProps(e.env, e, spec)
	}
	e.env.Debug.Counters().Register(feature)
	pid := e.spawn(props, "feature/"+feature)
	return &Route{Name: feature, ID: id, Model: spec.Model, PID: pid, Spec: spec}, nil
}

// samePools reports whether a reread left a feature's pools as they were (same ids,
// counts, overdrafts, expiry): lmreread then does not report it as updated.
func samePools(a, b []*license.Pool) bool {
	if len(a) != len(b) {
		return false
	}
	key := func(p *license.Pool) string {
		return fmt.Sprintf("%s|%d|%d|%v|%v", p.ID, p.Count, p.Overdraft, p.Permanent, p.Expiry)
	}
	seen := map[string]int{}
	for _, p := range a {
		seen[key(p)]++
	}
	for _, p := range b {
		if seen[key(p)] == 0 {
			return false
		}
		seen[key(p)]--
	}
	return true
}

// featureID returns the durable id of a feature (the high bits of its handles), assigning
// one the first time a feature is seen.
func (e *Engine) featureID(feature string) (uint64, error) {
	key := "feature-id/" + feature
	v, ok, err := e.env.Store.Setting(key)
	if err != nil {
		return 0, fmt.Errorf("read id of feature %s: %w", feature, err)
	}
	if ok && len(v) == 8 {
		return binary.BigEndian.Uint64(v), nil
	}
	id, err := e.env.Store.ReserveIDs("feature-id", 1)
	if err != nil {
		return 0, fmt.Errorf("assign id to feature %s: %w", feature, err)
	}
	id++ // 0 is the sessions' prefix
	b := storage.NewBatch()
	b.PutSetting(key, binary.BigEndian.AppendUint64(nil, id))
	if err := e.env.Store.Commit(b); err != nil {
		return 0, fmt.Errorf("store id of feature %s: %w", feature, err)
	}
	return id, nil
}

// Status gathers every feature's status (and the sessions) from their actors.
func (e *Engine) Status(feature string, detail bool, timeout time.Duration) ([]wire.FeatureStatus, []wire.SessionStatus, error) {
	out, err := e.featureStatus(feature, &StatusRequest{Detail: detail}, timeout)
	if err != nil {
		return nil, nil, err
	}
	res, err := e.env.System.Root.RequestFuture(e.sessions, &SessionsStatus{}, timeout).Result()
	if err != nil {
		return nil, nil, fmt.Errorf("sessions status: %w", err)
	}
	sessions, _ := res.([]wire.SessionStatus)
	sort.Slice(sessions, func(i, j int) bool { return sessions[i].ID < sessions[j].ID })
	return out, sessions, nil
}

// SampleStatus gathers every feature's status with its peak use since the previous call
// and starts a new peak period in each (the historical-usage sampler, "Historical Use").
func (e *Engine) SampleStatus(timeout time.Duration) ([]wire.FeatureStatus, error) {
	return e.featureStatus("", &StatusRequest{TakePeaks: true}, timeout)
}

func (e *Engine) featureStatus(feature string, req *StatusRequest, timeout time.Duration) ([]wire.FeatureStatus, error) {
	root := e.env.System.Root
	var futures []*actor.Future
	for _, r := range e.Routes().All() {
		if feature != "" && r.Name != feature {
			continue
		}
		futures = append(futures, root.RequestFuture(r.PID, req, timeout))
	}
	out := make([]wire.FeatureStatus, 0, len(futures))
	for _, f := range futures {
		res, err := f.Result()
		if err != nil {
			return nil, fmt.Errorf("feature status: %w", err)
		}
		if fs, ok := res.(*wire.FeatureStatus); ok {
			out = append(out, *fs)
		}
	}
	return out, nil
}

// Stop stops every actor (feature actors finish their mailboxes first) and waits.
func (e *Engine) Stop() {
	root := e.env.System.Root
	var fs []*actor.Future
	for _, r := range e.Routes().All() {
		fs = append(fs, root.PoisonFuture(r.PID))
	}
	fs = append(fs, root.PoisonFuture(e.sessions), root.PoisonFuture(e.optimizer))
	for _, f := range fs {
		if _, err := f.Result(); err != nil {
			e.env.Log.Warn("stop actor", zap.Error(err))
		}
	}
	_, _ = root.PoisonFuture(e.sup).Result()
}

// UDUsage returns the usage of every user/device-family feature (or of one), as of each
// feature's last optimization (udadmin -list).
func (e *Engine) UDUsage(feature string, timeout time.Duration) ([]userdevice.Usage, error) {
	var out []userdevice.Usage
	for _, r := range e.Routes().All() {
		if !isUserDevice(r.Model) || (feature != "" && r.Name != feature) {
			continue
		}
		res, err := e.env.System.Root.RequestFuture(r.PID, &UDUsageRequest{}, timeout).Result()
		if err != nil {
			return nil, fmt.Errorf("usage of %s: %w", r.Name, err)
		}
		if u, ok := res.(*userdevice.Usage); ok {
			out = append(out, *u)
		}
	}
	return out, nil
}

// UDRelease releases one user or device from one feature (udadmin -delete).
func (e *Engine) UDRelease(feature string, kind userdevice.Kind, name string, timeout time.Duration) (int, error) {
	r := e.Routes().ByName(feature)
	if r == nil || !isUserDevice(r.Model) {
		return 0, wire.Errorf(wire.CodeNoSuchFeature, fmt.Sprintf("%q is not a user/device feature of this server", feature))
	}
	reply := make(chan *UDReleaseResult, 1)
	e.env.System.Root.Send(r.PID, &UDReleaseRequest{Kind: kind, Name: name, Reply: reply})
	select {
	case rr := <-reply:
		return rr.Released, rr.Err
	case <-time.After(timeout):
		return 0, fmt.Errorf("release in %s: no answer within %s", feature, timeout)
	}
}

// UDRecentEvents returns the connection events the user/device features still hold in
// memory (the persisted license events come from the store).
func (e *Engine) UDRecentEvents(feature string, timeout time.Duration) ([]wire.UDEvent, error) {
	var out []wire.UDEvent
	for _, r := range e.Routes().All() {
		if !isUserDevice(r.Model) || (feature != "" && r.Name != feature) {
			continue
		}
		res, err := e.env.System.Root.RequestFuture(r.PID, &UDEventsRequest{}, timeout).Result()
		if err != nil {
			return nil, fmt.Errorf("events of %s: %w", r.Name, err)
		}
		evs, _ := res.([]wire.UDEvent)
		out = append(out, evs...)
	}
	return out, nil
}
