package actors

import (
	"time"

	"github.com/asynkron/protoactor-go/actor"
)

// supervisor is the parent of every feature actor and of the optimizer. A feature actor
// that panics is restarted alone (one-for-one) by calling its producer again: the new
// actor rebuilds itself from its spec and from Pebble, and no other product notices.
type supervisor struct{}

// spawnChild asks the supervisor to start a child; the PID comes back on reply.
type spawnChild struct {
	props *actor.Props
	name  string
	reply chan *actor.PID
}

func (supervisor) Receive(ctx actor.Context) {
	if m, ok := ctx.Message().(*spawnChild); ok {
		pid, err := ctx.SpawnNamed(m.props, m.name)
		if err != nil {
			pid = ctx.Spawn(m.props)
		}
		m.reply <- pid
	}
}

// restartAlways restarts a failed child however often it fails: a feature must keep
// serving, and its state lives in Pebble, not in the failed instance.
func restartAlways() actor.SupervisorStrategy {
	return actor.NewOneForOneStrategy(1<<30, time.Second, func(reason interface{}) actor.Directive {
		return actor.RestartDirective
	})
}

func newSupervisorProps() *actor.Props {
	return actor.PropsFromProducer(func() actor.Actor { return supervisor{} },
		actor.WithSupervisor(restartAlways()))
}
