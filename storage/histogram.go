package storage

import (
	"sync/atomic"
)

// Histogram counts observations of a non-negative integer quantity (records, nanoseconds) in
// fixed buckets with atomic adds only: no lock, no allocation, safe from any goroutine. It
// is how the committer and the actors measure themselves without knowing who reads the
// figures (the Prometheus exporter in http/metrics turns a snapshot into a histogram).
type Histogram struct {
	bounds []uint64        // upper bounds, ascending; an observation v goes in the first bucket with v <= bound
	counts []atomic.Uint64 // len(bounds)+1: the last one is +Inf
	sum    atomic.Uint64
}

// NewHistogram makes a histogram with these ascending upper bounds.
func NewHistogram(bounds ...uint64) *Histogram {
	return &Histogram{bounds: bounds, counts: make([]atomic.Uint64, len(bounds)+1)}
}

// Observe adds one observation.
func (h *Histogram) Observe(v uint64) {
	i := 0
	for i < len(h.bounds) && v > h.bounds[i] {
		i++
	}
	h.counts[i].Add(1)
	h.sum.Add(v)
}

// HistogramSnapshot is a histogram's state: Counts[i] observations were at most Bounds[i]
// (not cumulative); Counts has one more entry, the observations above every bound.
type HistogramSnapshot struct {
	Bounds []uint64
	Counts []uint64
	Count  uint64
	Sum    uint64
}

// Snapshot reads the histogram. Buckets are read one by one while observations may go on:
// Count is the sum of the buckets read, so they always agree; Sum may be an observation or
// two ahead of them.
func (h *Histogram) Snapshot() HistogramSnapshot {
	s := HistogramSnapshot{Bounds: h.bounds, Counts: make([]uint64, len(h.counts))}
	for i := range h.counts {
		s.Counts[i] = h.counts[i].Load()
		s.Count += s.Counts[i]
	}
	s.Sum = h.sum.Load()
	return s
}

// ExponentialBounds returns n bounds start, start*factor, start*factor², ...
func ExponentialBounds(start, factor uint64, n int) []uint64 {
	out := make([]uint64, n)
	for i := range out {
		out[i] = start
		start *= factor
	}
	return out
}
