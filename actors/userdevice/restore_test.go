package userdevice

import (
	"reflect"
	"testing"
	"time"
)

// A feature rebuilt from its persisted pairs, licenses and release counters reports the same
// usage and keeps the same leases.
func TestRestoreRoundTrip(t *testing.T) {
	f := newUD(t, 10, 1)
	mustConnect(t, f, "ann", "kiosk", t0)
	mustConnect(t, f, "bob", "kiosk", t0)
	mustConnect(t, f, "cid", "pc", t0)
	mustConnect(t, f, "old", "pc9", t0)
	f.Disconnect("ann", "kiosk", t0.Add(time.Hour))
	optimize(f, t0.Add(time.Hour))
	if _, err := f.Release(KindUser, "old", t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	now := t0.Add(2 * time.Hour)
	ru, rd := f.ReleasedCounts()
	g := newUD(t, 10, 1)
	if ch := g.Restore(f.Edges(), f.Licenses(now), ru, rd); len(ch) != 0 {
		t.Fatalf("restoring a consistent state changed %+v", ch)
	}
	a, b := f.Snapshot(now), g.Snapshot(now)
	a.LastOptimization, a.NextOptimization, b.LastOptimization, b.NextOptimization = time.Time{}, time.Time{}, time.Time{}, time.Time{}
	if !reflect.DeepEqual(a, b) {
		t.Fatalf("restored usage differs:\n got %+v\nwant %+v", b, a)
	}
	if r := g.Expire(t0.Add(time.Hour + 90*day + time.Second)); len(r) != 1 || r[0].User != "ann" {
		t.Fatalf("restored leases: released %+v, want ann/kiosk", r)
	}
}

// Records that disagree (a crash between writes) are repaired: a pair without a covering
// license is covered by its user, a license without pairs is dropped.
func TestRestoreRepairsCover(t *testing.T) {
	f := newUD(t, 10, 0)
	edges := []Edge{
		{User: "ann", Device: "pc", First: t0, LastSeen: t0},
		{User: "bob", Device: "kiosk", First: t0, LastSeen: t0},
	}
	licenses := []License{
		{Kind: KindDevice, Name: "kiosk", Since: t0},
		{Kind: KindUser, Name: "gone", Since: t0},
	}
	ch := f.Restore(edges, licenses, 0, 0)
	want := []Change{
		{Kind: KindUser, Name: "gone"},
		{Kind: KindUser, Name: "ann", Licensed: true, Since: t0},
	}
	if !reflect.DeepEqual(ch, want) {
		t.Fatalf("repairs %+v, want %+v", ch, want)
	}
	if users, devices := licensed(f, t0); !equalStrings(users, []string{"ann"}) || !equalStrings(devices, []string{"kiosk"}) {
		t.Fatalf("users %v devices %v", users, devices)
	}
}

// "udadmin -events": every kind of event in time order; the ring is bounded and a reader
// drains what is new by sequence number.
func TestEvents(t *testing.T) {
	cfg := DefaultConfig()
	cfg.EventCapacity = 6
	f := NewFeature("F", ModelUserDevice, 10, 0, cfg)
	mustConnect(t, f, "ann", "kiosk", t0)                  // connect, assigned
	mustConnect(t, f, "bob", "kiosk", t0.Add(time.Second)) // connect, assigned
	f.Disconnect("bob", "kiosk", t0.Add(2*time.Second))    // disconnect
	optimize(f, t0.Add(3*time.Second))                     // in kiosk, out ann, out bob
	ev := f.Events()
	if len(ev) != 6 || ev[0].Seq != 3 || ev[5].Seq != 8 {
		t.Fatalf("ring of 6 after 8 events: %d events from seq %d", len(ev), ev[0].Seq)
	}
	types := []EventType{EventConnect, EventLicenseAssigned, EventDisconnect, EventOptimizedIn, EventOptimizedOut, EventOptimizedOut}
	for i, e := range ev {
		if e.Type != types[i] {
			t.Errorf("event %d: %v, want %v", i, e, types[i])
		}
		if i > 0 && e.Time.Before(ev[i-1].Time) {
			t.Errorf("event %d out of time order", i)
		}
	}
	if ev[3].Kind != KindDevice || ev[3].Name != "kiosk" {
		t.Errorf("optimizer event %+v, want kiosk assigned", ev[3])
	}
	drained := f.EventsSince(7, nil)
	if len(drained) != 1 || drained[0].Seq != 8 {
		t.Fatalf("EventsSince(7): %+v, want only seq 8", drained)
	}
	f.Release(KindDevice, "kiosk", t0.Add(4*time.Second))
	f.Expire(t0.Add(200 * day))
	tail := f.EventsSince(8, nil)
	if len(tail) < 2 || tail[0].Type != EventReleased || tail[0].Name != "kiosk" || tail[1].Type != EventLicenseEnded {
		t.Fatalf("after release: %+v, want released then license ended", tail)
	}
	if s := tail[0].String(); s != `2024-08-12 09:00:04 released device "kiosk"` {
		t.Errorf("event line %q", s)
	}
}

func TestExpireEvents(t *testing.T) {
	f := newUD(t, 10, 0)
	mustConnect(t, f, "ann", "pc", t0)
	f.Disconnect("ann", "pc", t0)
	f.Expire(t0.Add(91 * day))
	ev := f.EventsSince(3, nil)
	if len(ev) != 2 || ev[0].Type != EventLeaseExpired || ev[0].User != "ann" || ev[1].Type != EventLicenseEnded {
		t.Fatalf("expiry events %+v, want lease expired then license ended", ev)
	}
}

func TestResumeEvents(t *testing.T) {
	f := newUD(t, 10, 0)
	f.ResumeEvents(41)
	mustConnect(t, f, "ann", "pc", t0)
	ev := f.Events()
	if len(ev) != 2 || ev[0].Seq != 42 || ev[1].Seq != 43 {
		t.Fatalf("events after resuming at 41: %+v, want seq 42 and 43", ev)
	}
	if got := f.EventsSince(42, nil); len(got) != 1 || got[0].Seq != 43 {
		t.Fatalf("EventsSince(42): %+v", got)
	}
}

func TestLicenseLastSeen(t *testing.T) {
	f := newUD(t, 10, 0)
	mustConnect(t, f, "ann", "pc", t0)
	mustConnect(t, f, "ann", "phone", t0.Add(time.Hour))
	f.Disconnect("ann", "pc", t0.Add(2*time.Hour))
	l := f.Licenses(t0.Add(3 * time.Hour))
	if len(l) != 1 || !l[0].LastSeen.Equal(t0.Add(2*time.Hour)) || !l[0].Since.Equal(t0) {
		t.Fatalf("license %+v, want since t0 and last seen 2 h later", l)
	}
}
