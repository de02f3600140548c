package license

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
	"time"
)

func parseOpts(t *testing.T, text string) *Options {
	t.Helper()
	o, err := ParseOptions("test.opt", strings.NewReader(text))
	if err != nil {
		t.Fatalf("ParseOptions: %v", err)
	}
	return o
}

// mustClean fails when a file that should load cleanly has issues.
func mustClean(t *testing.T, o *Options) {
	t.Helper()
	for _, i := range append(o.Errors, o.Warnings...) {
		t.Errorf("unexpected issue: %v", i)
	}
}

func TestOptionsCitrixSample(t *testing.T) {
	o, err := LoadOptionsFile(filepath.Join("testdata", "options", "CITRIX.opt"))
	if err != nil {
		t.Fatal(err)
	}
	mustClean(t, o)
	if o.DebugLog != `C:\Program Files (x86)\Citrix\Licensing\LS\Logs\CITRIX.log` || !o.DebugLogAppend {
		t.Errorf("DEBUGLOG = %q append=%v", o.DebugLog, o.DebugLogAppend)
	}
	if !o.NoLogIn || o.NoLogOut || o.NoLogDenied || o.NoLogQueued {
		t.Errorf("NOLOG = in %v out %v denied %v queued %v, want only IN", o.NoLogIn, o.NoLogOut, o.NoLogDenied, o.NoLogQueued)
	}
	if o.UDUseDomain || o.UserCase != CaseLower || o.DeviceCase != CaseUnchanged {
		t.Errorf("UD settings = %v %v %v", o.UDUseDomain, o.UserCase, o.DeviceCase)
	}
	if o.CEIP == nil || !*o.CEIP || o.CallHome == nil || *o.CallHome {
		t.Errorf("CEILOPTIN UNIDENTIFIED should choose CEIP alone: CEIP %v CallHome %v", o.CEIP, o.CallHome)
	}
	if !o.GroupCaseInsensitive {
		t.Error("GROUPCASEINSENSITIVE ON not applied")
	}
	if got, want := o.Groups["contractors"], []string{"dave@partner.example", "erin", "frank", "gina"}; !reflect.DeepEqual(got, want) {
		t.Errorf("contractors = %q, want %q (continuation line and repeated GROUP)", got, want)
	}
	if got := len(o.HostGroups["kiosks"]); got != 3 {
		t.Errorf("kiosks has %d hosts, want 3", got)
	}
	if len(o.Rules) != 6 {
		t.Fatalf("%d rules loaded, want 6", len(o.Rules))
	}
	if r := o.Rules[2]; r.Kind != OptMax || r.Count != 5 || r.Feature != "MPS_ENT_CCU" || r.Type != OptGroup || r.Line != 36 {
		t.Errorf("MAX rule = %+v", r)
	}
	if d, _ := o.Timeout("MPS_ENT_CCU"); d != time.Hour {
		t.Errorf("TIMEOUT MPS_ENT_CCU = %v, want 1h", d)
	}
	if d, _ := o.Timeout("XDT_PLT_UD"); d != 2*time.Hour {
		t.Errorf("TIMEOUTALL = %v, want 2h", d)
	}

	// What the rules mean to users of the sample site.
	plat := o.Gate("XDT_PLT_UD")
	if err := plat.Admit(o.NormalizeUser("Dave@Partner.example"), "PC-7", "", 10, 1); !isDenial(err, GateExcluded) {
		t.Errorf("contractor on platinum: %v, want excluded", err)
	}
	if err := plat.Admit("zoe", "kiosk-02", "", 10, 1); !isDenial(err, GateExcluded) {
		t.Errorf("kiosk host (case-insensitive) on platinum: %v, want excluded", err)
	}
	if err := plat.Admit("zoe", "PC-7", "", 3, 1); !isDenial(err, GateReserved) {
		t.Errorf("outsider when only the help desk's 3 are free: %v, want reserved", err)
	}
	if err := plat.Admit("Anna", "PC-7", "", 3, 1); err != nil {
		t.Errorf("help desk member: %v", err)
	}
	if err := o.Gate("MPS_ADV_CCU").Admit("zoe", "PC-7", "", 10, 1); !isDenial(err, GateNotIncluded) {
		t.Errorf("advanced edition outside the labs: %v, want not included", err)
	}
	if err := o.Gate("CAG_AAC_CCU").Admit("olduser", "PC-7", "", 10, 1); !isDenial(err, GateExcluded) {
		t.Errorf("EXCLUDEALL user on any feature: %v, want excluded", err)
	}
}

func isDenial(err error, denialReason GateReason) bool {
	var d *GateDenial
	return errors.As(err, &d) && d.Reason == denialReason
}

func TestOptionsKeywords(t *testing.T) {
	on, off := true, false
	tests := []struct {
		line  string
		check func(*Options) bool
	}{
		{"NOLOG IN", func(o *Options) bool { return o.NoLogIn && !o.NoLogOut }},
		{"NOLOG OUT", func(o *Options) bool { return o.NoLogOut && !o.NoLogIn }},
		{"NOLOG DENIED", func(o *Options) bool { return o.NoLogDenied }},
		{"NOLOG QUEUED", func(o *Options) bool { return o.NoLogQueued }},
		{"nolog in", func(o *Options) bool { return o.NoLogIn }},
		{"DEBUGLOG /var/log/citrix.log", func(o *Options) bool { return o.DebugLog == "/var/log/citrix.log" && !o.DebugLogAppend }},
		{"DEBUGLOG +/var/log/citrix.log", func(o *Options) bool { return o.DebugLog == "/var/log/citrix.log" && o.DebugLogAppend }},
		{"DEBUGLOG + /var/log/citrix.log", func(o *Options) bool { return o.DebugLog == "/var/log/citrix.log" && o.DebugLogAppend }},
		{"REPORTLOG +report.rl", func(o *Options) bool { return o.ReportLog == "report.rl" && o.ReportLogAppend }},
		{"REPORTLOG report.rl", func(o *Options) bool { return o.ReportLog == "report.rl" && !o.ReportLogAppend }},
		{"TIMEOUTALL 900", func(o *Options) bool { return o.TimeoutAll == 15*time.Minute }},
		{"TIMEOUT f1 60", func(o *Options) bool { d, ok := o.Timeout("f1"); return ok && d == time.Minute }},
		{"TIMEOUT f1 60", func(o *Options) bool { _, ok := o.Timeout("f2"); return !ok }},
		{"GROUPCASEINSENSITIVE ON", func(o *Options) bool { return o.GroupCaseInsensitive }},
		{"GROUPCASEINSENSITIVE OFF", func(o *Options) bool { return !o.GroupCaseInsensitive }},
		{"GROUP g a b", func(o *Options) bool { return reflect.DeepEqual(o.Groups["g"], []string{"a", "b"}) }},
		{"USER_GROUP g a", func(o *Options) bool { return reflect.DeepEqual(o.Groups["g"], []string{"a"}) }},
		{"HOST_GROUP h x y", func(o *Options) bool { return reflect.DeepEqual(o.HostGroups["h"], []string{"x", "y"}) }},
		{"INCLUDE f1 USER bob", func(o *Options) bool {
			r := o.Rules[0]
			return r.Kind == OptInclude && r.Feature == "f1" && r.Type == OptUser && r.Name == "bob"
		}},
		{"EXCLUDE f1 HOST h1", func(o *Options) bool { r := o.Rules[0]; return r.Kind == OptExclude && r.Type == OptHost }},
		{"EXCLUDE f1 DISPLAY :0", func(o *Options) bool { return o.Rules[0].Type == OptDisplay && o.Rules[0].Name == ":0" }},
		{"INCLUDEALL USER bob", func(o *Options) bool {
			r := o.Rules[0]
			return r.Kind == OptInclude && r.AllFeatures && r.Feature == ""
		}},
		{"EXCLUDEALL HOST h1", func(o *Options) bool { r := o.Rules[0]; return r.Kind == OptExclude && r.AllFeatures }},
		{"MAX 0 f1 USER bob", func(o *Options) bool { r := o.Rules[0]; return r.Kind == OptMax && r.Count == 0 }},
		{"RESERVE 2 f1:VERSION=2.0 USER bob", func(o *Options) bool {
			r := o.Rules[0]
			return r.Kind == OptReserve && r.Count == 2 && r.Qualifier == OptQualifier{"VERSION", "2.0"}
		}},
		{"EXCLUDE   f1   USER\tbob", func(o *Options) bool { return o.Rules[0].Text == "EXCLUDE f1 USER bob" && o.Rules[0].Line == 1 }},
		{"UDUseDomain 1", func(o *Options) bool { return o.UDUseDomain }},
		{"UDUSEDOMAIN 0", func(o *Options) bool { return !o.UDUseDomain }},
		{"UDUserNameCase 2", func(o *Options) bool { return o.UserCase == CaseUpper }},
		{"UDUserNameCase tolower", func(o *Options) bool { return o.UserCase == CaseLower }},
		{"UDDeviceNameCase 1", func(o *Options) bool { return o.DeviceCase == CaseLower && o.UserCase == CaseUnchanged }},
		{"CEILOPTIN DIAGNOSTIC", func(o *Options) bool { return reflect.DeepEqual(o.CallHome, &on) && reflect.DeepEqual(o.CEIP, &off) }},
		{"CEILOPTIN ANON", func(o *Options) bool { return reflect.DeepEqual(o.CallHome, &off) && reflect.DeepEqual(o.CEIP, &on) }},
		{"CEILOPTIN NONE", func(o *Options) bool { return reflect.DeepEqual(o.CallHome, &off) && reflect.DeepEqual(o.CEIP, &off) }},
		{"CALLHOME ON", func(o *Options) bool { return reflect.DeepEqual(o.CallHome, &on) && o.CEIP == nil }},
		{"CEIP OFF", func(o *Options) bool { return reflect.DeepEqual(o.CEIP, &off) && o.CallHome == nil }},
		{"# CEIP ON", func(o *Options) bool { return o.CEIP == nil }},
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			o := parseOpts(t, tt.line+"\n")
			mustClean(t, o)
			if !tt.check(o) {
				t.Errorf("%q parsed to %+v", tt.line, o)
			}
		})
	}
}

// TestOptionsErrorsSkipOnlyTheirLine: a typo must not take the other rules away on a reread.
func TestOptionsErrorsSkipOnlyTheirLine(t *testing.T) {
	o, err := LoadOptionsFile(filepath.Join("testdata", "options", "broken.opt"))
	if err != nil {
		t.Fatal(err)
	}
	wantErrors := []struct {
		line int
		msg  string
	}{
		{2, `MAX count "five"`},
		{3, "GROUP nosuchgroup is not defined"},
		{4, "INCLUDE has 1 of its 3 fields"},
		{5, `unknown type "PERSON"`},
		{6, "EXCLUDE has 4 fields, 3 expected"},
		{7, "double quote is not closed"},
		{8, `TIMEOUT "soon"`},
		{9, `NOLOG "SOMETIMES"`},
		{10, "UDUseDomain takes 0 or 1"},
		{13, "GROUP needs a name and at least one member"},
		{14, `qualifier "VERSION" is not keyword=value`},
	}
	if len(o.Errors) != len(wantErrors) {
		t.Errorf("%d errors, want %d:\n%v", len(o.Errors), len(wantErrors), o.Errors)
	}
	for i, w := range wantErrors {
		if i >= len(o.Errors) {
			break
		}
		e := o.Errors[i]
		if e.Line != w.line || !strings.Contains(e.Msg, w.msg) || e.Hint == "" || !strings.HasSuffix(e.File, "broken.opt") {
			t.Errorf("error %d = %v, want line %d with %q and a hint", i, e, w.line, w.msg)
		}
	}
	if len(o.Warnings) != 2 || o.Warnings[0].Line != 11 || o.Warnings[1].Line != 12 ||
		!strings.Contains(o.Warnings[0].Msg, `unknown keyword "FROBNICATE"`) || !strings.Contains(o.Warnings[1].Msg, "LINGER") {
		t.Errorf("warnings = %v, want the unknown FROBNICATE (11) and unsupported LINGER (12)", o.Warnings)
	}
	if len(o.Rules) != 1 || o.Rules[0].Name != "mallory" {
		t.Fatalf("rules = %+v, want only the well-formed last line", o.Rules)
	}
}

func TestOptionsIssueError(t *testing.T) {
	i := OptionsIssue{File: "CITRIX.opt", Line: 7, Msg: "GROUP eng is not defined", Hint: "define it"}
	if got := i.Error(); got != "CITRIX.opt:7: GROUP eng is not defined; define it" {
		t.Errorf("Error() = %q", got)
	}
	i.Hint = ""
	if got := i.Error(); got != "CITRIX.opt:7: GROUP eng is not defined" {
		t.Errorf("Error() without hint = %q", got)
	}
}

func TestOptionsContinuationAndQuotes(t *testing.T) {
	o, err := LoadOptionsFile(filepath.Join("testdata", "options", "continuation.opt"))
	if err != nil {
		t.Fatal(err)
	}
	mustClean(t, o)
	if got := o.Groups["g1"]; !reflect.DeepEqual(got, []string{"a", "b", "c", "d", "e"}) {
		t.Errorf("g1 = %q, want the members of all three physical lines", got)
	}
	if got := o.HostGroups["hg"]; !reflect.DeepEqual(got, []string{"h1", "h2"}) {
		t.Errorf("hg = %q: a backslash right after a name still separates it from the next line", got)
	}
	if len(o.Rules) != 1 {
		t.Fatalf("rules = %+v: the EXCLUDE continued from a comment must be commented out too", o.Rules)
	}
	r := o.Rules[0]
	if r.Name != "Jane Doe" || r.Qualifier != (OptQualifier{"VERSION", "2024.1201"}) || r.Line != 6 {
		t.Errorf("INCLUDE = %+v, want the quoted name and qualifier without quotes, line 6", r)
	}
}

func TestOptionsWindowsFile(t *testing.T) {
	o := parseOpts(t, "\uFEFFEXCLUDE f1 USER bob\r\nGROUP g a \\\r\n b\r\nNOLOG OUT\r\n")
	mustClean(t, o)
	if len(o.Rules) != 1 || o.Rules[0].Name != "bob" || !reflect.DeepEqual(o.Groups["g"], []string{"a", "b"}) || !o.NoLogOut {
		t.Errorf("a file saved by Notepad (BOM, CRLF) parsed to %+v", o)
	}
}

func TestOptionsGroups(t *testing.T) {
	t.Run("defined after use", func(t *testing.T) {
		o := parseOpts(t, "EXCLUDE f1 GROUP late\nGROUP late bob\n")
		mustClean(t, o)
		if len(o.Rules) != 1 {
			t.Errorf("rules = %+v", o.Rules)
		}
	})
	t.Run("group names are case-sensitive by default", func(t *testing.T) {
		o := parseOpts(t, "GROUP Eng bob\nEXCLUDE f1 GROUP eng\n")
		if len(o.Rules) != 0 || len(o.Errors) != 1 || o.Errors[0].Line != 2 {
			t.Errorf("rules %+v errors %v", o.Rules, o.Errors)
		}
	})
	t.Run("GROUPCASEINSENSITIVE merges and finds groups", func(t *testing.T) {
		o := parseOpts(t, "GROUP Eng bob\nGROUP ENG amy\nEXCLUDE f1 GROUP eng\nGROUPCASEINSENSITIVE ON\n")
		mustClean(t, o)
		if len(o.Rules) != 1 || o.Rules[0].Name != "Eng" || !reflect.DeepEqual(o.Groups["Eng"], []string{"bob", "amy"}) {
			t.Errorf("rules %+v groups %v", o.Rules, o.Groups)
		}
	})
	t.Run("HOST_GROUP used as GROUP", func(t *testing.T) {
		o := parseOpts(t, "HOST_GROUP labs h1\nEXCLUDE f1 GROUP labs\n")
		if len(o.Rules) != 0 || len(o.Errors) != 1 || !strings.Contains(o.Errors[0].Hint, "HOST_GROUP labs") {
			t.Errorf("errors %v, want a hint to write HOST_GROUP labs", o.Errors)
		}
	})
	t.Run("ALL_GROUPS", func(t *testing.T) {
		o := parseOpts(t, "MAX 2 f1 GROUP ALL_GROUPS\n")
		if len(o.Errors) != 1 || !strings.Contains(o.Errors[0].Hint, "ALL_GROUPS") {
			t.Errorf("errors %v", o.Errors)
		}
	})
}

func TestOptionsCounts(t *testing.T) {
	for _, line := range []string{"MAX -1 f1 USER bob", "RESERVE 0 f1 USER bob", "MAX 1e3 f1 USER bob", "RESERVE 99999999999 f1 USER bob", "TIMEOUT f1 0", "TIMEOUTALL -5"} {
		o := parseOpts(t, line+"\n")
		if len(o.Errors) != 1 || len(o.Rules) != 0 || o.TimeoutAll != 0 || len(o.Timeouts) != 0 {
			t.Errorf("%q: errors %v rules %+v", line, o.Errors, o.Rules)
		}
	}
}

func TestOptionsWarnings(t *testing.T) {
	tests := []struct{ text, want string }{
		{"EXCLUDE f1 INTERNET 10.1.*.*\n", "does not enforce"},
		{"TIMEOUT f1:VERSION=2 60\n", "qualifier VERSION=2 is ignored"},
		{"NOLOG UNSUPPORTED\n", "no effect"},
		{"EXCLUDE f1 USER ALL_USERS\n", "only on a MAX line"},
	}
	for _, tt := range tests {
		o := parseOpts(t, tt.text)
		if len(o.Errors) != 0 || len(o.Warnings) != 1 || !strings.Contains(o.Warnings[0].Msg, tt.want) {
			t.Errorf("%q: warnings %v errors %v, want one warning with %q", tt.text, o.Warnings, o.Errors, tt.want)
		}
	}
	// An INTERNET-only INCLUDE must not shut everybody out.
	o := parseOpts(t, "INCLUDE f1 INTERNET 10.1.2.3\n")
	if g := o.Gate("f1"); !g.Open() {
		t.Errorf("gate %v, want open: INTERNET rules are not enforced", g)
	}
}

func TestLoadOptionsFile(t *testing.T) {
	dir := t.TempDir()
	o, err := LoadOptionsFile(filepath.Join(dir, "CITRIX.opt"))
	if err != nil || o == nil || len(o.Rules) != 0 || !o.Gate("f1").Open() {
		t.Errorf("missing file: %+v, %v; want empty options", o, err)
	}
	if _, err := LoadOptionsFile(dir); err == nil || !strings.Contains(err.Error(), dir) {
		t.Errorf("a directory: err %v, want an error naming it", err)
	}
	p := filepath.Join(dir, "x.opt")
	if err := os.WriteFile(p, []byte("NOLOG DENIED\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if o, err := LoadOptionsFile(p); err != nil || !o.NoLogDenied || o.Path != p {
		t.Errorf("LoadOptionsFile = %+v, %v", o, err)
	}
}

func TestParseOptionsReadError(t *testing.T) {
	boom := errors.New("disk gone")
	_, err := ParseOptions("CITRIX.opt", iotest.ErrReader(boom))
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), "CITRIX.opt") {
		t.Errorf("err = %v, want the read error wrapped with the file name", err)
	}
}
