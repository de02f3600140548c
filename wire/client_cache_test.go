package wire

import (
	"context"
	"fmt"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

// cutOff makes the server unreachable (new connections are closed at once) and drops the
// client's connection, then waits for the client to enter License caching mode.
func cutOff(t *testing.T, p *testPeer, c *Client) {
	t.Helper()
	p.refuse.Store(true)
	p.dropAll()
	waitFor(t, "license caching mode", func() bool { active, _ := c.CachingMode(); return active })
}

func reconnect(t *testing.T, p *testPeer, c *Client) {
	t.Helper()
	p.refuse.Store(false)
	waitFor(t, "the end of license caching mode", func() bool { active, _ := c.CachingMode(); return !active })
}

func cachingClient(t *testing.T, inv ...InventoryItem) (*testPeer, *Client, *fakeClock) {
	t.Helper()
	p := newTestPeer(t, inv...)
	clock := newFakeClock()
	opt := testOptions()
	opt.Now = clock.Now
	return p, dialPeer(t, p, opt), clock
}

// "License caching mode": "For concurrent licenses, they can connect up to the maximum
// concurrent licenses installed. For user/device licenses, they have unlimited connections."
func TestCachingModeGrantsConcurrentUpToInstalledAndUserDeviceWithoutLimit(t *testing.T) {
	p, c, _ := cachingClient(t, testInventory...)
	ctx := context.Background()
	if _, err := c.Checkout(ctx, Checkout{Feature: "MPS_ENT_CCU", User: "on-server"}); err != nil {
		t.Fatal(err)
	}
	cutOff(t, p, c)
	for i := 0; i < 2; i++ { // 3 installed, 1 already held
		g, err := c.Checkout(ctx, Checkout{Feature: "MPS_ENT_CCU", User: fmt.Sprint("cached", i)})
		if err != nil || !g.Cached || g.Handle&localHandleBit == 0 {
			t.Fatalf("cached checkout %d: %+v %v", i, g, err)
		}
	}
	if _, err := c.Checkout(ctx, Checkout{Feature: "MPS_ENT_CCU", User: "one-too-many"}); codeOf(err) != CodeLicensedNumberReached {
		t.Fatalf("fourth concurrent license of three in caching mode: %v", err)
	}
	for i := 0; i < 20; i++ { // 2 installed, no limit
		if g, err := c.Checkout(ctx, Checkout{Product: "XDT", Edition: "PLT", Model: "UD", User: fmt.Sprint("u", i)}); err != nil || !g.Cached {
			t.Fatalf("user/device checkout %d in caching mode: %+v %v", i, g, err)
		}
	}
	if _, err := c.Checkout(ctx, Checkout{Feature: "NOT_INSTALLED"}); codeOf(err) != CodeNoSuchFeature {
		t.Fatalf("feature outside the cached inventory: %v", err)
	}
	items, err := c.CheckoutBatch(ctx, []Checkout{{Feature: "MPS_ENT_CCU"}, {Feature: "XDT_PLT_UD"}})
	if err != nil || items[0].Denied.Code != CodeLicensedNumberReached || items[1].Denied.Code != OK || !items[1].Grant.Cached {
		t.Fatalf("batch in caching mode: %+v %v", items, err)
	}
}

// "The License caching mode and License burst mode features do not apply when licenses
// expire."
func TestCachingModeRefusesExpiredAndTooNewVersions(t *testing.T) {
	clock := newFakeClock()
	p := newTestPeer(t,
		InventoryItem{Feature: "OLD_CCU", Model: "CCU", CSS: 20300101, Installed: 5, Expiry: clock.Now().Add(24 * time.Hour).Unix()},
		InventoryItem{Feature: "CSS_CCU", Model: "CCU", CSS: 20230101, Installed: 5},
	)
	opt := testOptions()
	opt.Now = clock.Now
	c := dialPeer(t, p, opt)
	cutOff(t, p, c)
	ctx := context.Background()
	if _, err := c.Checkout(ctx, Checkout{Feature: "OLD_CCU", VersionDate: 20240101}); err != nil {
		t.Fatalf("before expiry: %v", err)
	}
	clock.Add(25 * time.Hour)
	if _, err := c.Checkout(ctx, Checkout{Feature: "OLD_CCU", VersionDate: 20240101}); codeOf(err) != CodeExpired {
		t.Fatalf("expired feature from the cache: %v", err)
	}
	if _, err := c.Checkout(ctx, Checkout{Feature: "CSS_CCU", VersionDate: 20240101}); codeOf(err) != CodeVersionNewer {
		t.Fatalf("version date after the CSS date: %v", err)
	}
}

// "Citrix sets the License caching mode. It is typically 30 days ... If the License caching
// mode runs out, the product stops accepting connections."
func TestCachingModeRunsOutAfterThirtyDays(t *testing.T) {
	p, c, clock := cachingClient(t, testInventory...)
	cutOff(t, p, c)
	ctx := context.Background()
	if active, left := c.CachingMode(); !active || left != 30*24*time.Hour {
		t.Fatalf("CachingMode at the start = %v, %v", active, left)
	}
	clock.Add(29 * 24 * time.Hour)
	if _, err := c.Checkout(ctx, Checkout{Feature: "XDT_PLT_UD"}); err != nil {
		t.Fatalf("day 29: %v", err)
	}
	if _, left := c.CachingMode(); left != 24*time.Hour {
		t.Fatalf("time left on day 29 = %v", left)
	}
	clock.Add(24*time.Hour + time.Second)
	if _, err := c.Checkout(ctx, Checkout{Feature: "XDT_PLT_UD"}); codeOf(err) != CodeCannotConnect {
		t.Fatalf("after 30 days: %v", err)
	}
	if active, left := c.CachingMode(); !active || left != 0 {
		t.Fatalf("CachingMode after the period = %v, %v", active, left)
	}
	// "After communication is re-established ... the License caching mode is reset."
	reconnect(t, p, c)
	if g, err := c.Checkout(ctx, Checkout{Feature: "XDT_PLT_UD"}); err != nil || g.Cached {
		t.Fatalf("after reconnecting: %+v %v", g, err)
	}
}

// "If the product and the License Server don't send or receive heartbeats, the product
// lapses into the License caching mode."
func TestUnansweredHeartbeatsEnterCachingMode(t *testing.T) {
	p := newTestPeer(t, testInventory...)
	clock := newFakeClock()
	opt := testOptions()
	opt.Now = clock.Now
	opt.Heartbeat = 5 * time.Millisecond
	opt.HeartbeatGrace = 10 * time.Minute
	c := dialPeer(t, p, opt)
	p.silent.Store(true)
	p.refuse.Store(true)
	waitFor(t, "heartbeats the server ignores", func() bool { _, hb, _, _ := p.counters(); return hb >= 2 })
	if active, _ := c.CachingMode(); active {
		t.Fatal("caching mode before the grace period passed")
	}
	clock.Add(11 * time.Minute)
	waitFor(t, "license caching mode", func() bool { active, _ := c.CachingMode(); return active })
	p.silent.Store(false)
	reconnect(t, p, c)
}

// "Citrix licensing technical overview": "or the License Server does not respond in a timely
// manner, the product enters a License caching mode".
func TestUnansweredRequestEntersCachingModeAndIsServedFromTheCache(t *testing.T) {
	p := newTestPeer(t, testInventory...)
	p.slowFeature = "SLOW_CCU"
	p.refuse.Store(true) // keep it cut off once the connection is given up
	opt := testOptions()
	opt.RequestTimeout = 50 * time.Millisecond
	p.refuse.Store(false)
	c := dialPeer(t, p, opt)
	p.refuse.Store(true)
	g, err := c.Checkout(context.Background(), Checkout{Feature: "SLOW_CCU"})
	if err != nil || !g.Cached {
		t.Fatalf("checkout the server never answered: %+v %v", g, err)
	}
}

func TestServerShutdownEntersCachingMode(t *testing.T) {
	p, c, _ := cachingClient(t, testInventory...)
	p.refuse.Store(true)
	p.mu.Lock()
	for pc := range p.conns {
		pc.write(0, &ProtocolError{Code: CodeShuttingDown, Detail: "lmdown"}, true)
	}
	p.mu.Unlock()
	waitFor(t, "license caching mode after the server's shutdown notice", func() bool { active, _ := c.CachingMode(); return active })
}

// "License caching mode example": "When Site 1 reestablishes communication with the License
// Server, connections are reconciled".
func TestReconnectReconcilesHoldingsAndKeepsCallersHandles(t *testing.T) {
	p, c, _ := cachingClient(t, testInventory...)
	p.renumber = true // the server gives adopted licenses new handles
	ctx := context.Background()
	a, err := c.Checkout(ctx, Checkout{Feature: "MPS_ENT_CCU", User: "a"})
	if err != nil {
		t.Fatal(err)
	}
	b, err := c.Checkout(ctx, Checkout{Feature: "XDT_PLT_UD", User: "b", Device: "dev-b"})
	if err != nil {
		t.Fatal(err)
	}
	cutOff(t, p, c)
	cc, err := c.Checkout(ctx, Checkout{Feature: "MPS_ENT_CCU", User: "c"})
	if err != nil || !cc.Cached {
		t.Fatalf("cached checkout: %+v %v", cc, err)
	}
	d, err := c.Checkout(ctx, Checkout{Feature: "XDT_PLT_UD", User: "d", Device: "dev-d"})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Checkin(ctx, a.Handle); err != nil { // while cut off: recorded locally
		t.Fatalf("checkin in caching mode: %v", err)
	}
	reconnect(t, p, c)

	p.mu.Lock()
	last := p.reconciles[len(p.reconciles)-1]
	p.mu.Unlock()
	byFeature := map[string]int{}
	for _, h := range last.Holds {
		byFeature[h.Feature]++
		if h.User == "a" {
			t.Errorf("a license checked in during caching mode was reconciled: %+v", h)
		}
		if h.User == "b" && h.Handle != b.Handle {
			t.Errorf("server-granted hold reconciled with handle %d, want %d", h.Handle, b.Handle)
		}
		if h.User == "c" && h.Handle != 0 {
			t.Errorf("cached hold reconciled with a server handle %d", h.Handle)
		}
	}
	if len(last.Holds) != 3 || last.More {
		t.Fatalf("reconcile = %+v", last)
	}
	if p.used("MPS_ENT_CCU") != 1 || p.used("XDT_PLT_UD") != 2 {
		t.Fatalf("server usage after reconcile: MPS %d (want 1: a released, c adopted), XDT %d (want 2)",
			p.used("MPS_ENT_CCU"), p.used("XDT_PLT_UD"))
	}
	// The caller's handles still work although the server renumbered them.
	if err := c.Checkin(ctx, cc.Handle); err != nil {
		t.Fatalf("checkin of a cached handle after reconcile: %v", err)
	}
	if err := c.Checkin(ctx, b.Handle); err != nil {
		t.Fatalf("checkin of a renumbered handle after reconcile: %v", err)
	}
	if n, err := c.CheckinDevice(ctx, "XDT_PLT_UD", "dev-d"); err != nil || n != 1 {
		t.Fatalf("CheckinDevice after reconcile = %d, %v", n, err)
	}
	if p.used("MPS_ENT_CCU") != 0 || p.used("XDT_PLT_UD") != 0 {
		t.Fatalf("licenses left on the server: MPS %d, XDT %d", p.used("MPS_ENT_CCU"), p.used("XDT_PLT_UD"))
	}
	_ = d
}

func TestLargeHoldingsReconcileInSeveralFrames(t *testing.T) {
	p, c, _ := cachingClient(t, testInventory...)
	cutOff(t, p, c)
	ctx := context.Background()
	const n = reconcileChunk + 4
	for i := 0; i < n; i++ {
		if _, err := c.Checkout(ctx, Checkout{Feature: "XDT_PLT_UD", User: fmt.Sprint("u", i)}); err != nil {
			t.Fatal(err)
		}
	}
	reconnect(t, p, c)
	p.mu.Lock()
	defer p.mu.Unlock()
	recs := p.reconciles[len(p.reconciles)-2:]
	if len(recs[0].Holds) != reconcileChunk || !recs[0].More || len(recs[1].Holds) != 4 || recs[1].More {
		t.Fatalf("reconcile frames: %d holds more=%v, %d holds more=%v", len(recs[0].Holds), recs[0].More, len(recs[1].Holds), recs[1].More)
	}
	if p.inUse["XDT_PLT_UD"] != n {
		t.Fatalf("server adopted %d of %d", p.inUse["XDT_PLT_UD"], n)
	}
}

// "The Windows Event Log, and other in-product messages, indicate if the product has
// entered the License caching mode, the number of hours remaining."
func TestEnteringCachingModeLogsTheHoursLeft(t *testing.T) {
	p := newTestPeer(t, testInventory...)
	core, logs := observer.New(zapcore.WarnLevel)
	opt := testOptions()
	opt.Logger = zap.New(core)
	opt.Now = newFakeClock().Now
	c := dialPeer(t, p, opt)
	cutOff(t, p, c)
	// The line is written just after the mode switches: wait for it, not for the switch.
	waitFor(t, "a log line on entering caching mode", func() bool {
		return len(logs.FilterMessageSnippet("license caching mode").All()) > 0
	})
	entries := logs.FilterMessageSnippet("license caching mode").All()
	if h, ok := entries[0].ContextMap()["hours_left"]; !ok || h != int64(720) {
		t.Fatalf("hours_left = %v, want 720", entries[0].ContextMap()["hours_left"])
	}
}

// A license checked in while the reconcile that lists it is in flight must still be
// released on the server: before the server's answer (the answer's grant is returned) and
// after it (the check-in goes to the connection being reconciled).
func TestCheckinDuringReconcileReleasesTheServersLicense(t *testing.T) {
	p, c, _ := cachingClient(t, testInventory...)
	ctx := context.Background()
	cutOff(t, p, c)
	before, err := c.Checkout(ctx, Checkout{Feature: "XDT_PLT_UD", User: "before"})
	if err != nil {
		t.Fatal(err)
	}
	after, err := c.Checkout(ctx, Checkout{Feature: "XDT_PLT_UD", User: "after"})
	if err != nil {
		t.Fatal(err)
	}
	tokens := make(chan struct{})
	p.mu.Lock()
	p.reconcileTokens = tokens
	seen := len(p.reconciles)
	p.mu.Unlock()
	reconciles := func() int { p.mu.Lock(); defer p.mu.Unlock(); return len(p.reconciles) - seen }

	p.refuse.Store(false)
	waitFor(t, "the first reconcile round", func() bool { return reconciles() == 1 })
	if err := c.Checkin(ctx, before.Handle); err != nil { // listed, not yet answered
		t.Fatal(err)
	}
	late, err := c.Checkout(ctx, Checkout{Feature: "XDT_PLT_UD", User: "late"}) // still caching: needs a second round
	if err != nil || !late.Cached {
		t.Fatalf("checkout during the reconcile: %+v %v", late, err)
	}
	tokens <- struct{}{}
	waitFor(t, "the second reconcile round", func() bool { return reconciles() == 2 })
	done := make(chan error, 1)
	go func() { done <- c.Checkin(ctx, after.Handle) }() // taken over by round one
	tokens <- struct{}{}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the end of license caching mode", func() bool { active, _ := c.CachingMode(); return !active })
	waitFor(t, "only the late license left on the server", func() bool { return p.used("XDT_PLT_UD") == 1 })
	if err := c.Checkin(ctx, late.Handle); err != nil {
		t.Fatal(err)
	}
	if n := p.used("XDT_PLT_UD"); n != 0 {
		t.Fatalf("%d licenses left on the server", n)
	}
}

// A restarted server may hand out a handle number the product still holds under an old
// grant: the client gives the caller a local alias and checks in the right license.
func TestCollidingServerHandlesGetALocalAlias(t *testing.T) {
	_, c, _ := cachingClient(t, testInventory...)
	g := Grant{Handle: 5, Feature: "MPS_ENT_CCU"}
	first := c.recordGrant(&Checkout{User: "a"}, &g)
	second := c.recordGrant(&Checkout{User: "b"}, &g)
	if first != 5 || second == 5 || second&localHandleBit == 0 {
		t.Fatalf("handles %d and %d for the same server handle", first, second)
	}
	cn, server, held, err := c.releaseHandle(second)
	if err != nil || cn == nil || server != 5 || !held {
		t.Fatalf("alias checkin goes to server handle %d (held %v, %v)", server, held, err)
	}
}

// GP= in the vendor string is the caching-mode grace period of its feature (InventoryItem.
// GraceHours), instead of a fixed 30 days: a feature with GP=48 runs out after two days
// while one without GP keeps ClientOptions.CachingPeriod.
func TestCachingModeGracePeriodFromGP(t *testing.T) {
	p, c, clock := cachingClient(t,
		InventoryItem{Feature: "SHORT_UD", Model: "UD", CSS: 20991231, Installed: 5, GraceHours: 48},
		InventoryItem{Feature: "PLAIN_UD", Model: "UD", CSS: 20991231, Installed: 5},
	)
	cutOff(t, p, c)
	ctx := context.Background()
	clock.Add(47 * time.Hour)
	if _, err := c.Checkout(ctx, Checkout{Feature: "SHORT_UD"}); err != nil {
		t.Fatalf("47 hours into GP=48: %v", err)
	}
	clock.Add(time.Hour)
	if _, err := c.Checkout(ctx, Checkout{Feature: "SHORT_UD"}); codeOf(err) != CodeCannotConnect {
		t.Fatalf("48 hours into GP=48: %v, want the grace period to have run out", err)
	}
	if _, err := c.Checkout(ctx, Checkout{Feature: "PLAIN_UD"}); err != nil {
		t.Fatalf("a feature without GP after 48 hours: %v", err)
	}
	if _, left := c.CachingMode(); left != 30*24*time.Hour-48*time.Hour {
		t.Fatalf("caching mode left %v, want the longest grace period's", left)
	}
}
