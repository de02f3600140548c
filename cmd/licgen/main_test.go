package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/licd/licd/license"
)

// licgen runs the command in-process and returns its exit status and output.
func licgen(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(args, strings.NewReader(""), &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func keys(t *testing.T) (dir, key, pub string) {
	t.Helper()
	dir = t.TempDir()
	if code, _, errOut := licgen(t, "keygen", "-out", dir); code != 0 {
		t.Fatalf("keygen: %d %s", code, errOut)
	}
	return dir, filepath.Join(dir, "vendor.key"), filepath.Join(dir, "vendor.pub")
}

func write(t *testing.T, dir, name, text string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestUsage(t *testing.T) {
	code, out, errOut := licgen(t)
	if code != exitUsage || !strings.Contains(errOut, "Usage:") || out != "" {
		t.Errorf("licgen alone: %d %q", code, errOut)
	}
	for _, arg := range []string{"-help", "--help", "-h"} {
		if code, out, _ := licgen(t, arg); code != 0 || !strings.Contains(out, "licgen issue") {
			t.Errorf("%s: %d", arg, code)
		}
	}
	if code, _, errOut := licgen(t, "frobnicate"); code != exitUsage || !strings.Contains(errOut, `unknown command "frobnicate"`) {
		t.Errorf("unknown command: %d %q", code, errOut)
	}
	if code, out, _ := licgen(t, "issue", "-help"); code != 0 || !strings.Contains(out, "Usage:") {
		t.Errorf("issue -help: %d", code)
	}
}

func TestKeygen(t *testing.T) {
	dir, key, pub := keys(t)
	if _, err := license.ReadPrivateKey(key); err != nil {
		t.Error(err)
	}
	if _, err := license.ReadPublicKey(pub); err != nil {
		t.Error(err)
	}
	code, _, errOut := licgen(t, "keygen", "-out", dir)
	if code != exitProblem || !strings.Contains(errOut, "already exists") {
		t.Errorf("second keygen into the same directory: %d %q", code, errOut)
	}
	if code, _, errOut := licgen(t, "keygen"); code != exitUsage || !strings.Contains(errOut, "-out is required") {
		t.Errorf("keygen without -out: %d %q", code, errOut)
	}
}

// TestIssueVerifyLoad: a file issued by licgen verifies and loads into a pool with the
// default overdraft ("License overdraft": 10%).
func TestIssueVerifyLoad(t *testing.T) {
	clock = func() time.Time { return time.Date(2023, 3, 15, 10, 0, 0, 0, time.UTC) }
	defer func() { clock = time.Now }()
	dir, key, pub := keys(t)
	code, text, errOut := licgen(t, "issue", "-key", key, "-host", "licsrv", "-feature", "XDT_PLT_UD", "-count", "100",
		"-css", "2022.1201", "-notice", "Example Corp", "-sn", "LA-1")
	if code != 0 {
		t.Fatalf("issue: %d %s", code, errOut)
	}
	lic := write(t, dir, "issued.lic", text)
	f, err := license.ParseFile(lic)
	if err != nil || len(f.Lines) != 1 {
		t.Fatalf("parse: %v %v", err, f)
	}
	l := f.Lines[0]
	if l.Overdraft != 10 || l.CSS != 20221201 || !l.Permanent || l.Issued != time.Date(2023, 3, 15, 0, 0, 0, 0, time.UTC) ||
		l.DupGroup != "V" || l.VendorString.Raw != defaultVendorString || l.Notice != "Example Corp" {
		t.Errorf("issued line: %+v", l)
	}
	code, out, _ := licgen(t, "verify", "-pub", pub, lic)
	if code != 0 || !strings.Contains(out, "OK  "+lic+":") {
		t.Errorf("verify: %d %s", code, out)
	}
	pk, _ := license.ReadPublicKeys(pub)
	inv, err := license.LoadFiles([]string{lic}, license.LoadOptions{Host: license.HostIdentity{Hostname: "licsrv"}, Keys: pk, Now: clock()})
	if err != nil || len(inv.Pools) != 1 || inv.Pools[0].Installed() != 110 {
		t.Fatalf("load: %v %+v %v", err, inv.Pools, inv.Rejected)
	}

	// concurrent: no overdraft; -css defaults to the issue date; -o writes the file
	out2 := filepath.Join(dir, "ccu.lic")
	if code, _, errOut := licgen(t, "issue", "-key", key, "-ether", "00:1a:2b:3c:4d:5e", "-feature", "XDT_PLT_CCU", "-count", "5",
		"-expires", "31-dec-2025", "-start", "1-apr-2023", "-o", out2); code != 0 {
		t.Fatalf("issue -o: %s", errOut)
	}
	f, _ = license.ParseFile(out2)
	if l := f.Lines[0]; l.Overdraft != 0 || l.CSS != 20230315 || l.Expiry != time.Date(2025, 12, 31, 0, 0, 0, 0, time.UTC) ||
		l.Start != time.Date(2023, 4, 1, 0, 0, 0, 0, time.UTC) || f.Servers[0].Ether != "001a2b3c4d5e" {
		t.Errorf("concurrent line: %+v %+v", l, f.Servers)
	}
}

func TestIssueErrors(t *testing.T) {
	_, key, _ := keys(t)
	base := []string{"issue", "-key", key, "-host", "licsrv", "-feature", "XDT_PLT_UD", "-count", "10"}
	tests := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"issue", "-host", "h", "-feature", "XDT_PLT_UD", "-count", "1"}, exitUsage, "-key is required"},
		{[]string{"issue", "-key", key, "-feature", "XDT_PLT_UD", "-count", "1"}, exitUsage, "-host NAME or -ether MAC"},
		{[]string{"issue", "-key", key, "-host", "h", "-count", "1"}, exitUsage, "-feature is required"},
		{[]string{"issue", "-key", key, "-host", "h", "-feature", "XDT_PLT_UD"}, exitUsage, "-count must be a positive"},
		{append(base, "-expires", "31-02-2025"), exitUsage, "-expires"},
		{append(base, "-css", "2022-12-01"), exitUsage, "YYYY.MMDD"},
		{append(base, "-start", "permanent"), exitUsage, "-start"},
		{append(base, "-count", "lots"), exitUsage, "invalid value"},
		{append(base, "extra"), exitUsage, "unexpected argument"},
		{append(base, "-feature", "XDT_PLT_ZZ"), exitProblem, "unknown license model code"},
		{append(base, "-feature", "XDT_PLT_CCU", "-overdraft", "3"), exitProblem, "License overdraft"},
		{[]string{"issue", "-key", key + ".missing", "-host", "h", "-feature", "XDT_PLT_UD", "-count", "1"}, exitProblem, "vendor.key.missing"},
	}
	for _, tt := range tests {
		code, out, errOut := licgen(t, tt.args...)
		if code != tt.code || !strings.Contains(errOut, tt.want) || out != "" {
			t.Errorf("%v: %d %q; want %d containing %q", tt.args[1:], code, errOut, tt.code, tt.want)
		}
	}
}

const template = `# Hand-written license file
SERVER this_host HOSTNAME=licsrv
VENDOR CITRIX
USE_SERVER

INCREMENT XDT_PLT_UD CITRIX 2022.1201 permanent 100 \
    VENDOR_STRING=;LT=Retail;GP=720;SA=0 OVERDRAFT=10 DUP_GROUP=V \
    NOTICE="Example \
    Corp" SIGN="0000 1111"
# the concurrent part
INCREMENT XDT_PLT_CCU CITRIX 2022.1201 31-dec-2030 50 DUP_GROUP=V
#CITRIXTERM FEATURE 2.0 XDT_PLT_UD EN Citrix Virtual Apps and Desktops Premium|User/Device
`

func TestSignAndVerify(t *testing.T) {
	dir, key, pub := keys(t)
	tmpl := write(t, dir, "template.lic", template)
	code, signed, errOut := licgen(t, "sign", "-key", key, tmpl)
	if code != 0 {
		t.Fatalf("sign: %d %s", code, errOut)
	}
	for _, keep := range []string{"# Hand-written license file\n", "SERVER this_host HOSTNAME=licsrv\n", "# the concurrent part\n",
		"#CITRIXTERM FEATURE 2.0 XDT_PLT_UD EN", `NOTICE="Example Corp"`} {
		if !strings.Contains(signed, keep) {
			t.Errorf("signed file lost %q:\n%s", keep, signed)
		}
	}
	lic := write(t, dir, "signed.lic", signed)
	code, out, _ := licgen(t, "verify", "-pub", pub, lic)
	if code != 0 || strings.Count(out, "OK  ") != 2 || !strings.Contains(out, "2 line(s) verified, 0 problem(s)") {
		t.Fatalf("verify: %d\n%s\n%s", code, out, signed)
	}
	// flags after the file, and -o
	outPath := filepath.Join(dir, "o.lic")
	if code, _, errOut := licgen(t, "sign", tmpl, "-key", key, "-o", outPath); code != 0 {
		t.Fatalf("sign -o: %s", errOut)
	}
	if b, _ := os.ReadFile(outPath); string(b) != signed {
		t.Error("sign -o wrote something else than sign to stdout")
	}

	// one edited value: that line is BAD with its place and the reason, the other still OK
	tampered := write(t, dir, "tampered.lic", strings.Replace(signed, "31-dec-2030", "31-dec-2039", 1))
	code, out, _ = licgen(t, "verify", "-pub", pub, tampered)
	sf, _ := license.ParseFile(lic)
	ccuLine := sf.Lines[1].LineNo
	if code != exitProblem || !strings.Contains(out, fmt.Sprintf("BAD %s:%d: XDT_PLT_CCU: the signature does not match", tampered, ccuLine)) ||
		strings.Count(out, "OK  ") != 1 {
		t.Errorf("verify tampered: %d\n%s", code, out)
	}
	// another vendor's key
	_, _, otherPub := keys(t)
	if code, out, _ := licgen(t, "verify", "-pub", otherPub, lic); code != exitProblem || strings.Count(out, "BAD ") != 2 {
		t.Errorf("verify with another key: %d\n%s", code, out)
	}
	// rotation: several -pub flags
	if code, _, _ := licgen(t, "verify", "-pub", otherPub, "-pub", pub, lic); code != 0 {
		t.Errorf("verify with two keys: %d", code)
	}
	// the unsigned template
	code, out, _ = licgen(t, "verify", "-pub", pub, tmpl)
	if code != exitProblem || !strings.Contains(out, tmpl+":6: XDT_PLT_UD: the SIGN= value is not an Ed25519 signature") ||
		!strings.Contains(out, tmpl+":11: XDT_PLT_CCU: the line has no SIGN= attribute") {
		t.Errorf("verify template: %d\n%s", code, out)
	}
}

func TestSignRefusesBrokenTemplate(t *testing.T) {
	dir, key, _ := keys(t)
	tmpl := write(t, dir, "broken.lic", "SERVER this_host HOSTNAME=licsrv\nINCREMENT XDT_PLT_UD CITRIX 2022.1201 31-feb-2023 10\n")
	code, out, errOut := licgen(t, "sign", "-key", key, tmpl)
	if code != exitProblem || out != "" || !strings.Contains(errOut, tmpl+":2: expiry date") || !strings.Contains(errOut, "not signed") {
		t.Errorf("sign broken: %d %q %q", code, out, errOut)
	}
	noServer := write(t, dir, "noserver.lic", "INCREMENT XDT_PLT_UD CITRIX 2022.1201 permanent 10\n")
	code, _, errOut = licgen(t, "sign", "-key", key, noServer)
	if code != 0 || !strings.Contains(errOut, "no SERVER line") {
		t.Errorf("sign without SERVER: %d %q", code, errOut)
	}
	if code, _, errOut := licgen(t, "sign", "-key", key); code != exitUsage || !strings.Contains(errOut, "exactly one template") {
		t.Errorf("sign without file: %d %q", code, errOut)
	}
}

func flexlmFixtures(t *testing.T) []string {
	files, err := filepath.Glob(filepath.Join("..", "..", "license", "testdata", "flexlm", "*.lic"))
	if err != nil || len(files) != 4 {
		t.Fatalf("fixtures: %v %v", files, err)
	}
	return files
}

// TestInspectRealWorldFiles: every other-vendor file is shown; the malformed one yields
// line-numbered errors and exit status 1.
func TestInspectRealWorldFiles(t *testing.T) {
	for _, f := range flexlmFixtures(t) {
		code, out, errOut := licgen(t, "inspect", f)
		malformed := strings.Contains(f, "malformed")
		if (code == exitProblem) != malformed || (code != 0 && code != exitProblem) || errOut != "" {
			t.Errorf("%s: exit %d %q", f, code, errOut)
		}
		if !strings.Contains(out, "INCREMENT") && !strings.Contains(out, "FEATURE") {
			t.Errorf("%s: no lines shown:\n%s", f, out)
		}
		if malformed {
			for _, line := range []string{":24: a quoted value is not closed", ":34: unknown line", ":42: unknown line"} {
				if !strings.Contains(out, f+line) {
					t.Errorf("malformed file: no %q in\n%s", line, out)
				}
			}
		}
	}
	code, out, _ := licgen(t, "inspect", filepath.Join("..", "..", "license", "testdata", "manual", "example_license_file.lic"))
	for _, want := range []string{"lines 6-12: INCREMENT MPS_ENT_CCU", "version    2006.0428 (CSS date)", "model      concurrent",
		"expires    01-may-2006", "count      1000", "attribute  SN=LA-0000150712-86261:872", "host name license_server1",
		"MPS_ENT_CCU [EN] Citrix Presentation Server Enterprise | Concurrent User"} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("inspect manual example: no %q in\n%s", want, out)
		}
	}
	if code, _, errOut := licgen(t, "inspect", "missing.lic"); code != exitProblem || errOut != "" {
		t.Errorf("missing file: %d %q", code, errOut)
	}
}

func TestInspectJSON(t *testing.T) {
	files := flexlmFixtures(t)
	code, out, _ := licgen(t, append([]string{"inspect", "--json"}, files...)...)
	if code != exitProblem {
		t.Errorf("exit %d, want 1 for the malformed file", code)
	}
	var views []fileView
	if err := json.Unmarshal([]byte(out), &views); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if len(views) != 4 {
		t.Fatalf("%d files", len(views))
	}
	for _, v := range views {
		var lines []int
		for _, e := range v.Errors {
			lines = append(lines, e.Line)
		}
		if strings.Contains(v.Path, "malformed") {
			if len(lines) != 5 || lines[0] != 24 || len(v.Lines) != 5 {
				t.Errorf("malformed: error lines %v, %d lines", lines, len(v.Lines))
			}
		} else if len(lines) != 0 || len(v.Lines) == 0 {
			t.Errorf("%s: errors %v, %d lines", v.Path, lines, len(v.Lines))
		}
	}
	if views[0].Lines[0].Attrs == nil || views[0].Lines[0].Expiry == "" {
		t.Errorf("line view: %+v", views[0].Lines[0])
	}
}

func TestStartupCommand(t *testing.T) {
	_, key, pub := keys(t)
	code, text, errOut := licgen(t, "startup", "-key", key, "-host", "licsrv")
	if code != 0 || !strings.Contains(text, "INCREMENT CITRIX CITRIX 2038.0101 permanent 10000") ||
		!strings.Contains(text, "INCREMENT CTXLSDIAG CITRIX 2038.0101 permanent 10000") {
		t.Fatalf("startup: %d %s\n%s", code, errOut, text)
	}
	p := write(t, t.TempDir(), "citrix_startup.lic", text)
	if code, out, _ := licgen(t, "verify", "-pub", pub, p); code != 0 {
		t.Errorf("verify start-up file: %s", out)
	}
	if code, _, errOut := licgen(t, "startup", "-key", key); code != exitUsage || !strings.Contains(errOut, "-host is required") {
		t.Errorf("startup without host: %d %q", code, errOut)
	}
}

// TestBinary builds licgen and runs it as a user would.
func TestBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "licgen")
	if runtime.GOOS == "windows" {
		bin += ".exe"
	}
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	cmd := exec.Command(bin)
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != exitUsage || !strings.Contains(string(out), "Usage:") {
		t.Errorf("licgen alone: %v\n%s", err, out)
	}
	dir := t.TempDir()
	if out, err := exec.Command(bin, "keygen", "-out", dir).CombinedOutput(); err != nil {
		t.Fatalf("keygen: %v %s", err, out)
	}
	issued, err := exec.Command(bin, "issue", "-key", filepath.Join(dir, "vendor.key"), "-host", "licsrv",
		"-feature", "XDT_PLT_UD", "-count", "10").Output()
	if err != nil {
		t.Fatalf("issue: %v", err)
	}
	lic := write(t, dir, "x.lic", string(issued))
	if out, err := exec.Command(bin, "verify", "-pub", filepath.Join(dir, "vendor.pub"), lic).CombinedOutput(); err != nil {
		t.Errorf("verify: %v\n%s", err, out)
	}
}
