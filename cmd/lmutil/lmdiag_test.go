package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/licd/licd/license"
	"github.com/licd/licd/wire"
)

var (
	diagOnce sync.Once
	diagSrv  *testServer
	diagErr  error
)

// diagServer is a licd whose only MPS_ENT_CCU license is held, so that lmdiag's test
// checkout of it fails with the reason. The lmdiag tests share it, apart from the status
// fixture whose golden files must not see lmdiag's sessions come and go.
func diagServer(t *testing.T) *testServer {
	t.Helper()
	diagOnce.Do(func() { diagSrv, diagErr = newDiagServer() })
	if diagErr != nil {
		t.Fatalf("lmdiag server: %v", diagErr)
	}
	return diagSrv
}

func newDiagServer() (*testServer, error) {
	s, err := launch("diag", map[string][]license.LineSpec{"products.lic": productLines()})
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := wire.Dial(ctx, []string{s.Addr()}, wire.ClientOptions{ClientID: "mps1", Product: "MPS", Host: "mps1.example.com"})
	if err != nil {
		return nil, err
	}
	cleanups = append(cleanups, func() { c.Close() })
	_, err = c.Checkout(ctx, wire.Checkout{Feature: "MPS_ENT_CCU", User: "dave", Device: "dev-03", ClientHost: "mps1.example.com"})
	return s, err
}

// TestLmdiag: "lmdiag displays information about the license, then attempts to check out
// each license ... When the checkout fails, lmdiag gives you the reason", and it lists the
// ports that are listening.
func TestLmdiag(t *testing.T) {
	s := diagServer(t)
	r := runIn(t, "", "lmdiag", "-n", "-c", s.c())
	// -4 (licensed number reached) modulo 256: the failure of the held MPS_ENT_CCU.
	if r.code != 252 {
		t.Errorf("exit %d, want 252; stderr %s", r.code, r.stderr)
	}
	golden(t, "lmdiag", s.normalize(r.stdout))

	// The test checkouts were real and were returned: only dave's license is in use.
	st, err := statusOf(s, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, fs := range st.Features {
		want := map[string]int{"MPS_ENT_CCU": 1, "CITRIX": 1}[fs.Feature] // CITRIX: mps1's session; lmdiag said goodbye
		if fs.InUse != want {
			t.Errorf("%s: %d in use after lmdiag, want %d", fs.Feature, fs.InUse, want)
		}
	}

	// A second run leaves nothing behind either: its session ends with a goodbye.
	runIn(t, "", "lmdiag", "-n", "XDT_PLT_CCS", "-c", s.c())
	if st, err := statusOf(s, "CITRIX"); err != nil || st.Features[0].InUse != 1 || len(st.Sessions) != 1 {
		t.Errorf("after a second lmdiag: %+v %v, want only mps1's start-up license and session", st, err)
	}
}

// TestLmdiagSelection: a feature, and feature:KEYWORD=value, narrow what is diagnosed.
func TestLmdiagSelection(t *testing.T) {
	s := diagServer(t)
	for _, tc := range []struct {
		arg  string
		code int
		want string
	}{
		{"XDT_PLT_CCS", 0, `"XDT_PLT_CCS" v2030.0101, vendor: CITRIX, expiry: permanent` + "\n"},
		{"XDT_PLT_CCS:VERSION=2030.0101", 0, "This license can be checked out\n"},
		{"XDT_PLT_CCS:HOSTID=HOSTNAME=" + testHost, 0, "This license can be checked out\n"},
		{"MPS_ENT_CCU:EXPDATE=31-dec-2099", 252, "This license cannot be checked out because:\nLicensed number of users already reached. (-4)"},
		{"XDT_ENT_UD", 0, "A new user or device can be licensed: 11 of 11 licenses are free"},
		{"XDT_PLT_CCS:VERSION=1999.0101", 251, "No such feature exists. (-5) no license line of XDT_PLT_CCS has VERSION=1999.0101"},
		{"NOPE_X_CCU", 251, "No such feature exists. (-5) NOPE_X_CCU is not served by this license server"},
		{"XDT_PLT_CCS:KEY=0123", 251, "no license line of XDT_PLT_CCS has KEY=0123"},
	} {
		t.Run(tc.arg, func(t *testing.T) {
			r := runIn(t, "", "lmdiag", "-n", "-c", s.c(), tc.arg)
			if r.code != tc.code || !strings.Contains(r.stdout, tc.want) {
				t.Errorf("exit %d (want %d), want %q in\n%s%s", r.code, tc.code, tc.want, r.stdout, r.stderr)
			}
			if strings.Count(r.stdout, "\n\"") > 1 {
				t.Errorf("more than the selected line diagnosed:\n%s", r.stdout)
			}
		})
	}
	for _, bad := range []string{"XDT:COLOR=red", ":VERSION=1", "XDT:VERSION="} {
		if r := runIn(t, "", "lmdiag", "-c", s.c(), bad); r.code != exitUsage || !strings.Contains(r.stderr, "FEATURE") {
			t.Errorf("%s: exit %d, stderr %q", bad, r.code, r.stderr)
		}
	}
}

// TestLmdiagServerDown: lmdiag says which port does not answer; interactive, it asks before
// looking on other ports, and -n never prompts.
func TestLmdiagServerDown(t *testing.T) {
	port := strconv.Itoa(closedPort(t))
	r := runIn(t, "n\n", "lmdiag", "-c", port+"@127.0.0.1")
	if r.code != 241 || !strings.Contains(r.stdout, "Port "+port+" on 127.0.0.1: Cannot connect to license server system. (-15)") {
		t.Errorf("exit %d:\n%s", r.code, r.stdout)
	}
	if !strings.Contains(r.stdout, "Would you like to look for the license server on the usual ports of 127.0.0.1 (27000-27009, 7279)? [y/n]: n\n") {
		t.Errorf("no question answered n:\n%s", r.stdout)
	}
	n := runIn(t, "", "lmdiag", "-n", "-c", port+"@127.0.0.1")
	if n.code != 241 || strings.Contains(n.stdout, "[y/n]") {
		t.Errorf("-n: exit %d, prompted:\n%s", n.code, n.stdout)
	}
}

// TestScanPorts: the port scan finds a licd where the given port is wrong ("It detects if
// the port number in the license file is incorrect").
func TestScanPorts(t *testing.T) {
	s := getFixture(t).srv
	closed := closedPort(t)
	got := scanPorts("127.0.0.1", []int{closed, s.VendorPort, s.LMPort}, s.VendorPort, 2*time.Second)
	if len(got) != 1 || got[0] != s.LMPort {
		t.Errorf("found %v, want [%d] (the vendor port was skipped, %d is closed)", got, s.LMPort, closed)
	}
}

// "lmdiag feature:keyword=value ... keyword is one of the following: VERSION, HOSTID,
// EXPDATE, KEY, VENDOR_STRING, ISSUER": KEY selects by the line's license key (licd's SIGN=,
// whole or its beginning) and ISSUER by ISSUER=, each diagnosing that line only.
func TestLmdiagKeyAndIssuer(t *testing.T) {
	s := startServer(t, map[string][]license.LineSpec{"two.lic": {
		{Feature: "XDT_PLT_CCS", Count: 3, CSS: 20300101, Permanent: true, Issuer: "Citrix"},
		{Feature: "XDT_PLT_CCS", Count: 5, CSS: 20310101, Permanent: true, Issuer: "Reseller Ltd"},
	}})
	r := runIn(t, "", "lmstat", "--json", "-c", s.c())
	var js statusJSON
	if err := json.Unmarshal([]byte(r.stdout), &js); err != nil || len(js.Servers) != 1 || js.Servers[0].Status == nil {
		t.Fatalf("lmstat --json: %v\n%s", err, r.stdout)
	}
	var second wire.PoolStatus
	for _, f := range js.Servers[0].Status.Features {
		for _, p := range f.Pools {
			if f.Feature == "XDT_PLT_CCS" && p.Version == "2031.0101" {
				second = p
			}
		}
	}
	if len(second.Signs) != 1 {
		t.Fatalf("the 2031 pool's signatures: %+v", second)
	}
	key := strings.ReplaceAll(second.Signs[0], " ", "")[:16]
	for _, tc := range []struct {
		arg, want string
		code      int
	}{
		{"XDT_PLT_CCS:KEY=" + key, `"XDT_PLT_CCS" v2031.0101`, 0},
		{"XDT_PLT_CCS:KEY=" + strings.ToLower(second.Signs[0][:14]), `"XDT_PLT_CCS" v2031.0101`, 0},
		{"XDT_PLT_CCS:ISSUER=citrix", `"XDT_PLT_CCS" v2030.0101`, 0},
		{"XDT_PLT_CCS:KEY=0000FFFF", "no license line of XDT_PLT_CCS has KEY=0000FFFF", 251},
		{"XDT_PLT_CCS:ISSUER=Nobody", "no license line of XDT_PLT_CCS has ISSUER=Nobody", 251},
	} {
		r := runIn(t, "", "lmdiag", "-n", "-c", s.c(), tc.arg)
		if r.code != tc.code || !strings.Contains(r.stdout, tc.want) || strings.Count(r.stdout, "\n\"") > 1 {
			t.Errorf("lmdiag %s: exit %d (want %d), want %q only:\n%s%s", tc.arg, r.code, tc.code, tc.want, r.stdout, r.stderr)
		}
	}

	// "-c license_file": that file's lines only. A copy of the file with only the second
	// line, its SERVER line given the server's port.
	text, err := os.ReadFile(filepath.Join(s.data, "MyFiles", "two.lic"))
	if err != nil {
		t.Fatal(err)
	}
	copyText := strings.Replace(string(text), "SERVER this_host HOSTNAME="+testHost, "SERVER this_host HOSTNAME="+testHost+" "+strconv.Itoa(s.LMPort), 1)
	i2030 := strings.Index(copyText, "INCREMENT XDT_PLT_CCS CITRIX 2030.0101")
	i2031 := strings.Index(copyText, "INCREMENT XDT_PLT_CCS CITRIX 2031.0101")
	if i2030 < 0 || i2031 < 0 {
		t.Fatalf("unexpected license file:\n%s", text)
	}
	if i2030 < i2031 {
		copyText = copyText[:i2030] + copyText[i2031:]
	} else {
		copyText = copyText[:i2030]
	}
	one := filepath.Join(t.TempDir(), "one.lic")
	if err := os.WriteFile(one, []byte(copyText), 0o644); err != nil {
		t.Fatal(err)
	}
	r = runIn(t, "", "lmdiag", "-n", "-c", one)
	if r.code != 0 || !strings.Contains(r.stdout, `"XDT_PLT_CCS" v2031.0101`) || strings.Contains(r.stdout, "v2030.0101") || strings.Contains(r.stdout, `"CITRIX"`) {
		t.Errorf("lmdiag -c %s: exit %d, want the 2031 line only:\n%s%s", one, r.code, r.stdout, r.stderr)
	}
}
