package concurrent

import (
	"fmt"
	"testing"

	"github.com/licd/licd/wire"
)

// "License caching mode example": a site that kept connecting while cut off returns;
// "connections are reconciled and no new connections are allowed until they are within normal
// license limits".
func TestReconcileOverLimitThenBackWithin(t *testing.T) {
	policy := newRecordingPolicy()
	policy.deny["u-cached3"] = true // the options file does not undo what caching mode granted
	f := New("F", []PoolSpec{permanent("p", 20240101, 3)}, Config{Policy: policy})
	mustCheckout(t, f, req("online", 20230101), 1)
	// The cached site reports three devices it licensed meanwhile: one over the count of 3.
	for i := range 3 {
		if _, err := f.Reconcile(req(fmt.Sprintf("cached%d", i+1), 20230101), uint64(10+i), now); err != nil {
			t.Fatalf("reconcile %d: %v", i+1, err)
		}
	}
	if f.InUse() != 4 {
		t.Fatalf("in use %d after reconcile, want 4 (over the count of 3)", f.InUse())
	}
	_, err := f.Checkout(req("new1", 20230101), 20, now)
	wantCode(t, err, wire.CodeOverLimitAfterReconcile)
	// A device that already holds a license still opens more sessions on it.
	if g, err := f.Checkout(req("cached1", 20230101), 21, now); err != nil || !g.Shared {
		t.Fatalf("join while over the limit: %+v %v, want a shared grant", g, err)
	}
	f.Checkin(1) // back to 3 of 3: within limits but full
	_, err = f.Checkout(req("new1", 20230101), 20, now)
	wantCode(t, err, wire.CodeLicensedNumberReached)
	f.Checkin(11) // 2 of 3
	mustCheckout(t, f, req("new1", 20230101), 20)
	if got := policy.held["u-cached3"]; got != 1 {
		t.Fatalf("policy holds %d units for the reconciled user, want 1 (Took called)", got)
	}
}

// Reconcile never denies for the count, but refuses what no pool of the feature could serve.
func TestReconcileRefusals(t *testing.T) {
	cases := []struct {
		name    string
		pools   []PoolSpec
		version uint32
		want    wire.Code
	}{
		{"unknown feature", nil, 20230101, wire.CodeNoSuchFeature},
		{"expired", []PoolSpec{{ID: "p", CSS: 20240101, Count: 1, Expiry: day(2024, 1, 1)}}, 20230101, wire.CodeExpired},
		{"version newer", []PoolSpec{permanent("p", 20240101, 1)}, 20250101, wire.CodeVersionNewer},
		{"zero count", []PoolSpec{permanent("p", 20240101, 0)}, 20230101, wire.OK},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := New("F", c.pools, Config{})
			_, err := f.Reconcile(req("d", c.version), 1, now)
			wantCode(t, err, c.want)
		})
	}
}

// Over-limit pools do not block a compatible pool that still has room, and the reconciled
// license lands in the earliest compatible pool with room before any is overfilled.
func TestReconcilePrefersRoomThenOverfillsEarliest(t *testing.T) {
	f := New("F", []PoolSpec{permanent("a", 20230101, 1), permanent("b", 20240101, 1)}, Config{})
	for i, want := range []string{"a", "b", "a"} {
		g, err := f.Reconcile(req(fmt.Sprintf("d%d", i), 20220101), uint64(i+1), now)
		if err != nil || g.PoolID != want {
			t.Fatalf("reconcile %d: %+v %v, want pool %s", i, g, err, want)
		}
	}
	// a is over its count, b is merely full: the user sees the ordinary count denial.
	_, err := f.Checkout(req("x", 20220101), 9, now)
	wantCode(t, err, wire.CodeLicensedNumberReached)
	f.Checkin(2) // b has room again; a is still over
	if g := mustCheckout(t, f, req("x", 20220101), 9); g.PoolID != "b" {
		t.Fatalf("checkout with a over its count: %+v, want pool b", g)
	}
}
