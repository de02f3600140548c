package daemon

import (
	"strings"
	"testing"
	"time"

	"github.com/licd/licd/license"
)

// What licd parses but does not act on is a warning at load, never silent.
func TestUnappliedWarnings(t *testing.T) {
	opts := &license.Options{Path: "CITRIX.opt", TimeoutAll: time.Hour, Timeouts: map[string]time.Duration{"XDT_PLT_CCS": 2 * time.Hour}, NoLogQueued: true}
	inv := &license.Inventory{Pools: []*license.Pool{{Lines: []*license.Line{{File: "a.lic", LineNo: 3,
		VendorString: license.ParseVendorString(";LT=Retail;GP=720;NURMIN=2880;NURMAX=525600")}}}}}
	got := strings.Join(unappliedWarnings(opts, inv), "\n")
	for _, want := range []string{"TIMEOUTALL 3600", "TIMEOUT XDT_PLT_CCS 7200", "NOLOG QUEUED", "a.lic:3: VENDOR_STRING NURMIN", "a.lic:3: VENDOR_STRING NURMAX"} {
		if !strings.Contains(got, want) {
			t.Errorf("warnings lack %q:\n%s", want, got)
		}
	}
	if w := unappliedWarnings(&license.Options{Path: "x"}, &license.Inventory{}); len(w) != 0 {
		t.Fatalf("nothing unapplied: %v", w)
	}
}
