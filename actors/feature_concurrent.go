package actors

import (
	"fmt"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"go.uber.org/zap"

	"github.com/licd/licd/actors/concurrent"
	"github.com/licd/licd/actors/idle"
	"github.com/licd/licd/license"
	"github.com/licd/licd/storage"
	"github.com/licd/licd/wire"
)

// concurrentActor owns one concurrent, per-socket or server (start-up) feature: its pools,
// its holders and its handles. It is a thin shell around concurrent.Feature: it feeds it
// requests, persists grants through its pipeline and replies once they are durable.
type concurrentActor struct {
	env     *Env
	engine  *Engine
	spec    *FeatureSpec
	core    *concurrent.Feature
	pl      pipeline
	handles handleAlloc
	grant   storage.Grant // scratch record, copied into the batch by PutGrant
	req     concurrent.Request
	gate    *license.Gate // the options file's rules in force (nil: none), for RESERVE's status
	idle    idle.Tracker  // users reported idle, for TIMEOUT (feature_idle.go)
}

func newConcurrentProps(env *Env, e *Engine, spec *FeatureSpec) *actor.Props {
	return actor.PropsFromProducer(func() actor.Actor {
		return &concurrentActor{env: env, engine: e, spec: spec}
	})
}

func poolSpecs(env *Env, pools []*license.Pool) []concurrent.PoolSpec {
	out := make([]concurrent.PoolSpec, 0, len(pools))
	for _, p := range pools {
		s := concurrent.PoolSpec{
			ID: p.ID, CSS: uint32(p.CSS), Count: p.Count,
			Expiry: p.Expiry, Permanent: p.Permanent, Start: poolStart(p), RetailLines: retailLines(p),
		}
		if s.RetailLines > 0 {
			s.Burst = storedBurst(env, p.ID)
		}
		out = append(out, s)
	}
	return out
}

// poolStart is the latest START of the pool's lines (zero when none has one).
func poolStart(p *license.Pool) time.Time {
	var s time.Time
	for _, l := range p.Lines {
		if l.Start.After(s) {
			s = l.Start
		}
	}
	return s
}

func (a *concurrentActor) config() concurrent.Config {
	model := concurrent.ModelConcurrent
	if a.spec.Model == license.ModelPerSocket {
		model = concurrent.ModelPerSocket
	}
	cfg := concurrent.Config{Model: model, MapPolicyError: mapGateDenial, BurstOff: burstOff(a.env)}
	a.gate = nil
	if a.spec.Options != nil {
		if g := a.spec.Options.Gate(a.spec.Name); g != nil && !g.Open() {
			cfg.Policy, a.gate = g, g
		}
	}
	return cfg
}

func (a *concurrentActor) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *CheckoutRequest:
		a.checkout(m)
		a.pl.flush()
	case *CheckinRequest:
		a.checkin(m)
		a.pl.flush()
	case *committed:
		if !a.pl.finished(m.p) {
			return
		}
		if m.err != nil {
			a.rollback(m.p)
		}
		a.pl.recycle(m.p)
		a.pl.flush()
	case *CheckinDeviceRequest:
		before := a.core.SessionHolders(m.Session)
		handles := a.core.CheckinDeviceOf(m.Device, m.Session)
		a.released(before, handles, ReasonDeviceCheckin)
		for _, h := range handles {
			a.pl.batch().DeleteGrant(h)
		}
		r := a.pl.addReply()
		r.sink, r.reqID, r.kind, r.ack = m.Sink, m.ReqID, replyAck, wire.Ack{Released: uint32(len(handles))}
		a.pl.flush()
	case *ReleaseSession:
		before := a.core.SessionHolders(m.Session)
		handles := a.core.ReleaseSession(m.Session)
		a.released(before, handles, m.reason())
		for _, h := range handles {
			a.pl.batch().DeleteGrant(h)
		}
		ackRelease(&a.pl, m)
		a.pl.flush()
	case *ReleaseSessionExcept:
		before := a.core.SessionHolders(m.Session)
		handles := a.core.ReleaseSessionExcept(m.Session, m.Keep, m.Before)
		a.released(before, handles, ReasonReconcile)
		for _, h := range handles {
			a.pl.batch().DeleteGrant(h)
		}
		a.pl.flush()
	case *handleBlock:
		a.handles.refilled(a.env, m)
	case *StatusRequest:
		ctx.Respond(a.status(m.Detail))
		if m.TakePeaks {
			a.core.TakePeaks()
		}
	case *Reload:
		a.spec.Pools, a.spec.Options = m.Pools, m.Options
		a.core.Reload(poolSpecs(a.env, m.Pools))
		a.burstInstalled()
		a.pl.flush()
		a.core.SetPolicy(a.config().Policy)
	case *SetBurst:
		a.core.SetBurstOff(m.Off)
	case *UserIdleRequest:
		a.userIdle(m)
		a.pl.flush()
	case *IdleSweep:
		a.sweepIdle(m)
		a.pl.flush()
	case *Panic:
		panic("fault injection: " + a.spec.Name)
	case *actor.Started:
		if err := a.start(ctx); err != nil {
			// Panicking hands the failure to the supervisor, which restarts the actor.
			panic(err)
		}
	}
}

func (a *concurrentActor) start(ctx actor.Context) error {
	if a.spec.starts.Add(1) > 1 {
		if err := syncWithStore(a.env, a.spec.Name); err != nil {
			return err
		}
	}
	a.core = concurrent.New(a.spec.Name, poolSpecs(a.env, a.spec.Pools), a.config())
	a.pl = newPipeline(a.env.Committer, a.env.System.Root, ctx.Self())
	a.burstInstalled()
	if err := a.handles.init(a.env, a.spec.ID, a.spec.Name); err != nil {
		return err
	}
	restored := 0
	err := a.env.Store.ForEachGrant(func(g *storage.Grant) error {
		if g.Feature != a.spec.Name {
			return nil
		}
		a.core.Restore(concurrent.Holder{
			Handle: g.Handle, Session: g.Session, PoolID: g.PoolID, Device: g.Device, User: g.User,
			Host: g.ClientHost, Display: g.Display, Product: g.Product, VersionDate: g.VersionDate,
			Units: int(max(g.Sockets, 1)), Start: time.Unix(0, g.Start),
		})
		restored++
		return nil
	})
	if err != nil {
		return fmt.Errorf("restore grants of %s: %w", a.spec.Name, err)
	}
	if restored > 0 {
		a.env.Log.Info("feature restored", zap.String("feature", a.spec.Name), zap.Int("handles", restored))
	}
	a.pl.flush() // burst mode states the start changed
	return nil
}

func (a *concurrentActor) checkout(m *CheckoutRequest) {
	now := a.env.Now()
	c := &m.Req
	if m.Reconcile && m.Handle != 0 {
		// The product still holds a handle this server issued: confirm it as it is.
		if h, ok := a.core.Holder(m.Handle); ok {
			r := a.pl.addReply()
			r.sink, r.reqID, r.kind = m.Sink, m.ReqID, replyGrant
			r.grant = wire.Grant{Handle: m.Handle, Feature: a.spec.Name, PoolID: h.PoolID}
			return
		}
	}
	device := c.Device
	if device == "" {
		device = c.ClientHost
	}
	if device == "" || len(device) > maxNameBytes || len(c.User) > maxNameBytes || len(c.ClientHost) > maxNameBytes {
		a.deny(m, wire.Errorf(wire.CodeBadName, "a concurrent checkout needs a device id (or client host) of at most 256 bytes"), now)
		return
	}
	handle, ok := a.handles.take(a.env, a.pl.self)
	if !ok {
		a.deny(m, wire.Errorf(wire.CodeInternal, "no handle numbers available yet; retry"), now)
		return
	}
	a.req = concurrent.Request{
		Session: m.Session, Device: device, User: c.User, Host: c.ClientHost, Display: c.Display,
		Product: c.Product, VersionDate: c.VersionDate, Sockets: int(c.Sockets),
	}
	var g concurrent.Grant
	var derr *wire.Error
	if m.Reconcile {
		g, derr = a.core.Reconcile(&a.req, handle, now)
	} else {
		g, derr = a.core.Checkout(&a.req, handle, now)
	}
	if derr != nil {
		if derr.Code == wire.CodeNoSuchFeature && len(a.spec.Pools) == 0 {
			// Its lines left the inventory (expired, not yet started, removed): say which.
			derr = a.engine.Unavailable(a.spec.Name)
		}
		a.deny(m, derr, now)
		return
	}
	a.grant = storage.Grant{
		Handle: handle, Session: m.Session, Feature: a.spec.Name, PoolID: g.PoolID, Device: device,
		User: c.User, ClientHost: c.ClientHost, Display: c.Display, Product: c.Product,
		VersionDate: c.VersionDate, Sockets: uint16(g.Units), Start: now.UnixNano(),
	}
	a.pl.batch().PutGrant(&a.grant)
	if g.BurstStarted {
		st, _ := a.core.Burst(g.PoolID)
		putBurst(a.env, &a.pl, a.spec.Name, g.PoolID, st, now)
	}
	r := a.pl.addReply()
	r.sink, r.reqID, r.kind, r.handle = m.Sink, m.ReqID, replyGrant, handle
	r.grant = wire.Grant{Handle: handle, Feature: a.spec.Name, PoolID: g.PoolID, CSS: g.CSS, Shared: g.Shared}
	a.env.Debug.Record(Event{When: now, Kind: LogOut, Feature: a.spec.Name, User: c.User, Host: c.ClientHost,
		Device: device, Product: c.Product, Pool: g.PoolID, Handle: handle, Session: m.Session})
}

func (a *concurrentActor) deny(m *CheckoutRequest, e *wire.Error, now time.Time) {
	a.env.Debug.Record(Event{When: now, Kind: LogDenied, Feature: a.spec.Name, User: m.Req.User, Host: m.Req.ClientHost,
		Device: m.Req.Device, Product: m.Req.Product, Session: m.Session, Code: int32(e.Code), Detail: e.Code.Text()})
	r := a.pl.addReply()
	r.sink, r.reqID, r.kind = m.Sink, m.ReqID, replyDenial
	r.denial = wire.Denial{Code: e.Code, Detail: e.Detail}
}

func (a *concurrentActor) checkin(m *CheckinRequest) {
	h, known := a.core.Holder(m.Handle)
	if !known {
		denyCheckin(&a.pl, m, wire.CodeUnknownHandle, fmt.Sprintf("handle %d is not held in %s", m.Handle, a.spec.Name))
		return
	}
	if h.Session != m.Session {
		denyCheckin(&a.pl, m, wire.CodeNotHolder, fmt.Sprintf("handle %d of %s belongs to another product session; nothing was released", m.Handle, a.spec.Name))
		return
	}
	a.core.Checkin(m.Handle)
	a.pl.batch().DeleteGrant(m.Handle)
	r := a.pl.addReply()
	r.sink, r.reqID, r.kind, r.ack = m.Sink, m.ReqID, replyAck, wire.Ack{Released: 1}
	a.logIn(&h, ReasonCheckin, a.env.Now())
}

// logIn writes the IN line (and report record) of one released checkout.
func (a *concurrentActor) logIn(h *concurrent.Holder, reason string, now time.Time) {
	a.env.Debug.Record(Event{When: now, Kind: LogIn, Feature: a.spec.Name, User: h.User, Host: h.Host, Device: h.Device,
		Product: h.Product, Pool: h.PoolID, Handle: h.Handle, Session: h.Session, Detail: reason})
}

// released writes the IN lines of the checkouts a release ended (handles), from what the
// session held before it (before).
func (a *concurrentActor) released(before []concurrent.Holder, handles []uint64, reason string) {
	if len(handles) == 0 {
		return
	}
	now := a.env.Now()
	gone := make(map[uint64]struct{}, len(handles))
	for _, h := range handles {
		gone[h] = struct{}{}
	}
	for i := range before {
		if _, ok := gone[before[i].Handle]; ok {
			a.logIn(&before[i], reason, now)
		}
	}
}

// rollback undoes the grants of a batch that could not be made durable: they were never
// acknowledged, so the licenses go back to the pool.
func (a *concurrentActor) rollback(p *pending) {
	for i := range p.replies {
		if r := &p.replies[i]; r.kind == replyGrant && r.handle != 0 {
			a.core.Checkin(r.handle)
		}
	}
	logNotDurable(a.env.Log, "grant batch not durable; grants rolled back", a.spec.Name, p.done.err)
}

// burstInstalled persists the pools whose burst mode an install (or a start) changed.
func (a *concurrentActor) burstInstalled() {
	now := a.env.Now()
	for _, id := range a.core.BurstInstalled(now) {
		st, _ := a.core.Burst(id)
		putBurst(a.env, &a.pl, a.spec.Name, id, st, now)
	}
}
