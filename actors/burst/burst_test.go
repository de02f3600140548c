package burst

import (
	"testing"
	"time"
)

var d0 = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

func day(n int) time.Time { return d0.Add(time.Duration(n) * 24 * time.Hour) }

// The manual's Example 2 ("Overdraft and License burst mode examples"): concurrent
// licenses, the 1001st connection on d0 starts the period, on d15 it runs out and is not
// re-armed until another Retail license is installed.
func TestManualExample2Calendar(t *testing.T) {
	var s State
	steps := []struct {
		at          time.Time
		do          string // "start", "install", ""
		lines       int
		wantStarted bool
		wantActive  bool
		wantEnded   bool
		wantLeft    int
	}{
		{at: d0, do: "install", lines: 1},
		{at: d0, do: "start", lines: 1, wantStarted: true, wantActive: true, wantLeft: 15},
		{at: day(10), wantActive: true, wantLeft: 5},
		{at: day(15).Add(-time.Second), wantActive: true, wantLeft: 1},
		{at: day(15), wantEnded: true},
		{at: day(16), do: "start", lines: 1, wantEnded: true}, // not re-armed by itself
		{at: day(20), do: "install", lines: 2},                // another Retail license
		{at: day(30), do: "start", lines: 2, wantStarted: true, wantActive: true, wantLeft: 15},
	}
	for i, st := range steps {
		started := false
		switch st.do {
		case "start":
			started = s.Start(st.at, st.lines)
		case "install":
			s.Installed(st.lines, st.at)
		}
		if started != st.wantStarted || s.Active(st.at) != st.wantActive || s.Ended(st.at) != st.wantEnded || s.DaysLeft(st.at) != st.wantLeft {
			t.Fatalf("step %d (%s at day %v): started %v active %v ended %v left %d; want %v %v %v %d",
				i, st.do, st.at.Sub(d0).Hours()/24, started, s.Active(st.at), s.Ended(st.at), s.DaysLeft(st.at),
				st.wantStarted, st.wantActive, st.wantEnded, st.wantLeft)
		}
	}
}

// "If you install licenses while the License burst mode is in force, the License Server
// exits the License burst mode"; the new Retail license re-arms it.
func TestInstallDuringBurstEndsAndRearms(t *testing.T) {
	var s State
	s.Installed(1, d0)
	if !s.Start(day(10), 1) {
		t.Fatal("an armed Retail pool did not start its burst")
	}
	if changed := s.Installed(2, day(12)); !changed || s.Active(day(12)) || !s.EndedByInstall.Equal(day(12)) {
		t.Fatalf("install during the burst: changed %v, active %v, ended by install %v", changed, s.Active(day(12)), s.EndedByInstall)
	}
	if !s.Armed(2) {
		t.Fatal("another Retail license did not re-arm burst mode")
	}
	if s.Installed(2, day(13)) {
		t.Fatal("a reread with the same Retail lines changed the state")
	}
}

// Burst mode is only for Retail licenses.
func TestOnlyRetailPoolsBurst(t *testing.T) {
	var s State
	if s.Start(d0, 0) {
		t.Fatal("a pool without Retail lines started a burst")
	}
	for lt, want := range map[string]bool{"Retail": true, "RetailS": true, "NFR": false, "Eval": false, "SYS": false, "": false} {
		if IsRetail(lt) != want {
			t.Errorf("IsRetail(%q) = %v, want %v", lt, !want, want)
		}
	}
}

func TestStateRoundTrip(t *testing.T) {
	var s State
	s.Installed(3, d0)
	s.Start(day(1), 3)
	got, err := Decode(s.Encode())
	if err != nil || !got.Until.Equal(s.Until) || !got.Started.Equal(s.Started) || got.Used != s.Used || got.RetailLines != 3 {
		t.Fatalf("decoded %+v (%v), want %+v", got, err, s)
	}
	if _, err := Decode([]byte("{")); err == nil {
		t.Fatal("a garbled state decoded")
	}
}
