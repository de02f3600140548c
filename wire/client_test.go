package wire

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"sync"
	"testing"
	"time"
)

var testInventory = []InventoryItem{
	{Feature: "MPS_ENT_CCU", Model: "CCU", CSS: 20300101, Installed: 3},
	{Feature: "XDT_PLT_UD", Model: "UD", CSS: 20300101, Installed: 2},
	{Feature: "BIG_CCU", Model: "CCU", CSS: 20300101, Installed: 100000},
	{Feature: "SLOW_CCU", Model: "CCU", CSS: 20300101, Installed: 10},
}

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{t: time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)} }

func (f *fakeClock) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.t
}

func (f *fakeClock) Add(d time.Duration) {
	f.mu.Lock()
	f.t = f.t.Add(d)
	f.mu.Unlock()
}

func testOptions() ClientOptions {
	return ClientOptions{
		ClientID: "ddc-01", Product: "MPS", Host: "ddc-01", Edition: "ENT", Model: "CCU", VersionDate: 20240101,
		DialTimeout: 2 * time.Second, RequestTimeout: 5 * time.Second,
		ReconnectMin: 5 * time.Millisecond, ReconnectMax: 20 * time.Millisecond,
	}
}

func dialPeer(t *testing.T, p *testPeer, opt ClientOptions) *Client {
	t.Helper()
	c, err := Dial(context.Background(), []string{p.addr}, opt)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// waitFor polls cond until it holds or the deadline passes: a condition, never a sleep.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func codeOf(err error) Code {
	var we *Error
	if errors.As(err, &we) {
		return we.Code
	}
	return OK
}

func TestClientPipelinesFromManyGoroutines(t *testing.T) {
	p := newTestPeer(t, testInventory...)
	c := dialPeer(t, p, testOptions())
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for g := 0; g < 64; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 100; i++ {
				user := fmt.Sprintf("u%d-%d", g, i)
				gr, err := c.Checkout(context.Background(), Checkout{Feature: "BIG_CCU", User: user})
				if err != nil {
					errs <- err
					return
				}
				if gr.Feature != "BIG_CCU" || gr.Cached {
					errs <- fmt.Errorf("grant %+v", gr)
					return
				}
				if err := c.Checkin(context.Background(), gr.Handle); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if n := p.used("BIG_CCU"); n != 0 {
		t.Fatalf("%d licenses still in use after every checkin", n)
	}
}

// PROTOCOL.md "Request ids and pipelining": replies may come in any order.
func TestRepliesOutOfOrderAreMatchedByRequestID(t *testing.T) {
	p := newTestPeer(t, testInventory...)
	p.slowFeature = "SLOW_CCU"
	c := dialPeer(t, p, testOptions())
	slow := make(chan error, 1)
	go func() {
		g, err := c.Checkout(context.Background(), Checkout{Feature: "SLOW_CCU", User: "slow"})
		if err == nil && g.Feature != "SLOW_CCU" {
			err = fmt.Errorf("slow checkout got %+v", g)
		}
		slow <- err
	}()
	waitFor(t, "the slow checkout to reach the server", p.slowArrived)
	g, err := c.Checkout(context.Background(), Checkout{Feature: "MPS_ENT_CCU", User: "fast"})
	if err != nil || g.Feature != "MPS_ENT_CCU" {
		t.Fatalf("fast checkout behind a slow one: %+v %v", g, err)
	}
	select {
	case err := <-slow:
		t.Fatalf("slow checkout finished before its reply was released: %v", err)
	default:
	}
	close(p.slowGate)
	if err := <-slow; err != nil {
		t.Fatal(err)
	}
}

func TestCheckoutDenialsCarryTheServersCode(t *testing.T) {
	p := newTestPeer(t, testInventory...)
	c := dialPeer(t, p, testOptions())
	for i := 0; i < 3; i++ {
		if _, err := c.Checkout(context.Background(), Checkout{Product: "MPS", Edition: "ENT", Model: "CCU", User: fmt.Sprint(i)}); err != nil {
			t.Fatal(err)
		}
	}
	_, err := c.Checkout(context.Background(), Checkout{Feature: "MPS_ENT_CCU", User: "late"})
	if codeOf(err) != CodeLicensedNumberReached {
		t.Fatalf("fourth of three licenses: %v", err)
	}
	if _, err := c.Checkout(context.Background(), Checkout{Feature: "NOPE"}); codeOf(err) != CodeNoSuchFeature {
		t.Fatalf("unknown feature: %v", err)
	}
	if err := c.Checkin(context.Background(), 999999); codeOf(err) != CodeUnknownHandle {
		t.Fatalf("checkin of a handle nobody holds: %v", err)
	}
}

func TestCheckoutBatchAnswersEachItemInOrder(t *testing.T) {
	p := newTestPeer(t, testInventory...)
	c := dialPeer(t, p, testOptions())
	items, err := c.CheckoutBatch(context.Background(), []Checkout{
		{Feature: "MPS_ENT_CCU", User: "a"},
		{Feature: "NOPE", User: "b"},
		{Feature: "XDT_PLT_UD", User: "c", Device: "d1"},
	})
	if err != nil || len(items) != 3 {
		t.Fatalf("batch: %v %v", items, err)
	}
	if items[0].Denied.Code != OK || items[0].Grant.Feature != "MPS_ENT_CCU" ||
		items[1].Denied.Code != CodeNoSuchFeature ||
		items[2].Denied.Code != OK || items[2].Grant.Feature != "XDT_PLT_UD" {
		t.Fatalf("batch items out of order or wrong: %+v", items)
	}
	if err := c.Checkin(context.Background(), items[0].Grant.Handle); err != nil {
		t.Fatal(err)
	}
	n, err := c.CheckinDevice(context.Background(), "XDT_PLT_UD", "d1")
	if err != nil || n != 1 {
		t.Fatalf("CheckinDevice = %d, %v", n, err)
	}
	if p.used("MPS_ENT_CCU")+p.used("XDT_PLT_UD") != 0 {
		t.Fatal("batch grants not returned")
	}
}

func TestOversizedBatchIsRefusedBeforeItIsSent(t *testing.T) {
	p := newTestPeer(t, testInventory...)
	opt := testOptions()
	opt.MaxFrame = 4096
	c := dialPeer(t, p, opt)
	reqs := make([]Checkout, 500)
	for i := range reqs {
		reqs[i] = Checkout{Feature: "BIG_CCU", User: fmt.Sprintf("user-%d", i)}
	}
	_, err := c.CheckoutBatch(context.Background(), reqs)
	if codeOf(err) != CodeBadRequest {
		t.Fatalf("oversized batch: %v", err)
	}
	if _, err := c.Checkout(context.Background(), Checkout{Feature: "BIG_CCU"}); err != nil {
		t.Fatalf("the connection did not survive a refused batch: %v", err)
	}
}

// "Citrix Start-up license": "Every five minutes the License Server and the product send a
// heartbeat message to each other."
func TestClientSendsAndAnswersHeartbeats(t *testing.T) {
	p := newTestPeer(t, testInventory...)
	p.heartbeatEvery = 10 * time.Millisecond
	opt := testOptions()
	opt.Heartbeat = 10 * time.Millisecond
	dialPeer(t, p, opt)
	waitFor(t, "three heartbeats each way", func() bool {
		_, hb, acks, _ := p.counters()
		return hb >= 3 && acks >= 3
	})
}

func TestDefaultHeartbeatIsFiveMinutes(t *testing.T) {
	var o ClientOptions
	o.Product = "MPS"
	if err := o.setDefaults(); err != nil {
		t.Fatal(err)
	}
	if o.Heartbeat != 5*time.Minute || o.CachingPeriod != 30*24*time.Hour {
		t.Fatalf("defaults: heartbeat %v, caching period %v", o.Heartbeat, o.CachingPeriod)
	}
}

func TestDialTriesAddressesInOrder(t *testing.T) {
	dead, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	deadAddr := dead.Addr().String()
	dead.Close()
	p := newTestPeer(t, testInventory...)
	c, err := Dial(context.Background(), []string{deadAddr, p.addr}, testOptions())
	if err != nil {
		t.Fatalf("second address not tried: %v", err)
	}
	defer c.Close()
	if c.Session().ServerHost != "peer" || len(c.Session().Inventory) != len(testInventory) {
		t.Fatalf("session %+v", c.Session())
	}
}

// "The License caching mode takes place only if the product has successfully communicated
// with the License Server at least once."
func TestNoCachingModeWithoutAFirstContact(t *testing.T) {
	p := newTestPeer(t, testInventory...)
	p.refuse.Store(true)
	_, err := Dial(context.Background(), []string{p.addr}, testOptions())
	if codeOf(err) != CodeCannotConnect {
		t.Fatalf("Dial to a refusing server: %v, want CodeCannotConnect", err)
	}
}

func TestFirstContactStatesAnEmptyHolding(t *testing.T) {
	p := newTestPeer(t, testInventory...)
	dialPeer(t, p, testOptions())
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.reconciles) != 1 || len(p.reconciles[0].Holds) != 0 || p.reconciles[0].More {
		t.Fatalf("reconciles after first contact: %+v", p.reconciles)
	}
}

func TestStatusQueryAndAdmin(t *testing.T) {
	p := newTestPeer(t, testInventory...)
	c := dialPeer(t, p, testOptions())
	if _, err := c.Checkout(context.Background(), Checkout{Feature: "MPS_ENT_CCU"}); err != nil {
		t.Fatal(err)
	}
	st, err := c.Status(context.Background(), "MPS_ENT_CCU")
	if err != nil || len(st.Features) != 1 || st.Features[0].InUse != 1 || st.Features[0].Issued != 3 {
		t.Fatalf("status: %+v %v", st, err)
	}
	var out map[string]int
	if err := c.Admin(context.Background(), "secret", "echo", map[string]int{"n": 7}, &out); err != nil || out["n"] != 7 {
		t.Fatalf("admin: %v %v", out, err)
	}
	if err := c.Admin(context.Background(), "wrong", "echo", nil, nil); codeOf(err) != CodeNotAuthorized {
		t.Fatalf("admin with a wrong token: %v", err)
	}
}

// lmstat needs no session: Query, Admin and Locate work on a RawConn without a Hello.
func TestRawConnAsksWithoutASession(t *testing.T) {
	p := newTestPeer(t, testInventory...)
	rc, err := DialRaw(context.Background(), p.addr, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	var q QueryResult
	if err := rc.Request(&Query{Kind: QueryStatus}, &q); err != nil {
		t.Fatal(err)
	}
	var st Status
	if err := json.Unmarshal(q.JSON, &st); err != nil || len(st.Features) != len(testInventory) {
		t.Fatalf("status %s: %v", q.JSON, err)
	}
	var loc LocateResult
	if err := rc.Request(&Locate{}, &loc); err != nil || loc.VendorPort != 7279 {
		t.Fatalf("locate: %+v %v", loc, err)
	}
	var g Grant
	if err := rc.Request(&Checkout{Feature: "MPS_ENT_CCU"}, &g); codeOf(err) != CodeNoSession {
		t.Fatalf("checkout without hello: %v", err)
	}
}

func TestCancelledCheckoutReturnsItsLateGrant(t *testing.T) {
	p := newTestPeer(t, testInventory...)
	p.slowFeature = "SLOW_CCU"
	c := dialPeer(t, p, testOptions())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := c.Checkout(ctx, Checkout{Feature: "SLOW_CCU"})
		done <- err
	}()
	waitFor(t, "the slow checkout to reach the server", p.slowArrived)
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled checkout: %v", err)
	}
	close(p.slowGate)
	waitFor(t, "the late grant to be checked back in", func() bool { return p.used("SLOW_CCU") == 0 && p.grantsMade() > 0 })
}

func TestCloseIsIdempotentAndEndsRequests(t *testing.T) {
	p := newTestPeer(t, testInventory...)
	c := dialPeer(t, p, testOptions())
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Checkout(context.Background(), Checkout{Feature: "MPS_ENT_CCU"}); codeOf(err) != CodeCannotConnect {
		t.Fatalf("checkout after Close: %v", err)
	}
	if active, _ := c.CachingMode(); active {
		t.Fatal("Close put the client in caching mode")
	}
}
