package daemon_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/licd/licd/bench"
	"github.com/licd/licd/license"
)

// heldAfterRestarts starts licd, takes n grants, and stops and starts it twice so that the
// grants are in an sstable; it returns the stopped server.
func heldAfterRestarts(t *testing.T, f *fixture, n int) *bench.Server {
	t.Helper()
	f.issue("ccs.lic", license.LineSpec{Feature: "XDT_PLT_CCS", Count: 1000})
	s := f.start()
	c := dial(t, s, "XDT")
	for i := 0; i < n; i++ {
		grant(t, c, "XDT_PLT_CCS", fmt.Sprintf("d%d", i), 20240101)
	}
	for i := 0; i < 2; i++ {
		if err := s.Stop(20 * time.Second); err != nil {
			t.Fatal(err)
		}
		if err := s.Restart(ctx(t)); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Stop(20 * time.Second); err != nil {
		t.Fatal(err)
	}
	return s
}

// wantRefusedStart checks that licd does not start on a damaged store, and says so without
// a panic, with the way out.
func wantRefusedStart(t *testing.T, s *bench.Server, why string) {
	t.Helper()
	err := s.Restart(ctx(t))
	if err == nil {
		t.Fatalf("licd started on a damaged store:\n%s", s.Output())
	}
	out := err.Error()
	for _, want := range []string{"exit status 1", why, "Disaster recovery backup and redundancy", "aside"} {
		if !strings.Contains(out, want) {
			t.Errorf("licd's refusal lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "panic") || strings.Contains(out, "goroutine ") {
		t.Errorf("licd panicked instead of refusing cleanly:\n%s", out)
	}
}

func dbFile(t *testing.T, s *bench.Server, pattern string) string {
	t.Helper()
	m, _ := filepath.Glob(filepath.Join(s.DataDir(), "db", pattern))
	if len(m) == 0 {
		t.Fatalf("no %s in the store", pattern)
	}
	return m[len(m)-1]
}

// Deleting the store's empty marker.manifest file made licd start with a fraction of its
// grants (and Pebble delete the rest); licd refuses to start instead, and starts with every
// grant when the file is back.
func TestLicdRefusesAStoreWithoutItsManifest(t *testing.T) {
	f := newFixture(t)
	s := heldAfterRestarts(t, f, 60)
	marker := dbFile(t, s, "marker.manifest.*")
	if err := os.Remove(marker); err != nil {
		t.Fatal(err)
	}
	wantRefusedStart(t, s, "manifest")
	if err := os.WriteFile(marker, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := s.Restart(ctx(t)); err != nil {
		t.Fatal(err)
	}
	if fs := featureStatus(t, dial(t, s, "WATCH"), "XDT_PLT_CCS"); fs.InUse != 60 {
		t.Fatalf("%d grants held after the marker is back, want all 60", fs.InUse)
	}
}

// A flipped block in an sstable made licd panic with a stack trace; it refuses cleanly.
func TestLicdRefusesACorruptStore(t *testing.T) {
	f := newFixture(t)
	s := heldAfterRestarts(t, f, 60)
	sst := dbFile(t, s, "*.sst")
	b, err := os.ReadFile(sst)
	if err != nil {
		t.Fatal(err)
	}
	for i := len(b) / 4; i < len(b)/4+64; i++ {
		b[i] ^= 0xff
	}
	if err := os.WriteFile(sst, b, 0o600); err != nil {
		t.Fatal(err)
	}
	wantRefusedStart(t, s, "corrupt")
}
