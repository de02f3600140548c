package alerts

import (
	"fmt"
	"testing"
	"time"
)

var d0 = time.Date(2030, 3, 1, 9, 30, 0, 0, time.UTC)

func at(days int) time.Time { return d0.AddDate(0, 0, days) }

// only returns the alerts of one kind, as "severity daysLeft" strings.
func only(out []Alert, kind Kind) []string {
	var s []string
	for _, a := range out {
		if a.Kind == kind {
			d := "-"
			if a.DaysLeft != nil {
				d = fmt.Sprint(*a.DaysLeft)
			}
			s = append(s, a.Severity+" "+d)
		}
	}
	return s
}

func eq(a, b []string) bool { return fmt.Sprint(a) == fmt.Sprint(b) }

// The expiry thresholds, walking the clock towards a license's expiry day: nothing at 91
// days, a warning from 90 to 31, critical from 30 to the last day ("licenses expiring in
// 0-30 days (critical) and 31-90 (warning)"); a subscription (LT=RetailS) is the manual's
// "Before license expiration" notice instead.
func TestExpiryThresholdsWalkedClock(t *testing.T) {
	expiry := time.Date(2030, 6, 30, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		now  time.Time
		want []string
	}{
		{expiry.AddDate(0, 0, -91).Add(23 * time.Hour), nil},
		{expiry.AddDate(0, 0, -90), []string{"warning 90"}},
		{expiry.AddDate(0, 0, -90).Add(23*time.Hour + 59*time.Minute), []string{"warning 90"}},
		{expiry.AddDate(0, 0, -31), []string{"warning 31"}},
		{expiry.AddDate(0, 0, -30), []string{"critical 30"}},
		{expiry.AddDate(0, 0, -20), []string{"critical 20"}},
		{expiry.Add(12 * time.Hour), []string{"critical 0"}},
		{expiry.AddDate(0, 0, 1), nil}, // past its day: the pool leaves the inventory (an expired line instead)
	}
	for _, lt := range []string{"Retail", "RetailS"} {
		kind := KindLicenseExpiring
		if lt == "RetailS" {
			kind = KindSubscriptionExpiring
		}
		var st State
		for _, c := range cases {
			in := Input{Now: c.now, Pools: []Pool{{ID: "P1", Feature: "XDT_PLT_UD", LicenseType: lt, Expiry: expiry}}}
			out, _, _ := Evaluate(in, &st)
			if got := only(out, kind); !eq(got, c.want) {
				t.Errorf("%s at %s: %s alerts %v, want %v", lt, c.now.Format(time.RFC3339), kind, got, c.want)
			}
			other := KindSubscriptionExpiring
			if kind == other {
				other = KindLicenseExpiring
			}
			if got := only(out, other); got != nil {
				t.Errorf("%s: unexpected %s alerts %v", lt, other, got)
			}
		}
	}
	// A permanent pool never expires.
	out, _, _ := Evaluate(Input{Now: d0, Pools: []Pool{{ID: "P", Feature: "F", Permanent: true, Expiry: d0}}}, &State{})
	if len(out) != 0 {
		t.Fatalf("permanent pool: %+v", out)
	}
}

// Overdraft in use: since when, by when it must be purchased, critical once the 30 days are
// over; the first use is remembered while use drops and returns, and a larger purchase
// resets it.
func TestOverdraftFirstUseWalkedClock(t *testing.T) {
	var st State
	steps := []struct {
		day       int
		purchased int
		over      int
		want      []string
		since     int // day of first use expected; -1 none
	}{
		{0, 100, 0, nil, -1},
		{2, 100, 3, []string{"warning 30"}, 2},
		{10, 100, 0, nil, 2}, // back under: no alert, but the first use is kept
		{12, 100, 1, []string{"warning 20"}, 2},
		{31, 100, 1, []string{"warning 1"}, 2},
		{32, 100, 2, []string{"critical 0"}, 2},
		{40, 100, 2, []string{"critical -8"}, 2},
		{41, 110, 2, []string{"warning 30"}, 41}, // licenses bought: a new 30 days
	}
	for _, s := range steps {
		in := Input{Now: at(s.day), Features: []Feature{{Name: "XDT_PLT_UD", Purchased: s.purchased, Overdraft: 10, OverdraftInUse: s.over}}}
		out, _, _ := Evaluate(in, &st)
		if got := only(out, KindOverdraftInUse); !eq(got, s.want) {
			t.Fatalf("day %d: overdraft alerts %v, want %v", s.day, got, s.want)
		}
		use, ok := st.Overdraft["XDT_PLT_UD"]
		if s.since < 0 {
			if ok {
				t.Fatalf("day %d: first use recorded %v before any", s.day, use.Since)
			}
			continue
		}
		if !use.Since.Equal(at(s.since)) {
			t.Fatalf("day %d: first use %v, want day %d", s.day, use.Since, s.since)
		}
		for _, a := range out {
			if a.Kind == KindOverdraftInUse && (!a.Since.Equal(at(s.since)) || !a.Until.Equal(at(s.since+30))) {
				t.Fatalf("day %d: since %v until %v", s.day, a.Since, a.Until)
			}
		}
	}
}

// Burst mode: started (critical, with the days left, walking down), ended (warning).
func TestBurstAlertsWalkedClock(t *testing.T) {
	start := d0
	until := start.Add(15 * 24 * time.Hour)
	var st State
	for _, c := range []struct {
		day    int
		active bool
		kind   Kind
		want   []string
	}{
		{0, true, KindBurstActive, []string{"critical 15"}},
		{10, true, KindBurstActive, []string{"critical 5"}},
		{14, true, KindBurstActive, []string{"critical 1"}},
		{15, false, KindBurstEnded, []string{"warning -"}},
	} {
		now := at(c.day)
		p := Pool{ID: "P", Feature: "XDT_PLT_CCS", Permanent: true, BurstActive: c.active, BurstStarted: start, BurstUntil: until}
		out, _, _ := Evaluate(Input{Now: now, Pools: []Pool{p}}, &st)
		if got := only(out, c.kind); !eq(got, c.want) {
			t.Fatalf("day %d: %s %v, want %v (all %+v)", c.day, c.kind, got, c.want, out)
		}
		if len(out) != 1 {
			t.Fatalf("day %d: %d alerts, want 1", c.day, len(out))
		}
	}
}

// Ids are stable, first-seen is kept across evaluations (and an encode/decode, as across a
// restart), and the changes name new and cleared alerts once.
func TestFirstSeenAndChanges(t *testing.T) {
	var st State
	expiry := at(20).Truncate(24 * time.Hour)
	in := Input{Now: d0,
		Pools:    []Pool{{ID: "P1", Feature: "XDT_PLT_UD", Expiry: expiry}},
		Pending:  []Line{{File: "/l/new.lic", Line: 3, Feature: "XDT_PLT_CCS", Date: at(5)}},
		Rejected: []Rejection{{File: "/l/bad.lic", Line: 7, Feature: "X", Reason: "bad signature"}},
	}
	out, changes, dirty := Evaluate(in, &st)
	if len(out) != 3 || len(changes) != 3 || !dirty {
		t.Fatalf("first evaluation: %d alerts, %d changes, dirty %v", len(out), len(changes), dirty)
	}
	if out[0].Severity != Critical || out[0].ID != "license-expiring/P1" || !out[0].FirstSeen.Equal(d0) {
		t.Fatalf("most severe first with a stable id: %+v", out[0])
	}
	b, err := st.Encode()
	if err != nil {
		t.Fatal(err)
	}
	st2, err := Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	in.Now = at(1)
	in.Pending = nil // the line started
	out, changes, dirty = Evaluate(in, &st2)
	if len(out) != 2 || !dirty {
		t.Fatalf("second evaluation: %d alerts, dirty %v", len(out), dirty)
	}
	for _, a := range out {
		if !a.FirstSeen.Equal(d0) {
			t.Fatalf("%s first seen %v, want %v", a.ID, a.FirstSeen, d0)
		}
	}
	if len(changes) != 1 || changes[0].Event != "cleared" || changes[0].Alert.Kind != KindLicensePending {
		t.Fatalf("changes %+v, want the pending alert cleared", changes)
	}
	if _, changes, dirty = Evaluate(in, &st2); len(changes) != 0 || dirty {
		t.Fatalf("unchanged input: changes %+v dirty %v", changes, dirty)
	}
}

// CSS date passed, expired lines, renewals, failures, the certificate: each rule's
// threshold.
func TestOtherRules(t *testing.T) {
	css := time.Date(2030, 3, 1, 0, 0, 0, 0, time.UTC)
	cert := d0.AddDate(0, 0, 45)
	for _, c := range []struct {
		name string
		in   Input
		kind Kind
		want []string
	}{
		{"css on its day", Input{Now: d0, Pools: []Pool{{ID: "P", Feature: "F", Permanent: true, CSS: css}}}, KindCSSPassed, nil},
		{"css the day after", Input{Now: d0.AddDate(0, 0, 1), Pools: []Pool{{ID: "P", Feature: "F", Permanent: true, CSS: css}}}, KindCSSPassed, []string{"warning -"}},
		{"expired line", Input{Now: d0, Expired: []Line{{File: "a.lic", Line: 1, Feature: "F", Date: at(-3)}}}, KindLicenseExpired, []string{"critical -"}},
		{"renewal found", Input{Now: d0, Renewals: []Renewal{{ID: "SN1", Feature: "F", CSS: at(365), At: d0}}}, KindRenewalAvailable, []string{"info -"}},
		{"renewal installed 29 days ago", Input{Now: d0, Renewals: []Renewal{{ID: "SN1", Feature: "F", Installed: true, At: at(-29)}}}, KindRenewalInstalled, []string{"info -"}},
		{"renewal installed 30 days ago", Input{Now: d0, Renewals: []Renewal{{ID: "SN1", Feature: "F", Installed: true, At: at(-30)}}}, KindRenewalInstalled, nil},
		{"fulfilment failure", Input{Now: d0, Failures: []Failure{{Kind: KindFulfilmentFailed, Key: "renewal-check", Message: "unreachable", At: d0}}}, KindFulfilmentFailed, []string{"warning -"}},
		{"upload failure", Input{Now: d0, Failures: []Failure{{Kind: KindUploadFailed, Key: "x.lic", Message: "bad signature", At: d0}}}, KindUploadFailed, []string{"warning -"}},
		{"certificate in 91 days", Input{Now: d0, Certificates: []Certificate{{Name: "https", NotAfter: d0.AddDate(0, 0, 91)}}}, KindCertificateExpiring, nil},
		{"certificate in 45 days", Input{Now: d0, Certificates: []Certificate{{Name: "https", NotAfter: cert}}}, KindCertificateExpiring, []string{"warning 45"}},
		{"certificate in 30 days", Input{Now: cert.AddDate(0, 0, -30), Certificates: []Certificate{{Name: "https", NotAfter: cert}}}, KindCertificateExpiring, []string{"critical 30"}},
		{"certificate expired", Input{Now: cert, Certificates: []Certificate{{Name: "https", NotAfter: cert}}}, KindCertificateExpiring, []string{"critical -"}},
	} {
		out, _, _ := Evaluate(c.in, &State{})
		if got := only(out, c.kind); !eq(got, c.want) {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
		for _, a := range out {
			if a.Action == "" || a.Message == "" || a.ID == "" {
				t.Errorf("%s: alert without id, message or action: %+v", c.name, a)
			}
		}
	}
}
