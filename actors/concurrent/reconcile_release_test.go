package concurrent

import (
	"testing"
	"time"
)

func TestReleaseSessionExceptKeepsStatedAndNewer(t *testing.T) {
	f := New("XDT_PLT_CCS", []PoolSpec{permanent("p", 20990101, 10)}, Config{})
	mustCheckout(t, f, req("d1", 20200101), 1)
	mustCheckout(t, f, req("d2", 20200101), 2)
	mustCheckout(t, f, req("d3", 20200101), 3)
	later := now.Add(time.Minute)
	if _, err := f.Checkout(req("d4", 20200101), 4, later.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	dropped := f.ReleaseSessionExcept(1, map[uint64]struct{}{2: {}}, later)
	if len(dropped) != 2 || f.InUse() != 2 {
		t.Fatalf("dropped %v, in use %d; want handles 1 and 3 dropped, d2 and d4 kept", dropped, f.InUse())
	}
	for _, h := range []uint64{2, 4} {
		if _, ok := f.Holder(h); !ok {
			t.Fatalf("handle %d should be kept", h)
		}
	}
}
