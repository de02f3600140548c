package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/licd/licd/license"
	"github.com/licd/licd/wire"
)

// probe is lmdiag's product session: a real start-up checkout (Hello), then test checkouts
// each returned at once. Its client id is stable per machine, so that every lmdiag run of
// a machine reuses one session on the server instead of leaving one behind per run.
type probe struct {
	c    *serverConn
	host string
}

func openProbe(ctx context.Context, t target, timeout time.Duration) (*probe, error) {
	c, err := dial(ctx, t, timeout)
	if err != nil {
		return nil, err
	}
	host := thisHost()
	var ok wire.HelloOK
	// A server that authenticates products (README "Security") takes lmdiag's secret from
	// the environment, never from the command line where ps would show it.
	hello := &wire.Hello{ClientID: "lmdiag@" + host, Product: "lmdiag", Host: host, Credential: []byte(os.Getenv("LICD_PRODUCT_SECRET"))}
	if err := c.call(hello, &ok); err != nil {
		c.Close()
		return nil, err
	}
	// A fresh product holds nothing, and says so with an empty reconcile (PROTOCOL.md
	// "License caching mode and reconcile").
	var rr wire.ReconcileResult
	if err := c.call(&wire.Reconcile{}, &rr); err != nil {
		c.Close()
		return nil, err
	}
	return &probe{c: c, host: host}, nil
}

// Close says goodbye, so that the probe's start-up license and any test checkout are
// released at once rather than lingering as a lost product, then closes.
func (p *probe) Close() error {
	var ack wire.Ack
	_ = p.c.call(&wire.Goodbye{}, &ack)
	return p.c.Close()
}

// try checks out one license of the pool and checks it in again. The product version date
// is the pool's CSS date, so that the server takes the license from this pool ("Concurrent
// license": the pool with the earliest compatible CSS date).
func (p *probe) try(feature string, pool wire.PoolStatus) error {
	var version uint32
	if css, err := license.ParseCSSDate(pool.Version); err == nil {
		version = uint32(css)
	}
	req := &wire.Checkout{Feature: feature, Product: "lmdiag", User: "lmdiag", Device: "lmdiag@" + p.host,
		ClientHost: p.host, Display: "lmdiag", VersionDate: version, Sockets: 1}
	var g wire.Grant
	if err := p.c.call(req, &g); err != nil {
		return err
	}
	var ack wire.Ack
	if err := p.c.call(&wire.Checkin{Handle: g.Handle}, &ack); err != nil {
		return fmt.Errorf("the test checkout succeeded (handle %d) but its checkin failed: %w", g.Handle, err)
	}
	return nil
}

// usualPorts are where a licd is usually found: the license-manager range FLEXlm servers
// use (27000-27009) and the Citrix vendor daemon's port.
var usualPorts = []int{27000, 27001, 27002, 27003, 27004, 27005, 27006, 27007, 27008, 27009, wire.DefaultVendorPort}

// scanPorts returns the ports of host (other than skip) where a licd completes the
// handshake.
func scanPorts(host string, ports []int, skip int, timeout time.Duration) []int {
	if timeout > 2*time.Second {
		timeout = 2 * time.Second
	}
	answers := make([]bool, len(ports))
	var wg sync.WaitGroup
	for i, port := range ports {
		if port == skip {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			nc, err := net.DialTimeout("tcp", net.JoinHostPort(host, strconv.Itoa(port)), timeout)
			if err != nil {
				return
			}
			defer nc.Close()
			_, err = wire.ClientHandshake(nc, time.Now().Add(timeout))
			answers[i] = err == nil
		}()
	}
	wg.Wait()
	var found []int
	for i, ok := range answers {
		if ok {
			found = append(found, ports[i])
		}
	}
	return found
}
