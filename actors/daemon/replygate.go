package daemon

import (
	"sync"
	"time"

	"go.uber.org/zap"
)

// stallEvict is how long a connection's answer may make no write progress, while other
// requests wait for the reply budget it holds, before the connection is closed. A client
// that reads its answers makes progress every few milliseconds; one that never reads them
// would otherwise keep its share until Limits.WriteTimeout.
const stallEvict = time.Second

// replyGate admits query and admin answers (lmstat, lmdiag, the admin requests) to be built,
// fairly and within bounds: waiters are served in arrival order; at most maxBuild answers
// are built at once; none is started while the answers built and not yet written, of all
// connections, use the whole budget; and a connection has at most one answer admitted at a
// time, so a client that piles up requests it never reads cannot take every turn. The
// bookkeeping is per request, never on the checkout path.
type replyGate struct {
	mu       sync.Mutex
	budget   int64
	maxBuild int
	used     int64 // bytes of admitted answers built and not yet written
	building int
	queue    []*gateWaiter
	active   map[*connWriter]int // answers admitted per connection, until written
}

type gateWaiter struct {
	w        *connWriter
	ready    chan struct{}
	admitted bool
}

func newReplyGate(budget int64, maxBuild int) *replyGate {
	return &replyGate{budget: budget, maxBuild: maxBuild, active: make(map[*connWriter]int)}
}

// enter waits until the answer for w may be built, for at most timeout. evict is called
// every stallEvict/4 while the gate is full, to close the connections that hold the budget
// without reading. false means the request is over: the gate stayed full (busy) or w closed.
func (g *replyGate) enter(w *connWriter, timeout time.Duration, evict func()) (ok, busy bool) {
	gw := &gateWaiter{w: w, ready: make(chan struct{})}
	g.mu.Lock()
	g.queue = append(g.queue, gw)
	g.pump()
	g.mu.Unlock()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(stallEvict / 4)
	defer tick.Stop()
	for {
		select {
		case <-gw.ready:
			return true, false
		case <-tick.C:
			if g.full() {
				evict()
			}
			continue
		case <-deadline.C:
			busy = true
		case <-w.done:
		}
		g.mu.Lock()
		if gw.admitted { // admitted as it gave up: give the turn back
			g.mu.Unlock()
			g.built(w, 0)
			g.finished(w, 0)
			return false, busy
		}
		g.remove(gw)
		g.mu.Unlock()
		return false, busy
	}
}

// built records that an admitted answer of n bytes is built and waits to be written.
func (g *replyGate) built(_ *connWriter, n int64) {
	g.mu.Lock()
	g.building--
	g.used += n
	g.pump()
	g.mu.Unlock()
}

// finished records that the answer of n bytes for w is written (or dropped with w).
func (g *replyGate) finished(w *connWriter, n int64) {
	g.mu.Lock()
	g.used -= n
	if g.active[w]--; g.active[w] <= 0 {
		delete(g.active, w)
	}
	g.pump()
	g.mu.Unlock()
}

func (g *replyGate) full() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.used >= g.budget && len(g.queue) > 0
}

// pump (g.mu held) admits waiters in arrival order while there is room, skipping those whose
// connection already has an answer admitted: they keep their place for the next turn.
func (g *replyGate) pump() {
	for i := 0; i < len(g.queue) && g.building < g.maxBuild && g.used < g.budget; {
		gw := g.queue[i]
		if g.active[gw.w] > 0 {
			i++
			continue
		}
		g.queue = append(g.queue[:i], g.queue[i+1:]...)
		gw.admitted = true
		g.building++
		g.active[gw.w]++
		close(gw.ready)
	}
}

func (g *replyGate) remove(gw *gateWaiter) {
	for i, q := range g.queue {
		if q == gw {
			g.queue = append(g.queue[:i], g.queue[i+1:]...)
			return
		}
	}
}

// evictStalled closes the connections whose answers have made no write progress for
// stallEvict: under pressure, the clients that do not read give their share of the reply
// budget to those that do.
func (d *Daemon) evictStalled() {
	now := time.Now()
	d.mu.Lock()
	var stalled []*conn
	for c := range d.live {
		if c.w != nil && c.w.stalledFor(now) >= stallEvict {
			stalled = append(stalled, c)
		}
	}
	d.mu.Unlock()
	for _, c := range stalled {
		d.log.Info("closing a connection that does not read its answers while others wait for them",
			zap.String("remote", c.nc.RemoteAddr().String()))
		c.w.abort()
		_ = c.nc.Close()
	}
}
