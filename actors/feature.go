package actors

import (
	"errors"
	"fmt"
	"sync/atomic"

	"go.uber.org/zap"

	"github.com/licd/licd/license"
	"github.com/licd/licd/storage"
	"github.com/licd/licd/wire"
)

// FeatureSpec is what a feature actor is made from: its name, its durable id (the high bits
// of its handles), its license model and its pools. The producer of a feature actor keeps
// it, so a restarted actor is rebuilt from the same spec plus what Pebble holds.
type FeatureSpec struct {
	Name    string
	ID      uint64
	Model   license.Model
	Pools   []*license.Pool
	Options *license.Options
	// Friendly is the product name from the #CITRIXTERM comments, for the console.
	Friendly string

	starts atomic.Int32 // how many times an actor was started from this spec
}

// mapGateDenial turns the options file's refusal into the wire denial a product sees
// ("Options file": EXCLUDE, INCLUDE, MAX and RESERVE).
func mapGateDenial(err error) *wire.Error {
	var gd *license.GateDenial
	if !errors.As(err, &gd) {
		return wire.Errorf(wire.CodeExcluded, err.Error())
	}
	code := wire.CodeExcluded
	switch gd.Reason {
	case license.GateNotIncluded:
		code = wire.CodeNotIncluded
	case license.GateMaxReached:
		code = wire.CodeMaxReached
	case license.GateReserved:
		code = wire.CodeReserved
	}
	return wire.Errorf(code, gd.Error())
}

// syncWithStore waits until everything the committer had queued is durable. A restarted
// actor calls it before reading its state back, so that a batch its previous incarnation
// submitted cannot land after the read (its replies would name handles the new state lacks).
func syncWithStore(env *Env, feature string) error {
	b := storage.NewBatch()
	b.PutSetting("restart/"+feature, []byte(env.Now().UTC().Format("2006-01-02T15:04:05Z")))
	done := make(chan error, 1)
	env.Committer.Submit(b, func(err error) { done <- err })
	if err := <-done; err != nil {
		return fmt.Errorf("sync store before restarting %s: %w", feature, err)
	}
	return nil
}

// maxNameBytes bounds user, device and host names on the concurrent path, as the
// user/device core bounds its names: a longer name is a client bug or an attack, and is
// denied with CodeBadName rather than stored.
const maxNameBytes = 256

// logNotDurable logs a batch that could not be made durable. A full disk is logged by the
// store once when it fills and once when space returns, not once per refused batch.
func logNotDurable(log *zap.Logger, msg, feature string, err error) {
	level := zap.ErrorLevel
	if errors.Is(err, storage.ErrDiskFull) {
		level = zap.DebugLevel
	}
	if ce := log.Check(level, msg); ce != nil {
		ce.Write(zap.String("feature", feature), zap.Error(err))
	}
}
