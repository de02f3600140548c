package userdevice

import (
	"math/rand"
	"runtime"
	"strconv"
	"testing"
	"time"
)

// realisticFeature fills a feature with about pairs connections shaped like a deployment:
// most users on one to three devices of their own, some also on shared kiosks, a few only on
// kiosks (call-center seats), one kiosk per 200 pairs.
func realisticFeature(tb testing.TB, pairs int) *Feature {
	f := NewFeature("XDT_PLT_UD", ModelUserDevice, pairs, pairs/10, DefaultConfig())
	rng := rand.New(rand.NewSource(42))
	kiosks := max(pairs/200, 1)
	kiosk := func() string { return "kiosk-" + strconv.Itoa(rng.Intn(kiosks)) }
	dev := 0
	for u := 0; f.pairs.len() < pairs; u++ {
		user := "user" + strconv.Itoa(u) + "@corp.example"
		var devices []string
		switch r := rng.Float64(); {
		case r < 0.03:
			devices = []string{kiosk(), kiosk()}
		default:
			n := 1
			if r > 0.50 {
				n++
			}
			if r > 0.85 {
				n++
			}
			for range n {
				devices = append(devices, "pc-"+strconv.Itoa(dev))
				dev++
			}
			if rng.Float64() < 0.10 {
				devices = append(devices, kiosk())
			}
		}
		for _, d := range devices {
			if _, err := f.Connect(user, d, t0); err != nil {
				tb.Fatal(err)
			}
		}
	}
	return f
}

func benchmarkOptimize(b *testing.B, pairs int) {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f := realisticFeature(b, pairs)
	optimize(f, t0) // warm the reused buffers
	runtime.GC()
	runtime.ReadMemStats(&after)
	stateBytes := float64(after.HeapAlloc-before.HeapAlloc) / float64(f.pairs.len())
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		now := t0.Add(time.Duration(i+1) * 5 * time.Minute)
		// One new pair per round, so that every round optimizes the whole graph.
		if _, err := f.Connect("late"+strconv.Itoa(i), "pc-late"+strconv.Itoa(i), now); err != nil {
			b.Fatal(err)
		}
		in := f.PrepareOptimization(now)
		f.ApplyOptimization(Optimize(in), now)
	}
	b.StopTimer()
	inUse, _ := f.InUse()
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/optimization")
	b.ReportMetric(stateBytes, "B/record")
	b.ReportMetric(float64(f.pairs.len()), "pairs")
	b.ReportMetric(float64(inUse), "licenses")
	b.ReportMetric(float64(f.devices.count), "device-licenses")
}

// BenchmarkOptimize150k is the manual's user/device scale ("150,000 user/device licenses").
func BenchmarkOptimize150k(b *testing.B) { benchmarkOptimize(b, 150_000) }

// BenchmarkOptimize1M is licd's goal: a million pairs in well under a second.
func BenchmarkOptimize1M(b *testing.B) { benchmarkOptimize(b, 1_000_000) }

// BenchmarkConnect is the hot path. "new": every connection is a new user on a new device
// (a logon storm on an empty feature, each one taking a license); "returning": users coming
// back on a device they used before, among 100,000 known pairs.
func BenchmarkConnect(b *testing.B) {
	b.Run("new", func(b *testing.B) {
		users, devices := make([]string, b.N), make([]string, b.N)
		for i := range users {
			users[i], devices[i] = "user"+strconv.Itoa(i), "pc-"+strconv.Itoa(i)
		}
		f := NewFeature("XDT_PLT_UD", ModelUserDevice, b.N, 0, DefaultConfig())
		b.ReportAllocs()
		b.ResetTimer()
		for i := range b.N {
			if _, err := f.Connect(users[i], devices[i], t0); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("returning", func(b *testing.B) {
		const known = 100_000
		users, devices := make([]string, known), make([]string, known)
		f := NewFeature("XDT_PLT_UD", ModelUserDevice, known, 0, DefaultConfig())
		for i := range users {
			users[i], devices[i] = "user"+strconv.Itoa(i), "pc-"+strconv.Itoa(i)
			if _, err := f.Connect(users[i], devices[i], t0); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportAllocs()
		b.ResetTimer()
		for i := range b.N {
			j := i % known
			if _, err := f.Connect(users[j], devices[j], t0); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkOptimizeRandom1M runs Optimize alone on an unstructured random graph of a million
// pairs (600,000 users, 450,000 devices): a harder case than a deployment.
func BenchmarkOptimizeRandom1M(b *testing.B) {
	in := randomInput(600_000, 450_000, 1_000_000, 7)
	Optimize(in)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		Optimize(in)
	}
	b.StopTimer()
	b.ReportMetric(float64(in.licenses), "licenses")
}
