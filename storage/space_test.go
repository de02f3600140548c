package storage

import (
	"errors"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"
	"go.uber.org/zap/zaptest"
)

// Below the reserve every write is refused with ErrDiskFull and nothing is written; the
// store is not failed, so writes succeed again as soon as there is space (before, the first
// failed write stopped the store until a restart). Open refuses to start below it.
func TestDiskFullRefusesWritesUntilSpaceReturns(t *testing.T) {
	fs := vfs.NewMem()
	plenty := vfs.DiskUsage{AvailBytes: 1 << 30, TotalBytes: 2 << 30, UsedBytes: 1 << 30}
	full := vfs.DiskUsage{AvailBytes: 1 << 20, TotalBytes: 2 << 30, UsedBytes: 2<<30 - 1<<20}
	fs.TestingSetDiskUsage(plenty)
	s := openMem(t, fs)
	c := s.StartCommitter(CommitterOptions{})
	submit := func(handle uint64) error {
		b := NewBatch()
		b.PutGrant(&Grant{Handle: handle, Feature: "XDT_PLT_CCS"})
		done := make(chan error, 1)
		c.Submit(b, func(err error) { done <- err })
		return <-done
	}
	if err := submit(1); err != nil {
		t.Fatal(err)
	}
	fs.TestingSetDiskUsage(full)
	if err := submit(2); !errors.Is(err, ErrDiskFull) {
		t.Fatalf("a grant on a full disk: %v, want ErrDiskFull", err)
	}
	if err := s.Commit(NewBatch()); !errors.Is(err, ErrDiskFull) {
		t.Fatalf("a direct commit on a full disk: %v, want ErrDiskFull", err)
	}
	fs.TestingSetDiskUsage(plenty)
	if err := submit(3); err != nil {
		t.Fatalf("a grant once there is space again: %v", err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	s = reopen(t, s, fs)
	var handles []uint64
	if err := s.ForEachGrant(func(g *Grant) error { handles = append(handles, g.Handle); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(handles) != 2 || handles[0] != 1 || handles[1] != 3 {
		t.Fatalf("grants after reopen: %v, want 1 and 3 (2 was refused)", handles)
	}
	_ = s.Close()

	fs.TestingSetDiskUsage(full)
	if s, err := Open("data", Options{FS: fs, Logger: zaptest.NewLogger(t)}); !errors.Is(err, ErrDiskFull) {
		if s != nil {
			_ = s.Close()
		}
		t.Fatalf("Open on a full disk: %v, want ErrDiskFull at once", err)
	}
}
