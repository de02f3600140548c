// Package burst is License burst mode's calendar for one pool, as pure rules over an
// injected time ("License burst mode"): when every license of a Retail pool is in use,
// overdraft included, the next connection starts a period of 15 consecutive days in which
// connections are unlimited; when it runs out "normal connection limits are enforced. Users
// are not disconnected"; it "is not automatically re-enabled once it completes. To
// re-enable the License burst mode, you must install another retail license", and "if you
// install licenses while the License burst mode is in force, the License Server exits the
// License burst mode". The feature actors keep one State per pool and persist it.
package burst

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Period is the length of a burst: "unlimited connections to a product for 15 consecutive
// days".
const Period = 15 * 24 * time.Hour

// State is one pool's burst mode. The zero value is a pool that was never in burst mode,
// armed if it is Retail.
type State struct {
	// Started and Until bound the period; zero when it never started since it was armed.
	Started time.Time `json:"started,omitzero"`
	Until   time.Time `json:"until,omitzero"`
	// Used: the period was granted and is not re-armed until another Retail license of the
	// pool is installed.
	Used bool `json:"used,omitempty"`
	// EndedByInstall is when installing licenses ended a running period (zero if not).
	EndedByInstall time.Time `json:"endedByInstall,omitzero"`
	// RetailLines is the number of Retail license lines the pool had when last seen: more
	// of them means another Retail license was installed.
	RetailLines int `json:"retailLines"`
}

// IsRetail reports whether a license type (the vendor string's LT=) is a Retail one, the
// only kind burst mode is granted for ("per product version and edition and only for retail
// licenses"): Retail and RetailS (subscription).
func IsRetail(lt string) bool { return strings.HasPrefix(strings.ToLower(lt), "retail") }

// Active reports whether connections are unlimited at now.
func (s *State) Active(now time.Time) bool {
	return s.Used && !s.Until.IsZero() && now.Before(s.Until)
}

// Ended reports whether a period was granted and is over (by time or by an install):
// connections are then held to the count until another Retail license is installed.
func (s *State) Ended(now time.Time) bool { return s.Used && !s.Active(now) }

// Armed reports whether a burst may start for a pool with retailLines Retail lines.
func (s *State) Armed(retailLines int) bool { return retailLines > 0 && !s.Used }

// Start begins a period at now if the state is armed; it reports whether it did.
func (s *State) Start(now time.Time, retailLines int) bool {
	if !s.Armed(retailLines) {
		return false
	}
	*s = State{Started: now, Until: now.Add(Period), Used: true, RetailLines: retailLines}
	return true
}

// Installed applies an lmreread or restart that found retailLines Retail lines in the pool
// (its count installed may have grown): another Retail license ends a running period and
// re-arms the pool. It reports whether the state changed (and so must be persisted).
func (s *State) Installed(retailLines int, now time.Time) bool {
	if retailLines == s.RetailLines {
		return false
	}
	more := retailLines > s.RetailLines
	s.RetailLines = retailLines
	if more && s.Used {
		if s.Active(now) {
			s.Until, s.EndedByInstall = now, now
		}
		s.Used = false // armed again: the new license "grants a new 15-day License burst mode"
	}
	return true
}

// DaysLeft is the number of days the period has left at now, rounded up (0 when none):
// what the manual's SGPMaxDays reports.
func (s *State) DaysLeft(now time.Time) int {
	if !s.Active(now) {
		return 0
	}
	return int((s.Until.Sub(now) + 24*time.Hour - 1) / (24 * time.Hour))
}

// Encode is the state as stored (storage setting "burst/<pool>").
func (s *State) Encode() []byte {
	b, _ := json.Marshal(s) // a struct of times, a bool and an int: cannot fail
	return b
}

// Decode reads a stored state.
func Decode(b []byte) (State, error) {
	var s State
	if err := json.Unmarshal(b, &s); err != nil {
		return State{}, fmt.Errorf("burst mode state: %w", err)
	}
	return s, nil
}
