package userdevice

import (
	"strconv"
	"testing"
	"time"
)

// "License optimization": every five seconds below 5,000 unique connections, every five
// minutes from 5,000 up.
func TestOptimizationInterval(t *testing.T) {
	f := newUD(t, 10000, 0)
	if next := f.NextOptimization(t0); !next.Equal(t0) {
		t.Fatalf("never optimized: next %v, want now", next)
	}
	for i := 0; i < 4999; i++ {
		mustConnect(t, f, "u"+strconv.Itoa(i), "d"+strconv.Itoa(i), t0)
	}
	optimize(f, t0)
	if next := f.NextOptimization(t0); !next.Equal(t0.Add(5 * time.Second)) {
		t.Fatalf("4,999 connections: next %v, want 5 s later", next)
	}
	mustConnect(t, f, "u4999", "d4999", t0)
	if next := f.NextOptimization(t0); !next.Equal(t0.Add(5 * time.Minute)) {
		t.Fatalf("5,000 connections: next %v, want 5 min later", next)
	}
	f.Disconnect("u4999", "d4999", t0)
	if next := f.NextOptimization(t0); !next.Equal(t0.Add(5 * time.Second)) {
		t.Fatalf("back to 4,999 live: next %v, want 5 s later", next)
	}
	cfg := DefaultConfig()
	cfg.FastInterval, cfg.SlowInterval, cfg.SlowThreshold = time.Second, time.Minute, 2
	g := NewFeature("F", ModelUserDevice, 10, 0, cfg)
	mustConnect(t, g, "a", "b", t0)
	optimize(g, t0)
	if next := g.NextOptimization(t0); !next.Equal(t0.Add(time.Second)) {
		t.Errorf("configured fast interval: %v", next)
	}
	mustConnect(t, g, "c", "d", t0)
	if next := g.NextOptimization(t0); !next.Equal(t0.Add(time.Minute)) {
		t.Errorf("configured slow interval: %v", next)
	}
}

// Nothing changed since the last optimization: no snapshot, but the optimization time moves.
func TestPrepareSkipsUnchangedGraph(t *testing.T) {
	f := newUD(t, 10, 0)
	mustConnect(t, f, "a", "b", t0)
	optimize(f, t0)
	f.Disconnect("a", "b", t0.Add(time.Second)) // not a change of the pair set
	if in := f.PrepareOptimization(t0.Add(5 * time.Second)); in != nil {
		t.Fatalf("unchanged graph: got a snapshot of %d pairs", in.Pairs())
	}
	if u := f.Snapshot(t0.Add(5 * time.Second)); !u.LastOptimization.Equal(t0.Add(5 * time.Second)) {
		t.Errorf("last optimization %v, want the skipped run's time", u.LastOptimization)
	}
	mustConnect(t, f, "a", "c", t0.Add(6*time.Second))
	if in := f.PrepareOptimization(t0.Add(10 * time.Second)); in == nil || in.Pairs() != 2 {
		t.Fatalf("after a new pair: want a snapshot of 2 pairs, got %v", in)
	}
}

// Connections made while the optimizer runs stay covered by the license they were granted;
// users that left meanwhile are not licensed again.
func TestApplyKeepsGrantsSinceSnapshot(t *testing.T) {
	f := newUD(t, 10, 0)
	mustConnect(t, f, "ann", "kiosk", t0)
	mustConnect(t, f, "bob", "kiosk", t0)
	mustConnect(t, f, "eve", "eve-pc", t0)
	in := f.PrepareOptimization(t0)
	r := Optimize(in) // {kiosk, eve}
	mustConnect(t, f, "dave", "dave-pc", t0.Add(time.Second))
	if _, err := f.Release(KindUser, "eve", t0.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	changes := f.ApplyOptimization(r, t0.Add(2*time.Second))
	users, devices := licensed(f, t0.Add(2*time.Second))
	if !equalStrings(users, []string{"dave"}) || !equalStrings(devices, []string{"kiosk"}) {
		t.Fatalf("after apply: users %v devices %v, want dave (granted meanwhile) and kiosk", users, devices)
	}
	want := map[string]bool{"kiosk": true, "ann": false, "bob": false}
	if len(changes) != len(want) {
		t.Fatalf("changes %+v, want %v", changes, want)
	}
	for _, c := range changes {
		if w, ok := want[c.Name]; !ok || w != c.Licensed {
			t.Errorf("unexpected change %+v", c)
		}
		if c.Licensed && !c.Since.Equal(t0.Add(2*time.Second)) {
			t.Errorf("assigned license since %v, want the apply time", c.Since)
		}
	}
}

// A device released while the optimizer runs frees its id, but the id is not given to a new
// device before the result is applied: the new device must not inherit the old cover.
func TestApplyDoesNotConfuseReusedIDs(t *testing.T) {
	f := newUD(t, 10, 0)
	mustConnect(t, f, "ann", "kiosk", t0)
	mustConnect(t, f, "bob", "kiosk", t0)
	r := Optimize(f.PrepareOptimization(t0)) // {kiosk}
	if _, err := f.Release(KindDevice, "kiosk", t0); err != nil {
		t.Fatal(err)
	}
	mustConnect(t, f, "zoe", "tablet", t0)
	f.ApplyOptimization(r, t0)
	users, devices := licensed(f, t0)
	if !equalStrings(users, []string{"zoe"}) || len(devices) != 0 {
		t.Fatalf("users %v devices %v, want zoe only (tablet was never optimized)", users, devices)
	}
}

func TestApplyIgnoresStaleResult(t *testing.T) {
	f := newUD(t, 10, 0)
	mustConnect(t, f, "ann", "kiosk", t0)
	mustConnect(t, f, "bob", "kiosk", t0)
	old := Optimize(f.PrepareOptimization(t0))
	fresh := Optimize(f.PrepareOptimization(t0.Add(time.Second)))
	if ch := f.ApplyOptimization(old, t0.Add(2*time.Second)); ch != nil {
		t.Fatalf("stale result applied: %+v", ch)
	}
	if ch := f.ApplyOptimization(fresh, t0.Add(2*time.Second)); len(ch) != 3 {
		t.Fatalf("fresh result: %+v, want kiosk in, ann and bob out", ch)
	}
	if ch := f.ApplyOptimization(fresh, t0.Add(3*time.Second)); ch != nil {
		t.Fatalf("a result applied twice: %+v", ch)
	}
}

// The optimizer never raises consumption: when grants made since the snapshot would need
// more licenses than are held now, the current licenses stay.
func TestApplyNeverRaisesConsumption(t *testing.T) {
	f := newUD(t, 10, 0)
	f.Restore([]Edge{{User: "ann", Device: "kiosk", First: t0, LastSeen: t0, Live: 1}},
		[]License{{Kind: KindDevice, Name: "kiosk", Since: t0}}, 0, 0)
	r := Optimize(f.PrepareOptimization(t0)) // one pair: {ann}
	if d := mustConnect(t, f, "bob", "kiosk", t0); d.Kind != KindDevice || d.NewLicense {
		t.Fatalf("bob on the licensed kiosk: %+v", d)
	}
	if ch := f.ApplyOptimization(r, t0); ch != nil {
		t.Fatalf("apply changed %+v, want nothing ({ann, kiosk} is worse than {kiosk})", ch)
	}
	if _, devices := licensed(f, t0); !equalStrings(devices, []string{"kiosk"}) {
		t.Fatalf("devices %v, want kiosk", devices)
	}
}

// Pairs whose lease ended are left out of the cover even before Expire drops them.
func TestOptimizeLeavesOutEndedLeases(t *testing.T) {
	f := newUD(t, 10, 0)
	mustConnect(t, f, "ann", "kiosk", t0)
	mustConnect(t, f, "bob", "kiosk", t0)
	mustConnect(t, f, "cid", "kiosk", t0.Add(50*day))
	f.Disconnect("ann", "kiosk", t0)
	f.Disconnect("bob", "kiosk", t0)
	optimize(f, t0.Add(50*day)) // {kiosk}
	now := t0.Add(91 * day)
	in := f.PrepareOptimization(now)
	if in.Pairs() != 1 {
		t.Fatalf("snapshot at day 91 holds %d pairs, want only cid's", in.Pairs())
	}
	f.ApplyOptimization(Optimize(in), now)
	if users, devices := licensed(f, now); !equalStrings(users, []string{"cid"}) || len(devices) != 0 {
		t.Fatalf("users %v devices %v, want cid only", users, devices)
	}
}
