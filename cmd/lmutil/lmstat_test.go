package main

import (
	"encoding/json"
	"net"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/licd/licd/wire"
)

// TestLmstatGolden compares lmstat's reports from a real licd with known checkouts with the
// golden files: the shape of FLEXlm's lmstat as the manual's example prints it.
func TestLmstatGolden(t *testing.T) {
	f := getFixture(t)
	s := f.srv
	for _, tc := range []struct {
		golden string
		args   []string
	}{
		{"lmstat_a", []string{"-a"}},
		{"lmstat_servers", nil},
		{"lmstat_f", []string{"-f", "XDT_PLT_CCS"}},
		{"lmstat_i", []string{"-i"}},
		{"lmstat_s", []string{"-s"}},
		{"lmstat_S", []string{"-S", "CITRIX"}},
		{"lmstat_h", []string{"-h", strconv.FormatUint(f.carolHandle, 10)}},
	} {
		t.Run(tc.golden, func(t *testing.T) {
			r := runIn(t, "", "lmstat", append(tc.args, "-c", s.c())...)
			if r.code != 0 || r.stderr != "" {
				t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
			}
			golden(t, tc.golden, s.normalize(r.stdout))
		})
	}
}

// TestLmstatCheckoutLines checks the rules the golden files show: the per-checkout line's
// fields (user, host, display, device, version, server/port handle, start), one line for a
// license two connections share, and "license" for one.
func TestLmstatCheckoutLines(t *testing.T) {
	f := getFixture(t)
	r := runIn(t, "", "lmstat", "-f", "XDT_PLT_CCS", "-c", f.srv.c())
	want := "Users of XDT_PLT_CCS:  (Total of 3 licenses issued;  Total of 2 licenses in use)"
	if !strings.Contains(r.stdout, want+"\n") {
		t.Errorf("no %q in\n%s", want, r.stdout)
	}
	// The manual's breakdown: product/user, host, display, (device), (vVERSION),
	// (server/port handle), start Ddd M/D HH:MM.
	line := regexp.MustCompile(`(?m)^    alice ddc1\.example\.com XDT dev-01 \(v2029\.0101\) \(localhost/` + strconv.Itoa(f.srv.LMPort) + ` \d+\), start \w{3} \d{1,2}/\d{1,2} \d{1,2}:\d{2}$`)
	if !line.MatchString(r.stdout) {
		t.Errorf("no checkout line for alice in the manual's shape in\n%s", r.stdout)
	}
	// "The lmstat command displays only one use of the license, even if there are multiple
	// connections sharing that license": bob shares alice's license on dev-01.
	if strings.Contains(r.stdout, "bob") {
		t.Errorf("bob's connection shares alice's license and must not show again:\n%s", r.stdout)
	}
	one := runIn(t, "", "lmstat", "-f", "MPS_ENT_CCU", "-c", f.srv.c())
	if want := "Users of MPS_ENT_CCU:  (Total of 1 license issued;  Total of 1 license in use)"; !strings.Contains(one.stdout, want) {
		t.Errorf("no %q in\n%s", want, one.stdout)
	}
}

// userLine is a per-checkout line as tools that parse lmstat read it.
var userLine = regexp.MustCompile(`^\s+\S+ [\w\-.]+ .+ \(v[\w.]+\) \([\w\-.]+/\d+ \d+\), start \w+ \d+/\d+ \d+:\d+`)

var usersOf = regexp.MustCompile(`^Users of (.*):\s+\(Total of (\d+) \w+ issued;\s+Total of (\d+) \w+ in use\)$`)

// TestLmstatInUseAgreesWithLines: tools count "in use" from the per-checkout lines, so the
// header of every feature must agree with them.
func TestLmstatInUseAgreesWithLines(t *testing.T) {
	f := getFixture(t)
	r := runIn(t, "", "lmstat", "-a", "-c", f.srv.c())
	inUse := map[string]int{}
	lines := map[string]int{}
	var feature string
	for _, l := range strings.Split(r.stdout, "\n") {
		if m := usersOf.FindStringSubmatch(l); m != nil {
			feature = m[1]
			inUse[feature], _ = strconv.Atoi(m[3])
			continue
		}
		if userLine.MatchString(l) {
			lines[feature]++
		}
	}
	if len(inUse) != 5 {
		t.Fatalf("want 5 features (CITRIX, CTXLSDIAG and the 3 test features), got %v in\n%s", inUse, r.stdout)
	}
	for feat, n := range inUse {
		if lines[feat] != n {
			t.Errorf("%s: header says %d in use, %d checkout lines", feat, n, lines[feat])
		}
	}
	if inUse["XDT_ENT_UD"] != 1 || inUse["CITRIX"] != 1 {
		t.Errorf("want erin's user license and ddc1's start-up license in use, got %v", inUse)
	}
}

// TestLmstatJSON: --json is the same status as structured data.
func TestLmstatJSON(t *testing.T) {
	f := getFixture(t)
	r := runIn(t, "", "lmstat", "--json", "-a", "-c", f.srv.c())
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	var out struct {
		Servers []struct {
			Server string       `json:"server"`
			Status *wire.Status `json:"status"`
		} `json:"servers"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, r.stdout)
	}
	if len(out.Servers) != 1 || out.Servers[0].Status == nil || out.Servers[0].Server != f.srv.c() {
		t.Fatalf("want one server %s with a status, got %s", f.srv.c(), r.stdout)
	}
	st := out.Servers[0].Status
	if st.ServerHost != testHost || st.LMPort != f.srv.LMPort {
		t.Errorf("server %s port %d, want %s port %d", st.ServerHost, st.LMPort, testHost, f.srv.LMPort)
	}
	for _, fs := range st.Features {
		if fs.Feature == "XDT_PLT_CCS" && (fs.InUse != 2 || len(fs.Checkouts) != 2) {
			t.Errorf("XDT_PLT_CCS: in use %d with %d checkouts, want 2 and 2 as lmstat -a prints", fs.InUse, len(fs.Checkouts))
		}
	}
}

// closedPort is a port nothing listens on.
func closedPort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	return port
}

// TestLmstatServerDown: FLEXlm's "Cannot connect to license server system." in the place of
// the server's UP line, and exit status 241 (-15 modulo 256), on which monitoring relies.
func TestLmstatServerDown(t *testing.T) {
	port := strconv.Itoa(closedPort(t))
	r := runIn(t, "", "lmstat", "-a", "-c", port+"@127.0.0.1")
	if r.code != 241 {
		t.Errorf("exit %d, want 241", r.code)
	}
	golden(t, "lmstat_down", strings.ReplaceAll(r.stdout, port, "27000"))
	if !strings.Contains(r.stderr, "Is licd running there?") {
		t.Errorf("stderr does not say what to do: %q", r.stderr)
	}
	j := runIn(t, "", "lmstat", "--json", "-c", port+"@127.0.0.1")
	if j.code != 241 || !strings.Contains(j.stdout, `"code": -15`) || !strings.Contains(j.stdout, `"text": "Cannot connect to license server system."`) {
		t.Errorf("--json: exit %d\n%s", j.code, j.stdout)
	}
	f := runIn(t, "", "lmstat", "-f", "X", "-c", port+"@127.0.0.1")
	if f.code != 241 || !strings.Contains(f.stdout, "Error getting status: Cannot connect to license server system. (-15)") {
		t.Errorf("-f: exit %d\n%s", f.code, f.stdout)
	}
}

// TestLmstatServerList: a -c list reports every server's state first; the run succeeds when
// a server answered (TestDropinServerLists has the shapes).
func TestLmstatServerList(t *testing.T) {
	f := getFixture(t)
	down := strconv.Itoa(closedPort(t)) + "@127.0.0.1"
	r := runIn(t, "", "lmstat", "-c", f.srv.c()+";"+down)
	if r.code != 0 {
		t.Errorf("exit %d, want 0: a server answered", r.code)
	}
	for _, want := range []string{"License server status: " + f.srv.c() + "," + down + "\n", "localhost: license server UP (MASTER) ",
		"127.0.0.1: Cannot connect to license server system. (-15,570:111"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("no %q in\n%s", want, r.stdout)
		}
	}
	one := runIn(t, "", "lmstat", "-c", f.srv.c()+";"+down, "-s", "localhost")
	if one.code != 0 || strings.Contains(one.stdout, down) {
		t.Errorf("-s localhost: exit %d\n%s", one.code, one.stdout)
	}
}

// TestLmstatErrors: a bad -c is FLEXlm's -1 "Cannot find license file." (exit 255); an
// unknown feature -5 "No such feature exists." (exit 251); an unknown handle and bad
// options are reported with what to do.
func TestLmstatErrors(t *testing.T) {
	f := getFixture(t)
	for _, tc := range []struct {
		name   string
		args   []string
		code   int
		stdout string // in stdout
		stderr string // in stderr
	}{
		{"missing file", []string{"-c", "/no/such/dir/license.lic"}, 255, "", "Cannot find license file. (-1) -c /no/such/dir/license.lic: no such license file or directory"},
		{"bad address", []string{"-c", "27000@"}, 255, "", "Cannot find license file. (-1) -c 27000@: not a license file and not a server address"},
		{"unknown feature", []string{"-f", "NOPE_X_CCU", "-c", f.srv.c()}, 251, "Error getting status: No such feature exists. (-5) NOPE_X_CCU is not served by", ""},
		{"unknown handle", []string{"-h", "999999", "-c", f.srv.c()}, wire.CodeUnknownHandle.ExitStatus(), "", "No such license handle. (-1005) no checkout on " + f.srv.c() + " has license handle 999999"},
		{"bad handle", []string{"-h", "x"}, exitUsage, "", "a license handle is a positive number"},
		{"unknown option", []string{"-x"}, exitUsage, "", `unknown option "-x"; lmstat -help lists the options`},
		{"bad timeout", []string{"-t", "soon"}, exitUsage, "", "give the time-out in seconds"},
		{"-c without value", []string{"-c"}, exitUsage, "", "option -c needs a value"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := runIn(t, "", "lmstat", tc.args...)
			if r.code != tc.code {
				t.Errorf("exit %d, want %d\nstdout: %s\nstderr: %s", r.code, tc.code, r.stdout, r.stderr)
			}
			if !strings.Contains(r.stdout, tc.stdout) || !strings.Contains(r.stderr, tc.stderr) {
				t.Errorf("want %q in stdout and %q in stderr, got\nstdout: %s\nstderr: %s", tc.stdout, tc.stderr, r.stdout, r.stderr)
			}
		})
	}
}

// TestLmstatVersion: -v prints the line tools read lmstat's version from.
func TestLmstatVersion(t *testing.T) {
	r := runIn(t, "", "lmstat", "-v")
	if !regexp.MustCompile(`(?m)^lmstat v[\d.]+ build \d+ \w+$`).MatchString(r.stdout) || r.code != 0 {
		t.Errorf("exit %d:\n%s", r.code, r.stdout)
	}
}
