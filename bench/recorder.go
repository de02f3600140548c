package bench

import (
	"errors"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/licd/licd/wire"
)

// Latencies are recorded in microseconds from 1 µs to 2 minutes with 3 significant digits.
const (
	histMinMicros = 1
	histMaxMicros = int64(2 * time.Minute / time.Microsecond)
	histDigits    = 3
	// recorderShards spreads the histograms' locks: a worker records into shard worker%N.
	recorderShards  = 32
	maxErrorSamples = 5
)

// Recorder counts one phase's operations: latencies in HDR histograms (one per series, each
// sharded so that thousands of workers do not contend on one lock), denials by result code
// and errors with a few distinct samples. It is safe for concurrent use.
type Recorder struct {
	ops      atomic.Int64
	errs     atomic.Int64
	denials  atomic.Int64
	requests atomic.Int64

	mu      sync.Mutex // guards the maps below
	series  map[string]*series
	byCode  map[wire.Code]int64
	samples []string
	sampled map[string]bool
}

type series struct {
	shards [recorderShards]struct {
		mu sync.Mutex
		h  *hdrhistogram.Histogram
	}
}

func newSeries() *series {
	s := &series{}
	for i := range s.shards {
		s.shards[i].h = hdrhistogram.New(histMinMicros, histMaxMicros, histDigits)
	}
	return s
}

// NewRecorder makes an empty recorder.
func NewRecorder() *Recorder {
	return &Recorder{series: make(map[string]*series), byCode: make(map[wire.Code]int64), sampled: make(map[string]bool)}
}

// OpSeries is the series of whole operations; others are sub-steps (checkout, checkin, ...).
const OpSeries = "op"

func (r *Recorder) get(name string) *series {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.series[name]
	if s == nil {
		s = newSeries()
		r.series[name] = s
	}
	return s
}

// Observe records one latency in the named series; worker picks the shard.
func (r *Recorder) Observe(name string, worker int, d time.Duration) {
	r.get(name).observe(worker, d)
}

func (s *series) observe(worker int, d time.Duration) {
	us := int64(d / time.Microsecond)
	us = min(max(us, histMinMicros), histMaxMicros)
	sh := &s.shards[uint(worker)%recorderShards]
	sh.mu.Lock()
	_ = sh.h.RecordValue(us) // in range by construction
	sh.mu.Unlock()
}

// Done records the outcome of one whole operation: its latency (when it succeeded or was
// denied: a denial is an answer) and, for a failure, whether it was a denial or an error.
func (r *Recorder) Done(worker int, d time.Duration, err error) {
	r.ops.Add(1)
	var we *wire.Error
	switch {
	case err == nil:
	case errors.As(err, &we) && isDenial(we.Code):
		r.denials.Add(1)
		r.mu.Lock()
		r.byCode[we.Code]++
		r.mu.Unlock()
	default:
		r.Error(err)
		return
	}
	r.Observe(OpSeries, worker, d)
}

// Error counts an error that is not part of an operation's outcome (a failed dial, a
// check that did not hold) and keeps its text if it is one of the first distinct ones.
func (r *Recorder) Error(err error) {
	r.errs.Add(1)
	msg := err.Error()
	if len(msg) > 300 {
		msg = msg[:300] + "..."
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.samples) < maxErrorSamples && !r.sampled[msg] {
		r.sampled[msg] = true
		r.samples = append(r.samples, msg)
	}
}

// isDenial tells a license decision (the server said no) from a failure (it could not answer).
func isDenial(c wire.Code) bool {
	switch c {
	case wire.CodeCannotConnect, wire.CodeProtocol, wire.CodeInternal, wire.CodeShuttingDown,
		wire.CodeBadRequest, wire.CodeNoSession, wire.CodeUnknownHandle:
		return false
	}
	return true
}

// AddRequests counts request/response round trips sent for the phase's operations.
func (r *Recorder) AddRequests(n int64) { r.requests.Add(n) }

// Counts are the running totals, for the progress line.
func (r *Recorder) Counts() (ops, denials, errs int64) {
	return r.ops.Load(), r.denials.Load(), r.errs.Load()
}

// Latency summarises a series in milliseconds.
type Latency struct {
	Count int64   `json:"count"`
	Mean  float64 `json:"mean_ms"`
	P50   float64 `json:"p50_ms"`
	P90   float64 `json:"p90_ms"`
	P99   float64 `json:"p99_ms"`
	P999  float64 `json:"p999_ms"`
	Max   float64 `json:"max_ms"`
}

func (s *series) summary() Latency {
	h := hdrhistogram.New(histMinMicros, histMaxMicros, histDigits)
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.Lock()
		h.Merge(sh.h)
		sh.mu.Unlock()
	}
	ms := func(us int64) float64 { return float64(us) / 1000 }
	return Latency{
		Count: h.TotalCount(), Mean: h.Mean() / 1000,
		P50: ms(h.ValueAtQuantile(50)), P90: ms(h.ValueAtQuantile(90)), P99: ms(h.ValueAtQuantile(99)),
		P999: ms(h.ValueAtQuantile(99.9)), Max: ms(h.Max()),
	}
}

// Latencies summarises every series by name.
func (r *Recorder) Latencies() map[string]Latency {
	r.mu.Lock()
	names := make([]string, 0, len(r.series))
	all := make([]*series, 0, len(r.series))
	for n, s := range r.series {
		names = append(names, n)
		all = append(all, s)
	}
	r.mu.Unlock()
	out := make(map[string]Latency, len(names))
	for i, n := range names {
		out[n] = all[i].summary()
	}
	return out
}

// Denials are the denials by result code, keyed "CODE text" ("-4 Licensed number of users
// already reached.").
func (r *Recorder) Denials() map[string]int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make(map[string]int64, len(r.byCode))
	for c, n := range r.byCode {
		out[strconv.Itoa(int(c))+" "+c.Text()] = n
	}
	return out
}

// ErrorSamples are the first distinct error texts.
func (r *Recorder) ErrorSamples() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.samples...)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
