package storage

import (
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/cockroachdb/pebble/v2"
)

// CommitterOptions configure a Committer.
type CommitterOptions struct {
	// MaxBatchOps bounds the mutations in one Pebble commit (0 = 4096). A
	// single Batch larger than this is committed alone, never split.
	MaxBatchOps int
	// QueueLen is how many submitted batches may wait for the committer before
	// Submit blocks (0 = 16384).
	QueueLen int
}

const (
	defaultMaxBatchOps = 4096
	defaultQueueLen    = 16384
)

// CommitterStats count a Committer's work since it started.
type CommitterStats struct {
	Commits          uint64  // synced Pebble commits
	Records          uint64  // mutations committed
	Batches          uint64  // Batches committed
	MeanOpsPerCommit float64 // Records / Commits
}

// Committer is the group-committing durable writer. Actors Submit batches
// without waiting for the disk; one goroutine commits everything queued in one
// synced Pebble commit and then calls the done callbacks in submission order.
type Committer struct {
	s   *Store
	opt CommitterOptions

	mu      sync.Mutex
	notFull sync.Cond // Submit waits here while the queue is full
	queue   []pending
	closing bool

	wake    chan struct{} // cap 1: the queue became non-empty, or Close
	stopped chan struct{} // closed when the goroutine has exited

	spare []pending     // the other queue buffer; committer goroutine only
	pb    *pebble.Batch // reused for every commit; committer goroutine only

	commits, records, batches atomic.Uint64
}

type pending struct {
	b    *Batch
	done func(error)
}

// StartCommitter starts a Committer on s. Close it before closing s (Store.Close
// also closes it).
func (s *Store) StartCommitter(opt CommitterOptions) *Committer {
	if opt.MaxBatchOps <= 0 {
		opt.MaxBatchOps = defaultMaxBatchOps
	}
	if opt.QueueLen <= 0 {
		opt.QueueLen = defaultQueueLen
	}
	c := &Committer{
		s:       s,
		opt:     opt,
		queue:   make([]pending, 0, opt.QueueLen),
		spare:   make([]pending, 0, opt.QueueLen),
		wake:    make(chan struct{}, 1),
		stopped: make(chan struct{}),
		pb:      s.db.NewBatch(),
	}
	c.notFull.L = &c.mu
	s.mu.Lock()
	s.committers = append(s.committers, c)
	s.mu.Unlock()
	go c.run()
	return c
}

// Submit queues b to be committed and returns without waiting for the disk.
// done runs on the committer's goroutine once the synced commit holding b is
// durable (nil), or with the error that kept it from being durable; done must
// not block for long, since the next commit waits for it. The caller must not
// touch b until done runs.
//
// Back-pressure: Submit blocks only while QueueLen batches are already waiting,
// until the committer takes them. After Close, Submit calls done at once, on the
// caller's goroutine, with an error wrapping ErrClosed.
func (c *Committer) Submit(b *Batch, done func(error)) {
	c.mu.Lock()
	for len(c.queue) >= c.opt.QueueLen && !c.closing {
		c.notFull.Wait()
	}
	if c.closing {
		c.mu.Unlock()
		done(fmt.Errorf("storage: batch submitted after the committer was closed: %w", ErrClosed))
		return
	}
	c.queue = append(c.queue, pending{b: b, done: done})
	first := len(c.queue) == 1
	c.mu.Unlock()
	if first {
		select {
		case c.wake <- struct{}{}:
		default: // a wake-up is already pending
		}
	}
}

// Close commits everything queued, then stops the goroutine. It is idempotent
// and returns the store's failure, if a write failed.
func (c *Committer) Close() error {
	c.mu.Lock()
	if !c.closing {
		c.closing = true
		c.notFull.Broadcast()
		select {
		case c.wake <- struct{}{}:
		default:
		}
	}
	c.mu.Unlock()
	<-c.stopped
	if p := c.s.failed.Load(); p != nil {
		return fmt.Errorf("%w (first failure: %v)", ErrStoreFailed, *p)
	}
	return nil
}

// Stats returns the Committer's counters.
func (c *Committer) Stats() CommitterStats {
	st := CommitterStats{Commits: c.commits.Load(), Records: c.records.Load(), Batches: c.batches.Load()}
	if st.Commits > 0 {
		st.MeanOpsPerCommit = float64(st.Records) / float64(st.Commits)
	}
	return st
}

func (c *Committer) run() {
	defer close(c.stopped)
	defer c.pb.Close()
	for {
		c.mu.Lock()
		for len(c.queue) == 0 && !c.closing {
			c.mu.Unlock()
			<-c.wake
			c.mu.Lock()
		}
		if len(c.queue) == 0 { // closing, and nothing left
			c.mu.Unlock()
			return
		}
		work := c.queue
		c.queue = c.spare[:0]
		c.notFull.Broadcast()
		c.mu.Unlock()

		c.commitAll(work)
		clear(work) // drop the batches and callbacks
		c.spare = work[:0]
	}
}

// commitAll commits work in groups of at most MaxBatchOps mutations, one synced
// commit per group, calling each group's callbacks after its commit.
func (c *Committer) commitAll(work []pending) {
	for len(work) > 0 {
		n, ops := 1, work[0].b.Len()
		for n < len(work) && ops+work[n].b.Len() <= c.opt.MaxBatchOps {
			ops += work[n].b.Len()
			n++
		}
		err := c.commitGroup(work[:n], ops)
		for _, p := range work[:n] {
			p.done(err)
		}
		work = work[n:]
	}
}

func (c *Committer) commitGroup(group []pending, ops int) error {
	if err := c.s.usable(); err != nil {
		return err
	}
	c.pb.Reset()
	for _, p := range group {
		if err := c.s.fill(c.pb, p.b); err != nil {
			return err
		}
	}
	if ops > 0 {
		if err := c.s.applySynced(c.pb); err != nil {
			return err
		}
		c.commits.Add(1)
		c.records.Add(uint64(ops))
	}
	c.batches.Add(uint64(len(group)))
	return nil
}
