package bench

import (
	"context"
	"fmt"
	"time"

	"github.com/licd/licd/wire"
)

// sockets-10k: 10,000 product servers connected at once, the manual's limit of inbound
// connections ("One License Server can accept only 10,000 inbound TCP/IP requests at one
// time"), each heartbeating every few seconds and checking a license out and in now and
// then. It holds them for the duration and reports lost heartbeats and the server's memory.
func init() {
	register(&Scenario{
		Name:    "sockets-10k",
		Summary: "10,000 product connections heartbeating for 10 minutes, each checking out now and then",
		Defaults: Params{
			Products: 10000, Heartbeat: 5 * time.Second, Think: 10 * time.Second, Duration: 10 * time.Minute,
		},
		Holds:   func(p Params) map[string]int { return map[string]int{p.Feature: p.workers()} },
		Run:     runSockets,
		Targets: socketsTargets,
	})
}

func runSockets(ctx context.Context, e *Env, r *Result) error {
	f, err := e.DialFleet(ctx, e.P.Products, e.P.Feature)
	if err != nil {
		return err
	}
	workers := e.P.workers()
	devices := e.names("w", workers)
	lostBefore := e.lost.Load()
	e.Drive(ctx, Load{Name: "hold+checkout", Primary: true, Workers: workers, Rate: e.P.Rate,
		Duration: e.P.Duration, Ops: e.P.Ops, Think: e.P.Think,
		Op: func(ctx context.Context, w int, _ int64, rec *Recorder) error {
			req := wire.Checkout{Feature: e.P.Feature, User: devices[w], Device: devices[w], ClientHost: devices[w], VersionDate: e.P.VersionDate}
			return checkoutCheckin(ctx, f.Clients[w%len(f.Clients)], &req, w, rec)
		}})
	e.countSessions(ctx)
	pr := r.Primary()
	if pr.Seconds > 0 && e.P.Heartbeat > 0 {
		r.addFact("heartbeats due per direction (connections x duration / interval)",
			float64(len(f.Clients))*pr.Seconds/e.P.Heartbeat.Seconds(), "heartbeats")
	}
	r.addFact("products that lost the server while held", float64(e.lost.Load()-lostBefore), "products")
	return ctx.Err()
}

func socketsTargets(r *Result) []Check {
	c := r.Connections
	checks := []Check{
		{Name: "connections held at the end", Want: group(int64(r.Params.Products)), Got: group(int64(c.Held)), Pass: c.Held >= r.Params.Products},
		{Name: "server sessions at the end (none lost)", Want: fmt.Sprintf("%s, 0 lost", group(int64(r.Params.Products))),
			Got: fmt.Sprintf("%s, %d lost", group(int64(c.ServerSessions)), c.ServerLost), Pass: c.ServerSessions >= r.Params.Products && c.ServerLost == 0},
		{Name: "lost heartbeats (products that lost the server)", Want: "0", Got: fmt.Sprint(c.Lost), Pass: c.Lost == 0},
		noErrors(r.Primary()),
	}
	if r.Server != nil {
		checks = append(checks, below("server peak RSS (MiB)", float64(r.Server.PeakRSSBytes)/(1<<20), 1024, "%.0f"))
	} else {
		checks = append(checks, Check{Name: "server peak RSS (MiB)", Want: "< 1024", Got: "unknown (give -server-pid)"})
	}
	return checks
}
