package daemon_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/licd/licd/bench"
	"github.com/licd/licd/license"
	"github.com/licd/licd/wire"
)

// rawHello opens a bare connection and says hello with h; the connection is closed with
// the test.
func rawHello(t *testing.T, s *bench.Server, h wire.Hello) (*wire.RawConn, wire.HelloOK, error) {
	t.Helper()
	rc, err := wire.DialRaw(ctx(t), s.VendorAddr(), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rc.Close() })
	_ = rc.SetDeadline(time.Now().Add(15 * time.Second))
	var ok wire.HelloOK
	err = rc.Request(&h, &ok)
	return rc, ok, err
}

func mustRawHello(t *testing.T, s *bench.Server, h wire.Hello) (*wire.RawConn, wire.HelloOK) {
	t.Helper()
	rc, ok, err := rawHello(t, s, h)
	if err != nil {
		t.Fatalf("hello %+v: %v", h, err)
	}
	return rc, ok
}

// A checkin must come from the session that holds the grant: without a hello, or from
// another product's session, it is refused with a stable code and releases nothing.
func TestCheckinOnlyByTheHoldingSession(t *testing.T) {
	f := newFixture(t)
	f.issue("ccs.lic", license.LineSpec{Feature: "XDT_PLT_CCS", Count: 10})
	s := f.start()
	victim := dial(t, s, "XDT")
	g := grant(t, victim, "XDT_PLT_CCS", "victim-pc", 20240101)

	// The handle is published by the status query: it must be useless to anyone else.
	st := featureStatus(t, victim, "XDT_PLT_CCS")
	if len(st.Checkouts) == 0 {
		t.Fatalf("status lists no checkout: %+v", st)
	}
	handle := st.Checkouts[0].Handle

	anon, err := wire.DialRaw(ctx(t), s.VendorAddr(), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer anon.Close()
	var ack wire.Ack
	wantCode(t, anon.Request(&wire.Checkin{Handle: handle}, &ack), wire.CodeNoSession)
	wantCode(t, anon.Request(&wire.CheckinDevice{Feature: "XDT_PLT_CCS", Device: "victim-pc"}, &ack), wire.CodeNoSession)

	other, _ := mustRawHello(t, s, wire.Hello{ClientID: "intruder", Product: "XDT", Host: "intruder"})
	wantCode(t, other.Request(&wire.Checkin{Handle: handle}, &ack), wire.CodeNotHolder)
	if err := other.Request(&wire.CheckinDevice{Feature: "XDT_PLT_CCS", Device: "victim-pc"}, &ack); err != nil || ack.Released != 0 {
		t.Fatalf("another session's device checkin: released %d, %v; want nothing released", ack.Released, err)
	}
	if n := featureStatus(t, victim, "XDT_PLT_CCS").InUse; n != 1 {
		t.Fatalf("in use %d after the intruder's checkins, want the victim's 1", n)
	}
	if err := victim.Checkin(ctx(t), g.Handle); err != nil {
		t.Fatalf("the holder's own checkin: %v", err)
	}
	if n := featureStatus(t, victim, "XDT_PLT_CCS").InUse; n != 0 {
		t.Fatalf("in use %d after the holder's checkin, want 0", n)
	}
}

// A hello with another product's client id (readable from status) opens a session of its
// own: it takes nothing over, and an empty reconcile releases nothing of the product's.
// Only a hello carrying the session token adopts the session.
func TestClientIDAloneDoesNotTakeOverASession(t *testing.T) {
	f := newFixture(t)
	f.issue("ccs.lic", license.LineSpec{Feature: "XDT_PLT_CCS", Count: 10})
	s := f.start()
	owner, ok := mustRawHello(t, s, wire.Hello{ClientID: "ddc-owner", Product: "XDT", Host: "owner"})
	if len(ok.SessionToken) < 16 {
		t.Fatalf("hello-ok carries a session token of %d bytes, want at least 16", len(ok.SessionToken))
	}
	var g wire.Grant
	for i := range 3 {
		if err := owner.Request(&wire.Checkout{Feature: "XDT_PLT_CCS", User: "u", Device: fmt.Sprint("pc", i)}, &g); err != nil {
			t.Fatal(err)
		}
	}
	thief, tok := mustRawHello(t, s, wire.Hello{ClientID: "ddc-owner", Product: "XDT", Host: "thief"})
	if tok.SessionID == ok.SessionID {
		t.Fatalf("a hello without the token was given the owner's session %d", ok.SessionID)
	}
	var res wire.ReconcileResult
	if err := thief.Request(&wire.Reconcile{}, &res); err != nil {
		t.Fatalf("an empty reconcile (a product that restarted): %v", err)
	}
	forged, _ := mustRawHello(t, s, wire.Hello{ClientID: "ddc-owner", Product: "XDT", Host: "thief", SessionToken: []byte("0123456789abcdef")})
	if err := forged.Request(&wire.Reconcile{}, &res); err != nil {
		t.Fatal(err)
	}
	watch := dial(t, s, "WATCH")
	if n := featureStatus(t, watch, "XDT_PLT_CCS").InUse; n != 3 {
		t.Fatalf("in use %d after hellos with the owner's client id, want the owner's 3", n)
	}
	// The owner's connection was not closed by them: it still checks in.
	var ack wire.Ack
	if err := owner.Request(&wire.Checkin{Handle: g.Handle}, &ack); err != nil {
		t.Fatalf("the owner's checkin after the others' hellos: %v", err)
	}
	// The owner, reconnecting with its token, adopts its session and its handles.
	owner.Close()
	back, again := mustRawHello(t, s, wire.Hello{ClientID: "ddc-owner", Product: "XDT", Host: "owner", SessionToken: ok.SessionToken})
	if again.SessionID != ok.SessionID {
		t.Fatalf("the token's hello got session %d, want the owner's %d", again.SessionID, ok.SessionID)
	}
	if err := back.Request(&wire.Checkin{Handle: g.Handle - 1}, &ack); err != nil {
		t.Fatalf("checkin of a handle of the adopted session: %v", err)
	}
}

// A reconcile is accepted only from a product reconnecting to a session the server knew,
// as its first exchange, and only up to the installed count ("License caching mode": "Each
// site allows up to the maximum number of licenses installed").
func TestReconcileCannotBypassTheCount(t *testing.T) {
	const installed = 40
	f := newFixture(t)
	f.issue("ccs.lic", license.LineSpec{Feature: "XDT_PLT_CCS", Count: installed})
	s := f.start()
	holds := func(n int) []wire.Hold {
		out := make([]wire.Hold, n)
		for i := range out {
			out[i] = wire.Hold{Feature: "XDT_PLT_CCS", User: "u", Device: fmt.Sprint("inv-", i), Since: time.Now().Unix()}
		}
		return out
	}
	// A new session invents 300 holdings: refused, nothing granted.
	fresh, ok := mustRawHello(t, s, wire.Hello{ClientID: "inventor", Product: "XDT", Host: "inventor"})
	var res wire.ReconcileResult
	wantCode(t, fresh.Request(&wire.Reconcile{Holds: holds(300)}, &res), wire.CodeReconcileRefused)
	watch := dial(t, s, "WATCH")
	if n := featureStatus(t, watch, "XDT_PLT_CCS").InUse; n != 0 {
		t.Fatalf("in use %d after a refused reconcile, want 0", n)
	}
	// The same product reconnecting with its token may reconcile, up to the count.
	fresh.Close()
	back, _ := mustRawHello(t, s, wire.Hello{ClientID: "inventor", Product: "XDT", Host: "inventor", SessionToken: ok.SessionToken})
	if err := back.Request(&wire.Reconcile{Holds: holds(installed + 10)}, &res); err != nil {
		t.Fatal(err)
	}
	granted, refused := 0, 0
	for _, it := range res.Items {
		switch it.Denied.Code {
		case wire.OK:
			granted++
		case wire.CodeReconcileRefused:
			refused++
		default:
			t.Fatalf("reconcile item: %+v", it)
		}
	}
	if granted != installed || refused != 10 {
		t.Fatalf("reconcile of %d holds: %d granted, %d refused; want %d and 10", installed+10, granted, refused, installed)
	}
	// After another request, the reconcile window is closed.
	var g wire.Grant
	_ = back.Request(&wire.Checkout{Feature: "XDT_PLT_CCS", User: "u", Device: "inv-0"}, &g)
	wantCode(t, back.Request(&wire.Reconcile{Holds: holds(1)}, &res), wire.CodeReconcileRefused)
	if n := featureStatus(t, watch, "XDT_PLT_CCS").InUse; n != installed {
		t.Fatalf("in use %d, want the %d reconciled", n, installed)
	}
}

// A product whose linger ran out while it was in caching mode may still come back with its
// session token within the caching window and reconcile what it granted from its cache
// ("License caching mode": "It is typically 30 days").
func TestReconcileAfterTheLingerWithTheSessionToken(t *testing.T) {
	f := newFixture(t)
	f.issue("ccs.lic", license.LineSpec{Feature: "XDT_PLT_CCS", Count: 10})
	s := f.start("-linger", "300ms")
	rc, ok := mustRawHello(t, s, wire.Hello{ClientID: "away", Product: "XDT", Host: "away"})
	var g wire.Grant
	for i := range 3 {
		if err := rc.Request(&wire.Checkout{Feature: "XDT_PLT_CCS", User: "u", Device: fmt.Sprint("pc", i)}, &g); err != nil {
			t.Fatal(err)
		}
	}
	rc.Close()
	watch := dial(t, s, "WATCH")
	eventually(t, 10*time.Second, "the linger to release the lost product's licenses", func() bool {
		return featureStatus(t, watch, "XDT_PLT_CCS").InUse == 0
	})
	back, again := mustRawHello(t, s, wire.Hello{ClientID: "away", Product: "XDT", Host: "away", SessionToken: ok.SessionToken})
	if again.SessionID != ok.SessionID {
		t.Fatalf("the returning product got session %d, want its own %d", again.SessionID, ok.SessionID)
	}
	holds := []wire.Hold{{Feature: "XDT_PLT_CCS", User: "u", Device: "pc0"}, {Feature: "XDT_PLT_CCS", User: "u", Device: "cached-pc"}}
	var res wire.ReconcileResult
	if err := back.Request(&wire.Reconcile{Holds: holds}, &res); err != nil {
		t.Fatalf("the returning product's reconcile: %v", err)
	}
	for i, it := range res.Items {
		if it.Denied.Code != wire.OK {
			t.Fatalf("hold %d refused: %+v", i, it.Denied)
		}
	}
	if n := featureStatus(t, watch, "XDT_PLT_CCS").InUse; n != 2 {
		t.Fatalf("in use %d after the returning product's reconcile, want its 2 holds", n)
	}
}
