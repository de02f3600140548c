package idle

import (
	"fmt"
	"testing"
	"time"
)

var t0 = time.Date(2030, 3, 1, 8, 0, 0, 0, time.UTC)

func TestEffectiveMinimum(t *testing.T) {
	for _, c := range []struct{ in, want time.Duration }{
		{0, 0}, {60 * time.Second, Minimum}, {899 * time.Second, Minimum}, {900 * time.Second, Minimum}, {3600 * time.Second, time.Hour},
	} {
		if got := Effective(c.in, Minimum); got != c.want {
			t.Errorf("Effective(%s) = %s, want %s", c.in, got, c.want)
		}
	}
}

// A walked clock over three checkouts with TIMEOUT 3600: one whose session stops
// heartbeating, one whose product reports the user idle (then active, then idle again), one
// on a session that keeps heartbeating; each is due exactly when it has been inactive for
// the timeout, and never counted from before its own checkout.
func TestDueWalkedClock(t *testing.T) {
	const timeout = time.Hour
	quiet := Checkout{Handle: 1, Session: 10, Start: t0}
	user := Checkout{Handle: 2, Session: 20, Start: t0}
	busy := Checkout{Handle: 3, Session: 30, Start: t0}
	late := Checkout{Handle: 4, Session: 10, Start: t0.Add(50 * time.Minute)} // after its session went quiet
	all := []Checkout{quiet, user, busy, late}
	var tr Tracker
	heard := map[uint64]time.Time{10: t0.Add(5 * time.Minute)} // session 10's last heartbeat
	steps := []struct {
		at   time.Duration
		do   func()
		want string
	}{
		{10 * time.Minute, func() { tr.UserIdle(2, t0.Add(10*time.Minute)) }, "[]"},
		{64 * time.Minute, nil, "[]"},
		{65 * time.Minute, nil, "[1]"},                                    // quiet since 0:05
		{69 * time.Minute, func() { tr.UserIdle(2, time.Time{}) }, "[1]"}, // the user is back
		{70 * time.Minute, nil, "[1]"},
		{80 * time.Minute, func() { tr.UserIdle(2, t0.Add(80*time.Minute)) }, "[1]"},
		{110 * time.Minute, nil, "[1 4]"}, // 4 is counted from its own start, 0:50
		{139 * time.Minute, nil, "[1 4]"},
		{140 * time.Minute, nil, "[1 2 4]"},
		{24 * time.Hour, nil, "[1 2 4]"}, // the heartbeating session's checkout is never due
	}
	for _, s := range steps {
		if s.do != nil {
			s.do()
		}
		got := fmt.Sprint(tr.Due(t0.Add(s.at), timeout, all, heard))
		if got != s.want {
			t.Fatalf("at +%s: due %s, want %s", s.at, got, s.want)
		}
	}
	tr.Forget(2)
	if got := fmt.Sprint(tr.Due(t0.Add(24*time.Hour), timeout, all, heard)); got != "[1 4]" {
		t.Fatalf("after Forget: %s", got)
	}
	if tr.Due(t0.Add(24*time.Hour), 0, all, heard) != nil {
		t.Fatal("no timeout: nothing is due")
	}
}

// The product's idle report and a quiet session: the earlier of the two counts.
func TestInactiveSinceEarlier(t *testing.T) {
	var tr Tracker
	c := Checkout{Handle: 1, Session: 1, Start: t0}
	tr.UserIdle(1, t0.Add(30*time.Minute))
	if s, ok := tr.InactiveSince(c, t0.Add(10*time.Minute)); !ok || !s.Equal(t0.Add(10*time.Minute)) {
		t.Fatalf("since %v %v", s, ok)
	}
	if s, ok := tr.InactiveSince(c, t0.Add(40*time.Minute)); !ok || !s.Equal(t0.Add(30*time.Minute)) {
		t.Fatalf("since %v %v", s, ok)
	}
	if _, ok := (&Tracker{}).InactiveSince(c, time.Time{}); ok {
		t.Fatal("an active checkout is inactive")
	}
}
