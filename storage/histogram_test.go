package storage

import (
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"
)

func TestHistogramBuckets(t *testing.T) {
	h := NewHistogram(1, 4, 16)
	for _, v := range []uint64{0, 1, 2, 4, 5, 16, 17, 1000} {
		h.Observe(v)
	}
	s := h.Snapshot()
	want := []uint64{2, 2, 2, 2} // <=1: 0,1; <=4: 2,4; <=16: 5,16; above: 17,1000
	for i, w := range want {
		if s.Counts[i] != w {
			t.Fatalf("bucket %d: %d observations, want %d (%v)", i, s.Counts[i], w, s.Counts)
		}
	}
	if s.Count != 8 || s.Sum != 0+1+2+4+5+16+17+1000 {
		t.Fatalf("count %d sum %d", s.Count, s.Sum)
	}
}

// The committer measures every durable commit: its mutations and its sync latency.
func TestCommitterHistograms(t *testing.T) {
	s := openMem(t, vfs.NewMem())
	c := s.StartCommitter(CommitterOptions{})
	defer c.Close()
	done := make(chan error, 1)
	b := NewBatch()
	b.PutGrant(&Grant{Handle: 1, Feature: "F", User: "u"})
	b.PutGrant(&Grant{Handle: 2, Feature: "F", User: "u"})
	b.PutGrant(&Grant{Handle: 3, Feature: "F", User: "u"})
	c.Submit(b, func(err error) { done <- err })
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	recs, syncs := c.CommitHistograms()
	if recs.Count != 1 || recs.Sum != 3 {
		t.Fatalf("records per commit: %d commits, %d records; want 1 and 3", recs.Count, recs.Sum)
	}
	if recs.Counts[2] != 1 { // bounds 1, 2, 4: three records fall in <=4
		t.Fatalf("3 records not in the <=4 bucket: %v", recs.Counts)
	}
	if syncs.Count != 1 || syncs.Sum == 0 {
		t.Fatalf("sync latency: %d observations, sum %dns", syncs.Count, syncs.Sum)
	}
}
