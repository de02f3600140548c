package daemon

import (
	"net"
	"sync"
	"sync/atomic"
	"time"

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
	// maxSpare is the largest write buffer a connection keeps for its next replies.
	maxSpare = 256 << 10
)

// connWriter is a connection's outgoing side. Replies from any goroutine (feature actors,
// the storage committer, the product actor) are appended under the connection's own mutex
// and one writer goroutine sends whatever has accumulated in one write: replies that become
// durable together leave together. The mutex is per connection, never global.
//
// A write that makes no progress for writeTimeout (the peer does not read) fails and closes
// the connection, so what an unread connection holds is released.
type connWriter struct {
	mu           sync.Mutex
	room         sync.Cond // signalled when a request is answered or the buffer drains
	buf          []byte
	writing      int    // bytes handed to the socket and not yet written
	queued       uint64 // bytes of replies appended so far
	flushed      uint64 // bytes of replies written (or dropped by a failed write) so far
	waiting      int    // goroutines waiting for the writer's progress
	tasks        int    // query and admin goroutines running for this connection
	outstanding  int    // requests (non-zero request id) read but not yet answered
	closed       bool
	wake         chan struct{}
	nc           net.Conn
	writeTimeout time.Duration
	deadline     time.Time    // the write deadline last set
	progress     atomic.Int64 // unix nanoseconds of the running write's last progress; 0 when idle
	done         chan struct{}
}

func newConnWriter(nc net.Conn, writeTimeout time.Duration) *connWriter {
	// The buffers start empty and grow with what the connection sends: most product
	// connections are quiet, and a server holds thousands of them.
	w := &connWriter{nc: nc, wake: make(chan struct{}, 1), done: make(chan struct{}), writeTimeout: writeTimeout}
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

// startTask waits until the connection may start one more query or admin request: fewer
// than maxTasks running and at most budget bytes of replies waiting to be written. false
// means the connection is closing.
func (w *connWriter) startTask(maxTasks, budget int) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	for !w.closed && (w.tasks >= maxTasks || len(w.buf)+w.writing > budget) {
		w.wait()
	}
	if w.closed {
		return false
	}
	w.tasks++
	return true
}

func (w *connWriter) endTask() {
	w.mu.Lock()
	w.tasks--
	w.room.Broadcast()
	w.mu.Unlock()
}

func (w *connWriter) isClosed() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.closed
}

// waitFlushed waits until the replies appended up to mark are written, or the connection
// closes.
func (w *connWriter) waitFlushed(mark uint64) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for !w.closed && w.flushed < mark {
		w.wait()
	}
}

// wait waits (w.mu held) for the writer's next progress.
func (w *connWriter) wait() {
	w.waiting++
	w.room.Wait()
	w.waiting--
}

// Reply implements actors.Sink.
func (w *connWriter) Reply(reqID uint32, m wire.Message) { w.reply(reqID, m) }

// reply queues m and returns the mark waitFlushed takes to wait until it is written.
func (w *connWriter) reply(reqID uint32, m wire.Message) uint64 {
	w.mu.Lock()
	if reqID != 0 && w.outstanding > 0 {
		w.outstanding--
		w.room.Signal()
	}
	if w.closed {
		w.mu.Unlock()
		return 0
	}
	n := len(w.buf)
	w.buf = wire.AppendFrame(w.buf, reqID, m)
	w.queued += uint64(len(w.buf) - n)
	mark := w.queued
	w.mu.Unlock()
	select {
	case w.wake <- struct{}{}:
	default:
	}
	return mark
}

func (w *connWriter) run() {
	defer close(w.done)
	var spare []byte
	for range w.wake {
		w.mu.Lock()
		out := w.buf
		w.buf = spare[:0]
		w.writing = len(out)
		closed := w.closed
		if len(out) > 0 && !closed {
			w.armDeadline()
		}
		w.room.Broadcast()
		w.mu.Unlock()
		if len(out) > 0 {
			if err := w.write(out); err != nil {
				_ = w.nc.Close()
			}
			w.mu.Lock()
			w.writing = 0
			w.flushed += uint64(len(out))
			if w.waiting > 0 {
				w.room.Broadcast()
			}
			w.mu.Unlock()
		}
		spare = out
		if cap(spare) > maxSpare {
			spare = nil // a large answer's buffer is not kept for the connection's next replies
		}
		if closed {
			return
		}
	}
}

// writeChunk is the most one socket write is given, so that a large answer's progress is
// seen (stalledFor) while it is being sent.
const writeChunk = 256 << 10

// write sends out, recording progress after every chunk.
func (w *connWriter) write(out []byte) error {
	w.progress.Store(time.Now().UnixNano())
	defer w.progress.Store(0)
	for len(out) > 0 {
		n := min(len(out), writeChunk)
		if _, err := w.nc.Write(out[:n]); err != nil {
			return err
		}
		out = out[n:]
		if len(out) > 0 {
			w.progress.Store(time.Now().UnixNano())
		}
	}
	return nil
}

// stalledFor is how long the write in progress has made no progress; 0 when none is.
func (w *connWriter) stalledFor(now time.Time) time.Duration {
	p := w.progress.Load()
	if p == 0 {
		return 0
	}
	return now.Sub(time.Unix(0, p))
}

// armDeadline (w.mu held) gives the coming write at least half the write timeout, setting
// the socket's deadline only when less is left, not for every write.
func (w *connWriter) armDeadline() {
	if w.writeTimeout <= 0 {
		return
	}
	now := time.Now()
	if w.deadline.Sub(now) < w.writeTimeout/2 {
		w.deadline = now.Add(w.writeTimeout)
		_ = w.nc.SetWriteDeadline(w.deadline)
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

// close sends what is queued, for at most grace, then stops the writer and waits for it.
func (w *connWriter) close(grace time.Duration) {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		<-w.done
		return
	}
	w.closed = true
	_ = w.nc.SetWriteDeadline(time.Now().Add(grace)) // under w.mu: the writer no longer re-arms
	w.room.Broadcast()
	w.mu.Unlock()
	select {
	case w.wake <- struct{}{}:
	default:
	}
	<-w.done
}
