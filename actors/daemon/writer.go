package daemon

import (
	"net"
	"sync"

	"github.com/licd/licd/wire"
)

// Back-pressure per connection: a client may have this many requests in flight, and this
// many bytes of replies may wait for it to read them. Past either, its reader stops reading
// until the client catches up, so a client that floods requests or never reads its answers
// is held back by TCP itself and costs the server bounded memory; other connections do not
// notice. (The product client's own default is 4,096 in flight.)
const (
	maxOutstanding = 8192
	maxBuffered    = 8 << 20
)

// connWriter is a connection's outgoing side. Replies from any goroutine (feature actors,
// the storage committer, the product actor) are appended under the connection's own mutex
// and one writer goroutine sends whatever has accumulated in one write: replies that become
// durable together leave together. The mutex is per connection, never global.
type connWriter struct {
	mu          sync.Mutex
	room        sync.Cond // signalled when a request is answered or the buffer drains
	buf         []byte
	outstanding int // requests (non-zero request id) read but not yet answered
	closed      bool
	wake        chan struct{}
	nc          net.Conn
	done        chan struct{}
}

func newConnWriter(nc net.Conn) *connWriter {
	// The buffers start empty and grow with what the connection sends: most product
	// connections are quiet, and a server holds thousands of them.
	w := &connWriter{nc: nc, wake: make(chan struct{}, 1), done: make(chan struct{})}
	w.room.L = &w.mu
	go w.run()
	return w
}

// admit waits until the connection may have one more request in flight; false means the
// connection is closing.
func (w *connWriter) admit() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	for !w.closed && (w.outstanding >= maxOutstanding || len(w.buf) > maxBuffered) {
		w.room.Wait()
	}
	if w.closed {
		return false
	}
	w.outstanding++
	return true
}

// Reply implements actors.Sink.
func (w *connWriter) Reply(reqID uint32, m wire.Message) {
	w.mu.Lock()
	if reqID != 0 && w.outstanding > 0 {
		w.outstanding--
		w.room.Signal()
	}
	if w.closed {
		w.mu.Unlock()
		return
	}
	w.buf = wire.AppendFrame(w.buf, reqID, m)
	w.mu.Unlock()
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

func (w *connWriter) run() {
	defer close(w.done)
	var spare []byte
	for range w.wake {
		w.mu.Lock()
		out := w.buf
		w.buf = spare[:0]
		closed := w.closed
		w.room.Broadcast()
		w.mu.Unlock()
		if len(out) > 0 {
			if _, err := w.nc.Write(out); err != nil {
				_ = w.nc.Close()
			}
		}
		spare = out
		if closed {
			return
		}
	}
}

// abort stops the connection's writing without waiting: queued replies are dropped and a
// reader waiting for room is released. Safe from any goroutine, including an actor's.
func (w *connWriter) abort() {
	w.mu.Lock()
	w.closed = true
	w.room.Broadcast()
	w.mu.Unlock()
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// close sends what is queued, then stops the writer and waits for it.
func (w *connWriter) close() {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		<-w.done
		return
	}
	w.closed = true
	w.room.Broadcast()
	w.mu.Unlock()
	select {
	case w.wake <- struct{}{}:
	default:
	}
	<-w.done
}
