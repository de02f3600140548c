package actors

import (
	"fmt"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"go.uber.org/zap"

	"github.com/licd/licd/actors/userdevice"
	"github.com/licd/licd/storage"
)

// Env is what every actor of one licd shares read-only: the actor system, the store and its
// committer, the clock, the loggers and the settings. Nothing in it is mutated after start.
type Env struct {
	System    *actor.ActorSystem
	Store     *storage.Store
	Committer *storage.Committer
	Now       func() time.Time
	Log       *zap.Logger
	Debug     *DebugLog
	UD        userdevice.Config
	// HandleBlock is how many handle numbers a feature actor reserves durably at a time.
	HandleBlock uint64
	// EventRetention is how long user/device events are kept for udadmin -events.
	EventRetention time.Duration
}

// featureHandleBits is how many low bits of a handle number the feature's own sequence
// uses; the bits above carry the feature's id, so a checkin finds its feature actor from
// the handle alone.
const featureHandleBits = 40

// FeatureOfHandle returns the feature id encoded in a handle.
func FeatureOfHandle(h uint64) uint64 { return h >> featureHandleBits }

// handleAlloc hands out durable, never-reused handle numbers for one feature. Blocks of
// numbers are reserved in Pebble; the next block is fetched off the actor before the current
// one runs out, so the checkout path never waits for it.
type handleAlloc struct {
	feature   string
	prefix    uint64
	next, end uint64
	queued    []handleBlock
	asking    bool
}

func (h *handleAlloc) init(env *Env, featureID uint64, feature string) error {
	h.feature = feature
	h.prefix = featureID << featureHandleBits
	first, err := env.Store.ReserveIDs("handle/"+feature, env.HandleBlock)
	if err != nil {
		return fmt.Errorf("reserve handles for %s: %w", feature, err)
	}
	h.next, h.end = first, first+env.HandleBlock
	return nil
}

// take returns the next handle, or false when none is left (the caller denies with
// CodeInternal; a refill is already on its way).
func (h *handleAlloc) take(env *Env, self *actor.PID) (uint64, bool) {
	if h.next >= h.end && len(h.queued) > 0 {
		b := h.queued[0]
		h.queued = h.queued[1:]
		h.next, h.end = b.first, b.first+b.n
	}
	if h.end-h.next < env.HandleBlock/2 && !h.asking && len(h.queued) == 0 {
		h.asking = true
		store, n, name, root := env.Store, env.HandleBlock, "handle/"+h.feature, env.System.Root
		go func() {
			first, err := store.ReserveIDs(name, n)
			root.Send(self, &handleBlock{first: first, n: n, err: err})
		}()
	}
	if h.next >= h.end {
		return 0, false
	}
	v := h.next
	h.next++
	return h.prefix | (v & (1<<featureHandleBits - 1)), true
}

func (h *handleAlloc) refilled(env *Env, b *handleBlock) {
	h.asking = false
	if b.err != nil {
		env.Log.Error("reserve handle block", zap.String("feature", h.feature), zap.Error(b.err))
		return
	}
	h.queued = append(h.queued, *b)
}
