package daemon_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/licd/licd/license"
	"github.com/licd/licd/wire"
)

func adminToken(t *testing.T, f *fixture) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(f.dir, "data", "admin.token"))
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

// A product that stops talking is marked lost; its licenses stay held for the linger so
// that it can come back, then they are released ("License caching mode").
func TestLostProductReleasedAfterLinger(t *testing.T) {
	f := newFixture(t)
	f.issue("ccs.lic", license.LineSpec{Feature: "XDT_PLT_CCS", Count: 5})
	s := f.start("-linger", "1500ms")
	watcher := dial(t, s, "WATCH")
	c := dial(t, s, "XDT")
	grant(t, c, "XDT_PLT_CCS", "d1", 20240101)
	_ = c.Close() // the connection drops; nothing is checked in
	lostAt := time.Now()

	if fs := featureStatus(t, watcher, "XDT_PLT_CCS"); fs.InUse != 1 {
		t.Fatalf("right after the product went away: %d in use, want its license still held", fs.InUse)
	}
	eventually(t, 10*time.Second, "the lost product's license to be released", func() bool {
		return featureStatus(t, watcher, "XDT_PLT_CCS").InUse == 0
	})
	if held := time.Since(lostAt); held < time.Second {
		t.Fatalf("released after %s, before the 1.5 s linger", held)
	}
}

// "License caching mode example": two sites license from their caches while the server is
// down; when they come back, connections are reconciled and no new connections are allowed
// until usage is back within the limits.
func TestReconcileOverLimitBlocksNewCheckouts(t *testing.T) {
	f := newFixture(t)
	f.issue("ccs.lic", license.LineSpec{Feature: "XDT_PLT_CCS", Count: 2})
	s := f.start()
	site := func(id string) *wire.Client {
		c, err := wire.Dial(ctx(t), []string{s.VendorAddr()}, wire.ClientOptions{ClientID: id, Product: "XDT", Host: id,
			ReconnectMin: 50 * time.Millisecond, ReconnectMax: 200 * time.Millisecond, RequestTimeout: 5 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	a, b := site("site1"), site("site2")
	s.Kill()
	eventually(t, 10*time.Second, "both sites in caching mode", func() bool {
		ca, _ := a.CachingMode()
		cb, _ := b.CachingMode()
		return ca && cb
	})
	type held struct {
		c      *wire.Client
		handle uint64
	}
	var handles []held
	for _, c := range []*wire.Client{a, b} {
		for _, d := range []string{"x", "y"} {
			g, err := c.Checkout(ctx(t), wire.Checkout{Feature: "XDT_PLT_CCS", Device: d + "-" + c.Session().ServerHost + time.Now().String(), User: "u"})
			if err != nil || !g.Cached {
				t.Fatalf("caching-mode checkout: %+v %v", g, err)
			}
			handles = append(handles, held{c, g.Handle}) // cached handles are the client's own numbers
		}
	}
	rctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.RestartSamePorts(rctx); err != nil {
		t.Fatal(err)
	}
	eventually(t, 15*time.Second, "both sites reconciled", func() bool {
		ca, _ := a.CachingMode()
		cb, _ := b.CachingMode()
		return !ca && !cb
	})
	if fs := featureStatus(t, a, "XDT_PLT_CCS"); fs.InUse != 4 {
		t.Fatalf("after reconcile %d in use, want the 4 held by the sites", fs.InUse)
	}
	_, err := checkout(t, a, "XDT_PLT_CCS", "newcomer", 20240101)
	wantCode(t, err, wire.CodeOverLimitAfterReconcile)
	// Back within the count (4 -> 1), new connections are allowed again.
	for _, h := range handles[:3] {
		if err := h.c.Checkin(ctx(t), h.handle); err != nil {
			t.Fatalf("checkin %d: %v", h.handle, err)
		}
	}
	grant(t, b, "XDT_PLT_CCS", "newcomer", 20240101)
}

// SIGTERM shuts down gracefully with everything persisted: after a restart the same handles
// are held, and a product reconnecting with its ClientID takes its session over.
func TestGracefulRestartKeepsHandles(t *testing.T) {
	f := newFixture(t)
	f.issue("ccs.lic", license.LineSpec{Feature: "XDT_PLT_CCS", Count: 3})
	s := f.start()
	c := dial(t, s, "XDT")
	g := grant(t, c, "XDT_PLT_CCS", "keep", 20240101)
	c.Close()
	if err := s.Stop(20 * time.Second); err != nil {
		t.Fatal(err)
	}
	rctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.Restart(rctx); err != nil {
		t.Fatal(err)
	}
	w := dial(t, s, "WATCH")
	fs := featureStatus(t, w, "XDT_PLT_CCS")
	if fs.InUse != 1 || len(fs.Checkouts) != 1 || fs.Checkouts[0].Handle != g.Handle {
		t.Fatalf("after restart: %+v, want handle %d held", fs, g.Handle)
	}
}

// lmreread and a changed license directory are picked up without dropping handles.
func TestRereadKeepsHandles(t *testing.T) {
	f := newFixture(t)
	f.issue("a.lic", license.LineSpec{Feature: "XDT_PLT_CCS", Count: 1})
	s := f.start()
	c := dial(t, s, "XDT")
	g := grant(t, c, "XDT_PLT_CCS", "held", 20240101)
	_, err := checkout(t, c, "XDT_PLT_CCS", "second", 20240101)
	wantCode(t, err, wire.CodeLicensedNumberReached)

	f.issue("b.lic", license.LineSpec{Feature: "XDT_PLT_CCS", Count: 4}, license.LineSpec{Feature: "MPS_ENT_CCU", Count: 1})
	var rep struct {
		Added, Updated []string
	}
	if err := c.Admin(ctx(t), adminToken(t, f), "reread", nil, &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Added) != 1 || rep.Added[0] != "MPS_ENT_CCU" || len(rep.Updated) != 1 || rep.Updated[0] != "XDT_PLT_CCS" {
		t.Fatalf("reread report %+v, want MPS_ENT_CCU added and only XDT_PLT_CCS updated", rep)
	}
	fs := featureStatus(t, c, "XDT_PLT_CCS")
	if fs.Issued != 5 || fs.InUse != 1 || fs.Checkouts[0].Handle != g.Handle {
		t.Fatalf("after reread %+v, want 5 issued and handle %d still held", fs, g.Handle)
	}
	grant(t, c, "XDT_PLT_CCS", "second", 20240101)
	grant(t, c, "MPS_ENT_CCU", "second", 20240101)

	// Without lmreread: a new file in the license directory is noticed on its own.
	f.issue("c.lic", license.LineSpec{Feature: "XDT_ADV_CCS", Count: 2})
	eventually(t, 10*time.Second, "the new license file to be picked up", func() bool {
		_, err := checkout(t, c, "XDT_ADV_CCS", "third", 20240101)
		return err == nil
	})

	// A wrong admin token is refused.
	err = c.Admin(ctx(t), "not-the-token", "reread", nil, nil)
	wantCode(t, err, wire.CodeNotAuthorized)
	// lmdown is disabled unless the server allows it.
	err = c.Admin(ctx(t), adminToken(t, f), "shutdown", nil, nil)
	wantCode(t, err, wire.CodeDisabled)
}

// "Options file": EXCLUDE and MAX decide checkouts; a reread of the options file applies
// new rules to the held licenses' counts.
func TestOptionsFileRules(t *testing.T) {
	f := newFixture(t)
	f.issue("ccs.lic", license.LineSpec{Feature: "XDT_PLT_CCS", Count: 10})
	f.writeFile("CITRIX.opt", "EXCLUDE XDT_PLT_CCS USER mallory\nMAX 2 XDT_PLT_CCS USER alice\n")
	s := f.start()
	c := dial(t, s, "XDT")
	co := func(user, device string) error {
		_, err := c.Checkout(ctx(t), wire.Checkout{Feature: "XDT_PLT_CCS", User: user, Device: device, ClientHost: device})
		return err
	}
	wantCode(t, co("mallory", "m1"), wire.CodeExcluded)
	for _, d := range []string{"a1", "a2"} {
		if err := co("alice", d); err != nil {
			t.Fatal(err)
		}
	}
	wantCode(t, co("alice", "a3"), wire.CodeMaxReached)
	if err := co("bob", "b1"); err != nil {
		t.Fatal(err)
	}
	// A new options file: alice's MAX goes to 3, and the two she holds still count.
	f.writeFile("CITRIX.opt", "MAX 3 XDT_PLT_CCS USER alice\n")
	if err := c.Admin(ctx(t), adminToken(t, f), "reread", nil, nil); err != nil {
		t.Fatal(err)
	}
	if err := co("alice", "a3"); err != nil {
		t.Fatal(err)
	}
	wantCode(t, co("alice", "a4"), wire.CodeMaxReached)
	if err := co("mallory", "m1"); err != nil {
		t.Fatalf("mallory is no longer excluded: %v", err)
	}
}

// "Citrix Start-up license": the server and the product heartbeat each other; a product
// that stops answering is marked lost and its connection closed.
func TestSilentProductIsMarkedLost(t *testing.T) {
	f := newFixture(t)
	f.issue("ccs.lic", license.LineSpec{Feature: "XDT_PLT_CCS", Count: 5})
	s := f.start("-heartbeat", "200ms")
	rc, err := wire.DialRaw(ctx(t), s.VendorAddr(), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	if err := rc.Send(1, &wire.Hello{ClientID: "silent", Product: "XDT", Host: "silent-ddc"}); err != nil {
		t.Fatal(err)
	}
	_ = rc.SetDeadline(time.Now().Add(10 * time.Second))
	heartbeats := 0
	start := time.Now()
	for {
		fr, err := rc.Next()
		if err != nil {
			break // closed by the server
		}
		if fr.Type == wire.TypeHeartbeat {
			heartbeats++
		}
	}
	if heartbeats == 0 {
		t.Fatal("the server sent no heartbeat before giving up on the product")
	}
	if gone := time.Since(start); gone < 400*time.Millisecond || gone > 5*time.Second {
		t.Fatalf("connection closed after %s, want after about 2.5 heartbeat intervals", gone)
	}
	w := dial(t, s, "WATCH")
	st, err := w.Status(ctx(t), "")
	if err != nil {
		t.Fatal(err)
	}
	for _, ss := range st.Sessions {
		if ss.Host == "silent-ddc" && !ss.Lost {
			t.Fatalf("silent product still counted as connected: %+v", ss)
		}
	}
}

// A product that stops cleanly says goodbye: its checkouts and its start-up license are
// released at once, without waiting for the linger.
func TestGoodbyeReleasesAtOnce(t *testing.T) {
	f := newFixture(t)
	f.issue("ccs.lic", license.LineSpec{Feature: "XDT_PLT_CCS", Count: 5})
	s := f.start()
	watcher := dial(t, s, "WATCH")
	before := featureStatus(t, watcher, "CITRIX").InUse
	c, err := wire.Dial(ctx(t), []string{s.Addr()}, wire.ClientOptions{ClientID: "leaving", Product: "XDT", Host: "leaving-ddc"})
	if err != nil {
		t.Fatal(err)
	}
	grant(t, c, "XDT_PLT_CCS", "d1", 20240101)
	grant(t, c, "XDT_PLT_CCS", "d2", 20240101)
	if got := featureStatus(t, watcher, "CITRIX").InUse; got != before+1 {
		t.Fatalf("start-up licenses in use %d, want %d", got, before+1)
	}
	if err := c.Shutdown(ctx(t)); err != nil {
		t.Fatal(err)
	}
	eventually(t, 5*time.Second, "the goodbye to release everything", func() bool {
		return featureStatus(t, watcher, "XDT_PLT_CCS").InUse == 0 && featureStatus(t, watcher, "CITRIX").InUse == before
	})
}

// A product that answers heartbeats stays connected however long it is idle.
func TestHeartbeatingProductStays(t *testing.T) {
	f := newFixture(t)
	f.issue("ccs.lic", license.LineSpec{Feature: "XDT_PLT_CCS", Count: 5})
	s := f.start("-heartbeat", "200ms")
	c := dial(t, s, "XDT")
	g := grant(t, c, "XDT_PLT_CCS", "idle", 20240101)
	time.Sleep(2 * time.Second) // ten heartbeat intervals of silence from the caller's side
	st, err := c.Status(ctx(t), "")
	if err != nil {
		t.Fatal(err)
	}
	for _, ss := range st.Sessions {
		if ss.Lost {
			t.Fatalf("a heartbeating product was marked lost: %+v", ss)
		}
	}
	if err := c.Checkin(ctx(t), g.Handle); err != nil {
		t.Fatal(err)
	}
}
