package daemon

import (
	"crypto/tls"
	"errors"
	"fmt"
	"strconv"
	"time"

	"go.uber.org/zap"

	"github.com/licd/licd/actors"
	"github.com/licd/licd/license"
	"github.com/licd/licd/wire"
)

// startupFeature is the start-up license every product checks out first ("Citrix Start-up
// license"); it counts against nothing but itself.
const startupFeature = "CITRIX"

// hello is the product start-up phase ("License request process": the product connects to
// the vendor daemon and checks out a startup license). The reader goroutine waits for it,
// which is fine: it is this connection's own goroutine, not an actor.
func (c *conn) hello(reqID uint32, h *wire.Hello) {
	if c.session != 0 {
		c.deny(reqID, wire.Errorf(wire.CodeBadRequest, "this connection already has a session"))
		return
	}
	if c.d.vendorDown.Load() {
		c.deny(reqID, wire.Errorf(wire.CodeVendorDown, "the CITRIX vendor daemon was stopped by lmdown -vendor CITRIX; it serves again after lmreread -vendor CITRIX (held licenses stay held for the linger)"))
		return
	}
	addr := remoteIP(c.nc.RemoteAddr())
	limited := !c.local || c.d.cfg.Product.StrictLoopback
	if limited && !c.d.hellos.allow(addr, time.Now()) {
		r, b := c.d.cfg.Product.helloRate()
		c.d.log.Warn("hello refused: too fast", zap.String("addr", addr), zap.String("client_id", h.ClientID))
		c.deny(reqID, wire.Errorf(wire.CodeTooManySessions, fmt.Sprintf(
			"hellos from %s arrive faster than %g a second (bursts of %d); wait and retry, or raise -product-hello-rate", addr, float64(r), b)))
		return
	}
	if err := c.authenticate(h); err != nil {
		c.d.log.Warn("hello refused: not authenticated", zap.String("addr", addr), zap.String("client_id", h.ClientID))
		c.d.debug.Record(actors.Event{When: c.d.now(), Kind: actors.LogDenied, Feature: startupFeature, User: h.Product, Host: h.Host,
			Code: int32(err.Code), Detail: err.Code.Text()})
		c.deny(reqID, err)
		return
	}
	open := &actors.OpenSession{Hello: *h, Conn: c, Addr: addr, Limit: limited}
	open.Hello.Credential = nil // the secret stops here
	reply := make(chan actors.SessionOpened, 1)
	open.Reply = reply
	c.d.engine.Send(c.d.engine.Sessions(), open)
	var opened actors.SessionOpened
	select {
	case opened = <-reply:
	case <-time.After(30 * time.Second):
		opened.Err = wire.Errorf(wire.CodeInternal, "the session registry did not answer; retry the hello")
	}
	if opened.Err != nil {
		c.deny(reqID, asWireError(opened.Err))
		return
	}
	c.session = opened.ID
	c.inSession.Store(true)
	c.helloAt = c.d.now()
	c.recOpen, c.mayReconcile = true, opened.Adopted
	startup, err := c.startupCheckout(h)
	if err != nil {
		c.d.log.Warn("start-up checkout failed", zap.String("host", h.Host), zap.Error(err))
		c.deny(reqID, asWireError(err))
		c.session = 0
		return
	}
	interval := c.d.engine.Heartbeat()
	c.product = c.d.engine.StartProduct(c.session, c, c.w)
	c.w.Reply(reqID, &wire.HelloOK{
		SessionID: c.session, ServerHost: c.d.hostname, ServerVersion: Version,
		HeartbeatSeconds: uint32(interval / time.Second), StartupHandle: startup,
		Inventory: inventoryItems(c.d.engine.Inventory()), SessionToken: opened.Token,
	})
	c.d.log.Debug("product connected", zap.Uint64("session", c.session), zap.String("host", h.Host),
		zap.String("product", h.Product), zap.Bool("adopted", opened.Adopted))
}

// startupCheckout checks out the start-up license for the session's product server (its
// device is the product server itself, so reconnections share it).
func (c *conn) startupCheckout(h *wire.Hello) (uint64, error) {
	device := h.ClientID
	if device == "" {
		device = h.Host
	}
	done := make(chan wire.Message, 1)
	m := &actors.CheckoutRequest{
		Req: wire.Checkout{Feature: startupFeature, Product: h.Product, User: h.Product, Device: device,
			ClientHost: h.Host, Display: h.Product, VersionDate: 0},
		Session: c.session,
		Sink: actors.SinkFunc(func(_ uint32, m wire.Message) {
			// The message is only valid during Reply: copy what we keep.
			switch v := m.(type) {
			case *wire.Grant:
				g := *v
				done <- &g
			case *wire.Denial:
				d := *v
				done <- &d
			}
		}),
	}
	c.d.routeCheckout(m)
	switch v := (<-done).(type) {
	case *wire.Grant:
		return v.Handle, nil
	case *wire.Denial:
		return 0, &wire.Error{Code: v.Code, Detail: "start-up license: " + v.Detail}
	}
	return 0, wire.Errorf(wire.CodeInternal, "start-up checkout gave no answer")
}

// authenticate checks the product credential when the server requires one (README
// "Security"): a verified client certificate, or the product's shared secret.
func (c *conn) authenticate(h *wire.Hello) *wire.Error {
	if c.d.creds == nil {
		return nil
	}
	if tc, ok := c.nc.(*tls.Conn); ok && len(tc.ConnectionState().VerifiedChains) > 0 {
		return nil
	}
	if len(h.Credential) == 0 {
		return wire.Errorf(wire.CodeNotAuthenticated, "this license server requires a product credential: set the product's secret (ClientOptions.Credential) as listed for client id "+strconvQuote(h.ClientID)+" in the server's product secrets file")
	}
	if !c.d.creds.check(h.ClientID, h.Credential) {
		return wire.Errorf(wire.CodeNotAuthenticated, "the product credential for client id "+strconvQuote(h.ClientID)+" is wrong")
	}
	return nil
}

func asWireError(err error) *wire.Error {
	var we *wire.Error
	if errors.As(err, &we) {
		return we
	}
	return wire.Errorf(wire.CodeInternal, err.Error())
}

// inventoryItems is the replica of the installed licenses a product keeps for License
// caching mode ("Citrix licensing technical overview").
func inventoryItems(inv *license.Inventory) []wire.InventoryItem {
	if inv == nil {
		return nil
	}
	items := make([]wire.InventoryItem, 0, len(inv.Pools))
	for _, p := range inv.Pools {
		_, _, code, _ := license.SplitFeature(p.Feature)
		it := wire.InventoryItem{Feature: p.Feature, Model: code, CSS: uint32(p.CSS), Installed: uint32(p.Installed())}
		if gp, ok := license.ParseVendorString(p.VendorString).GP(); ok && gp > 0 {
			it.GraceHours = uint32(min(gp, 1<<31)) // the client's caching-mode grace period
		}
		if !p.Permanent {
			it.Expiry = p.Expiry.Add(24*time.Hour - time.Second).Unix()
		}
		items = append(items, it)
	}
	return items
}

func strconvQuote(s string) string {
	if len(s) > 64 {
		s = s[:64] + "..."
	}
	return strconv.Quote(s)
}
