package actors

import (
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/licd/licd/wire"
)

// The product actor is one per connected product server. It owns the session's liveness:
// it sends the server's heartbeat every interval and marks the product lost when the
// product has not been heard for two intervals plus a grace ("Citrix Start-up license":
// "Every five minutes the License Server and the product send a heartbeat message to each
// other"). Checkouts do not pass through it: the connection reader sends them straight to
// the feature actors, so the hot path has one actor hop.

// ProductHeard tells the product actor that the product's heartbeat (or ack) arrived.
type ProductHeard struct{ When time.Time }

// ProductClosed tells the product actor that its connection ended.
type ProductClosed struct{}

type productTick struct{}

type productActor struct {
	env       *Env
	engine    *Engine
	session   uint64
	conn      ConnCloser
	sink      Sink
	interval  time.Duration
	lastHeard time.Time
	timer     *time.Timer
	hb        wire.Heartbeat
}

func newProductProps(env *Env, e *Engine, session uint64, conn ConnCloser, sink Sink, interval time.Duration) *actor.Props {
	return actor.PropsFromProducer(func() actor.Actor {
		return &productActor{env: env, engine: e, session: session, conn: conn, sink: sink, interval: interval}
	})
}

func (a *productActor) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *actor.Started:
		a.lastHeard = a.env.Now()
		a.arm(ctx)
	case *ProductHeard:
		a.lastHeard = m.When
		ctx.Send(a.engine.sessions, &SessionHeard{ID: a.session, When: m.When, Conn: a.conn})
	case *productTick:
		now := a.env.Now()
		if now.Sub(a.lastHeard) > 2*a.interval+a.interval/2 {
			// Lost: closing the connection makes its reader report ProductClosed.
			_ = a.conn.Close()
			return
		}
		a.hb.UnixNano = now.UnixNano()
		a.sink.Reply(0, &a.hb)
		a.arm(ctx)
	case *ProductClosed:
		if a.timer != nil {
			a.timer.Stop()
		}
		ctx.Send(a.engine.sessions, &SessionClosed{ID: a.session, Conn: a.conn})
		ctx.Stop(ctx.Self())
	}
}

func (a *productActor) arm(ctx actor.Context) {
	root, self := a.env.System.Root, ctx.Self()
	a.timer = time.AfterFunc(a.interval, func() { root.Send(self, &productTick{}) })
}
