package storage

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

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
	// Delay holds every group this long before it is written: a slow disk, for
	// tests that must widen the window between a decision and its durability
	// (0 in production).
	Delay time.Duration
}

const (
	defaultMaxBatchOps = 4096
	defaultQueueLen    = 16384
)

// CommitterStats count a Committer's work since it started.
type CommitterStats struct {
	Commits          uint64  // Pebble commits (several may share one fsync)
	Records          uint64  // mutations committed
	Batches          uint64  // Batches committed
	MeanOpsPerCommit float64 // Records / Commits
}

// Committer is the group-committing durable writer. Actors Submit batches
// without waiting for the disk; the committer goroutine puts everything queued
// into one synced Pebble commit, and the waiter goroutine calls the done
// callbacks in submission order once the commit's WAL sync has finished.
//
// The two goroutines pipeline: while one commit's fsync is in flight the
// committer already writes the next group into the WAL, so the next sync starts
// the moment the previous one ends (at most maxInFlight groups are in flight).
type Committer struct {
	s   *Store
	opt CommitterOptions

	mu      sync.Mutex
	notFull sync.Cond // Submit waits here while the queue is full
	queue   []pending
	closing bool

	wake    chan struct{} // cap 1: the queue became non-empty, or Close
	stopped chan struct{} // closed when both goroutines have exited

	spare    []pending   // the other queue buffer; committer goroutine only
	free     chan *group // groups ready to be filled
	inflight chan *group // applied groups, in commit order, for the waiter

	commits, records, batches atomic.Uint64
	// groupRecords and syncNanos measure every durable commit: its mutations, and the time
	// from its write into the WAL to its sync (what an acknowledgement waits for).
	groupRecords, syncNanos *Histogram
}

// Bucket bounds of the committer's histograms: mutations per commit from 1 to 4096 (the
// default MaxBatchOps), sync latencies from 50µs to about 3.3s.
var (
	CommitRecordBounds = ExponentialBounds(1, 2, 13)
	CommitSyncBounds   = ExponentialBounds(50_000, 2, 17)
)

// maxInFlight bounds the groups written to the WAL but not yet synced. Two
// keep the disk busy: one syncing, one written and waiting for the next sync.
// Pebble's WAL syncs everything written so far in one fsync, so a deeper
// pipeline adds no syncs, only more and smaller commits (CPU per record);
// measured on 2 cores, 4 gave no more records/s than 2 within the noise.
const maxInFlight = 2

// largeGroupBytes: a group this large is committed with a plain synced Apply.
// Pebble turns batches of half a memtable or more into flushables.
const largeGroupBytes = memTableBytes / 4

// group is one Pebble commit and the submissions it holds.
type group struct {
	pb      *pebble.Batch
	items   []pending
	ops     int
	applied bool      // ApplyNoSyncWait succeeded: the waiter must SyncWait
	err     error     // set when the group failed before its sync
	wrote   time.Time // when its write that asks for the sync began (sync latency)
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
		s:        s,
		opt:      opt,
		queue:    make([]pending, 0, opt.QueueLen),
		spare:    make([]pending, 0, opt.QueueLen),
		wake:     make(chan struct{}, 1),
		stopped:  make(chan struct{}),
		free:     make(chan *group, maxInFlight),
		inflight: make(chan *group, maxInFlight),

		groupRecords: NewHistogram(CommitRecordBounds...),
		syncNanos:    NewHistogram(CommitSyncBounds...),
	}
	for range maxInFlight {
		c.free <- &group{pb: s.db.NewBatch()}
	}
	c.notFull.L = &c.mu
	s.mu.Lock()
	s.committers = append(s.committers, c)
	s.mu.Unlock()
	go c.run()
	go c.wait()
	return c
}

// Submit queues b to be committed and returns without waiting for the disk.
// done runs on the Committer's waiter goroutine once the synced commit holding
// b is durable (nil), or with the error that kept it from being durable; it is
// called exactly once. done must not block for long: the callbacks of later
// commits wait for it. The caller must not touch b until done runs.
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

// CommitHistograms returns the committer's histograms of mutations per durable commit and
// of their sync latency in nanoseconds (the group commit's batch size and sync latency).
func (c *Committer) CommitHistograms() (records, syncNanos HistogramSnapshot) {
	return c.groupRecords.Snapshot(), c.syncNanos.Snapshot()
}

// run takes what is queued and commits it, group by group, without waiting
// for the syncs.
func (c *Committer) run() {
	defer close(c.inflight)
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

// commitAll splits work into groups of at most MaxBatchOps mutations (a Batch
// is never split) and starts one synced commit per group.
func (c *Committer) commitAll(work []pending) {
	if r := c.s.replicator(); r != nil {
		c.replicateAll(r, work)
		return
	}
	for len(work) > 0 {
		n, ops := 1, work[0].b.Len()
		for n < len(work) && ops+work[n].b.Len() <= c.opt.MaxBatchOps {
			ops += work[n].b.Len()
			n++
		}
		g := <-c.free // waits while maxInFlight groups are syncing
		g.items = append(g.items, work[:n]...)
		g.ops = ops
		c.start(g)
		c.inflight <- g
		work = work[n:]
	}
}

// start writes g into the WAL and memtable and asks for a sync, without
// waiting for it: Pebble's ApplyNoSyncWait, with the waiter calling SyncWait.
// (Pebble marks ApplyNoSyncWait experimental; CockroachDB pipelines its raft
// log the same way. Should it go, run() can call Store.applySynced instead and
// lose only the pipelining.)
func (c *Committer) start(g *group) {
	if c.opt.Delay > 0 {
		time.Sleep(c.opt.Delay)
	}
	if g.err = c.s.usable(); g.err != nil {
		return
	}
	if g.ops > 0 {
		if g.err = c.s.roomToWrite(); g.err != nil {
			return // refused before anything was written: the store stays usable
		}
	}
	if g.pb == nil { // a batch left to Pebble after a failure; see recycle
		g.err = c.s.fail(errors.New("committer batch lost to an earlier failure"))
		return
	}
	for _, p := range g.items {
		if g.err = c.s.fill(g.pb, p.b); g.err != nil {
			return
		}
	}
	if g.ops == 0 {
		return
	}
	g.wrote = time.Now()
	if g.pb.Len() >= largeGroupBytes {
		// Pebble commits a batch this large as its own flushable and drops
		// its data afterwards; take the plain synced path rather than lean on
		// how that interacts with a deferred sync wait.
		g.err = c.s.applySynced(g.pb)
		return
	}
	if err := applyNoSyncWait(c.s.db, g.pb); err != nil {
		g.err = c.s.fail(err)
		return
	}
	g.applied = true
}

func applyNoSyncWait(db *pebble.DB, pb *pebble.Batch) (err error) {
	defer recoverFatal(&err)
	return db.ApplyNoSyncWait(pb, pebble.Sync)
}

// wait finishes groups in commit order: waits for the sync, then calls the
// callbacks. A group whose sync failed fails the store, and every later group
// reports the failure even if its own sync succeeded: after a failed fsync the
// kernel may have dropped earlier pages, so nothing after it is trusted.
func (c *Committer) wait() {
	defer close(c.stopped)
	for g := range c.inflight {
		err := g.err
		if g.applied {
			if serr := g.pb.SyncWait(); serr != nil {
				err = c.s.fail(serr)
			} else if uerr := c.s.usable(); uerr != nil {
				err = uerr
			}
		}
		if err == nil {
			if g.ops > 0 {
				c.commits.Add(1)
				c.records.Add(uint64(g.ops))
				c.groupRecords.Observe(uint64(g.ops))
				c.syncNanos.Observe(uint64(time.Since(g.wrote)))
			}
			c.batches.Add(uint64(len(g.items)))
		}
		for _, p := range g.items {
			p.done(err)
		}
		c.recycle(g)
	}
	for range maxInFlight {
		if g := <-c.free; g.pb != nil {
			_ = g.pb.Close()
		}
	}
}

func (c *Committer) recycle(g *group) {
	if g.applied && c.s.failed.Load() != nil {
		// Pebble may still reference a batch whose commit failed; the store is
		// stopped, so leave it alone and fill nothing into this group again.
		g.pb = nil
	} else if g.pb != nil {
		g.pb.Reset()
	}
	clear(g.items)
	g.items, g.ops, g.applied, g.err = g.items[:0], 0, false, nil
	c.free <- g
}

// replicateAll is commitAll in a cluster: each group becomes one Raft entry (the
// concatenated Batch buffers), and its callbacks run in order once the entry is committed by
// a majority and applied here (doc/HA.md).
func (c *Committer) replicateAll(r Replicator, work []pending) {
	for len(work) > 0 {
		n, ops, size := 1, work[0].b.Len(), len(work[0].b.buf)
		for n < len(work) && ops+work[n].b.Len() <= c.opt.MaxBatchOps {
			ops += work[n].b.Len()
			size += len(work[n].b.buf)
			n++
		}
		items := append([]pending(nil), work[:n]...)
		data := make([]byte, 0, size)
		for _, p := range items {
			data = append(data, p.b.buf...)
		}
		if err := c.s.usable(); err != nil {
			for _, p := range items {
				p.done(err)
			}
		} else {
			r.Replicate(data, func(err error) {
				if err == nil {
					c.commits.Add(1)
					c.records.Add(uint64(ops))
					c.batches.Add(uint64(len(items)))
					c.groupRecords.Observe(uint64(ops))
				}
				for _, p := range items {
					p.done(err)
				}
			})
		}
		work = work[n:]
	}
}
