package storage

import (
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// A checkpoint taken while a committer writes grants and deletes them holds every grant
// whose commit was acknowledged before the checkpoint began (and whose delete was not begun
// before it ended) and none whose delete was acknowledged before it began, opens
// as a store (its StateFile matches), and is private: directory 0700, files 0600.
//
// On the same file system Pebble hard-links the sstables; on another (a backup disk; here
// /dev/shm, a tmpfs) it copies them.
func TestCheckpointUnderWritesHoldsEveryAcknowledgedCommit(t *testing.T) {
	t.Run("same file system", func(t *testing.T) { checkpointUnderWrites(t, t.TempDir()) })
	t.Run("another file system", func(t *testing.T) {
		other, err := os.MkdirTemp("/dev/shm", "licd-checkpoint-")
		if err != nil {
			t.Skipf("no /dev/shm to write to: %v", err)
		}
		t.Cleanup(func() { _ = os.RemoveAll(other) })
		var a, b syscall.Stat_t
		if syscall.Stat(other, &a) != nil || syscall.Stat(os.TempDir(), &b) != nil || a.Dev == b.Dev {
			t.Skip("/dev/shm is on the temporary directory's file system")
		}
		checkpointUnderWrites(t, other)
	})
}

func checkpointUnderWrites(t *testing.T, backupRoot string) {
	dir := filepath.Join(t.TempDir(), "db")
	s, err := diskStore(t, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	c := s.StartCommitter(CommitterOptions{})

	// deleting is set before a delete is submitted, deleted once it is acknowledged.
	type state struct{ deleting, deleted bool }
	var (
		mu    sync.Mutex
		acked = map[uint64]*state{}
		next  atomic.Uint64
		stop  = make(chan struct{})
		wg    sync.WaitGroup
	)
	commit := func(b *Batch) error {
		errc := make(chan error, 1)
		c.Submit(b, func(err error) { errc <- err })
		return <-errc
	}
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []uint64
			for {
				select {
				case <-stop:
					return
				default:
				}
				h := next.Add(1)
				b := NewBatch()
				b.PutGrant(&Grant{Handle: h, Session: 1, Feature: "F", Device: "d", User: "u"})
				if err := commit(b); err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				acked[h] = &state{}
				mu.Unlock()
				mine = append(mine, h)
				if len(mine) > 100 {
					old := mine[0]
					mine = mine[1:]
					mu.Lock()
					acked[old].deleting = true
					mu.Unlock()
					b := NewBatch()
					b.DeleteGrant(old)
					if err := commit(b); err != nil {
						t.Error(err)
						return
					}
					mu.Lock()
					acked[old].deleted = true
					mu.Unlock()
				}
			}
		}()
	}
	for next.Load() < 3000 {
		if t.Failed() {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	// What was acknowledged before the checkpoint began.
	mu.Lock()
	before := make(map[uint64]state, len(acked))
	for h, st := range acked {
		before[h] = *st
	}
	mu.Unlock()
	cp := filepath.Join(backupRoot, "backup", "db")
	if err := os.MkdirAll(filepath.Dir(cp), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := s.Checkpoint(cp); err != nil {
		t.Fatal(err)
	}
	// The deletes begun before the checkpoint returned may or may not be in it.
	mu.Lock()
	for h := range before {
		if acked[h].deleting {
			st := before[h]
			st.deleting = true
			before[h] = st
		}
	}
	mu.Unlock()
	close(stop)
	wg.Wait()
	if err := s.Checkpoint(cp); err == nil {
		t.Fatal("a checkpoint into an existing directory was accepted")
	}

	fi, err := os.Stat(cp)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o700 {
		t.Errorf("checkpoint directory mode %v, want 0700", fi.Mode().Perm())
	}
	entries, err := os.ReadDir(cp)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		fi, err := e.Info()
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().IsRegular() && fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v, want 0600", e.Name(), fi.Mode().Perm())
		}
	}

	r, err := diskStore(t, cp)
	if err != nil {
		t.Fatalf("the checkpoint does not open: %v", err)
	}
	defer r.Close()
	held := map[uint64]bool{}
	if err := r.ForEachGrant(func(g *Grant) error { held[g.Handle] = true; return nil }); err != nil {
		t.Fatal(err)
	}
	for h, st := range before {
		switch {
		case st.deleted && held[h]:
			t.Errorf("grant %d was deleted before the checkpoint but the copy holds it", h)
		case !st.deleting && !held[h]:
			t.Errorf("grant %d was acknowledged before the checkpoint but the copy lacks it", h)
		}
	}
	if len(before) < 1000 {
		t.Fatalf("only %d grants before the checkpoint: the test did not exercise the store", len(before))
	}
	t.Logf("%d grants acknowledged before the checkpoint, %d held in it", len(before), len(held))
}
