package concurrent

import (
	"testing"

	"github.com/licd/licd/wire"
)

// "Per socket license": units follow CPU sockets ("a computer with two sockets has two CPUs
// ... two licenses are used"), cores are not counted, and the host holds them.
func TestPerSocketUnits(t *testing.T) {
	f := New("CXS", []PoolSpec{permanent("p", 20240101, 4)}, Config{Model: ModelPerSocket})
	two := &Request{Session: 1, Host: "hv1", Sockets: 2}
	g, err := f.Checkout(two, 1, now)
	if err != nil || g.Units != 2 || g.Shared {
		t.Fatalf("two-socket host: %+v %v, want 2 new units", g, err)
	}
	// The same host checking out again shares its units.
	if g := mustCheckout(t, f, &Request{Session: 1, Host: "hv1", Sockets: 2}, 2); !g.Shared || g.Units != 2 {
		t.Fatalf("same host again: %+v, want a share of its 2 units", g)
	}
	if f.InUse() != 2 {
		t.Fatalf("in use %d, want 2", f.InUse())
	}
	// 2 units are left: a three-socket host does not fit, a two-socket host does.
	_, err = f.Checkout(&Request{Session: 1, Host: "hv2", Sockets: 3}, 3, now)
	wantCode(t, err, wire.CodeLicensedNumberReached)
	mustCheckout(t, f, &Request{Session: 1, Host: "hv3", Sockets: 2}, 4)
	if f.InUse() != 4 {
		t.Fatalf("in use %d, want 4", f.InUse())
	}
	f.Checkin(1)
	if ok, released := f.Checkin(2); !ok || !released || f.InUse() != 2 {
		t.Fatalf("last checkin of hv1: released=%v in use %d, want both units back (2 in use)", released, f.InUse())
	}
	// A per socket checkout must state its sockets.
	_, err = f.Checkout(&Request{Session: 1, Host: "hv4"}, 5, now)
	wantCode(t, err, wire.CodeModelMismatch)
	_, err = f.Checkout(&Request{Session: 1, Host: "hv4", Sockets: MaxSockets + 1}, 5, now)
	wantCode(t, err, wire.CodeBadRequest)
}

// Concurrent licenses ignore the socket count: one device, one unit.
func TestConcurrentIgnoresSockets(t *testing.T) {
	f := New("F", []PoolSpec{permanent("p", 20240101, 1)}, Config{})
	r := req("d", 20230101)
	r.Sockets = 4
	if g := mustCheckout(t, f, r, 1); g.Units != 1 || f.InUse() != 1 {
		t.Fatalf("concurrent checkout stating 4 sockets: %+v in use %d, want 1 unit", g, f.InUse())
	}
}
