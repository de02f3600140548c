package storage

import (
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"
	"go.uber.org/zap/zaptest"
)

func openMem(t *testing.T, fs vfs.FS) *Store {
	t.Helper()
	s, err := Open("data", Options{FS: fs, Logger: zaptest.NewLogger(t), CacheBytes: 1 << 20})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return s
}

func TestCommitterManySubmittersAllDurable(t *testing.T) {
	fs := vfs.NewMem()
	s := openMem(t, fs)
	c := s.StartCommitter(CommitterOptions{MaxBatchOps: 64, QueueLen: 32})
	const writers, each = 32, 200
	var mu sync.Mutex
	calls := map[uint64]int{}
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b := NewBatch()
			acked := make(chan error, 1)
			for i := range each {
				h := uint64(w*each + i + 1)
				b.Reset()
				b.PutGrant(&Grant{Handle: h, Feature: "F", User: "u"})
				c.Submit(b, func(err error) {
					mu.Lock()
					calls[h]++
					mu.Unlock()
					acked <- err
				})
				if err := <-acked; err != nil {
					t.Errorf("done(%d) = %v", h, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	for h, n := range calls {
		if n != 1 {
			t.Errorf("done for handle %d called %d times", h, n)
		}
	}
	if len(calls) != writers*each {
		t.Errorf("%d done calls, want %d", len(calls), writers*each)
	}
	st := c.Stats()
	if st.Records != writers*each || st.Batches != writers*each || st.Commits == 0 || st.Commits > st.Records {
		t.Errorf("stats %+v", st)
	}
	t.Logf("stats %+v", st)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openMem(t, fs)
	defer s.Close()
	n := 0
	if err := s.ForEachGrant(func(g *Grant) error { n++; return nil }); err != nil {
		t.Fatal(err)
	}
	if n != writers*each {
		t.Errorf("after reopen %d grants, want %d", n, writers*each)
	}
}

var _ = errors.Is
var _ = strings.Contains
