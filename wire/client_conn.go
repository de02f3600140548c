package wire

import (
	"errors"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// clientConn is one connection of a Client: a writer goroutine that writes everything
// queued and then flushes, a reader goroutine that matches replies to calls by request id,
// and a heartbeat goroutine. Many callers share it, each with its own calls in flight.
type clientConn struct {
	cl      *Client
	nc      net.Conn
	addr    string
	version uint16
	gen     uint64 // the client's connection generation, set before any reconcile

	mu      sync.Mutex // guards the fields below
	out     []byte     // frames queued for the writer
	spare   []byte     // the writer's previous buffer, for reuse
	pending map[uint32]*call
	nextID  uint32
	closed  bool
	err     error // why the connection ended

	wake       chan struct{} // the writer has work (capacity 1)
	done       chan struct{} // closed when the connection ends
	readerDone chan struct{} // closed when the reader has delivered its last reply
	lastHeard  atomic.Int64  // unix nanoseconds (by the client's clock) of the last frame received
	failed     atomic.Bool   // fail has begun
	wg         sync.WaitGroup
}

// errConnLost marks a request that got no reply because the connection ended; the caller
// may serve it from License caching mode.
var errConnLost = errors.New("connection to the license server lost")

type connLostError struct {
	addr  string
	cause error
}

func (e *connLostError) Error() string {
	return "connection to the license server " + e.addr + " lost: " + e.cause.Error()
}
func (e *connLostError) Is(target error) bool { return target == errConnLost }
func (e *connLostError) Unwrap() error        { return e.cause }

func newClientConn(cl *Client, nc net.Conn, addr string, version uint16, gen uint64) *clientConn {
	cn := &clientConn{
		cl: cl, nc: nc, addr: addr, version: version, gen: gen,
		pending:    make(map[uint32]*call),
		wake:       make(chan struct{}, 1),
		done:       make(chan struct{}),
		readerDone: make(chan struct{}),
	}
	cn.lastHeard.Store(cl.now().UnixNano())
	cn.wg.Add(2)
	go cn.writeLoop()
	go cn.readLoop()
	return cn
}

// startHeartbeats begins the heartbeat exchange ("Citrix Start-up license": every five
// minutes each side sends one) once the session exists.
func (cn *clientConn) startHeartbeats(every, grace time.Duration) {
	cn.wg.Add(1)
	go cn.heartbeatLoop(every, grace)
}

// send queues m as a request of cl, registering cl for the reply. A nil cl sends a request
// whose reply is ignored.
func (cn *clientConn) send(m Message, c *call) error {
	cn.mu.Lock()
	if cn.closed {
		err := cn.err
		cn.mu.Unlock()
		return &connLostError{addr: cn.addr, cause: err}
	}
	cn.nextID++
	if cn.nextID == 0 {
		cn.nextID = 1 // 0 is reserved for frames that answer no request
	}
	id := cn.nextID
	start := len(cn.out)
	cn.out = AppendFrame(cn.out, id, m)
	if size := len(cn.out) - start - 4; size > cn.cl.maxFrame {
		cn.out = cn.out[:start]
		cn.mu.Unlock()
		return Errorf(CodeBadRequest, "the "+m.Type().String()+" request is "+strconv.Itoa(size)+" bytes, over the frame limit of "+
			strconv.Itoa(cn.cl.maxFrame)+"; split it into smaller batches")
	}
	if c != nil {
		c.id = id
		c.abandoned = false
		cn.pending[id] = c
	}
	cn.mu.Unlock()
	select {
	case cn.wake <- struct{}{}:
	default:
	}
	return nil
}

// abandon gives up waiting for c. It reports false when the reply is already being
// delivered, in which case the caller must still receive it from c.ch.
func (cn *clientConn) abandon(c *call) bool {
	cn.mu.Lock()
	defer cn.mu.Unlock()
	if cn.pending[c.id] != c {
		return false
	}
	c.abandoned = true
	return true
}

func (cn *clientConn) writeLoop() {
	defer cn.wg.Done()
	for {
		select {
		case <-cn.wake:
		case <-cn.done:
			return
		}
		cn.mu.Lock()
		buf := cn.out
		cn.out = cn.spare[:0]
		cn.spare = nil
		cn.mu.Unlock()
		if len(buf) == 0 {
			continue
		}
		_ = cn.nc.SetWriteDeadline(time.Now().Add(cn.cl.opt.RequestTimeout))
		if _, err := cn.nc.Write(buf); err != nil {
			cn.fail(err)
			return
		}
		if cap(buf) <= 1<<20 { // keep a buffer for the next round, unless a huge batch grew it
			cn.mu.Lock()
			cn.spare = buf[:0]
			cn.mu.Unlock()
		}
	}
}

func (cn *clientConn) readLoop() {
	defer cn.wg.Done()
	defer close(cn.readerDone)
	fr := NewFrameReader(cn.nc, max(cn.cl.maxFrame, MaxReplyFrame)) // answers may exceed what we send
	var hb Heartbeat
	var pe ProtocolError
	for {
		f, err := fr.Next()
		if err != nil {
			cn.fail(err)
			return
		}
		cn.lastHeard.Store(cn.cl.now().UnixNano()) // any frame is a sign of life
		switch f.Type {
		case TypeHeartbeat:
			if hb.Decode(f.Payload) == nil {
				cn.reply(f.ReqID, &HeartbeatAck{UnixNano: hb.UnixNano})
			}
			continue
		case TypeProtocolError:
			if err := pe.Decode(f.Payload); err != nil {
				cn.fail(err)
			} else {
				cn.fail(pe.Err())
			}
			return
		}
		cn.mu.Lock()
		c := cn.pending[f.ReqID]
		delete(cn.pending, f.ReqID)
		abandoned := c != nil && c.abandoned
		cn.mu.Unlock()
		if c == nil {
			continue // a heartbeat ack, or the reply to a fire-and-forget request
		}
		c.err = nil
		c.denial = Denial{}
		switch {
		case f.Type == TypeDenial:
			c.err = c.denial.Decode(f.Payload)
		case f.Type == c.reply.Type():
			c.err = c.reply.Decode(f.Payload)
		case f.Type == TypeRedirect:
			re := &RedirectError{}
			if c.err = re.Decode(f.Payload); c.err == nil {
				c.err = re
				if abandoned {
					cn.cl.putCall(c)
				} else {
					c.ch <- struct{}{} // the caller follows it; the follower closes the connection
				}
				continue
			}
		default:
			c.err = Errorf(CodeProtocol, "the server answered a "+c.req.Type().String()+" request with "+f.Type.String())
		}
		if c.err != nil {
			// An undecodable reply means the stream can no longer be trusted.
			bad := c.err
			c.err = &connLostError{addr: cn.addr, cause: bad}
			if !abandoned {
				c.ch <- struct{}{}
			}
			cn.fail(bad)
			return
		}
		cn.cl.delivered(cn, c, abandoned)
	}
}

// reply queues an answer to the server's own request (a heartbeat).
func (cn *clientConn) reply(id uint32, m Message) {
	cn.mu.Lock()
	if !cn.closed {
		cn.out = AppendFrame(cn.out, id, m)
	}
	cn.mu.Unlock()
	select {
	case cn.wake <- struct{}{}:
	default:
	}
}

func (cn *clientConn) heartbeatLoop(every, grace time.Duration) {
	defer cn.wg.Done()
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-cn.done:
			return
		case <-t.C:
		}
		now := cn.cl.now()
		if silent := now.Sub(time.Unix(0, cn.lastHeard.Load())); silent > grace {
			cn.fail(errors.New("no heartbeat or reply from the server for " + silent.Round(time.Second).String()))
			return
		}
		_ = cn.send(&Heartbeat{UnixNano: now.UnixNano()}, nil)
	}
}

// fail ends the connection once. The client learns of the loss first (it stops using the
// connection and enters License caching mode), then every call still waiting gets a
// connection-lost error, so that a caller retrying finds caching mode on.
func (cn *clientConn) fail(err error) {
	if !cn.failed.CompareAndSwap(false, true) {
		return
	}
	cn.cl.lost(cn, err)
	cn.mu.Lock()
	cn.closed = true
	cn.err = err
	pending := cn.pending
	cn.pending = nil
	cn.mu.Unlock()
	_ = cn.nc.Close()
	close(cn.done)
	lost := &connLostError{addr: cn.addr, cause: err}
	for _, c := range pending {
		if c.abandoned {
			continue
		}
		c.err = lost
		c.ch <- struct{}{}
	}
}

// close ends the connection and waits for its goroutines.
func (cn *clientConn) close(err error) {
	cn.fail(err)
	cn.wg.Wait()
}
