package bench

import (
	"context"
	"testing"
	"time"
)

func newTestEnv() *Env { return &Env{result: &Result{}, scenario: "test", RunID: "t"} }

func TestOpenLoopOffersTheRateAndCountsQueueingAsLatency(t *testing.T) {
	e := newTestEnv()
	// One worker and an operation of 10 ms offered at 200/s: the server (here, the sleep)
	// can do only 100/s, so operations queue and their latency, counted from when each was
	// due, grows far beyond 10 ms. A closed loop would have reported 10 ms.
	ph := e.Drive(context.Background(), Load{Name: "open", Workers: 1, Rate: 200, Ops: 40,
		Op: func(ctx context.Context, _ int, _ int64, _ *Recorder) error {
			time.Sleep(10 * time.Millisecond)
			return nil
		}})
	if ph.Ops != 40 {
		t.Fatalf("%d ops, want 40", ph.Ops)
	}
	if ph.Latency.Max < 100 { // the 40th was due at 195 ms and started at about 390 ms
		t.Errorf("max latency %.1f ms: queueing behind a slow server is not counted", ph.Latency.Max)
	}

	closed := e.Drive(context.Background(), Load{Name: "closed", Workers: 1, Ops: 10,
		Op: func(ctx context.Context, _ int, _ int64, _ *Recorder) error {
			time.Sleep(10 * time.Millisecond)
			return nil
		}})
	if closed.Latency.P50 < 10 || closed.Latency.P50 > 60 {
		t.Errorf("closed loop p50 %.1f ms, want about 10 ms", closed.Latency.P50)
	}
	if len(e.result.Phases) != 2 {
		t.Errorf("%d phases recorded, want 2", len(e.result.Phases))
	}
}

func TestWarmupIsNotReportedAndDurationEndsAPhase(t *testing.T) {
	e := newTestEnv()
	start := time.Now()
	ph := e.Drive(context.Background(), Load{Name: "warm", Warmup: true, Workers: 4, Duration: 100 * time.Millisecond,
		RequestsPerOp: 2, Op: func(ctx context.Context, _ int, _ int64, _ *Recorder) error { return nil }})
	if el := time.Since(start); el > 2*time.Second {
		t.Errorf("a 100 ms phase took %v", el)
	}
	if ph.Ops == 0 || ph.RequestsPerOp != 2 {
		t.Errorf("warm-up phase %+v", ph)
	}
	if len(e.result.Phases) != 0 {
		t.Errorf("the warm-up was reported: %+v", e.result.Phases)
	}
}
