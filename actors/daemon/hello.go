package daemon

import (
	"errors"
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
	reply := make(chan actors.SessionOpened, 1)
	c.d.engine.Send(c.d.engine.Sessions(), &actors.OpenSession{Hello: *h, Conn: c, Remote: c.nc.RemoteAddr().String(), Reply: reply})
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
	c.helloAt = c.d.now()
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
		Inventory: inventoryItems(c.d.engine.Inventory()),
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
		if !p.Permanent {
			it.Expiry = p.Expiry.Add(24*time.Hour - time.Second).Unix()
		}
		items = append(items, it)
	}
	return items
}
