package bench

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// Load is one phase of a scenario: Op run by Workers goroutines, closed loop (each worker
// starts its next operation when the last one ended, after Think) or open loop (operation i
// is due at start + i/Rate, and its latency counts from then, so that a server falling
// behind shows in the figures instead of slowing the offered load: no coordinated omission).
// The phase ends after Duration, or after Ops operations.
type Load struct {
	Name          string
	Primary       bool // the scenario's headline phase
	Warmup        bool // run, shown in the progress line, but not reported
	Workers       int
	Rate          float64
	Duration      time.Duration
	Ops           int64
	Think         time.Duration // closed loop: a worker's pause between operations (jittered ±50%)
	RequestsPerOp int           // request/response round trips per operation, if Op does not count them (Recorder.AddRequests)
	// Op performs operation seq on behalf of worker w. A *wire.Error it returns is a
	// denial; any other error is an error. It may record sub-steps in rec.
	Op func(ctx context.Context, w int, seq int64, rec *Recorder) error
}

// Drive runs a load and returns its phase (also appended to the result unless it is a
// warm-up). It stops early, with what it has, when ctx ends.
func (e *Env) Drive(ctx context.Context, l Load) Phase {
	rec := NewRecorder()
	workers := max(l.Workers, 1)
	if l.Ops > 0 {
		workers = int(min(int64(workers), l.Ops))
	}
	cpu0, self0 := e.serverCPU(), selfCPU()
	var next atomic.Int64 // the next operation's sequence number
	start := time.Now()
	var deadline time.Time
	if l.Duration > 0 {
		deadline = start.Add(l.Duration)
	}
	var interval time.Duration
	if l.Rate > 0 {
		interval = time.Duration(float64(time.Second) / l.Rate)
	}
	stopProgress := e.progress(l, rec, start)
	stopScrape := func() {}
	if l.Primary && !l.Warmup {
		e.startProfile(l.Duration)
		stopScrape = e.startScrape(rec, l.Duration)
	}

	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := newRand(uint64(w) + uint64(start.UnixNano()))
			if l.Think > 0 && l.Rate == 0 { // spread the products' first operations over one think time
				if !sleepUntil(ctx, time.Now().Add(time.Duration(rng.Int64N(int64(l.Think)))), deadline) {
					return
				}
			}
			for ctx.Err() == nil {
				seq := next.Add(1) - 1
				if l.Ops > 0 && seq >= l.Ops {
					return
				}
				t0 := time.Now()
				if interval > 0 {
					t0 = start.Add(time.Duration(seq) * interval)
					if !sleepUntil(ctx, t0, deadline) {
						return
					}
				}
				if !deadline.IsZero() && !t0.Before(deadline) {
					return
				}
				err := l.Op(ctx, w, seq, rec)
				if ctx.Err() != nil && err != nil {
					return // cancelled mid-operation: not the server's doing
				}
				rec.Done(w, time.Since(t0), err)
				if l.RequestsPerOp > 0 {
					rec.AddRequests(int64(l.RequestsPerOp))
				}
				if l.Think > 0 && l.Rate == 0 {
					pause := l.Think/2 + time.Duration(rng.Int64N(int64(l.Think)+1))
					if !sleepUntil(ctx, time.Now().Add(pause), deadline) {
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	stopScrape()
	stopProgress()

	ph := Phase{Name: l.Name, Primary: l.Primary}
	ph.Ops, _, ph.Errors = rec.Counts()
	ph.Seconds = elapsed.Seconds()
	if ph.Seconds > 0 {
		ph.OpsPerSec = float64(ph.Ops) / ph.Seconds
	}
	if ph.Ops > 0 {
		ph.RequestsPerOp = float64(rec.requests.Load()) / float64(ph.Ops)
	}
	lat := rec.Latencies()
	ph.Latency = lat[OpSeries]
	delete(lat, OpSeries)
	if len(lat) > 0 {
		ph.Steps = lat
	}
	if d := rec.Denials(); len(d) > 0 {
		ph.Denials = d
	}
	ph.ErrorSamples = rec.ErrorSamples()
	ph.HarnessCPU = selfCPU() - self0
	if cpu1 := e.serverCPU(); cpu0 >= 0 && cpu1 >= 0 {
		ph.ServerCPU = cpu1 - cpu0
		if ph.Ops > 0 {
			ph.ServerCPUPerOp = ph.ServerCPU / float64(ph.Ops) * 1e6
		}
	}
	if l.Primary && !l.Warmup {
		e.finishProfile()
	}
	if !l.Warmup {
		e.result.Phases = append(e.result.Phases, ph)
	}
	return ph
}

// sleepUntil waits for t; it reports false if ctx ended or t is past the deadline.
func sleepUntil(ctx context.Context, t, deadline time.Time) bool {
	if !deadline.IsZero() && !t.Before(deadline) {
		return false
	}
	d := time.Until(t)
	if d <= 0 {
		return ctx.Err() == nil
	}
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-tm.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// progress prints a line per second while a phase runs (rewritten in place on a terminal,
// every 10 seconds otherwise) and returns the function that ends it.
func (e *Env) progress(l Load, rec *Recorder, start time.Time) (stop func()) {
	if e.Progress == nil {
		return func() {}
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(time.Second)
		defer t.Stop()
		var lastOps int64
		last := start
		for i := 1; ; i++ {
			select {
			case <-done:
				if e.terminal {
					fmt.Fprint(e.Progress, "\r\033[K")
				}
				return
			case now := <-t.C:
				ops, den, errs := rec.Counts()
				rate := float64(ops-lastOps) / now.Sub(last).Seconds()
				lastOps, last = ops, now
				if !e.terminal && i%10 != 0 {
					continue
				}
				name := l.Name
				if l.Warmup {
					name += " (warm-up)"
				}
				line := fmt.Sprintf("%s %s %5.0fs  ops %s  %s/s  denials %d  errors %d  connected %d",
					e.scenario, name, now.Sub(start).Seconds(), group(ops), group(int64(rate)), den, errs, e.connected())
				if e.terminal {
					fmt.Fprint(e.Progress, "\r\033[K"+line)
				} else {
					fmt.Fprintln(e.Progress, line)
				}
			}
		}
	}()
	return func() { close(done); wg.Wait() }
}

// group writes n with thousands separators.
func group(n int64) string {
	s := fmt.Sprint(n)
	neg := s[0] == '-'
	if neg {
		s = s[1:]
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	if neg {
		return "-" + s
	}
	return s
}

func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15)) }

// selfCPU is licbench's own CPU time so far, in seconds.
func selfCPU() float64 {
	ps, err := ReadProcStats(os.Getpid())
	if err != nil {
		return 0
	}
	return ps.CPUSeconds
}
