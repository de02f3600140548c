package wire

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"strconv"
	"strings"
	"time"

	"go.uber.org/zap"
)

// reconcileChunk bounds the holds per Reconcile frame (PROTOCOL.md "Limits"): a hold
// encodes in well under 256 bytes, so a chunk stays far below the 1 MiB frame limit.
const reconcileChunk = MaxReconcileHolds

// maxRedirects bounds the Redirects one connect follows (a group changing leaders).
const maxRedirects = 3

// connect tries every address in order and establishes a session on the first that answers.
// A cluster follower's Redirect puts the leader it names next in line (PROTOCOL.md
// "Redirect (type 24)").
func (c *Client) connect(ctx context.Context) error {
	var failures []string
	queue := append([]string(nil), c.addrs...)
	tried := map[string]bool{}
	for hops := 0; len(queue) > 0; {
		addr := queue[0]
		queue = queue[1:]
		if tried[addr] {
			continue
		}
		tried[addr] = true
		err := c.connectTo(ctx, addr)
		if err == nil {
			return nil
		}
		var re *RedirectError
		if errors.As(err, &re) && re.Addr != "" && !tried[re.Addr] && hops < maxRedirects {
			hops++
			queue = append([]string{re.Addr}, queue...)
		}
		failures = append(failures, addr+": "+err.Error())
		if ctx.Err() != nil {
			break
		}
	}
	return Errorf(CodeCannotConnect, "no license server answered ("+strings.Join(failures, "; ")+
		"); check that licd runs there and that the network lets the port through")
}

// connectTo dials addr, handshakes, checks out the start-up license (Hello), and reconciles
// what the product holds; only then does the connection serve requests.
func (c *Client) connectTo(ctx context.Context, addr string) error {
	d := net.Dialer{Timeout: c.opt.DialTimeout}
	nc, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	if nc, err = wrapTLS(ctx, nc, addr, c.opt.TLS, c.opt.DialTimeout); err != nil {
		return err
	}
	v, err := ClientHandshake(nc, time.Now().Add(c.opt.DialTimeout))
	if err != nil {
		_ = nc.Close()
		return err
	}
	c.hmu.Lock()
	c.gen++
	gen := c.gen
	c.hmu.Unlock()
	cn := newClientConn(c, nc, addr, v, gen)
	hello := Hello{
		ClientID: c.opt.ClientID, Product: c.opt.Product, Host: c.opt.Host, Edition: c.opt.Edition,
		Model: c.opt.Model, VersionDate: c.opt.VersionDate, HeartbeatSeconds: uint32((c.opt.Heartbeat + time.Second - 1) / time.Second),
		Credential: c.opt.Credential,
	}
	c.hmu.Lock()
	// A reconnect presents the token of the session it had, so that it adopts that
	// session (and its licenses) and may reconcile; no one else can.
	hello.SessionToken = c.session.SessionToken
	c.hmu.Unlock()
	var ok HelloOK
	if err := c.roundTrip(ctx, cn, &hello, &ok); err != nil {
		cn.close(err)
		return fmt.Errorf("start-up checkout: %w", err)
	}
	// "The License caching mode takes place only if the product has successfully
	// communicated with the License Server at least once": from here on it may.
	c.hmu.Lock()
	c.session = ok
	c.setInventory(ok.Inventory)
	c.reconciling = cn
	c.hmu.Unlock()
	every := c.opt.Heartbeat
	if s := time.Duration(ok.HeartbeatSeconds) * time.Second; s > 0 && s < every {
		every = s
	}
	cn.startHeartbeats(every, max(c.opt.HeartbeatGrace, 2*every))
	if err := c.reconcile(ctx, cn); err != nil {
		c.hmu.Lock()
		if c.reconciling == cn {
			c.reconciling = nil
		}
		c.hmu.Unlock()
		cn.close(err)
		return fmt.Errorf("reconcile: %w", err)
	}
	return nil
}

// roundTrip is one request on a connection that is not (yet) the client's live one.
func (c *Client) roundTrip(ctx context.Context, cn *clientConn, req, reply Message) error {
	cl := c.getCall(kindPlain)
	cl.req, cl.reply = req, reply
	abandoned, err := c.do(ctx, cn, cl)
	if !abandoned {
		c.putCall(cl)
	}
	return err
}

// reconcile states everything the product holds, then makes cn the live connection and
// resets License caching mode ("After communication is re-established between the product
// and the License Server, the License caching mode is reset"). Grants made from the cache
// while a round is in flight are listed by the next round; the switch happens under the
// lock once a round finds nothing new.
func (c *Client) reconcile(ctx context.Context, cn *clientConn) error {
	for first := true; ; first = false {
		c.hmu.Lock()
		if c.closed {
			c.hmu.Unlock()
			return errors.New("the client was closed")
		}
		var handles []uint64
		var holds []Hold
		for handle, h := range c.holds {
			if h.listed == cn.gen {
				continue
			}
			h.listed = cn.gen
			c.holds[handle] = h
			handles = append(handles, handle)
			holds = append(holds, Hold{Feature: h.feature, User: h.user, Device: h.device, ClientHost: h.clientHost,
				Display: h.display, VersionDate: h.versionDate, Sockets: h.sockets, Since: h.since, Handle: h.server})
		}
		if len(holds) == 0 && !first {
			wasCaching, since := c.caching, c.cachingSince
			c.conn.Store(cn)
			c.reconciling = nil
			c.caching = false
			c.reconnecting = false
			c.hmu.Unlock()
			if wasCaching {
				c.log.Info("license server reached; license caching mode reset",
					zap.String("server", cn.addr), zap.Duration("caching_for", c.now().Sub(since)))
			}
			return nil
		}
		c.hmu.Unlock()
		// The first round always sends at least one frame: an empty one tells the server this
		// product holds nothing, so what it held before a restart is released.
		for start := 0; start == 0 || start < len(holds); start += reconcileChunk {
			end := min(start+reconcileChunk, len(holds))
			req := &Reconcile{Holds: holds[start:end], More: first && end < len(holds)}
			var res ReconcileResult
			if err := c.roundTrip(ctx, cn, req, &res); err != nil {
				return err
			}
			if len(res.Items) != end-start {
				return Errorf(CodeProtocol, "the server answered a reconcile of "+strconv.Itoa(end-start)+
					" holds with "+strconv.Itoa(len(res.Items))+" results")
			}
			c.applyReconcile(cn, handles[start:end], res.Items)
		}
	}
}

// applyReconcile maps the server's answers back to the caller's handles.
func (c *Client) applyReconcile(cn *clientConn, handles []uint64, items []BatchItem) {
	c.hmu.Lock()
	var giveBack []uint64
	var refused []string
	for i, handle := range handles {
		it := &items[i]
		h, ok := c.holds[handle]
		if it.Denied.Code != OK {
			if ok {
				c.removeHolding(handle)
				refused = append(refused, h.feature+" ("+it.Denied.Err().Error()+")")
			}
			continue
		}
		if !ok {
			// Checked in while the reconcile was in flight: give the server's license back.
			giveBack = append(giveBack, it.Grant.Handle)
			continue
		}
		h.server = it.Grant.Handle
		h.applied = cn.gen
		c.holds[handle] = h
	}
	c.hmu.Unlock()
	for _, h := range giveBack {
		_ = cn.send(&Checkin{Handle: h}, nil)
	}
	if len(refused) > 0 {
		c.log.Warn("the license server did not take over licenses granted or held during caching mode",
			zap.Int("count", len(refused)), zap.Strings("licenses", refused[:min(len(refused), 20)]))
	}
}

// reconnectLoop reconnects with bounded, jittered exponential backoff (jitter keeps a fleet
// of product servers from reconnecting in lock step after a license server restart).
func (c *Client) reconnectLoop(old *clientConn) {
	defer c.wg.Done()
	<-old.readerDone // every grant the old connection delivered is recorded before any reconcile
	backoff := c.opt.ReconnectMin
	lastHours := -1
	t := time.NewTimer(0)
	defer t.Stop()
	<-t.C
	for {
		t.Reset(backoff/2 + rand.N(backoff/2+1))
		select {
		case <-t.C:
		case <-c.ctx.Done():
			return
		}
		ctx, cancel := context.WithTimeout(c.ctx, c.opt.DialTimeout+c.opt.RequestTimeout)
		err := c.connect(ctx)
		cancel()
		if err == nil {
			return
		}
		if c.ctx.Err() != nil {
			return
		}
		if active, left := c.CachingMode(); active {
			// "The Windows Event Log, and other in-product messages, indicate ... the number of
			// hours remaining in the License caching mode."
			if h := int(left / time.Hour); h != lastHours {
				lastHours = h
				c.log.Warn("license caching mode: license server still unreachable", zap.Int("hours_left", h), zap.Error(err))
			}
		}
		backoff = min(2*backoff, c.opt.ReconnectMax)
	}
}
