package concurrent

import (
	"slices"
	"testing"
)

func TestReleaseSessionDropsOnlyItsHolders(t *testing.T) {
	f := New("F", []PoolSpec{permanent("p", 20240101, 10)}, Config{})
	onSession := func(device string, session uint64) *Request {
		r := req(device, 20230101)
		r.Session = session
		return r
	}
	mustCheckout(t, f, onSession("a", 7), 1)
	mustCheckout(t, f, onSession("b", 7), 2)
	mustCheckout(t, f, onSession("a", 8), 3) // shares a's license from another product
	mustCheckout(t, f, onSession("c", 7), 4)
	mustCheckout(t, f, onSession("d", 8), 5)
	f.Checkin(4) // already gone before the session ends
	got := f.ReleaseSession(7)
	slices.Sort(got)
	if !slices.Equal(got, []uint64{1, 2}) {
		t.Fatalf("session 7 released handles %v, want [1 2]", got)
	}
	// a's license survives through session 8's share; b's is gone.
	if f.InUse() != 2 || f.Holders() != 2 {
		t.Fatalf("in use %d holders %d, want 2 and 2", f.InUse(), f.Holders())
	}
	if _, ok := f.Holder(3); !ok {
		t.Fatal("session 8's share of a's license was dropped")
	}
	if got := f.ReleaseSession(7); len(got) != 0 {
		t.Fatalf("second release of session 7 dropped %v", got)
	}
	if got := f.ReleaseSession(8); len(got) != 2 || f.InUse() != 0 {
		t.Fatalf("session 8 released %v, in use %d; want 2 handles and nothing in use", got, f.InUse())
	}
}

func TestCheckinDeviceDropsEverySessionInEveryPool(t *testing.T) {
	f := New("F", []PoolSpec{permanent("old", 20181201, 5), permanent("new", 20190601, 5)}, Config{})
	mustCheckout(t, f, req("d", 20181101), 1)
	mustCheckout(t, f, req("d", 20190301), 2)
	mustCheckout(t, f, req("d", 20180101), 3)
	mustCheckout(t, f, req("other", 20180101), 4)
	got := f.CheckinDevice("d")
	slices.Sort(got)
	if !slices.Equal(got, []uint64{1, 2, 3}) {
		t.Fatalf("device checkin dropped %v, want [1 2 3]", got)
	}
	if f.InUse() != 1 {
		t.Fatalf("in use %d, want 1 (the other device)", f.InUse())
	}
	if got := f.CheckinDevice("nobody"); len(got) != 0 {
		t.Fatalf("unknown device dropped %v", got)
	}
}

func TestCheckinDeviceOfDropsOnlyTheCallersSession(t *testing.T) {
	f := New("F", []PoolSpec{permanent("p", 20181201, 5)}, Config{})
	mine := req("d", 20180101)
	theirs := req("d", 20180101)
	theirs.Session = 2
	mustCheckout(t, f, mine, 1)
	mustCheckout(t, f, theirs, 2)
	mustCheckout(t, f, req("e", 20180101), 3)
	if got := f.CheckinDeviceOf("d", 2); !slices.Equal(got, []uint64{2}) {
		t.Fatalf("session 2's device checkin dropped %v, want only its own handle 2", got)
	}
	if _, ok := f.Holder(1); !ok {
		t.Fatal("session 1's checkout on the same device was dropped by another session's checkin")
	}
	if got := f.CheckinDeviceOf("d", 9); len(got) != 0 {
		t.Fatalf("a session holding nothing dropped %v", got)
	}
}
