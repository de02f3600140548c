package storage

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
)

func benchGrant(h uint64) Grant {
	return Grant{Handle: h, Session: h >> 20, Feature: "XDT_PLT_CCS", PoolID: "XDT_PLT_CCS/2025", User: "user0001", ClientHost: "ddc01.example.com", Product: "XDT", VersionDate: 20250101, Sockets: 1, Start: time.Now().UnixNano()}
}

// runClosedLoop spreads b.N one-record batches over submitters goroutines; each
// waits for its acknowledgement before the next, like a product waiting for a
// checkout reply. submit must call done after the record is durable.
func runClosedLoop(b *testing.B, submitters int, submit func(bt *Batch, done func(error))) {
	b.Helper()
	per := b.N / submitters
	extra := b.N % submitters
	var wg sync.WaitGroup
	start := time.Now()
	b.ResetTimer()
	for w := range submitters {
		n := per
		if w < extra {
			n++
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			bt := NewBatch()
			acked := make(chan error, 1)
			done := func(err error) { acked <- err }
			for i := range n {
				bt.Reset()
				g := benchGrant(uint64(w)<<32 | uint64(i))
				bt.PutGrant(&g)
				submit(bt, done)
				if err := <-acked; err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "records/s")
}

// BenchmarkCommitterSubmit: the group-committed path, real disk.
func BenchmarkCommitterSubmit(b *testing.B) {
	for _, submitters := range []int{1, 64, 256} {
		b.Run(fmt.Sprintf("submitters=%d", submitters), func(b *testing.B) {
			s, err := Open(b.TempDir(), Options{})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			c := s.StartCommitter(CommitterOptions{})
			b.ReportAllocs()
			runClosedLoop(b, submitters, c.Submit)
			if err := c.Close(); err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(c.Stats().MeanOpsPerCommit, "records/commit")
		})
	}
}

// BenchmarkSyncedCommitBaseline: one synced Pebble commit per record, real
// disk. With one writer this is the raw fsync rate; with 64, Pebble's own
// commit pipeline shares syncs among concurrent committers.
func BenchmarkSyncedCommitBaseline(b *testing.B) {
	for _, writers := range []int{1, 64} {
		b.Run(fmt.Sprintf("writers=%d", writers), func(b *testing.B) {
			s, err := Open(b.TempDir(), Options{})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			b.ReportAllocs()
			runClosedLoop(b, writers, func(bt *Batch, done func(error)) { done(s.Commit(bt)) })
		})
	}
}

// BenchmarkForEachUDEdge: start-up rebuild of user/device records (ns/op is per record).
func BenchmarkForEachUDEdge(b *testing.B) {
	const records = 200_000
	s, err := Open("data", Options{FS: vfs.NewMem()})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	bt := NewBatch()
	for i := range records {
		bt.PutUDEdge(&UDEdge{Feature: fmt.Sprint("XDT_PLT_UD", i%4), User: fmt.Sprintf("user%07d", i/3), Device: fmt.Sprintf("device%07d", i), First: int64(i), LastSeen: int64(i) * 7, Live: uint32(i % 3)})
		if bt.Len() == 10_000 {
			if err := s.Commit(bt); err != nil {
				b.Fatal(err)
			}
			bt.Reset()
		}
	}
	if err := s.db.Flush(); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	n := 0
	for n < b.N {
		if err := s.ForEachUDEdge(func(e *UDEdge) error { n++; return nil }); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkBatchPutGrant: the encoding cost an actor pays per decision.
func BenchmarkBatchPutGrant(b *testing.B) {
	bt := NewBatch()
	g := benchGrant(1)
	b.ReportAllocs()
	for i := range b.N {
		if i%256 == 0 {
			bt.Reset()
		}
		g.Handle = uint64(i)
		bt.PutGrant(&g)
	}
}
