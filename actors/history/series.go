package history

import (
	"fmt"
	"time"
)

// Point is a pool's usage at one time of a series: with a step, Installed and InUse are
// the last sample's in the step and Peak and OverdraftInUse the highest.
type Point struct {
	Time           time.Time `json:"time"`
	Installed      int       `json:"installed"`
	InUse          int       `json:"inUse"`
	Peak           int       `json:"peak"`
	OverdraftInUse int       `json:"overdraftInUse"`
}

// PoolSeries is one pool's points, in time order.
type PoolSeries struct {
	Pool           string  `json:"pool"`
	Feature        string  `json:"feature"`
	ProductEdition string  `json:"productEdition"`
	Model          string  `json:"model"`
	CSS            string  `json:"css"`
	Points         []Point `json:"points"`
}

// Series is the historical usage for charts ("Historical Use").
type Series struct {
	Step  time.Duration `json:"step"` // 0: every sample
	Pools []PoolSeries  `json:"pools"`
}

// MaxPoints bounds the points of one query: a chart cannot show more, and a query for
// years of raw samples of every pool would hold the whole history in memory.
const MaxPoints = 2_000_000

// SeriesBuilder collects readings into a Series. Add readings in time order.
type SeriesBuilder struct {
	m        matcher
	s        slots
	from, to int64
	step     int64
	out      Series
	n        int
	err      error
}

// NewSeries starts a series of the pools of c that f matches, one point per step (0: one
// per sample).
func NewSeries(c *Catalog, f Filter, step time.Duration) (*SeriesBuilder, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	if step < 0 || (step > 0 && step < time.Minute) {
		return nil, fmt.Errorf("history: a step of %s is too small: give 0 for every sample, or at least 1m (for example 1h or 24h)", step)
	}
	b := &SeriesBuilder{m: f.matcher(), step: int64(step)}
	b.from, b.to = f.Range()
	b.s = newSlots(c, &b.m)
	b.out.Step = step
	b.out.Pools = make([]PoolSeries, len(b.s.pools))
	for i, p := range b.s.pools {
		b.out.Pools[i] = PoolSeries{Pool: p.ID, Feature: p.Feature, ProductEdition: p.ProductEdition(), Model: p.Model, CSS: p.CSSText(), Points: []Point{}}
	}
	return b, nil
}

// Wants reports whether a reading of this pool number counts.
func (b *SeriesBuilder) Wants(pool uint64) bool { return b.s.slot(pool) >= 0 }

// Add counts one reading taken at t (unix nanoseconds).
func (b *SeriesBuilder) Add(t int64, r *Reading) error {
	if t < b.from || t >= b.to || b.err != nil {
		return b.err
	}
	i := b.s.slot(r.Pool)
	if i < 0 {
		return nil
	}
	at := t
	if b.step > 0 {
		at = floorDiv(t, b.step) * b.step
	}
	ps := &b.out.Pools[i]
	if n := len(ps.Points); n > 0 && ps.Points[n-1].Time.UnixNano() == at {
		p := &ps.Points[n-1]
		p.Installed, p.InUse = int(r.Installed), int(r.InUse)
		p.Peak = max(p.Peak, int(r.Peak), int(r.InUse))
		p.OverdraftInUse = max(p.OverdraftInUse, int(r.OverdraftInUse))
		return nil
	}
	if b.n++; b.n > MaxPoints {
		b.err = fmt.Errorf("history: the query has more than %d points: narrow the date range or the pools, or give a larger step", MaxPoints)
		return b.err
	}
	ps.Points = append(ps.Points, Point{Time: time.Unix(0, at).UTC(), Installed: int(r.Installed), InUse: int(r.InUse),
		Peak: max(int(r.Peak), int(r.InUse)), OverdraftInUse: int(r.OverdraftInUse)})
	return nil
}

// Result is the series built.
func (b *SeriesBuilder) Result() (Series, error) { return b.out, b.err }
