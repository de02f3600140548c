package daemon_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/licd/licd/license"
	"github.com/licd/licd/wire"
)

// DEBUGLOG path (no '+') starts the vendor debug log anew at every start; REPORTLOG +path
// appends, so the report of every checkout, checkin and denial survives restarts ("Configure
// the Vendor Daemon log (CITRIX.log) from being overwritten").
func TestDebugLogAndReportLogFromOptions(t *testing.T) {
	f := newFixture(t)
	f.issue("ccs.lic", license.LineSpec{Feature: "XDT_PLT_CCS", Count: 1})
	f.writeFile("CITRIX.opt", "DEBUGLOG logs/debug.log\nREPORTLOG +logs/report.jsonl\n")
	logs := filepath.Join(f.dir, "data", "logs")
	if err := os.MkdirAll(logs, 0o700); err != nil {
		t.Fatal(err)
	}
	run := func(device string) {
		s := f.start()
		c := dial(t, s, "XDT")
		g := grant(t, c, "XDT_PLT_CCS", device, 20240101)
		_, err := checkout(t, c, "XDT_PLT_CCS", device+"-other", 20240101)
		wantCode(t, err, wire.CodeLicensedNumberReached)
		if err := c.Checkin(ctx(t), g.Handle); err != nil {
			t.Fatal(err)
		}
		_ = c.Close()
		if err := s.Stop(20 * time.Second); err != nil {
			t.Fatal(err)
		}
	}
	run("pc1")
	run("pc2")

	b, err := os.ReadFile(filepath.Join(logs, "debug.log"))
	if err != nil {
		t.Fatalf("DEBUGLOG file: %v", err)
	}
	dbg := string(b)
	if strings.Contains(dbg, "pc1") || !strings.Contains(dbg, `OUT: "XDT_PLT_CCS" user-pc2@client-pc2`) || strings.Count(dbg, "started on") != 1 {
		t.Fatalf("DEBUGLOG without + must hold only the last run:\n%s", dbg)
	}
	if _, err := os.Stat(filepath.Join(f.dir, "data", "CITRIX.log")); err == nil {
		t.Fatalf("CITRIX.log written although DEBUGLOG names another file")
	}
	b, err = os.ReadFile(filepath.Join(logs, "report.jsonl"))
	if err != nil {
		t.Fatalf("REPORTLOG file: %v", err)
	}
	var events []string
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		var r struct{ Event, Device, Reason string }
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("report line %q: %v", line, err)
		}
		events = append(events, r.Event+" "+r.Device)
	}
	got := strings.Join(events, ",")
	// Each run: the start-up license's checkout, the checkout, the denial, the checkin, and
	// the start-up license's release at the goodbye.
	for _, want := range []string{"checkout pc1", "denied pc1-other", "checkin pc1", "checkout pc2", "denied pc2-other", "checkin pc2"} {
		if !strings.Contains(got, want) {
			t.Fatalf("report log lacks %q (REPORTLOG +path must keep both runs): %s", want, got)
		}
	}
}
