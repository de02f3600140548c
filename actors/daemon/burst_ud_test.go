package daemon_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/licd/licd/license"
	"github.com/licd/licd/wire"
)

// The manual's Example 1 ("Overdraft and License burst mode examples"), with a walked clock:
// 1000 user/device Retail licenses and the 10% overdraft. d0: 1050 in use, the overdraft
// serves, no burst. d10: the 1101st user starts the 15-day burst and 1150 connect. d25: the
// burst has run out; nobody is disconnected, a new user is refused, and it stays so after a
// restart.
func TestBurstModeManualExample1UserDevice(t *testing.T) {
	d0 := time.Date(2027, 5, 3, 9, 0, 0, 0, time.UTC)
	clock := &fakeClock{now: d0}
	dir := t.TempDir()
	lines := []license.LineSpec{{Feature: "XDT_PLT_UD", Count: 1000, Overdraft: -1, CSS: 20991231, Permanent: true, VendorString: ";LT=Retail;SA=0"}}
	d := startDated(t, clock, lines, dir)
	defer func() { d.Shutdown() }()
	c, err := wire.Dial(context.Background(), []string{d.VendorAddr().String()}, wire.ClientOptions{ClientID: "ex1", Product: "XDT", Host: "ddc"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	connect := func(from, to int) (denied []wire.Code) {
		for start := from; start < to; start += 500 {
			var reqs []wire.Checkout
			for i := start; i < min(start+500, to); i++ {
				reqs = append(reqs, wire.Checkout{Feature: "XDT_PLT_UD", User: fmt.Sprint("user", i), Device: fmt.Sprint("pc", i)})
			}
			items, err := c.CheckoutBatch(ctx(t), reqs)
			if err != nil {
				t.Fatal(err)
			}
			for _, it := range items {
				if it.Denied.Code != wire.OK {
					denied = append(denied, it.Denied.Code)
				}
			}
		}
		return denied
	}
	pool := func() wire.PoolStatus {
		st, err := c.Status(ctx(t), "XDT_PLT_UD")
		if err != nil || len(st.Features) != 1 || len(st.Features[0].Pools) != 1 {
			t.Fatalf("status: %+v %v", st, err)
		}
		return st.Features[0].Pools[0]
	}
	if denied := connect(0, 1050); len(denied) != 0 || pool().BurstActive {
		t.Fatalf("d0, 1050 users of 1000 + 10%%: %d denied, burst %v; want the overdraft to serve them without a burst", len(denied), pool().BurstActive)
	}
	clock.Set(d0.AddDate(0, 0, 10))
	if denied := connect(1050, 1150); len(denied) != 0 {
		t.Fatalf("d10, users 1051 to 1150: %d denied (%v), want the 1101st to start burst mode", len(denied), denied[0])
	}
	if p := pool(); !p.BurstActive || p.BurstDaysLeft != 15 || !p.BurstStarted.Equal(d0.AddDate(0, 0, 10)) {
		t.Fatalf("d10: %+v, want a 15-day burst started on d10", p)
	}
	clock.Set(d0.AddDate(0, 0, 25))
	if denied := connect(1150, 1151); len(denied) != 1 || denied[0] != wire.CodeLicensedNumberReached {
		t.Fatalf("d25, a new user: denied %v, want licensed number reached", denied)
	}
	d.Shutdown()
	d = startDated(t, clock, lines, dir)
	c2, err := wire.Dial(context.Background(), []string{d.VendorAddr().String()}, wire.ClientOptions{ClientID: "ex1-b", Product: "XDT", Host: "ddc2"})
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	_, err = c2.Checkout(ctx(t), wire.Checkout{Feature: "XDT_PLT_UD", User: "newcomer", Device: "new-pc"})
	wantCode(t, err, wire.CodeLicensedNumberReached)
}
