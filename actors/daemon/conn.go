package daemon

import (
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"go.uber.org/zap"

	"github.com/licd/licd/actors"
	"github.com/licd/licd/license"
	"github.com/licd/licd/wire"
)

// conn is one accepted connection: a product server, a utility or licbench. Its reader
// goroutine decodes frames and sends checkouts straight to the feature actors; replies go
// through its connWriter.
type conn struct {
	d       *Daemon
	nc      net.Conn
	w       *connWriter
	local   bool
	reserve bool // accepted in the utilities' reserve of descriptors: no hello
	session uint64
	// inSession is session != 0 for other goroutines (lmdown -vendor closes the product
	// connections, not the utilities').
	inSession atomic.Bool
	product   *actor.PID
	helloAt   time.Time

	// Reconcile state ("License caching mode example"): the handles stated by the frames of
	// the first reconcile after a hello, until its last frame (More false).
	recMu   sync.Mutex
	recKeep map[uint64]struct{}
	recDone bool
	closeMu sync.Once

	// A reconcile is accepted only as the first exchange after the hello (recOpen, closed
	// by the first other request), and with holds only when the hello adopted a session
	// this server knew (mayReconcile); recCount bounds the holds per feature by what caching
	// mode could have granted (the installed count).
	recOpen      bool
	mayReconcile bool
	recCount     map[string]int
	used         bool // SessionUsed sent for this connection's session
}

// Close closes the socket; the reader then ends the connection. It implements
// actors.ConnCloser (the product actor closes a lost product's connection this way).
func (c *conn) Close() error {
	var err error
	c.closeMu.Do(func() {
		err = c.nc.Close()
		if c.w != nil {
			c.w.abort() // a reader waiting for room must see the close too
		}
	})
	return err
}

func isLoopback(a net.Addr) bool {
	ta, ok := a.(*net.TCPAddr)
	return ok && ta.IP.IsLoopback()
}

// serveConn serves one accepted connection. A reserve connection was accepted beyond the
// product limit, in the descriptors kept for the utilities: it may ask, but not say hello.
func (d *Daemon) serveConn(nc net.Conn, reserve bool) {
	defer d.conns.Done()
	defer d.open.Add(-1)
	c := &conn{d: d, nc: nc, local: isLoopback(nc.RemoteAddr()), reserve: reserve}
	if tc, ok := nc.(*net.TCPConn); ok {
		_ = tc.SetNoDelay(true)
	}
	plainRefused := false
	if d.productTLS != nil || d.cfg.Product.RequireTLS {
		var err error
		if nc, plainRefused, err = d.startTLS(nc, c.local); err != nil {
			d.log.Debug("TLS handshake failed", zap.String("remote", c.nc.RemoteAddr().String()), zap.Error(err))
			_ = c.Close()
			return
		}
		c.nc = nc
	}
	if _, err := wire.ServerHandshake(nc, time.Now().Add(handshakeTimeout)); err != nil {
		d.log.Debug("handshake failed", zap.String("remote", nc.RemoteAddr().String()), zap.Error(err))
		_ = c.Close()
		return
	}
	_ = nc.SetDeadline(time.Time{})
	c.w = newConnWriter(nc, d.limits.WriteTimeout)
	if plainRefused {
		c.w.Reply(0, &wire.ProtocolError{Code: wire.CodeNotAuthenticated, Detail: tlsRequiredDetail})
		c.w.close(closeGrace)
		_ = c.Close()
		return
	}
	if !d.track(c) {
		c.w.Reply(0, &wire.ProtocolError{Code: wire.CodeShuttingDown, Detail: "the license server is shutting down"})
		c.w.close(closeGrace)
		_ = c.Close()
		return
	}
	err := c.readLoop()
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) {
		var we *wire.Error
		if errors.As(err, &we) {
			// A malformed or oversized frame, or a timeout: say why, then close this
			// connection only.
			c.w.Reply(0, &wire.ProtocolError{Code: we.Code, Detail: we.Detail})
			d.log.Info("protocol error; connection closed", zap.String("remote", nc.RemoteAddr().String()), zap.Error(err))
		}
	}
	if c.product != nil {
		d.engine.Send(c.product, &actors.ProductClosed{})
	}
	c.w.close(closeGrace)
	_ = c.Close()
	d.untrack(c)
}

// closeGrace is how long a closing connection's last replies (a ProtocolError saying why)
// may take to leave.
const closeGrace = 5 * time.Second

// readLoop reads and dispatches frames. Until the connection's hello, frames are limited to
// Limits.HelloFrame: what utilities send is small, and a stranger's declared megabyte is
// refused before any of it is buffered.
func (c *conn) readLoop() error {
	cr := &connReader{c: c}
	fr := wire.NewFrameReader(cr, c.d.limits.HelloFrame) // it buffers its reads itself
	cr.fr = fr
	for {
		f, err := fr.Next()
		if err != nil {
			return err
		}
		if c.reserve && f.Type == wire.TypeHello {
			return wire.Errorf(wire.CodeInternal, c.d.atConnLimit())
		}
		if f.ReqID != 0 && !c.w.admit() {
			return net.ErrClosed
		}
		if err := c.dispatch(f); err != nil {
			return err
		}
		if c.session != 0 && fr.MaxFrame() != c.d.cfg.MaxFrame {
			fr.SetMaxFrame(c.d.cfg.MaxFrame)
		}
	}
}

// refuse answers a request whose frame decoded but whose fields are not acceptable (a name
// too long, a batch too large: a *wire.Error other than CodeProtocol) with a denial, keeping
// the connection; a payload that does not decode at all closes it.
func (c *conn) refuse(reqID uint32, err error) error {
	var we *wire.Error
	if errors.As(err, &we) && we.Code != wire.CodeProtocol {
		return c.deny(reqID, we)
	}
	return err
}

// startTask runs fn on its own goroutine once the connection may start another query or
// admin request (Limits.QueriesPerConn running, Limits.QueryBudget bytes of replies
// waiting): until then the reader waits, and the client is held back by TCP.
func (c *conn) startTask(fn func()) error {
	if !c.w.startTask(c.d.limits.QueriesPerConn, c.d.limits.QueryBudget) {
		return net.ErrClosed
	}
	c.d.conns.Add(1) // shutdown waits for it like for a connection
	go func() {
		defer c.d.conns.Done()
		defer c.w.endTask()
		fn()
	}()
	return nil
}

// dispatch handles one frame. Errors it returns are protocol errors that close the
// connection; denials are replies.
func (c *conn) dispatch(f wire.Frame) error {
	switch f.Type {
	case wire.TypeCheckout:
		m := &actors.CheckoutRequest{Session: c.session, ReqID: f.ReqID, Sink: c.w}
		if err := f.Decode(&m.Req); err != nil {
			return c.refuse(f.ReqID, err)
		}
		if c.session == 0 {
			return c.deny(f.ReqID, wire.Errorf(wire.CodeNoSession, "send hello (the start-up checkout) before checking out"))
		}
		c.markUsed()
		c.d.routeCheckout(m)
	case wire.TypeCheckin:
		var m wire.Checkin
		if err := f.Decode(&m); err != nil {
			return err
		}
		if c.session == 0 {
			return c.deny(f.ReqID, wire.Errorf(wire.CodeNoSession, "send hello first: only the session that holds a license can check it in"))
		}
		c.recOpen = false
		r := c.d.engine.Routes().ByHandle(m.Handle)
		if r == nil {
			return c.deny(f.ReqID, wire.Errorf(wire.CodeUnknownHandle, "no feature issued this handle"))
		}
		c.d.engine.Send(r.PID, &actors.CheckinRequest{Handle: m.Handle, Session: c.session, ReqID: f.ReqID, Sink: c.w})
	case wire.TypeUserIdle:
		// TIMEOUT ("Options file"): the product says its user is idle (idle seconds) or
		// active again (0); the feature checks the checkout in when that makes it due.
		var m wire.UserIdle
		if err := f.Decode(&m); err != nil {
			return c.refuse(f.ReqID, err)
		}
		if c.session == 0 {
			return c.deny(f.ReqID, wire.Errorf(wire.CodeNoSession, "send hello first: only the session that holds a license can report on it"))
		}
		r := c.d.engine.Routes().ByHandle(m.Handle)
		if r == nil {
			return c.deny(f.ReqID, wire.Errorf(wire.CodeUnknownHandle, "no feature issued this handle"))
		}
		if r.Model.HasOverdraft() {
			// User/device licenses are assignments, not checkouts: TIMEOUT does not apply.
			c.w.Reply(f.ReqID, &wire.Ack{})
			return nil
		}
		req := &actors.UserIdleRequest{Handle: m.Handle, Session: c.session, ReqID: f.ReqID, Sink: c.w}
		if m.IdleSeconds > 0 {
			// Bounded: more than ten years idle is ten years idle.
			req.Since = c.d.now().Add(-time.Duration(min(m.IdleSeconds, 10*365*24*3600)) * time.Second)
		}
		c.d.engine.Send(r.PID, req)
	case wire.TypeCheckoutBatch:
		var m wire.CheckoutBatch
		if err := f.Decode(&m); err != nil {
			return c.refuse(f.ReqID, err)
		}
		if c.session == 0 {
			return c.deny(f.ReqID, wire.Errorf(wire.CodeNoSession, "send hello (the start-up checkout) before checking out"))
		}
		c.markUsed()
		c.batch(f.ReqID, m.Items, false, nil, nil, nil)
	case wire.TypeCheckinDevice:
		var m wire.CheckinDevice
		if err := f.Decode(&m); err != nil {
			return c.refuse(f.ReqID, err)
		}
		if c.session == 0 {
			return c.deny(f.ReqID, wire.Errorf(wire.CodeNoSession, "send hello first: a product checks in only its own devices' licenses"))
		}
		c.recOpen = false
		r := c.d.engine.Routes().ByName(m.Feature)
		if r == nil {
			return c.deny(f.ReqID, c.d.engine.Unavailable(m.Feature))
		}
		c.d.engine.Send(r.PID, &actors.CheckinDeviceRequest{Device: m.Device, Session: c.session, ReqID: f.ReqID, Sink: c.w})
	case wire.TypeHeartbeat:
		var m wire.Heartbeat
		if err := f.Decode(&m); err != nil {
			return err
		}
		c.heard()
		c.w.Reply(f.ReqID, &wire.HeartbeatAck{UnixNano: m.UnixNano})
	case wire.TypeHeartbeatAck:
		c.heard()
	case wire.TypeHello:
		var m wire.Hello
		if err := f.Decode(&m); err != nil {
			return err
		}
		c.hello(f.ReqID, &m)
	case wire.TypeReconcile:
		var m wire.Reconcile
		if err := f.Decode(&m); err != nil {
			return err
		}
		if c.session == 0 {
			return c.deny(f.ReqID, wire.Errorf(wire.CodeNoSession, "send hello before reconciling"))
		}
		if err := c.mayStateHolds(len(m.Holds)); err != nil {
			c.d.log.Warn("reconcile refused", zap.Uint64("session", c.session), zap.String("remote", c.nc.RemoteAddr().String()), zap.Int("holds", len(m.Holds)), zap.String("why", err.Detail))
			return c.deny(f.ReqID, err)
		}
		c.reconcile(f.ReqID, m.Holds, m.More)
	case wire.TypeQuery:
		var m wire.Query
		if err := f.Decode(&m); err != nil {
			return c.refuse(f.ReqID, err)
		}
		return c.startTask(func() { c.query(f.ReqID, m) })
	case wire.TypeAdmin:
		var m wire.Admin
		if err := f.Decode(&m); err != nil {
			return c.refuse(f.ReqID, err)
		}
		return c.startTask(func() { c.admin(f.ReqID, m) })
	case wire.TypeGoodbye:
		if c.session != 0 {
			done := make(chan error, 1)
			c.d.engine.Send(c.d.engine.Sessions(), &actors.SessionGoodbye{ID: c.session, Done: done})
			if err := <-done; err != nil {
				// Not durable: the goodbye is not acknowledged; the product may retry it.
				return c.deny(f.ReqID, asWireError(err))
			}
			c.session = 0
			if c.product != nil {
				c.d.engine.Send(c.product, &actors.ProductClosed{})
				c.product = nil
			}
		}
		c.w.Reply(f.ReqID, &wire.Ack{})
	case wire.TypeLocate:
		c.w.Reply(f.ReqID, &wire.LocateResult{Host: c.d.hostname, VendorPort: uint16(c.d.VendorAddr().Port)})
	default:
		// An unknown request type from a newer client: refuse it, keep the connection.
		return c.deny(f.ReqID, wire.Errorf(wire.CodeBadRequest, "licd does not serve message type "+f.Type.String()))
	}
	return nil
}

func (c *conn) deny(reqID uint32, e *wire.Error) error {
	c.w.Reply(reqID, &wire.Denial{Code: e.Code, Detail: e.Detail})
	return nil
}

func (c *conn) heard() {
	if c.product != nil {
		c.d.engine.Send(c.product, &actors.ProductHeard{When: c.d.now()})
	}
}

// routeCheckout resolves the feature (by name, or as PRODUCT_EDITION_MODEL) and hands the
// request to its actor, or denies it here when no actor serves that feature.
func (d *Daemon) routeCheckout(m *actors.CheckoutRequest) {
	if m.Req.Feature == "" {
		m.Req.Feature = license.FeatureName(m.Req.Product, m.Req.Edition, m.Req.Model)
	}
	r := d.engine.Routes().ByName(m.Req.Feature)
	if r == nil {
		e := d.engine.Unavailable(m.Req.Feature)
		d.debug.Record(actors.Event{When: d.now(), Kind: actors.LogDenied, Feature: m.Req.Feature, User: m.Req.User,
			Host: m.Req.ClientHost, Device: m.Req.Device, Product: m.Req.Product, Session: m.Session, Code: int32(e.Code), Detail: e.Code.Text()})
		m.Sink.Reply(m.ReqID, &wire.Denial{Code: e.Code, Detail: e.Detail})
		return
	}
	d.engine.Send(r.PID, m)
}

// batchCollector gathers the per-item replies of a checkoutBatch (or a reconcile) and
// answers with one frame when the last one arrives.
type batchCollector struct {
	mu        sync.Mutex
	items     []wire.BatchItem
	left      int
	reqID     uint32
	sink      actors.Sink
	reconcile bool
	done      func(items []wire.BatchItem) // runs before the reply is sent
}

func (b *batchCollector) Reply(idx uint32, m wire.Message) {
	b.mu.Lock()
	switch v := m.(type) {
	case *wire.Grant:
		b.items[idx].Grant = *v
	case *wire.Denial:
		b.items[idx].Denied = *v
	}
	b.left--
	last := b.left == 0
	b.mu.Unlock()
	if last {
		if b.done != nil {
			b.done(b.items)
		}
		if b.reconcile {
			b.sink.Reply(b.reqID, &wire.ReconcileResult{Items: b.items})
		} else {
			b.sink.Reply(b.reqID, &wire.BatchResult{Items: b.items})
		}
	}
}

// batch routes items to their features; refused (when not nil) holds, per item, a denial
// decided here that goes back without reaching a feature.
func (c *conn) batch(reqID uint32, items []wire.Checkout, reconcile bool, handles []uint64, refused []*wire.Error, done func([]wire.BatchItem)) {
	if len(items) == 0 {
		if done != nil {
			done(nil)
		}
		if reconcile {
			c.w.Reply(reqID, &wire.ReconcileResult{})
		} else {
			c.w.Reply(reqID, &wire.BatchResult{})
		}
		return
	}
	col := &batchCollector{items: make([]wire.BatchItem, len(items)), left: len(items), reqID: reqID, sink: c.w, reconcile: reconcile, done: done}
	for i := range items {
		if refused != nil && refused[i] != nil {
			col.Reply(uint32(i), &wire.Denial{Code: refused[i].Code, Detail: refused[i].Detail})
			continue
		}
		m := &actors.CheckoutRequest{Req: items[i], Session: c.session, ReqID: uint32(i), Sink: col, Reconcile: reconcile}
		if handles != nil {
			m.Handle = handles[i]
		}
		c.d.routeCheckout(m)
	}
}

// markUsed tells the session registry, once per connection, that its session checks out
// more than its start-up license (so it keeps the full linger when lost), and ends the
// window in which a reconcile is accepted.
func (c *conn) markUsed() {
	c.recOpen = false
	if !c.used {
		c.used = true
		c.d.engine.Send(c.d.engine.Sessions(), &actors.SessionUsed{ID: c.session})
	}
}

// mayStateHolds says whether a reconcile with n holds is acceptable now ("License caching
// mode": a product states what it granted while cut off when it is back, and only then).
// A reconcile stating nothing is always accepted: a product that restarted says so with it.
func (c *conn) mayStateHolds(n int) *wire.Error {
	if n == 0 {
		return nil
	}
	if !c.recOpen {
		return wire.Errorf(wire.CodeReconcileRefused, "a reconcile is accepted only as the first exchange after a reconnect's hello, before any checkout or checkin")
	}
	if !c.mayReconcile {
		return wire.Errorf(wire.CodeReconcileRefused, "this hello opened a new session: only a product reconnecting with its session token may reconcile holdings")
	}
	return nil
}

// reconcile reinstates what a product back from License caching mode holds ("License
// caching mode example"): every hold becomes a checkout that is granted even beyond the
// count, after which the pool takes no new checkout until it is back within its count.
// Caching mode grants concurrent licenses up to the installed count ("License caching
// mode"), so holds of a feature beyond its installed count are refused.
//
// The first reconcile after a hello (its frames up to the one with More false) states
// everything the product holds: once it is complete, what the session held before the hello
// and the product no longer states is released. A product that restarted states nothing.
func (c *conn) reconcile(reqID uint32, holds []wire.Hold, more bool) {
	items := make([]wire.Checkout, len(holds))
	handles := make([]uint64, len(holds))
	var refused []*wire.Error
	inv := c.d.engine.Inventory()
	if c.recCount == nil && len(holds) > 0 {
		c.recCount = map[string]int{}
	}
	for i, h := range holds {
		items[i] = wire.Checkout{Feature: h.Feature, User: h.User, Device: h.Device, ClientHost: h.ClientHost,
			Display: h.Display, VersionDate: h.VersionDate, Sockets: h.Sockets}
		handles[i] = h.Handle
		installed, bounded := cachingBound(inv, h.Feature)
		units := max(1, int(h.Sockets))
		if bounded && c.recCount[h.Feature]+units > installed {
			if refused == nil {
				refused = make([]*wire.Error, len(holds))
			}
			refused[i] = wire.Errorf(wire.CodeReconcileRefused, fmt.Sprintf("%s has %d licenses installed, and caching mode grants no more than that; this hold is not reinstated", h.Feature, installed))
			continue
		}
		c.recCount[h.Feature] += units
	}
	if len(holds) > 0 {
		c.d.log.Info("reconcile", zap.Uint64("session", c.session), zap.String("remote", c.nc.RemoteAddr().String()),
			zap.Int("holds", len(holds)), zap.Int("refused", countRefused(refused)), zap.Bool("more", more))
	}
	c.batch(reqID, items, true, handles, refused, func(res []wire.BatchItem) {
		c.recMu.Lock()
		defer c.recMu.Unlock()
		if c.recDone {
			return
		}
		if c.recKeep == nil {
			c.recKeep = map[uint64]struct{}{}
		}
		for _, it := range res {
			if it.Denied.Code == wire.OK && it.Grant.Handle != 0 {
				c.recKeep[it.Grant.Handle] = struct{}{}
			}
		}
		if more {
			return
		}
		c.recDone = true
		c.d.engine.Broadcast(&actors.ReleaseSessionExcept{Session: c.session, Keep: c.recKeep, Before: c.helloAt})
	})
}

// cachingBound is what a product may have granted of feature from its cache: "Each site
// allows up to the maximum number of licenses installed. As above, the user/device licenses
// have no limit" ("License caching mode example"). bounded is false for the user/device
// family and uncounted licenses.
func cachingBound(inv *license.Inventory, feature string) (installed int, bounded bool) {
	if inv == nil {
		return 0, true
	}
	bounded = true
	for _, p := range inv.Pools {
		if p.Feature != feature {
			continue
		}
		switch p.Model {
		case license.ModelUserDevice, license.ModelPerUser, license.ModelPerDevice, license.ModelNamedUser:
			bounded = false
		}
		if p.Uncounted {
			bounded = false
		}
		installed += p.Installed()
	}
	return installed, bounded
}

func countRefused(r []*wire.Error) int {
	n := 0
	for _, e := range r {
		if e != nil {
			n++
		}
	}
	return n
}
