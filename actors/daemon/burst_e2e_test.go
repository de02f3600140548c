package daemon_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/licd/licd/license"
	"github.com/licd/licd/wire"
)

func burstPool(t *testing.T, c *wire.Client, feature string) wire.PoolStatus {
	t.Helper()
	fs := featureStatus(t, c, feature)
	if len(fs.Pools) != 1 {
		t.Fatalf("%s has %d pools, want 1: %+v", feature, len(fs.Pools), fs.Pools)
	}
	return fs.Pools[0]
}

// "License burst mode": a full Retail pool starts 15 days of unlimited connections at the
// next checkout; the state survives kill -9; installing another Retail license ends it and
// re-arms it; an administrator can switch it off; other license types never burst.
func TestBurstModeEndToEnd(t *testing.T) {
	f := newFixture(t)
	retail := license.LineSpec{Feature: "XDT_PLT_CCS", Count: 3, VendorString: ";LT=Retail;GP=720;SA=0", SN: "retail-1"}
	f.issue("retail.lic", retail, license.LineSpec{Feature: "MPS_ENT_CCU", Count: 1, VendorString: ";LT=NFR;SA=0"})
	s := f.start()
	c := dial(t, s, "XDT")
	if p := burstPool(t, c, "XDT_PLT_CCS"); !p.Retail || !p.BurstArmed || p.BurstActive {
		t.Fatalf("a fresh Retail pool: %+v, want armed and not active", p)
	}
	for i := range 5 {
		grant(t, c, "XDT_PLT_CCS", fmt.Sprint("pc", i), 20240101)
	}
	p := burstPool(t, c, "XDT_PLT_CCS")
	if !p.BurstActive || p.BurstDaysLeft != 15 || p.BurstArmed || p.InUse != 5 {
		t.Fatalf("after 5 checkouts of 3 Retail licenses: %+v, want burst mode active for 15 days", p)
	}
	grant(t, c, "MPS_ENT_CCU", "nfr-1", 20240101)
	_, err := checkout(t, c, "MPS_ENT_CCU", "nfr-2", 20240101)
	wantCode(t, err, wire.CodeLicensedNumberReached)

	s.Kill()
	rctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.Restart(rctx); err != nil {
		t.Fatal(err)
	}
	c = dial(t, s, "XDT")
	if p := burstPool(t, c, "XDT_PLT_CCS"); !p.BurstActive || p.BurstStarted.IsZero() {
		t.Fatalf("after kill -9: %+v, want burst mode still active", p)
	}
	grant(t, c, "XDT_PLT_CCS", "after-restart", 20240101)

	// Switched off, a running period no longer lifts the count.
	token := adminToken(t, f)
	var bm struct{ Enabled bool }
	if err := c.Admin(ctx(t), token, "burst.disable", nil, &bm); err != nil || bm.Enabled {
		t.Fatalf("burst.disable: %+v %v", bm, err)
	}
	_, err = checkout(t, c, "XDT_PLT_CCS", "while-off", 20240101)
	wantCode(t, err, wire.CodeLicensedNumberReached)
	if err := c.Admin(ctx(t), token, "burst.enable", nil, &bm); err != nil || !bm.Enabled {
		t.Fatalf("burst.enable: %+v %v", bm, err)
	}
	grant(t, c, "XDT_PLT_CCS", "on-again", 20240101)

	// Another Retail license of the pool: the running period ends and the pool is armed.
	more := retail
	more.SN, more.Count = "retail-2", 2
	f.issue("retail-more.lic", more)
	var rr struct{}
	if err := c.Admin(ctx(t), token, "reread", nil, &rr); err != nil {
		t.Fatal(err)
	}
	p = burstPool(t, c, "XDT_PLT_CCS")
	if p.BurstActive || !p.BurstArmed {
		t.Fatalf("after installing another Retail license: %+v, want the burst ended and re-armed", p)
	}
}
