package daemon_test

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/licd/licd/license"
	"github.com/licd/licd/wire"
)

// A flood of hellos from one address cannot take the start-up pool: hellos are rate
// limited per address, sessions per address are bounded, and the start-up license of a
// session that never checked anything out goes back soon after its connection ends, not
// after the hour-long linger.
func TestHelloFloodCannotDrainTheStartupPool(t *testing.T) {
	const maxPerAddr = 30
	f := newFixture(t)
	f.issue("ccs.lic", license.LineSpec{Feature: "XDT_PLT_CCS", Count: 10})
	s := f.start("-product-strict-loopback", "-product-hello-rate", "100", "-product-hello-burst", "60",
		"-max-sessions-per-addr", fmt.Sprint(maxPerAddr), "-idle-linger", "300ms", "-linger", "1h")
	var conns []*wire.RawConn
	accepted, tooMany := 0, 0
	for i := range 150 {
		rc, _, err := rawHello(t, s, wire.Hello{ClientID: fmt.Sprint("flood-", i), Product: "XDT", Host: fmt.Sprint("flood-", i)})
		conns = append(conns, rc)
		if err == nil {
			accepted++
			continue
		}
		we, ok := err.(*wire.Error)
		if !ok || we.Code != wire.CodeTooManySessions {
			t.Fatalf("hello %d: %v, want success or code %d", i, err, wire.CodeTooManySessions)
		}
		tooMany++
	}
	if accepted > maxPerAddr || tooMany == 0 {
		t.Fatalf("150 hellos from one address: %d accepted, %d refused; want at most %d accepted", accepted, tooMany, maxPerAddr)
	}
	rc, _, err := rawHello(t, s, wire.Hello{ClientID: "one-more", Product: "XDT", Host: "one-more"})
	wantCode(t, err, wire.CodeTooManySessions)
	rc.Close()
	for _, c := range conns {
		c.Close()
	}
	// The sessions did nothing: their start-up licenses return after the idle linger, and
	// the address may open sessions again.
	var good *wire.RawConn
	eventually(t, 10*time.Second, "the idle sessions' start-up licenses to return", func() bool {
		c, _, err := rawHello(t, s, wire.Hello{ClientID: "good", Product: "XDT", Host: "good"})
		if err != nil {
			c.Close()
			time.Sleep(100 * time.Millisecond)
			return false
		}
		good = c
		return true
	})
	var g wire.Grant
	if err := good.Request(&wire.Checkout{Feature: "XDT_PLT_CCS", User: "u", Device: "good-pc"}, &g); err != nil {
		t.Fatalf("the good product's checkout: %v", err)
	}
	st, err := wire.DialRaw(ctx(t), s.VendorAddr(), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var res wire.QueryResult
	if err := st.Request(&wire.Query{Kind: "status", Feature: "CITRIX"}, &res); err != nil {
		t.Fatal(err)
	}
	var status wire.Status
	if err := json.Unmarshal(res.JSON, &status); err != nil {
		t.Fatal(err)
	}
	for _, fs := range status.Features {
		if fs.Feature == "CITRIX" && fs.InUse > 1 {
			t.Fatalf("%d start-up licenses in use after the flood ended, want only the good product's", fs.InUse)
		}
	}
}
