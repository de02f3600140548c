package daemon

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/licd/licd/actors/history"
	"github.com/licd/licd/license"
	"github.com/licd/licd/storage"
	"github.com/licd/licd/wire"
)

var updateGolden = flag.Bool("update-history", false, "rewrite the historical usage golden files in testdata/")

// histStart is a Monday; the walked clock starts there.
var histStart = time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)

func memStore(t *testing.T, fs vfs.FS) *storage.Store {
	t.Helper()
	st, err := storage.Open("db", storage.Options{FS: fs})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// histInventory: a concurrent pool, a user/device feature with two pools (overdraft), and
// the start-up license.
func histInventory() *license.Inventory {
	p := func(id, feature string, m license.Model, css license.CSSDate, count, over int) *license.Pool {
		return &license.Pool{ID: id, Feature: feature, Model: m, CSS: css, Count: count, Overdraft: over, Permanent: true}
	}
	return &license.Inventory{Pools: []*license.Pool{
		p("CITRIX/2038.0101/0001", "CITRIX", license.ModelServer, 20380101, 10000, 0),
		p("XDT_PLT_CCU/2025.0601/0002", "XDT_PLT_CCU", license.ModelConcurrent, 20250601, 10, 0),
		p("XDT_PLT_UD/2024.0101/0003", "XDT_PLT_UD", license.ModelUserDevice, 20240101, 100, 10),
		p("XDT_PLT_UD/2025.0101/0004", "XDT_PLT_UD", license.ModelUserDevice, 20250101, 50, 5),
	}}
}

// histStatus is the pools' status at t, as the sampler would read it: a working-day load
// with a logon storm between samples every third day at 9:07 (seen only as a peak).
func histStatus(t time.Time) []wire.FeatureStatus {
	h := t.Hour()
	load := 0
	if wd := t.Weekday(); wd != time.Saturday && wd != time.Sunday && h >= 8 && h < 18 {
		load = 20 + (h-8)*15 + t.Minute()/15
	}
	storm := 0
	day := int(t.Sub(histStart) / (24 * time.Hour))
	if day%3 == 0 && h == 9 && t.Minute() == 15 {
		storm = 140 // the burst at 9:07 went back before this sample
	}
	ccu := min(load/10, 10)
	return []wire.FeatureStatus{
		{Feature: "CITRIX", Model: "Server", InUse: 2, Pools: []wire.PoolStatus{{ID: "CITRIX/2038.0101/0001", InUse: 2, PeakInUse: 2}}},
		{Feature: "XDT_PLT_CCU", Model: "Concurrent", InUse: ccu, Pools: []wire.PoolStatus{{ID: "XDT_PLT_CCU/2025.0601/0002", InUse: ccu, PeakInUse: ccu + storm/10}}},
		{Feature: "XDT_PLT_UD", Model: "User/Device", InUse: load, PeakInUse: load + storm,
			Pools: []wire.PoolStatus{{ID: "XDT_PLT_UD/2024.0101/0003"}, {ID: "XDT_PLT_UD/2025.0101/0004"}}},
	}
}

// walk records a sample every 15 minutes from start for days, as the sampler does.
func walk(t *testing.T, h *historyDB, start time.Time, days int) time.Time {
	t.Helper()
	inv := histInventory()
	at := start
	for end := start.AddDate(0, 0, days); at.Before(end); at = at.Add(history.DefaultInterval) {
		if err := h.record(at, history.Observe(histStatus(at), inv)); err != nil {
			t.Fatal(err)
		}
	}
	return at
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *updateGolden {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update-history to create it)", err)
	}
	if got != string(want) {
		t.Fatalf("%s differs:\ngot:\n%s\nwant:\n%s", path, got, want)
	}
}

// "Export historical usage data": two weeks of 15-minute samples, walked in milliseconds
// through the sampler's functions and the store, exported as the daily CSV.
func TestHistoryCSVGolden(t *testing.T) {
	st := memStore(t, vfs.NewMem())
	defer st.Close()
	h, err := openHistory(st, 0)
	if err != nil {
		t.Fatal(err)
	}
	walk(t, h, histStart, 14)
	for _, c := range []struct {
		file string
		f    history.Filter
	}{
		{"history_all.csv", history.Filter{}},
		// The manual's filters: Product & Edition, Model, CSS date, a date range.
		{"history_filtered.csv", history.Filter{ProductEdition: "XDT_PLT", Model: "UD", CSS: 20250101,
			From: histStart.AddDate(0, 0, 2), To: histStart.AddDate(0, 0, 5)}},
	} {
		var b strings.Builder
		if err := h.export(&b, c.f); err != nil {
			t.Fatal(err)
		}
		golden(t, c.file, b.String())
	}
}

// Retention: samples older than it are deleted by range while sampling, and at once when
// an administrator shortens it; the setting and the pool catalog survive a restart.
func TestHistoryRetentionPrunes(t *testing.T) {
	fs := vfs.NewMem()
	st := memStore(t, fs)
	h, err := openHistory(st, 2*24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	end := walk(t, h, histStart, 5)
	oldest := func(h *historyDB) time.Time {
		s, err := h.series(history.Filter{ProductEdition: "CITRIX"}, 0)
		if err != nil {
			t.Fatal(err)
		}
		return s.Pools[0].Points[0].Time
	}
	if got, limit := oldest(h), end.Add(-2*24*time.Hour-pruneEvery-history.DefaultInterval); got.Before(limit) {
		t.Fatalf("oldest sample %s, want none before %s (2 days retention, pruned hourly)", got, limit)
	}
	if err := h.setRetention(time.Minute, end); err == nil || !strings.Contains(err.Error(), "between 1 day and 10 years") {
		t.Fatalf("a one-minute retention: %v", err)
	}
	if err := h.setRetention(24*time.Hour, end); err != nil {
		t.Fatal(err)
	}
	if got := oldest(h); got.Before(end.Add(-24 * time.Hour)) {
		t.Fatalf("oldest sample %s after shortening to a day at %s", got, end)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	st = memStore(t, fs)
	defer st.Close()
	h2, err := openHistory(st, 0)
	if err != nil {
		t.Fatal(err)
	}
	if h2.Retention() != 24*time.Hour {
		t.Fatalf("retention after a restart %s, want 24h", h2.Retention())
	}
	walk(t, h2, end, 1)
	s, err := h2.series(history.Filter{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Pools) != 4 {
		t.Fatalf("%d pools after a restart, want the same 4 (catalog reloaded, not renumbered)", len(s.Pools))
	}
}
