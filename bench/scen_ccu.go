package bench

import (
	"context"
	"fmt"
	"time"

	"github.com/licd/licd/wire"
)

// ccu-churn: concurrent checkouts and checkins at the highest rate the server sustains.
// Every worker is one user on one device of a product server: it checks a license out
// and in again, over and over ("Concurrent license": a license is held while the device is
// connected). The headline is durable checkout+checkin pairs per second.
func init() {
	register(&Scenario{
		Name:    "ccu-churn",
		Summary: "concurrent checkouts and checkins as fast as the server sustains them (durable pairs/s)",
		Defaults: Params{
			Products: 64, Concurrency: 1024, Duration: 30 * time.Second, Warmup: 5 * time.Second,
		},
		Holds:   func(p Params) map[string]int { return map[string]int{p.Feature: p.workers()} },
		Run:     runCCUChurn,
		Targets: ccuChurnTargets,
	})
}

func runCCUChurn(ctx context.Context, e *Env, r *Result) error {
	f, err := e.DialFleet(ctx, e.P.Products, e.P.Feature)
	if err != nil {
		return err
	}
	workers := e.P.workers()
	devices := e.names("w", workers)
	reqs := make([]wire.Checkout, workers)
	for w := range reqs {
		reqs[w] = wire.Checkout{Feature: e.P.Feature, User: devices[w], Device: devices[w], ClientHost: devices[w], VersionDate: e.P.VersionDate}
	}
	op := func(ctx context.Context, w int, _ int64, rec *Recorder) error {
		return checkoutCheckin(ctx, f.Clients[w%len(f.Clients)], &reqs[w], w, rec)
	}
	load := Load{Name: "checkout+checkin", Workers: workers, Rate: e.P.Rate, Op: op}
	if e.P.Warmup > 0 {
		warm := load
		warm.Warmup, warm.Duration = true, e.P.Warmup
		e.Drive(ctx, warm)
	}
	load.Primary, load.Duration, load.Ops = true, e.P.Duration, e.P.Ops
	e.Drive(ctx, load)
	e.countSessions(ctx)
	if st, err := e.Status(ctx, e.P.Feature); err == nil {
		if fs, ok := FeatureStatus(st, e.P.Feature); ok {
			r.addFact("licenses in use after the run (all checked in: want 0)", float64(fs.InUse), "licenses")
		}
	}
	return ctx.Err()
}

func ccuChurnTargets(r *Result) []Check {
	pr := r.Primary()
	checks := []Check{
		atLeast("durable checkout+checkin pairs/s", pr.OpsPerSec, 20000, "%.0f"),
		atLeast("requests/s vs loopback echo round trips/s (goal 0.5)", r.Ratios.VsEcho, 0.25, "%.2f"),
		noErrors(pr),
	}
	return checks
}

func atLeast(name string, got, want float64, format string) Check {
	return Check{Name: name, Want: ">= " + fmt.Sprintf(format, want), Got: fmt.Sprintf(format, got), Pass: got >= want}
}

func below(name string, got, want float64, format string) Check {
	return Check{Name: name, Want: "< " + fmt.Sprintf(format, want), Got: fmt.Sprintf(format, got), Pass: got < want}
}

func noErrors(ph *Phase) Check {
	return Check{Name: ph.Name + ": errors", Want: "0", Got: fmt.Sprint(ph.Errors), Pass: ph.Errors == 0}
}
