package wire

import (
	"bufio"
	"encoding/json"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// testPeer is a small license server speaking the protocol over real TCP on 127.0.0.1:0,
// with the knobs the client tests need: refuse connections, drop them, stop answering
// heartbeats, hold back the replies of one feature, renumber handles on reconcile.
type testPeer struct {
	t    testing.TB
	ln   net.Listener
	addr string

	heartbeatEvery  time.Duration // if set, the peer heartbeats each session too
	renumber        bool          // give adopted holds new handles on reconcile
	silent          atomic.Bool   // neither answer nor send heartbeats
	refuse          atomic.Bool   // close new connections at once (server down)
	slowFeature     string        // checkouts of it are answered when slowGate is closed
	slowGate        chan struct{}
	reconcileTokens chan struct{} // if set, each reconcile waits for a token (set under mu)

	mu         sync.Mutex
	inventory  []InventoryItem
	installed  map[string]int
	inUse      map[string]int
	checkouts  map[uint64]peerHold
	nextHandle uint64
	conns      map[*peerConn]struct{}
	reconciles []Reconcile
	hellos     int
	slowSeen   int // checkouts of slowFeature received
	heartbeats int // heartbeats received
	acks       int // heartbeat acks received
	wg         sync.WaitGroup
}

type peerHold struct{ clientID, feature, device string }

type peerConn struct {
	p        *testPeer
	nc       net.Conn
	wmu      sync.Mutex
	w        *bufio.Writer
	wbuf     []byte
	clientID string
	session  bool
	listed   map[uint64]bool // handles this session's reconciles listed
	done     chan struct{}
}

func newTestPeer(t testing.TB, inv ...InventoryItem) *testPeer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &testPeer{
		t: t, ln: ln, addr: ln.Addr().String(), slowGate: make(chan struct{}),
		inventory: inv, installed: map[string]int{}, inUse: map[string]int{},
		checkouts: map[uint64]peerHold{}, conns: map[*peerConn]struct{}{}, nextHandle: 1000,
	}
	for _, it := range inv {
		p.installed[it.Feature] += int(it.Installed)
	}
	p.wg.Add(1)
	go p.acceptLoop()
	t.Cleanup(p.close)
	return p
}

func (p *testPeer) acceptLoop() {
	defer p.wg.Done()
	for {
		nc, err := p.ln.Accept()
		if err != nil {
			return
		}
		if p.refuse.Load() {
			_ = nc.Close()
			continue
		}
		pc := &peerConn{p: p, nc: nc, w: bufio.NewWriter(nc), listed: map[uint64]bool{}, done: make(chan struct{})}
		p.mu.Lock()
		p.conns[pc] = struct{}{}
		p.mu.Unlock()
		p.wg.Add(1)
		go pc.serve()
	}
}

// dropAll cuts every connection, as a network failure would.
func (p *testPeer) dropAll() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for pc := range p.conns {
		_ = pc.nc.Close()
	}
}

func (p *testPeer) close() {
	_ = p.ln.Close()
	p.dropAll()
	select {
	case <-p.slowGate:
	default:
		close(p.slowGate)
	}
	p.wg.Wait()
}

func (p *testPeer) used(feature string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.inUse[feature]
}

func (p *testPeer) slowArrived() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.slowSeen > 0
}

func (p *testPeer) grantsMade() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return int(p.nextHandle - 1000)
}

func (p *testPeer) counters() (hellos, heartbeats, acks, reconciles int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.hellos, p.heartbeats, p.acks, len(p.reconciles)
}

func (pc *peerConn) serve() {
	p := pc.p
	defer p.wg.Done()
	defer func() {
		close(pc.done)
		_ = pc.nc.Close()
		p.mu.Lock()
		delete(p.conns, pc)
		p.mu.Unlock()
	}()
	if _, err := ServerHandshake(pc.nc, time.Now().Add(5*time.Second)); err != nil {
		return
	}
	fr := NewFrameReader(pc.nc, 0)
	for {
		f, err := fr.Next()
		if err != nil {
			return
		}
		if reply := pc.handle(f); reply != nil {
			pc.write(f.ReqID, reply, false)
		}
		if fr.Buffered() == 0 { // batch replies to pipelined requests into one write
			pc.flush()
		}
	}
}

func (pc *peerConn) write(id uint32, m Message, flush bool) {
	pc.wmu.Lock()
	defer pc.wmu.Unlock()
	pc.wbuf = AppendFrame(pc.wbuf[:0], id, m)
	_, _ = pc.w.Write(pc.wbuf)
	if flush {
		_ = pc.w.Flush()
	}
}

func (pc *peerConn) flush() {
	pc.wmu.Lock()
	_ = pc.w.Flush()
	pc.wmu.Unlock()
}

func (pc *peerConn) heartbeatLoop(every time.Duration) {
	defer pc.p.wg.Done()
	t := time.NewTicker(every)
	defer t.Stop()
	for id := uint32(1 << 31); ; id++ {
		select {
		case <-pc.done:
			return
		case <-t.C:
		}
		if !pc.p.silent.Load() {
			pc.write(id, &Heartbeat{UnixNano: time.Now().UnixNano()}, true)
		}
	}
}

func (pc *peerConn) handle(f Frame) Message {
	p := pc.p
	m := NewMessage(f.Type)
	if m == nil {
		return &Denial{Code: CodeBadRequest, Detail: "unknown message type"}
	}
	if err := m.Decode(f.Payload); err != nil {
		pc.write(0, &ProtocolError{Code: CodeProtocol, Detail: err.Error()}, true)
		_ = pc.nc.Close()
		return nil
	}
	switch m := m.(type) {
	case *Hello:
		p.mu.Lock()
		p.hellos++
		pc.clientID, pc.session = m.ClientID, true
		inv := append([]InventoryItem(nil), p.inventory...)
		p.mu.Unlock()
		if p.heartbeatEvery > 0 {
			p.wg.Add(1)
			go pc.heartbeatLoop(p.heartbeatEvery)
		}
		return &HelloOK{SessionID: 42, ServerHost: "peer", ServerVersion: "test", HeartbeatSeconds: 300, StartupHandle: 1, Inventory: inv}
	case *Heartbeat:
		p.mu.Lock()
		p.heartbeats++
		p.mu.Unlock()
		if p.silent.Load() {
			return nil
		}
		return &HeartbeatAck{UnixNano: m.UnixNano}
	case *HeartbeatAck:
		p.mu.Lock()
		p.acks++
		p.mu.Unlock()
		return nil
	case *Query:
		p.mu.Lock()
		st := Status{ServerHost: "peer", Vendor: "CITRIX", VendorUp: true}
		for _, it := range p.inventory {
			if m.Feature == "" || m.Feature == it.Feature {
				st.Features = append(st.Features, FeatureStatus{Feature: it.Feature, Model: it.Model, Issued: int(it.Installed), InUse: p.inUse[it.Feature]})
			}
		}
		p.mu.Unlock()
		b, _ := json.Marshal(st)
		return &QueryResult{JSON: b}
	case *Admin:
		if m.Token != "secret" {
			return &Denial{Code: CodeNotAuthorized, Detail: "wrong token"}
		}
		return &AdminResult{JSON: append([]byte(nil), m.Args...)}
	case *Locate:
		return &LocateResult{Host: "127.0.0.1", VendorPort: DefaultVendorPort}
	}
	if !pc.session {
		return &Denial{Code: CodeNoSession, Detail: "hello first"}
	}
	switch m := m.(type) {
	case *Checkout:
		if m.FeatureName() == p.slowFeature {
			p.mu.Lock()
			p.slowSeen++
			p.mu.Unlock()
			id := f.ReqID
			p.wg.Add(1)
			go func() {
				defer p.wg.Done()
				<-p.slowGate
				g, d := pc.checkout(m)
				if d != nil {
					pc.write(id, d, true)
				} else {
					pc.write(id, &g, true)
				}
			}()
			return nil
		}
		g, d := pc.checkout(m)
		if d != nil {
			return d
		}
		return &g
	case *CheckoutBatch:
		res := &BatchResult{}
		for i := range m.Items {
			g, d := pc.checkout(&m.Items[i])
			if d != nil {
				res.Items = append(res.Items, BatchItem{Denied: *d})
			} else {
				res.Items = append(res.Items, BatchItem{Grant: g})
			}
		}
		return res
	case *Checkin:
		p.mu.Lock()
		defer p.mu.Unlock()
		h, ok := p.checkouts[m.Handle]
		if !ok || h.clientID != pc.clientID {
			return &Denial{Code: CodeUnknownHandle, Detail: "no such handle"}
		}
		delete(p.checkouts, m.Handle)
		p.inUse[h.feature]--
		return &Ack{Released: 1}
	case *CheckinDevice:
		p.mu.Lock()
		defer p.mu.Unlock()
		n := 0
		for handle, h := range p.checkouts {
			if h.clientID == pc.clientID && h.feature == m.Feature && h.device == m.Device {
				delete(p.checkouts, handle)
				p.inUse[h.feature]--
				n++
			}
		}
		return &Ack{Released: uint32(n)}
	case *Reconcile:
		return pc.reconcile(m)
	}
	return &Denial{Code: CodeBadRequest, Detail: "not a request"}
}

func (pc *peerConn) checkout(m *Checkout) (Grant, *Denial) {
	p := pc.p
	p.mu.Lock()
	defer p.mu.Unlock()
	feature := m.FeatureName()
	n, ok := p.installed[feature]
	if !ok {
		return Grant{}, &Denial{Code: CodeNoSuchFeature, Detail: feature}
	}
	if p.inUse[feature] >= n {
		return Grant{}, &Denial{Code: CodeLicensedNumberReached, Detail: feature}
	}
	p.inUse[feature]++
	p.nextHandle++
	p.checkouts[p.nextHandle] = peerHold{pc.clientID, feature, m.Device}
	return Grant{Handle: p.nextHandle, Feature: feature, PoolID: "pool-" + feature}, nil
}

// reconcile adopts the holds (even beyond the count, as "License caching mode example"
// asks) and, after the last frame, releases this client's checkouts that were not listed.
func (pc *peerConn) reconcile(m *Reconcile) Message {
	p := pc.p
	p.mu.Lock()
	cp := Reconcile{Holds: append([]Hold(nil), m.Holds...), More: m.More}
	p.reconciles = append(p.reconciles, cp)
	tokens := p.reconcileTokens
	p.mu.Unlock()
	if tokens != nil {
		select {
		case <-tokens:
		case <-pc.done:
			return nil
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	res := &ReconcileResult{}
	for _, h := range m.Holds {
		if _, ok := p.installed[h.Feature]; !ok {
			res.Items = append(res.Items, BatchItem{Denied: Denial{Code: CodeNoSuchFeature, Detail: h.Feature}})
			continue
		}
		old, ok := p.checkouts[h.Handle]
		handle := h.Handle
		switch {
		case ok && old.clientID == pc.clientID && !p.renumber:
		case ok && old.clientID == pc.clientID:
			delete(p.checkouts, h.Handle)
			p.nextHandle++
			handle = p.nextHandle
			p.checkouts[handle] = old
		default:
			p.nextHandle++
			handle = p.nextHandle
			p.checkouts[handle] = peerHold{pc.clientID, h.Feature, h.Device}
			p.inUse[h.Feature]++
		}
		pc.listed[handle] = true
		res.Items = append(res.Items, BatchItem{Grant: Grant{Handle: handle, Feature: h.Feature}})
	}
	if !m.More {
		for handle, h := range p.checkouts {
			if h.clientID == pc.clientID && !pc.listed[handle] {
				delete(p.checkouts, handle)
				p.inUse[h.feature]--
			}
		}
	}
	return res
}
