package storage

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/cockroachdb/pebble/v2/vfs/errorfs"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

// submitGrants runs writers goroutines, each submitting one-grant batches and
// waiting for each done before the next, as a product actor waiting for its
// acknowledgement would. It records every handle whose done fired with nil in
// acked and counts done calls per handle. It stops a writer at its first error.
type ackLog struct {
	mu    sync.Mutex
	calls map[uint64]int
	acked map[uint64]bool
	errs  []error

	threshold int           // when this many are acknowledged...
	reached   chan struct{} // ...this is closed (if not nil)
}

func newAckLog() *ackLog { return &ackLog{calls: map[uint64]int{}, acked: map[uint64]bool{}} }

// snapshot returns the handles acknowledged so far.
func (l *ackLog) snapshot() []uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]uint64, 0, len(l.acked))
	for h := range l.acked {
		out = append(out, h)
	}
	return out
}

func submitGrants(c *Committer, writers, each int, log *ackLog) {
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b := NewBatch()
			result := make(chan error, 1)
			for i := range each {
				h := uint64(w*each + i + 1)
				b.Reset()
				b.PutGrant(&Grant{Handle: h, Session: uint64(w), Feature: "XDT_PLT_CCS", User: "u"})
				c.Submit(b, func(err error) {
					log.mu.Lock()
					log.calls[h]++
					if err == nil {
						log.acked[h] = true
						if log.reached != nil && len(log.acked) == log.threshold {
							close(log.reached)
						}
					} else {
						log.errs = append(log.errs, err)
					}
					log.mu.Unlock()
					result <- err
				})
				if <-result != nil {
					return
				}
			}
		}()
	}
	wg.Wait()
}

func grantHandles(t *testing.T, s *Store) map[uint64]bool {
	t.Helper()
	have := map[uint64]bool{}
	if err := s.ForEachGrant(func(g *Grant) error { have[g.Handle] = true; return nil }); err != nil {
		t.Fatal(err)
	}
	return have
}

func TestCommitterManySubmittersAllDurable(t *testing.T) {
	fs := vfs.NewMem()
	s := openMem(t, fs)
	c := s.StartCommitter(CommitterOptions{MaxBatchOps: 64, QueueLen: 32})
	const writers, each = 48, 100
	log := newAckLog()
	submitGrants(c, writers, each, log)
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if len(log.errs) > 0 {
		t.Fatalf("done reported errors: %v", log.errs[0])
	}
	for h, n := range log.calls {
		if n != 1 {
			t.Errorf("done for handle %d called %d times", h, n)
		}
	}
	if len(log.calls) != writers*each {
		t.Errorf("%d done calls, want %d", len(log.calls), writers*each)
	}
	st := c.Stats()
	if st.Records != writers*each || st.Batches != writers*each || st.Commits == 0 || st.Commits >= st.Records {
		t.Errorf("stats %+v: want every record committed in fewer commits than records", st)
	}
	s = reopen(t, s, fs)
	defer s.Close()
	if have := grantHandles(t, s); len(have) != writers*each {
		t.Errorf("after reopen %d grants, want %d", len(have), writers*each)
	}
}

// Done callbacks run in submission order, and Close commits what is queued.
func TestCommitterDoneInSubmissionOrderAndCloseFlushes(t *testing.T) {
	fs := vfs.NewMem()
	s := openMem(t, fs)
	c := s.StartCommitter(CommitterOptions{MaxBatchOps: 3})
	var order []int
	const n = 50
	for i := range n {
		b := NewBatch()
		b.PutCounter("c", int64(i))
		b.PutGrant(&Grant{Handle: uint64(i + 1)})
		c.Submit(b, func(err error) {
			if err != nil {
				t.Errorf("done(%d): %v", i, err)
			}
			order = append(order, i) // the committer goroutine is the only writer
		})
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	for i, got := range order {
		if got != i {
			t.Fatalf("done order %v", order)
		}
	}
	if len(order) != n {
		t.Fatalf("%d of %d done callbacks ran before Close returned", len(order), n)
	}
	// MaxBatchOps 3 with 2-op batches: one batch per commit.
	if st := c.Stats(); st.Commits != n || st.Records != 2*n {
		t.Errorf("stats %+v, want %d commits of 2 records", st, n)
	}
	s = reopen(t, s, fs)
	defer s.Close()
	if v, _ := s.Counter("c"); v != n-1 {
		t.Errorf("counter = %d, want the last submitted value %d", v, n-1)
	}
	if have := grantHandles(t, s); len(have) != n {
		t.Errorf("%d grants after Close and reopen, want %d", len(have), n)
	}
}

// A batch larger than MaxBatchOps is committed whole: a Batch is atomic.
func TestCommitterNeverSplitsABatch(t *testing.T) {
	s := openMem(t, vfs.NewMem())
	defer s.Close()
	c := s.StartCommitter(CommitterOptions{MaxBatchOps: 4})
	b := NewBatch()
	for h := range uint64(10) {
		b.PutGrant(&Grant{Handle: h + 1})
	}
	errc := make(chan error, 1)
	c.Submit(b, func(err error) { errc <- err })
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	if st := c.Stats(); st.Commits != 1 || st.Records != 10 {
		t.Errorf("stats %+v, want the 10-record batch in one commit", st)
	}
}

// With a queue of one, submitters block for room instead of failing, and
// everything still lands exactly once.
func TestCommitterBackPressure(t *testing.T) {
	s := openMem(t, vfs.NewMem())
	c := s.StartCommitter(CommitterOptions{QueueLen: 1})
	log := newAckLog()
	submitGrants(c, 16, 50, log)
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if len(log.acked) != 16*50 || len(log.errs) != 0 {
		t.Errorf("%d acknowledged, errors %v", len(log.acked), log.errs)
	}
	defer s.Close()
	if have := grantHandles(t, s); len(have) != 16*50 {
		t.Errorf("%d grants stored", len(have))
	}
}

func TestSubmitAfterCloseReportsClosed(t *testing.T) {
	s := openMem(t, vfs.NewMem())
	defer s.Close()
	c := s.StartCommitter(CommitterOptions{})
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	b := NewBatch()
	b.PutGrant(&Grant{Handle: 1})
	var got error
	c.Submit(b, func(err error) { got = err })
	if !errors.Is(got, ErrClosed) {
		t.Fatalf("done after Close got %v, want ErrClosed", got)
	}
	if have := grantHandles(t, s); len(have) != 0 {
		t.Errorf("batch submitted after Close was written: %v", have)
	}
}

// walSyncFailure fails every sync of the WAL while on.
type walSyncFailure struct{ on atomic.Bool }

func (f *walSyncFailure) String() string { return "wal sync failure" }

func (f *walSyncFailure) MaybeError(op errorfs.Op) error {
	if !f.on.Load() || !strings.HasSuffix(op.Path, ".log") {
		return nil
	}
	switch op.Kind {
	case errorfs.OpFileSync, errorfs.OpFileSyncData, errorfs.OpFileSyncTo:
		return errorfs.ErrInjected
	}
	return nil
}

// A WAL sync that fails must reach done as an error, never as success, and
// the store must then refuse work rather than serve records that may not be
// on disk. Everything acknowledged before the failure is on disk.
func TestFailedSyncIsNeverAcknowledged(t *testing.T) {
	mem := vfs.NewCrashableMem()
	inj := &walSyncFailure{}
	core, logs := observer.New(zapcore.ErrorLevel)
	s, err := Open("data", Options{FS: errorfs.Wrap(mem, inj), Logger: zap.New(core), CacheBytes: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	c := s.StartCommitter(CommitterOptions{})
	log := newAckLog()
	submitGrants(c, 8, 20, log)
	before := log.snapshot()
	if len(before) != 8*20 {
		t.Fatalf("%d acknowledged before the failure, want all %d", len(before), 8*20)
	}

	inj.on.Store(true)
	failing := newAckLog()
	b := NewBatch()
	b.PutGrant(&Grant{Handle: 1 << 40})
	errc := make(chan error, 1)
	c.Submit(b, func(err error) { errc <- err })
	if err := <-errc; !errors.Is(err, ErrStoreFailed) {
		t.Fatalf("done after a failed WAL sync got %v, want ErrStoreFailed", err)
	}
	inj.on.Store(false) // the disk is back, but the store stays stopped
	submitGrants(c, 4, 5, failing)
	if len(failing.acked) != 0 || len(failing.errs) != 4 {
		t.Errorf("after the failure: %d acknowledged, %d errors; want 0 and one error per writer", len(failing.acked), len(failing.errs))
	}
	if err := s.Commit(b); !errors.Is(err, ErrStoreFailed) {
		t.Errorf("Commit after failure: %v", err)
	}
	if err := s.ForEachGrant(func(*Grant) error { return nil }); !errors.Is(err, ErrStoreFailed) {
		t.Errorf("reads after failure: %v, want ErrStoreFailed (memory may hold undurable records)", err)
	}
	if logs.FilterMessageSnippet("restart licd").Len() == 0 {
		t.Errorf("no error logged telling the operator to restart; logged %v", logs.All())
	}
	if err := c.Close(); !errors.Is(err, ErrStoreFailed) {
		t.Errorf("Committer.Close = %v, want ErrStoreFailed", err)
	}
	crashed := mem.CrashClone(vfs.CrashCloneCfg{})
	_ = s.Close()

	s2 := openMem(t, crashed)
	defer s2.Close()
	have := grantHandles(t, s2)
	for _, h := range before {
		if !have[h] {
			t.Errorf("acknowledged grant %d lost", h)
		}
	}
}

// Simulated kill -9 while writers run: every grant whose done(nil) fired
// before the crash is in the recovered store, whatever else reached the disk.
func TestCrashKeepsEveryAcknowledgedGrant(t *testing.T) {
	for _, unsynced := range []int{0, 50, 100} {
		mem := vfs.NewCrashableMem()
		s := openMem(t, mem)
		c := s.StartCommitter(CommitterOptions{MaxBatchOps: 16})
		log := newAckLog()
		log.threshold, log.reached = 500, make(chan struct{})
		writing := make(chan struct{})
		go func() { defer close(writing); submitGrants(c, 16, 150, log) }()

		// Crash once some grants are acknowledged, while writers still run.
		<-log.reached
		acked := log.snapshot()
		crashed := mem.CrashClone(vfs.CrashCloneCfg{UnsyncedDataPercent: unsynced, RNG: rand.New(rand.NewPCG(uint64(unsynced), 1))})
		<-writing
		_ = s.Close()

		s2 := openMem(t, crashed)
		have := grantHandles(t, s2)
		for _, h := range acked {
			if !have[h] {
				t.Errorf("unsynced=%d%%: acknowledged grant %d lost in the crash", unsynced, h)
			}
		}
		// The allocator and new commits work on the recovered store.
		if _, err := s2.ReserveIDs("handles", 10); err != nil {
			t.Errorf("unsynced=%d%%: ReserveIDs after crash: %v", unsynced, err)
		}
		_ = s2.Close()
	}
}

// ReserveIDs' high-water mark is synced before it returns: ids reserved before
// a crash are never handed out again after it.
func TestReserveIDsAcrossCrash(t *testing.T) {
	mem := vfs.NewCrashableMem()
	s := openMem(t, mem)
	var last uint64
	for range 5 {
		first, err := s.ReserveIDs("handles", 100)
		if err != nil {
			t.Fatal(err)
		}
		if first <= last {
			t.Fatalf("ids went back: %d after %d", first, last)
		}
		last = first + 99
	}
	crashed := mem.CrashClone(vfs.CrashCloneCfg{})
	_ = s.Close()
	s2 := openMem(t, crashed)
	defer s2.Close()
	first, err := s2.ReserveIDs("handles", 1)
	if err != nil || first <= last {
		t.Fatalf("after crash ReserveIDs = %d, %v; want > %d", first, err, last)
	}
}

// A batch bigger than Pebble's large-batch threshold still commits whole and
// durably, between ordinary ones, with callbacks in order.
func TestCommitterLargeBatch(t *testing.T) {
	fs := vfs.NewMem()
	s := openMem(t, fs)
	c := s.StartCommitter(CommitterOptions{})
	value := make([]byte, 1<<20)
	big := NewBatch()
	for i := range 20 { // 20 MiB: more than half the 32 MiB memtable
		value[0] = byte(i)
		big.PutSetting(fmt.Sprint("blob", i), value)
	}
	var order []string
	small := func(h uint64) *Batch { b := NewBatch(); b.PutGrant(&Grant{Handle: h}); return b }
	record := func(name string) func(error) {
		return func(err error) {
			if err != nil {
				t.Errorf("%s: %v", name, err)
			}
			order = append(order, name)
		}
	}
	c.Submit(small(1), record("before"))
	c.Submit(big, record("big"))
	c.Submit(small(2), record("after"))
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if strings.Join(order, ",") != "before,big,after" {
		t.Errorf("callback order %v", order)
	}
	s = reopen(t, s, fs)
	defer s.Close()
	v, ok, err := s.Setting("blob19")
	if err != nil || !ok || len(v) != 1<<20 || v[0] != 19 {
		t.Errorf("large batch setting: %d bytes, %v, %v", len(v), ok, err)
	}
	if have := grantHandles(t, s); !have[1] || !have[2] {
		t.Errorf("grants around the large batch: %v", have)
	}
}
