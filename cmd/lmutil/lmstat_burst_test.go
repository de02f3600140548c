package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/licd/licd/wire"
)

// "License burst mode": a pool in its burst period says so under its pool line, with when it
// started and ends, so that an administrator sees why more is in use than issued; a pool that
// is only armed prints nothing more.
func TestLmstatShowsBurstMode(t *testing.T) {
	started := time.Date(2026, 12, 2, 1, 48, 0, 0, time.Local)
	fs := &wire.FeatureStatus{Feature: "MPS_ENT_UD", Issued: 4, InUse: 6, Overdraft: 1, OverdraftInUse: 3,
		Pools: []wire.PoolStatus{{ID: "p1", Version: "2026.1202", Expiry: "22-dec-2026", InUse: 6,
			BurstActive: true, BurstStarted: started, BurstUntil: started.AddDate(0, 0, 15), BurstDaysLeft: 15}}}
	var out bytes.Buffer
	writeFeature(&out, target{Host: "localhost", Port: 27000}, &wire.Status{}, fs)
	want := "  burst mode: started Wed 12/2 1:48, connections unlimited until Thu 12/17 1:48 (15 days left)\n"
	if !strings.Contains(out.String(), want) {
		t.Fatalf("no %q in\n%s", want, out.String())
	}
	if !strings.Contains(out.String(), "  overdraft: 1 license issued, 3 in use\n  burst mode:") {
		t.Errorf("the burst line belongs under the pool's overdraft line:\n%s", out.String())
	}
	fs.Pools[0].BurstActive, fs.Pools[0].BurstArmed = false, true
	out.Reset()
	writeFeature(&out, target{Host: "localhost", Port: 27000}, &wire.Status{}, fs)
	if strings.Contains(out.String(), "burst") {
		t.Errorf("an armed pool that is not bursting shows a burst line:\n%s", out.String())
	}
}
