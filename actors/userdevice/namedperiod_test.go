package userdevice

import (
	"testing"
	"time"
)

func TestNamedUserPeriodBounds(t *testing.T) {
	day := 24 * time.Hour
	for _, c := range []struct {
		server   time.Duration
		min, max int
		want     time.Duration
	}{
		{90 * day, 2880, 525600, 90 * day},   // the manual's bounds: 90 days is within
		{day, 2880, 525600, 2 * day},         // raised to NURMIN
		{400 * day, 2880, 525600, 365 * day}, // lowered to NURMAX
		{90 * day, 0, 1440, day},             // NURMAX alone
		{90 * day, 0, 0, 90 * day},           // no bounds
		{90 * day, 2880, 1440, day},          // contradictory: the maximum wins
	} {
		if got := NamedUserPeriod(c.server, c.min, c.max); got != c.want {
			t.Errorf("NamedUserPeriod(%s, %d, %d) = %s, want %s", c.server, c.min, c.max, got, c.want)
		}
	}
}

// A named user's checkout lasts the bounded period (walked clock): with NURMAX=1440 the
// same user a day later takes a new checkout, and the assignment expires after a day.
func TestNamedUserPeriodApplied(t *testing.T) {
	t0 := time.Date(2027, 2, 1, 8, 0, 0, 0, time.UTC)
	f := NewFeature("XDT_PLT_NU", ModelNamedUser, 10, 0, Config{})
	f.SetNamedUserPeriod(NamedUserPeriod(90*24*time.Hour, 0, 1440))
	d, err := f.Connect("alice", "pc-1", t0)
	if err != nil || !d.NewLicense {
		t.Fatalf("first connect: %+v %v", d, err)
	}
	f.Disconnect("alice", "pc-1", t0.Add(time.Minute))
	if d, err := f.Connect("alice", "pc-1", t0.Add(23*time.Hour)); err != nil || d.NewLicense {
		t.Fatalf("within the day: %+v %v", d, err)
	}
	f.Disconnect("alice", "pc-1", t0.Add(23*time.Hour+time.Minute))
	if rel := f.Expire(t0.Add(24*time.Hour - time.Second)); len(rel) != 0 {
		t.Fatalf("expired before the day: %+v", rel)
	}
	if rel := f.Expire(t0.Add(24 * time.Hour)); len(rel) != 1 {
		t.Fatalf("not expired after the day (NURMAX=1440): %+v", rel)
	}
}
