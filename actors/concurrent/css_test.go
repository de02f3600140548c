package concurrent

import "testing"

// The manual's example ("Concurrent license", "Customer Success Services"): pools with CSS
// dates 20181201 and 20190601; products released 20181101 (7 1811) and 20190301 (7 1903).
func TestCSSConnectionOrderDecidesLicenseCount(t *testing.T) {
	pools := []PoolSpec{permanent("css1906", 20190601, 10), permanent("css1812", 20181201, 10)}
	cases := []struct {
		name      string
		versions  []uint32
		wantInUse int
		wantPools []string
		wantShare []bool
	}{
		{
			// "The user connects to ... 1811 first. Two licenses might be consumed. An older
			// license first, for the older product, and then a newer license".
			name: "older product first", versions: []uint32{20181101, 20190301}, wantInUse: 2,
			wantPools: []string{"css1812", "css1906"}, wantShare: []bool{false, false},
		},
		{
			// "The user connects to ... 1903 first. Only one license is consumed".
			name: "newer product first", versions: []uint32{20190301, 20181101}, wantInUse: 1,
			wantPools: []string{"css1906", "css1906"}, wantShare: []bool{false, true},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := New("XDT_PLT_CCS", pools, Config{})
			for i, v := range c.versions {
				g := mustCheckout(t, f, req("endpoint", v), uint64(i+1))
				if g.PoolID != c.wantPools[i] || g.Shared != c.wantShare[i] {
					t.Errorf("connection %d (version %d): pool %s shared %v, want %s shared %v",
						i+1, v, g.PoolID, g.Shared, c.wantPools[i], c.wantShare[i])
				}
			}
			if f.InUse() != c.wantInUse {
				t.Fatalf("in use %d, want %d", f.InUse(), c.wantInUse)
			}
		})
	}
}

// A device's first license comes from the earliest compatible CSS date with room; when that
// pool is full the next one serves.
func TestEarliestCompatiblePoolWithRoom(t *testing.T) {
	f := New("F", []PoolSpec{permanent("late", 20200101, 1), permanent("early", 20190101, 1), permanent("ancient", 20170101, 5)}, Config{})
	if g := mustCheckout(t, f, req("a", 20180101), 1); g.PoolID != "early" || g.CSS != 20190101 {
		t.Fatalf("first device: %+v, want pool early", g)
	}
	if g := mustCheckout(t, f, req("b", 20180101), 2); g.PoolID != "late" {
		t.Fatalf("second device with early full: %+v, want pool late", g)
	}
	if _, err := f.Checkout(req("c", 20180101), 3, now); err == nil {
		t.Fatal("third device granted although both compatible pools are full")
	}
	// An old product still fits the ancient pool.
	if g := mustCheckout(t, f, req("c", 20160101), 3); g.PoolID != "ancient" {
		t.Fatalf("old product: %+v, want pool ancient", g)
	}
}

// A device holding an older license that cannot serve a newer product keeps it and takes a
// second one; a third product that fits both joins the earliest it holds.
func TestDeviceJoinsEarliestCompatibleLicenseItHolds(t *testing.T) {
	f := New("F", []PoolSpec{permanent("old", 20181201, 5), permanent("new", 20190601, 5)}, Config{})
	mustCheckout(t, f, req("d", 20181101), 1)
	mustCheckout(t, f, req("d", 20190301), 2)
	if g := mustCheckout(t, f, req("d", 20180101), 3); g.PoolID != "old" || !g.Shared {
		t.Fatalf("third product: %+v, want a share of the old pool's license", g)
	}
	if g := mustCheckout(t, f, req("d", 20190501), 4); g.PoolID != "new" || !g.Shared {
		t.Fatalf("fourth product: %+v, want a share of the new pool's license", g)
	}
}
