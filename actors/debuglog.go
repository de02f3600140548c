package actors

import (
	"bufio"
	"io"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// DebugLog is the vendor debug log for administrators, in FLEXlm's line shape
// ("HH:MM:SS (CITRIX) OUT: "FEATURE" user@host"), so that their grep habits work. Entries go
// through a channel to one writer goroutine; when the channel is full an entry is dropped
// and counted rather than slowing the checkout path. The options file's NOLOG IN, OUT and
// DENIED switch the kinds off ("Options file").
type DebugLog struct {
	ch      chan debugEntry
	w       *bufio.Writer
	closer  io.Closer
	vendor  string
	noLog   atomic.Uint32
	dropped atomic.Uint64
	done    chan struct{}
	once    sync.Once
}

// Debug log entry kinds.
const (
	LogOut uint8 = 1 << iota
	LogIn
	LogDenied
	LogInfo
)

type debugEntry struct {
	when          time.Time
	kind          uint8
	feature, user string
	host, detail  string
}

// NewDebugLog starts a debug log writing to w (nil: a log that discards everything).
func NewDebugLog(w io.Writer, vendor string) *DebugLog {
	d := &DebugLog{ch: make(chan debugEntry, 8192), vendor: vendor, done: make(chan struct{})}
	if w == nil {
		close(d.done)
		return d
	}
	d.w = bufio.NewWriterSize(w, 64<<10)
	if c, ok := w.(io.Closer); ok {
		d.closer = c
	}
	go d.run()
	return d
}

// SetNoLog switches entry kinds off (a mask of LogOut, LogIn, LogDenied).
func (d *DebugLog) SetNoLog(mask uint8) { d.noLog.Store(uint32(mask)) }

// Dropped is the number of entries lost because the writer could not keep up.
func (d *DebugLog) Dropped() uint64 { return d.dropped.Load() }

// Log queues one entry; it never blocks.
func (d *DebugLog) Log(when time.Time, kind uint8, feature, user, host, detail string) {
	if d == nil || d.w == nil || uint32(kind)&d.noLog.Load() != 0 {
		return
	}
	select {
	case d.ch <- debugEntry{when: when, kind: kind, feature: feature, user: user, host: host, detail: detail}:
	default:
		d.dropped.Add(1)
	}
}

// Infof-style free text line (start-up, reread, shutdown).
func (d *DebugLog) Info(when time.Time, text string) { d.Log(when, LogInfo, "", "", "", text) }

func (d *DebugLog) run() {
	defer close(d.done)
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	var line []byte
	for {
		select {
		case e, ok := <-d.ch:
			if !ok {
				_ = d.w.Flush()
				if d.closer != nil {
					_ = d.closer.Close()
				}
				return
			}
			line = d.format(line[:0], &e)
			_, _ = d.w.Write(line)
		case <-tick.C:
			_ = d.w.Flush()
		}
	}
}

func (d *DebugLog) format(b []byte, e *debugEntry) []byte {
	b = e.when.AppendFormat(b, "15:04:05")
	b = append(b, " ("...)
	b = append(b, d.vendor...)
	b = append(b, ") "...)
	switch e.kind {
	case LogOut:
		b = append(b, "OUT: "...)
	case LogIn:
		b = append(b, "IN: "...)
	case LogDenied:
		b = append(b, "DENIED: "...)
	default:
		b = append(b, e.detail...)
		return append(b, '\n')
	}
	b = strconv.AppendQuote(b, e.feature)
	b = append(b, ' ')
	b = append(b, e.user...)
	b = append(b, '@')
	b = append(b, e.host...)
	if e.detail != "" {
		b = append(b, "  ("...)
		b = append(b, e.detail...)
		b = append(b, ')')
	}
	return append(b, '\n')
}

// Close flushes and stops the writer; safe to call twice.
func (d *DebugLog) Close() {
	if d == nil {
		return
	}
	d.once.Do(func() {
		if d.w != nil {
			close(d.ch)
		}
	})
	<-d.done
}
