package replica

import (
	"bufio"
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"go.etcd.io/raft/v3"
	pb "go.etcd.io/raft/v3/raftpb"
	"go.uber.org/zap"
	"google.golang.org/protobuf/proto"
)

// The peer transport: each node dials every other node once and sends its Raft messages down
// that connection; it reads the messages others send it on the connections they dial.
//
// Authentication (doc/HA.md, "Peer traffic"): every node holds the same secret. The listener
// sends a fresh nonce; the dialer answers with its id, the id it wants to reach, its own
// nonce and an HMAC-SHA256 over all of them keyed by the secret; the listener checks it and
// proves the secret back. Every frame afterwards carries an HMAC, keyed by a session key
// derived from both nonces, over its sequence number and payload: a stranger can neither
// join nor inject, replay or reorder messages. Frames are not encrypted: they carry license
// decisions, not secrets; put the peer port on a private network.

const (
	handshakeMagic   = "LICD-RAFT-1\n"
	nonceLen         = 32
	macLen           = sha256.Size
	maxFrame         = 1 << 30 // a snapshot of the whole store travels as one frame
	handshakeTimeout = 5 * time.Second
	dialTimeout      = time.Second
	peerQueue        = 4096
)

// ErrAuth is wrapped by every refused peer handshake or frame.
var ErrAuth = errors.New("replica: peer authentication failed (is the cluster secret the same on every node?)")

type transport struct {
	id     uint64
	secret []byte
	log    *zap.Logger
	ln     net.Listener
	peers  map[uint64]*peer

	step     func(*pb.Message)                       // hands a received message to raft
	report   func(id uint64, snap bool, failed bool) // unreachable peers and snapshot outcomes
	snapshot func(io.Writer) error                   // streams the state a MsgSnap carries

	drop atomic.Pointer[func(from, to uint64) bool] // fault injection (tests)

	mu      sync.Mutex
	inbound map[net.Conn]struct{}
	closed  bool
	wg      sync.WaitGroup
	stop    chan struct{}
}

type peer struct {
	id   uint64
	addr string
	q    chan *pb.Message
}

func newTransport(id uint64, secret []byte, ln net.Listener, addrs map[uint64]string, log *zap.Logger) *transport {
	t := &transport{id: id, secret: secret, log: log, ln: ln, peers: map[uint64]*peer{},
		inbound: map[net.Conn]struct{}{}, stop: make(chan struct{})}
	for pid, a := range addrs {
		if pid != id {
			t.peers[pid] = &peer{id: pid, addr: a, q: make(chan *pb.Message, peerQueue)}
		}
	}
	return t
}

func (t *transport) start() {
	t.wg.Add(1)
	go t.accept()
	for _, p := range t.peers {
		t.wg.Add(1)
		go t.sendLoop(p)
	}
}

// close stops accepting, drops every connection and waits for the goroutines.
func (t *transport) close() {
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		return
	}
	t.closed = true
	close(t.stop)
	for c := range t.inbound {
		_ = c.Close()
	}
	t.mu.Unlock()
	_ = t.ln.Close()
	t.wg.Wait()
}

func (t *transport) dropped(from, to uint64) bool {
	if f := t.drop.Load(); f != nil {
		return (*f)(from, to)
	}
	return false
}

// send queues m for its peer without blocking; raft retransmits what a full queue drops.
func (t *transport) send(m *pb.Message) {
	p := t.peers[m.GetTo()]
	if p == nil {
		return
	}
	select {
	case p.q <- m:
	default:
		t.report(p.id, m.GetType() == pb.MsgSnap, true)
	}
}

func (t *transport) sendLoop(p *peer) {
	defer t.wg.Done()
	var c net.Conn
	var w *bufio.Writer
	var key []byte
	var seq uint64
	var frame bytes.Buffer
	defer func() {
		if c != nil {
			_ = c.Close()
		}
	}()
	for {
		var m *pb.Message
		select {
		case <-t.stop:
			return
		case m = <-p.q:
		}
		if t.dropped(t.id, p.id) {
			continue
		}
		isSnap := m.GetType() == pb.MsgSnap
		if c == nil {
			var err error
			if c, key, err = t.dial(p); err != nil {
				t.log.Debug("peer unreachable", zap.Uint64("peer", p.id), zap.String("addr", p.addr), zap.Error(err))
				c = nil
				t.report(p.id, isSnap, true)
				if !t.pause(100 * time.Millisecond) {
					return
				}
				continue
			}
			w, seq = bufio.NewWriterSize(c, 1<<16), 0
		}
		if isSnap {
			var err error
			if m, err = t.withState(m); err != nil {
				t.log.Error("cannot build a snapshot for a lagging peer", zap.Uint64("peer", p.id), zap.Error(err))
				t.report(p.id, true, true)
				continue
			}
		}
		frame.Reset()
		err := writeFrame(w, &frame, key, seq, m)
		seq++
		// Flush when nothing else waits, so a burst of messages shares one write.
		if err == nil && (len(p.q) == 0 || isSnap) {
			err = w.Flush()
		}
		if err != nil {
			t.log.Debug("peer connection lost", zap.Uint64("peer", p.id), zap.Error(err))
			_ = c.Close()
			c = nil
			t.report(p.id, isSnap, true)
			continue
		}
		if isSnap {
			t.report(p.id, true, false)
		}
	}
}

func (t *transport) pause(d time.Duration) bool {
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-t.stop:
		return false
	case <-tm.C:
		return true
	}
}

// withState returns a copy of the MsgSnap m carrying the whole replicated state.
func (t *transport) withState(m *pb.Message) (*pb.Message, error) {
	var buf bytes.Buffer
	if err := t.snapshot(&buf); err != nil {
		return nil, err
	}
	m = proto.Clone(m).(*pb.Message)
	snap := m.GetSnapshot()
	if snap == nil {
		return nil, errors.New("replica: a snapshot message without a snapshot")
	}
	snap.Data = buf.Bytes()
	return m, nil
}

func writeFrame(w *bufio.Writer, buf *bytes.Buffer, key []byte, seq uint64, m *pb.Message) error {
	payload, err := proto.MarshalOptions{}.MarshalAppend(buf.Bytes()[:0], m)
	if err != nil {
		return fmt.Errorf("replica: encode a message: %w", err)
	}
	var hdr [4]byte
	binary.BigEndian.PutUint32(hdr[:], uint32(len(payload)))
	if _, err := w.Write(hdr[:]); err != nil {
		return err
	}
	if _, err := w.Write(payload); err != nil {
		return err
	}
	_, err = w.Write(frameMAC(key, seq, payload))
	return err
}

func frameMAC(key []byte, seq uint64, payload []byte) []byte {
	h := hmac.New(sha256.New, key)
	var s [8]byte
	binary.BigEndian.PutUint64(s[:], seq)
	h.Write(s[:])
	h.Write(payload)
	return h.Sum(nil)
}

func mac(secret []byte, parts ...[]byte) []byte {
	h := hmac.New(sha256.New, secret)
	for _, p := range parts {
		h.Write(p)
	}
	return h.Sum(nil)
}

func ids(from, to uint64) []byte {
	return binary.BigEndian.AppendUint64(binary.BigEndian.AppendUint64(nil, from), to)
}

// dial connects to p and runs the dialer's side of the handshake.
func (t *transport) dial(p *peer) (net.Conn, []byte, error) {
	c, err := net.DialTimeout("tcp", p.addr, dialTimeout)
	if err != nil {
		return nil, nil, fmt.Errorf("replica: dial peer %d at %s: %w", p.id, p.addr, err)
	}
	_ = c.SetDeadline(time.Now().Add(handshakeTimeout))
	hello := make([]byte, len(handshakeMagic)+nonceLen)
	if _, err := io.ReadFull(c, hello); err != nil {
		_ = c.Close()
		return nil, nil, fmt.Errorf("replica: handshake with peer %d: %w", p.id, err)
	}
	if string(hello[:len(handshakeMagic)]) != handshakeMagic {
		_ = c.Close()
		return nil, nil, fmt.Errorf("replica: peer %d at %s is not a licd peer port: %w", p.id, p.addr, ErrAuth)
	}
	nonceS := hello[len(handshakeMagic):]
	nonceC := make([]byte, nonceLen)
	_, _ = rand.Read(nonceC)
	id := ids(t.id, p.id)
	msg := append(append(append([]byte(nil), id...), nonceC...), mac(t.secret, []byte("c"), nonceS, nonceC, id)...)
	if _, err := c.Write(msg); err != nil {
		_ = c.Close()
		return nil, nil, fmt.Errorf("replica: handshake with peer %d: %w", p.id, err)
	}
	proof := make([]byte, macLen)
	if _, err := io.ReadFull(c, proof); err != nil {
		_ = c.Close()
		return nil, nil, fmt.Errorf("replica: peer %d refused the handshake: %w", p.id, ErrAuth)
	}
	if !hmac.Equal(proof, mac(t.secret, []byte("s"), nonceC, nonceS, id)) {
		_ = c.Close()
		return nil, nil, fmt.Errorf("replica: peer %d at %s did not prove the cluster secret: %w", p.id, p.addr, ErrAuth)
	}
	_ = c.SetDeadline(time.Time{})
	return c, mac(t.secret, []byte("k"), nonceS, nonceC, id), nil
}

func (t *transport) accept() {
	defer t.wg.Done()
	for {
		c, err := t.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			if !t.pause(50 * time.Millisecond) {
				return
			}
			continue
		}
		t.mu.Lock()
		if t.closed {
			t.mu.Unlock()
			_ = c.Close()
			return
		}
		t.inbound[c] = struct{}{}
		t.wg.Add(1)
		t.mu.Unlock()
		go t.serve(c)
	}
}

// serve runs the listener's side of the handshake, then hands every frame to raft.
func (t *transport) serve(c net.Conn) {
	defer t.wg.Done()
	defer func() {
		t.mu.Lock()
		delete(t.inbound, c)
		t.mu.Unlock()
		_ = c.Close()
	}()
	from, key, err := t.handshake(c)
	if err != nil {
		t.log.Warn("refused a peer connection", zap.String("remote", c.RemoteAddr().String()), zap.Error(err))
		return
	}
	r := bufio.NewReaderSize(c, 1<<16)
	var hdr [4]byte
	for seq := uint64(0); ; seq++ {
		if _, err := io.ReadFull(r, hdr[:]); err != nil {
			return
		}
		n := binary.BigEndian.Uint32(hdr[:])
		if n > maxFrame {
			t.log.Warn("peer sent an oversized frame", zap.Uint64("peer", from), zap.Uint32("bytes", n))
			return
		}
		buf := make([]byte, int(n)+macLen)
		if _, err := io.ReadFull(r, buf); err != nil {
			return
		}
		payload := buf[:n]
		if !hmac.Equal(buf[n:], frameMAC(key, seq, payload)) {
			t.log.Warn("peer frame failed its check: connection dropped", zap.Uint64("peer", from), zap.Error(ErrAuth))
			return
		}
		m := &pb.Message{}
		if err := proto.Unmarshal(payload, m); err != nil {
			t.log.Warn("peer sent an undecodable message", zap.Uint64("peer", from), zap.Error(err))
			return
		}
		if m.GetFrom() != from || m.GetTo() != t.id {
			t.log.Warn("peer sent a message under another id: connection dropped", zap.Uint64("peer", from), zap.Uint64("claimed", m.GetFrom()))
			return
		}
		if t.dropped(from, t.id) {
			continue
		}
		t.step(m)
	}
}

func (t *transport) handshake(c net.Conn) (uint64, []byte, error) {
	_ = c.SetDeadline(time.Now().Add(handshakeTimeout))
	nonceS := make([]byte, nonceLen)
	_, _ = rand.Read(nonceS)
	if _, err := c.Write(append([]byte(handshakeMagic), nonceS...)); err != nil {
		return 0, nil, fmt.Errorf("replica: handshake: %w", err)
	}
	msg := make([]byte, 16+nonceLen+macLen)
	if _, err := io.ReadFull(c, msg); err != nil {
		return 0, nil, fmt.Errorf("replica: handshake: %w", err)
	}
	id, nonceC, sum := msg[:16], msg[16:16+nonceLen], msg[16+nonceLen:]
	from, to := binary.BigEndian.Uint64(id[:8]), binary.BigEndian.Uint64(id[8:])
	if !hmac.Equal(sum, mac(t.secret, []byte("c"), nonceS, nonceC, id)) {
		return 0, nil, fmt.Errorf("replica: a connection did not prove the cluster secret: %w", ErrAuth)
	}
	if to != t.id || t.peers[from] == nil {
		return 0, nil, fmt.Errorf("replica: a connection from node %d for node %d is not for this group (this is node %d): %w", from, to, t.id, ErrAuth)
	}
	if _, err := c.Write(mac(t.secret, []byte("s"), nonceC, nonceS, id)); err != nil {
		return 0, nil, fmt.Errorf("replica: handshake: %w", err)
	}
	_ = c.SetDeadline(time.Time{})
	return from, mac(t.secret, []byte("k"), nonceS, nonceC, id), nil
}

// snapshotStatus is the raft outcome for a snapshot send.
func snapshotStatus(failed bool) raft.SnapshotStatus {
	if failed {
		return raft.SnapshotFailure
	}
	return raft.SnapshotFinish
}
