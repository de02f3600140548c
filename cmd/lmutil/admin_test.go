package main

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/licd/licd/license"
	"github.com/licd/licd/wire"
)

// TestAdmin runs the utilities that change a server (or read what only its administrator
// may read) against one licd, in order. The server listens on every interface so that a
// request through a non-loopback address can be refused as remote.
func TestAdmin(t *testing.T) {
	s := startServer(t, map[string][]license.LineSpec{"products.lic": productLines()}, "-listen", "0.0.0.0")
	data := []string{"-data", s.data}
	run := func(stdin, util string, args ...string) result {
		t.Helper()
		return runIn(t, stdin, util, append(append(args, "-c", s.c()), data...)...)
	}

	t.Run("lmreread", func(t *testing.T) { testLmreread(t, s, run) })
	t.Run("token", func(t *testing.T) { testToken(t, s) })
	t.Run("not local", func(t *testing.T) { testNotLocal(t, s) })
	t.Run("lmdown disabled", func(t *testing.T) {
		r := run("", "lmdown", "-q")
		if r.code != wire.CodeDisabled.ExitStatus() || !strings.Contains(r.stderr, "lmdown is disabled on this server: start licd with -allow-lmdown") {
			t.Errorf("exit %d, stderr %q", r.code, r.stderr)
		}
		if st := runIn(t, "", "lmstat", "-c", s.c()); st.code != 0 {
			t.Errorf("the server stopped: %s", st.stdout)
		}
	})
	t.Run("udadmin", func(t *testing.T) { testUdadmin(t, s, run) })
	t.Run("lmusers", func(t *testing.T) { testLmusers(t, s, run) })
	t.Run("lmservice", func(t *testing.T) { testLmservice(t, s, run) })
}

type runner func(stdin, util string, args ...string) result

// testLmreread: the server rereads its license directory and lmreread reports what it found,
// with each rejected line's file, line and reason ("Reread license and options files").
func testLmreread(t *testing.T, s *testServer, run runner) {
	dir := filepath.Join(s.data, "MyFiles")
	if err := writeLicense(filepath.Join(dir, "more.lic"), []license.LineSpec{{Feature: "XDT_ADV_CCS", Count: 2, CSS: 20300101, Permanent: true}}); err != nil {
		t.Fatal(err)
	}
	if err := writeLicense(filepath.Join(dir, "broken.lic"), []license.LineSpec{{Feature: "XDT_ENT_CCS", Count: 5, CSS: 20300101, Permanent: true}}); err != nil {
		t.Fatal(err)
	}
	tamper(t, filepath.Join(dir, "broken.lic"), " 5 ", " 500 ")
	r := run("", "lmreread")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	for _, want := range []string{
		"lmreread successful: " + s.c() + "\n",
		"  license files: 4\n",
		"  lines rejected:\n    " + filepath.Join(dir, "broken.lic") + ":",
		"XDT_ENT_CCS: ",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("no %q in\n%s", want, r.stdout)
		}
	}
	if st := runIn(t, "", "lmstat", "-f", "XDT_ADV_CCS", "-c", s.c()); !strings.Contains(st.stdout, "Users of XDT_ADV_CCS:  (Total of 2 licenses issued;") {
		t.Errorf("the new license is not served:\n%s%s", st.stdout, st.stderr)
	}
	if r := runIn(t, "", "lmreread", "-vendor", "OTHER"); r.code != exitUsage {
		t.Errorf("-vendor OTHER: exit %d", r.code)
	}
}

func tamper(t *testing.T, path, old, new string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), old) {
		t.Fatalf("%s has no %q", path, old)
	}
	if err := os.WriteFile(path, []byte(strings.Replace(string(b), old, new, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
}

// testToken: without the server's admin token an admin request is refused, and lmreread
// says where it looked and what to do.
func testToken(t *testing.T, s *testServer) {
	missing := runIn(t, "", "lmreread", "-c", s.c(), "-data", filepath.Join(s.data, "nowhere"))
	if missing.code != wire.CodeNotAuthorized.ExitStatus() || !strings.Contains(missing.stderr, "cannot read the admin token "+filepath.Join(s.data, "nowhere", tokenFile)) ||
		!strings.Contains(missing.stderr, "Run it as the user that runs licd") {
		t.Errorf("no token: exit %d, stderr %q", missing.code, missing.stderr)
	}
	wrong := t.TempDir()
	if err := os.WriteFile(filepath.Join(wrong, tokenFile), []byte("not-the-token\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r := runIn(t, "", "lmreread", "-c", s.c(), "-data", wrong)
	if r.code != wire.CodeNotAuthorized.ExitStatus() || !strings.Contains(r.stderr, "Not authorised: the admin token is missing or wrong. (-1003)") {
		t.Errorf("wrong token: exit %d, stderr %q", r.code, r.stderr)
	}
}

// testNotLocal: "You cannot use lmreread remotely; run it locally on the License Server":
// through a non-loopback address the server refuses every admin request; status is public.
func testNotLocal(t *testing.T, s *testServer) {
	ip := nonLoopbackIPv4()
	if ip == "" {
		t.Skip("this machine has no non-loopback IPv4 address to come from")
	}
	remote := strconv.Itoa(s.LMPort) + "@" + ip
	for _, util := range []string{"lmreread", "udadmin", "lmusers", "lmservice"} {
		args := map[string][]string{"udadmin": {"-list"}, "lmusers": {"-list"}, "lmservice": {"-query"}}[util]
		r := runIn(t, "", util, append(args, "-c", remote, "-data", s.data)...)
		if r.code != wire.CodeNotLocal.ExitStatus() || !strings.Contains(r.stderr, "This command can only be run locally on the license server. (-1004)") ||
			!strings.Contains(r.stderr, "Run this command on the license server itself") {
			t.Errorf("%s from %s: exit %d, stderr %q", util, ip, r.code, r.stderr)
		}
	}
	if r := runIn(t, "", "lmstat", "-c", remote); r.code != 0 {
		t.Errorf("lmstat from %s: exit %d %s", ip, r.code, r.stdout)
	}
}

func nonLoopbackIPv4() string {
	addrs, _ := net.InterfaceAddrs()
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && !n.IP.IsLoopback() && n.IP.To4() != nil {
			return n.IP.String()
		}
	}
	return ""
}

var nextUpdate = regexp.MustCompile(`Next update in \d+ minutes`)

// testUdadmin: the manual's udadmin examples, against licenses the optimizer assigned: ann
// and ben share the device kiosk-1 (one device license), cat has a user license.
func testUdadmin(t *testing.T, s *testServer, run runner) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := wire.Dial(ctx, []string{s.Addr()}, wire.ClientOptions{ClientID: "ddc2", Product: "XDT", Host: "ddc2.example.com"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var catHandle uint64
	for _, ud := range []struct{ user, device string }{{"ann", "kiosk-1"}, {"ben", "kiosk-1"}, {"cat", "dev-c"}} {
		g, err := c.Checkout(ctx, wire.Checkout{Feature: "XDT_ENT_UD", User: ud.user, Device: ud.device, ClientHost: "ddc2.example.com"})
		if err != nil {
			t.Fatal(err)
		}
		catHandle = g.Handle
	}
	token := readToken(t, s)
	// Status is as of the last optimization: wait for the one that assigns kiosk-1.
	err = poll(20*time.Second, func() (bool, error) {
		res, err := udadminCall(target{Host: "localhost", Port: s.LMPort}, token, wire.UDAdminArgs{Op: "list"}, 5*time.Second)
		return err == nil && len(res.Features) == 1 && len(res.Features[0].Devices) == 1 && len(res.Features[0].Users) == 1, err
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		golden string
		args   []string
	}{
		{"udadmin_list_times", []string{"-list", "-times"}},
		{"udadmin_list", []string{"-list"}},
		{"udadmin_list_a", []string{"-list", "-a"}},
		{"udadmin_list_user", []string{"-list", "-f", "XDT_ENT_UD", "-user", "cat"}},
	} {
		r := run("", "udadmin", tc.args...)
		if r.code != 0 {
			t.Fatalf("%v: exit %d: %s", tc.args, r.code, r.stderr)
		}
		golden(t, tc.golden, nextUpdate.ReplaceAllString(s.normalize(r.stdout), "Next update in M minutes"))
	}
	if r := run("", "udadmin", "-events"); r.code != 0 || !strings.Contains(r.stdout, "Events of XDT_ENT_UD:") {
		t.Errorf("-events: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	} else {
		// Each event once: its time and its kind are printed once, not again in its text.
		evLine := regexp.MustCompile(`^\w{3} \w{3} [ \d]\d \d{2}:\d{2}:\d{2} \d{4} (\w+) (.*)$`)
		n := 0
		for _, l := range strings.Split(r.stdout, "\n") {
			m := evLine.FindStringSubmatch(l)
			if m == nil {
				continue
			}
			n++
			if isoSecs.MatchString(m[2]) || strings.HasPrefix(m[2], m[1]+" ") {
				t.Errorf("-events prints the time or kind twice: %q", l)
			}
		}
		if n == 0 {
			t.Errorf("-events printed no event line:\n%s", r.stdout)
		}
	}

	// "-delete: Releases the license for one user, feature, or device at a time."
	if err := c.Checkin(ctx, catHandle); err != nil {
		t.Fatal(err)
	}
	// Without -f, as the manual's option table has it ("-user: Releases the license for only
	// the user specified"): every feature where cat is licensed.
	r := run("", "udadmin", "-user", "cat", "-delete")
	if r.code != 0 || r.stdout != "Released the user license of cat for XDT_ENT_UD.\n" {
		t.Errorf("-delete: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := run("", "udadmin", "-f", "XDT_ENT_UD", "-user", "cat", "-delete"); r.code == 0 || !strings.Contains(r.stderr, "no user \"cat\"") {
		t.Errorf("-f -delete of a released user: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if l := run("", "udadmin", "-list"); strings.Contains(l.stdout, "cat ") {
		t.Errorf("cat still listed after -delete:\n%s", l.stdout)
	}
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"-delete"}, exitUsage, "udadmin -user NAME -delete"},
		{[]string{"-user", "cat", "-delete"}, wire.CodeBadRequest.ExitStatus(), "user cat holds no user/device license"},
		{[]string{"-f", "XDT_ENT_UD", "-user", "a", "-device", "b", "-delete"}, exitUsage, "one user or one device"},
		{[]string{"-list", "-delete"}, exitUsage, "give one of -list, -delete or -events"},
		{[]string{"-list", "-f", "NOPE_X_UD"}, wire.CodeNoSuchFeature.ExitStatus(), "No such feature exists. (-5)"},
	} {
		if r := run("", "udadmin", tc.args...); r.code != tc.code || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("%v: exit %d (want %d), stderr %q (want %q)", tc.args, r.code, tc.code, r.stderr, tc.want)
		}
	}
	for _, help := range [][]string{nil, {"?"}} {
		if r := runIn(t, "", "udadmin", help...); r.code != 0 || !strings.Contains(r.stdout, "usage: udadmin") {
			t.Errorf("udadmin %v: exit %d\n%s", help, r.code, r.stdout)
		}
	}
}

var isoSecs = regexp.MustCompile(`\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}`)

func readToken(t *testing.T, s *testServer) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(s.data, tokenFile))
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

// testLmusers: console accounts with the Administrator or User role ("Administrator and
// User roles"); passwords come from standard input, never from the command line.
func testLmusers(t *testing.T, s *testServer, run runner) {
	steps := []struct {
		stdin string
		args  []string
		code  int
		out   string // stdout, exactly; or a part of stderr when code != 0
	}{
		{"correct horse\n", []string{"-useradd", `CORP\alice`, "-role", "admin"}, 0, "Added CORP\\alice with the Administrator role.\n"},
		{"battery staple\n", []string{"-useradd", "bob", "-Role", "user"}, 0, "Added bob with the User role.\n"},
		{"", []string{"-setrole", "BOB", "-role", "admin"}, 0, "bob now has the Administrator role.\n"},
		{"", []string{"-userdel", `corp\ALICE`}, 0, "Removed CORP\\alice.\n"},
		{"x\n", []string{"-useradd", "bob", "-role", "user"}, wire.CodeBadRequest.ExitStatus(), `an account "bob" already exists`},
		{"longenough\n", []string{"-useradd", "carol", "-role", "user", "-password", "longenough"}, exitUsage, "passwords are never taken from the command line"},
		{"", []string{"-useradd", "carol", "-role", "user"}, exitUsage, "no password on standard input for carol"},
		{"short\n", []string{"-useradd", "carol", "-role", "user"}, wire.CodeBadRequest.ExitStatus(), "shorter than 8 characters"},
		{"longenough\n", []string{"-useradd", "carol"}, exitUsage, "give the role with -role admin"},
		{"longenough\n", []string{"-useradd", "carol", "-role", "root"}, wire.CodeBadRequest.ExitStatus(), "use admin (Administrator) or user (User)"},
		{"", []string{"-userdel", "bob"}, wire.CodeBadRequest.ExitStatus(), `"bob" is the last administrator`},
		{"", []string{"-userdel", "nobody"}, wire.CodeBadRequest.ExitStatus(), `no account "nobody"`},
		{"", []string{"-list", "-userdel", "bob"}, exitUsage, "give one of -list"},
	}
	for _, st := range steps {
		r := run(st.stdin, "lmusers", st.args...)
		ok := r.code == st.code && (st.code == 0 && r.stdout == st.out || st.code != 0 && strings.Contains(r.stderr, st.out))
		if !ok {
			t.Errorf("lmusers %v: exit %d (want %d)\nstdout: %s\nstderr: %s\nwant: %s", st.args, r.code, st.code, r.stdout, r.stderr, st.out)
		}
	}
	// The manual's tool name runs the same utility.
	if r := run("hunter2hunter2\n", "CtxManageUserAndGroup", "-useradd", "dora", "-Role", "user"); r.code != 0 {
		t.Errorf("CtxManageUserAndGroup: exit %d: %s", r.code, r.stderr)
	}
	// "Command to add a group: CtxManageUserAndGroup.exe -useradd "domain\username" -Role
	// "adminGroup/userGroup"": a group of local accounts, without a password.
	if r := run("", "CtxManageUserAndGroup", "-useradd", `CORP\helpdesk`, "-Role", "adminGroup", "-members", "dora"); r.code != 0 ||
		r.stdout != "Added the group CORP\\helpdesk with the Administrator role (1 members).\n" {
		t.Errorf("a group: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := run("", "CtxManageUserAndGroup", "-useradd", "ops", "-Role", "userGroup", "-members", "nobody"); r.code == 0 || !strings.Contains(r.stderr, "nobody") {
		t.Errorf("a group with an unknown member: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := run("", "lmusers", "-useradd", "ops", "-Role", "userGroup"); r.code != 0 {
		t.Errorf("an empty group: exit %d: %s", r.code, r.stderr)
	}
	if r := run("", "lmusers", "-userdel", "ops"); r.code != 0 || r.stdout != "Removed ops.\n" {
		t.Errorf("-userdel of a group: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r := run("", "lmusers", "-list")
	if r.code != 0 {
		t.Fatalf("-list: exit %d: %s", r.code, r.stderr)
	}
	golden(t, "lmusers_list", s.normalize(r.stdout))
	if strings.Contains(r.stdout, "horse") || strings.Contains(r.stdout, "pbkdf2") {
		t.Errorf("-list shows a password or its hash:\n%s", r.stdout)
	}
}

// testLmservice: -enable | -disable | -query, kept in the server's settings across a
// restart ("Using the command line to enable or disable the License Management Service").
func testLmservice(t *testing.T, s *testServer, run runner) {
	q := run("", "lmservice", "-query")
	if q.code != 0 || !strings.HasPrefix(q.stdout, "License Management Service: enabled (electronic reporting of basic licensing data)\n  as installed: never switched\n") ||
		!strings.Contains(q.stdout, "Data-sharing choice: none (from the default)") || !strings.Contains(q.stdout, "What leaves the machine: no data-sharing program is on") {
		t.Errorf("first -query: exit %d\n%s%s", q.code, q.stdout, q.stderr)
	}
	if d := run("", "lmservice", "-disable"); d.code != 0 || !strings.Contains(d.stdout, "disabled: you agree to report licensing data manually") {
		t.Errorf("-disable: exit %d\n%s%s", d.code, d.stdout, d.stderr)
	}
	if err := s.Stop(10 * time.Second); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := s.Restart(ctx); err != nil {
		t.Fatal(err)
	}
	q = runIn(t, "", "ctx_license_management_service", "-query", "-c", s.c(), "-data", s.data)
	if q.code != 0 || !strings.HasPrefix(q.stdout, "License Management Service: disabled (manual reporting)\n  switched on ") || !strings.Contains(q.stdout, "Last successful upload: never") {
		t.Errorf("-query after a restart: exit %d\n%s%s", q.code, q.stdout, q.stderr)
	}
	if r := run("", "lmservice", "-enable", "-disable"); r.code != exitUsage {
		t.Errorf("-enable -disable: exit %d", r.code)
	}
}
