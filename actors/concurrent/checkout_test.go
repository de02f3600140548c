package concurrent

import (
	"testing"
	"time"

	"github.com/licd/licd/wire"
)

// "Concurrent license": "A user or endpoint device could connect to multiple sessions and use
// a single license"; the license is checked in when the device's last session ends.
func TestDeviceSessionsShareOneLicense(t *testing.T) {
	f := New("XDT_PLT_CCS", []PoolSpec{permanent("p", 20240101, 2)}, Config{})
	a := mustCheckout(t, f, req("dev1", 20230101), 1)
	b := mustCheckout(t, f, req("dev1", 20230101), 2)
	if a.Shared || !b.Shared || a.Units != 1 || b.Units != 1 {
		t.Fatalf("grants %+v %+v: want the second to share the first's unit", a, b)
	}
	if f.InUse() != 1 {
		t.Fatalf("in use %d after two sessions of one device, want 1", f.InUse())
	}
	// A second device needs its own license ("Multiple sessions at different computers use
	// multiple licenses").
	mustCheckout(t, f, req("dev2", 20230101), 3)
	if f.InUse() != 2 {
		t.Fatalf("in use %d with two devices, want 2", f.InUse())
	}
	if _, err := f.Checkout(req("dev3", 20230101), 4, now); err == nil || err.Code != wire.CodeLicensedNumberReached {
		t.Fatalf("third device on a count of 2: got %v, want licensed number reached", err)
	}
	// dev1 keeps its license while one of its sessions remains.
	if ok, released := f.Checkin(1); !ok || released {
		t.Fatalf("checkin of one of two sharers: ok=%v released=%v, want ok and not released", ok, released)
	}
	if f.InUse() != 2 {
		t.Fatalf("in use %d while dev1 still has a session, want 2", f.InUse())
	}
	if _, err := f.Checkout(req("dev3", 20230101), 4, now); err == nil {
		t.Fatal("dev3 got a license while dev1 still holds its unit")
	}
	// A new session of dev1 still joins its license even though the pool is full.
	if g := mustCheckout(t, f, req("dev1", 20230101), 5); !g.Shared {
		t.Fatalf("join on a full pool: %+v, want shared", g)
	}
	f.Checkin(5)
	if ok, released := f.Checkin(2); !ok || !released {
		t.Fatalf("checkin of the last sharer: ok=%v released=%v, want released", ok, released)
	}
	mustCheckout(t, f, req("dev3", 20230101), 4)
	if ok, _ := f.Checkin(99); ok {
		t.Fatal("checkin of an unknown handle succeeded")
	}
}

func TestCheckoutRefusesBadRequests(t *testing.T) {
	f := New("F", []PoolSpec{permanent("p", 20240101, 5)}, Config{})
	mustCheckout(t, f, req("dev1", 0), 1)
	_, err := f.Checkout(req("dev2", 0), 1, now)
	wantCode(t, err, wire.CodeBadRequest)
	_, err = f.Checkout(req("", 0), 2, now)
	wantCode(t, err, wire.CodeBadName)
	if f.InUse() != 1 || f.Holders() != 1 {
		t.Fatalf("refused requests changed state: in use %d, holders %d", f.InUse(), f.Holders())
	}
}

func TestDenialPrecedence(t *testing.T) {
	expired := PoolSpec{ID: "old", CSS: 20250101, Count: 5, Expiry: day(2024, 6, 14)}
	future := PoolSpec{ID: "next", CSS: 20250101, Count: 5, Permanent: true, Start: day(2024, 6, 16)}
	cases := []struct {
		name    string
		pools   []PoolSpec
		version uint32
		held    int // devices checked out before the request
		want    wire.Code
	}{
		{"no pool", nil, 20240101, 0, wire.CodeNoSuchFeature},
		{"all expired", []PoolSpec{expired}, 20240101, 0, wire.CodeExpired},
		{"none started", []PoolSpec{future}, 20240101, 0, wire.CodeNotYetStarted},
		{"expired or not started", []PoolSpec{expired, future}, 20240101, 0, wire.CodeNotYetStarted},
		{"expired before version", []PoolSpec{expired}, 20990101, 0, wire.CodeExpired},
		{"version newer than every CSS", []PoolSpec{permanent("p", 20240101, 5)}, 20240102, 0, wire.CodeVersionNewer},
		{"version equal to CSS", []PoolSpec{permanent("p", 20240101, 5)}, 20240101, 0, wire.OK},
		{"compatible pool full", []PoolSpec{permanent("p", 20240101, 2)}, 20240101, 2, wire.CodeLicensedNumberReached},
		{"newer pool full, older incompatible", []PoolSpec{permanent("a", 20230101, 5), permanent("b", 20240101, 1)}, 20240101, 1, wire.CodeLicensedNumberReached},
		{"expired skipped for a live pool", []PoolSpec{expired, permanent("p", 20240101, 1)}, 20240101, 0, wire.OK},
		{"not started skipped for a live pool", []PoolSpec{future, permanent("p", 20240101, 1)}, 20240101, 0, wire.OK},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := New("F", c.pools, Config{})
			for i := range c.held {
				mustCheckout(t, f, req(string(rune('a'+i)), c.version), uint64(100+i))
			}
			_, err := f.Checkout(req("z", c.version), 1, now)
			wantCode(t, err, c.want)
		})
	}
}

// Expiry: a pool is usable through the end of its expiry day; START: from its start day.
func TestExpiryAndStartDayBoundaries(t *testing.T) {
	spec := PoolSpec{ID: "p", CSS: 20250101, Count: 5, Expiry: day(2024, 3, 10), Start: day(2024, 3, 1)}
	f := New("F", []PoolSpec{spec}, Config{})
	cases := []struct {
		name string
		at   time.Time
		want wire.Code
	}{
		{"last minute of the expiry day", time.Date(2024, 3, 10, 23, 59, 0, 0, time.UTC), wire.OK},
		{"midnight after the expiry day", day(2024, 3, 11), wire.CodeExpired},
		{"start of the start day", day(2024, 3, 1), wire.OK},
		{"last minute before the start day", time.Date(2024, 2, 29, 23, 59, 0, 0, time.UTC), wire.CodeNotYetStarted},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			handle := uint64(i + 1)
			_, err := f.Checkout(req("dev", 20240101), handle, c.at)
			wantCode(t, err, c.want)
			f.Checkin(handle)
		})
	}
	if n := f.Installed(day(2024, 3, 11)); n != 0 {
		t.Fatalf("installed %d after expiry, want 0", n)
	}
	if n := f.Installed(day(2024, 3, 10)); n != 5 {
		t.Fatalf("installed %d on the expiry day, want 5", n)
	}
}
