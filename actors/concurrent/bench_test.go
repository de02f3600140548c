package concurrent

import (
	"strconv"
	"testing"
)

// steadyFeature is a feature with background holders and rotating devices, as the hot path sees
// it: a large pool, many licenses held, new devices arriving and leaving.
func steadyFeature(background int) (*Feature, []Request) {
	f := New("XDT_PLT_CCS", []PoolSpec{permanent("old", 20181201, 1<<30), permanent("new", 20240101, 1<<30)}, Config{})
	for i := range background {
		r := Request{Session: uint64(i % 64), Device: "bg" + strconv.Itoa(i), User: "user", Host: "host", VersionDate: 20180101}
		if _, err := f.Checkout(&r, uint64(1<<40+i), now); err != nil {
			panic(err)
		}
	}
	reqs := make([]Request, 4096)
	for i := range reqs {
		reqs[i] = Request{Session: uint64(i % 64), Device: "dev" + strconv.Itoa(i), User: "user" + strconv.Itoa(i), Host: "host", Product: "XDT", VersionDate: 20180101}
	}
	return f, reqs
}

// BenchmarkCheckoutCheckin: one checkout and one checkin of a distinct device per op.
func BenchmarkCheckoutCheckin(b *testing.B) {
	f, reqs := steadyFeature(10000)
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		r := &reqs[i%len(reqs)]
		if _, err := f.Checkout(r, uint64(i), now); err != nil {
			b.Fatal(err)
		}
		if ok, released := f.Checkin(uint64(i)); !ok || !released {
			b.Fatal("checkin failed")
		}
	}
}

// BenchmarkSharedCheckout: a session joining a license its device already holds, and leaving.
func BenchmarkSharedCheckout(b *testing.B) {
	f, reqs := steadyFeature(10000)
	held := reqs[0]
	if _, err := f.Checkout(&held, 1<<50, now); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		g, err := f.Checkout(&held, uint64(i), now)
		if err != nil || !g.Shared {
			b.Fatal("join failed", err)
		}
		f.Checkin(uint64(i))
	}
}

// BenchmarkDeniedCheckout: the cost of telling a user the feature is full.
func BenchmarkDeniedCheckout(b *testing.B) {
	f := New("F", []PoolSpec{permanent("p", 20240101, 1)}, Config{})
	f.Checkout(&Request{Device: "holder", VersionDate: 20180101}, 1, now)
	r := &Request{Device: "late", VersionDate: 20180101}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		if _, err := f.Checkout(r, uint64(i+2), now); err == nil {
			b.Fatal("granted on a full pool")
		}
	}
}

// The hot path must not allocate once warm: a regression here costs every logon.
func TestSteadyStateDoesNotAllocate(t *testing.T) {
	f, reqs := steadyFeature(1000)
	handle := uint64(0)
	pair := func() {
		handle++
		r := &reqs[handle%uint64(len(reqs))]
		f.Checkout(r, handle, now)
		f.Checkin(handle)
	}
	for range 2 * len(reqs) {
		pair()
	}
	if n := testing.AllocsPerRun(len(reqs), pair); n != 0 {
		t.Fatalf("checkout+checkin allocates %.2f times per pair, want 0", n)
	}
	full := New("F", []PoolSpec{permanent("p", 20240101, 0)}, Config{})
	if n := testing.AllocsPerRun(100, func() { full.Checkout(&reqs[0], 1, now) }); n != 0 {
		t.Fatalf("a denial allocates %.2f times, want 0", n)
	}
}
