package userdevice

import (
	"fmt"
	"time"
)

// EventType is what happened in an Event. The values may be persisted: never renumber.
type EventType uint8

const (
	EventConnect         EventType = iota + 1 // a pair connected (User, Device)
	EventDisconnect                           // a pair's last open connection closed (User, Device)
	EventLicenseAssigned                      // a connection took a new license (Kind, Name)
	EventOptimizedIn                          // the optimizer assigned a license (Kind, Name)
	EventOptimizedOut                         // the optimizer withdrew a license (Kind, Name)
	EventLeaseExpired                         // a pair's lease ended (User, Device)
	EventLicenseEnded                         // a license ended with its last pair (Kind, Name)
	EventReleased                             // udadmin released a user or device (Kind, Name)
)

func (t EventType) String() string {
	switch t {
	case EventConnect:
		return "connect"
	case EventDisconnect:
		return "disconnect"
	case EventLicenseAssigned:
		return "license assigned"
	case EventOptimizedIn:
		return "license assigned by optimization"
	case EventOptimizedOut:
		return "license withdrawn by optimization"
	case EventLeaseExpired:
		return "lease expired"
	case EventLicenseEnded:
		return "license ended"
	case EventReleased:
		return "released"
	}
	return fmt.Sprintf("event(%d)", uint8(t))
}

// Event is one entry of a feature's event log (udadmin -events: "all events logged by the
// user/device licensing for each feature sorted in chronological order"). Seq numbers the
// events of a feature from 1 without gaps; a gap seen by a reader means the ring overwrote
// events it had not drained.
type Event struct {
	Seq          uint64
	Time         time.Time
	Type         EventType
	User, Device string // pair events
	Kind         Kind   // license events
	Name         string // license events
}

func (e Event) String() string {
	ts := e.Time.UTC().Format("2006-01-02 15:04:05")
	if e.Kind != 0 {
		return fmt.Sprintf("%s %s %s %q", ts, e.Type, e.Kind, e.Name)
	}
	return fmt.Sprintf("%s %s user %q device %q", ts, e.Type, e.User, e.Device)
}

// eventRing keeps the newest events up to its capacity; its memory is taken at the first
// event, so that idle features cost nothing.
type eventRing struct {
	capacity int
	buf      []Event
	start    int    // index of the oldest event
	n        int    // events held
	next     uint64 // Seq of the next event
}

func newEventRing(capacity int) eventRing {
	return eventRing{capacity: capacity, next: 1}
}

func (r *eventRing) add(e Event) {
	e.Seq = r.next
	r.next++
	if r.buf == nil {
		r.buf = make([]Event, r.capacity)
	}
	if r.n < len(r.buf) {
		r.buf[(r.start+r.n)%len(r.buf)] = e
		r.n++
		return
	}
	r.buf[r.start] = e
	r.start = (r.start + 1) % len(r.buf)
}

// since appends to dst the events with Seq > after that the ring still holds, oldest first.
// It starts at the first wanted event rather than scanning the ring: the actor drains new
// events after every change, so the scan would cost the whole ring each time.
func (r *eventRing) since(after uint64, dst []Event) []Event {
	oldest := r.next - uint64(r.n)
	first := 0
	if after >= oldest {
		first = int(after - oldest + 1)
	}
	for i := first; i < r.n; i++ {
		dst = append(dst, r.buf[(r.start+i)%len(r.buf)])
	}
	return dst
}

// resume empties the ring and numbers the next event lastSeq+1.
func (r *eventRing) resume(lastSeq uint64) {
	clear(r.buf)
	r.start, r.n, r.next = 0, 0, lastSeq+1
}
