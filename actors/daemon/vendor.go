package daemon

import (
	"encoding/json"
	"fmt"
	"net"
	"time"

	"go.uber.org/zap"

	"github.com/licd/licd/wire"
)

// vendorArgs are the arguments of the shutdown and reread admin requests: with Vendor
// ("lmdown -vendor CITRIX", "lmreread -vendor CITRIX") they stop or start the vendor daemon
// only.
type vendorArgs struct {
	Vendor string `json:"vendor,omitempty"`
}

func vendorOnly(args []byte) bool {
	var a vendorArgs
	return len(args) > 0 && json.Unmarshal(args, &a) == nil && a.Vendor != ""
}

// VendorUp reports whether the vendor daemon serves products (lmstat's "CITRIX: UP").
func (d *Daemon) VendorUp() bool { return !d.vendorDown.Load() }

// StopVendor is `lmdown -vendor CITRIX` ("lmdown": "-vendor name: Shuts down only this
// vendor daemon. The License Manager daemon continues running"): the vendor port closes, the
// product connections close, and hellos on the license-manager port are refused with -97,
// while lmstat, the utilities and the admin surfaces carry on. Licenses stay held: the
// products' sessions linger as for any lost connection, and the products reconcile them
// when they reconnect after StartVendor.
func (d *Daemon) StopVendor() {
	if !d.vendorDown.CompareAndSwap(false, true) {
		return
	}
	d.mu.Lock()
	vd := d.vd
	d.vd = nil
	products := make([]*conn, 0, len(d.live))
	for c := range d.live {
		if c.inSession.Load() {
			products = append(products, c)
		}
	}
	d.mu.Unlock()
	if vd != nil {
		_ = vd.Close()
	}
	for _, c := range products {
		c.w.Reply(0, &wire.ProtocolError{Code: wire.CodeVendorDown, Detail: "lmdown -vendor CITRIX: the vendor daemon stopped; your licenses stay held for the linger, reconnect when it is back"})
		c.w.close(time.Second)
		_ = c.Close()
	}
	d.log.Info("vendor daemon stopped by lmdown -vendor", zap.Int("product_connections_closed", len(products)))
	d.debug.Info(d.now(), fmt.Sprintf("CITRIX vendor daemon shut down by lmdown -vendor (%d product connections closed; licenses held for the linger)", len(products)))
}

// StartVendor is `lmreread -vendor CITRIX` after StopVendor ("lmdown": "lmreread -vendor
// name ... restarts the vendor daemon"): the vendor port listens again, on the port it had,
// and hellos are accepted.
func (d *Daemon) StartVendor() error {
	if !d.vendorDown.Load() {
		return nil
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closing {
		return wire.Errorf(wire.CodeShuttingDown, "the server is shutting down")
	}
	var l net.Listener
	var err error
	if d.cfg.shared != nil {
		l = d.cfg.shared.reopenVendor() // the cluster node holds the port
	} else {
		l, err = net.Listen("tcp", d.vdAddr.String())
	}
	if err != nil {
		return wire.Errorf(wire.CodeInternal, fmt.Sprintf("the vendor daemon cannot listen on %s again: %v; free the port, then run lmreread -vendor CITRIX again", d.vdAddr, err))
	}
	d.vd = l
	d.accepts.Add(1)
	go d.acceptLoop(l)
	d.vendorDown.Store(false)
	d.log.Info("vendor daemon started by lmreread -vendor", zap.Stringer("addr", d.vdAddr))
	d.debug.Info(d.now(), fmt.Sprintf("CITRIX vendor daemon started again by lmreread -vendor on port %d", d.vdAddr.Port))
	return nil
}
