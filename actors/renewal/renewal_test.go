package renewal

import (
	"testing"
	"time"
)

func TestParseAction(t *testing.T) {
	for in, want := range map[string]Action{"notify": Notify, "Notify": Notify, "": Notify, "auto": Auto, "Install": Auto, "MANUAL": Manual} {
		if got, err := ParseAction(in); err != nil || got != want {
			t.Errorf("ParseAction(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := ParseAction("sometimes"); err == nil {
		t.Error("sometimes accepted")
	}
	if !Auto.Installs() || Notify.Installs() || Manual.Installs() {
		t.Error("only Auto installs")
	}
}

// The weekly schedule with a walked clock: due at once, then a week after each successful
// check; a failure is retried an hour later; Manual never runs on its own.
func TestScheduleWalked(t *testing.T) {
	t0 := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	var s Schedule
	steps := []struct {
		at     time.Duration // since t0
		action Action
		due    bool
		result string // "ok", "fail" or "" (no check)
	}{
		{0, Notify, true, "ok"},
		{time.Hour, Notify, false, ""},
		{6 * 24 * time.Hour, Notify, false, ""},
		{7 * 24 * time.Hour, Notify, true, "fail"},
		{7*24*time.Hour + 30*time.Minute, Notify, false, ""},
		{7*24*time.Hour + time.Hour, Notify, true, "fail"},
		{7*24*time.Hour + 2*time.Hour, Auto, true, "ok"},
		{14 * 24 * time.Hour, Auto, false, ""},
		{14*24*time.Hour + 2*time.Hour, Auto, true, "ok"},
		{30 * 24 * time.Hour, Manual, false, ""},
		{60 * 24 * time.Hour, Manual, false, ""},
	}
	for i, st := range steps {
		now := t0.Add(st.at)
		if got := Due(st.action, s, Weekly, now); got != st.due {
			t.Fatalf("step %d (%s, %s): due %v, want %v (schedule %+v)", i, st.at, st.action, got, st.due, s)
		}
		switch st.result {
		case "ok":
			s.LastOK, s.LastAttempt = now, now
		case "fail":
			s.LastAttempt = now
		}
	}
	if !Next(Manual, s, Weekly).IsZero() {
		t.Error("Manual has a next check")
	}
	// A short interval (tests, -renewal-interval) retries after the interval, not an hour.
	s = Schedule{LastOK: t0, LastAttempt: t0.Add(time.Second)}
	if !Due(Notify, s, time.Second, t0.Add(2*time.Second)) {
		t.Error("a 1s interval did not retry after 1s")
	}
}

func TestTarget(t *testing.T) {
	lines := []Line{
		{File: "fulfil-a.lic", Feature: "XDT_PLT_UD", SN: "a", CSS: "2027.0101"},
		{File: "mixed.lic", Feature: "XDT_PLT_UD", SN: "b", CSS: "2027.0101"},
		{File: "mixed.lic", Feature: "XDT_ENT_UD", SN: "c", CSS: "2027.0101"},
		{File: "one.lic", Feature: "XDT_PLT_CCS", SN: "d"}, {File: "two.lic", Feature: "XDT_PLT_CCS", SN: "d"},
	}
	if f, err := Target(lines, "a"); err != nil || f != "fulfil-a.lic" {
		t.Errorf("Target a = %q, %v", f, err)
	}
	for _, sn := range []string{"b", "d", "zz"} {
		if f, err := Target(lines, sn); err == nil {
			t.Errorf("Target %s = %q, want a refusal", sn, f)
		}
	}
}

func TestRecent(t *testing.T) {
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	list := []Installed{{SN: "old", At: now.AddDate(0, 0, -30)}, {SN: "a", At: now.AddDate(0, 0, -29)}, {SN: "b", At: now.Add(-time.Hour)}}
	got := Recent(list, now)
	if len(got) != 2 || got[0].SN != "b" || got[1].SN != "a" {
		t.Fatalf("Recent = %+v", got)
	}
}
