package storage

import (
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"
)

// A snapshot sees the store as it was when taken, whatever is written after, and its check
// decodes every record.
func TestSnapshotIsolatedAndChecked(t *testing.T) {
	s := openMem(t, vfs.NewMem())
	defer s.Close()
	mustCommit(t, s, func(b *Batch) {
		b.PutUDLicense(&UDLicense{Feature: "F", Kind: UDKindUser, Name: "alice", Since: 1, LeaseEnd: 2})
		b.PutCounter("c", 7)
		b.PutSetting("x/y", []byte("1"))
	})
	sn, err := s.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	defer sn.Close()
	mustCommit(t, s, func(b *Batch) {
		b.PutUDLicense(&UDLicense{Feature: "F", Kind: UDKindUser, Name: "bob", Since: 1, LeaseEnd: 2})
		b.PutCounter("c", 8)
	})
	var names []string
	if err := sn.ForEachUDLicense(func(l *UDLicense) error { names = append(names, l.Name); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(names) != 1 || names[0] != "alice" {
		t.Fatalf("snapshot sees %v, want only alice (bob came later)", names)
	}
	if c, _ := sn.Counters("c"); c["c"] != 7 {
		t.Fatalf("snapshot counter %v, want 7", c)
	}
	rep, err := sn.Check()
	if err != nil || !rep.OK {
		t.Fatalf("check: %+v %v", rep, err)
	}
	found := false
	for _, sp := range rep.Spaces {
		if sp.Space == "ud-licenses" && sp.Records == 1 {
			found = true
		}
	}
	if !found {
		t.Fatalf("check did not count the one user/device license: %+v", rep.Spaces)
	}
	if m, err := s.Metrics(); err != nil || m == "" {
		t.Fatalf("metrics: %q %v", m, err)
	}
}
