package history

import (
	"strings"
	"testing"
	"time"

	"github.com/licd/licd/license"
	"github.com/licd/licd/wire"
)

func pool(id, feature string, m license.Model, css license.CSSDate, count, overdraft int) *license.Pool {
	return &license.Pool{ID: id, Feature: feature, Model: m, CSS: css, Count: count, Overdraft: overdraft, Permanent: true}
}

// User/device features count their pools together: the use is attributed earliest CSS date
// first, purchased counts, then overdrafts, the rest to the last pool.
func TestObserveSpreadsUserDeviceUse(t *testing.T) {
	inv := &license.Inventory{Pools: []*license.Pool{
		pool("UD/a", "XDT_PLT_UD", license.ModelUserDevice, 20230101, 10, 1),
		pool("UD/b", "XDT_PLT_UD", license.ModelUserDevice, 20240101, 20, 2),
	}}
	fs := []wire.FeatureStatus{{Feature: "XDT_PLT_UD", Model: "User/Device", InUse: 31, PeakInUse: 40,
		Pools: []wire.PoolStatus{{ID: "UD/a"}, {ID: "UD/b"}}}}
	obs := Observe(fs, inv)
	if len(obs) != 2 {
		t.Fatalf("%d observations, want 2", len(obs))
	}
	a, b := obs[0], obs[1]
	if a.Pool.CSS != 20230101 || a.Installed != 11 || a.InUse != 11 || a.OverdraftInUse != 1 || a.Peak != 11 {
		t.Fatalf("first pool %+v, want 11 of 11 installed in use, 1 in overdraft, peak 11", a)
	}
	// 31 = 10 + 20 purchased, then 1 overdraft of the first pool: the second has none over.
	if b.Installed != 22 || b.InUse != 20 || b.OverdraftInUse != 0 || b.Peak != 29 {
		t.Fatalf("second pool %+v, want 20 in use of 22, peak 29 (40 - 11)", b)
	}
}

func TestObserveConcurrentPools(t *testing.T) {
	inv := &license.Inventory{Pools: []*license.Pool{pool("CCU/a", "XDT_PLT_CCU", license.ModelConcurrent, 20240101, 5, 0)}}
	fs := []wire.FeatureStatus{{Feature: "XDT_PLT_CCU", Model: "Concurrent", Pools: []wire.PoolStatus{
		{ID: "CCU/a", InUse: 7, PeakInUse: 9},
		{ID: "CCU/gone", Version: "2022.0101", InUse: 1}, // expired, still held
	}}}
	obs := Observe(fs, inv)
	if o := obs[0]; o.Pool.ID != "CCU/a" || o.Installed != 5 || o.InUse != 7 || o.Peak != 9 || o.OverdraftInUse != 2 {
		t.Fatalf("%+v: want 7 in use of 5 (2 beyond the count, burst mode), peak 9", o)
	}
	if o := obs[1]; o.Pool.CSS != 20220101 || o.Installed != 0 || o.InUse != 1 || o.Peak != 1 {
		t.Fatalf("%+v: a pool out of the inventory has nothing installed", o)
	}
}

func TestCatalogNumbersOnce(t *testing.T) {
	var c Catalog
	p := Pool{ID: "A", Feature: "XDT_PLT_UD", Model: "User/Device", CSS: 20240101}
	no, store := c.Number(p)
	if no != 1 || store == nil {
		t.Fatalf("first number %d (store %v), want 1 and an entry to store", no, store)
	}
	if no2, store := c.Number(p); no2 != 1 || store != nil {
		t.Fatalf("again: %d %v, want 1 and nothing to store", no2, store)
	}
	var d Catalog
	d.Load(c.Pools())
	if no, store := d.Number(Pool{ID: "B"}); no != 2 || store == nil {
		t.Fatalf("after a reload the next pool got %d, want 2", no)
	}
}

func TestFilterErrors(t *testing.T) {
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		f    Filter
		want string
	}{
		{Filter{From: at, To: at}, "date range is empty"},
		{Filter{Model: "Banana"}, "unknown model"},
		{Filter{CSS: 20241341}, "not a date"},
	} {
		err := c.f.Validate()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: got %v, want %q", c.f, err, c.want)
		}
	}
	for _, ok := range []Filter{{Model: "ud"}, {Model: "user/device"}, {ProductEdition: "XDT_PLT", CSS: 20240101}} {
		if err := ok.Validate(); err != nil {
			t.Errorf("%+v: %v", ok, err)
		}
	}
}

func TestRetentionBounds(t *testing.T) {
	for _, d := range []time.Duration{0, -time.Hour, time.Hour, 11 * 366 * 24 * time.Hour} {
		if err := ValidateRetention(d); err == nil {
			t.Errorf("retention %s accepted", d)
		}
	}
	if err := ValidateRetention(DefaultRetention); err != nil {
		t.Fatal(err)
	}
}

func TestNextSampleOnQuarterHours(t *testing.T) {
	now := time.Date(2026, 3, 1, 10, 7, 12, 0, time.UTC)
	if got := NextSample(now, DefaultInterval); !got.Equal(time.Date(2026, 3, 1, 10, 15, 0, 0, time.UTC)) {
		t.Fatalf("next sample %s", got)
	}
}

func catalog(pools ...Pool) *Catalog {
	var c Catalog
	for _, p := range pools {
		c.Number(p)
	}
	return &c
}

// Downsampling: installed and in use are the step's last sample, peak and overdraft its
// highest.
func TestSeriesStep(t *testing.T) {
	c := catalog(Pool{ID: "A", Feature: "XDT_PLT_CCU", Model: "Concurrent", CSS: 20240101},
		Pool{ID: "B", Feature: "XDT_ENT_CCU", Model: "Concurrent", CSS: 20240101})
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	b, err := NewSeries(c, Filter{ProductEdition: "xdt_plt"}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range []Reading{{1, 10, 3, 4, 0}, {1, 10, 8, 12, 2}, {1, 10, 2, 2, 0}, {1, 10, 5, 5, 0}, {2, 10, 9, 9, 0}} {
		at := t0.Add(time.Duration(i) * 20 * time.Minute)
		if err := b.Add(at.UnixNano(), &r); err != nil {
			t.Fatal(err)
		}
	}
	s, err := b.Result()
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Pools) != 1 || s.Pools[0].Pool != "A" {
		t.Fatalf("pools %+v, want A only", s.Pools)
	}
	want := []Point{{Time: t0, Installed: 10, InUse: 2, Peak: 12, OverdraftInUse: 2}, {Time: t0.Add(time.Hour), Installed: 10, InUse: 5, Peak: 5}}
	got := s.Pools[0].Points
	if len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("points %+v, want %+v", got, want)
	}
	if _, err := NewSeries(c, Filter{}, time.Second); err == nil {
		t.Fatal("a one-second step was accepted")
	}
}

// One row per pool per day, the day's highest peak, installed and overdraft.
func TestExportDaily(t *testing.T) {
	c := catalog(Pool{ID: "XDT_PLT_UD/2024.0101/x", Feature: "XDT_PLT_UD", Model: "User/Device", CSS: 20240101})
	var sb strings.Builder
	e, err := NewExport(&sb, c, Filter{})
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 1, 1, 23, 30, 0, 0, time.UTC)
	for i, r := range []Reading{{1, 110, 50, 60, 0}, {1, 110, 20, 105, 0}, {1, 110, 101, 101, 1}} {
		if err := e.Add(t0.Add(time.Duration(i)*15*time.Minute).UnixNano(), &r); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(sb.String()), "\n")
	want := []string{
		"2026-01-01,XDT_PLT,User/Device,2024.0101,110,105,0,XDT_PLT_UD/2024.0101/x",
		"2026-01-02,XDT_PLT,User/Device,2024.0101,110,101,1,XDT_PLT_UD/2024.0101/x",
	}
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "date (UTC day") || lines[1] != want[0] || lines[2] != want[1] {
		t.Fatalf("CSV:\n%s\nwant header then\n%s", sb.String(), strings.Join(want, "\n"))
	}
}
