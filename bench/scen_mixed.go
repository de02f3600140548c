package bench

import (
	"context"
	"math/rand/v2"
	"time"

	"github.com/licd/licd/wire"
)

// mixed: a working day's blend on one server. Four product servers in five license
// concurrently, the fifth user/device; of the operations, 70% are a concurrent user's
// connection and disconnection, 25% a user/device user's, and 5% a session start that
// checks out several licenses in one batch (the manual's checkoutBatch) and returns them;
// meanwhile an administrator runs lmstat once a second (the "status" step: "Running
// lmstat ... can negatively impact the License Server performance").
func init() {
	register(&Scenario{
		Name:    "mixed",
		Summary: "concurrent and user/device churn, batch checkouts and lmstat queries together",
		Defaults: Params{
			Products: 500, Users: 20000, Concurrency: 500, Duration: 60 * time.Second, Warmup: 5 * time.Second,
			Heartbeat: 30 * time.Second, Optimize: 10 * time.Second,
		},
		Holds: func(p Params) map[string]int {
			return map[string]int{p.Feature: p.workers() * mixedBatch, p.UDFeature: p.Users}
		},
		ServerArgs: udServerArgs,
		Run:        runMixed,
		Targets: func(r *Result) []Check {
			return []Check{noErrors(r.Primary())}
		},
	})
}

const mixedBatch = 8 // licenses a batch checkout asks for

func runMixed(ctx context.Context, e *Env, r *Result) error {
	udProducts := max(e.P.Products/5, 1)
	ccs, err := e.DialFleet(ctx, max(e.P.Products-udProducts, 1), e.P.Feature)
	if err != nil {
		return err
	}
	ud, err := e.DialFleet(ctx, udProducts, e.P.UDFeature)
	if err != nil {
		return err
	}
	workers := e.P.workers()
	n := max(e.P.Users, 1)
	pop := newUDPopulation(e, n)
	devices := e.names("w", workers*mixedBatch)
	rngs := make([]*rand.Rand, workers)
	for w := range rngs {
		rngs[w] = newRand(uint64(w)*104729 + 3)
	}
	load := Load{Name: "mixed", Workers: workers, Rate: e.P.Rate,
		Op: func(ctx context.Context, w int, _ int64, rec *Recorder) error {
			rng := rngs[w]
			switch k := rng.IntN(100); {
			case k < 70:
				dev := devices[w*mixedBatch]
				req := wire.Checkout{Feature: e.P.Feature, User: dev, Device: dev, ClientHost: dev, VersionDate: e.P.VersionDate}
				return checkoutCheckin(ctx, ccs.Clients[w%len(ccs.Clients)], &req, w, rec)
			case k < 95:
				i := rng.IntN(n)
				req := wire.Checkout{Feature: e.P.UDFeature, User: pop.users[i], Device: pop.device(i), VersionDate: e.P.VersionDate}
				return checkoutCheckin(ctx, ud.Clients[i%len(ud.Clients)], &req, w, rec)
			default:
				return batchSession(ctx, e, ccs.Clients[w%len(ccs.Clients)], devices[w*mixedBatch:(w+1)*mixedBatch], w, rec)
			}
		}}
	if e.P.Warmup > 0 {
		warm := load
		warm.Warmup, warm.Duration = true, e.P.Warmup
		e.Drive(ctx, warm)
	}
	stopStatus := e.lmstatLoop(ctx)
	load.Primary, load.Duration, load.Ops = true, e.P.Duration, e.P.Ops
	e.Drive(ctx, load)
	stopStatus(&r.Phases[len(r.Phases)-1])
	e.countSessions(ctx)
	return ctx.Err()
}

// batchSession checks out one license per device in a single batch, then checks each in.
func batchSession(ctx context.Context, e *Env, c *wire.Client, devices []string, w int, rec *Recorder) error {
	reqs := make([]wire.Checkout, len(devices))
	for i, d := range devices {
		reqs[i] = wire.Checkout{Feature: e.P.Feature, User: d, Device: d, ClientHost: d, VersionDate: e.P.VersionDate}
	}
	t0 := time.Now()
	items, err := c.CheckoutBatch(ctx, reqs)
	rec.AddRequests(1)
	if err != nil {
		return err
	}
	rec.Observe("batch checkout", w, time.Since(t0))
	var first error
	for _, it := range items {
		if it.Denied.Code != wire.OK {
			if first == nil {
				first = it.Denied.Err()
			}
			continue
		}
		if it.Grant.Cached {
			first = errCached
		}
		if err := checkin(ctx, c, it.Grant.Handle, w, rec); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// lmstatLoop asks for the full status once a second, as an administrator watching lmstat
// would, and records each answer's latency; stop adds the "status" step to the phase.
func (e *Env) lmstatLoop(ctx context.Context) (stop func(*Phase)) {
	rec := NewRecorder()
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-t.C:
			}
			t0 := time.Now()
			if _, err := e.Status(ctx, ""); err != nil {
				rec.Error(err)
				continue
			}
			rec.Observe("status", 0, time.Since(t0))
		}
	}()
	return func(ph *Phase) {
		close(done)
		<-finished
		if l, ok := rec.Latencies()["status"]; ok {
			if ph.Steps == nil {
				ph.Steps = map[string]Latency{}
			}
			ph.Steps["status (lmstat, 1/s)"] = l
		}
		_, _, errs := rec.Counts()
		ph.Errors += errs
		ph.ErrorSamples = append(ph.ErrorSamples, rec.ErrorSamples()...)
	}
}
