package daemon_test

import (
	"testing"
	"time"

	"github.com/licd/licd/actors/daemon"
	"github.com/licd/licd/actors/history"
	"github.com/licd/licd/license"
)

// "Historical Use": a burst of checkouts and check-ins between two samples is not lost: the
// next sample carries it as its peak, with the in-use count back down.
func TestHistoryPeakBetweenSamplesE2E(t *testing.T) {
	f := newFixture(t)
	f.issue("ccs.lic", license.LineSpec{Feature: "XDT_PLT_CCS", Count: 20})
	s := f.start("-history-interval", "300ms")
	c := dial(t, s, "XDT")
	token := adminToken(t, f)
	series := func() history.Series {
		var out history.Series
		if err := c.Admin(ctx(t), token, "history.series", daemon.HistoryArgs{ProductEdition: "XDT_PLT"}, &out); err != nil {
			t.Fatal(err)
		}
		return out
	}
	points := func() []history.Point {
		s := series()
		if len(s.Pools) == 0 {
			return nil
		}
		return s.Pools[0].Points
	}
	eventually(t, 20*time.Second, "a first sample", func() bool { return len(points()) > 0 })
	var handles []uint64
	for i := range 7 {
		g := grant(t, c, "XDT_PLT_CCS", "burst-dev-"+string(rune('a'+i)), 20240101)
		handles = append(handles, g.Handle)
	}
	for _, h := range handles[1:] {
		if err := c.Checkin(ctx(t), h); err != nil {
			t.Fatal(err)
		}
	}
	var found bool
	eventually(t, 20*time.Second, "a sample with the burst's peak", func() bool {
		for _, p := range points() {
			if p.Peak == 7 && p.InUse == 1 {
				found = true
			}
		}
		return found
	})
	var r map[string]any
	if err := c.Admin(ctx(t), token, "history.retention", daemon.HistoryArgs{Retention: "1m"}, &r); err == nil {
		t.Fatal("a one-minute retention was accepted")
	}
}
