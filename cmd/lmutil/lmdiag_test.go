package main

import (
	"context"
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
		{"XDT_PLT_CCS:KEY=0123", wire.CodeBadRequest.ExitStatus(), "cannot select lines by KEY"},
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
