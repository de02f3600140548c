package actors

import (
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/licd/licd/storage"
	"github.com/licd/licd/wire"
)

// Counters count, per feature, what the vendor debug log records: every checkout (OUT),
// release (IN, by what released it) and denial (DENIED, by wire code), whether or not the
// options file's NOLOG keeps the line out of the log, and the user/device optimizer's passes
// ("License optimization"). The debug log counts as it records (DebugLog.Record), so every
// place that logs an event counts it and none is missed.
//
// Counting is a map read through an atomic pointer and an atomic add: no lock, no allocation
// on the checkout path. Only features this server serves get their own counters (the engine
// registers each feature it starts an actor for); events about any other name a client sent
// count under NotServed, so a client cannot grow the set of features.
type Counters struct {
	mu     sync.Mutex // serialises Register (the engine's Apply, never the checkout path)
	byName atomic.Pointer[map[string]*FeatureCounters]
	other  FeatureCounters
}

// NotServed is the feature name the counters of events about features this server does not
// serve are reported under.
const NotServed = "(not served)"

// FeatureCounters are one feature's counters.
type FeatureCounters struct {
	checkouts atomic.Uint64
	releases  [len(releaseReasons) + 1]atomic.Uint64
	denials   [codeSlots]atomic.Uint64

	optimizeNanos *storage.Histogram
	saved         atomic.Uint64
}

// OptimizeBounds are the bucket bounds of the optimizer's pass durations, in nanoseconds:
// 10µs to about 20s.
var OptimizeBounds = storage.ExponentialBounds(10_000, 4, 12)

// releaseReasons are the IN lines' reasons and the short names the counters report them
// under; a reason not listed counts as "other".
var releaseReasons = [...]struct{ reason, name string }{
	{ReasonCheckin, "checkin"},
	{ReasonDeviceCheckin, "device_checkin"},
	{ReasonGoodbye, "goodbye"},
	{ReasonLinger, "linger"},
	{ReasonReconcile, "reconcile"},
	{ReasonTimeout, "timeout"},
	{ReasonUDAdmin, "udadmin"},
	{ReasonLeaseExpired, "lease_expired"},
}

// Wire codes are small negative numbers (FLEXlm's, -1 to -127) or licd's own from -1000:
// each has a slot, and any other code the last one.
const codeSlots = 128 + 128 + 1

func codeSlot(c int32) int {
	switch {
	case c <= 0 && c > -128:
		return int(-c)
	case c <= -1000 && c > -1128:
		return 128 + int(-c-1000)
	}
	return codeSlots - 1
}

func slotCode(i int) (wire.Code, bool) {
	switch {
	case i < 128:
		return wire.Code(-i), true
	case i < codeSlots-1:
		return wire.Code(-(i - 128 + 1000)), true
	}
	return 0, false
}

func newFeatureCounters() *FeatureCounters {
	return &FeatureCounters{optimizeNanos: storage.NewHistogram(OptimizeBounds...)}
}

// Register gives a feature its own counters (kept across rereads, which never remove an
// actor). Safe on a nil Counters.
func (c *Counters) Register(feature string) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	old := c.byName.Load()
	if old != nil && (*old)[feature] != nil {
		return
	}
	next := make(map[string]*FeatureCounters, 1)
	if old != nil {
		for k, v := range *old {
			next[k] = v
		}
	}
	next[feature] = newFeatureCounters()
	c.byName.Store(&next)
}

func (c *Counters) of(feature string) *FeatureCounters {
	if m := c.byName.Load(); m != nil {
		if f := (*m)[feature]; f != nil {
			return f
		}
	}
	return &c.other
}

// count counts one debug log event.
func (c *Counters) count(e *Event) {
	switch e.Kind {
	case LogOut:
		c.of(e.Feature).checkouts.Add(1)
	case LogIn:
		f := c.of(e.Feature)
		i := len(releaseReasons)
		for j := range releaseReasons {
			if releaseReasons[j].reason == e.Detail {
				i = j
				break
			}
		}
		f.releases[i].Add(1)
	case LogDenied:
		c.of(e.Feature).denials[codeSlot(e.Code)].Add(1)
	}
}

// Optimized records one pass of the optimizer over a feature: how long it took and how many
// licenses the feature held fewer after it (negative: more; only savings add up). Safe on a
// nil Counters.
func (c *Counters) Optimized(feature string, took time.Duration, saved int) {
	if c == nil {
		return
	}
	f := c.of(feature)
	if f.optimizeNanos != nil {
		f.optimizeNanos.Observe(uint64(max(took, 0)))
	}
	if saved > 0 {
		f.saved.Add(uint64(saved))
	}
}

// FeatureCounts is a snapshot of one feature's counters; zero counts are left out.
type FeatureCounts struct {
	Feature   string
	Checkouts uint64
	Releases  map[string]uint64    // by short reason: checkin, goodbye, linger, ...
	Denials   map[wire.Code]uint64 // by wire code
	// OtherDenials are denials whose code is outside the catalogue's ranges.
	OtherDenials uint64
	// Optimizations: the optimizer's passes (user/device features only) and the licenses
	// they saved.
	Optimizations storage.HistogramSnapshot
	Saved         uint64
}

// Snapshot reads every feature's counters, by feature name, NotServed last when it counted
// anything. Safe on a nil Counters.
func (c *Counters) Snapshot() []FeatureCounts {
	if c == nil {
		return nil
	}
	var out []FeatureCounts
	if m := c.byName.Load(); m != nil {
		for name, f := range *m {
			out = append(out, f.snapshot(name))
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Feature < out[j].Feature })
	if o := c.other.snapshot(NotServed); o.Checkouts+o.OtherDenials+uint64(len(o.Releases)+len(o.Denials)) > 0 {
		out = append(out, o)
	}
	return out
}

func (f *FeatureCounters) snapshot(name string) FeatureCounts {
	s := FeatureCounts{Feature: name, Checkouts: f.checkouts.Load(), Saved: f.saved.Load(),
		Releases: map[string]uint64{}, Denials: map[wire.Code]uint64{}}
	for i := range f.releases {
		if n := f.releases[i].Load(); n > 0 {
			name := "other"
			if i < len(releaseReasons) {
				name = releaseReasons[i].name
			}
			s.Releases[name] = n
		}
	}
	for i := range f.denials {
		if n := f.denials[i].Load(); n > 0 {
			if code, ok := slotCode(i); ok {
				s.Denials[code] = n
			} else {
				s.OtherDenials += n
			}
		}
	}
	if f.optimizeNanos != nil {
		s.Optimizations = f.optimizeNanos.Snapshot()
	}
	return s
}

// ReleaseReasons lists the short names the releases are counted under, "other" last.
func ReleaseReasons() []string {
	out := make([]string, 0, len(releaseReasons)+1)
	for _, r := range releaseReasons {
		out = append(out, r.name)
	}
	return append(out, "other")
}
