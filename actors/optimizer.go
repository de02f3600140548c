package actors

import (
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"go.uber.org/zap"

	"github.com/licd/licd/actors/userdevice"
)

// The optimizer supervises user/device optimization ("License optimization"): every tick it
// tells the user/device feature actors to check whether they are due (every five seconds
// below 5,000 unique connections, every five minutes from 5,000 up: the feature decides);
// a due feature hands it a copy of its graph, and the optimizer computes the minimum cover
// on a worker goroutine, one job at a time ("optimization can be CPU intensive"), posting the
// result back to the feature actor. Connections are never held up by it.
type optimizerActor struct {
	env    *Env
	engine *Engine
	tick   time.Duration
	queue  []*optimizeJob
	busy   bool
	stop   chan struct{}
}

type optimizerTick struct{}

type optimizerFinished struct{}

func newOptimizerProps(env *Env, e *Engine, tick time.Duration) *actor.Props {
	return actor.PropsFromProducer(func() actor.Actor {
		return &optimizerActor{env: env, engine: e, tick: tick}
	})
}

func (a *optimizerActor) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *actor.Started:
		a.stop = make(chan struct{})
		root, self, stop, tick := a.env.System.Root, ctx.Self(), a.stop, a.tick
		go func() {
			t := time.NewTicker(tick)
			defer t.Stop()
			for {
				select {
				case <-stop:
					return
				case <-t.C:
					root.Send(self, &optimizerTick{})
				}
			}
		}()
	case *actor.Stopping, *actor.Restarting:
		if a.stop != nil {
			close(a.stop)
			a.stop = nil
		}
	case *optimizerTick:
		for _, r := range a.engine.Routes().All() {
			if isUserDevice(r.Model) {
				ctx.Send(r.PID, &optimizeDue{})
			}
		}
	case *optimizeJob:
		a.queue = append(a.queue, m)
		a.next(ctx)
	case *optimizerFinished:
		a.busy = false
		a.next(ctx)
	}
}

func (a *optimizerActor) next(ctx actor.Context) {
	if a.busy || len(a.queue) == 0 {
		return
	}
	job := a.queue[0]
	a.queue = a.queue[1:]
	a.busy = true
	root, self, log := a.env.System.Root, ctx.Self(), a.env.Log
	go func() {
		start := time.Now()
		res := userdevice.Optimize(job.in)
		d := time.Since(start)
		if d > time.Second {
			log.Info("slow optimization", zap.String("feature", job.name), zap.Int("pairs", job.in.Pairs()), zap.Duration("took", d))
		}
		root.Send(job.feature, &optimizeDone{res: res, duration: d})
		root.Send(self, &optimizerFinished{})
	}()
}
