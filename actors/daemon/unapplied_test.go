package daemon

import (
	"strings"
	"testing"
	"time"

	"github.com/licd/licd/license"
)

// What licd parses but does not act on is a warning at load, never silent.
func TestUnappliedWarnings(t *testing.T) {
	opts := &license.Options{Path: "CITRIX.opt", TimeoutAll: time.Minute, Timeouts: map[string]time.Duration{"XDT_PLT_CCS": 600 * time.Second, "XDT_PLT_UD": 2 * time.Hour, "MPS_ENT_CCU": time.Hour}, NoLogQueued: true}
	inv := &license.Inventory{Pools: []*license.Pool{{Lines: []*license.Line{{File: "a.lic", LineNo: 3,
		VendorString: license.ParseVendorString(";LT=Retail;GP=720;NURMIN=2880;NURMAX=525600")}}}}}
	got := strings.Join(unappliedWarnings(opts, inv), "\n")
	for _, want := range []string{"TIMEOUTALL 60 is below the minimum of 900 seconds", "TIMEOUT XDT_PLT_CCS 600 is below the minimum", "TIMEOUT XDT_PLT_UD has no effect", "NOLOG QUEUED"} {
		if !strings.Contains(got, want) {
			t.Errorf("warnings lack %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "NURMIN") || strings.Contains(got, "NURMAX") {
		t.Errorf("NURMIN/NURMAX are applied to named-user features and meaningless elsewhere, not warnings:\n%s", got)
	}
	if strings.Contains(got, "MPS_ENT_CCU") || strings.Contains(got, "not applied by this licd: idle") {
		t.Errorf("an applied TIMEOUT is reported as not applied:\n%s", got)
	}
	if w := unappliedWarnings(&license.Options{Path: "x"}, &license.Inventory{}); len(w) != 0 {
		t.Fatalf("nothing unapplied: %v", w)
	}
}
