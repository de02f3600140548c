package storage

import (
	"fmt"

	"github.com/cockroachdb/pebble/v2"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// pebbleLogger sends Pebble's own log to zap instead of stderr. Pebble's info
// lines are internals (WAL recovery, compaction picks), so they go to debug.
type pebbleLogger struct{ log *zap.Logger }

var _ pebble.Logger = pebbleLogger{}

func (l pebbleLogger) Infof(format string, args ...any) { l.at(zapcore.DebugLevel, format, args) }

func (l pebbleLogger) Errorf(format string, args ...any) { l.at(zapcore.ErrorLevel, format, args) }

// Fatalf must not return: Pebble calls it when its commit pipeline or MANIFEST
// is broken and carries on as if the call had exited (DB.Apply then returns nil
// for a commit whose WAL sync failed). Pebble's default exits the process; we
// panic with pebbleFatal instead, which the commit paths recover into an error
// that fails the Store (see Store.fail). Raised on a Pebble background
// goroutine, the panic ends the process as Pebble's default would.
func (l pebbleLogger) Fatalf(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	l.log.Error("pebble fatal error", zap.String("pebble", msg))
	panic(pebbleFatal{msg: msg})
}

func (l pebbleLogger) at(level zapcore.Level, format string, args []any) {
	if ce := l.log.Check(level, "pebble"); ce != nil {
		ce.Write(zap.String("pebble", fmt.Sprintf(format, args...)))
	}
}

// pebbleFatal is the panic value of pebbleLogger.Fatalf.
type pebbleFatal struct{ msg string }

func (p pebbleFatal) Error() string { return "pebble: " + p.msg }

// eventListener reports what an operator can act on: failing background work,
// a slow disk (every grant waits for its fsync) and write stalls.
func eventListener(log *zap.Logger) pebble.EventListener {
	return pebble.EventListener{
		BackgroundError: func(err error) {
			log.Error("pebble background error; check the disk holding the data directory", zap.Error(err))
		},
		DiskSlow: func(info pebble.DiskSlowInfo) {
			log.Warn("slow disk: grants wait for this write to finish",
				zap.String("path", info.Path), zap.Stringer("op", info.OpType), zap.Duration("duration", info.Duration))
		},
		WriteStallBegin: func(info pebble.WriteStallBeginInfo) {
			log.Warn("pebble write stall: commits wait for background flushes", zap.String("reason", info.Reason))
		},
		WriteStallEnd: func() { log.Info("pebble write stall ended") },
		// A block whose checksum fails: the read returns the error (Pebble's default would
		// call Fatalf). The message only: Pebble's errors carry stack traces.
		DataCorruption: func(info pebble.DataCorruptionInfo) {
			log.Error("the store is corrupt: a block failed its checksum", zap.String("path", info.Path), zap.String("details", info.Details.Error()))
		},
	}
}
