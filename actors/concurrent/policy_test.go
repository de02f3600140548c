package concurrent

import "testing"

// "Options file": after a reread the new policy must count what is already held, or MAX
// and RESERVE would let a user exceed their limit and Returned would underflow.
func TestSetPolicyReplaysHeldUnits(t *testing.T) {
	f := New("XDT_PLT_CCS", []PoolSpec{permanent("p", 20990101, 5)}, Config{})
	mustCheckout(t, f, req("d1", 20200101), 1)
	mustCheckout(t, f, req("d1", 20200101), 2) // shares d1's unit
	mustCheckout(t, f, req("d2", 20200101), 3)

	p := newRecordingPolicy()
	f.SetPolicy(p)
	if p.took != 2 || p.held["u-d1"] != 1 || p.held["u-d2"] != 1 {
		t.Fatalf("new policy saw took=%d held=%v, want the 2 units held", p.took, p.held)
	}
	for _, h := range []uint64{1, 2, 3} {
		if ok, _ := f.Checkin(h); !ok {
			t.Fatalf("checkin %d failed", h)
		}
	}
	if !p.balanced() {
		t.Fatalf("policy unbalanced after checkins: took=%d returned=%d held=%v", p.took, p.returned, p.held)
	}
	f.SetPolicy(nil)
	mustCheckout(t, f, req("d3", 20200101), 4)
}
