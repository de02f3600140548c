package bench

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// echoFrame is the size of one echo request and reply: the order of a checkout frame's
// header and small payload, so that the baseline pays the same per-message costs (syscalls,
// wake-ups, loopback) as the server without any of its work.
const echoFrame = 32

// MeasureEcho is the physical baseline of the request/response path: a plain echo server on
// loopback, conns connections, workers callers sharing them the way products share a wire
// client (each connection pipelines: a writer goroutine batches what is queued, a reader
// matches replies), closed loop, for d. It returns round trips per second.
func MeasureEcho(ctx context.Context, conns, workers int, d time.Duration) (float64, error) {
	if conns <= 0 || workers <= 0 || d <= 0 {
		return 0, fmt.Errorf("echo baseline needs connections, workers and a duration (got %d, %d, %v)", conns, workers, d)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("echo baseline: listen on loopback: %w", err)
	}
	srv := &echoServer{ln: ln}
	srv.start()
	defer srv.stop()

	clients := make([]*echoClient, 0, conns)
	defer func() {
		for _, c := range clients {
			c.close()
		}
	}()
	perConn := (workers + conns - 1) / conns
	for range conns {
		c, err := dialEcho(ctx, ln.Addr().String(), perConn)
		if err != nil {
			return 0, fmt.Errorf("echo baseline: %w", err)
		}
		clients = append(clients, c)
	}

	var done atomic.Int64
	var firstErr atomic.Pointer[error]
	var wg sync.WaitGroup
	deadline := time.Now().Add(d)
	start := time.Now()
	for w := range workers {
		c, slot := clients[w%conns], w/conns
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) && ctx.Err() == nil {
				if err := c.roundTrip(slot); err != nil {
					firstErr.CompareAndSwap(nil, &err)
					return
				}
				done.Add(1)
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	if p := firstErr.Load(); p != nil {
		return 0, fmt.Errorf("echo baseline: %w", *p)
	}
	return float64(done.Load()) / elapsed.Seconds(), ctx.Err()
}

// echoServer answers every frame with itself, one goroutine per connection, flushing when
// no complete frame is left buffered (the batching a real server does).
type echoServer struct {
	ln    net.Listener
	wg    sync.WaitGroup
	mu    sync.Mutex
	conns map[net.Conn]struct{}
}

func (s *echoServer) start() {
	s.conns = make(map[net.Conn]struct{})
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			nc, err := s.ln.Accept()
			if err != nil {
				return
			}
			s.mu.Lock()
			s.conns[nc] = struct{}{}
			s.mu.Unlock()
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				serveEcho(nc)
			}()
		}
	}()
}

func serveEcho(nc net.Conn) {
	defer nc.Close()
	r := bufio.NewReaderSize(nc, 64<<10)
	w := bufio.NewWriterSize(nc, 64<<10)
	var f [echoFrame]byte
	for {
		if _, err := io.ReadFull(r, f[:]); err != nil {
			return
		}
		if _, err := w.Write(f[:]); err != nil {
			return
		}
		if r.Buffered() < echoFrame {
			if err := w.Flush(); err != nil {
				return
			}
		}
	}
}

func (s *echoServer) stop() {
	_ = s.ln.Close()
	s.mu.Lock()
	for nc := range s.conns {
		_ = nc.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
}

// echoClient is one pipelined connection: callers queue frames tagged with their slot, the
// writer sends whatever is queued in one write, the reader wakes the slot's caller.
type echoClient struct {
	nc    net.Conn
	mu    sync.Mutex
	out   []byte
	spare []byte
	wake  chan struct{}
	slots []chan struct{}
	done  chan struct{}
	err   atomic.Pointer[error]
	wg    sync.WaitGroup
}

func dialEcho(ctx context.Context, addr string, slots int) (*echoClient, error) {
	var d net.Dialer
	nc, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	c := &echoClient{nc: nc, wake: make(chan struct{}, 1), done: make(chan struct{})}
	for range slots {
		c.slots = append(c.slots, make(chan struct{}, 1))
	}
	c.wg.Add(2)
	go c.writeLoop()
	go c.readLoop()
	return c, nil
}

func (c *echoClient) roundTrip(slot int) error {
	var f [echoFrame]byte
	binary.LittleEndian.PutUint32(f[:], uint32(slot))
	c.mu.Lock()
	c.out = append(c.out, f[:]...)
	c.mu.Unlock()
	select {
	case c.wake <- struct{}{}:
	default:
	}
	select {
	case <-c.slots[slot]:
		return nil
	case <-c.done:
		if p := c.err.Load(); p != nil {
			return *p
		}
		return errors.New("echo connection closed")
	}
}

func (c *echoClient) writeLoop() {
	defer c.wg.Done()
	for {
		select {
		case <-c.wake:
		case <-c.done:
			return
		}
		c.mu.Lock()
		buf := c.out
		c.out, c.spare = c.spare[:0], nil
		c.mu.Unlock()
		if len(buf) == 0 {
			continue
		}
		if _, err := c.nc.Write(buf); err != nil {
			c.fail(err)
			return
		}
		c.mu.Lock()
		c.spare = buf[:0]
		c.mu.Unlock()
	}
}

func (c *echoClient) readLoop() {
	defer c.wg.Done()
	r := bufio.NewReaderSize(c.nc, 64<<10)
	var f [echoFrame]byte
	for {
		if _, err := io.ReadFull(r, f[:]); err != nil {
			c.fail(err)
			return
		}
		slot := binary.LittleEndian.Uint32(f[:])
		if int(slot) < len(c.slots) {
			c.slots[slot] <- struct{}{}
		}
	}
}

func (c *echoClient) fail(err error) {
	if c.err.CompareAndSwap(nil, &err) {
		close(c.done)
		_ = c.nc.Close()
	}
}

func (c *echoClient) close() {
	c.fail(errors.New("echo client closed"))
	c.wg.Wait()
}
