package concurrent

import (
	"testing"

	"github.com/licd/licd/wire"
)

// After a restart, persisted grants come back as they were, even over the count, and the
// pool then behaves as after a reconcile.
func TestRestoreRebuildsGrantsWithoutChecks(t *testing.T) {
	policy := newRecordingPolicy()
	policy.deny["u-b"] = true
	f := New("F", []PoolSpec{permanent("p", 20240101, 1)}, Config{Policy: policy})
	grants := []Holder{
		{Handle: 1, Session: 5, PoolID: "p", Device: "a", User: "u-a", Host: "h-a", Product: "XDT", VersionDate: 20230101, Units: 1, Start: day(2024, 6, 1)},
		{Handle: 2, Session: 6, PoolID: "p", Device: "a", User: "u-x", Units: 1, Start: day(2024, 6, 2)},
		{Handle: 3, Session: 5, PoolID: "p", Device: "b", User: "u-b", Units: 1, Start: day(2024, 6, 3)},
		{Handle: 4, Session: 5, PoolID: "gone", Device: "c", User: "u-c", Units: 1, Start: day(2024, 6, 4)},
	}
	for _, h := range grants {
		if err := f.Restore(h); err != nil {
			t.Fatalf("restore %d: %v", h.Handle, err)
		}
	}
	if f.InUse() != 3 || f.Holders() != 4 {
		t.Fatalf("in use %d holders %d, want 3 units (a shared) and 4 holders", f.InUse(), f.Holders())
	}
	if got, ok := f.Holder(1); !ok || got != grants[0] {
		t.Fatalf("holder 1 = %+v, want %+v", got, grants[0])
	}
	_, err := f.Checkout(req("new", 20230101), 10, now)
	wantCode(t, err, wire.CodeOverLimitAfterReconcile)
	// The restored sessions and devices are live state: both release paths find them.
	if got := f.ReleaseSession(5); len(got) != 3 {
		t.Fatalf("session 5 released %v, want 3 handles", got)
	}
	if got := f.CheckinDevice("a"); len(got) != 1 || got[0] != 2 {
		t.Fatalf("device a released %v, want [2]", got)
	}
	if f.InUse() != 0 || !policy.balanced() || policy.took != 3 {
		t.Fatalf("in use %d, policy took %d returned %d: want everything returned", f.InUse(), policy.took, policy.returned)
	}
	// The pool missing from the license files went away with its last license.
	for _, p := range f.Status(now).Pools {
		if p.ID == "gone" {
			t.Fatal("the removed pool outlived its last license")
		}
	}
}

func TestRestoreKeepsRemovedPoolVisibleButClosed(t *testing.T) {
	f := New("F", []PoolSpec{permanent("p", 20240101, 5)}, Config{})
	if err := f.Restore(Holder{Handle: 1, PoolID: "gone", Device: "a", Units: 1}); err != nil {
		t.Fatal(err)
	}
	st := f.Status(now)
	if len(st.Pools) != 2 || !st.Pools[0].Removed || st.Pools[0].ID != "gone" || st.Pools[0].InUse != 1 {
		t.Fatalf("status %+v, want the removed pool listed with its license", st.Pools)
	}
	if st.Installed != 5 {
		t.Fatalf("installed %d, want 5 (the removed pool does not count)", st.Installed)
	}
	// The device's next session takes a license from a live pool rather than joining.
	if g := mustCheckout(t, f, req("a", 20230101), 2); g.PoolID != "p" || g.Shared {
		t.Fatalf("checkout by a device holding a removed pool's license: %+v, want a new license from p", g)
	}
}

func TestRestoreRefusals(t *testing.T) {
	f := New("F", []PoolSpec{permanent("p", 20240101, 5)}, Config{})
	if err := f.Restore(Holder{Handle: 1, PoolID: "p", Device: "a", Units: 1}); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		h    Holder
		want wire.Code
	}{
		{"handle held", Holder{Handle: 1, PoolID: "p", Device: "b", Units: 1}, wire.CodeBadRequest},
		{"no device", Holder{Handle: 2, PoolID: "p", Units: 1}, wire.CodeBadName},
		{"no units", Holder{Handle: 2, PoolID: "p", Device: "b"}, wire.CodeBadRequest},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { wantCode(t, f.Restore(c.h), c.want) })
	}
	if f.InUse() != 1 {
		t.Fatalf("refused restores changed state: in use %d", f.InUse())
	}
}
