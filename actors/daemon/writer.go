package daemon

import (
	"net"
	"sync"

	"github.com/licd/licd/wire"
)

// connWriter is a connection's outgoing side. Replies from any goroutine (feature actors,
// the storage committer, the product actor) are appended under the connection's own mutex
// and one writer goroutine sends whatever has accumulated in one write: replies that become
// durable together leave together. The mutex is per connection, never global.
type connWriter struct {
	mu     sync.Mutex
	buf    []byte
	closed bool
	wake   chan struct{}
	nc     net.Conn
	done   chan struct{}
}

func newConnWriter(nc net.Conn) *connWriter {
	// The buffers start empty and grow with what the connection sends: most product
	// connections are quiet, and a server holds thousands of them.
	w := &connWriter{nc: nc, wake: make(chan struct{}, 1), done: make(chan struct{})}
	go w.run()
	return w
}

// Reply implements actors.Sink.
func (w *connWriter) Reply(reqID uint32, m wire.Message) {
	w.mu.Lock()
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

// closeAfterFlush sends what is queued, then stops the writer.
func (w *connWriter) close() {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return
	}
	w.closed = true
	w.mu.Unlock()
	select {
	case w.wake <- struct{}{}:
	default:
	}
	<-w.done
}
