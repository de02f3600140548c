package replica

import (
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/licd/licd/storage"
)

var testSecret = []byte("0123456789abcdef0123456789abcdef")

// group is a test group of in-process nodes, each with its own store and raft log on disk,
// talking over real TCP on loopback.
type group struct {
	t      *testing.T
	dirs   map[uint64]string
	peers  map[uint64]string
	nodes  map[uint64]*Node
	stores map[uint64]*storage.Store
	tweak  func(*Config)
}

func newGroup(t *testing.T, size int, tweak func(*Config)) *group {
	t.Helper()
	g := &group{t: t, dirs: map[uint64]string{}, peers: map[uint64]string{}, nodes: map[uint64]*Node{},
		stores: map[uint64]*storage.Store{}, tweak: tweak}
	lns := map[uint64]net.Listener{}
	for id := uint64(1); id <= uint64(size); id++ {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		lns[id] = ln
		g.peers[id] = ln.Addr().String()
		g.dirs[id] = t.TempDir()
	}
	for id := range g.peers {
		g.start(id, lns[id])
	}
	t.Cleanup(func() {
		for id := range g.nodes {
			g.stop(id)
		}
	})
	return g
}

func (g *group) start(id uint64, ln net.Listener) {
	g.t.Helper()
	st, err := storage.Open(filepath.Join(g.dirs[id], "db"), storage.Options{})
	if err != nil {
		g.t.Fatal(err)
	}
	cfg := Config{ID: id, Peers: g.peers, Listener: ln, Dir: filepath.Join(g.dirs[id], "raft"), Store: st,
		Secret: testSecret, Logger: zaptest.NewLogger(g.t).Named(fmt.Sprint(id)), Tick: 20 * time.Millisecond}
	if g.tweak != nil {
		g.tweak(&cfg)
	}
	n, err := Start(cfg)
	if err != nil {
		g.t.Fatal(err)
	}
	st.SetReplicator(n)
	g.nodes[id], g.stores[id] = n, st
}

// restart brings a stopped node back on its old peer address and directories.
func (g *group) restart(id uint64) {
	g.t.Helper()
	var ln net.Listener
	var err error
	for range 50 {
		if ln, err = net.Listen("tcp", g.peers[id]); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		g.t.Fatal(err)
	}
	g.start(id, ln)
}

func (g *group) stop(id uint64) {
	if n := g.nodes[id]; n != nil {
		n.Stop()
		_ = g.stores[id].Close()
		delete(g.nodes, id)
		delete(g.stores, id)
	}
}

// leader waits for a node (other than not) to lead and be caught up.
func (g *group) leader(not uint64) uint64 {
	g.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		for id, n := range g.nodes {
			if ok, _ := n.Leading(); ok && id != not {
				return id
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	g.t.Fatal("no leader within 10s")
	return 0
}

func put(st *storage.Store, key, val string) error {
	b := storage.NewBatch()
	b.PutSetting(key, []byte(val))
	return st.Commit(b)
}

// eventually waits for node id's store to hold key=val.
func (g *group) eventually(id uint64, key, val string) {
	g.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		v, ok, err := g.stores[id].Setting(key)
		if err != nil {
			g.t.Fatal(err)
		}
		if ok && string(v) == val {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	g.t.Fatalf("node %d never applied %s=%s", id, key, val)
}

func TestReplicateCommitsOnEveryNode(t *testing.T) {
	g := newGroup(t, 3, nil)
	l := g.leader(0)
	if err := put(g.stores[l], "k", "v1"); err != nil {
		t.Fatal(err)
	}
	// Acknowledged: the leader's store holds it already.
	if v, ok, _ := g.stores[l].Setting("k"); !ok || string(v) != "v1" {
		t.Fatalf("leader acknowledged a write its store does not hold: %q %v", v, ok)
	}
	for id := range g.nodes {
		g.eventually(id, "k", "v1")
	}
	// Followers refuse writes: only the leader decides.
	for id, st := range g.stores {
		if id == l {
			continue
		}
		if err := put(st, "k", "follower"); !errors.Is(err, storage.ErrNotLeader) {
			t.Fatalf("a follower accepted a write: %v", err)
		}
	}
	// The Committer goes through the group too, callbacks in order.
	c := g.stores[l].StartCommitter(storage.CommitterOptions{})
	got := make(chan int, 100)
	for i := range 100 {
		b := storage.NewBatch()
		b.PutCounter(fmt.Sprint("c", i), int64(i))
		c.Submit(b, func(err error) {
			if err != nil {
				t.Error(err)
			}
			got <- i
		})
	}
	for i := range 100 {
		if v := <-got; v != i {
			t.Fatalf("callback %d came as %d-th", v, i)
		}
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	for id, st := range g.stores {
		deadline := time.Now().Add(5 * time.Second)
		for {
			v, err := st.Counter("c99")
			if err != nil {
				t.Fatal(err)
			}
			if v == 99 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("node %d: counter c99=%d", id, v)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
}

func TestLeaderLossElectsAnother(t *testing.T) {
	g := newGroup(t, 3, nil)
	l := g.leader(0)
	if err := put(g.stores[l], "a", "1"); err != nil {
		t.Fatal(err)
	}
	g.stop(l)
	start := time.Now()
	l2 := g.leader(l)
	t.Logf("new leader %d after %v", l2, time.Since(start))
	g.eventually(l2, "a", "1") // nothing acknowledged is lost
	if err := put(g.stores[l2], "b", "2"); err != nil {
		t.Fatal(err)
	}
	// The old leader returns as a follower and catches up.
	g.restart(l)
	g.eventually(l, "b", "2")
	if ok, _ := g.nodes[l].Leading(); ok {
		t.Fatal("the returning node took the leadership back")
	}
}

func TestPartitionedLeaderCannotCommit(t *testing.T) {
	g := newGroup(t, 3, nil)
	l := g.leader(0)
	cut := func(from, to uint64) bool { return from == l || to == l }
	for _, n := range g.nodes {
		n.SetFault(cut)
	}
	// The old leader can acknowledge nothing: its proposal never reaches a majority, and it
	// steps down (CheckQuorum).
	errc := make(chan error, 1)
	go func() { errc <- put(g.stores[l], "split", "old") }()
	l2 := g.leader(l)
	if err := put(g.stores[l2], "split", "new"); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-errc:
		if err == nil {
			t.Fatal("a partitioned leader acknowledged a write")
		}
		t.Logf("the partitioned leader refused: %v", err)
	case <-time.After(15 * time.Second):
		t.Fatal("the partitioned leader's write neither failed nor committed")
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		st := g.nodes[l].Status()
		if st.Role != "leader" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the partitioned leader did not step down")
		}
		time.Sleep(10 * time.Millisecond)
	}
	// Healed, it rejoins as a follower and takes the majority's value (PreVote: it does not
	// disrupt the group with its term).
	for _, n := range g.nodes {
		n.SetFault(nil)
	}
	g.eventually(l, "split", "new")
	if lead := g.leader(0); lead != l2 {
		t.Fatalf("the leadership moved from %d to %d when the old leader came back", l2, lead)
	}
}

func TestLaggingFollowerCatchesUpFromSnapshot(t *testing.T) {
	g := newGroup(t, 3, func(c *Config) { c.SnapshotEntries, c.KeepEntries = 20, 5 })
	l := g.leader(0)
	var away uint64
	for id := range g.nodes {
		if id != l {
			away = id
			break
		}
	}
	if err := put(g.stores[l], "before", "1"); err != nil {
		t.Fatal(err)
	}
	g.eventually(away, "before", "1")
	g.stop(away)
	for i := range 200 {
		if err := put(g.stores[l], fmt.Sprint("k", i), fmt.Sprint(i)); err != nil {
			t.Fatal(err)
		}
	}
	b := storage.NewBatch()
	b.DeleteSetting("before")
	if err := g.stores[l].Commit(b); err != nil {
		t.Fatal(err)
	}
	g.restart(away)
	g.eventually(away, "k199", "199")
	if _, ok, _ := g.stores[away].Setting("before"); ok {
		t.Fatal("a deletion the node missed while away did not reach it")
	}
	for deadline := time.Now().Add(5 * time.Second); g.nodes[away].Status().Snapshots == 0; {
		if time.Now().After(deadline) {
			t.Fatal("the node caught up without a snapshot: the log was not compacted")
		}
		time.Sleep(10 * time.Millisecond)
	}
	// Its store now carries on from the snapshot: later entries apply on top.
	if err := put(g.stores[l], "after", "x"); err != nil {
		t.Fatal(err)
	}
	g.eventually(away, "after", "x")
}

func TestRestartKeepsTheLog(t *testing.T) {
	g := newGroup(t, 3, nil)
	l := g.leader(0)
	for i := range 20 {
		if err := put(g.stores[l], fmt.Sprint("k", i), "v"); err != nil {
			t.Fatal(err)
		}
	}
	for id := range g.peers {
		g.stop(id)
	}
	for id := range g.peers {
		g.restart(id)
	}
	l = g.leader(0)
	if err := put(g.stores[l], "k20", "v"); err != nil {
		t.Fatal(err)
	}
	for id := range g.nodes {
		g.eventually(id, "k20", "v")
		g.eventually(id, "k0", "v")
	}
}

func TestStrangerIsRefused(t *testing.T) {
	g := newGroup(t, 3, nil)
	l := g.leader(0)
	tr := newTransport(9, []byte("not the group's secret, 32 bytes"), nil, map[uint64]string{l: g.peers[l]}, zaptest.NewLogger(t))
	if _, _, err := tr.dial(tr.peers[l]); !errors.Is(err, ErrAuth) {
		t.Fatalf("a node with another secret was let in: %v", err)
	}
	tr = newTransport(9, testSecret, nil, map[uint64]string{l: g.peers[l]}, zaptest.NewLogger(t))
	if _, _, err := tr.dial(tr.peers[l]); !errors.Is(err, ErrAuth) {
		t.Fatalf("a node id outside the group was let in: %v", err)
	}
}
