package daemon_test

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/licd/licd/bench"
	"github.com/licd/licd/license"
	"github.com/licd/licd/wire"
)

// raceEnabled is set by race_test.go under -race.
var raceEnabled bool

// testCluster is three real licd processes on loopback forming one replicated group.
type testCluster struct {
	t     *testing.T
	f     *fixture
	nodes []*bench.Server
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// startCluster starts a group of size nodes sharing the fixture's license directory (a
// cluster's nodes serve the same license files, bound to the group's name).
func startCluster(t *testing.T, f *fixture, size int, tick string, extra ...string) *testCluster {
	t.Helper()
	secret := filepath.Join(f.dir, "cluster.secret")
	if err := os.WriteFile(secret, []byte(strings.Repeat("ab", 32)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// The ports are picked free and then given to licd: another test's process can take one
	// in between. Such a start is retried whole, with new ports and new data directories.
	for attempt := 1; ; attempt++ {
		c, err := tryStartCluster(t, f, size, tick, secret, attempt, extra)
		if err == nil {
			return c
		}
		if attempt == 3 || !strings.Contains(err.Error(), "address already in use") {
			t.Fatal(err)
		}
		t.Logf("cluster start %d: %v; retrying with other ports", attempt, err)
	}
}

func tryStartCluster(t *testing.T, f *fixture, size int, tick, secret string, attempt int, extra []string) (*testCluster, error) {
	var peers []string
	lm := make([]int, size)
	vd := make([]int, size)
	for i := range size {
		peers = append(peers, fmt.Sprintf("%d=127.0.0.1:%d", i+1, freePort(t)))
		lm[i], vd[i] = freePort(t), freePort(t)
	}
	c := &testCluster{t: t, f: f}
	var wg sync.WaitGroup
	c.nodes = make([]*bench.Server, size)
	errs := make([]error, size)
	for i := range size {
		dir := fmt.Sprintf("node%d", i+1)
		if attempt > 1 {
			dir = fmt.Sprintf("node%d-start%d", i+1, attempt)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			c.nodes[i], errs[i] = bench.StartServer(ctx, bench.ServerOptions{Binary: licdBinary,
				DataDir: filepath.Join(f.dir, dir), Hostname: testHost, Trust: []string{f.pubPath},
				Args: append([]string{"-c", f.licenseDir(), "-lm-port", strconv.Itoa(lm[i]), "-vendor-port", strconv.Itoa(vd[i]),
					"-cluster", "-cluster-id", strconv.Itoa(i + 1), "-cluster-peers", strings.Join(peers, ","),
					"-cluster-secret-file", secret, "-cluster-tick", tick, "-heartbeat", "2s"}, extra...)})
		}()
	}
	wg.Wait()
	stopAll := func() {
		for _, s := range c.nodes {
			if s == nil {
				continue
			}
			select {
			case <-s.Exited():
			default:
				if err := s.Stop(20 * time.Second); err != nil {
					t.Errorf("stop licd: %v", err)
				}
			}
		}
	}
	for i, err := range errs {
		if err != nil {
			stopAll()
			return nil, fmt.Errorf("node %d: %w", i+1, err)
		}
	}
	t.Cleanup(stopAll)
	return c, nil
}

// product dials a product server given every node, as a triad is given, that reconnects
// quickly (and reconciles) when it loses its server; it is closed when the test ends.
func (c *testCluster) product(id string, timeout time.Duration) *wire.Client {
	c.t.Helper()
	cl, err := wire.Dial(ctx(c.t), c.addrs(), wire.ClientOptions{ClientID: id, Product: "XDT", Host: id, RequestTimeout: timeout,
		DialTimeout: time.Second, ReconnectMin: 50 * time.Millisecond, ReconnectMax: 400 * time.Millisecond, Heartbeat: time.Second})
	if err != nil {
		c.t.Fatal(err)
	}
	c.t.Cleanup(func() { _ = cl.Close() })
	return cl
}

// addrs is the product's server list, as a triad is given: every node.
func (c *testCluster) addrs() []string {
	var a []string
	for _, s := range c.nodes {
		a = append(a, s.Addr())
	}
	return a
}

// status asks node i; a follower answers with a Redirect.
func (c *testCluster) status(i int) (*wire.Status, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	addr, err := wire.ParseAddress(c.nodes[i].Addr())
	if err != nil {
		return nil, err
	}
	rc, err := wire.DialRaw(ctx, addr, 2*time.Second)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	_ = rc.SetDeadline(time.Now().Add(5 * time.Second))
	var res wire.QueryResult
	if err := rc.Request(&wire.Query{Kind: "status", Detail: true}, &res); err != nil {
		return nil, err
	}
	var st wire.Status
	if err := json.Unmarshal(res.JSON, &st); err != nil {
		return nil, err
	}
	return &st, nil
}

// leader waits for a node to serve as the leader and returns its index and status.
func (c *testCluster) leader(within time.Duration) (int, *wire.Status) {
	c.t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		for i, s := range c.nodes {
			select {
			case <-s.Exited():
				continue
			default:
			}
			st, err := c.status(i)
			if err == nil && st.Cluster != nil {
				return i, st
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	c.t.Fatalf("no node serves as the leader within %v", within)
	return -1, nil
}

// Three licd processes; products check out and in under load while the leader is killed
// with SIGKILL again and again. No acknowledged grant is lost, no pool goes over its count, no
// handle is granted twice; the time from each kill to the first grant by the new leader is
// measured. The killed node comes back and catches up.
func TestClusterLeaderKillLosesNoAcknowledgedGrant(t *testing.T) {
	rounds := 3
	if testing.Short() || raceEnabled {
		rounds = 1
	}
	const (
		clients = 6
		workers = 3
		tight   = 30
	)
	f := newFixture(t)
	f.issue("ccs.lic", license.LineSpec{Feature: "XDT_PLT_CCS", Count: 1_000_000}, license.LineSpec{Feature: "MPS_ENT_CCU", Count: tight})
	// LICD_TEST_CLUSTER_TICK=100ms measures the default timeouts (doc/HA.md's figures).
	tick := "50ms"
	if v := os.Getenv("LICD_TEST_CLUSTER_TICK"); v != "" {
		tick = v
	}
	c := startCluster(t, f, 3, tick)
	first, st := c.leader(20 * time.Second)
	t.Logf("node %d leads (term %d)", first+1, st.Cluster.Term)

	var (
		mu         sync.Mutex
		acked      = map[uint64]string{} // handle -> feature, acknowledged by the leader
		releasing  = map[uint64]bool{}   // a checkin was attempted
		lastGrant  atomic.Int64          // unix nanos of the latest server grant
		firstAfter atomic.Int64          // unix nanos at which the latest acknowledged request was sent
		cached     atomic.Int64          // grants made in License caching mode
		seq        atomic.Int64
	)
	var cs []*wire.Client
	for i := range clients {
		cl := c.product(fmt.Sprintf("ha-c%d", i), 3*time.Second)
		cs = append(cs, cl)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for _, cl := range cs {
		for range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				var mine []uint64
				for {
					select {
					case <-stop:
						return
					default:
					}
					// The tight pool is left to the witnesses, which never reconcile: grants a
					// product made itself in License caching mode are reconciled even over the
					// count ("License caching mode example"), which would hide a server that
					// granted too many.
					feature := "XDT_PLT_CCS"
					dev := fmt.Sprintf("dev-%d", seq.Add(1))
					sent := time.Now().UnixNano()
					cctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
					g, err := cl.Checkout(cctx, wire.Checkout{Feature: feature, Device: dev, User: "u", ClientHost: dev})
					cancel()
					if err != nil {
						time.Sleep(10 * time.Millisecond)
					}
					if err == nil && g.Cached {
						cached.Add(1)
						time.Sleep(20 * time.Millisecond) // the product waits for its server, as a logon would
					}
					if err == nil && !g.Cached {
						// A server grant asked for after a kill comes from the new leader: the
						// killed one's connections are gone.
						if prev := firstAfter.Load(); sent > prev {
							firstAfter.CompareAndSwap(prev, sent)
						}
						lastGrant.Store(time.Now().UnixNano())
						mu.Lock()
						if _, dup := acked[g.Handle]; dup {
							t.Errorf("handle %d acknowledged twice", g.Handle)
						}
						acked[g.Handle] = feature
						mu.Unlock()
						mine = append(mine, g.Handle)
					}
					if len(mine) > 6 {
						h := mine[0]
						mine = mine[1:]
						mu.Lock()
						releasing[h] = true
						mu.Unlock()
						cctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
						_ = cl.Checkin(cctx, h)
						cancel()
					}
				}
			}()
		}
	}
	stopLoad := sync.OnceFunc(func() { close(stop); wg.Wait() })
	defer stopLoad()

	lead := first
	var failovers []time.Duration
	for round := range rounds {
		w := startWitness(t, c, 2, strconv.Itoa(round))
		time.Sleep(time.Second)
		killed := lead
		kill := time.Now()
		c.nodes[killed].Kill()
		w.halt()
		// The first grant the group acknowledges after the kill comes from the new leader.
		deadline := kill.Add(20 * time.Second)
		for firstAfter.Load() < kill.UnixNano() {
			if time.Now().After(deadline) {
				t.Fatalf("round %d: no grant within 20s of killing the leader", round)
			}
			time.Sleep(time.Millisecond)
		}
		failovers = append(failovers, time.Duration(lastGrant.Load()-kill.UnixNano()))
		t.Logf("round %d: killed node %d; first grant by the new leader after %v", round, killed+1, failovers[len(failovers)-1])
		var now *wire.Status
		lead, now = c.leader(10 * time.Second)
		t.Logf("round %d: all %d grants acknowledged to the witnesses are in node %d's store", round, w.check(t, now, fmt.Sprintf("round %d", round)), lead+1)
		for _, fs := range now.Features {
			if fs.Feature == "MPS_ENT_CCU" {
				if fs.InUse > tight {
					t.Fatalf("round %d: the new leader holds %d MPS_ENT_CCU licenses, more than its count %d", round, fs.InUse, tight)
				}
				t.Logf("round %d: MPS_ENT_CCU %d of %d in use", round, fs.InUse, tight)
			}
		}
		// The killed node comes back on its ports and catches up as a follower.
		rctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		if err := c.nodes[killed].RestartSamePorts(rctx); err != nil {
			cancel()
			t.Fatal(err)
		}
		cancel()
		c.caughtUp(killed, 15*time.Second)
	}
	stopLoad()

	// Every acknowledged grant not being checked in is held by the leader; no pool over count.
	time.Sleep(500 * time.Millisecond)
	lead, st = c.leader(10 * time.Second)
	held := map[uint64]bool{}
	mu.Lock()
	for _, fs := range st.Features {
		for _, co := range fs.Checkouts {
			held[co.Handle] = true
		}
		// Only witnesses (no reconcile) use the tight pool: it never exceeds its count.
		if fs.Feature == "MPS_ENT_CCU" && fs.InUse > tight {
			t.Errorf("MPS_ENT_CCU holds %d licenses, more than its count %d", fs.InUse, tight)
		}
	}
	lost := 0
	for h := range acked {
		if !releasing[h] && !held[h] {
			lost++
		}
	}
	n := len(acked)
	mu.Unlock()
	if lost > 0 {
		t.Fatalf("%d of %d acknowledged grants lost across %d leader kills", lost, n, rounds)
	}
	if n < 100 {
		t.Fatalf("only %d grants acknowledged: the test did not exercise the group", n)
	}
	sort.Slice(failovers, func(i, j int) bool { return failovers[i] < failovers[j] })
	t.Logf("%d caching-mode grants during the failovers", cached.Load())
	t.Logf("%d grants acknowledged, none lost; node %d leads; kill -9 to first grant by the new leader: min %v, max %v (tick %s, election 10 ticks)",
		n, lead+1, failovers[0], failovers[len(failovers)-1], tick)
}

// caughtUp waits until the leader sees node i active with no lag.
func (c *testCluster) caughtUp(i int, within time.Duration) {
	c.t.Helper()
	deadline := time.Now().Add(within)
	var last any
	// Caught up: it holds what the group had committed when the wait began. Under load the
	// lag behind the newest entry never settles, so the mark is fixed at the start.
	var mark uint64
	for time.Now().Before(deadline) {
		l, st := c.leader(within)
		if l == i {
			return // a Raft leader holds every committed entry: it cannot be behind
		}
		if mark == 0 {
			mark = st.Cluster.Commit
		}
		last = st.Cluster.Members
		for _, m := range st.Cluster.Members {
			if m.ID == uint64(i+1) && m.Active && m.Match >= mark && m.Match > 0 {
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	c.t.Fatalf("node %d did not catch up within %v; the leader's last view of the members: %+v", i+1, within, last)
}

// A follower answers a product's hello with a Redirect to the leader; the client follows it
// whichever node of its list it tried first.
func TestClusterFollowerRedirectsToTheLeader(t *testing.T) {
	f := newFixture(t)
	f.issue("ccs.lic", license.LineSpec{Feature: "XDT_PLT_CCS", Count: 10})
	c := startCluster(t, f, 3, "50ms")
	lead, _ := c.leader(20 * time.Second)
	follower := (lead + 1) % 3
	_, err := c.status(follower)
	var re *wire.RedirectError
	if !errors.As(err, &re) {
		t.Fatalf("a follower answered a status query with %v, not a redirect", err)
	}
	if re.Leader != uint64(lead+1) || re.Addr != fmt.Sprintf("127.0.0.1:%d", c.nodes[lead].LMPort) {
		t.Fatalf("the follower redirects to node %d at %q; node %d leads at port %d", re.Leader, re.Addr, lead+1, c.nodes[lead].LMPort)
	}
	cl, err := wire.Dial(ctx(t), []string{c.nodes[follower].Addr()}, wire.ClientOptions{ClientID: "redirected", Product: "XDT", RequestTimeout: 3 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	if _, err := cl.Checkout(ctx(t), wire.Checkout{Feature: "XDT_PLT_CCS", Device: "d1", User: "u"}); err != nil {
		t.Fatal(err)
	}
}

// With product TLS, a follower opens a product connection as the daemon does: a TLS product
// given only a follower's address reads the Redirect inside TLS and is granted by the leader,
// and a plain product on loopback (which the daemon accepts) still gets a plain Redirect.
func TestClusterFollowerRedirectsOverTLS(t *testing.T) {
	f := newFixture(t)
	f.issue("ccs.lic", license.LineSpec{Feature: "XDT_PLT_CCS", Count: 10})
	certPath, keyPath, pool := selfSigned(t, f.dir)
	c := startCluster(t, f, 3, "50ms", "-product-tls-cert", certPath, "-product-tls-key", keyPath, "-product-require-tls")
	lead, _ := c.leader(20 * time.Second)
	follower := (lead + 1) % 3
	var re *wire.RedirectError
	if _, err := c.status(follower); !errors.As(err, &re) || re.Leader != uint64(lead+1) {
		t.Fatalf("a follower answered a plain status query from loopback with %v, not a redirect to node %d", err, lead+1)
	}
	cl, err := wire.Dial(ctx(t), []string{c.nodes[follower].Addr()}, wire.ClientOptions{ClientID: "redirected-tls", Product: "XDT",
		TLS: &tls.Config{RootCAs: pool}, RequestTimeout: 3 * time.Second})
	if err != nil {
		t.Fatalf("a TLS product given only follower %d: %v", follower+1, err)
	}
	defer cl.Close()
	if _, err := cl.Checkout(ctx(t), wire.Checkout{Feature: "XDT_PLT_CCS", Device: "d1", User: "u"}); err != nil {
		t.Fatalf("checkout by a TLS product redirected to the leader: %v", err)
	}
}

// A rolling restart — every node stopped and started again in turn, the leader among them —
// under load: no product sees a checkout fail (it rides the leader's restart in License
// caching mode), and each node catches up after its restart.
func TestClusterRollingRestartDeniesNothing(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("three restarts of three processes: run without -short and -race")
	}
	f := newFixture(t)
	f.issue("ccs.lic", license.LineSpec{Feature: "XDT_PLT_CCS", Count: 1_000_000})
	c := startCluster(t, f, 3, "50ms")
	c.leader(20 * time.Second)
	var (
		grants, cachedGrants, failures atomic.Int64
		failMu                         sync.Mutex
		firstFailure                   error
	)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for i := range 4 {
		cl := c.product(fmt.Sprintf("rolling-%d", i), 3*time.Second)
		for w := range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for n := 0; ; n++ {
					select {
					case <-stop:
						return
					default:
					}
					dev := fmt.Sprintf("r%d-%d-%d", i, w, n)
					cctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
					g, err := cl.Checkout(cctx, wire.Checkout{Feature: "XDT_PLT_CCS", Device: dev, User: "u"})
					cancel()
					switch {
					case err != nil:
						failures.Add(1)
						failMu.Lock()
						if firstFailure == nil {
							firstFailure = err
						}
						failMu.Unlock()
					case g.Cached:
						cachedGrants.Add(1)
					default:
						grants.Add(1)
					}
					if err == nil {
						cctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
						_ = cl.Checkin(cctx, g.Handle)
						cancel()
					}
					time.Sleep(5 * time.Millisecond)
				}
			}()
		}
	}
	for i := range c.nodes {
		time.Sleep(500 * time.Millisecond)
		if err := c.nodes[i].Stop(20 * time.Second); err != nil {
			t.Fatalf("stop node %d: %v", i+1, err)
		}
		rctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		err := c.nodes[i].RestartSamePorts(rctx)
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		c.caughtUp(i, 15*time.Second)
	}
	time.Sleep(500 * time.Millisecond)
	close(stop)
	wg.Wait()
	t.Logf("rolling restart: %d server grants, %d in License caching mode, %d failed", grants.Load(), cachedGrants.Load(), failures.Load())
	if failures.Load() > 0 {
		t.Fatalf("%d checkouts failed during the rolling restart; the first: %v", failures.Load(), firstFailure)
	}
	if grants.Load() < 50 {
		t.Fatalf("only %d server grants: the test did not exercise the group", grants.Load())
	}
}

// The leader cut off from both followers (a partition, injected in its peer transport) can
// acknowledge nothing: every grant acknowledged during the cut is held by the majority's new
// leader afterwards. Healed, the old leader rejoins as a follower and catches up.
func TestClusterIsolatedLeaderCannotGrantAndRejoins(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("a partition of real processes: run without -short and -race")
	}
	f := newFixture(t)
	f.issue("ccs.lic", license.LineSpec{Feature: "XDT_PLT_CCS", Count: 1_000_000})
	c := startCluster(t, f, 3, "50ms", "-test-fault-injection")
	old, _ := c.leader(20 * time.Second)
	var (
		mu    sync.Mutex
		acked = map[uint64]bool{}
	)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for i := range 3 {
		cl := c.product(fmt.Sprintf("cut-%d", i), 2*time.Second)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				cctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
				g, err := cl.Checkout(cctx, wire.Checkout{Feature: "XDT_PLT_CCS", Device: fmt.Sprintf("c%d-%d", i, n), User: "u"})
				cancel()
				if err == nil && !g.Cached {
					mu.Lock()
					acked[g.Handle] = true
					mu.Unlock()
				}
				time.Sleep(5 * time.Millisecond)
			}
		}()
	}
	w := startWitness(t, c, 2, "cut")
	time.Sleep(500 * time.Millisecond)
	token, err := os.ReadFile(filepath.Join(c.nodes[old].DataDir(), "admin.token"))
	if err != nil {
		t.Fatal(err)
	}
	addr, _ := wire.ParseAddress(c.nodes[old].Addr())
	rc, err := wire.DialRaw(ctx(t), addr, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	var res wire.AdminResult
	err = rc.Request(&wire.Admin{Token: strings.TrimSpace(string(token)), Op: "fault.isolate", Args: []byte(`{"seconds": 3}`)}, &res)
	rc.Close()
	if err != nil {
		t.Fatal(err)
	}
	// The cut begins 300ms after the request, and CheckQuorum deposes the leader one election
	// timeout after it last heard a majority (a few more ticks on a loaded machine): wait for
	// the step-down, bounded.
	cutDeadline := time.Now().Add(6 * time.Second)
	next, st := c.leader(10 * time.Second)
	for next == old && time.Now().Before(cutDeadline) {
		time.Sleep(100 * time.Millisecond)
		next, st = c.leader(10 * time.Second)
	}
	if next == old {
		t.Fatal("the cut-off leader still serves 6 s after the isolation was asked for")
	}
	w.halt()
	t.Logf("all %d grants acknowledged to the witnesses are in the new leader's store", w.check(t, st, "after the cut"))
	time.Sleep(3 * time.Second) // healed now
	close(stop)
	wg.Wait()
	c.caughtUp(old, 15*time.Second)
	lead, st := c.leader(10 * time.Second)
	if lead == old {
		t.Fatal("the returning node took the leadership back (PreVote should keep it a follower)")
	}
	held := map[uint64]bool{}
	for _, fs := range st.Features {
		for _, co := range fs.Checkouts {
			held[co.Handle] = true
		}
	}
	mu.Lock()
	defer mu.Unlock()
	lost := 0
	for h := range acked {
		if !held[h] {
			lost++
		}
	}
	t.Logf("node %d cut off for 3s, node %d led; %d grants acknowledged, %d not held by the leader", old+1, next+1, len(acked), lost)
	if lost > 0 {
		t.Fatalf("%d acknowledged grants are not in the majority's store: the cut-off leader acknowledged what it could not commit", lost)
	}
	if len(acked) < 50 {
		t.Fatalf("only %d grants: the test did not exercise the group", len(acked))
	}
}

// witness is a set of products that never reconnect (no reconcile): what they were
// acknowledged is checked in the store of the next leader as that leader rebuilt it, so no
// reconcile can put back a grant the group lost.
type witness struct {
	clients []*wire.Client
	mu      sync.Mutex
	acked   map[uint64]bool
	stop    chan struct{}
	wg      sync.WaitGroup
}

func startWitness(t *testing.T, c *testCluster, n int, tag string) *witness {
	t.Helper()
	w := &witness{acked: map[uint64]bool{}, stop: make(chan struct{})}
	for i := range n {
		cl, err := wire.Dial(ctx(t), c.addrs(), wire.ClientOptions{ClientID: fmt.Sprintf("witness-%s-%d", tag, i), Product: "XDT",
			RequestTimeout: 2 * time.Second, DialTimeout: time.Second, ReconnectMin: time.Hour, ReconnectMax: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = cl.Close() })
		w.clients = append(w.clients, cl)
		w.wg.Add(1)
		go func() {
			defer w.wg.Done()
			for k := 0; ; k++ {
				select {
				case <-w.stop:
					return
				default:
				}
				feature := "XDT_PLT_CCS"
				if k%2 == 0 {
					feature = "MPS_ENT_CCU" // the tight pool, where it has one
				}
				cctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
				g, err := cl.Checkout(cctx, wire.Checkout{Feature: feature, Device: fmt.Sprintf("w-%s-%d-%d", tag, i, k), User: "w"})
				cancel()
				if err == nil && !g.Cached {
					w.mu.Lock()
					w.acked[g.Handle] = true
					w.mu.Unlock()
				}
				time.Sleep(10 * time.Millisecond)
			}
		}()
	}
	return w
}

// halt stops the witnesses' checkouts and closes them (their sessions linger on the server).
func (w *witness) halt() {
	close(w.stop)
	w.wg.Wait()
	for _, cl := range w.clients {
		_ = cl.Close()
	}
}

// check fails the test unless st (a leader's status) holds every grant the witnesses were
// acknowledged, and returns how many that was.
func (w *witness) check(t *testing.T, st *wire.Status, what string) int {
	t.Helper()
	held := map[uint64]bool{}
	for _, fs := range st.Features {
		for _, co := range fs.Checkouts {
			held[co.Handle] = true
		}
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	lost := 0
	for h := range w.acked {
		if !held[h] {
			lost++
		}
	}
	if lost > 0 || len(w.acked) == 0 {
		t.Fatalf("%s: %d of %d grants acknowledged to products that never reconciled are not in the new leader's store", what, lost, len(w.acked))
	}
	return len(w.acked)
}
