package concurrent

import "testing"

// "Historical Use": a burst of checkouts and check-ins between two samples shows as the
// period's peak; TakePeaks starts the next period at the current use.
func TestPeakBetweenSamples(t *testing.T) {
	f := New("XDT_PLT_CCU", []PoolSpec{permanent("p", 20240101, 10)}, Config{})
	for i := 1; i <= 5; i++ {
		mustCheckout(t, f, req(string(rune('a'+i)), 20230101), uint64(i))
	}
	for i := 1; i <= 4; i++ {
		f.Checkin(uint64(i))
	}
	p := f.Status(now).Pools[0]
	if p.InUse != 1 || p.Peak != 5 {
		t.Fatalf("in use %d peak %d, want 1 and 5", p.InUse, p.Peak)
	}
	f.TakePeaks()
	if p := f.Status(now).Pools[0]; p.Peak != 1 {
		t.Fatalf("peak after TakePeaks %d, want the current use 1", p.Peak)
	}
	mustCheckout(t, f, req("z", 20230101), 9)
	if p := f.Status(now).Pools[0]; p.Peak != 2 {
		t.Fatalf("peak %d, want 2", p.Peak)
	}
}
