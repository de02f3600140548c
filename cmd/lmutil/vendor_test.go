package main

import (
	"context"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/licd/licd/license"
	"github.com/licd/licd/wire"
)

// "lmdown -vendor CITRIX" stops the vendor daemon only: the license-manager port keeps
// answering lmstat (which shows FLEXlm's down line), the vendor port closes, new products
// are refused with -97; "lmreread -vendor CITRIX" starts it again on its port, the product
// that was connected comes back by itself, and the licenses it held were held throughout.
func TestLmdownVendorStopsOnlyTheVendorDaemon(t *testing.T) {
	s := startServer(t, map[string][]license.LineSpec{"ccs.lic": {{Feature: "XDT_PLT_CCS", Count: 10, CSS: 20300101, Permanent: true}}}, "-allow-lmdown")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c, err := wire.Dial(ctx, []string{s.Addr()}, wire.ClientOptions{ClientID: "ddc-v", Product: "XDT", Host: "ddc-v.example.com",
		ReconnectMin: 50 * time.Millisecond, ReconnectMax: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for i := range 3 {
		u := "u" + strconv.Itoa(i)
		if _, err := c.Checkout(ctx, wire.Checkout{Feature: "XDT_PLT_CCS", User: u, ClientHost: u + ".example.com", VersionDate: 20240101}); err != nil {
			t.Fatal(err)
		}
	}
	data := []string{"-c", s.c(), "-data", s.data}
	if r := runIn(t, "", "lmdown", append([]string{"-vendor", "CITRIX", "-q"}, data...)...); r.code != 0 {
		t.Fatalf("lmdown -vendor: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	st := runIn(t, "", "lmstat", "-a", "-c", s.c())
	if st.code != 0 || !strings.Contains(st.stdout, "CITRIX: The desired vendor daemon is down. (-97,121)") ||
		!strings.Contains(st.stdout, "Total of 3 licenses in use") {
		t.Errorf("lmstat -a with the vendor daemon down: exit %d\n%s%s", st.code, st.stdout, st.stderr)
	}
	if nc, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(s.VendorPort)), time.Second); err == nil {
		_ = nc.Close()
		t.Error("the vendor port still accepts connections after lmdown -vendor")
	}
	_, err = wire.Dial(ctx, []string{s.Addr()}, wire.ClientOptions{ClientID: "ddc-new", Product: "XDT", Host: "ddc-new.example.com"})
	if err == nil || !strings.Contains(err.Error(), "The desired vendor daemon is down. (-97)") {
		t.Errorf("a new product while the vendor daemon is down: %v, want -97", err)
	}

	if r := runIn(t, "", "lmreread", append([]string{"-vendor", "CITRIX"}, data...)...); r.code != 0 {
		t.Fatalf("lmreread -vendor: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if st := runIn(t, "", "lmstat", "-c", s.c()); !strings.Contains(st.stdout, "CITRIX: UP") {
		t.Errorf("lmstat after lmreread -vendor:\n%s", st.stdout)
	}
	if nc, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(s.VendorPort)), 5*time.Second); err != nil {
		t.Errorf("the vendor port is not back on %d: %v", s.VendorPort, err)
	} else {
		_ = nc.Close()
	}
	// The product reconnects by itself (it was in License caching mode meanwhile) and checks
	// out again: its three are still held.
	for {
		if active, _ := c.CachingMode(); !active {
			break
		}
		if ctx.Err() != nil {
			t.Fatal("the product did not come back")
		}
		time.Sleep(50 * time.Millisecond)
	}
	g, err := c.Checkout(ctx, wire.Checkout{Feature: "XDT_PLT_CCS", User: "u3", ClientHost: "u3.example.com", VersionDate: 20240101})
	if err != nil {
		t.Fatal(err)
	}
	if g.Cached {
		t.Fatalf("the checkout was granted from the cache, not by the server: %+v", g)
	}
	if st := runIn(t, "", "lmstat", "-a", "-c", s.c()); !strings.Contains(st.stdout, "Total of 4 licenses in use") {
		t.Errorf("after the cycle, want the 3 held and 1 new:\n%s", st.stdout)
	}
}
