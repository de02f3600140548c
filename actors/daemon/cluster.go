package daemon

import (
	"bytes"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/licd/licd/storage"
	"github.com/licd/licd/storage/replica"
	"github.com/licd/licd/wire"
)

// Cluster mode (doc/HA.md): a group of licd nodes, each with its own store, replicating every
// durable write through Raft (storage/replica). The manual's "Clustered License Servers" run
// one active node on a shared disk and fail over "in a few seconds"; here no disk is shared
// and any majority keeps serving. One node, the leader, runs a Daemon exactly as a single
// server does — rebuilt from its store as after a restart, every time it becomes leader —
// and the others answer products with wire.Redirect naming it.

// ClusterConfig is a node's place in its group.
type ClusterConfig struct {
	ID     uint64            // this node's id
	Peers  map[uint64]string // every member's peer address (host:port), this node's included
	Secret []byte            // the shared secret that authenticates peers
	// PeerListen is the address the peer port binds (default: this node's entry in Peers).
	PeerListen string
	// Raft's timing: Tick (default 100ms) and ElectionTicks (default 10): a leader is
	// replaced within one to two election timeouts of its loss.
	Tick          time.Duration
	ElectionTicks int
	// SnapshotEntries: the log is compacted behind a snapshot every this many entries.
	SnapshotEntries uint64
	// OnLead runs once this node's Daemon serves (the API and metrics listeners); the
	// function it returns runs before that Daemon stops. nil: nothing.
	OnLead func(d *Daemon) (stop func())
}

// sharedResources are what a cluster node lends the Daemon it runs while it leads.
type sharedResources struct {
	store        *storage.Store
	lm, vd       net.Listener
	reopenVendor func() net.Listener
	cluster      func() *wire.ClusterStatus
	isolate      func(time.Duration)
}

// leaderSetting is where the leader records its product address for the followers'
// Redirects (a replicated setting, so every node knows the last leader's address).
const leaderSetting = "cluster/leader"

type leaderRecord struct {
	ID   uint64 `json:"id"`
	Addr string `json:"addr"`
}

// Cluster is a running cluster node.
type Cluster struct {
	cfg  Config
	cc   ClusterConfig
	log  *zap.Logger
	node *replica.Node

	store  *storage.Store
	lm, vd net.Listener // the real ports; connections go to the daemon or get a Redirect
	addr   string       // this node's license-manager address as products reach it
	// productTLS is the product ports' TLS configuration (nil: off): a follower opens a
	// product connection as the daemon would before it sends the Redirect.
	productTLS *tls.Config

	mu     sync.Mutex
	d      *Daemon // while leading
	onStop func()  // what OnLead returned for d
	lmH    *handoff
	vdH    *handoff
	since  time.Time // when this node last became leader (for the logs)
	failed error     // why the last attempt to serve failed

	stop    chan struct{}
	done    chan struct{} // closed once the node has stopped
	downReq chan struct{} // closed by lmdown on the leader's daemon
	once    sync.Once
	wg      sync.WaitGroup
}

// StartCluster starts a cluster node: it opens the store and the Raft node, listens on the
// license-manager and vendor ports, and runs a Daemon whenever it leads.
func StartCluster(cfg Config, cc ClusterConfig) (_ *Cluster, err error) {
	if cfg.DataDir == "" {
		return nil, errors.New("no data directory: pass -data DIR")
	}
	if cfg.Logger == nil {
		cfg.Logger = zap.NewNop()
	}
	c := &Cluster{cfg: cfg, cc: cc, log: cfg.Logger.Named("cluster"), stop: make(chan struct{}), done: make(chan struct{}),
		downReq: make(chan struct{})}
	if c.productTLS, err = productTLS(cfg.Product); err != nil {
		return nil, err
	}
	var cleanups []func()
	defer func() {
		if err != nil {
			for i := len(cleanups) - 1; i >= 0; i-- {
				cleanups[i]()
			}
		}
	}()
	if c.store, err = storage.Open(filepath.Join(cfg.DataDir, "db"), storage.Options{Logger: cfg.Logger, DiskReserve: cfg.DiskReserve}); err != nil {
		return nil, fmt.Errorf("open the store in %s: %w", cfg.DataDir, err)
	}
	cleanups = append(cleanups, func() { _ = c.store.Close() })
	host := cfg.ListenHost
	if c.lm, err = net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(cfg.port(cfg.LMPort, 27000)))); err != nil {
		return nil, fmt.Errorf("listen on the license-manager port: %w (choose another with -lm-port)", err)
	}
	cleanups = append(cleanups, func() { _ = c.lm.Close() })
	if c.vd, err = net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(cfg.port(cfg.VendorPort, 7279)))); err != nil {
		return nil, fmt.Errorf("listen on the vendor daemon port: %w (choose another with -vendor-port)", err)
	}
	cleanups = append(cleanups, func() { _ = c.vd.Close() })
	peerHost, _, err := net.SplitHostPort(cc.Peers[cc.ID])
	if err != nil {
		return nil, fmt.Errorf("cluster: node %d's peer address %q: %w", cc.ID, cc.Peers[cc.ID], err)
	}
	c.addr = net.JoinHostPort(peerHost, strconv.Itoa(c.lm.Addr().(*net.TCPAddr).Port))
	var peerLn net.Listener
	listen := cc.PeerListen
	if listen == "" {
		listen = cc.Peers[cc.ID]
	}
	if peerLn, err = net.Listen("tcp", listen); err != nil {
		return nil, fmt.Errorf("listen on the cluster peer port %s: %w", listen, err)
	}
	c.node, err = replica.Start(replica.Config{ID: cc.ID, Peers: cc.Peers, Listener: peerLn, Dir: filepath.Join(cfg.DataDir, "raft"),
		Store: c.store, Secret: cc.Secret, Logger: cfg.Logger, Tick: cc.Tick, ElectionTicks: cc.ElectionTicks,
		SnapshotEntries: cc.SnapshotEntries})
	if err != nil {
		_ = peerLn.Close()
		return nil, err
	}
	c.store.SetReplicator(c.node)
	c.wg.Add(3)
	go c.acceptLoop(c.lm, false)
	go c.acceptLoop(c.vd, true)
	go c.supervise()
	c.log.Info("cluster node serving", zap.Uint64("id", cc.ID), zap.String("product_addr", c.addr))
	return c, nil
}

// LMAddr and VendorAddr are the node's product ports; PeerAddr its peer port.
func (c *Cluster) LMAddr() *net.TCPAddr     { return c.lm.Addr().(*net.TCPAddr) }
func (c *Cluster) VendorAddr() *net.TCPAddr { return c.vd.Addr().(*net.TCPAddr) }

// Node is the Raft node (status, tests).
func (c *Cluster) Node() *replica.Node { return c.node }

// Daemon is the daemon this node runs while it leads (nil while it follows).
func (c *Cluster) Daemon() *Daemon {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.d
}

// Done is closed when an lmdown on the leader asked the node to stop.
func (c *Cluster) Done() <-chan struct{} { return c.downReq }

// Shutdown stops the node: the daemon if it leads, the ports, Raft, the store. Idempotent.
func (c *Cluster) Shutdown() {
	c.once.Do(func() {
		close(c.stop)
		_ = c.lm.Close()
		_ = c.vd.Close()
		c.wg.Wait()
		c.node.Stop()
		if err := c.store.Close(); err != nil {
			c.log.Error("close the store", zap.Error(err))
		}
		close(c.done)
	})
	<-c.done
}

// supervise runs a Daemon while this node leads and stops it when it does not.
func (c *Cluster) supervise() {
	defer c.wg.Done()
	defer c.stepDown()
	retry := time.NewTimer(time.Hour)
	retry.Stop()
	defer retry.Stop()
	for {
		leading, changed := c.node.Leading()
		if leading && c.Daemon() == nil {
			if err := c.lead(); err != nil {
				c.log.Error("cannot serve as the leader; retrying", zap.Error(err))
				retry.Reset(time.Second)
			}
		} else if !leading && c.Daemon() != nil {
			c.stepDown()
		}
		var ddone <-chan struct{}
		if d := c.Daemon(); d != nil {
			ddone = d.Done()
		}
		select {
		case <-c.stop:
			return
		case <-changed:
		case <-retry.C:
		case <-ddone:
			// lmdown on the leader: the whole node stops (cmd/licd waits on Done).
			c.log.Info("the leader's daemon was shut down by lmdown; stopping the node")
			c.stepDown() // already down: stops what OnLead started
			close(c.downReq)
			<-c.stop
			return
		}
	}
}

// lead rebuilds the actors from this node's store, exactly as a restart does, and hands the
// ports to the new Daemon.
func (c *Cluster) lead() error {
	start := time.Now()
	lmH, vdH := newHandoff(c.lm.Addr()), newHandoff(c.vd.Addr())
	cfg := c.cfg
	cfg.shared = &sharedResources{store: c.store, lm: lmH, vd: vdH, reopenVendor: func() net.Listener {
		h := newHandoff(c.vd.Addr())
		c.mu.Lock()
		c.vdH = h
		c.mu.Unlock()
		return h
	}, cluster: c.Status, isolate: c.isolate}
	if err := syncFiles(c.store, cfg, c.log); err != nil {
		return err
	}
	d, err := Start(cfg)
	if err != nil {
		return err
	}
	if ok, _ := c.node.Leading(); !ok { // lost it while starting
		d.Shutdown()
		return nil
	}
	c.mu.Lock()
	c.d, c.lmH, c.vdH, c.since = d, lmH, vdH, time.Now()
	c.mu.Unlock()
	b := storage.NewBatch()
	rec, _ := json.Marshal(leaderRecord{ID: c.cc.ID, Addr: c.addr})
	b.PutSetting(leaderSetting, rec)
	if err := c.store.Commit(b); err != nil {
		c.log.Warn("cannot record this leader's address for the followers' redirects", zap.Error(err))
	}
	if c.cc.OnLead != nil {
		stop := c.cc.OnLead(d)
		c.mu.Lock()
		c.onStop = stop
		c.mu.Unlock()
	}
	c.log.Info("leading: serving products", zap.Uint64("id", c.cc.ID), zap.Duration("rebuilt_in", time.Since(start)))
	return nil
}

// stepDown stops the Daemon: its products lose their connections and go to the new leader.
func (c *Cluster) stepDown() {
	c.mu.Lock()
	d, onStop := c.d, c.onStop
	c.d, c.lmH, c.vdH, c.onStop = nil, nil, nil, nil
	c.mu.Unlock()
	if onStop != nil {
		onStop()
	}
	if d != nil {
		c.log.Info("no longer leading: dropping the products, which go to the new leader")
		d.Shutdown()
	}
}

func (c *Cluster) acceptLoop(l net.Listener, vendor bool) {
	defer c.wg.Done()
	for {
		nc, err := l.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			time.Sleep(50 * time.Millisecond) // out of descriptors: do not spin
			continue
		}
		c.mu.Lock()
		h := c.lmH
		if vendor {
			h = c.vdH
		}
		c.mu.Unlock()
		if h != nil && h.offer(nc) {
			continue
		}
		c.wg.Add(1)
		go c.redirect(nc)
	}
}

// leaderAddr is the product address of the leader this node knows, if it knows it.
func (c *Cluster) leaderAddr() (string, uint64) {
	lead := c.node.Leader()
	if lead == 0 {
		return "", 0
	}
	v, ok, err := c.store.Setting(leaderSetting)
	if err != nil || !ok {
		return "", lead
	}
	var rec leaderRecord
	if json.Unmarshal(v, &rec) != nil || rec.ID != lead {
		return "", lead // the new leader has not recorded its address yet
	}
	return rec.Addr, lead
}

// redirect answers a connection's first request with a Redirect to the leader, then closes.
// With product TLS, the connection opens as the daemon's do (acceptTLS, the same timeouts)
// and the Redirect goes inside TLS; a plain connection the daemon would refuse is told why.
func (c *Cluster) redirect(raw net.Conn) {
	defer c.wg.Done()
	defer raw.Close()
	nc := raw
	plainRefused := false
	if c.productTLS != nil || c.cfg.Product.RequireTLS {
		var err error
		if nc, plainRefused, err = acceptTLS(raw, c.productTLS, c.cfg.Product, isLoopback(raw.RemoteAddr())); err != nil {
			c.log.Debug("TLS handshake failed", zap.String("remote", raw.RemoteAddr().String()), zap.Error(err))
			return
		}
	}
	deadline := time.Now().Add(handshakeTimeout)
	_ = nc.SetDeadline(deadline)
	if _, err := wire.ServerHandshake(nc, deadline); err != nil {
		return
	}
	var reply []byte
	if plainRefused {
		reply = wire.AppendFrame(nil, 0, &wire.ProtocolError{Code: wire.CodeNotAuthenticated, Detail: tlsRequiredDetail})
	} else {
		f, err := wire.NewFrameReader(nc, 1<<20).Next()
		if err != nil {
			return
		}
		addr, lead := c.leaderAddr()
		detail := fmt.Sprintf("licd cluster node %d is a follower", c.cc.ID)
		if lead == 0 {
			detail += "; an election is running"
		} else {
			detail += fmt.Sprintf("; node %d leads", lead)
		}
		reply = wire.AppendFrame(nil, f.ReqID, &wire.Redirect{Addr: addr, Leader: lead, Detail: detail})
	}
	if _, err := nc.Write(reply); err != nil {
		return
	}
	// Let the client read the answer before the close: unread input would reset the
	// connection and could drop it. Over TLS, close_notify ends the stream first.
	if tc, ok := nc.(*tls.Conn); ok {
		_ = tc.CloseWrite()
	}
	if tc, ok := raw.(*net.TCPConn); ok {
		_ = tc.CloseWrite()
	}
	_ = raw.SetReadDeadline(time.Now().Add(time.Second))
	var sink [512]byte
	for {
		if _, err := raw.Read(sink[:]); err != nil {
			return
		}
	}
}

// handoff is a net.Listener fed by the cluster's accept loop: the Daemon accepts from it
// while this node leads, and its Close (the Daemon's shutdown) leaves the real port open.
type handoff struct {
	addr net.Addr
	ch   chan net.Conn
	done chan struct{}
	once sync.Once
}

func newHandoff(addr net.Addr) *handoff {
	return &handoff{addr: addr, ch: make(chan net.Conn), done: make(chan struct{})}
}

func (h *handoff) Accept() (net.Conn, error) {
	select {
	case nc := <-h.ch:
		return nc, nil
	case <-h.done:
		return nil, net.ErrClosed
	}
}

func (h *handoff) Close() error {
	h.once.Do(func() { close(h.done) })
	return nil
}

func (h *handoff) Addr() net.Addr { return h.addr }

// offer hands nc to the Daemon, or reports that it stopped accepting.
func (h *handoff) offer(nc net.Conn) bool {
	select {
	case h.ch <- nc:
		return true
	case <-h.done:
		return false
	}
}

// Status is the group as this node sees it (lag and activity are the leader's view).
func (c *Cluster) Status() *wire.ClusterStatus {
	st := c.node.Status()
	cs := &wire.ClusterStatus{Node: st.ID, Leader: st.Leader, Term: st.Term, Commit: st.Commit, Applied: st.Applied}
	for _, m := range st.Members {
		cs.Members = append(cs.Members, wire.ClusterMember{ID: m.ID, PeerAddr: m.Addr, Leader: m.Leader, Active: m.Active, Match: m.Match, Lag: m.Lag})
	}
	return cs
}

// ClusterStatus is the replicated group this daemon leads, nil on a single server.
func (d *Daemon) ClusterStatus() *wire.ClusterStatus {
	if d.cfg.shared == nil || d.cfg.shared.cluster == nil {
		return nil
	}
	return d.cfg.shared.cluster()
}

// License files and the options file installed through the API are replicated too (a
// setting per file: its content, empty once deleted), and a node writes them into its own
// license directory before it serves as leader. Files put into a node's directory by hand
// stay that node's own.
const (
	licenseFileKey = "cluster/file/license/"
	optionsFileKey = "cluster/file/options"
)

// replicateFile records a license or options file's new content (nil: deleted) in the
// group; nothing on a single server.
func (d *Daemon) replicateFile(key string, content []byte) error {
	if d.cfg.shared == nil {
		return nil
	}
	b := storage.NewBatch()
	b.PutSetting(key, content)
	if err := d.store.Commit(b); err != nil {
		return fmt.Errorf("replicate it to the cluster: %w", err)
	}
	return nil
}

// syncFiles writes the replicated license and options files into this node's directories.
func syncFiles(st *storage.Store, cfg Config, log *zap.Logger) error {
	files, err := st.Settings(licenseFileKey)
	if err != nil {
		return fmt.Errorf("read the replicated license files: %w", err)
	}
	dir := cfg.licenseDir()
	if len(files) > 0 {
		if err := os.MkdirAll(dir, 0o755); err != nil { // as Prepare makes it
			return fmt.Errorf("make the license directory: %w", err)
		}
	}
	for key, content := range files {
		name := strings.TrimPrefix(key, licenseFileKey)
		if checkFileName(name) != nil {
			continue
		}
		if err := syncFile(filepath.Join(dir, name), content); err != nil {
			return err
		}
		log.Debug("license file from the group", zap.String("file", name), zap.Int("bytes", len(content)))
	}
	if text, ok, err := st.Setting(optionsFileKey); err != nil {
		return fmt.Errorf("read the replicated options file: %w", err)
	} else if ok {
		if err := os.MkdirAll(filepath.Dir(cfg.optionsFile()), 0o755); err != nil {
			return fmt.Errorf("make the options file's directory: %w", err)
		}
		return syncFile(cfg.optionsFile(), text)
	}
	return nil
}

func syncFile(path string, content []byte) error {
	old, err := os.ReadFile(path)
	switch {
	case len(content) == 0:
		if err == nil {
			if err := os.Remove(path); err != nil {
				return fmt.Errorf("remove %s, deleted in the group: %w", path, err)
			}
		}
		return nil
	case err == nil && bytes.Equal(old, content):
		return nil
	}
	if err := writePrivate(path, content); err != nil {
		return fmt.Errorf("write %s from the group: %w", path, err)
	}
	return nil
}

// isolate cuts this node off from its peers for d (the test hook behind "fault.isolate"):
// every peer message to or from it is dropped, as in a network partition.
// The cut starts 300ms after the request, so that its answer (and its audit record) go out.
func (c *Cluster) isolate(d time.Duration) {
	self := c.cc.ID
	time.AfterFunc(300*time.Millisecond, func() {
		c.node.SetFault(func(from, to uint64) bool { return from == self || to == self })
		c.log.Warn("test fault: cut off from the group", zap.Duration("for", d))
		time.AfterFunc(d, func() {
			c.node.SetFault(nil)
			c.log.Warn("test fault: back in the group")
		})
	})
}

// isolateOp is the "fault.isolate" admin request ({"seconds": N}): a test hook, enabled by
// -test-fault-injection, that partitions the leader from its group for N seconds.
func (d *Daemon) isolateOp(args []byte) (any, error) {
	if !d.cfg.FaultInjection {
		return nil, wire.Errorf(wire.CodeDisabled, "fault injection is a test hook: start licd with -test-fault-injection")
	}
	if d.cfg.shared == nil || d.cfg.shared.isolate == nil {
		return nil, wire.Errorf(wire.CodeBadRequest, "fault.isolate needs a cluster node")
	}
	var a struct{ Seconds float64 }
	if err := json.Unmarshal(args, &a); err != nil || a.Seconds <= 0 || a.Seconds > 60 {
		return nil, wire.Errorf(wire.CodeBadRequest, `fault.isolate takes {"seconds": N}, 0 < N <= 60`)
	}
	d.cfg.shared.isolate(time.Duration(a.Seconds * float64(time.Second)))
	return map[string]string{"status": "cut off from the group"}, nil
}
