package telemetry

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

var update = flag.Bool("update", false, "rewrite schema.json and manifest.schema.json")

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// richInput has a value for every field, so that every program's report shows all of its.
func richInput() *Input {
	return &Input{
		Now: t0, From: t0.Add(-24 * time.Hour), GUID: "6f1c1a52-2f0e-4c1e-9a57-6b7f3c0d9e11", Installed: t0.AddDate(0, -2, 0),
		Version: "v0.1.0", Hostname: "licsrv01.corp.example.com", MachineID: "0123456789abcdef0123456789abcdef",
		OS: "linux", Arch: "amd64", Bits: 64, PortLS: 27000, PortVD: 7279, PortWSL: 8083, NoLogStatus: 1,
		RenewalAction: "notify", SamplingPeriod: 15 * time.Minute, Retention: 365 * 24 * time.Hour, HistoryEnabled: true,
		Proxy: true, BurstEnabled: true, UploadType: "Auto",
		Pools: []PoolIn{
			{ID: "XDT_PLT_UD/2030.0101/aa", Feature: "XDT_PLT_UD", Model: "User/Device", CSS: "2030.0101", UserDevice: true,
				Permanent: true, Issued: t0.AddDate(-1, 0, 0), Start: t0.AddDate(-1, 0, 0), Serial: "SN-UD-1", Notice: "Example Corp",
				VendorString: ";LT=Retail;ODP=1", Count: 100, Overdraft: 10, InUse: 3, OverdraftIn: 0,
				BurstActive: true, BurstStarted: t0.Add(-48 * time.Hour), BurstUntil: t0.Add(13 * 24 * time.Hour)},
			{ID: "XDT_PLT_CCS/2030.0101/bb", Feature: "XDT_PLT_CCS", Model: "Concurrent", CSS: "2030.0101",
				Expiry: t0.AddDate(0, 6, 0), Issued: t0.AddDate(-1, 0, 0), Start: t0.AddDate(-1, 0, 0), Serial: "SN-CCS-1",
				Notice: "Example Corp", VendorString: ";LT=Retail", Count: 50, InUse: 2},
		},
		Samples: []SampleIn{
			{PoolID: "XDT_PLT_UD/2030.0101/aa", Time: t0.Add(-time.Hour), InUse: 2, Peak: 5, Installed: 110},
			{PoolID: "XDT_PLT_CCS/2030.0101/bb", Time: t0.Add(-time.Hour), InUse: 1, Peak: 1, Installed: 50},
			{PoolID: "OLD_FEATURE/2020.0101/cc", Feature: "OLD_FEATURE", Model: "Concurrent", CSS: "2020.0101", Time: t0.Add(-2 * time.Hour), InUse: 1, Installed: 5},
			{PoolID: "XDT_PLT_CCS/2030.0101/bb", Time: t0.Add(-48 * time.Hour), InUse: 40, Peak: 40, Installed: 50}, // before From
		},
		UD: []UDIn{
			{Feature: "XDT_PLT_UD", Name: "alice@corp.example.com", LastSeen: t0.Add(-time.Hour)},
			{Feature: "XDT_PLT_UD", Name: "bob", LastSeen: t0.Add(-2 * time.Hour)},
			{Feature: "XDT_PLT_UD", Device: true, Name: "kiosk-7.corp.example.com", LastSeen: t0.Add(-3 * time.Hour)},
		},
		Checkouts: []CheckoutIn{{PoolID: "XDT_PLT_CCS/2030.0101/bb", Device: "laptop-42"}, {PoolID: "XDT_PLT_CCS/2030.0101/bb", Device: "laptop-42"}},
		Sessions:  []SessionIn{{Product: "XDT", Edition: "PLT", Model: "UD", VersionDate: 20240101}, {Product: "XDT", Edition: "PLT", Model: "UD", VersionDate: 20240101}},
		Released:  map[string][2]int64{"XDT_PLT_UD": {3, 1}},
		Events: []EventIn{{Type: EventExpiry, Feature: "XDT_PLT_CCS", CSS: "2030.0101", Message: "expires in 183 days",
			Time: t0, Until: t0.AddDate(0, 6, 0)}},
	}
}

var rawNames = []string{"alice", "bob", "kiosk-7", "laptop-42", "licsrv01", "0123456789abcdef"}

func deid(t *testing.T) *Deidentifier {
	d, err := NewDeidentifier(bytes.Repeat([]byte{7}, SecretBytes))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// leafPaths lists the paths of every scalar in a JSON document, arrays written "[]".
func leafPaths(v any, path string, out map[string]bool) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			p := k
			if path != "" {
				p = path + "." + k
			}
			leafPaths(e, p, out)
		}
	case []any:
		for _, e := range x {
			leafPaths(e, path+"[]", out)
		}
	default:
		out[path] = true
	}
}

func shaped(t *testing.T, pr Program, privacy bool) (*Report, []byte) {
	t.Helper()
	r := Shape(Build(richInput()), pr, privacy, deid(t))
	b, err := MarshalReport(r)
	if err != nil {
		t.Fatal(err)
	}
	return r, b
}

// Every program's report has exactly the fields the table (and SCHEMA.md) gives it.
func TestProgramsCarryTheirFields(t *testing.T) {
	for _, pr := range AllPrograms {
		_, b := shaped(t, pr, true)
		var doc any
		if err := json.Unmarshal(b, &doc); err != nil {
			t.Fatal(err)
		}
		got := map[string]bool{}
		leafPaths(doc, "", got)
		want := map[string]bool{}
		for _, f := range Fields {
			if slices.Contains(f.Programs, pr) {
				want[f.Path] = true
			}
		}
		for p := range got {
			if !want[p] {
				t.Errorf("%s carries %s, which the field table does not give it", pr, p)
			}
		}
		for p := range want {
			if !got[p] {
				t.Errorf("%s lacks %s, which the field table gives it", pr, p)
			}
		}
	}
}

// Telemetry always scrambles names, Call Home when PrivacySetting is on, CEIP carries
// none; hashes are stable for one secret and differ for another.
func TestDeidentification(t *testing.T) {
	for _, c := range []struct {
		pr      Program
		privacy bool
		raw     bool
	}{{Telemetry, false, false}, {Telemetry, true, false}, {CallHome, true, false}, {CEIP, false, false}, {Events, true, false}, {CallHome, false, true}} {
		_, b := shaped(t, c.pr, c.privacy)
		for _, n := range rawNames {
			want := c.raw && n != "0123456789abcdef" // the machine id is always hashed
			if got := bytes.Contains(b, []byte(n)); got != want {
				t.Errorf("%s (privacy %v): carries the raw name %q: %v, want %v", c.pr, c.privacy, n, got, want)
			}
		}
	}
	d := deid(t)
	if d.User("alice") != d.User("alice") || d.User("alice") == d.Device("alice") || len(d.User("alice")) != 16 {
		t.Fatalf("user hashes: %s %s %s", d.User("alice"), d.User("alice"), d.Device("alice"))
	}
	other, _ := NewDeidentifier(bytes.Repeat([]byte{8}, SecretBytes))
	if other.User("alice") == d.User("alice") {
		t.Fatal("two secrets give the same hash: the key is not used")
	}
	r1, _ := shaped(t, Telemetry, false)
	r2, _ := shaped(t, Telemetry, false)
	if r1.Features[2].SADates[0].Licensees.Users[0].ID != r2.Features[2].SADates[0].Licensees.Users[0].ID || r1.Features[2].ID != "XDT_PLT_UD" {
		t.Fatal("the same user hashes differently in two reports")
	}
	if _, err := NewDeidentifier([]byte("short")); err == nil {
		t.Fatal("a 5-byte secret was accepted")
	}
}

// The figures come from the input: maximum use over the period, samples inside it only,
// pools only in the history marked inactive, startup counts grouped.
func TestBuildFigures(t *testing.T) {
	r := Build(richInput())
	var ccs, ud, old *SADate
	for i := range r.Features {
		f := &r.Features[i]
		switch f.ID {
		case "XDT_PLT_CCS":
			ccs = &f.SADates[0]
		case "XDT_PLT_UD":
			ud = &f.SADates[0]
		case "OLD_FEATURE":
			old = &f.SADates[0]
		}
	}
	if ccs == nil || ud == nil || old == nil {
		t.Fatalf("features: %+v", r.Features)
	}
	if ccs.CountUsedMax != 2 || len(ccs.Pools[0].UsageSamples) != 1 || ccs.CountInstalled != 50 {
		t.Errorf("concurrent: used max %d (want 2: the 40 is before the period), samples %d, installed %d", ccs.CountUsedMax, len(ccs.Pools[0].UsageSamples), ccs.CountInstalled)
	}
	if ud.CountUsedMax != 5 || ud.CountInstalled != 110 || ud.Licensees.CountTotal != 3 {
		t.Errorf("user/device: used max %d (want the peak 5), installed %d, licensees %d", ud.CountUsedMax, ud.CountInstalled, ud.Licensees.CountTotal)
	}
	if old.Active != 0 || ccs.Active != 1 {
		t.Errorf("active: old %d, current %d", old.Active, ccs.Active)
	}
	if len(ccs.CCUDevices) != 1 {
		t.Errorf("one device holds two checkouts: %v", ccs.CCUDevices)
	}
	if len(r.StartupCounts) != 1 || r.StartupCounts[0].Count != 2 || r.StartupCounts[0].LPE != "XDT_PLT_2024.0101" {
		t.Errorf("startup counts: %+v", r.StartupCounts)
	}
	if len(r.SupplementalGracePeriod) != 1 || r.LicenseServer.Burst.SGPMaxDays != 13 {
		t.Errorf("burst: %+v max days %d", r.SupplementalGracePeriod, r.LicenseServer.Burst.SGPMaxDays)
	}
}

func TestPlans(t *testing.T) {
	on, off := true, false
	for _, c := range []struct {
		ch, ceip *bool
		want     Choice
		ok       bool
	}{{nil, nil, "", false}, {&on, nil, ChoiceCallHome, true}, {&off, &on, ChoiceCEIP, true}, {&off, &off, ChoiceNone, true}, {&on, &on, ChoiceCallHome, true}} {
		got, ok := ChoiceFromOptions(c.ch, c.ceip)
		if got != c.want || ok != c.ok {
			t.Errorf("options %v %v: %q %v, want %q %v", c.ch, c.ceip, got, ok, c.want, c.ok)
		}
	}
	if p := NewPlan(ChoiceNone, true, true); p.Sends() || len(p.Programs) != 0 {
		t.Errorf("none sends: %+v", p)
	}
	if p := NewPlan(ChoiceCEIP, false, true); p.Sends() || !p.On(Telemetry) || !p.On(CEIP) || p.On(CallHome) {
		t.Errorf("CEIP with the service off: %+v", p)
	}
	if p := NewPlan(ChoiceCallHome, true, true); !p.Sends() || !p.On(Events) || !slices.Equal(p.UsagePrograms(), []Program{CallHome, Events}) {
		t.Errorf("Call Home: %+v", p)
	}
	for _, s := range []string{"CALLHOME", "diagnostic", "ceip", "Anon", "none"} {
		if _, err := ParseChoice(s); err != nil {
			t.Errorf("%s: %v", s, err)
		}
	}
	if _, err := ParseChoice("everything"); err == nil {
		t.Error("an unknown choice was accepted")
	}
}

// The schedule on a walked clock: first run five minutes after start, daily after a
// success, a failure retried after 24 hours with jitter and back-off, "Upload now" at most
// every five minutes.
func TestSchedule(t *testing.T) {
	s := NewSchedule(ScheduleConfig{Rand: func() float64 { return 0.5 }}, t0)
	now := t0
	if s.Next() != t0.Add(5*time.Minute) {
		t.Fatalf("first run at %v", s.Next())
	}
	now = s.Next()
	s.Done(now, true)
	if s.Next() != now.Add(24*time.Hour) {
		t.Fatalf("after a success: %v", s.Next().Sub(now))
	}
	jitter := 30 * time.Minute // half of an hour
	for i, want := range []time.Duration{24 * time.Hour, 24 * time.Hour, 48 * time.Hour, 96 * time.Hour, 96 * time.Hour} {
		now = s.Next()
		s.Done(now, false)
		if got := s.Next().Sub(now); got != want+jitter {
			t.Fatalf("failure %d: retry after %v, want %v", i+1, got, want+jitter)
		}
	}
	now = s.Next()
	s.Done(now, true)
	if s.Failures() != 0 || s.Next().Sub(now) != 24*time.Hour {
		t.Fatalf("a success did not reset the back-off: %d %v", s.Failures(), s.Next().Sub(now))
	}
	if err := s.UploadNow(now); err != nil {
		t.Fatal(err)
	}
	var tooSoon *TooSoonError
	if err := s.UploadNow(now.Add(4*time.Minute + 59*time.Second)); !errors.As(err, &tooSoon) || tooSoon.Wait != time.Second {
		t.Fatalf("upload now after 4m59s: %v", err)
	}
	if err := s.UploadNow(now.Add(5 * time.Minute)); err != nil {
		t.Fatalf("upload now after 5m: %v", err)
	}
}

func TestComplianceRule(t *testing.T) {
	day := 24 * time.Hour
	for _, c := range []struct {
		last, since time.Time
		now         time.Time
		overdue     bool
		days        int
	}{
		{t0, time.Time{}, t0.Add(90 * day), false, 90},
		{t0, time.Time{}, t0.Add(90*day + time.Second), true, 90},
		{time.Time{}, t0, t0.Add(91 * day), true, 91},
		{t0.Add(30 * day), t0, t0.Add(91 * day), false, 61},
		{time.Time{}, time.Time{}, t0, false, 0},
	} {
		o, d := ComplianceOverdue(c.now, c.last, c.since)
		if o != c.overdue || d != c.days {
			t.Errorf("last %v since %v now %v: %v %d, want %v %d", c.last, c.since, c.now, o, d, c.overdue, c.days)
		}
	}
}

func TestBundleRoundTripAndTamper(t *testing.T) {
	_, b := shaped(t, Telemetry, false)
	var buf bytes.Buffer
	m, err := WriteBundle(&buf, Manifest{Bundle: KindCompliance, Programs: []Program{Telemetry}, GUID: "g", UTCDate: t0, UploadType: "Auto"},
		[]BundleFile{{Name: "telemetry.json", Program: Telemetry, Data: b}})
	if err != nil {
		t.Fatal(err)
	}
	if m.TotalFiles != 1 || m.FilesUI == "" {
		t.Fatalf("manifest %+v", m)
	}
	got, files, err := ReadBundle(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil || got.FilesUI != m.FilesUI || !bytes.Equal(files["telemetry.json"], b) {
		t.Fatalf("read back: %v", err)
	}
	// A bundle whose file does not match its manifest is refused.
	var forged bytes.Buffer
	zw := zip.NewWriter(&forged)
	mb, _ := json.Marshal(m)
	for name, data := range map[string][]byte{ManifestName: mb, "telemetry.json": bytes.Replace(b, []byte("XDT"), []byte("XXX"), 1)} {
		w, _ := zw.Create(name)
		_, _ = w.Write(data)
	}
	_ = zw.Close()
	if _, _, err := ReadBundle(bytes.NewReader(forged.Bytes()), int64(forged.Len())); err == nil || !strings.Contains(err.Error(), "does not match") {
		t.Fatalf("a bundle whose file was changed after its manifest: %v", err)
	}
	name := BundleName(KindCompliance, t0.Add(123*time.Millisecond))
	if k, tm, ok := ParseBundleName(name); !ok || k != KindCompliance || !tm.Equal(t0.Add(123*time.Millisecond)) {
		t.Fatalf("%s parses as %s %v %v", name, k, tm, ok)
	}
	for _, bad := range []string{"upload_other_20260301T120000000Z.zip", "x.zip", "upload_usage_2026.zip", "upload_usage_../../etc/passwdZ.zip"} {
		if _, _, ok := ParseBundleName(bad); ok {
			t.Errorf("%s parsed", bad)
		}
	}
}

func TestPrune(t *testing.T) {
	var bs []BundleInfo
	for i := range 5 {
		at := t0.Add(time.Duration(i) * time.Hour)
		bs = append(bs, BundleInfo{Name: BundleName(KindCompliance, at), Kind: KindCompliance, Time: at, Size: 100},
			BundleInfo{Name: BundleName(KindUsage, at), Kind: KindUsage, Time: at, Size: 1000})
	}
	del := Prune(bs, 3, 0)
	sort.Strings(del)
	if len(del) != 4 || !slices.Contains(del, BundleName(KindUsage, t0)) || slices.Contains(del, BundleName(KindUsage, t0.Add(4*time.Hour))) {
		t.Fatalf("keep 3 of each: deleted %v", del)
	}
	// A byte budget below the newest of each kind keeps exactly those.
	del = Prune(bs, 10, 1)
	if len(del) != 8 || slices.Contains(del, BundleName(KindUsage, t0.Add(4*time.Hour))) || slices.Contains(del, BundleName(KindCompliance, t0.Add(4*time.Hour))) {
		t.Fatalf("tiny budget: deleted %v", del)
	}
	del = Prune(bs, 10, 2300) // oldest first: 5500 -> 2200 after six
	if len(del) != 6 || slices.Contains(del, BundleName(KindUsage, t0.Add(3*time.Hour))) {
		t.Fatalf("budget 2300 of 5500 bytes: deleted %d: %v", len(del), del)
	}
}

func TestResultXML(t *testing.T) {
	x, err := Result{Time: time.Unix(1679283245, 0), Code: CodeNetworkOpen, Message: "dial tcp: refused", Arg: "cis.example.com:443"}.XML()
	if err != nil {
		t.Fatal(err)
	}
	want := "<CtxUploaderResult><Code>CTX_UPLOADER_ERROR_NETWORK_OPEN</Code><Msg>dial tcp: refused</Msg><Arg>cis.example.com:443</Arg><t>1679283245</t><UploadType>CTX_UPLOAD_TYPE_COMPLIANCE</UploadType></CtxUploaderResult>"
	if string(x) != want {
		t.Fatalf("got  %s\nwant %s", x, want)
	}
}

// The committed schema files are what the types make, and every program's report is valid
// against schema.json.
func TestSchemaFiles(t *testing.T) {
	for which, file := range map[string]string{"report": "schema.json", "manifest": "manifest.schema.json"} {
		b, err := JSONSchema(which)
		if err != nil {
			t.Fatal(err)
		}
		if *update {
			if err := os.WriteFile(file, b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		got, err := os.ReadFile(file)
		if err != nil || !bytes.Equal(got, b) {
			t.Fatalf("%s is not what the types make (%v): run go test ./actors/telemetry -run TestSchemaFiles -update", file, err)
		}
	}
	sch := CompileSchemaForTest(t, "schema.json")
	for _, pr := range AllPrograms {
		_, b := shaped(t, pr, false)
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		if err := sch.Validate(doc); err != nil {
			t.Errorf("%s report does not match schema.json: %v", pr, err)
		}
	}
	// A report with a field the schema does not know is refused: the check can fail.
	doc := map[string]any{"$schema": SchemaID, "Unknown": 1}
	if err := sch.Validate(doc); err == nil {
		t.Fatal("schema.json accepts anything")
	}
}

// CompileSchemaForTest compiles a schema file of this directory.
func CompileSchemaForTest(t *testing.T, file string) *jsonschema.Schema {
	t.Helper()
	c := jsonschema.NewCompiler()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.AddResource(file, doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile(file)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// SCHEMA.md documents every field with its programs.
func TestSchemaDocument(t *testing.T) {
	b, err := os.ReadFile("SCHEMA.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range Fields {
		var marks []string
		for _, pr := range AllPrograms {
			if slices.Contains(f.Programs, pr) {
				marks = append(marks, "x")
			} else {
				marks = append(marks, " ")
			}
		}
		row := "| `" + f.Path + "` | " + strings.Join(marks, " | ") + " |"
		if !bytes.Contains(b, []byte(row)) {
			t.Errorf("SCHEMA.md lacks the row %q", row)
		}
	}
}

// The example bundles of a demo server (testdata/README.md) are whole, match the schemas and
// name no user, device or host in clear.
func TestExampleBundles(t *testing.T) {
	paths, _ := filepath.Glob("testdata/upload_*.zip")
	if len(paths) != 2 {
		t.Fatalf("want the two example bundles, found %v", paths)
	}
	report, manifest := CompileSchemaForTest(t, "schema.json"), CompileSchemaForTest(t, "manifest.schema.json")
	raw := regexp.MustCompile(`lb[0-9a-f]{6}-|demo-host`)
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		m, files, err := ReadBundle(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		mb, _ := json.Marshal(m)
		mdoc, _ := jsonschema.UnmarshalJSON(bytes.NewReader(mb))
		if err := manifest.Validate(mdoc); err != nil {
			t.Errorf("%s manifest: %v", p, err)
		}
		for name, data := range files {
			doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
			if err != nil {
				t.Fatal(err)
			}
			if err := report.Validate(doc); err != nil {
				t.Errorf("%s/%s: %v", p, name, err)
			}
			if loc := raw.Find(data); loc != nil {
				t.Errorf("%s/%s names %q in clear", p, name, loc)
			}
		}
	}
}
