package daemon

import (
	"errors"
	"fmt"
	"net"
	"os"
	"syscall"
	"time"

	"go.uber.org/zap"

	"github.com/licd/licd/wire"
)

// connReader is the socket as a connection's FrameReader sees it. Before each read it sets
// the read deadline the connection's state calls for: a frame that has begun must arrive
// within Limits.FrameTimeout (a peer trickling a frame byte by byte is closed), a
// connection without a session must send something within Limits.IdleTimeout, and a
// product's session between frames waits as long as it likes (heartbeats watch it). The
// deadline is set only when that state changes, so the hot path costs a comparison.
type connReader struct {
	c      *conn
	fr     *wire.FrameReader
	timing timing
	frame  uint64 // the frame the frame deadline was set for
}

type timing uint8

const (
	timingNone  timing = iota // no deadline
	timingFrame               // the rest of a started frame
	timingIdle                // a connection without a session, between frames
)

func (r *connReader) Read(p []byte) (int, error) {
	lim := &r.c.d.limits
	var deadline time.Time
	switch {
	case r.fr.Buffered() > 0: // part of a frame is here: the rest is due
		if r.timing == timingFrame && r.frame == r.fr.Frames() {
			return r.read(p)
		}
		r.timing, r.frame = timingFrame, r.fr.Frames()
		deadline = time.Now().Add(lim.FrameTimeout)
	case r.c.session == 0:
		r.timing = timingIdle
		deadline = time.Now().Add(lim.IdleTimeout)
	default:
		if r.timing == timingNone {
			return r.read(p)
		}
		r.timing = timingNone
	}
	_ = r.c.nc.SetReadDeadline(deadline)
	return r.read(p)
}

func (r *connReader) read(p []byte) (int, error) {
	n, err := r.c.nc.Read(p)
	if err != nil && errors.Is(err, os.ErrDeadlineExceeded) {
		lim := &r.c.d.limits
		if r.timing == timingFrame {
			return n, wire.Errorf(wire.CodeProtocol, fmt.Sprintf("a frame was not complete %s after its first bytes arrived; the connection is closed (send whole frames)", lim.FrameTimeout))
		}
		return n, wire.Errorf(wire.CodeNoSession, fmt.Sprintf("no hello and no request for %s; the connection is closed (connect again when there is something to ask)", lim.IdleTimeout))
	}
	return n, err
}

// Descriptors. Every connection costs one; running out would stop the store, the logs
// and the utilities along with it. So product connections are served up to MaxConns, and
// UtilityReserve more loopback connections are kept for the utilities, as FLEXlm keeps
// slots for its own ("lmstat", "lmreread", lmdown). Beyond, connections are refused with a
// ProtocolError saying why.
const (
	// storeFiles is what Pebble may keep open (its MaxOpenFiles default is 1,000 table
	// files), at most a quarter of a small limit.
	storeFiles = 1000
	// maxRefusing bounds the connections being told "full" at once; beyond it they are
	// just closed, so a flood of refusals costs no more descriptors than that.
	maxRefusing = 16
)

// connLimit is the number of product connections served at once: Limits.MaxConns, or the
// descriptor limit less the descriptors open now, the store's, the utilities' reserve and
// the refusals'.
func connLimit(l Limits) (limit int, nofile uint64) {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err == nil {
		nofile = rl.Cur
	}
	if l.MaxConns > 0 {
		return l.MaxConns, nofile
	}
	if nofile == 0 || nofile > 1<<22 {
		return 1 << 20, nofile // unknown or unlimited: other limits bind first
	}
	inUse := 64
	if ents, err := os.ReadDir("/proc/self/fd"); err == nil {
		inUse = len(ents)
	}
	free := int(nofile) - inUse
	n := free - min(storeFiles, free/4) - l.UtilityReserve - maxRefusing
	return max(n, 1), nofile
}

// admitConn decides what an accepted connection may do: serve it, serve it as a utility
// in the reserve, or refuse it. It counts the connection as open in the first two cases.
func (d *Daemon) admitConn(nc net.Conn) (serve, reserve bool) {
	open := int(d.open.Add(1))
	switch {
	case open <= d.maxConns:
		return true, false
	case open <= d.maxConns+d.limits.UtilityReserve && isLoopback(nc.RemoteAddr()):
		return true, true
	}
	d.open.Add(-1)
	return false, false
}

// atConnLimit says why a connection is refused, and what to do.
func (d *Daemon) atConnLimit() string {
	return fmt.Sprintf("the license server is serving its limit of %d product connections (descriptor limit %d, %d kept for the utilities); retry later, or raise the limit (ulimit -n, LimitNOFILE)",
		d.maxConns, d.nofile, d.limits.UtilityReserve)
}

// refuseConn tells a connection over the limit why it is closed: the handshake, one
// ProtocolError, close, all within a second. Past maxRefusing at once it only closes.
func (d *Daemon) refuseConn(nc net.Conn) {
	d.refused.Add(1)
	if d.refusing.Add(1) > maxRefusing {
		d.refusing.Add(-1)
		_ = nc.Close()
		return
	}
	d.conns.Add(1)
	go func() {
		defer d.conns.Done()
		defer d.refusing.Add(-1)
		defer nc.Close()
		deadline := time.Now().Add(time.Second)
		if _, err := wire.ServerHandshake(nc, deadline); err != nil {
			return
		}
		_ = nc.SetWriteDeadline(deadline)
		_, _ = nc.Write(wire.AppendFrame(nil, 0, &wire.ProtocolError{Code: wire.CodeInternal, Detail: d.atConnLimit()}))
	}()
}

// acceptBackoff paces a listener whose Accept fails (out of descriptors, EMFILE, most
// often): it waits longer after each failure in a row, up to a second, and logs at most
// once a second with the number of failures since, instead of hundreds of lines a second.
type acceptBackoff struct {
	delay    time.Duration
	failures int
	logged   time.Time
}

func (b *acceptBackoff) failed(d *Daemon, l net.Listener, err error) {
	b.delay = min(max(2*b.delay, 5*time.Millisecond), time.Second)
	b.failures++
	if now := time.Now(); now.Sub(b.logged) >= time.Second {
		d.log.Warn("accept failed; waiting before the next accept", zap.String("listener", l.Addr().String()),
			zap.Error(err), zap.Int("failures", b.failures), zap.Duration("wait", b.delay),
			zap.Int64("open_connections", d.open.Load()))
		b.logged, b.failures = now, 0
	}
	select {
	case <-time.After(b.delay):
	case <-d.stopWatch: // shutting down: the listener is about to close
	}
}

func (b *acceptBackoff) succeeded() { b.delay = 0 }
