package userdevice

import "time"

// NamedUserPeriod is the named-user checkout period ("Named user license (legacy)") of a
// license whose VENDOR_STRING bounds it: NURMIN (NUDURMIN) and NURMAX (NUDURMAX), in
// minutes, as the manual's license file examples carry them (NURMIN=2880;NURMAX=525600: two
// days to a year). The server's period is raised to the minimum and lowered to the maximum;
// a bound of 0 or less is none. When the bounds contradict each other the maximum wins: a
// license is never held longer than its vendor allows.
func NamedUserPeriod(server time.Duration, minMinutes, maxMinutes int) time.Duration {
	p := server
	if minMinutes > 0 {
		p = max(p, time.Duration(minMinutes)*time.Minute)
	}
	if maxMinutes > 0 {
		p = min(p, time.Duration(maxMinutes)*time.Minute)
	}
	return p
}

// SetNamedUserPeriod changes the named-user period (a reread that changed the license's
// NURMIN or NURMAX). Checkouts already made end by the new period; the next Expire looks
// at every pair again.
func (f *Feature) SetNamedUserPeriod(d time.Duration) {
	if d <= 0 || int64(d) == f.namedPeriod {
		return
	}
	f.namedPeriod = int64(d)
	f.cfg.NamedUserPeriod = d
	f.minEnd = 0
}
