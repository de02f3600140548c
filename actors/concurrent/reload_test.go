package concurrent

import (
	"testing"

	"github.com/licd/licd/wire"
)

// An lmreread updates pools in place, adds new ones, and keeps removed ones only while devices
// hold their licenses; no checkout is dropped.
func TestReloadKeepsHandles(t *testing.T) {
	f := New("F", []PoolSpec{permanent("a", 20230101, 2), permanent("b", 20240101, 2)}, Config{})
	mustCheckout(t, f, req("d1", 20220101), 1) // a
	mustCheckout(t, f, req("d2", 20220101), 2) // a
	mustCheckout(t, f, req("d3", 20220101), 3) // b

	// a's count drops to 1 (over its count now), b disappears, c arrives.
	f.Reload([]PoolSpec{permanent("a", 20230101, 1), permanent("c", 20250101, 1)})
	for _, h := range []uint64{1, 2, 3} {
		if _, ok := f.Holder(h); !ok {
			t.Fatalf("handle %d dropped by reload", h)
		}
	}
	st := f.Status(now)
	removed := map[string]bool{}
	for _, p := range st.Pools {
		removed[p.ID] = p.Removed
	}
	if len(st.Pools) != 3 || !removed["b"] || removed["a"] || removed["c"] {
		t.Fatalf("pools after reload %+v, want a, c live and b removed", st.Pools)
	}
	if st.Installed != 2 || st.InUse != 3 {
		t.Fatalf("installed %d in use %d, want 2 and 3", st.Installed, st.InUse)
	}
	// No new license from the removed pool b nor from a (over its count): c serves.
	if g := mustCheckout(t, f, req("d4", 20220101), 4); g.PoolID != "c" {
		t.Fatalf("checkout after reload: %+v, want pool c", g)
	}
	_, err := f.Checkout(req("d5", 20220101), 5, now)
	wantCode(t, err, wire.CodeLicensedNumberReached)
	// b goes away with its last license.
	if _, released := f.Checkin(3); !released {
		t.Fatal("checkin from the removed pool did not release the license")
	}
	if n := len(f.Status(now).Pools); n != 2 {
		t.Fatalf("%d pools after the removed pool emptied, want 2", n)
	}
	// Usage of a falls to 1 of 1 and then below: a grants again.
	f.Checkin(1)
	f.Checkin(2)
	if g := mustCheckout(t, f, req("d5", 20220101), 5); g.PoolID != "a" {
		t.Fatalf("checkout once a is within its count: %+v, want pool a", g)
	}
}

// A pool removed by one reread and listed again by the next is the same pool, holders and all.
func TestReloadRestoresRemovedPool(t *testing.T) {
	f := New("F", []PoolSpec{permanent("a", 20230101, 2)}, Config{})
	mustCheckout(t, f, req("d1", 20220101), 1)
	f.Reload(nil)
	_, err := f.Checkout(req("d2", 20220101), 2, now)
	wantCode(t, err, wire.CodeNoSuchFeature)
	f.Reload([]PoolSpec{permanent("a", 20230101, 2)})
	if g := mustCheckout(t, f, req("d1", 20220101), 2); !g.Shared || g.PoolID != "a" {
		t.Fatalf("d1 after the pool came back: %+v, want a share of its license", g)
	}
	if f.InUse() != 1 {
		t.Fatalf("in use %d, want 1", f.InUse())
	}
}

// A reread can change a pool's dates: an expired pool renewed in place serves again.
func TestReloadUpdatesDatesInPlace(t *testing.T) {
	f := New("F", []PoolSpec{{ID: "a", CSS: 20230101, Count: 2, Expiry: day(2024, 1, 1)}}, Config{})
	_, err := f.Checkout(req("d1", 20220101), 1, now)
	wantCode(t, err, wire.CodeExpired)
	f.Reload([]PoolSpec{{ID: "a", CSS: 20230101, Count: 2, Expiry: day(2025, 1, 1)}})
	mustCheckout(t, f, req("d1", 20220101), 1)
}
