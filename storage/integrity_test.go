package storage

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.uber.org/zap/zaptest"
)

// diskStore is a store on the real disk (the damage below is done to its files).
func diskStore(t *testing.T, dir string) (*Store, error) {
	t.Helper()
	return Open(dir, Options{Logger: zaptest.NewLogger(t), CacheBytes: 1 << 20})
}

// writeGrants commits n grants over several commits, then reopens the store twice so that
// they are in an sstable (Pebble flushes the replayed WAL at open) and in a later WAL.
func writeGrants(t *testing.T, dir string, n int) {
	t.Helper()
	s, err := diskStore(t, dir)
	if err != nil {
		t.Fatal(err)
	}
	b := NewBatch()
	for i := 0; i < n; i++ {
		b.PutGrant(&Grant{Handle: uint64(i + 1), Session: 1, Feature: "XDT_PLT_CCS", Device: "device", User: strings.Repeat("u", 100)})
		if b.Len() == 100 || i == n-1 {
			if err := s.Commit(b); err != nil {
				t.Fatal(err)
			}
			b.Reset()
		}
	}
	for i := 0; i < 2; i++ {
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		if s, err = diskStore(t, dir); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}

func countGrants(t *testing.T, s *Store) int {
	t.Helper()
	n := 0
	if err := s.ForEachGrant(func(*Grant) error { n++; return nil }); err != nil {
		t.Fatal(err)
	}
	return n
}

func onlyFile(t *testing.T, dir, pattern string) string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, pattern))
	if err != nil || len(m) == 0 {
		ls, _ := os.ReadDir(dir)
		t.Fatalf("no %s in %s: %v", pattern, dir, ls)
	}
	return m[len(m)-1]
}

// wantRefusal checks that Open refuses dir with a clear message and the way out.
func wantRefusal(t *testing.T, dir string, why string) {
	t.Helper()
	s, err := diskStore(t, dir)
	if err == nil {
		n := countGrants(t, s)
		_ = s.Close()
		t.Fatalf("Open accepted a damaged store (%d grants in it)", n)
	}
	t.Logf("refused: %v", err)
	for _, want := range []string{why, "Disaster recovery backup and redundancy", "move " + dir + " aside"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the refusal lacks %q:\n%v", want, err)
		}
	}
}

// Deleting the (empty) manifest marker made Pebble start an empty store over the old files,
// and delete them: 0 of 3,300 grants came back. The store is refused instead, and putting
// the marker back finds every grant.
func TestOpenRefusesAStoreWithoutItsManifest(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "db")
	writeGrants(t, dir, 3300)
	marker := onlyFile(t, dir, "marker.manifest.*")
	if err := os.Remove(marker); err != nil {
		t.Fatal(err)
	}
	wantRefusal(t, dir, "its manifest (marker.manifest.*, MANIFEST-*) is missing")
	if err := os.WriteFile(marker, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := diskStore(t, dir)
	if err != nil {
		t.Fatalf("the marker is back: %v", err)
	}
	defer s.Close()
	if n := countGrants(t, s); n != 3300 {
		t.Fatalf("%d grants after the refusal, want all 3300 (the refusal must not touch the files)", n)
	}
}

// A block whose checksum fails is found at Open, as an error, not by a reader later.
func TestOpenRefusesACorruptBlock(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "db")
	writeGrants(t, dir, 3300)
	sst := onlyFile(t, dir, "*.sst")
	b, err := os.ReadFile(sst)
	if err != nil {
		t.Fatal(err)
	}
	for i := 1000; i < 1100; i++ {
		b[i] ^= 0xff
	}
	if err := os.WriteFile(sst, b, 0o600); err != nil {
		t.Fatal(err)
	}
	wantRefusal(t, dir, "is corrupt")
}

// The newest WAL, which holds the latest start's epoch and the writes after it, is lost:
// the store is older than StateFile says, and is refused.
func TestOpenRefusesAStoreOlderThanItsState(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "db")
	writeGrants(t, dir, 10)
	wal := onlyFile(t, dir, "*.log")
	if err := os.Remove(wal); err != nil {
		t.Fatal(err)
	}
	wantRefusal(t, dir, "older than what licd last wrote")
}
