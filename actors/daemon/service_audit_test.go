package daemon

import (
	"fmt"
	"testing"
	"time"
)

// The audit log answers the newest entries first, at most the page asked for, from the
// given time on; and a prune removes what is older than the retention.
func TestAuditLogPagesNewestFirstAndPrunes(t *testing.T) {
	d := accountsDaemon(t, t.TempDir())
	base := accountsNow.Add(-100 * time.Hour)
	for i := range 100 {
		d.Audit(AuditEntry{Time: base.Add(time.Duration(i) * time.Hour), Who: "admin", Action: fmt.Sprintf("act%02d", i), Result: "ok"})
	}
	got, err := d.AuditLog(time.Time{}, 5)
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range got {
		actions = append(actions, e.Action)
	}
	if fmt.Sprint(actions) != "[act99 act98 act97 act96 act95]" {
		t.Fatalf("newest five: %v", actions)
	}
	got, _ = d.AuditLog(base.Add(97*time.Hour), 50)
	if len(got) != 3 || got[0].Action != "act99" || got[2].Action != "act97" {
		t.Fatalf("since the 97th hour: %+v", got)
	}
	if err := d.PruneAudit(10 * time.Hour); err != nil {
		t.Fatal(err)
	}
	got, _ = d.AuditLog(time.Time{}, 1000)
	// The entries at now-10h .. now-1h (act90 .. act99) are within the retention.
	if len(got) != 10 || got[9].Action != "act90" {
		t.Fatalf("after a 10-hour prune: %d entries, oldest %+v", len(got), got[len(got)-1])
	}
}
