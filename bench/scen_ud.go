package bench

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/licd/licd/wire"
)

// ud-150k: 150,000 users over their devices, user/device licensing with the optimizer
// running ("License optimization"). Four users in five have a device of their own; the
// fifth shares a kiosk with four others, so the optimizer has real work: it turns five
// user licenses into one device license. First every user connects once ("populate"),
// then random users connect and disconnect (the measured phase) while the optimizer passes
// run; a user with a device of its own sometimes uses a kiosk too.
func init() {
	register(&Scenario{
		Name:    "ud-150k",
		Summary: "150,000 user/device users over their devices, optimizer passes running",
		Defaults: Params{
			Products: 16, // the manual's 16 Delivery Controllers ("Scalability")
			Users:    150000, Concurrency: 512, Duration: 60 * time.Second, Optimize: 10 * time.Second,
			Licenses: 150000,
		},
		Holds:      func(p Params) map[string]int { return map[string]int{p.UDFeature: p.Users} },
		ServerArgs: udServerArgs,
		Run:        runUD,
		Targets:    udTargets,
	})
}

// udServerArgs make the optimizer pass every p.Optimize, so that a run of minutes sees
// passes (the manual's interval is 5 minutes from 5,000 connections on).
func udServerArgs(p Params) []string {
	if p.Optimize <= 0 {
		return nil
	}
	return []string{"-ud-optimize-slow", p.Optimize.String(), "-ud-optimize-fast", min(p.Optimize, 5*time.Second).String()}
}

// udPopulation names the users and their devices.
type udPopulation struct {
	users, own, kiosks []string
}

// kioskUsers is both how rare kiosk users are (every fifth user) and how many share a kiosk.
const kioskUsers = 5

func newUDPopulation(e *Env, n int) *udPopulation {
	return &udPopulation{users: e.names("u", n), own: e.names("d", n), kiosks: e.names("k", n/(kioskUsers*kioskUsers)+1)}
}

// device is user i's usual device: its own, or for every fifth user a kiosk shared with
// four other kiosk users.
func (u *udPopulation) device(i int) string {
	if i%kioskUsers == 0 {
		return u.kiosks[i/(kioskUsers*kioskUsers)]
	}
	return u.own[i]
}

func runUD(ctx context.Context, e *Env, r *Result) error {
	f, err := e.DialFleet(ctx, e.P.Products, e.P.UDFeature)
	if err != nil {
		return err
	}
	n := max(e.P.Users, 1)
	pop := newUDPopulation(e, n)
	product := func(i int) *wire.Client { return f.Clients[i%len(f.Clients)] }
	watch := e.watchOptimizer(ctx, e.P.UDFeature)
	defer watch.stop()

	e.Drive(ctx, Load{Name: "populate", Workers: e.P.workers(), Ops: int64(n),
		Op: func(ctx context.Context, w int, i int64, rec *Recorder) error {
			req := wire.Checkout{Feature: e.P.UDFeature, User: pop.users[i], Device: pop.device(int(i)), VersionDate: e.P.VersionDate}
			return checkoutCheckin(ctx, product(int(i)), &req, w, rec)
		}})
	passesBefore := watch.passes()
	workers := e.P.workers()
	rngs := make([]*rand.Rand, workers)
	for w := range rngs {
		rngs[w] = newRand(uint64(w)*7919 + 1)
	}
	e.Drive(ctx, Load{Name: "connect+disconnect", Primary: true, Workers: workers, Rate: e.P.Rate,
		Duration: e.P.Duration, Ops: e.P.Ops,
		Op: func(ctx context.Context, w int, _ int64, rec *Recorder) error {
			rng := rngs[w]
			i := rng.IntN(n)
			dev := pop.device(i)
			if i%kioskUsers != 0 && rng.IntN(10) == 0 { // hot-desking at a kiosk
				dev = pop.kiosks[rng.IntN(len(pop.kiosks))]
			}
			req := wire.Checkout{Feature: e.P.UDFeature, User: pop.users[i], Device: dev, VersionDate: e.P.VersionDate}
			return checkoutCheckin(ctx, product(i), &req, w, rec)
		}})
	watch.stop()
	r.addFact("optimizer passes during the measured phase", float64(watch.passes()-passesBefore), "passes")
	r.addFact("optimizer passes in all", float64(watch.passes()), "passes")
	r.addFact("licenses in use, most seen", float64(watch.maxInUse), "licenses")
	r.addFact("licenses in use at the end", float64(watch.lastInUse), "licenses")
	r.addFact("licenses issued (with overdraft)", float64(watch.issued), "licenses")
	if watch.failures > 0 {
		r.Notes = append(r.Notes, fmt.Sprintf("%d status queries failed; the optimizer passes may be undercounted", watch.failures))
	}
	e.countSessions(ctx)
	return ctx.Err()
}

// optimizerWatch polls a user/device feature's status once a second and counts the
// optimizer's passes (each moves OptimizedAt) and the licenses in use.
type optimizerWatch struct {
	mu        sync.Mutex
	seen      time.Time
	count     int
	maxInUse  int
	lastInUse int
	issued    int
	failures  int
	done      chan struct{}
	wg        sync.WaitGroup
	once      sync.Once
}

func (e *Env) watchOptimizer(ctx context.Context, feature string) *optimizerWatch {
	o := &optimizerWatch{done: make(chan struct{})}
	o.wg.Add(1)
	go func() {
		defer o.wg.Done()
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			o.poll(ctx, e, feature)
			select {
			case <-o.done:
				o.poll(ctx, e, feature)
				return
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	return o
}

func (o *optimizerWatch) poll(ctx context.Context, e *Env, feature string) {
	st, err := e.Status(ctx, feature)
	o.mu.Lock()
	defer o.mu.Unlock()
	if err != nil {
		o.failures++
		return
	}
	fs, ok := FeatureStatus(st, feature)
	if !ok {
		o.failures++
		return
	}
	if !fs.OptimizedAt.IsZero() && !fs.OptimizedAt.Equal(o.seen) {
		o.seen = fs.OptimizedAt
		o.count++
	}
	o.lastInUse = fs.InUse
	o.maxInUse = max(o.maxInUse, fs.InUse)
	o.issued = fs.Issued // for user/device: purchased plus overdraft
}

func (o *optimizerWatch) passes() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.count
}

func (o *optimizerWatch) stop() {
	o.once.Do(func() { close(o.done) })
	o.wg.Wait()
}

func udTargets(r *Result) []Check {
	pop := r.Phase("populate")
	pr := r.Primary()
	passes, _ := r.Fact("optimizer passes during the measured phase")
	checks := []Check{}
	if pop != nil {
		checks = append(checks, atLeast("users connected (populate, granted)", float64(pop.Ops-sum(pop.Denials)-pop.Errors), float64(r.Params.Users), "%.0f"),
			noErrors(pop))
	}
	checks = append(checks,
		Check{Name: "denials while sustained", Want: "0", Got: group(sum(pr.Denials)), Pass: sum(pr.Denials) == 0},
		noErrors(pr),
		atLeast("optimizer passes during the measured phase", passes, 1, "%.0f"))
	return checks
}
