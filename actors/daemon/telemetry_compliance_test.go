package daemon_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/licd/licd/actors/daemon"
	"github.com/licd/licd/license"
)

// The 90-day rule on a walked clock ("Citrix Licensing Telemetry": "the number of days since
// the last successful upload must not be greater than 90 days"): uploads that keep failing
// raise the compliance alert once the programs have been on for more than 90 days, a
// success clears it, and with the License Management Service disabled there is none.
func TestTelemetryComplianceAlertAfter90Days(t *testing.T) {
	r := newUploadReceiver(t)
	r.refuse.Store(1 << 20)
	clock := &fakeClock{now: time.Date(2027, 1, 4, 9, 0, 0, 0, time.UTC)}
	dir := t.TempDir()
	lines := []license.LineSpec{{Feature: "XDT_PLT_CCS", Count: 10, CSS: 20991231, Permanent: true}}
	startDated(t, clock, lines, dir).Shutdown() // prepares the data directory
	if err := os.WriteFile(filepath.Join(dir, "data", "MyFiles", "CITRIX.opt"), []byte("CEILOPTIN UNIDENTIFIED\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	d, err := daemon.Start(daemon.Config{DataDir: filepath.Join(dir, "data"), Hostname: testHost, ListenHost: "127.0.0.1",
		LMPort: -1, VendorPort: -1, TrustedKeys: []string{filepath.Join(dir, "keys", "vendor.pub")}, DebugLog: discard{},
		Now: clock.Now, Telemetry: daemon.TelemetryConfig{URL: r.srv.URL, CAFile: r.caFile, First: time.Hour}})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Shutdown()
	compliance := func() bool {
		as, err := d.Alerts()
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range as {
			if a.Kind == "upload-failed" && a.Subject == "telemetry-compliance" {
				return true
			}
		}
		return false
	}
	upload := func() *daemon.RunReport {
		t.Helper()
		rep, err := d.UploadNow()
		if err != nil {
			t.Fatal(err)
		}
		return rep
	}
	if rep := upload(); rep.Sent || rep.Result.OK {
		t.Fatalf("the receiver refuses, yet: %+v", rep.Result)
	}
	if compliance() {
		t.Fatal("a compliance alert on the first day")
	}
	clock.Set(clock.Now().Add(90 * 24 * time.Hour))
	upload()
	if compliance() {
		t.Fatal("a compliance alert after exactly 90 days")
	}
	clock.Set(clock.Now().Add(24 * time.Hour))
	upload()
	if !compliance() {
		t.Fatal("no compliance alert after 91 days without a successful upload")
	}
	st, err := d.TelemetryStatus()
	if err != nil || !st.Overdue || st.DaysSinceSuccess != 91 {
		t.Fatalf("status: overdue %v, %d days (%v)", st.Overdue, st.DaysSinceSuccess, err)
	}
	r.refuse.Store(0)
	clock.Set(clock.Now().Add(5 * time.Minute))
	if rep := upload(); !rep.Sent {
		t.Fatalf("upload to an accepting receiver: %+v", rep.Result)
	}
	if compliance() {
		t.Fatal("the compliance alert stayed after a successful upload")
	}
	// 91 more days without success: the alert again; then the service is disabled (manual
	// reporting) and the alert goes.
	r.refuse.Store(1 << 20)
	clock.Set(clock.Now().Add(91 * 24 * time.Hour))
	upload()
	if !compliance() {
		t.Fatal("no compliance alert 91 days after the last success")
	}
	if _, err := d.PutSettings(daemon.SettingsUpdate{"data_sharing": false}, "test"); err != nil {
		t.Fatal(err)
	}
	if _, err := d.UploadNow(); err == nil {
		t.Fatal("upload now with the service disabled was accepted")
	}
	st, _ = d.TelemetryStatus()
	if compliance() || st.Overdue {
		t.Fatal("a compliance alert while the License Management Service is disabled")
	}
}
