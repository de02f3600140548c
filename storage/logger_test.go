package storage

import (
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

// Pebble's own log goes to zap (its internals at debug), never to stderr, and
// a clean open, write, restart says nothing at info or above.
func TestPebbleLogGoesToZapAtDebug(t *testing.T) {
	core, logs := observer.New(zapcore.DebugLevel)
	fs := vfs.NewMem()
	for range 2 { // the second open replays the first one's WAL, which Pebble logs
		s, err := Open("data", Options{FS: fs, Logger: zap.New(core)})
		if err != nil {
			t.Fatal(err)
		}
		mustCommit(t, s, func(b *Batch) { b.PutGrant(&Grant{Handle: 1}) })
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
	pebbleLines := logs.FilterLoggerName("storage").FilterMessage("pebble").FilterFieldKey("pebble")
	replay := pebbleLines.Filter(func(e observer.LoggedEntry) bool {
		return strings.Contains(e.ContextMap()["pebble"].(string), "WAL")
	})
	if replay.Len() == 0 {
		t.Errorf("Pebble's WAL recovery lines did not reach zap; got %v", logs.All())
	}
	for _, e := range logs.All() {
		if e.Level > zapcore.DebugLevel {
			t.Errorf("clean start-up logged at %v: %s %v", e.Level, e.Message, e.ContextMap())
		}
	}
}

func TestMeasureGroupCommitReportsARateAndCleansUp(t *testing.T) {
	dir := t.TempDir()
	rate, err := MeasureGroupCommit(dir, 4, 50*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	if rate <= 0 {
		t.Errorf("rate %v records/s, want > 0", rate)
	}
	left, _ := vfs.Default.List(dir)
	if len(left) != 0 {
		t.Errorf("scratch files left in %s: %v", dir, left)
	}
	if _, err := MeasureGroupCommit(dir, 0, time.Second); err == nil {
		t.Error("MeasureGroupCommit with 0 writers succeeded")
	}
}
