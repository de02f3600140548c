package actors

import (
	"github.com/licd/licd/actors/burst"

	"errors"
	"fmt"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"go.uber.org/zap"

	"github.com/licd/licd/actors/userdevice"
	"github.com/licd/licd/license"
	"github.com/licd/licd/storage"
	"github.com/licd/licd/wire"
)

// udActor owns one feature of the user/device family (user/device, per user, per device,
// named user): a thin shell around userdevice.Feature. Connections are granted at once; the
// optimizer (its supervisor for optimization) later lowers consumption ("License
// optimization").
type udActor struct {
	env        *Env
	engine     *Engine
	spec       *FeatureSpec
	core       *userdevice.Feature
	pl         pipeline
	handles    handleAlloc
	held       map[uint64]*udHold
	lastEv     uint64
	events     []userdevice.Event
	optimizing bool
	peak       int // the highest use since the history sampler last read it
	lastPrune  time.Time

	// License burst mode, for the feature as a whole: user/device licensing counts the
	// feature's pools together ("License burst mode": user/device licenses burst too).
	burst    burst.State
	retail   int
	burstOff bool

	grant storage.Grant
	edge  storage.UDEdge
	lic   storage.UDLicense
	ev    storage.Event
}

// udHold is one open connection (a handle) of a user on a device.
type udHold struct {
	session             uint64
	user, device        string // as the feature knows them (normalised)
	host, display, prod string
	version             uint32
	start               time.Time
}

// Messages of the user/device family.
type (
	// UDUsageRequest asks for the feature's userdevice.Usage (udadmin -list, lmstat).
	UDUsageRequest struct{}
	// UDEventsRequest asks for the connection events still in the feature's memory.
	UDEventsRequest struct{}
	// UDReleaseRequest releases one user or device (udadmin -delete); answered with
	// UDReleaseResult.
	UDReleaseRequest struct {
		Kind  userdevice.Kind
		Name  string
		Reply chan<- *UDReleaseResult // answered once the release is durable
	}
	// UDReleaseResult answers UDReleaseRequest.
	UDReleaseResult struct {
		Released int
		Err      error
	}
	optimizeDue struct{}
	optimizeJob struct {
		in      *userdevice.OptimizeInput
		feature *actor.PID
		name    string
	}
	optimizeDone struct {
		res      *userdevice.OptimizeResult
		duration time.Duration
	}
)

func udModel(m license.Model) userdevice.Model {
	switch m {
	case license.ModelPerUser:
		return userdevice.ModelPerUser
	case license.ModelPerDevice:
		return userdevice.ModelPerDevice
	case license.ModelNamedUser:
		return userdevice.ModelNamedUser
	}
	return userdevice.ModelUserDevice
}

func newUDProps(env *Env, e *Engine, spec *FeatureSpec) *actor.Props {
	return actor.PropsFromProducer(func() actor.Actor { return &udActor{env: env, engine: e, spec: spec} })
}

// udConfig applies the options file's user/device settings ("Disable the domain name
// truncation": UDUseDomain; user and device name case) over the daemon's. Names already
// known keep the form they were stored in, so a change applies fully after a restart.
func udConfig(base userdevice.Config, o *license.Options) userdevice.Config {
	if o == nil {
		return base
	}
	if o.UDUseDomain {
		base.UseDomain = true
	}
	if o.UserCase != license.CaseUnchanged {
		base.UserCase = userdevice.Case(o.UserCase)
	}
	if o.DeviceCase != license.CaseUnchanged {
		base.DeviceCase = userdevice.Case(o.DeviceCase)
	}
	return base
}

// namedPeriodOf is the named-user period of a feature ("Named user license (legacy)"): the
// server's, bounded by the VENDOR_STRING NURMIN/NURMAX of its lines (the largest minimum,
// the smallest maximum).
func namedPeriodOf(server time.Duration, pools []*license.Pool) time.Duration {
	lo, hi := 0, 0
	for _, p := range pools {
		for _, l := range p.Lines {
			if v, ok := l.VendorString.NUDurMin(); ok && v > lo {
				lo = v
			}
			if v, ok := l.VendorString.NUDurMax(); ok && v > 0 && (hi == 0 || v < hi) {
				hi = v
			}
		}
	}
	if server <= 0 {
		server = userdevice.DefaultConfig().NamedUserPeriod
	}
	return userdevice.NamedUserPeriod(server, lo, hi)
}

func counts(pools []*license.Pool) (purchased, overdraft int) {
	for _, p := range pools {
		purchased += p.Count
		overdraft += p.Overdraft
	}
	return purchased, overdraft
}

func (a *udActor) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *CheckoutRequest:
		a.checkout(m)
		a.afterChange()
	case *CheckinRequest:
		a.checkin(m)
		a.afterChange()
	case *committed:
		if !a.pl.finished(m.p) {
			return
		}
		if m.err != nil {
			logNotDurable(a.env.Log, "user/device batch not durable", a.spec.Name, m.err)
		}
		a.pl.recycle(m.p)
		a.pl.flush()
	case *CheckinDeviceRequest:
		n := 0
		for h, hold := range a.held {
			if hold.device == m.Device && hold.session == m.Session {
				a.disconnect(h, hold, ReasonDeviceCheckin)
				n++
			}
		}
		r := a.pl.addReply()
		r.sink, r.reqID, r.kind, r.ack = m.Sink, m.ReqID, replyAck, wire.Ack{Released: uint32(n)}
		a.afterChange()
	case *ReleaseSession:
		for h, hold := range a.held {
			if hold.session == m.Session {
				a.disconnect(h, hold, m.reason())
			}
		}
		ackRelease(&a.pl, m)
		a.afterChange()
	case *ReleaseSessionExcept:
		for h, hold := range a.held {
			if _, kept := m.Keep[h]; hold.session == m.Session && !kept && hold.start.Before(m.Before) {
				a.disconnect(h, hold, ReasonReconcile)
			}
		}
		a.afterChange()
	case *optimizeDue:
		a.maybeOptimize(ctx)
		a.pruneEvents()
		a.afterChange()
	case *optimizeDone:
		a.optimizing = false
		before, _ := a.core.InUse()
		changes := a.core.ApplyOptimization(m.res, a.env.Now())
		after, _ := a.core.InUse()
		a.env.Debug.Counters().Optimized(a.spec.Name, m.duration, before-after)
		a.persistChanges(changes)
		a.afterChange()
	case *UDReleaseRequest:
		rel, err := a.core.Release(m.Kind, m.Name, a.env.Now())
		res := &UDReleaseResult{Released: len(rel), Err: err}
		if err != nil {
			m.Reply <- res
			return
		}
		a.persistReleased(rel, ReasonUDAdmin)
		users, devices := a.core.ReleasedCounts()
		a.pl.batch().PutCounter(storage.UDAdminUsersReleasedCounter(a.spec.Name), users)
		a.pl.batch().PutCounter(storage.UDAdminDevicesReleasedCounter(a.spec.Name), devices)
		r := a.pl.addReply()
		r.kind, r.sink = replyAck, SinkFunc(func(_ uint32, msg wire.Message) {
			if _, failed := msg.(*wire.Denial); failed {
				res.Err = wire.Errorf(wire.CodeInternal, "the release could not be made durable")
			}
			m.Reply <- res
		})
		a.afterChange()
	case *UDEventsRequest:
		ctx.Respond(a.recentConnectionEvents())
	case *UDUsageRequest:
		u := a.core.Snapshot(a.env.Now())
		ctx.Respond(&u)
	case *StatusRequest:
		ctx.Respond(a.status(m.Detail))
		if m.TakePeaks {
			a.peak, _ = a.core.InUse()
		}
	case *handleBlock:
		a.handles.refilled(a.env, m)
	case *Reload:
		a.spec.Pools, a.spec.Options = m.Pools, m.Options
		a.core.SetCounts(counts(m.Pools))
		a.core.SetNamedUserPeriod(namedPeriodOf(a.env.UD.NamedUserPeriod, m.Pools))
		a.burstInstalled()
		a.pl.flush()
	case *SetBurst:
		a.burstOff = m.Off
	case *Panic:
		panic("fault injection: " + a.spec.Name)
	case *actor.Started:
		if err := a.start(ctx); err != nil {
			panic(err)
		}
	}
}

// afterChange persists the license events the core logged since the last call and flushes.
// Connection events (a pair connecting or disconnecting) stay in the core's in-memory ring:
// at tens of thousands of connections a second, writing each would double the records a
// connection costs, and what a connection changes durably is already in its grant and pair
// records. udadmin -events shows both, merged in time order.
func (a *udActor) afterChange() {
	if inUse, _ := a.core.InUse(); inUse > a.peak {
		a.peak = inUse // the running maximum between history samples ("Historical Use")
	}
	a.events = a.core.EventsSince(a.lastEv, a.events[:0])
	for i := range a.events {
		e := &a.events[i]
		a.lastEv = e.Seq
		if isConnectionEvent(e.Type) {
			continue
		}
		a.ev = storage.Event{Feature: a.spec.Name, Time: e.Time.UnixNano(), Kind: e.Type.String(), Text: e.String()}
		a.pl.batch().AppendEvent(&a.ev)
	}
	a.pl.flush()
}

func isConnectionEvent(t userdevice.EventType) bool {
	return t == userdevice.EventConnect || t == userdevice.EventDisconnect
}

// recentConnectionEvents is the in-memory part of udadmin -events.
func (a *udActor) recentConnectionEvents() []wire.UDEvent {
	var out []wire.UDEvent
	cutoff := a.env.Now().Add(-a.env.EventRetention)
	for _, e := range a.core.Events() {
		if isConnectionEvent(e.Type) && (a.env.EventRetention <= 0 || !e.Time.Before(cutoff)) {
			out = append(out, wire.UDEvent{Feature: a.spec.Name, Time: e.Time, Kind: e.Type.String(), Text: e.String()})
		}
	}
	return out
}

func (a *udActor) start(ctx actor.Context) error {
	if a.spec.starts.Add(1) > 1 {
		if err := syncWithStore(a.env, a.spec.Name); err != nil {
			return err
		}
	}
	purchased, overdraft := counts(a.spec.Pools)
	cfg := udConfig(a.env.UD, a.spec.Options)
	cfg.NamedUserPeriod = namedPeriodOf(a.env.UD.NamedUserPeriod, a.spec.Pools)
	a.core = userdevice.NewFeature(a.spec.Name, udModel(a.spec.Model), purchased, overdraft, cfg)
	a.pl = newPipeline(a.env.Committer, a.env.System.Root, ctx.Self())
	a.held = make(map[uint64]*udHold)
	if err := a.handles.init(a.env, a.spec.ID, a.spec.Name); err != nil {
		return err
	}
	a.burst, a.burstOff = storedBurst(a.env, a.spec.Name), burstOff(a.env)
	a.burstInstalled()
	var edges []userdevice.Edge
	var lics []userdevice.License
	name := a.spec.Name
	err := a.env.Store.ForEachUDEdgeOf(name, func(e *storage.UDEdge) error {
		edges = append(edges, userdevice.Edge{User: e.User, Device: e.Device, First: time.Unix(0, e.First), LastSeen: time.Unix(0, e.LastSeen), Live: int(e.Live)})
		return nil
	})
	if err == nil {
		err = a.env.Store.ForEachUDLicenseOf(name, func(l *storage.UDLicense) error {
			lics = append(lics, userdevice.License{Kind: userdevice.Kind(l.Kind), Name: l.Name, Since: time.Unix(0, l.Since), LeaseEnd: time.Unix(0, l.LeaseEnd)})
			return nil
		})
	}
	if err == nil {
		err = a.env.Store.ForEachGrant(func(g *storage.Grant) error {
			if g.Feature == name {
				a.held[g.Handle] = &udHold{session: g.Session, user: g.User, device: g.Device, host: g.ClientHost,
					display: g.Display, prod: g.Product, version: g.VersionDate, start: time.Unix(0, g.Start)}
			}
			return nil
		})
	}
	if err != nil {
		return fmt.Errorf("restore user/device state of %s: %w", name, err)
	}
	// A pair's live connections are its grants: a pair record is written when the pair is
	// new and when a connection ends, so its stored count may be behind.
	live := map[[2]string]int{}
	for _, h := range a.held {
		live[[2]string{h.user, h.device}]++
	}
	for i := range edges {
		edges[i].Live = live[[2]string{edges[i].User, edges[i].Device}]
	}
	users, uerr := a.env.Store.Counter(storage.UDAdminUsersReleasedCounter(name))
	devices, derr := a.env.Store.Counter(storage.UDAdminDevicesReleasedCounter(name))
	if err := errors.Join(uerr, derr); err != nil {
		return fmt.Errorf("restore udadmin counters of %s: %w", name, err)
	}
	a.persistChanges(a.core.Restore(edges, lics, users, devices))
	a.lastEv = 0
	if evs := a.core.EventsSince(0, nil); len(evs) > 0 {
		a.lastEv = evs[len(evs)-1].Seq // restore's own bookkeeping is not news
	}
	if len(edges) > 0 {
		a.env.Log.Info("user/device feature restored", zap.String("feature", name), zap.Int("pairs", len(edges)), zap.Int("licenses", len(lics)), zap.Int("handles", len(a.held)))
	}
	a.pl.flush()
	return nil
}

func (a *udActor) checkout(m *CheckoutRequest) {
	now := a.env.Now()
	c := &m.Req
	if m.Reconcile && m.Handle != 0 {
		if _, ok := a.held[m.Handle]; ok {
			r := a.pl.addReply()
			r.sink, r.reqID, r.kind = m.Sink, m.ReqID, replyGrant
			r.grant = wire.Grant{Handle: m.Handle, Feature: a.spec.Name}
			return
		}
	}
	if len(a.spec.Pools) == 0 {
		// Its lines left the inventory (expired, not yet started, removed): say which.
		e := a.engine.Unavailable(a.spec.Name)
		a.env.Debug.Record(Event{When: now, Kind: LogDenied, Feature: a.spec.Name, User: c.User, Host: c.ClientHost,
			Device: c.Device, Product: c.Product, Session: m.Session, Code: int32(e.Code), Detail: e.Code.Text()})
		r := a.pl.addReply()
		r.sink, r.reqID, r.kind = m.Sink, m.ReqID, replyDenial
		r.denial = wire.Denial{Code: e.Code, Detail: e.Detail}
		return
	}
	device := c.Device
	if device == "" {
		device = c.ClientHost
	}
	d, err := a.connect(c.User, device, now, m.Reconcile)
	if err != nil {
		code := wire.CodeInternal
		var ne *userdevice.NameError
		var le *userdevice.LimitError
		switch {
		case errors.As(err, &ne):
			code = wire.CodeBadName
		case errors.As(err, &le):
			code = wire.CodeLicensedNumberReached
		}
		a.env.Debug.Record(Event{When: now, Kind: LogDenied, Feature: a.spec.Name, User: c.User, Host: c.ClientHost,
			Device: device, Product: c.Product, Session: m.Session, Code: int32(code), Detail: code.Text()})
		r := a.pl.addReply()
		r.sink, r.reqID, r.kind = m.Sink, m.ReqID, replyDenial
		r.denial = wire.Denial{Code: code, Detail: err.Error()}
		return
	}
	handle, ok := a.handles.take(a.env, a.pl.self)
	if !ok {
		a.core.Disconnect(d.Edge.User, d.Edge.Device, now)
		a.env.Debug.Record(Event{When: now, Kind: LogDenied, Feature: a.spec.Name, User: c.User, Host: c.ClientHost,
			Device: device, Product: c.Product, Session: m.Session, Code: int32(wire.CodeInternal), Detail: wire.CodeInternal.Text()})
		r := a.pl.addReply()
		r.sink, r.reqID, r.kind = m.Sink, m.ReqID, replyDenial
		r.denial = wire.Denial{Code: wire.CodeInternal, Detail: "no handle numbers available yet; retry"}
		return
	}
	a.held[handle] = &udHold{session: m.Session, user: d.Edge.User, device: d.Edge.Device, host: c.ClientHost,
		display: c.Display, prod: c.Product, version: c.VersionDate, start: now}
	a.grant = storage.Grant{Handle: handle, Session: m.Session, Feature: a.spec.Name, Device: d.Edge.Device,
		User: d.Edge.User, ClientHost: c.ClientHost, Display: c.Display, Product: c.Product,
		VersionDate: c.VersionDate, Start: now.UnixNano()}
	b := a.pl.batch()
	b.PutGrant(&a.grant)
	if d.NewPair {
		// A returning pair's lease is renewed by its live connection (its grant) and its
		// record is rewritten when it disconnects: nothing to write now.
		a.putEdge(&d.Edge)
	}
	if d.NewLicense {
		a.lic = storage.UDLicense{Feature: a.spec.Name, Kind: uint8(d.Kind), Name: d.Name, Since: now.UnixNano(), LeaseEnd: now.Add(a.env.UD.Lease).UnixNano()}
		b.PutUDLicense(&a.lic)
	}
	r := a.pl.addReply()
	r.sink, r.reqID, r.kind, r.handle = m.Sink, m.ReqID, replyGrant, handle
	r.grant = wire.Grant{Handle: handle, Feature: a.spec.Name, Assigned: d.Kind.String(), Shared: !d.NewLicense}
	a.env.Debug.Record(Event{When: now, Kind: LogOut, Feature: a.spec.Name, User: c.User, Host: c.ClientHost,
		Device: d.Edge.Device, Product: c.Product, Handle: handle, Session: m.Session})
}

// connect grants a connection. A reconciling product's connection is reinstated even when
// the count is full: while it was in License caching mode "user/device licenses have no
// limit", and afterwards "no new connections are allowed until they are within normal
// license limits" ("License caching mode example"), which the core's count check then does.
func (a *udActor) connect(user, device string, now time.Time, reconcile bool) (userdevice.Decision, error) {
	d, err := a.core.Connect(user, device, now)
	var le *userdevice.LimitError
	if err == nil || !errors.As(err, &le) {
		return d, err
	}
	if !reconcile && !a.bursting(now) {
		return d, err
	}
	purchased, overdraft := counts(a.spec.Pools)
	a.core.SetCounts(purchased, overdraft+le.InUse+1)
	d, err = a.core.Connect(user, device, now)
	a.core.SetCounts(purchased, overdraft)
	return d, err
}

func (a *udActor) putEdge(e *userdevice.Edge) {
	a.edge = storage.UDEdge{Feature: a.spec.Name, User: e.User, Device: e.Device, First: e.First.UnixNano(), LastSeen: e.LastSeen.UnixNano(), Live: uint32(max(e.Live, 0))}
	a.pl.batch().PutUDEdge(&a.edge)
}

func (a *udActor) checkin(m *CheckinRequest) {
	hold, ok := a.held[m.Handle]
	if !ok {
		denyCheckin(&a.pl, m, wire.CodeUnknownHandle, fmt.Sprintf("handle %d is not held in %s", m.Handle, a.spec.Name))
		return
	}
	if hold.session != m.Session {
		denyCheckin(&a.pl, m, wire.CodeNotHolder, fmt.Sprintf("handle %d of %s belongs to another product session; nothing was released", m.Handle, a.spec.Name))
		return
	}
	a.disconnect(m.Handle, hold, ReasonCheckin)
	r := a.pl.addReply()
	r.sink, r.reqID, r.kind, r.ack = m.Sink, m.ReqID, replyAck, wire.Ack{Released: 1}
}

// disconnect closes one connection: its lease starts running out when it was the pair's
// last ("License assignment period").
func (a *udActor) disconnect(handle uint64, hold *udHold, reason string) {
	now := a.env.Now()
	delete(a.held, handle)
	a.pl.batch().DeleteGrant(handle)
	if e, ok := a.core.Disconnect(hold.user, hold.device, now); ok {
		a.putEdge(&e)
	}
	a.env.Debug.Record(Event{When: now, Kind: LogIn, Feature: a.spec.Name, User: hold.user, Host: hold.host, Device: hold.device,
		Product: hold.prod, Handle: handle, Session: hold.session, Detail: reason})
}

// maybeOptimize starts an optimization when one is due: ended leases are dropped first,
// then the graph is copied and handed to the optimizer, which computes the cover off this
// actor and posts it back ("License optimization").
func (a *udActor) maybeOptimize(ctx actor.Context) {
	now := a.env.Now()
	if a.optimizing || now.Before(a.core.NextOptimization(now)) {
		return
	}
	a.persistReleased(a.core.Expire(now), ReasonLeaseExpired)
	in := a.core.PrepareOptimization(now)
	if in == nil {
		return
	}
	a.optimizing = true
	ctx.Send(a.engine.optimizer, &optimizeJob{in: in, feature: ctx.Self(), name: a.spec.Name})
}

// pruneEvents drops events older than the retention, at most once an hour, so that the
// event log udadmin -events reads does not grow without end.
func (a *udActor) pruneEvents() {
	now := a.env.Now()
	if a.env.EventRetention <= 0 || now.Sub(a.lastPrune) < time.Hour {
		return
	}
	a.lastPrune = now
	a.pl.batch().DeleteEventsBefore(a.spec.Name, now.Add(-a.env.EventRetention).UnixNano())
}

func (a *udActor) persistReleased(rel []userdevice.Released, reason string) {
	b := a.pl.batch()
	now := a.env.Now()
	for _, r := range rel {
		if r.UserLicenseEnded || r.DeviceLicenseEnded {
			// The user's or device's license went back: an IN line with what released it.
			a.env.Debug.Record(Event{When: now, Kind: LogIn, Feature: a.spec.Name, User: r.User, Host: r.Device, Device: r.Device, Detail: reason})
		}
		b.DeleteUDEdge(a.spec.Name, r.User, r.Device)
		if r.UserLicenseEnded {
			b.DeleteUDLicense(a.spec.Name, uint8(userdevice.KindUser), r.User)
		}
		if r.DeviceLicenseEnded {
			b.DeleteUDLicense(a.spec.Name, uint8(userdevice.KindDevice), r.Device)
		}
	}
}

func (a *udActor) persistChanges(changes []userdevice.Change) {
	b := a.pl.batch()
	for _, c := range changes {
		if c.Licensed {
			a.lic = storage.UDLicense{Feature: a.spec.Name, Kind: uint8(c.Kind), Name: c.Name, Since: c.Since.UnixNano()}
			b.PutUDLicense(&a.lic)
		} else {
			b.DeleteUDLicense(a.spec.Name, uint8(c.Kind), c.Name)
		}
	}
}

// status is the feature as lmstat shows it: the licensed users and devices as of the last
// optimization ("Optimization might delay status information").
func (a *udActor) status(detail bool) *wire.FeatureStatus {
	now := a.env.Now()
	var u userdevice.Usage
	if detail {
		u = a.core.Snapshot(now)
	} else {
		u = a.core.Counts(now) // without listing every license
	}
	fs := &wire.FeatureStatus{Feature: a.spec.Name, Model: a.spec.Model.String(), Issued: u.Installed,
		InUse: u.InUse, Overdraft: u.Overdraft, OverdraftInUse: u.OverdraftInUse, OptimizedAt: u.LastOptimization,
		PeakInUse: max(a.peak, u.InUse)}
	for _, p := range a.spec.Pools {
		ps := poolStatus(p)
		burstStatus(&ps, a.burst, a.retail, now)
		fs.Pools = append(fs.Pools, ps)
	}
	if detail {
		byUser, byDevice := a.oldestHolds()
		for _, l := range u.Users {
			c := wire.CheckoutStatus{User: l.Name, Start: l.Since, Device: "", Product: "user"}
			holdStatus(&c, byUser[l.Name])
			fs.Checkouts = append(fs.Checkouts, c)
		}
		for _, l := range u.Devices {
			c := wire.CheckoutStatus{Device: l.Name, Host: l.Name, Start: l.Since, Product: "device"}
			holdStatus(&c, byDevice[l.Name])
			fs.Checkouts = append(fs.Checkouts, c)
		}
	}
	return fs
}

// heldRef is a hold with its handle.
type heldRef struct {
	handle uint64
	h      *udHold
}

// oldestHolds finds, for each user and each device, its oldest open connection: the
// handle and the product's version a licensed user's or device's lmstat line shows.
func (a *udActor) oldestHolds() (byUser, byDevice map[string]heldRef) {
	byUser, byDevice = make(map[string]heldRef), make(map[string]heldRef)
	older := func(m map[string]heldRef, key string, handle uint64, h *udHold) {
		if cur, ok := m[key]; !ok || h.start.Before(cur.h.start) || (h.start.Equal(cur.h.start) && handle < cur.handle) {
			m[key] = heldRef{handle, h}
		}
	}
	for handle, h := range a.held {
		older(byUser, h.user, handle, h)
		older(byDevice, h.device, handle, h)
	}
	return byUser, byDevice
}

// holdStatus fills a user/device license's line from its connection, when it has one open:
// the handle (which lmstat -h finds), the version the product sent and its session. A
// license whose connections are all closed (it is assigned for the lease period) has none.
func holdStatus(c *wire.CheckoutStatus, r heldRef) {
	if r.h == nil {
		return
	}
	c.Handle, c.Session = r.handle, r.h.session
	if r.h.version != 0 {
		c.Version = versionText(r.h.version)
	}
}

// bursting reports whether a connection past the installed count is granted at now: during
// the feature's burst, or because this connection starts it ("If all licenses are in use,
// including the license overdraft where applicable, the License burst mode gives you time").
func (a *udActor) bursting(now time.Time) bool {
	if a.burstOff {
		return false
	}
	if a.burst.Active(now) {
		return true
	}
	if !a.burst.Start(now, a.retail) {
		return false
	}
	putBurst(a.env, &a.pl, a.spec.Name, a.spec.Name, a.burst, now)
	return true
}

// burstInstalled applies the feature's Retail lines after a start or an lmreread.
func (a *udActor) burstInstalled() {
	a.retail = 0
	for _, p := range a.spec.Pools {
		a.retail += retailLines(p)
	}
	now := a.env.Now()
	if a.burst.Installed(a.retail, now) {
		putBurst(a.env, &a.pl, a.spec.Name, a.spec.Name, a.burst, now)
	}
}
