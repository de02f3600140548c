package actors

import (
	"bytes"
	"testing"
	"time"

	"github.com/licd/licd/wire"
)

func TestCountersCountWhatTheDebugLogRecords(t *testing.T) {
	var buf bytes.Buffer
	d := NewDebugLog(&buf, "CITRIX")
	defer d.Close()
	d.SetNoLog(LogIn) // NOLOG IN keeps IN lines out of the log, not out of the counts
	c := d.Counters()
	c.Register("F")
	c.Register("G")
	c.Register("F") // twice: the counters stay
	now := time.Now()
	for _, e := range []Event{
		{Kind: LogOut, Feature: "F"},
		{Kind: LogOut, Feature: "F"},
		{Kind: LogIn, Feature: "F", Detail: ReasonCheckin},
		{Kind: LogIn, Feature: "F", Detail: ReasonGoodbye},
		{Kind: LogIn, Feature: "F", Detail: "something new"},
		{Kind: LogDenied, Feature: "F", Code: int32(wire.CodeLicensedNumberReached)},
		{Kind: LogDenied, Feature: "G", Code: int32(wire.CodeReserved)},
		{Kind: LogDenied, Feature: "G", Code: -5000},
		{Kind: LogDenied, Feature: "NOPE", Code: int32(wire.CodeNoSuchFeature)},
		{Kind: LogInfo, Detail: "started"},
	} {
		e.When = now
		d.Record(e)
	}
	c.Optimized("G", 3*time.Millisecond, 2)
	c.Optimized("G", time.Millisecond, -1)
	snap := c.Snapshot()
	if len(snap) != 3 || snap[0].Feature != "F" || snap[1].Feature != "G" || snap[2].Feature != NotServed {
		t.Fatalf("snapshot features: %+v", snap)
	}
	f, g, other := snap[0], snap[1], snap[2]
	if f.Checkouts != 2 || f.Releases["checkin"] != 1 || f.Releases["goodbye"] != 1 || f.Releases["other"] != 1 || len(f.Releases) != 3 {
		t.Fatalf("F: %+v", f)
	}
	if f.Denials[wire.CodeLicensedNumberReached] != 1 || len(f.Denials) != 1 {
		t.Fatalf("F denials: %+v", f.Denials)
	}
	if g.Denials[wire.CodeReserved] != 1 || g.OtherDenials != 1 || g.Checkouts != 0 {
		t.Fatalf("G: %+v", g)
	}
	if g.Optimizations.Count != 2 || g.Optimizations.Sum != uint64(4*time.Millisecond) || g.Saved != 2 {
		t.Fatalf("G optimizations: %+v saved %d", g.Optimizations, g.Saved)
	}
	if other.Denials[wire.CodeNoSuchFeature] != 1 {
		t.Fatalf("not served: %+v", other)
	}
}

func TestCodeSlotsRoundTrip(t *testing.T) {
	for _, c := range []wire.Code{wire.OK, wire.CodeLicensedNumberReached, wire.CodeShuttingDown, wire.CodeNotAuthenticated, -1127, -127} {
		got, ok := slotCode(codeSlot(int32(c)))
		if !ok || got != c {
			t.Fatalf("code %d came back as %d, %v", c, got, ok)
		}
	}
	for _, c := range []int32{1, -128, -999, -1128, -5000} {
		if _, ok := slotCode(codeSlot(c)); ok {
			t.Fatalf("code %d has a slot of its own", c)
		}
	}
}

// Counting a checkout allocates nothing.
func TestCountingAllocatesNothing(t *testing.T) {
	d := NewDebugLog(nil, "CITRIX")
	d.Counters().Register("F")
	e := Event{Kind: LogOut, Feature: "F", User: "u", Host: "h"}
	if n := testing.AllocsPerRun(1000, func() { d.Record(e) }); n != 0 {
		t.Fatalf("%v allocations per recorded event", n)
	}
}
