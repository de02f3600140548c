// Package alerts is licd's one alerts model: pure, deterministic rules that turn the
// inventory, the usage, the settings and the clock into the conditions an administrator
// should act on (the Licensing Manager's bell, "Important notifications of license
// availability, expiration, and other conditions"). It reads no clock and does no I/O: the
// daemon gathers an Input, calls Evaluate with the State it persisted, and stores the State
// again when Evaluate says it changed.
//
// Every alert has a stable id (kind/subject), a severity, the time it was first seen (kept in
// State, so it survives restarts) and what to do. Evaluate also reports which alerts are new
// and which cleared since the last evaluation, for the webhook.
package alerts

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/licd/licd/wire"
)

// Alert is one alert; the type lives in wire so that lmstat can read it from the status.
type Alert = wire.Alert

// Kind names a rule. Kinds are part of the API: add, never rename.
type Kind = string

// The kinds of alert.
const (
	// KindLicenseExpiring: a term license expires in 0-30 days (critical) or 31-90 (warning).
	KindLicenseExpiring Kind = "license-expiring"
	// KindLicenseExpired: a license line is past its expiry date and no longer served.
	KindLicenseExpired Kind = "license-expired"
	// KindSubscriptionExpiring: an on-premises subscription (LT=RetailS) approaches its
	// expiry ("Before license expiration").
	KindSubscriptionExpiring Kind = "subscription-expiring"
	// KindCSSPassed: a pool's Customer Success Services date has passed.
	KindCSSPassed Kind = "css-passed"
	// KindOverdraftInUse: licenses beyond the purchased count are in use ("License
	// overdraft": "must be purchased within 30 days of first use").
	KindOverdraftInUse Kind = "overdraft-in-use"
	// KindBurstActive: License burst mode is running for a pool.
	KindBurstActive Kind = "burst-active"
	// KindBurstEnded: a pool's burst period ran out; it is not re-armed until another Retail
	// license is installed.
	KindBurstEnded Kind = "burst-ended"
	// KindLicensePending: a license line waits for its START date.
	KindLicensePending Kind = "license-pending"
	// KindLicenseRejected: a license line or file was not loaded.
	KindLicenseRejected Kind = "license-rejected"
	// KindRenewalAvailable and KindRenewalInstalled: Customer Success Services renewals
	// found by the renewal check, or installed in the last 30 days (fed by the fulfilment
	// client).
	KindRenewalAvailable Kind = "renewal-available"
	KindRenewalInstalled Kind = "renewal-installed"
	// KindFulfilmentFailed and KindUploadFailed: a call to the fulfilment service, or a
	// license upload, failed (fed by the fulfilment client and the admin API).
	KindFulfilmentFailed Kind = "fulfilment-failed"
	KindUploadFailed     Kind = "upload-failed"
	// KindCertificateExpiring: the admin HTTPS certificate expires in 0-30 days (critical),
	// 31-90 (warning), or has expired (fed by the admin API).
	KindCertificateExpiring Kind = "certificate-expiring"
)

// Severities, most severe first.
const (
	Critical = "critical"
	Warning  = "warning"
	Info     = "info"
)

// Thresholds of the expiry rules, in whole days left.
const (
	CriticalDays = 30 // 0-30 days left: critical
	WarningDays  = 90 // 31-90 days left: warning
	// OverdraftPurchaseDays is the manual's "must be purchased within 30 days of first use".
	OverdraftPurchaseDays = 30
	// RenewalInstalledDays is how long an installed renewal stays listed.
	RenewalInstalledDays = 30
)

// Pool is one license pool as the rules see it: the license file's side and its usage.
type Pool struct {
	ID, Feature string
	LicenseType string    // the vendor string's LT= ("Retail", "RetailS", "SYS", "Eval")
	CSS         time.Time // the Customer Success Services date (UTC midnight); zero if none
	Expiry      time.Time // UTC midnight of the last usable day; ignored when Permanent
	Permanent   bool
	// Burst mode, from the pool's status.
	BurstActive  bool
	BurstStarted time.Time
	BurstUntil   time.Time
}

// Feature is one feature's usage: the purchased count and how much overdraft is in use.
type Feature struct {
	Name           string
	Purchased      int
	Overdraft      int
	OverdraftInUse int
}

// Line is a license line that is not served: waiting for its START date (Date is the START)
// or expired (Date is its expiry).
type Line struct {
	File        string
	Line        int
	Feature     string
	Date        time.Time
	LicenseType string
}

// Rejection is a license line (Line > 0) or file (Line 0) that was not loaded.
type Rejection struct {
	File    string
	Line    int
	Feature string
	Reason  string
}

// Renewal is a Customer Success Services renewal the renewal check found (Installed false)
// or installed (At is when).
type Renewal struct {
	ID        string // stable key, e.g. the renewal's SN
	Feature   string
	CSS       time.Time
	Installed bool
	At        time.Time
}

// Failure is a failed fulfilment call or upload. Kind is KindFulfilmentFailed or
// KindUploadFailed; Key names the operation (it stays one alert while it keeps failing).
type Failure struct {
	Kind    Kind
	Key     string
	Message string
	Action  string
	At      time.Time
}

// Certificate is a TLS certificate whose expiry is watched (the admin HTTPS one).
type Certificate struct {
	Name     string
	NotAfter time.Time
}

// Input is everything the rules read.
type Input struct {
	Now          time.Time
	Pools        []Pool
	Features     []Feature
	Pending      []Line
	Expired      []Line
	Rejected     []Rejection
	Renewals     []Renewal
	Failures     []Failure
	Certificates []Certificate
}

// OverdraftUse is when a feature's overdraft was first used, at which purchased count: the
// 30 days to purchase run from it, and only a larger purchased count (licenses bought)
// starts them again.
type OverdraftUse struct {
	Since     time.Time `json:"since"`
	Purchased int       `json:"purchased"`
}

// State is what the rules remember between evaluations; the daemon persists it.
type State struct {
	// Active are the alerts of the last evaluation, by id (FirstSeen is kept from them).
	Active map[string]Alert `json:"active"`
	// Overdraft is the first use of each feature's overdraft.
	Overdraft map[string]OverdraftUse `json:"overdraft"`
}

// Change is a new or cleared alert, for the webhook.
type Change struct {
	Event string `json:"event"` // "new" or "cleared"
	Alert Alert  `json:"alert"`
}

// Evaluate applies the rules to in. It returns the alerts, most severe first, the changes
// since st's last evaluation, and whether st changed in a way worth persisting (an alert
// appeared or cleared, an overdraft use began or was reset). st is updated in place.
func Evaluate(in Input, st *State) (out []Alert, changes []Change, dirty bool) {
	if st.Active == nil {
		st.Active = map[string]Alert{}
	}
	if st.Overdraft == nil {
		st.Overdraft = map[string]OverdraftUse{}
	}
	e := evaluator{now: in.Now, today: day(in.Now)}
	for i := range in.Pools {
		e.pool(&in.Pools[i])
	}
	for _, f := range in.Features {
		if e.overdraft(f, st) {
			dirty = true
		}
	}
	for _, l := range in.Pending {
		e.add(KindLicensePending, Info, fmt.Sprintf("%s/%s:%d", l.Feature, l.File, l.Line), fmt.Sprintf("%s:%d %s", l.File, l.Line, l.Feature),
			fmt.Sprintf("%s at %s:%d starts on %s: it is not in the inventory until then", l.Feature, l.File, l.Line, dateText(l.Date)),
			"nothing to do: it is served from its START date on", time.Time{}, l.Date, e.daysTo(l.Date))
	}
	for _, l := range in.Expired {
		kind, msg := KindLicenseExpired, "expired"
		action := "install a renewed license, then remove the expired file from the license directory"
		if isSubscription(l.LicenseType) {
			action = "extend the on-premises subscription (https://www.citrix.com/buy/) and install the new license file (\"Before license expiration\")"
			msg = "subscription expired"
		}
		e.add(kind, Critical, fmt.Sprintf("%s/%s:%d", l.Feature, l.File, l.Line), fmt.Sprintf("%s:%d %s", l.File, l.Line, l.Feature),
			fmt.Sprintf("%s at %s:%d %s on %s: no new connections are allowed on it", l.Feature, l.File, l.Line, msg, dateText(l.Date)),
			action, time.Time{}, l.Date, nil)
	}
	for _, r := range in.Rejected {
		subject, id := r.File, r.File
		if r.Line > 0 {
			subject = fmt.Sprintf("%s:%d", r.File, r.Line)
			id = fmt.Sprintf("%s:%d", r.File, r.Line)
			if r.Feature != "" {
				subject += " " + r.Feature
			}
		}
		e.add(KindLicenseRejected, Warning, id, subject, fmt.Sprintf("%s was not loaded: %s", subject, r.Reason),
			"fix or replace the file (a license file must not be edited: download it again), then run lmreread", time.Time{}, time.Time{}, nil)
	}
	for _, r := range in.Renewals {
		e.renewal(r)
	}
	for _, f := range in.Failures {
		kind := f.Kind
		if kind != KindUploadFailed {
			kind = KindFulfilmentFailed
		}
		action := f.Action
		if action == "" {
			action = "check the fulfilment URL, the proxy and the network, then retry"
		}
		e.add(kind, Warning, f.Key, f.Key, f.Message, action, f.At, time.Time{}, nil)
	}
	for _, c := range in.Certificates {
		e.certificate(c)
	}
	out = e.out
	sort.Slice(out, func(i, j int) bool {
		if a, b := rank(out[i].Severity), rank(out[j].Severity); a != b {
			return a < b
		}
		return out[i].ID < out[j].ID
	})
	seen := make(map[string]bool, len(out))
	for i := range out {
		a := &out[i]
		seen[a.ID] = true
		if old, ok := st.Active[a.ID]; ok {
			a.FirstSeen = old.FirstSeen
		} else {
			a.FirstSeen = in.Now
			changes = append(changes, Change{Event: "new", Alert: *a})
			dirty = true
		}
		st.Active[a.ID] = *a
	}
	var cleared []string
	for id := range st.Active {
		if !seen[id] {
			cleared = append(cleared, id)
		}
	}
	sort.Strings(cleared)
	for _, id := range cleared {
		changes = append(changes, Change{Event: "cleared", Alert: st.Active[id]})
		delete(st.Active, id)
		dirty = true
	}
	return out, changes, dirty
}

type evaluator struct {
	now, today time.Time
	out        []Alert
}

func (e *evaluator) add(kind Kind, sev, key, subject, msg, action string, since, until time.Time, daysLeft *int) {
	e.out = append(e.out, Alert{ID: kind + "/" + key, Kind: kind, Severity: sev, Subject: subject,
		Message: msg, Action: action, Since: since, Until: until, DaysLeft: daysLeft})
}

// daysTo is the number of whole days from today to the day of t (0: t is today).
func (e *evaluator) daysTo(t time.Time) *int {
	n := int(day(t).Sub(e.today) / (24 * time.Hour))
	return &n
}

func (e *evaluator) pool(p *Pool) {
	subject := p.Feature + " (pool " + p.ID + ")"
	if !p.Permanent {
		left := e.daysTo(p.Expiry)
		if *left >= 0 && *left <= WarningDays {
			sev := Warning
			if *left <= CriticalDays {
				sev = Critical
			}
			if isSubscription(p.LicenseType) {
				e.add(KindSubscriptionExpiring, sev, p.ID, subject,
					fmt.Sprintf("the on-premises subscription for %s expires on %s (%s): then no new connections are allowed", p.Feature, dateText(p.Expiry), daysText(*left)),
					"extend the subscription (https://www.citrix.com/buy/) and install the new license file before it expires (\"Before license expiration\")",
					time.Time{}, p.Expiry, left)
			} else {
				e.add(KindLicenseExpiring, sev, p.ID, subject,
					fmt.Sprintf("licenses of %s expire on %s (%s): then no new connections are allowed on them", p.Feature, dateText(p.Expiry), daysText(*left)),
					"renew them and install the new license file before they expire, or plan for fewer licenses",
					time.Time{}, p.Expiry, left)
			}
		}
	}
	if !p.CSS.IsZero() && day(p.CSS).Before(e.today) {
		e.add(KindCSSPassed, Warning, p.ID, subject,
			fmt.Sprintf("the Customer Success Services date of %s passed on %s: product versions released after it are not licensed by this pool", p.Feature, dateText(p.CSS)),
			"renew Customer Success Services and install the renewal license (\"Customer Success Services\")", time.Time{}, p.CSS, nil)
	}
	switch {
	case p.BurstActive:
		left := int((p.BurstUntil.Sub(e.now) + 24*time.Hour - 1) / (24 * time.Hour))
		e.add(KindBurstActive, Critical, p.ID, subject,
			fmt.Sprintf("License burst mode for %s started on %s: connections are unlimited until %s (%s); then normal limits apply",
				p.Feature, p.BurstStarted.UTC().Format(time.RFC3339), p.BurstUntil.UTC().Format(time.RFC3339), daysText(left)),
			"find out why every license is in use and buy more licenses before the burst period ends (\"License burst mode\")",
			p.BurstStarted, p.BurstUntil, &left)
	case !p.BurstStarted.IsZero() && !p.BurstUntil.After(e.now):
		e.add(KindBurstEnded, Warning, p.ID, subject,
			fmt.Sprintf("License burst mode for %s ended on %s: normal connection limits are enforced; it is not available again for this pool",
				p.Feature, p.BurstUntil.UTC().Format(time.RFC3339)),
			"install another Retail license for this product version and edition to re-arm it, or reduce use", p.BurstStarted, p.BurstUntil, nil)
	}
}

// overdraft applies "Any overdraft licenses used must be purchased within 30 days of first
// use": the first use is remembered per feature and purchased count. It reports whether st
// changed.
func (e *evaluator) overdraft(f Feature, st *State) (changed bool) {
	use, known := st.Overdraft[f.Name]
	if known && f.Purchased > use.Purchased {
		// Licenses were bought: the overdraft used before is paid for.
		delete(st.Overdraft, f.Name)
		known, changed = false, true
	}
	if f.OverdraftInUse <= 0 {
		return changed
	}
	if !known {
		use = OverdraftUse{Since: e.now, Purchased: f.Purchased}
		st.Overdraft[f.Name] = use
		changed = true
	}
	by := use.Since.AddDate(0, 0, OverdraftPurchaseDays)
	left := e.daysTo(by)
	sev := Warning
	msg := fmt.Sprintf("%d overdraft license(s) of %s are in use beyond the %d purchased, first used on %s: they must be purchased by %s (%s)",
		f.OverdraftInUse, f.Name, f.Purchased, use.Since.UTC().Format(time.RFC3339), dateText(by), daysText(*left))
	if !e.now.Before(by) {
		sev = Critical
		msg = fmt.Sprintf("%d overdraft license(s) of %s are in use beyond the %d purchased since %s: the 30 days to purchase them ended on %s",
			f.OverdraftInUse, f.Name, f.Purchased, use.Since.UTC().Format(time.RFC3339), dateText(by))
	}
	e.add(KindOverdraftInUse, sev, f.Name, f.Name, msg,
		"buy the licenses in use beyond the purchased count and install them (\"License overdraft\": the overdraft is a convenience, not an entitlement)",
		use.Since, by, left)
	return changed
}

func (e *evaluator) renewal(r Renewal) {
	subject := r.Feature
	if r.Installed {
		if !e.now.Before(r.At.AddDate(0, 0, RenewalInstalledDays)) {
			return
		}
		e.add(KindRenewalInstalled, Info, r.ID, subject,
			fmt.Sprintf("a Customer Success Services renewal of %s (to %s) was installed on %s", r.Feature, dateText(r.CSS), r.At.UTC().Format(time.RFC3339)),
			"nothing to do", r.At, time.Time{}, nil)
		return
	}
	e.add(KindRenewalAvailable, Info, r.ID, subject,
		fmt.Sprintf("a Customer Success Services renewal of %s (to %s) is available", r.Feature, dateText(r.CSS)),
		"install it (\"Check for and install Customer Success Services renewal licenses\")", r.At, time.Time{}, nil)
}

func (e *evaluator) certificate(c Certificate) {
	if c.NotAfter.IsZero() {
		return
	}
	if !e.now.Before(c.NotAfter) {
		e.add(KindCertificateExpiring, Critical, c.Name, c.Name,
			fmt.Sprintf("the certificate %s expired on %s: browsers and scripts refuse the connection", c.Name, c.NotAfter.UTC().Format(time.RFC3339)),
			"install a new certificate and key, then restart licd", time.Time{}, c.NotAfter, nil)
		return
	}
	left := int(c.NotAfter.Sub(e.now) / (24 * time.Hour))
	if left > WarningDays {
		return
	}
	sev := Warning
	if left <= CriticalDays {
		sev = Critical
	}
	e.add(KindCertificateExpiring, sev, c.Name, c.Name,
		fmt.Sprintf("the certificate %s expires on %s (%s)", c.Name, c.NotAfter.UTC().Format(time.RFC3339), daysText(left)),
		"install a new certificate and key before it expires", time.Time{}, c.NotAfter, &left)
}

func rank(sev string) int {
	switch sev {
	case Critical:
		return 0
	case Warning:
		return 1
	}
	return 2
}

// isSubscription reports whether a license type is an on-premises subscription (RetailS).
func isSubscription(lt string) bool { return strings.EqualFold(lt, "RetailS") }

// day is the UTC date of t, at midnight.
func day(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

func dateText(t time.Time) string { return t.UTC().Format("2006-01-02") }

func daysText(n int) string {
	switch n {
	case 0:
		return "today"
	case 1:
		return "1 day left"
	}
	return fmt.Sprintf("%d days left", n)
}

// Encode is the state as stored (storage setting "alerts/state").
func (s *State) Encode() ([]byte, error) {
	b, err := json.Marshal(s)
	if err != nil {
		return nil, fmt.Errorf("encode the alerts state: %w", err)
	}
	return b, nil
}

// Decode reads a stored state.
func Decode(b []byte) (State, error) {
	var s State
	if err := json.Unmarshal(b, &s); err != nil {
		return State{}, fmt.Errorf("alerts state: %w", err)
	}
	return s, nil
}
