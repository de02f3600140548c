package storage

import (
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// MeasureGroupCommit measures this machine's group-committed write rate: writers
// goroutines each submit one-record batches (a grant put) through a Committer
// and wait for each to be durable before the next, for duration d. It works in a
// fresh directory under dir and removes it afterwards. licbench runs it in the
// same run as a load test, so the load test's figures can be read against what
// the disk allows.
func MeasureGroupCommit(dir string, writers int, d time.Duration) (recordsPerSec float64, err error) {
	if writers <= 0 || d <= 0 {
		return 0, fmt.Errorf("storage: MeasureGroupCommit needs writers > 0 and a positive duration (got %d, %v)", writers, d)
	}
	work, err := os.MkdirTemp(dir, "licd-groupcommit-*")
	if err != nil {
		return 0, fmt.Errorf("storage: MeasureGroupCommit cannot make a scratch directory in %s: %w", dir, err)
	}
	defer os.RemoveAll(work)
	s, err := Open(work, Options{})
	if err != nil {
		return 0, err
	}
	defer s.Close()
	c := s.StartCommitter(CommitterOptions{})

	var (
		records  atomic.Uint64
		firstErr atomic.Pointer[error]
		wg       sync.WaitGroup
	)
	start := time.Now()
	deadline := start.Add(d)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b := NewBatch()
			acked := make(chan error, 1)
			done := func(err error) { acked <- err }
			g := Grant{Session: uint64(w), Feature: "MEASURE", PoolID: "pool", User: "user", ClientHost: "host", Product: "measure"}
			for h := uint64(w) << 40; time.Now().Before(deadline); h++ {
				b.Reset()
				g.Handle, g.Start = h, time.Now().UnixNano()
				b.PutGrant(&g)
				c.Submit(b, done)
				if err := <-acked; err != nil {
					firstErr.CompareAndSwap(nil, &err)
					return
				}
				records.Add(1)
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	if err := c.Close(); err != nil {
		return 0, err
	}
	if p := firstErr.Load(); p != nil {
		return 0, *p
	}
	return float64(records.Load()) / elapsed.Seconds(), nil
}
