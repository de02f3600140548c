// Package idle is the options file's TIMEOUT and TIMEOUTALL as pure rules over an injected
// clock: a checkout whose product session has been inactive longer than the feature's
// timeout is checked in, as FLEXlm's vendor daemons do. A checkout is inactive from the
// product session's last heartbeat (a lost product, or one that stopped heartbeating), or
// from the time its product said the user went idle (wire message UserIdle), whichever is
// earlier, and never before the checkout itself; a user reported active again is active.
//
// FLEXlm does not accept a timeout below 900 seconds (15 minutes): a shorter TIMEOUT or
// TIMEOUTALL is raised to Minimum, with a warning at load.
//
// The feature actors keep one Tracker each and ask it, at every sweep, which checkouts are
// due; they release those with the reason "INACTIVE: TIMEOUT".
package idle

import (
	"sort"
	"time"
)

// Minimum is the shortest timeout applied: FLEXlm's 900 seconds.
const Minimum = 900 * time.Second

// Effective is the timeout applied for a configured one: at least minimum (0 when none is
// configured).
func Effective(configured, minimum time.Duration) time.Duration {
	if configured <= 0 {
		return 0
	}
	return max(configured, minimum)
}

// Checkout is one checkout as the rules see it.
type Checkout struct {
	Handle  uint64
	Session uint64
	Start   time.Time
}

// Tracker remembers which users their products reported idle, by handle.
type Tracker struct {
	idle map[uint64]time.Time // handle -> idle since
}

// UserIdle records that the product reported the user of handle idle since since; a zero
// since means active again.
func (t *Tracker) UserIdle(handle uint64, since time.Time) {
	if since.IsZero() {
		delete(t.idle, handle)
		return
	}
	if t.idle == nil {
		t.idle = make(map[uint64]time.Time)
	}
	t.idle[handle] = since
}

// Forget drops what is known of a handle (it was checked in).
func (t *Tracker) Forget(handle uint64) { delete(t.idle, handle) }

// Reported returns the handles reported idle, in order.
func (t *Tracker) Reported() []uint64 {
	out := make([]uint64, 0, len(t.idle))
	for h := range t.idle {
		out = append(out, h)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// InactiveSince is since when c counts as inactive, given its session's last heartbeat
// (zero: unknown, the session counts as active) and the idle report of its user (zero:
// none). ok is false when it is active.
func (t *Tracker) InactiveSince(c Checkout, lastHeard time.Time) (since time.Time, ok bool) {
	if s, reported := t.idle[c.Handle]; reported {
		since, ok = s, true
	}
	if !lastHeard.IsZero() && (!ok || lastHeard.Before(since)) {
		since, ok = lastHeard, true
	}
	if ok && since.Before(c.Start) {
		since = c.Start
	}
	return since, ok
}

// Due returns the handles of checkouts inactive for timeout or longer at now, in the order
// given. lastHeard holds the last heartbeat of the sessions that have gone quiet; a session
// missing from it is heartbeating. A timeout of 0 means none: nothing is due.
func (t *Tracker) Due(now time.Time, timeout time.Duration, checkouts []Checkout, lastHeard map[uint64]time.Time) []uint64 {
	if timeout <= 0 {
		return nil
	}
	var due []uint64
	for _, c := range checkouts {
		since, ok := t.InactiveSince(c, lastHeard[c.Session])
		if ok && now.Sub(since) >= timeout {
			due = append(due, c.Handle)
		}
	}
	return due
}
