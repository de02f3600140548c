// Package replica replicates a licd store across a group of nodes with Raft
// (go.etcd.io/raft/v3, used as a library): every durable write the store would make becomes
// one Raft entry, acknowledged only once a majority holds it and it is applied here; every
// node applies the same entries to its own Pebble. doc/HA.md describes the design.
package replica

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
	"go.etcd.io/raft/v3"
	pb "go.etcd.io/raft/v3/raftpb"
	"go.uber.org/zap"
	"google.golang.org/protobuf/proto"

	"github.com/licd/licd/storage"
)

// Config configures a Node.
type Config struct {
	ID    uint64            // this node's id (1..), unique in the group
	Peers map[uint64]string // every member's peer address (host:port), this node's included
	// Listener is the peer port; nil: listen on Peers[ID].
	Listener net.Listener
	Dir      string // the Raft log's directory (DATA/raft)
	FS       vfs.FS // nil: the real disk
	Store    *storage.Store
	Secret   []byte // the group's shared secret (peer authentication)
	Logger   *zap.Logger

	// Tick is Raft's clock (0 = 100ms); a follower calls an election after ElectionTicks
	// ticks without a leader (0 = 10, with raft's randomization up to twice that).
	Tick          time.Duration
	ElectionTicks int
	// SnapshotEntries: a snapshot is taken (and the log compacted) every this many applied
	// entries (0 = 10000); KeepEntries stay behind it for followers that lag a little (0 = 5000).
	SnapshotEntries uint64
	KeepEntries     uint64
}

func (c *Config) defaults() {
	if c.Tick <= 0 {
		c.Tick = 100 * time.Millisecond
	}
	if c.ElectionTicks <= 0 {
		c.ElectionTicks = 10
	}
	if c.SnapshotEntries == 0 {
		c.SnapshotEntries = 10000
	}
	if c.KeepEntries == 0 {
		c.KeepEntries = 5000
	}
	if c.Logger == nil {
		c.Logger = zap.NewNop()
	}
}

// proposeTimeout bounds how long Replicate waits for raft to take a proposal.
const proposeTimeout = 5 * time.Second

// Node is one member of a replicated group. It implements storage.Replicator.
type Node struct {
	cfg   Config
	log   *zap.Logger
	raft  raft.Node
	mem   *raft.MemoryStorage
	wal   *raftLog
	trans *transport
	store *storage.Store

	// Proposals waiting for their entry: an 8-byte id prefixes each entry's data.
	pmu     sync.Mutex
	pending map[uint64]func(error)
	nextID  atomic.Uint64

	// Owned by the run goroutine.
	confState   *pb.ConfState
	snapIndex   uint64 // the last snapshot's index (memory storage)
	raftApplied uint64 // the last entry raft delivered (or the snapshot's index)
	persisted   uint64 // the last entry in the durable log
	isLeader    bool   // raft says leader (perhaps not yet caught up)

	// Read by others.
	storeApplied atomic.Uint64 // the last entry applied to the store
	term, commit atomic.Uint64
	lead         atomic.Uint64
	snapshots    atomic.Uint64 // snapshots installed from a leader
	snapsSent    atomic.Uint64

	mu      sync.Mutex
	leading bool          // leader and caught up: may serve
	changed chan struct{} // closed (and replaced) when leading changes

	stop    chan struct{}
	stopped chan struct{}
	once    sync.Once
}

// Start opens (or creates) the node's Raft log, restores raft's state from it and starts
// the node: the peer transport, the ticker and the loop that persists, sends and applies.
func Start(cfg Config) (_ *Node, err error) {
	cfg.defaults()
	if cfg.ID == 0 || cfg.Peers[cfg.ID] == "" {
		return nil, fmt.Errorf("replica: node id %d is not among the peers %v", cfg.ID, cfg.Peers)
	}
	if len(cfg.Secret) < 16 {
		return nil, errors.New("replica: the cluster secret is shorter than 16 bytes: make one with `licd cluster init`")
	}
	if cfg.Store == nil {
		return nil, errors.New("replica: no store")
	}
	fs := cfg.FS
	if fs == nil {
		fs = vfs.Default
	}
	wal, err := openLog(cfg.Dir, fs)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			_ = wal.close()
		}
	}()
	snap, hs, ents, err := wal.load()
	if err != nil {
		return nil, err
	}
	applied, err := cfg.Store.Applied()
	if err != nil {
		return nil, fmt.Errorf("replica: read the applied index: %w", err)
	}
	mem := raft.NewMemoryStorage()
	n := &Node{cfg: cfg, log: cfg.Logger.Named("raft"), mem: mem, wal: wal, store: cfg.Store,
		pending: map[uint64]func(error){}, changed: make(chan struct{}), stop: make(chan struct{}), stopped: make(chan struct{})}
	n.storeApplied.Store(applied)
	if snap != nil {
		if err := mem.ApplySnapshot(snap); err != nil {
			return nil, fmt.Errorf("replica: restore the snapshot: %w", err)
		}
		n.snapIndex = snap.GetMetadata().GetIndex()
		n.confState = snap.GetMetadata().GetConfState()
	}
	if hs != nil {
		if err := mem.SetHardState(hs); err != nil {
			return nil, fmt.Errorf("replica: restore the hard state: %w", err)
		}
	}
	if err := mem.Append(ents); err != nil {
		return nil, fmt.Errorf("replica: restore the log: %w", err)
	}
	n.raftApplied = n.snapIndex
	n.persisted, _ = mem.LastIndex()
	var base [8]byte
	_, _ = rand.Read(base[:])
	n.nextID.Store(binary.BigEndian.Uint64(base[:]) &^ (1 << 63))

	rc := &raft.Config{
		ID:              cfg.ID,
		ElectionTick:    cfg.ElectionTicks,
		HeartbeatTick:   1,
		Storage:         mem,
		Applied:         n.snapIndex, // later entries come again; those the store holds are skipped
		MaxSizePerMsg:   1 << 20,
		MaxInflightMsgs: 256,
		// A leader cut off from a majority steps down within an election timeout, and a node
		// that was away cannot disrupt the group with a higher term when it returns.
		CheckQuorum: true,
		PreVote:     true,
		// Only the leader proposes (Replicate refuses on a follower); a proposal that reaches
		// raft after this node lost the leadership fails at once instead of travelling to a
		// leader that may drop it, leaving its writer waiting.
		DisableProposalForwarding: true,
		Logger:                    zapRaft{n.log.Sugar()},
	}
	ln := cfg.Listener
	if ln == nil {
		if ln, err = net.Listen("tcp", cfg.Peers[cfg.ID]); err != nil {
			return nil, fmt.Errorf("replica: listen on the peer port %s: %w", cfg.Peers[cfg.ID], err)
		}
	}
	if snap == nil && hs == nil && len(ents) == 0 {
		var peers []raft.Peer
		for _, id := range sortedIDs(cfg.Peers) {
			peers = append(peers, raft.Peer{ID: id})
		}
		n.raft = raft.StartNode(rc, peers)
	} else {
		n.raft = raft.RestartNode(rc)
	}
	n.trans = newTransport(cfg.ID, cfg.Secret, ln, cfg.Peers, n.log)
	n.trans.step = func(m *pb.Message) { _ = n.raft.Step(context.Background(), m) }
	n.trans.report = func(id uint64, snap, failed bool) {
		if snap {
			n.raft.ReportSnapshot(id, snapshotStatus(failed))
			if !failed {
				n.snapsSent.Add(1)
			}
		}
		if failed {
			n.raft.ReportUnreachable(id)
		}
	}
	n.trans.snapshot = func(w io.Writer) error {
		_, err := n.store.WriteState(w)
		return err
	}
	n.trans.start()
	go n.run()
	n.log.Info("cluster node started", zap.Uint64("id", cfg.ID), zap.Int("members", len(cfg.Peers)),
		zap.String("peer_addr", ln.Addr().String()), zap.Uint64("applied", applied))
	return n, nil
}

func sortedIDs(m map[uint64]string) []uint64 {
	ids := make([]uint64, 0, len(m))
	for id := range m {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// ID is this node's id.
func (n *Node) ID() uint64 { return n.cfg.ID }

// Leading reports whether this node is the leader and has applied everything committed
// before its term (so its store holds every acknowledged decision), and a channel closed at
// the next change.
func (n *Node) Leading() (bool, <-chan struct{}) {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.leading, n.changed
}

func (n *Node) setLeading(v bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.leading == v {
		return
	}
	n.leading = v
	close(n.changed)
	n.changed = make(chan struct{})
}

// Leader is the id of the node this one believes leads (0: none known).
func (n *Node) Leader() uint64 { return n.lead.Load() }

// Replicate proposes data as one entry; done runs once it is committed and applied here,
// or with an error wrapping storage.ErrNotLeader if this node cannot get it committed.
func (n *Node) Replicate(data []byte, done func(error)) {
	if ok, _ := n.Leading(); !ok {
		done(fmt.Errorf("replica: node %d (leader is %d): %w", n.cfg.ID, n.Leader(), storage.ErrNotLeader))
		return
	}
	id := n.nextID.Add(1)
	entry := make([]byte, 8, 8+len(data))
	binary.BigEndian.PutUint64(entry, id)
	entry = append(entry, data...)
	n.pmu.Lock()
	n.pending[id] = done
	n.pmu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), proposeTimeout)
	err := n.raft.Propose(ctx, entry)
	cancel()
	if err != nil {
		if fn := n.take(id); fn != nil {
			fn(fmt.Errorf("replica: propose on node %d: %v: %w", n.cfg.ID, err, storage.ErrNotLeader))
		}
	}
}

func (n *Node) take(id uint64) func(error) {
	n.pmu.Lock()
	defer n.pmu.Unlock()
	fn := n.pending[id]
	delete(n.pending, id)
	return fn
}

// failPending fails every waiting proposal: this node can no longer see them through. Some
// may still commit under the next leader; nothing about them was acknowledged.
func (n *Node) failPending(why string) {
	n.pmu.Lock()
	p := n.pending
	n.pending = map[uint64]func(error){}
	n.pmu.Unlock()
	for _, fn := range p {
		fn(fmt.Errorf("replica: node %d %s: %w", n.cfg.ID, why, storage.ErrNotLeader))
	}
}

// Stop stops the node: the loop, raft, the transport and the log. Waiting proposals fail.
// It is idempotent.
func (n *Node) Stop() {
	n.once.Do(func() {
		close(n.stop)
		<-n.stopped
		n.raft.Stop()
		n.trans.close()
		n.setLeading(false)
		n.failPending("stopped")
		if err := n.wal.close(); err != nil {
			n.log.Warn("close the raft log", zap.Error(err))
		}
	})
}

// SetFault makes the transport drop every message for which drop(from, to) is true (nil:
// none): the tests' network partitions.
func (n *Node) SetFault(drop func(from, to uint64) bool) {
	if drop == nil {
		n.trans.drop.Store(nil)
		return
	}
	n.trans.drop.Store(&drop)
}

func (n *Node) run() {
	defer close(n.stopped)
	tick := time.NewTicker(n.cfg.Tick)
	defer tick.Stop()
	for {
		select {
		case <-n.stop:
			return
		case <-tick.C:
			n.raft.Tick()
		case rd := <-n.raft.Ready():
			if err := n.handle(rd); err != nil {
				// The store or the log failed: this node cannot go on safely. It stops
				// taking part; the others carry on, and a restart recovers from the disk.
				n.log.Error("cluster node stopped: its disk failed", zap.Error(err))
				n.setLeading(false)
				n.failPending("failed")
				go n.raft.Stop()
				return
			}
			n.raft.Advance()
		}
	}
}

func (n *Node) handle(rd raft.Ready) error {
	if rd.SoftState != nil {
		n.lead.Store(rd.SoftState.Lead)
		was := n.isLeader
		n.isLeader = rd.SoftState.RaftState == raft.StateLeader
		if was && !n.isLeader {
			n.log.Info("lost the leadership", zap.Uint64("leader", rd.SoftState.Lead))
			n.setLeading(false)
			n.failPending("lost the leadership")
		}
	}
	if snap := rd.Snapshot; snap != nil && !raft.IsEmptySnap(snap) {
		if err := n.installSnapshot(snap); err != nil {
			return err
		}
	}
	if rd.HardState != nil && !raft.IsEmptyHardState(rd.HardState) {
		n.term.Store(rd.HardState.GetTerm())
		n.commit.Store(rd.HardState.GetCommit())
	}
	// A leader sends before it writes its own log (the Raft thesis, 10.2.1; etcd does the
	// same): its disk and the followers' work at once, and an entry still commits only once
	// a majority has it durably — the followers answer only after their writes. A follower's
	// answers promise its write, so it sends after it.
	sendFirst := n.isLeader
	if sendFirst {
		n.send(rd.Messages)
	}
	// Committed entries this node already holds durably apply while the new ones are written.
	split := len(rd.CommittedEntries)
	for i, e := range rd.CommittedEntries {
		if e.GetIndex() > n.persisted {
			split = i
			break
		}
	}
	if err := n.apply(rd.CommittedEntries[:split]); err != nil {
		return err
	}
	if err := n.wal.save(rd.HardState, rd.Entries, rd.MustSync); err != nil {
		return err
	}
	if rd.HardState != nil && !raft.IsEmptyHardState(rd.HardState) {
		if err := n.mem.SetHardState(rd.HardState); err != nil {
			return fmt.Errorf("replica: %w", err)
		}
	}
	if err := n.mem.Append(rd.Entries); err != nil {
		return fmt.Errorf("replica: %w", err)
	}
	if k := len(rd.Entries); k > 0 {
		n.persisted = rd.Entries[k-1].GetIndex()
	}
	if !sendFirst {
		n.send(rd.Messages)
	}
	if err := n.apply(rd.CommittedEntries[split:]); err != nil {
		return err
	}
	return n.maybeSnapshot()
}

func (n *Node) send(msgs []*pb.Message) {
	for _, m := range msgs {
		n.trans.send(m)
	}
}

// installSnapshot replaces the store with a leader's state, then the log with the snapshot.
func (n *Node) installSnapshot(snap *pb.Snapshot) error {
	idx := snap.GetMetadata().GetIndex()
	applied, err := n.store.InstallState(bytes.NewReader(snap.GetData()))
	if err != nil {
		return fmt.Errorf("replica: install the leader's snapshot at %d: %w", idx, err)
	}
	meta := &pb.Snapshot{Metadata: snap.GetMetadata()}
	if err := n.wal.saveSnapshot(meta, math.MaxUint64); err != nil {
		return err
	}
	if err := n.mem.ApplySnapshot(meta); err != nil {
		return fmt.Errorf("replica: %w", err)
	}
	n.snapIndex, n.raftApplied, n.persisted = idx, idx, idx
	n.confState = snap.GetMetadata().GetConfState()
	n.storeApplied.Store(max(applied, idx))
	n.snapshots.Add(1)
	n.log.Info("caught up from the leader's snapshot", zap.Uint64("index", idx), zap.Uint64("state_applied", applied),
		zap.Int("bytes", len(snap.GetData())))
	return nil
}

func (n *Node) apply(ents []*pb.Entry) error {
	if len(ents) == 0 {
		return nil
	}
	var datas [][]byte
	var dones []func(error)
	storeApplied := n.storeApplied.Load()
	caughtUp := false
	last := uint64(0)
	for _, e := range ents {
		idx := e.GetIndex()
		switch e.GetType() {
		case pb.EntryConfChange:
			cc := &pb.ConfChange{}
			if err := proto.Unmarshal(e.GetData(), cc); err != nil {
				return fmt.Errorf("replica: a configuration entry is damaged: %w", err)
			}
			n.confState = n.raft.ApplyConfChange(cc)
		case pb.EntryNormal:
			d := e.GetData()
			switch {
			case len(d) == 0:
				// A new leader's first entry: once it is applied, everything committed
				// before its term is in the store.
				if n.isLeader && e.GetTerm() == n.term.Load() {
					caughtUp = true
				}
			case idx <= storeApplied:
				// Applied before a restart, or carried by an installed snapshot.
			case len(d) >= 8:
				datas = append(datas, d[8:])
				if fn := n.take(binary.BigEndian.Uint64(d)); fn != nil {
					dones = append(dones, fn)
				}
			}
		}
		n.raftApplied = idx
		if idx > storeApplied {
			last = idx
		}
	}
	if last > 0 {
		if err := n.store.ApplyCommitted(datas, last, false); err != nil {
			for _, fn := range dones {
				fn(err)
			}
			return err
		}
		n.storeApplied.Store(last)
	}
	for _, fn := range dones {
		fn(nil)
	}
	if caughtUp {
		n.log.Info("leading the group", zap.Uint64("term", n.term.Load()), zap.Uint64("applied", n.raftApplied))
		n.setLeading(true)
	}
	return nil
}

// maybeSnapshot takes a snapshot every SnapshotEntries applied entries and compacts the
// log behind it, keeping KeepEntries for followers that lag a little. The snapshot's data is
// the store itself, streamed when a follower needs it (transport.withState).
func (n *Node) maybeSnapshot() error {
	if n.raftApplied < n.snapIndex+n.cfg.SnapshotEntries || n.storeApplied.Load() < n.raftApplied {
		return nil
	}
	// Applies are not synced (the log has the entries): make them durable before the log
	// drops any.
	if err := n.store.ApplyCommitted(nil, n.storeApplied.Load(), true); err != nil {
		return fmt.Errorf("replica: sync the store before compacting the log: %w", err)
	}
	snap, err := n.mem.CreateSnapshot(n.raftApplied, n.confState, nil)
	if err != nil {
		return fmt.Errorf("replica: create a snapshot: %w", err)
	}
	compact := uint64(0)
	if n.raftApplied > n.cfg.KeepEntries {
		compact = n.raftApplied - n.cfg.KeepEntries
	}
	if first, _ := n.mem.FirstIndex(); compact < first {
		compact = 0
	}
	if err := n.wal.saveSnapshot(snap, compact); err != nil {
		return err
	}
	if compact > 0 {
		if err := n.mem.Compact(compact); err != nil && !errors.Is(err, raft.ErrCompacted) {
			return fmt.Errorf("replica: compact the log: %w", err)
		}
	}
	n.snapIndex = n.raftApplied
	return nil
}

// Member is one node of the group as this node sees it.
type Member struct {
	ID     uint64 `json:"id"`
	Addr   string `json:"peer_addr"`
	Leader bool   `json:"leader"`
	Active bool   `json:"active"` // heard from recently (leader's view; the leader itself always)
	Match  uint64 `json:"match"`  // the last index known replicated to it (leader's view)
	Lag    uint64 `json:"lag"`    // entries it is behind the leader's log (leader's view)
}

// Status is the group as this node sees it.
type Status struct {
	ID        uint64   `json:"id"`
	Role      string   `json:"role"` // leader, follower, candidate, pre-candidate
	Leading   bool     `json:"leading"`
	Leader    uint64   `json:"leader"`
	Term      uint64   `json:"term"`
	Commit    uint64   `json:"commit"`
	Applied   uint64   `json:"applied"`
	Snapshots uint64   `json:"snapshots_installed"`
	SnapsSent uint64   `json:"snapshots_sent"`
	Members   []Member `json:"members"`
}

// Status reports the group as this node sees it (lag and match only on the leader).
func (n *Node) Status() Status {
	rs := n.raft.Status()
	st := Status{ID: n.cfg.ID, Role: roleName(rs.RaftState), Leader: rs.Lead, Term: rs.GetTerm(), Commit: rs.GetCommit(),
		Applied: n.storeApplied.Load(), Snapshots: n.snapshots.Load(), SnapsSent: n.snapsSent.Load()}
	st.Leading, _ = n.Leading()
	last, _ := n.mem.LastIndex()
	for _, id := range sortedIDs(n.cfg.Peers) {
		m := Member{ID: id, Addr: n.cfg.Peers[id], Leader: id == rs.Lead}
		if pr, ok := rs.Progress[id]; ok {
			m.Match, m.Active = pr.Match, pr.RecentActive || id == n.cfg.ID
			if last > pr.Match {
				m.Lag = last - pr.Match
			}
		}
		st.Members = append(st.Members, m)
	}
	return st
}

func roleName(s raft.StateType) string {
	switch s {
	case raft.StateLeader:
		return "leader"
	case raft.StateCandidate:
		return "candidate"
	case raft.StatePreCandidate:
		return "pre-candidate"
	default:
		return "follower"
	}
}

// zapRaft adapts zap to raft's Logger (raft's debug chatter stays at debug).
type zapRaft struct{ s *zap.SugaredLogger }

func (z zapRaft) Debug(v ...interface{})                   { z.s.Debug(v...) }
func (z zapRaft) Debugf(format string, v ...interface{})   { z.s.Debugf(format, v...) }
func (z zapRaft) Error(v ...interface{})                   { z.s.Error(v...) }
func (z zapRaft) Errorf(format string, v ...interface{})   { z.s.Errorf(format, v...) }
func (z zapRaft) Info(v ...interface{})                    { z.s.Debug(v...) }
func (z zapRaft) Infof(format string, v ...interface{})    { z.s.Debugf(format, v...) }
func (z zapRaft) Warning(v ...interface{})                 { z.s.Warn(v...) }
func (z zapRaft) Warningf(format string, v ...interface{}) { z.s.Warnf(format, v...) }
func (z zapRaft) Fatal(v ...interface{})                   { z.s.Fatal(v...) }
func (z zapRaft) Fatalf(format string, v ...interface{})   { z.s.Fatalf(format, v...) }
func (z zapRaft) Panic(v ...interface{})                   { z.s.Panic(v...) }
func (z zapRaft) Panicf(format string, v ...interface{})   { z.s.Panicf(format, v...) }
