package main

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/licd/licd/license"
	"github.com/licd/licd/wire"
)

// productLines are the licenses of the test servers: a concurrent feature with a vendor
// string, one with a single dated license, and a user/device feature with the default
// overdraft.
func productLines() []license.LineSpec {
	return []license.LineSpec{
		{Feature: "XDT_PLT_CCS", Count: 3, CSS: 20300101, Permanent: true, VendorString: ";LT=Retail;GP=720;SA=0"},
		{Feature: "MPS_ENT_CCU", Count: 1, CSS: 20290101, Expiry: time.Date(2099, 12, 31, 0, 0, 0, 0, time.UTC)},
		{Feature: "XDT_ENT_UD", Count: 10, CSS: 20300101, Permanent: true, Overdraft: -1},
	}
}

// statusFixture is a licd with known checkouts, shared by the read-only tests:
//
//	XDT_PLT_CCS  alice and bob on device dev-01 (one shared license), carol on dev-02
//	MPS_ENT_CCU  dave on dev-03: the only license, so a further checkout is refused
//	XDT_ENT_UD   erin on dev-04: a user license
//
// plus the start-up license of the product server ddc1.example.com that holds them.
type statusFixture struct {
	srv         *testServer
	client      *wire.Client
	carolHandle uint64
}

var (
	fixtureOnce sync.Once
	fixture     *statusFixture
	fixtureErr  error
)

// getFixture starts the status fixture once; a failed set-up fails every test that needs it.
func getFixture(t *testing.T) *statusFixture {
	t.Helper()
	fixtureOnce.Do(func() { fixture, fixtureErr = newStatusFixture() })
	if fixtureErr != nil {
		t.Fatalf("status fixture: %v", fixtureErr)
	}
	return fixture
}

func newStatusFixture() (*statusFixture, error) {
	srv, err := launch("status", map[string][]license.LineSpec{"products.lic": productLines()})
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := wire.Dial(ctx, []string{srv.Addr()}, wire.ClientOptions{ClientID: "ddc1", Product: "XDT",
		Host: "ddc1.example.com", Edition: "PLT", Model: "CCS", VersionDate: 20290101})
	if err != nil {
		return nil, err
	}
	cleanups = append(cleanups, func() { c.Close() })
	f := &statusFixture{srv: srv, client: c}
	for _, co := range []struct{ feature, user, device string }{
		{"XDT_PLT_CCS", "alice", "dev-01"}, {"XDT_PLT_CCS", "bob", "dev-01"}, {"XDT_PLT_CCS", "carol", "dev-02"},
		{"MPS_ENT_CCU", "dave", "dev-03"}, {"XDT_ENT_UD", "erin", "dev-04"},
	} {
		g, err := c.Checkout(ctx, wire.Checkout{Feature: co.feature, User: co.user, Device: co.device,
			ClientHost: "ddc1.example.com", Display: "XDT", VersionDate: 20290101})
		if err != nil {
			return nil, err
		}
		if co.user == "carol" {
			f.carolHandle = g.Handle
		}
	}
	// User/device status is as of the last optimization ("Optimization might delay status
	// information"): wait until erin's license shows.
	err = poll(15*time.Second, func() (bool, error) {
		st, err := statusOf(srv, "XDT_ENT_UD")
		return err == nil && len(st.Features) == 1 && st.Features[0].InUse == 1, err
	})
	return f, err
}

// cleanups run before the servers stop (clients that hold licenses).
var cleanups []func()

// statusOf asks a server for its status (with the checkouts) through lmutil's connection.
func statusOf(s *testServer, feature string) (*wire.Status, error) {
	c, err := dial(context.Background(), target{Host: "127.0.0.1", Port: s.LMPort}, 5*time.Second)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	return c.status(feature, true)
}

// poll checks a condition of the server (never a fixed sleep standing in for it) until it
// holds, it fails, or the limit passes.
func poll(limit time.Duration, cond func() (bool, error)) error {
	deadline := time.Now().Add(limit)
	for {
		ok, err := cond()
		switch {
		case err != nil:
			return err
		case ok:
			return nil
		case time.Now().After(deadline):
			return fmt.Errorf("condition not met within %s", limit)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

var (
	handleRe = regexp.MustCompile(`\(([\w.\-]+)/(\d+) (\d+)\)`)
	flexRe   = regexp.MustCompile(`\b(Mon|Tue|Wed|Thu|Fri|Sat|Sun) \d{1,2}/\d{1,2} \d{1,2}:\d{2}\b`)
	ctimeRe  = regexp.MustCompile(`\b(Mon|Tue|Wed|Thu|Fri|Sat|Sun) [A-Z][a-z]{2} [ \d]\d \d{2}:\d{2}:\d{2} \d{4}`)
	isoRe    = regexp.MustCompile(`\d{4}-\d{2}-\d{2} \d{2}:\d{2}`)
)

// normalize replaces what differs from run to run (the data directory, the ports, the
// handles, the checkout times) so that a run's output can be compared with a golden file.
// A checkout line that names another port than the license manager's keeps it, so that the
// golden comparison catches it.
func (s *testServer) normalize(out string) string {
	out = strings.ReplaceAll(out, s.data, "DATA")
	lm := strconv.Itoa(s.LMPort)
	out = handleRe.ReplaceAllStringFunc(out, func(m string) string {
		sub := handleRe.FindStringSubmatch(m)
		port := sub[2]
		if port == lm {
			port = "27000"
		}
		return "(" + sub[1] + "/" + port + " HANDLE)"
	})
	out = strings.ReplaceAll(out, lm, "27000")
	out = strings.ReplaceAll(out, strconv.Itoa(s.VendorPort), "7279")
	out = flexRe.ReplaceAllString(out, "Ddd M/D H:MM")
	out = ctimeRe.ReplaceAllString(out, "Ddd Mmm DD HH:MM:SS YYYY")
	return isoRe.ReplaceAllString(out, "YYYY-MM-DD HH:MM")
}

// c is the -c argument that reaches s.
func (s *testServer) c() string { return strconv.Itoa(s.LMPort) + "@localhost" }
