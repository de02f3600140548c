package actors

import (
	"github.com/asynkron/protoactor-go/actor"

	"github.com/licd/licd/storage"
	"github.com/licd/licd/wire"
)

// reply is one acknowledgement waiting for its batch to become durable. It holds the reply
// inline so that queueing it allocates nothing; the sink encodes it synchronously.
type reply struct {
	sink   Sink
	reqID  uint32
	handle uint64 // the grant's handle (for rollback) or 0
	grant  wire.Grant
	ack    wire.Ack
	denial wire.Denial
	kind   replyKind
}

type replyKind uint8

const (
	replyGrant replyKind = iota + 1
	replyAck
	replyDenial
)

// pending is one batch of decisions and the replies that wait for it.
type pending struct {
	batch   *storage.Batch
	replies []reply
	done    committed // reused message posted back to the actor
	owner   *pipeline // the pipeline that submitted it (a restarted actor has a new one)
}

func (p *pending) send() {
	for i := range p.replies {
		r := &p.replies[i]
		if r.sink == nil {
			continue
		}
		switch r.kind {
		case replyGrant:
			r.sink.Reply(r.reqID, &r.grant)
		case replyAck:
			r.sink.Reply(r.reqID, &r.ack)
		case replyDenial:
			r.sink.Reply(r.reqID, &r.denial)
		}
	}
}

func (p *pending) fail() {
	for i := range p.replies {
		r := &p.replies[i]
		if r.sink != nil {
			sendDenial(r.sink, r.reqID, wire.Errorf(wire.CodeInternal, "the decision could not be made durable; retry"))
		}
	}
}

func (p *pending) reset() {
	p.batch.Reset()
	clear(p.replies)
	p.replies = p.replies[:0]
}

// pipeline is an actor's path to durability: decisions accumulate in the current batch
// while the previous one is being committed, so that each actor has at most one batch in
// flight and the committer groups the batches of all actors into one synced write
// ("pipeline, don't wait": the actor never waits for the disk).
type pipeline struct {
	committer *storage.Committer
	root      *actor.RootContext
	self      *actor.PID
	cur       *pending
	inflight  int
	spare     []*pending
}

func newPipeline(c *storage.Committer, root *actor.RootContext, self *actor.PID) pipeline {
	return pipeline{committer: c, root: root, self: self, cur: newPending()}
}

func newPending() *pending { return &pending{batch: storage.NewBatch()} }

func (pl *pipeline) batch() *storage.Batch { return pl.cur.batch }

func (pl *pipeline) addReply() *reply {
	pl.cur.replies = append(pl.cur.replies, reply{})
	return &pl.cur.replies[len(pl.cur.replies)-1]
}

// maxInflight is how many batches of one actor may be committing at once. The committer
// writes the next group while the previous one is syncing; two batches in flight let an
// actor use that overlap, instead of every decision waiting for a whole sync before its
// batch even starts.
const maxInflight = 2

// flush submits the current batch unless enough are in flight or there is nothing to do.
func (pl *pipeline) flush() {
	if pl.inflight >= maxInflight {
		return
	}
	p := pl.cur
	if p.batch.Len() == 0 {
		// Nothing to persist: replies (if any) can go at once.
		p.send()
		p.reset()
		return
	}
	if n := len(pl.spare); n > 0 {
		pl.cur = pl.spare[n-1]
		pl.spare = pl.spare[:n-1]
	} else {
		pl.cur = newPending()
	}
	pl.inflight++
	p.owner = pl
	root, self := pl.root, pl.self
	pl.committer.Submit(p.batch, func(err error) {
		if err == nil {
			p.send()
		}
		p.done = committed{p: p, err: err}
		root.Send(self, &p.done)
	})
}

// finished is called by the actor when its in-flight batch is done; the caller inspects
// the batch (rollback on error) and recycles it. It reports false for a batch submitted by
// an earlier incarnation of the actor (before a restart): its replies have gone already,
// and the new state was read after it was durable, so the caller ignores it.
func (pl *pipeline) finished(p *pending) bool {
	if p.owner != pl {
		return false
	}
	pl.inflight--
	if p.done.err != nil {
		p.fail()
	}
	return true
}

func (pl *pipeline) recycle(p *pending) {
	p.reset()
	pl.spare = append(pl.spare, p)
}

// denyCheckin queues a check-in's denial behind the batch in progress, so that it leaves in
// order with the replies before it.
func denyCheckin(pl *pipeline, m *CheckinRequest, code wire.Code, detail string) {
	r := pl.addReply()
	r.sink, r.reqID, r.kind = m.Sink, m.ReqID, replyDenial
	r.denial = wire.Denial{Code: code, Detail: detail}
}

// ackRelease answers a ReleaseSession that asked for it once the releases just queued are
// durable (a goodbye is acknowledged only then).
func ackRelease(pl *pipeline, m *ReleaseSession) {
	if m.Ack == nil {
		return
	}
	r := pl.addReply()
	r.sink, r.kind = m.Ack, replyAck
}
