package concurrent

import (
	"fmt"
	"testing"
	"time"

	"github.com/licd/licd/wire"
)

func retail(id string, count int) PoolSpec {
	s := permanent(id, 20991231, count)
	s.RetailLines = 1
	return s
}

func fill(t *testing.T, f *Feature, from, to int, at time.Time) (started int) {
	t.Helper()
	for i := from; i < to; i++ {
		g, err := f.Checkout(req(fmt.Sprint("dev", i), 20240101), uint64(i+1), at)
		if err != nil {
			t.Fatalf("checkout %d at %v: %v", i+1, at, err)
		}
		if g.BurstStarted {
			started++
		}
	}
	return started
}

// The manual's Example 2 ("Overdraft and License burst mode examples"): 1000 concurrent
// Retail licenses; on d0 the 1001st connection starts the 15-day burst and 1050 are in use;
// on d15 it runs out: nobody is disconnected, new connections wait until use is back under
// 1000, and the burst does not come back by itself.
func TestBurstModeManualExample2(t *testing.T) {
	d0 := now
	f := New("XDT_PLT_CCU", []PoolSpec{retail("p", 1000)}, Config{})
	f.BurstInstalled(d0)
	if n := fill(t, f, 0, 1000, d0); n != 0 {
		t.Fatalf("%d bursts started within the count", n)
	}
	if n := fill(t, f, 1000, 1050, d0); n != 1 {
		t.Fatalf("the 1001st connection started %d bursts, want 1", n)
	}
	if st, _ := f.Burst("p"); !st.Active(d0.Add(14*24*time.Hour)) || st.DaysLeft(d0) != 15 {
		t.Fatalf("burst state on d0: %+v", st)
	}
	d15 := d0.Add(15 * 24 * time.Hour)
	if _, err := f.Checkout(req("late", 20240101), 5000, d15); err == nil || err.Code != wire.CodeLicensedNumberReached {
		t.Fatalf("a new connection on d15: %v, want licensed number reached", err)
	}
	if f.InUse() != 1050 {
		t.Fatalf("in use %d on d15, want the 1050 connected (nobody is disconnected)", f.InUse())
	}
	for h := uint64(1); h <= 51; h++ {
		f.Checkin(h)
	}
	if _, err := f.Checkout(req("back", 20240101), 5001, d15); err != nil {
		t.Fatalf("a new connection once use is back under the count: %v", err)
	}
	if _, err := f.Checkout(req("over", 20240101), 5002, d15); err == nil {
		t.Fatal("the burst came back by itself after it ran out")
	}
}

func TestBurstModeOnlyForRetailAndWhenSwitchedOn(t *testing.T) {
	for _, tc := range []struct {
		name string
		spec PoolSpec
		cfg  Config
	}{
		{"not retail", permanent("p", 20991231, 2), Config{}},
		{"switched off", retail("p", 2), Config{BurstOff: true}},
	} {
		f := New("F", []PoolSpec{tc.spec}, tc.cfg)
		f.BurstInstalled(now)
		fill(t, f, 0, 2, now)
		if _, err := f.Checkout(req("third", 20240101), 99, now); err == nil || err.Code != wire.CodeLicensedNumberReached {
			t.Fatalf("%s: the checkout past the count: %v, want licensed number reached", tc.name, err)
		}
	}
}

// Installing another Retail license during the burst ends it and re-arms the pool.
func TestBurstEndsWhenAnotherRetailLicenseIsInstalled(t *testing.T) {
	f := New("F", []PoolSpec{retail("p", 2)}, Config{})
	f.BurstInstalled(now)
	fill(t, f, 0, 4, now) // two past the count, in burst mode
	bigger := retail("p", 3)
	bigger.RetailLines = 2
	f.Reload([]PoolSpec{bigger})
	if changed := f.BurstInstalled(now.Add(time.Hour)); len(changed) != 1 {
		t.Fatalf("changed pools %v, want p", changed)
	}
	st, _ := f.Burst("p")
	if st.Active(now.Add(time.Hour)) || st.EndedByInstall.IsZero() {
		t.Fatalf("burst after the install: %+v, want ended by the install", st)
	}
	// 4 in use of 3: full; the re-armed burst starts again at the next checkout.
	g, err := f.Checkout(req("next", 20240101), 50, now.Add(2*time.Hour))
	if err != nil || !g.BurstStarted {
		t.Fatalf("checkout after the re-arm: %+v %v, want a new burst", g, err)
	}
}
