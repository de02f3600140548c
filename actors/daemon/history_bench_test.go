package daemon

import (
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/licd/licd/actors/history"
	"github.com/licd/licd/storage"
)

// A year of 15-minute samples of 200 pools must export in under a second (issue 10).
func BenchmarkHistoryExportYear(b *testing.B) {
	st, err := storage.Open(b.TempDir(), storage.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	h, err := openHistory(st, 0)
	if err != nil {
		b.Fatal(err)
	}
	const pools = 200
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	batch := storage.NewBatch()
	for i := range pools {
		p := history.Pool{ID: fmt.Sprintf("XDT_P%03d_UD/2025.0101/%08x", i, i), Feature: fmt.Sprintf("XDT_P%03d_UD", i), Model: "User/Device", CSS: 20250101}
		_, e := h.cat.Number(p)
		batch.PutHistoryPool(&storage.HistoryPool{No: e.No, ID: e.ID, Feature: e.Feature, Model: e.Model, CSS: e.CSS})
	}
	tick := storage.HistoryTick{Readings: make([]storage.HistoryReading, pools)}
	n := 0
	for at := start; at.Before(start.AddDate(1, 0, 0)); at = at.Add(history.DefaultInterval) {
		tick.Time = at.UnixNano()
		for i := range tick.Readings {
			u := uint64((n + i) % 120)
			tick.Readings[i] = storage.HistoryReading{Pool: uint64(i + 1), Installed: 110, InUse: u, Peak: u + 3, OverdraftInUse: max(u, 100) - 100}
		}
		batch.PutHistoryTick(&tick)
		if n++; n%500 == 0 {
			if err := st.Commit(batch); err != nil {
				b.Fatal(err)
			}
			batch.Reset()
		}
	}
	if err := st.Commit(batch); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if err := h.export(io.Discard, history.Filter{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n), "samples")
}
