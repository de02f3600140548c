package actors

import (
	"bufio"
	"io"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"
)

// DebugLog is the vendor debug log for administrators, in FLEXlm's line shape
// ("HH:MM:SS (CITRIX) OUT: "FEATURE" user@host"), so that their grep habits work, and the
// optional report log (the options file's REPORTLOG, JSON lines: REPORTLOG.md). Entries go
// through a channel to one writer goroutine; when the channel is full an entry is dropped
// and counted rather than slowing the checkout path, and nothing is formatted on the
// checkout path. The options file's NOLOG IN, OUT and DENIED switch the kinds off in the
// debug log ("Options file"); the report log records every checkout, checkin and denial.
//
// Every IN line says what released the license (ReasonCheckin, ReasonGoodbye, ...), and the
// first entry of each day is preceded by FLEXlm's "TIMESTAMP m/d/yyyy" line, so that the
// time-only entries can be dated.
type DebugLog struct {
	ch      chan debugEntry
	w       *bufio.Writer
	closer  io.Closer
	rw      *bufio.Writer // report log; nil when none
	rcloser io.Closer
	vendor  string
	noLog   atomic.Uint32
	dropped atomic.Uint64
	counts  Counters // what Record saw, for the metrics (counters.go)
	done    chan struct{}
	once    sync.Once
	lastDay int // yyyymmdd of the last TIMESTAMP written (writer goroutine only)
}

// Debug log entry kinds.
const (
	LogOut uint8 = 1 << iota
	LogIn
	LogDenied
	LogInfo
)

// Reasons an IN line gives for a release.
const (
	ReasonCheckin       = "checkin"
	ReasonDeviceCheckin = "checkin of the device"
	ReasonGoodbye       = "goodbye: the product ended its session"
	ReasonLinger        = "linger expired: the product was lost"
	ReasonReconcile     = "not stated by the reconciling product"
	ReasonTimeout       = "INACTIVE: TIMEOUT"
	ReasonUDAdmin       = "udadmin"
	ReasonLeaseExpired  = "assignment period expired"
)

// Event is one checkout, checkin or denial, as the debug log and the report log record it.
type Event struct {
	When                  time.Time
	Kind                  uint8 // LogOut, LogIn or LogDenied
	Feature, User, Host   string
	Device, Product, Pool string
	Detail                string // the IN line's reason; the denial's code text
	Handle, Session       uint64
	Code                  int32 // the denial's wire code
	debug                 bool
}

type debugEntry = Event

// NewDebugLog starts a debug log writing to w (nil: a log that discards everything).
func NewDebugLog(w io.Writer, vendor string) *DebugLog { return NewDebugLogs(w, nil, vendor) }

// NewDebugLogs starts a debug log writing to w and, when report is not nil, a report log
// writing JSON lines to it. Either may be nil.
func NewDebugLogs(w, report io.Writer, vendor string) *DebugLog {
	d := &DebugLog{ch: make(chan debugEntry, 8192), vendor: vendor, done: make(chan struct{})}
	if w == nil && report == nil {
		close(d.done)
		return d
	}
	if w != nil {
		d.w = bufio.NewWriterSize(w, 64<<10)
		if c, ok := w.(io.Closer); ok {
			d.closer = c
		}
	}
	if report != nil {
		d.rw = bufio.NewWriterSize(report, 64<<10)
		if c, ok := report.(io.Closer); ok {
			d.rcloser = c
		}
	}
	go d.run()
	return d
}

// SetNoLog switches entry kinds off (a mask of LogOut, LogIn, LogDenied).
func (d *DebugLog) SetNoLog(mask uint8) { d.noLog.Store(uint32(mask)) }

// Dropped is the number of entries lost because the writer could not keep up.
func (d *DebugLog) Dropped() uint64 { return d.dropped.Load() }

// Counters are the counts of the events recorded (nil on a nil DebugLog).
func (d *DebugLog) Counters() *Counters {
	if d == nil {
		return nil
	}
	return &d.counts
}

// Reporting reports whether a report log is configured.
func (d *DebugLog) Reporting() bool { return d != nil && d.rw != nil }

// Log queues one entry; it never blocks.
func (d *DebugLog) Log(when time.Time, kind uint8, feature, user, host, detail string) {
	d.Record(Event{When: when, Kind: kind, Feature: feature, User: user, Host: host, Detail: detail})
}

// Record queues one event for the debug log (unless NOLOG'd) and the report log; it never
// blocks and formats nothing.
func (d *DebugLog) Record(e Event) {
	if d == nil {
		return
	}
	d.counts.count(&e)
	e.debug = d.w != nil && uint32(e.Kind)&d.noLog.Load() == 0
	if !e.debug && (d.rw == nil || e.Kind == LogInfo) {
		return
	}
	select {
	case d.ch <- e:
	default:
		d.dropped.Add(1)
	}
}

// Info writes a free text line (start-up, reread, shutdown).
func (d *DebugLog) Info(when time.Time, text string) { d.Log(when, LogInfo, "", "", "", text) }

func (d *DebugLog) run() {
	defer close(d.done)
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	var line []byte
	flush := func() {
		if d.w != nil {
			_ = d.w.Flush()
		}
		if d.rw != nil {
			_ = d.rw.Flush()
		}
	}
	for {
		select {
		case e, ok := <-d.ch:
			if !ok {
				flush()
				if d.closer != nil {
					_ = d.closer.Close()
				}
				if d.rcloser != nil {
					_ = d.rcloser.Close()
				}
				return
			}
			if e.debug {
				line = d.format(line[:0], &e)
				_, _ = d.w.Write(line)
			}
			if d.rw != nil && e.Kind != LogInfo {
				line = appendReport(line[:0], &e)
				_, _ = d.rw.Write(line)
			}
		case <-tick.C:
			flush()
		}
	}
}

func (d *DebugLog) format(b []byte, e *debugEntry) []byte {
	if y, m, dd := e.When.Date(); y*10000+int(m)*100+dd != d.lastDay {
		// FLEXlm's daily line: the entries after it are of that day.
		d.lastDay = y*10000 + int(m)*100 + dd
		b = d.prefix(b, e.When)
		b = append(b, "TIMESTAMP "...)
		b = strconv.AppendInt(b, int64(m), 10)
		b = append(b, '/')
		b = strconv.AppendInt(b, int64(dd), 10)
		b = append(b, '/')
		b = strconv.AppendInt(b, int64(y), 10)
		b = append(b, '\n')
	}
	b = d.prefix(b, e.When)
	switch e.Kind {
	case LogOut:
		b = append(b, "OUT: "...)
	case LogIn:
		b = append(b, "IN: "...)
	case LogDenied:
		b = append(b, "DENIED: "...)
	default:
		b = append(b, e.Detail...)
		return append(b, '\n')
	}
	b = strconv.AppendQuote(b, e.Feature)
	b = append(b, ' ')
	b = append(b, e.User...)
	b = append(b, '@')
	b = append(b, e.Host...)
	if e.Detail != "" {
		b = append(b, "  ("...)
		b = append(b, e.Detail...)
		b = append(b, ')')
	}
	return append(b, '\n')
}

func (d *DebugLog) prefix(b []byte, when time.Time) []byte {
	b = when.AppendFormat(b, "15:04:05")
	b = append(b, " ("...)
	b = append(b, d.vendor...)
	return append(b, ") "...)
}

// appendReport writes one report log line (REPORTLOG.md).
func appendReport(b []byte, e *Event) []byte {
	b = append(b, `{"time":"`...)
	b = e.When.UTC().AppendFormat(b, time.RFC3339Nano)
	b = append(b, `","event":"`...)
	switch e.Kind {
	case LogOut:
		b = append(b, "checkout"...)
	case LogIn:
		b = append(b, "checkin"...)
	default:
		b = append(b, "denied"...)
	}
	b = append(b, '"')
	b = jsonField(b, "feature", e.Feature)
	b = jsonField(b, "user", e.User)
	b = jsonField(b, "host", e.Host)
	b = jsonField(b, "device", e.Device)
	b = jsonField(b, "product", e.Product)
	b = jsonField(b, "pool", e.Pool)
	if e.Handle != 0 {
		b = append(b, `,"handle":`...)
		b = strconv.AppendUint(b, e.Handle, 10)
	}
	if e.Session != 0 {
		b = append(b, `,"session":`...)
		b = strconv.AppendUint(b, e.Session, 10)
	}
	if e.Kind == LogIn {
		b = jsonField(b, "reason", e.Detail)
	}
	if e.Kind == LogDenied {
		if e.Code != 0 {
			b = append(b, `,"code":`...)
			b = strconv.AppendInt(b, int64(e.Code), 10)
		}
		b = jsonField(b, "reason", e.Detail)
	}
	return append(b, "}\n"...)
}

// jsonField appends ,"key":"value" (nothing for an empty value), escaping value as JSON.
func jsonField(b []byte, key, v string) []byte {
	if v == "" {
		return b
	}
	b = append(b, ',', '"')
	b = append(b, key...)
	b = append(b, `":"`...)
	const hex = "0123456789abcdef"
	for i := 0; i < len(v); {
		c := v[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c < 0x20:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(v[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, `\ufffd`...)
		} else {
			b = append(b, v[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}

// Close flushes and stops the writer; safe to call twice.
func (d *DebugLog) Close() {
	if d == nil {
		return
	}
	d.once.Do(func() {
		if d.w != nil || d.rw != nil {
			close(d.ch)
		}
	})
	<-d.done
}
