package bench

import (
	"context"
	"fmt"

	"github.com/licd/licd/wire"
)

// logon-storm: a burst of first connections, as at 9 a.m. The product servers are up;
// Users users log on, each from a device of its own, at Rate logons per second (open loop,
// so a server that falls behind shows as latency), and stay logged on. Then they all log
// off (the "logoff" phase), so that a shared server is left as it was found.
func init() {
	register(&Scenario{
		Name:    "logon-storm",
		Summary: "a burst of first connections (50,000 users logging on at 10,000/s), held, then logged off",
		Defaults: Params{
			Products: 200, Users: 50000, Concurrency: 2000, Rate: 10000,
			Licenses: 70000, // the manual's 70,000 concurrent licenses ("Scalability")
		},
		Holds:   func(p Params) map[string]int { return map[string]int{p.Feature: max(p.Users, int(p.Ops))} },
		Run:     runLogonStorm,
		Targets: logonStormTargets,
	})
}

func runLogonStorm(ctx context.Context, e *Env, r *Result) error {
	f, err := e.DialFleet(ctx, e.P.Products, e.P.Feature)
	if err != nil {
		return err
	}
	users := e.P.Users
	if e.P.Ops > 0 {
		users = int(e.P.Ops)
	}
	if users <= 0 {
		return fmt.Errorf("logon-storm needs users: give -users N")
	}
	names := e.names("u", users)
	handles := make([]uint64, users) // 0: not logged on
	product := func(i int64) *wire.Client { return f.Clients[int(i)%len(f.Clients)] }
	e.Drive(ctx, Load{Name: "logon", Primary: true, Workers: e.P.workers(), Rate: e.P.Rate, Ops: int64(users),
		Op: func(ctx context.Context, w int, i int64, rec *Recorder) error {
			req := wire.Checkout{Feature: e.P.Feature, User: names[i], Device: names[i], ClientHost: names[i], VersionDate: e.P.VersionDate}
			g, err := checkout(ctx, product(i), &req, w, rec)
			if err == nil {
				handles[i] = g.Handle
			}
			return err
		}})
	if st, err := e.Status(ctx, e.P.Feature); err == nil {
		if fs, ok := FeatureStatus(st, e.P.Feature); ok {
			r.addFact("licenses in use after the storm", float64(fs.InUse), "licenses")
		}
	}
	e.countSessions(ctx)
	e.Drive(ctx, Load{Name: "logoff", Workers: e.P.workers(), Ops: int64(users),
		Op: func(ctx context.Context, w int, i int64, rec *Recorder) error {
			if handles[i] == 0 {
				return nil
			}
			return checkin(ctx, product(i), handles[i], w, rec)
		}})
	return ctx.Err()
}

func logonStormTargets(r *Result) []Check {
	pr := r.Primary()
	granted := pr.Ops - sum(pr.Denials) - pr.Errors
	return []Check{
		atLeast("first connections granted", float64(granted), float64(r.Params.Users), "%.0f"),
		below("p99 latency (ms, from each logon's scheduled time)", pr.Latency.P99, 50, "%.1f"),
		noErrors(pr),
	}
}

func sum(m map[string]int64) int64 {
	var n int64
	for _, v := range m {
		n += v
	}
	return n
}
