// Package renewal holds the rules of licd's Customer Success Services renewal check
// ("Check for and install Customer Success Services renewal licenses", "Update licenses"):
// the three actions an administrator chooses (SARenewalCheckOption: Notify, Install,
// Manual), the weekly schedule with its retries, which installed file a renewal replaces,
// and which installed renewals are still listed (the last 30 days). It is plain Go with the
// clock passed in; actors/daemon does the calls and the installs.
package renewal

import (
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// Action is what licd does about renewals: the manual's three choices of "Customer Success
// Services Renewals" (SARenewalCheckOption "Notify", "Install" or "Manual"; default Notify).
type Action string

const (
	// Notify: "Automatically check for Customer Success Services renewal licenses and notify
	// when available."
	Notify Action = "notify"
	// Auto: "Automatically check for and install Customer Success Services renewal licenses
	// when available."
	Auto Action = "auto"
	// Manual: "Manually check for Customer Success Services renewal licenses": no scheduled
	// check; an administrator checks and installs on demand.
	Manual Action = "manual"
)

// Weekly is the scheduled check's interval: licd "contacts ... web services weekly".
const Weekly = 7 * 24 * time.Hour

// InstalledListed is how long an installed renewal stays listed ("a list of licenses
// installed in the last 30 days").
const InstalledListed = 30 * 24 * time.Hour

// ParseAction accepts licd's setting values (notify, auto, manual) and the manual's
// SARenewalCheckOption values (Notify, Install, Manual), in any case.
func ParseAction(s string) (Action, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "notify", "":
		return Notify, nil
	case "auto", "install":
		return Auto, nil
	case "manual":
		return Manual, nil
	}
	return "", fmt.Errorf("renewal action %q: use notify, auto (the manual's Install) or manual", s)
}

// Installs says whether a check installs what it finds: only with Auto, whether the check
// was scheduled or asked for.
func (a Action) Installs() bool { return a == Auto }

// Schedule is when checks ran: LastOK the last one that reached the service, LastAttempt
// the last one at all (a failure makes it later than LastOK).
type Schedule struct {
	LastOK      time.Time
	LastAttempt time.Time
}

// retryAfter is how soon a failed scheduled check is tried again: an hour, or the interval
// when that is shorter.
func retryAfter(interval time.Duration) time.Duration {
	return min(interval, time.Hour)
}

// Next is when the next scheduled check is due; zero for Manual, which has none. The first
// check is due at once; then one interval after the last successful one; after a failure,
// retryAfter the failed attempt (but not later than a whole interval would say).
func Next(a Action, s Schedule, interval time.Duration) time.Time {
	if a == Manual {
		return time.Time{}
	}
	if interval <= 0 {
		interval = Weekly
	}
	if s.LastOK.IsZero() && s.LastAttempt.IsZero() {
		return time.Unix(0, 0).UTC()
	}
	next := s.LastOK.Add(interval)
	if s.LastOK.IsZero() {
		next = time.Time{}
	}
	if s.LastAttempt.After(s.LastOK) {
		retry := s.LastAttempt.Add(retryAfter(interval))
		if next.IsZero() || retry.After(next) {
			next = retry
		}
	}
	return next
}

// Due reports whether the scheduled check runs at now.
func Due(a Action, s Schedule, interval time.Duration, now time.Time) bool {
	n := Next(a, s, interval)
	return !n.IsZero() && !now.Before(n)
}

// Line is an installed license line as the check sees it.
type Line struct {
	File    string // the license file's name in the license directory
	Feature string
	SN      string
	CSS     string // YYYY.MMDD
}

// Target is the installed file a renewal of the line with serial number sn replaces: the
// file holding that line, when every license line of that file carries that serial number
// (the file of one allocation, as the fulfilment service issues it). A file that holds lines
// of other serial numbers too is not replaced (the others would be lost): the error says to
// install the renewal by hand.
func Target(lines []Line, sn string) (string, error) {
	file := ""
	for _, l := range lines {
		if l.SN == sn {
			if file != "" && file != l.File {
				return "", fmt.Errorf("serial number %s is in two files (%s, %s): download the renewal and install it by hand, replacing the right one", sn, file, l.File)
			}
			file = l.File
		}
	}
	if file == "" {
		return "", fmt.Errorf("no installed line has serial number %s any more", sn)
	}
	for _, l := range lines {
		if l.File == file && l.SN != sn {
			return "", fmt.Errorf("%s holds lines of other serial numbers (%s) too: download the renewal of %s and install it by hand", filepath.Base(file), l.SN, sn)
		}
	}
	return file, nil
}

// Installed is a renewal licd installed.
type Installed struct {
	SN      string    `json:"sn"`
	Feature string    `json:"feature"`
	CSS     string    `json:"css"`
	Was     string    `json:"was"` // the CSS date it replaced
	File    string    `json:"file"`
	At      time.Time `json:"at"`
}

// Recent is what stays listed at now: the renewals installed in the last 30 days, newest
// first.
func Recent(list []Installed, now time.Time) []Installed {
	out := []Installed{}
	for _, r := range list {
		if now.Sub(r.At) < InstalledListed {
			out = append(out, r)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].At.After(out[j].At) })
	return out
}
