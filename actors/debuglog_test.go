package actors

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// The debug log dates its entries with FLEXlm's "TIMESTAMP m/d/yyyy" line before the first
// entry of each day, gives every IN line its reason, and the report log gets every checkout,
// checkin and denial as a JSON line even when NOLOG leaves them out of the debug log.
func TestDebugLogTimestampsReasonsAndReport(t *testing.T) {
	var dbg, rep bytes.Buffer
	d := NewDebugLogs(&dbg, &rep, "CITRIX")
	d.SetNoLog(LogDenied)
	day1 := time.Date(2030, 3, 9, 23, 59, 58, 0, time.UTC)
	day2 := day1.Add(3 * time.Second)
	d.Record(Event{When: day1, Kind: LogOut, Feature: "F", User: "ann", Host: "pc1", Device: "pc1", Product: "XDT", Pool: "P", Handle: 7, Session: 3})
	d.Record(Event{When: day1, Kind: LogDenied, Feature: "F", User: "bob", Host: "pc2", Code: -4, Detail: "Licensed number of users already reached."})
	d.Record(Event{When: day2, Kind: LogIn, Feature: "F", User: "ann", Host: "pc1", Handle: 7, Session: 3, Detail: ReasonTimeout})
	d.Info(day2, "licd shutting down")
	d.Close()
	want := strings.Join([]string{
		`23:59:58 (CITRIX) TIMESTAMP 3/9/2030`,
		`23:59:58 (CITRIX) OUT: "F" ann@pc1`,
		`00:00:01 (CITRIX) TIMESTAMP 3/10/2030`,
		`00:00:01 (CITRIX) IN: "F" ann@pc1  (INACTIVE: TIMEOUT)`,
		`00:00:01 (CITRIX) licd shutting down`,
		``}, "\n")
	if dbg.String() != want {
		t.Fatalf("debug log:\n%s\nwant:\n%s", dbg.String(), want)
	}
	lines := strings.Split(strings.TrimSpace(rep.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("report log has %d lines, want 3 (checkout, denial, checkin):\n%s", len(lines), rep.String())
	}
	var recs []map[string]any
	for _, l := range lines {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("report line %q is not JSON: %v", l, err)
		}
		recs = append(recs, m)
	}
	if recs[0]["event"] != "checkout" || recs[0]["handle"] != float64(7) || recs[0]["pool"] != "P" || recs[0]["time"] != "2030-03-09T23:59:58Z" {
		t.Fatalf("checkout record %v", recs[0])
	}
	if recs[1]["event"] != "denied" || recs[1]["code"] != float64(-4) || recs[1]["user"] != "bob" {
		t.Fatalf("denial record %v", recs[1])
	}
	if recs[2]["event"] != "checkin" || recs[2]["reason"] != ReasonTimeout {
		t.Fatalf("checkin record %v", recs[2])
	}
}

// Names with quotes, control characters and invalid UTF-8 stay valid JSON.
func TestReportLogEscapes(t *testing.T) {
	b := appendReport(nil, &Event{When: time.Unix(0, 0), Kind: LogOut, Feature: "F", User: "a\"b\\c\n\x01", Host: "h\xff"})
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	if m["user"] != "a\"b\\c\n\x01" || m["host"] != "h\ufffd" {
		t.Fatalf("%v", m)
	}
}

// No report log configured: recording a checkout allocates nothing (the hot path).
func TestRecordAllocatesNothing(t *testing.T) {
	d := NewDebugLog(nil, "CITRIX")
	now := time.Now()
	if n := testing.AllocsPerRun(100, func() {
		d.Record(Event{When: now, Kind: LogOut, Feature: "F", User: "u", Host: "h", Handle: 1})
	}); n != 0 {
		t.Fatalf("%v allocations per record", n)
	}
}
