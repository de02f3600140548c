package license

import (
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func mustParse(t *testing.T, text string) *File {
	t.Helper()
	f, err := Parse("test.lic", strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func mustParseFile(t *testing.T, path string) *File {
	t.Helper()
	f, err := ParseFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// TestManualExamples parses every license example printed in the manual (see
// testdata/manual/README.md for how they were repaired from the text extraction).
func TestManualExamples(t *testing.T) {
	type want struct {
		feature    string
		css        CSSDate
		expiry     time.Time
		permanent  bool
		count      int
		overdraft  int
		dupGroup   string
		issued     time.Time
		start      time.Time
		notice     string
		sn         string
		lt         string
		signPrefix string
		lineNo     int
		endLine    int
	}
	tests := []struct {
		file    string
		servers []ServerLine
		vendors []VendorLine
		use     bool
		lines   []want
		check   func(t *testing.T, f *File)
	}{
		{
			file: "license_file_section.lic",
			lines: []want{{feature: "XDT_PLT_CCS", css: 20221201, expiry: day(2022, 12, 1), count: 5, overdraft: 1,
				dupGroup: "V", issued: day(2005, 12, 18), notice: "Citrix Systems Inc.", sn: "RetailSSaaS", lt: "RetailS",
				signPrefix: "5A1C 09F2", lineNo: 1, endLine: 5}},
			check: func(t *testing.T, f *File) {
				vs := f.Lines[0].VendorString
				if gp, _ := vs.GP(); gp != 720 {
					t.Errorf("GP = %d", gp)
				}
				if psl, _ := vs.PSL(); psl != 10 {
					t.Errorf("PSL = %d", psl)
				}
				if min, _ := vs.NUDurMin(); min != 2880 {
					t.Errorf("NURMIN = %d", min)
				}
				if max, _ := vs.NUDurMax(); max != 525600 {
					t.Errorf("NURMAX = %d", max)
				}
				if vs.AP() != "ADMIN/INT/14" || vs.SA() {
					t.Errorf("AP = %q, SA = %v", vs.AP(), vs.SA())
				}
				if odp, ok := vs.ODP(); !ok || odp != 0 {
					t.Errorf("ODP = %d, %v", odp, ok)
				}
				if !reflect.DeepEqual(vs.CL(), []string{"VDS", "VDA", "VDE", "VDP", "SaaS"}) {
					t.Errorf("CL = %q", vs.CL())
				}
			},
		},
		{
			file:    "example_license_file.lic",
			servers: []ServerLine{{LineNo: 3, Host: "this_host", HostID: "HOSTNAME=license_server1", HostName: "license_server1"}},
			vendors: []VendorLine{{LineNo: 4, Name: "CITRIX"}},
			use:     true,
			lines: []want{{feature: "MPS_ENT_CCU", css: 20060428, expiry: day(2006, 5, 1), count: 1000, dupGroup: "V",
				issued: day(2004, 3, 12), start: day(2004, 3, 11), notice: "eMail Test - Citrix", sn: "LA-0000150712-86261:872",
				lt: "Retail", signPrefix: "0885 F320 0AE2", lineNo: 6, endLine: 12}},
			check: func(t *testing.T, f *File) {
				want := []FriendlyName{
					{"MPS_STD_CCU", "EN", "Citrix Presentation Server Standard", "Concurrent User"},
					{"MPS_ADV_CCU", "EN", "Citrix Presentation Server Advanced", "Concurrent User"},
					{"MPS_ENT_CCU", "EN", "Citrix Presentation Server Enterprise", "Concurrent User"},
				}
				if !reflect.DeepEqual(f.Friendly, want) {
					t.Errorf("friendly names = %+v", f.Friendly)
				}
				if n := len(strings.Fields(f.Lines[0].Sign)); n != 28 {
					t.Errorf("signature has %d groups, want 28: %q", n, f.Lines[0].Sign)
				}
			},
		},
		{
			file:    "server_hostname.lic",
			servers: []ServerLine{{LineNo: 1, Host: "this_host", HostID: "HOSTNAME=license_server1", HostName: "license_server1"}},
			vendors: []VendorLine{{LineNo: 2, Name: "CITRIX"}},
		},
		{
			file:    "server_ether.lic",
			servers: []ServerLine{{LineNo: 1, Host: "this_host", HostID: "0a1b2c3d4e5f", Ether: "0a1b2c3d4e5f"}},
			vendors: []VendorLine{{LineNo: 2, Name: "CITRIX", Path: `C:\Program Files (x86)\Citrix\Licensing\LS\CITRIX.exe`}},
			use:     true,
		},
		{
			file:  "increment_syntax.lic",
			lines: []want{{feature: "MPS_ENT_CCU", css: 20190311, permanent: true, count: 1000, signPrefix: "3C0D", lineNo: 1, endLine: 2}},
		},
		{
			file: "citrix_attributes.lic",
			lines: []want{{feature: "MPS_ENT_CCU", css: 20080606, permanent: true, count: 10, dupGroup: "V",
				issued: day(2007, 6, 6), start: day(2007, 6, 6), notice: "Citrix", sn: "12345:67890", lt: "Retail",
				signPrefix: "18F8 1546 F605", lineNo: 1, endLine: 4}},
		},
		{
			file: "base_license.lic",
			lines: []want{{feature: "CBR_100_SSERVER", css: 20161201, permanent: true, count: 10, dupGroup: "V",
				issued: day(2005, 12, 18), notice: "Citrix", sn: "100se200seB", lt: "Retail",
				signPrefix: "1B19 C213 7517 CC62 756F 864C 9C93 06FC E1DE B5D5 D793", lineNo: 1, endLine: 5}},
		},
		{
			file: "css_renewal.lic",
			lines: []want{{feature: "CBR_100_SSERVER", css: 20171201, permanent: true, count: 10, dupGroup: "V",
				issued: day(2007, 12, 18), notice: "Citrix", sn: "100se200seU", lt: "Retail",
				signPrefix: "1D5D 869A 40BE D4DB", lineNo: 1, endLine: 8}},
			check: func(t *testing.T, f *File) {
				want := []SupersedeRef{{Feature: "CBR_100_SSERVER", Sign: "1B19 C213 7517 CC62 756F 864C 9C93 06FC E1DE B5D5 D793"}}
				if !reflect.DeepEqual(f.Lines[0].SupersedeSign, want) {
					t.Errorf("SUPERSEDE_SIGN = %+v", f.Lines[0].SupersedeSign)
				}
			},
		},
		{
			file: "supersede_attribute.lic",
			lines: []want{{feature: "MPS_PLT_CCU", css: 20080606, permanent: true, count: 25, dupGroup: "V",
				issued: day(2007, 6, 6), notice: "Citrix", sn: "12345:67891", lt: "Retail", signPrefix: "77A0", lineNo: 1, endLine: 4}},
			check: func(t *testing.T, f *File) {
				if !reflect.DeepEqual(f.Lines[0].Supersede, []string{"MPS_ADV_CCU", "MPS_STD_CCU"}) {
					t.Errorf("SUPERSEDE = %q", f.Lines[0].Supersede)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			f := mustParseFile(t, filepath.Join("testdata", "manual", tt.file))
			if len(f.Errors) > 0 {
				t.Fatalf("errors: %v", f.Errors)
			}
			if !reflect.DeepEqual(f.Servers, tt.servers) {
				t.Errorf("servers = %+v, want %+v", f.Servers, tt.servers)
			}
			if !reflect.DeepEqual(f.Vendors, tt.vendors) {
				t.Errorf("vendors = %+v, want %+v", f.Vendors, tt.vendors)
			}
			if f.UseServer != tt.use {
				t.Errorf("USE_SERVER = %v", f.UseServer)
			}
			if len(f.Lines) != len(tt.lines) {
				t.Fatalf("%d lines, want %d", len(f.Lines), len(tt.lines))
			}
			for i, w := range tt.lines {
				l := f.Lines[i]
				got := want{l.Feature, l.CSS, l.Expiry, l.Permanent, l.Count, l.Overdraft, l.DupGroup, l.Issued, l.Start,
					l.Notice, l.SN, l.VendorString.LT(), w.signPrefix, l.LineNo, l.EndLine}
				if !reflect.DeepEqual(got, w) {
					t.Errorf("line %d:\n got %+v\nwant %+v", i, got, w)
				}
				if !strings.HasPrefix(l.Sign, w.signPrefix) || l.Keyword != "INCREMENT" || l.Vendor != "CITRIX" || l.File != f.Path {
					t.Errorf("line %d: sign %q keyword %q vendor %q file %q", i, l.Sign, l.Keyword, l.Vendor, l.File)
				}
			}
			if tt.check != nil {
				tt.check(t, f)
			}
		})
	}
}

// TestSyntax covers the lexical rules of scan.go.
func TestSyntax(t *testing.T) {
	const base = "INCREMENT XDT_PLT_UD CITRIX 2022.1201 permanent 10"
	tests := []struct {
		name   string
		text   string
		notice string
		sign   string
		lineNo int
		attrs  int
	}{
		{"continuation inside quotes", base + ` NOTICE="Citrix \` + "\n" + `   Systems Inc." SIGN=AB12`, "Citrix Systems Inc.", "AB12", 1, 2},
		{"CRLF", base + " \\\r\n NOTICE=x \\\r\n SIGN=ab12\r\n", "x", "AB12", 1, 2},
		{"byte order mark", "\xef\xbb\xbf" + base + " NOTICE=x", "x", "", 1, 1},
		{"tabs", "\t" + strings.ReplaceAll(base, " ", "\t") + "\t\\\n\tNOTICE=x", "x", "", 1, 1},
		{"comments and blank lines", "# header\n\n   \n#another\n" + base + " NOTICE=x\n\n# end\n", "x", "", 5, 1},
		{"trailing comments", base + " \\  # a comment\n NOTICE=x # more\n", "x", "", 1, 1},
		{"hash inside quotes is text", base + ` NOTICE="a # b"`, "a # b", "", 1, 1},
		{"whitespace in quotes collapses", base + " NOTICE=\"  a \t  b  \"", "a b", "", 1, 1},
		{"quotes inside a field", base + ` NOTICE=Citrix" Systems"`, "Citrix Systems", "", 1, 1},
		{"signature is normalised", base + ` SIGN="0885f320 0ae2` + "\t" + `EE72"`, "", "0885 F320 0AE2 EE72", 1, 1},
		{"unknown attributes are kept", base + " ck=123 USER_BASED HOSTID=ANY foo=\"bar baz\"", "", "", 1, 4},
		{"backslash at end of file", base + " NOTICE=x \\", "x", "", 1, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := mustParse(t, tt.text)
			if len(f.Errors) > 0 || len(f.Lines) != 1 {
				t.Fatalf("%d lines, errors %v", len(f.Lines), f.Errors)
			}
			l := f.Lines[0]
			if l.Notice != tt.notice || l.Sign != tt.sign || l.LineNo != tt.lineNo || len(l.Attrs) != tt.attrs {
				t.Errorf("notice %q sign %q line %d attrs %q", l.Notice, l.Sign, l.LineNo, l.Attrs)
			}
			if l.Feature != "XDT_PLT_UD" || l.CSS != 20221201 || !l.Permanent || l.Count != 10 {
				t.Errorf("fields: %+v", l)
			}
		})
	}
}

// TestOtherVendorsSyntax: lines other vendors write parse without errors.
func TestOtherVendorsSyntax(t *testing.T) {
	text := `SERVER host1 ANY 27000
SERVER host2 0123456789ab 27001
SERVER host3 00:1A:2B:3C:4D:5E PORT=27002
SERVER host4 ID=1234
VENDOR orbit port=1234
DAEMON prime /opt/prime options=/opt/prime.opt
FEATURE neptune orbit 4.0 permanent uncounted HOSTID=ANY SIGN=AB12
INCREMENT sun orbit 1.0 permanent 0 USER_BASED ck=12 SIGN=AB12
FEATURE lib prime 1.79 31-dec-2012 50 OVERDRAFT=123 NOTICE="A small notice" SIGN=CD34
`
	f := mustParse(t, text)
	if len(f.Errors) > 0 {
		t.Fatalf("errors: %v", f.Errors)
	}
	wantServers := []ServerLine{
		{LineNo: 1, Host: "host1", HostID: "ANY", Port: 27000},
		{LineNo: 2, Host: "host2", HostID: "0123456789ab", Ether: "0123456789ab", Port: 27001},
		{LineNo: 3, Host: "host3", HostID: "00:1A:2B:3C:4D:5E", Ether: "001a2b3c4d5e", Port: 27002},
		{LineNo: 4, Host: "host4", HostID: "ID=1234"},
	}
	if !reflect.DeepEqual(f.Servers, wantServers) {
		t.Errorf("servers:\n got %+v\nwant %+v", f.Servers, wantServers)
	}
	wantVendors := []VendorLine{{LineNo: 5, Name: "orbit", Port: 1234}, {LineNo: 6, Name: "prime", Path: "/opt/prime", Options: "/opt/prime.opt"}}
	if !reflect.DeepEqual(f.Vendors, wantVendors) {
		t.Errorf("vendors:\n got %+v\nwant %+v", f.Vendors, wantVendors)
	}
	if len(f.Lines) != 3 {
		t.Fatalf("%d lines", len(f.Lines))
	}
	if l := f.Lines[0]; l.Keyword != "FEATURE" || !l.Uncounted || l.HostID != "ANY" || l.CSS != 0 || l.Version != "4.0" {
		t.Errorf("FEATURE neptune: %+v", l)
	}
	if l := f.Lines[1]; !l.Uncounted || l.Count != 0 {
		t.Errorf("count 0 is uncounted: %+v", l)
	}
	if l := f.Lines[2]; l.Overdraft != 123 || l.Expiry != day(2012, 12, 31) {
		t.Errorf("FEATURE lib: %+v", l)
	}
}

// TestSyntaxErrors: each problem is reported on the physical line where it is, with a hint,
// and the other lines of the file still parse.
func TestSyntaxErrors(t *testing.T) {
	const good = "INCREMENT XDT_PLT_UD CITRIX 2022.1201 permanent 10 SIGN=AB12\n"
	tests := []struct {
		name   string
		text   string
		line   int
		substr string
	}{
		{"unknown keyword", "FROBNICATE x\n", 1, `unknown line "FROBNICATE x"`},
		{"too few fields", "INCREMENT XDT_PLT_UD CITRIX 2022.1201 permanent\n", 1, "4 of its 5 required fields"},
		{"attribute instead of field", "INCREMENT XDT_PLT_UD CITRIX 2022.1201 SIGN=AB12 10\n", 1, "expiry date field"},
		{"bad expiry", "INCREMENT XDT_PLT_UD CITRIX 2022.1201 \\\n 31-feb-2022 10\n", 2, "not a calendar date"},
		{"bad month", "INCREMENT XDT_PLT_UD CITRIX 2022.1201 01-foo-2022 10\n", 1, "month"},
		{"bad count", "INCREMENT XDT_PLT_UD CITRIX 2022.1201 permanent -3\n", 1, "license count"},
		{"bad version", "INCREMENT XDT_PLT_UD CITRIX v2022 permanent 3\n", 1, "version"},
		{"bad feature", "INCREMENT XDT/PLT CITRIX 2022.1201 permanent 3\n", 1, "feature name"},
		{"bad overdraft", "INCREMENT XDT_PLT_UD CITRIX 2022.1201 permanent 3 \\\n\\\n OVERDRAFT=lots\n", 3, "OVERDRAFT"},
		{"bad issued", "INCREMENT XDT_PLT_UD CITRIX 2022.1201 permanent 3 ISSUED=permanent\n", 1, "ISSUED"},
		{"bad start", "INCREMENT XDT_PLT_UD CITRIX 2022.1201 permanent 3 START=2004-03-11\n", 1, "START"},
		{"repeated attribute", "INCREMENT XDT_PLT_UD CITRIX 2022.1201 permanent 3 SIGN=AB SIGN=CD\n", 1, "SIGN appears twice"},
		{"unclosed quote", "INCREMENT XDT_PLT_UD CITRIX 2022.1201 permanent 3 \\\n NOTICE=\"abc\n", 2, "quoted value is not closed"},
		{"unclosed quote over lines", "INCREMENT XDT_PLT_UD CITRIX 2022.1201 permanent 3 \\\n SIGN=\"AB \\\n CD\n", 2, "opened on line 2, still open at the end of line 3"},
		{"unclosed brace", "INCREMENT XDT_PLT_UD CITRIX 2022.1201 permanent 3 SUPERSEDE_SIGN={\"A:B\"\n", 1, "not closed by }"},
		{"bad supersede_sign", "INCREMENT XDT_PLT_UD CITRIX 2022.1201 permanent 3 SUPERSEDE_SIGN={\"AB\"}\n", 1, "not FEATURE:SIGN"},
		{"server without id", "SERVER this_host\n", 1, "no binding identifier"},
		{"bad port", "SERVER this_host ANY 99999\n", 1, "not a TCP port"},
		{"vendor without name", "VENDOR\n", 1, "no vendor daemon name"},
		{"package", "PACKAGE p CITRIX 1.0 COMPONENTS=x\n", 1, "not supported"},
		{"continuation ended by a blank line", "INCREMENT XDT_PLT_UD CITRIX 2022.1201 permanent 3 \\\n\n  SIGN=AB12\n", 3, `unknown line "SIGN=AB12"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := mustParse(t, tt.text+good)
			if len(f.Errors) != 1 {
				t.Fatalf("want 1 error, got %v", f.Errors)
			}
			e := f.Errors[0]
			if e.Line != tt.line || !strings.Contains(e.Msg, tt.substr) || e.Hint == "" || e.File != "test.lic" {
				t.Errorf("error %q at line %d (hint %q); want line %d containing %q", e.Msg, e.Line, e.Hint, tt.line, tt.substr)
			}
			if !strings.HasPrefix(e.Error(), "test.lic:") {
				t.Errorf("Error() = %q", e.Error())
			}
			if len(f.Lines) == 0 || f.Lines[len(f.Lines)-1].Sign != "AB12" {
				t.Errorf("the good line after the error did not parse: %+v", f.Lines)
			}
		})
	}
}

// TestRealWorldFiles reads other vendors' files; the malformed one yields line-numbered errors
// and its good lines.
func TestRealWorldFiles(t *testing.T) {
	tests := []struct {
		file       string
		lines      int
		errorLines []int
	}{
		{"node-flexlm__example_trailing_comments.lic", 6, nil},
		{"node-flexlm__multivendor_test.lic", 9, nil},
		{"suwanny__vmware_good.lic", 6, nil},
		{"suwanny__vmware_bad_malformed.lic", 5, []int{24, 26, 34, 36, 42}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			f := mustParseFile(t, filepath.Join("testdata", "flexlm", tt.file))
			var lines []int
			for _, e := range f.Errors {
				lines = append(lines, e.Line)
			}
			if len(f.Lines) != tt.lines || !reflect.DeepEqual(lines, tt.errorLines) {
				t.Errorf("%d lines, errors on lines %v (%v); want %d lines, errors on %v", len(f.Lines), lines, f.Errors, tt.lines, tt.errorLines)
			}
		})
	}
}

func TestErrorString(t *testing.T) {
	tests := []struct {
		e    Error
		want string
	}{
		{Error{File: "a.lic", Line: 3, Msg: "bad", Hint: "fix it"}, "a.lic:3: bad; fix it"},
		{Error{File: "a.lic", Msg: "bad"}, "a.lic: bad"},
	}
	for _, tt := range tests {
		if got := tt.e.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
}
