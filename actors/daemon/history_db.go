package daemon

import (
	"encoding/binary"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/licd/licd/actors/history"
	"github.com/licd/licd/storage"
)

// historyRetentionKey is the setting holding the retention an administrator chose
// ("Historical Use": "You can view and specify the data retention period by selecting
// Change"), u64be nanoseconds.
const historyRetentionKey = "history/retention"

// pruneEvery is how often expired samples are deleted (by range) while sampling.
const pruneEvery = time.Hour

// historyDB is historical usage in the store: the pool catalog, the retention, recording
// samples and answering queries. The mutex guards the catalog and the retention; it is
// taken by the sampler and by admin queries, never by the checkout path.
type historyDB struct {
	store *storage.Store

	mu        sync.Mutex
	cat       history.Catalog
	retention time.Duration
	lastPrune time.Time
	tick      storage.HistoryTick
}

// openHistory loads the catalog and the retention (def when none was set).
func openHistory(store *storage.Store, def time.Duration) (*historyDB, error) {
	if def <= 0 {
		def = history.DefaultRetention
	}
	h := &historyDB{store: store, retention: def}
	pools, err := store.HistoryPools()
	if err != nil {
		return nil, fmt.Errorf("read the historical usage pools: %w", err)
	}
	cat := make([]history.Pool, len(pools))
	for i, p := range pools {
		cat[i] = history.Pool{No: p.No, ID: p.ID, Feature: p.Feature, Model: p.Model, CSS: p.CSS}
	}
	h.cat.Load(cat)
	v, ok, err := store.Setting(historyRetentionKey)
	if err != nil {
		return nil, fmt.Errorf("read the historical usage retention: %w", err)
	}
	if ok && len(v) == 8 {
		h.retention = time.Duration(binary.BigEndian.Uint64(v))
	}
	return h, nil
}

// record stores one sample of every pool taken at now, and deletes expired samples when
// due.
func (h *historyDB) record(now time.Time, obs []history.Observation) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	b := storage.NewBatch()
	h.tick.Time = now.UnixNano()
	h.tick.Readings = h.tick.Readings[:0]
	for i := range obs {
		o := &obs[i]
		no, entry := h.cat.Number(o.Pool)
		if entry != nil {
			b.PutHistoryPool(&storage.HistoryPool{No: entry.No, ID: entry.ID, Feature: entry.Feature, Model: entry.Model, CSS: entry.CSS})
		}
		h.tick.Readings = append(h.tick.Readings, storage.HistoryReading{Pool: no, Installed: uint64(o.Installed),
			InUse: uint64(o.InUse), Peak: uint64(o.Peak), OverdraftInUse: uint64(o.OverdraftInUse)})
	}
	b.PutHistoryTick(&h.tick)
	if now.Sub(h.lastPrune) >= pruneEvery || now.Before(h.lastPrune) {
		b.DeleteHistoryBefore(history.Cutoff(now, h.retention).UnixNano())
		h.lastPrune = now
	}
	if err := h.store.Commit(b); err != nil {
		return fmt.Errorf("store a historical usage sample: %w", err)
	}
	return nil
}

// Retention is the retention in force.
func (h *historyDB) Retention() time.Duration {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.retention
}

// setRetention validates, persists and applies a retention, deleting what it expires at
// now at once.
func (h *historyDB) setRetention(d time.Duration, now time.Time) error {
	if err := history.ValidateRetention(d); err != nil {
		return err
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	b := storage.NewBatch()
	b.PutSetting(historyRetentionKey, binary.BigEndian.AppendUint64(nil, uint64(d)))
	b.DeleteHistoryBefore(history.Cutoff(now, d).UnixNano())
	if err := h.store.Commit(b); err != nil {
		return fmt.Errorf("store the historical usage retention: %w", err)
	}
	h.retention, h.lastPrune = d, now
	return nil
}

// adder is what a query feeds readings to.
type adder interface {
	Wants(pool uint64) bool
	Add(t int64, r *history.Reading) error
}

// walk feeds the samples in f's range to a.
func (h *historyDB) walk(f history.Filter, a adder) error {
	from, to := f.Range()
	return h.store.HistoryTicks(from, to, func(t *storage.HistoryTick) error {
		for i := range t.Readings {
			r := (*history.Reading)(&t.Readings[i])
			if !a.Wants(r.Pool) {
				continue
			}
			if err := a.Add(t.Time, r); err != nil {
				return err
			}
		}
		return nil
	})
}

// series answers a chart query.
func (h *historyDB) series(f history.Filter, step time.Duration) (history.Series, error) {
	h.mu.Lock()
	b, err := history.NewSeries(&h.cat, f, step)
	h.mu.Unlock()
	if err != nil {
		return history.Series{}, err
	}
	if err := h.walk(f, b); err != nil {
		return history.Series{}, err
	}
	return b.Result()
}

// export writes the daily CSV.
func (h *historyDB) export(w io.Writer, f history.Filter) error {
	h.mu.Lock()
	e, err := history.NewExport(w, &h.cat, f)
	h.mu.Unlock()
	if err != nil {
		return err
	}
	if err := h.walk(f, e); err != nil {
		return err
	}
	return e.Close()
}
