package daemon_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/licd/licd/license"
	"github.com/licd/licd/wire"
)

// An acknowledged grant survives kill -9: many connections check out and in while licd is
// killed with SIGKILL at random moments, several times; after each restart every grant
// that was acknowledged (and not being checked in) is still held, no handle was given
// twice, and no pool ever holds more than its count.
func TestAcknowledgedGrantsSurviveSIGKILL(t *testing.T) {
	const (
		rounds   = 3
		clients  = 12
		workers  = 4
		tight    = 40 // the contended pool
		features = "XDT_PLT_CCS"
	)
	f := newFixture(t)
	f.issue("ccs.lic", license.LineSpec{Feature: "XDT_PLT_CCS", Count: 1_000_000}, license.LineSpec{Feature: "MPS_ENT_CCU", Count: tight})
	// A slow disk widens the window between a decision and its durability, so that a reply
	// sent before its grant is durable would be caught by the crash.
	s := f.start("-test-commit-delay", "2ms")
	rng := rand.New(rand.NewPCG(1, 2))

	var (
		mu        sync.Mutex
		acked     = map[uint64]string{} // handle -> feature, acknowledged by the server
		releasing = map[uint64]bool{}   // a checkin was attempted: it may or may not have landed
		seq       atomic.Int64
	)
	for round := range rounds {
		var cs []*wire.Client
		for i := range clients {
			c, err := wire.Dial(ctx(t), []string{s.VendorAddr()}, wire.ClientOptions{
				ClientID: fmt.Sprintf("crash-r%d-c%d", round, i), Product: "XDT", Host: fmt.Sprintf("ddc%d", i),
				RequestTimeout: 5 * time.Second, ReconnectMin: time.Hour})
			if err != nil {
				t.Fatal(err)
			}
			cs = append(cs, c)
		}
		stop := make(chan struct{})
		var wg sync.WaitGroup
		for _, c := range cs {
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
						feature := "XDT_PLT_CCS"
						if seq.Load()%3 == 0 {
							feature = "MPS_ENT_CCU"
						}
						dev := fmt.Sprintf("dev-%d", seq.Add(1))
						cctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
						g, err := c.Checkout(cctx, wire.Checkout{Feature: feature, Device: dev, User: "u", ClientHost: dev})
						cancel()
						if err == nil && !g.Cached {
							mu.Lock()
							if _, dup := acked[g.Handle]; dup {
								t.Errorf("handle %d acknowledged twice", g.Handle)
							}
							acked[g.Handle] = feature
							mu.Unlock()
							mine = append(mine, g.Handle)
						}
						if len(mine) > 8 {
							h := mine[0]
							mine = mine[1:]
							mu.Lock()
							releasing[h] = true
							mu.Unlock()
							cctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
							_ = c.Checkin(cctx, h)
							cancel()
						}
					}
				}()
			}
		}
		time.Sleep(time.Duration(300+rng.IntN(500)) * time.Millisecond) // the crash comes at a random moment
		s.Kill()
		close(stop)
		wg.Wait()
		for _, c := range cs {
			c.Close()
		}
		rctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		if err := s.Restart(rctx); err != nil {
			cancel()
			t.Fatal(err)
		}
		cancel()

		w := dial(t, s, "WATCH")
		held := map[uint64]bool{}
		for _, feature := range []string{"XDT_PLT_CCS", "MPS_ENT_CCU"} {
			fs := featureStatus(t, w, feature)
			for _, co := range fs.Checkouts {
				held[co.Handle] = true
			}
			if feature == "MPS_ENT_CCU" && fs.InUse > tight {
				t.Fatalf("round %d: %s holds %d licenses, more than its count %d", round, feature, fs.InUse, tight)
			}
		}
		mu.Lock()
		lost := 0
		for h := range acked {
			if !releasing[h] && !held[h] {
				lost++
			}
		}
		n := len(acked)
		mu.Unlock()
		if lost > 0 {
			t.Fatalf("round %d: %d of %d acknowledged grants lost after kill -9", round, lost, n)
		}
		t.Logf("round %d: %d grants acknowledged so far, all present after kill -9", round, n)
		w.Close()
	}
	if len(acked) < 100 {
		t.Fatalf("only %d grants acknowledged: the test did not exercise the server", len(acked))
	}
}

// A panic in one feature actor restarts it from its persisted state; its handles are still
// held, it keeps serving, and no other feature or product notices.
func TestFeatureActorPanicRestartsFromPersistedState(t *testing.T) {
	f := newFixture(t)
	f.issue("x.lic", license.LineSpec{Feature: "XDT_PLT_CCS", Count: 2}, license.LineSpec{Feature: "MPS_ENT_CCU", Count: 5})
	s := f.start("-test-fault-injection")
	c := dial(t, s, "XDT")
	g := grant(t, c, "XDT_PLT_CCS", "before-panic", 20240101)
	other := grant(t, c, "MPS_ENT_CCU", "other", 20240101)

	if err := c.Admin(ctx(t), adminToken(t, f), "fault.panic", map[string]string{"feature": "XDT_PLT_CCS"}, nil); err != nil {
		t.Fatal(err)
	}
	fs := featureStatus(t, c, "XDT_PLT_CCS")
	if fs.InUse != 1 || len(fs.Checkouts) != 1 || fs.Checkouts[0].Handle != g.Handle {
		t.Fatalf("after the panic: %+v, want handle %d still held", fs, g.Handle)
	}
	grant(t, c, "XDT_PLT_CCS", "after-panic", 20240101)
	_, err := checkout(t, c, "XDT_PLT_CCS", "third", 20240101)
	wantCode(t, err, wire.CodeLicensedNumberReached) // the restored count still holds
	if err := c.Checkin(ctx(t), g.Handle); err != nil {
		t.Fatalf("checkin of a handle from before the panic: %v", err)
	}
	if err := c.Checkin(ctx(t), other.Handle); err != nil {
		t.Fatalf("the other feature noticed the panic: %v", err)
	}
}

// A panic in the sessions registry restarts it from Pebble; the products that are still
// connected are re-attached by their next heartbeat, before their linger could release
// anything they hold.
func TestSessionsRegistryPanicKeepsConnectedProducts(t *testing.T) {
	f := newFixture(t)
	f.issue("x.lic", license.LineSpec{Feature: "XDT_PLT_CCS", Count: 2})
	s := f.start("-test-fault-injection", "-heartbeat", "200ms", "-linger", "1500ms")
	c, err := wire.Dial(ctx(t), []string{s.Addr()}, wire.ClientOptions{ClientID: "kept", Product: "XDT", Host: "kept-ddc", Heartbeat: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	g := grant(t, c, "XDT_PLT_CCS", "kept-device", 20240101)
	if err := c.Admin(ctx(t), adminToken(t, f), "fault.panic", map[string]string{"actor": "sessions"}, nil); err != nil {
		t.Fatal(err)
	}
	time.Sleep(3 * time.Second) // twice the linger: a session left for lost would be released by now
	fs := featureStatus(t, c, "XDT_PLT_CCS")
	if fs.InUse != 1 || len(fs.Checkouts) != 1 || fs.Checkouts[0].Handle != g.Handle {
		t.Fatalf("after the registry restarted: %+v, want handle %d still held", fs, g.Handle)
	}
	st, err := c.Status(ctx(t), "")
	if err != nil {
		t.Fatal(err)
	}
	for _, ss := range st.Sessions {
		if ss.Host == "kept-ddc" && ss.Lost {
			t.Fatalf("the connected product is still counted lost: %+v", ss)
		}
	}
}
