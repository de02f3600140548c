package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/licd/licd/actors/daemon"
	"github.com/licd/licd/license"
	"github.com/licd/licd/wire"
)

// TestLmdown: disabled unless the server allows it (TestAdmin); allowed, it asks "Are you
// sure? [y/n]" unless -q, and the server is down when lmdown returns.
func TestLmdown(t *testing.T) {
	s := startServer(t, map[string][]license.LineSpec{"products.lic": productLines()}, "-allow-lmdown")
	no := runIn(t, "n\n", "lmdown", "-c", s.c(), "-data", s.data)
	if no.code != 0 || !strings.Contains(no.stdout, "Are you sure? [y/n]: n\nNothing shut down.\n") {
		t.Errorf("answered n: exit %d\n%s%s", no.code, no.stdout, no.stderr)
	}
	if r := runIn(t, "", "lmstat", "-c", s.c()); r.code != 0 {
		t.Fatalf("the server stopped after n: %s", r.stdout)
	}
	yes := runIn(t, "y\n", "lmdown", "-c", s.c(), "-data", s.data)
	if yes.code != 0 {
		t.Fatalf("answered y: exit %d: %s", yes.code, yes.stderr)
	}
	golden(t, "lmdown", s.normalize(yes.stdout))
	select {
	case <-s.Exited():
	case <-time.After(10 * time.Second):
		t.Fatal("licd still runs after lmdown")
	}
	if r := runIn(t, "", "lmdown", "-q", "-c", s.c(), "-data", s.data); r.code != 241 || r.stdout != "" {
		t.Errorf("-q against a stopped server: exit %d, stdout %q", r.code, r.stdout)
	}
}

// TestLmhostid: this machine's binding identifiers, several where there are several.
func TestLmhostid(t *testing.T) {
	h, err := license.ThisHost()
	if err != nil {
		t.Fatal(err)
	}
	id := regexp.MustCompile(`(?m)^The host ID of this machine is "([^"]*)"$`)
	ids := func(args ...string) []string {
		t.Helper()
		r := runIn(t, "", "lmhostid", args...)
		m := id.FindStringSubmatch(r.stdout)
		if r.code != 0 || m == nil {
			t.Fatalf("lmhostid %v: exit %d\n%s%s", args, r.code, r.stdout, r.stderr)
		}
		return strings.Fields(m[1])
	}
	if got := ids("-hostname"); len(got) != 1 || got[0] != "HOSTNAME="+h.Hostname {
		t.Errorf("-hostname: %v, want HOSTNAME=%s", got, h.Hostname)
	}
	if len(h.MACs) > 0 {
		if got := ids(); strings.Join(got, " ") != strings.Join(h.MACs, " ") {
			t.Errorf("default (-ether): %v, want %v", got, h.MACs)
		}
		if got := ids("-ether"); len(got) != len(h.MACs) {
			t.Errorf("-ether: %v", got)
		}
	}
	if ip := nonLoopbackIPv4(); ip != "" {
		if got := ids("-internet"); !strings.Contains(strings.Join(got, " "), "INTERNET="+ip) {
			t.Errorf("-internet: %v, want INTERNET=%s among them", got, ip)
		}
	}
	if r := runIn(t, "", "lmhostid", "-ether", "-hostname"); r.code != exitUsage {
		t.Errorf("two kinds: exit %d", r.code)
	}
}

// TestLmcksum: a checksum per license line, the same however the line is wrapped, and a
// line whose ck= differs from its content is reported (FLEXlm's -8, exit 248).
func TestLmcksum(t *testing.T) {
	f := getFixture(t)
	r := runIn(t, "", "lmcksum", "-c", f.srv.c())
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	golden(t, "lmcksum", f.srv.normalize(r.stdout))

	dir := t.TempDir()
	plain := filepath.Join(dir, "plain.lic")
	if err := writeLicense(plain, productLines()[:1]); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(plain)
	// The same line wrapped and indented differently, and with its checksum written on it.
	const attr = "\tVENDOR_STRING="
	if !strings.Contains(string(b), " \\\n"+attr) {
		t.Fatalf("the issued file does not have the layout this test changes:\n%s", b)
	}
	wrapped := strings.Replace(string(b), " \\\n"+attr, "   VENDOR_STRING=", 1)
	ck := regexp.MustCompile(`ck=(\d+)`).FindStringSubmatch(runIn(t, "", "lmcksum", "-c", plain).stdout)
	if ck == nil {
		t.Fatal("no ck= for the plain file")
	}
	for name, text := range map[string]string{
		"wrapped.lic": wrapped,
		"good.lic":    strings.Replace(string(b), attr, "\tck="+ck[1]+" VENDOR_STRING=", 1),
		"bad.lic":     strings.Replace(strings.Replace(string(b), " 3 ", " 30 ", 1), attr, "\tck="+ck[1]+" VENDOR_STRING=", 1),
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if r := runIn(t, "", "lmcksum", "-c", filepath.Join(dir, "wrapped.lic")); !strings.Contains(r.stdout, "ck="+ck[1]+"\n") {
		t.Errorf("rewrapping changed the checksum (want ck=%s):\n%s", ck[1], r.stdout)
	}
	if r := runIn(t, "", "lmcksum", "-c", filepath.Join(dir, "good.lic")); r.code != 0 || !strings.Contains(r.stdout, "ck="+ck[1]+" OK\n") {
		t.Errorf("good.lic: exit %d\n%s", r.code, r.stdout)
	}
	if r := runIn(t, "", "lmcksum", "-c", filepath.Join(dir, "bad.lic")); r.code != 248 || !strings.Contains(r.stdout, "BAD: the line says ck="+ck[1]) {
		t.Errorf("bad.lic: exit %d\n%s", r.code, r.stdout)
	}
	if r := runIn(t, "", "lmcksum", "-c", f.srv.c(), "MPS_ENT_CCU"); strings.Count(r.stdout, "ck=") != 1 {
		t.Errorf("one feature: \n%s", r.stdout)
	}
}

// TestLmver: "lmver binary" displays the version of a licensing binary.
func TestLmver(t *testing.T) {
	r := runIn(t, "", "lmver", "lmdiag")
	if r.code != 0 || !strings.Contains(r.stdout, "lmdiag: licd "+version+" build ") {
		t.Errorf("lmver lmdiag: exit %d\n%s", r.code, r.stdout)
	}
	r = runIn(t, "", "lmver", bins.licd)
	if r.code != 0 || !strings.Contains(r.stdout, bins.licd+": github.com/licd/licd/cmd/licd ") || !strings.Contains(r.stdout, ", go1.") {
		t.Errorf("lmver licd: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = runIn(t, "", "lmver", "/no/such/binary")
	if r.code == 0 || !strings.Contains(r.stderr, `no binary "/no/such/binary"`) {
		t.Errorf("missing binary: exit %d %s", r.code, r.stderr)
	}
	// The manual names the license manager and the vendor daemon, without a path: lmutil
	// finds licd beside itself, whatever the PATH and the working directory.
	for _, name := range []string{"licd", "lmgrd", "CITRIX"} {
		cmd := exec.Command(bins.lmutil, "lmver", name)
		cmd.Dir, cmd.Env = t.TempDir(), []string{"PATH=/usr/bin:/bin"}
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), ": github.com/licd/licd/cmd/licd ") {
			t.Errorf("lmver %s: %v\n%s", name, err, out)
		}
	}
}

// TestHelp: lmutil alone lists the utilities ("The lmutil command displays a list of
// licensing utilities when used standalone"); each utility has -help.
func TestHelp(t *testing.T) {
	r := runIn(t, "", "lmutil")
	if r.code != 0 {
		t.Fatalf("lmutil: exit %d", r.code)
	}
	golden(t, "help/lmutil", r.stdout)
	for _, u := range utilities {
		r := runIn(t, "", u.name, "-help")
		if r.code != 0 || r.stderr != "" {
			t.Errorf("%s -help: exit %d, stderr %q", u.name, r.code, r.stderr)
		}
		golden(t, "help/"+u.name, r.stdout)
		if via := runIn(t, "", "lmutil", u.name, "-help"); via.stdout != r.stdout {
			t.Errorf("lmutil %s -help differs from %s -help", u.name, u.name)
		}
	}
	if r := runIn(t, "", "lmutil", "lmfoo"); r.code != exitUsage || !strings.Contains(r.stderr, `"lmfoo" is not a licensing utility`) {
		t.Errorf("lmutil lmfoo: exit %d %q", r.code, r.stderr)
	}
}

// TestByLinkName runs the built binary as `make build` installs it: lmutil, and links named
// after the utilities, as real processes with their exit statuses.
func TestByLinkName(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"lmstat", "udadmin", "lmhostid"} {
		if err := os.Symlink(bins.lmutil, filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	exe := func(name string, args ...string) (string, int) {
		t.Helper()
		path := filepath.Join(dir, name)
		if name == "lmutil" {
			path = bins.lmutil
		}
		cmd := exec.Command(path, args...)
		cmd.Env = []string{"PATH=/usr/bin:/bin"}
		out, err := cmd.Output()
		if ee, ok := err.(*exec.ExitError); ok {
			return string(out), ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return string(out), 0
	}
	if out, code := exe("lmstat", "-v"); code != 0 || !strings.Contains(out, "\nlmstat "+version+" build ") {
		t.Errorf("lmstat -v: exit %d\n%s", code, out)
	}
	down := strconv.Itoa(closedPort(t)) + "@127.0.0.1"
	if out, code := exe("lmstat", "-a", "-c", down); code != 241 || !strings.Contains(out, "Cannot connect to license server system.") {
		t.Errorf("lmstat against a stopped server: exit %d\n%s", code, out)
	}
	if out, code := exe("lmutil"); code != 0 || !strings.Contains(out, "usage: lmutil lmstat") {
		t.Errorf("lmutil: exit %d\n%s", code, out)
	}
	if out, code := exe("udadmin"); code != 0 || !strings.Contains(out, "usage: udadmin") {
		t.Errorf("udadmin: exit %d\n%s", code, out)
	}
	f := getFixture(t)
	byName, _ := exe("lmstat", "-a", "-c", f.srv.c())
	viaLmutil, _ := exe("lmutil", "lmstat", "-a", "-c", f.srv.c())
	header := regexp.MustCompile(`status on .*\n`)
	if header.ReplaceAllString(byName, "") != header.ReplaceAllString(viaLmutil, "") || !strings.Contains(byName, "Users of XDT_PLT_CCS:") {
		t.Errorf("lmstat by name and lmutil lmstat differ:\n%s\n---\n%s", byName, viaLmutil)
	}
	// Without -c, the license-file variable names the server, as FLEXlm's utilities read it.
	cmd := exec.Command(filepath.Join(dir, "lmstat"))
	cmd.Env = []string{"LM_LICENSE_FILE=" + f.srv.c()}
	if out, err := cmd.Output(); err != nil || !strings.Contains(string(out), "License server status: "+f.srv.c()) {
		t.Errorf("LM_LICENSE_FILE: %v\n%s", err, out)
	}
}

// TestSharedConstants: lmutil does not import the daemon, so the names they share are
// checked here.
func TestSharedConstants(t *testing.T) {
	if version != daemon.Version {
		t.Errorf("lmutil version %s, daemon %s", version, daemon.Version)
	}
	if tokenFile != daemon.TokenFile {
		t.Errorf("lmutil reads the token from %s, the daemon writes %s", tokenFile, daemon.TokenFile)
	}
}

// TestRereadReport is lmreread's report of a reread that changed everything it can.
func TestRereadReport(t *testing.T) {
	var b strings.Builder
	rep := &rereadReport{Files: []string{"/l/a.lic", "/l/b.lic"}, Added: []string{"XDT_ADV_CCS"}, Updated: []string{"XDT_PLT_CCS"},
		Removed: []string{"MPS_ENT_CCU"}, Pending: []string{"/l/b.lic:9: XDT_PLT_UD starts on 01-Jan-2030"},
		Expired: []string{"/l/a.lic:12: XDT_STD_CCS expired on 01-Jan-2020"}, Options: []string{"warning: CITRIX.opt:3: unknown keyword FOO"}}
	rep.Rejected = append(rep.Rejected, struct {
		File    string
		Line    int
		Feature string
		Reason  string
	}{"/l/b.lic", 7, "XDT_ENT_CCS", "the signature does not match the line"})
	writeRereadReport(&b, rep)
	golden(t, "lmreread_report", b.String())
}

// TestNotLocalMapping: the denial of a remote admin request reaches the person with the
// manual's rule and what to do, and the error number modulo 256 as exit status.
func TestNotLocalMapping(t *testing.T) {
	var out strings.Builder
	e := &env{name: "lmreread", stderr: &out}
	code := e.fail(&wire.Error{Code: wire.CodeNotLocal, Detail: "run this command on the license server itself"})
	if code != int(uint8(256-1004%256)) || code != wire.CodeNotLocal.ExitStatus() {
		t.Errorf("exit %d", code)
	}
	want := "lmreread: This command can only be run locally on the license server. (-1004) run this command on the license server itself\n" +
		"Run this command on the license server itself (-c @localhost): the server accepts it only from its own machine.\n"
	if out.String() != want {
		t.Errorf("got\n%s\nwant\n%s", out.String(), want)
	}
}

// dialFixture is lmutil's connection to the status fixture, for protocol-level checks.
func dialFixture(t *testing.T) *serverConn {
	t.Helper()
	c, err := dial(context.Background(), target{Host: "127.0.0.1", Port: getFixture(t).srv.LMPort}, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// TestDenialsKeepTheConnection: a denied request comes back as its code and the
// connection serves the next request.
func TestDenialsKeepTheConnection(t *testing.T) {
	c := dialFixture(t)
	var res wire.AdminResult
	err := c.call(&wire.Admin{Token: "wrong", Op: "reread"}, &res)
	if f := asFailure(err); f.Code != wire.CodeNotAuthorized {
		t.Fatalf("wrong token: %v", err)
	}
	if _, err := c.status("", false); err != nil {
		t.Errorf("status after a denial: %v", err)
	}
}
