package userdevice

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// "License assignment period": the lease ends 90 days after the last disconnect; a second
// before it the license is held, a second after it is gone.
func TestLeaseEndsNinetyDaysAfterDisconnect(t *testing.T) {
	f := newUD(t, 10, 0)
	mustConnect(t, f, "alice", "pc", t0)
	off := t0.Add(8 * time.Hour)
	if e, ok := f.Disconnect("alice", "pc", off); !ok || e.Live != 0 || !e.LastSeen.Equal(off) {
		t.Fatalf("disconnect: %+v %v", e, ok)
	}
	if l := f.Licenses(off); len(l) != 1 || !l[0].LeaseEnd.Equal(off.Add(90*day)) {
		t.Fatalf("licenses after disconnect: %+v, want alice until %v", l, off.Add(90*day))
	}
	if r := f.Expire(off.Add(90*day - time.Second)); len(r) != 0 {
		t.Fatalf("a second before the lease ends: released %+v", r)
	}
	if n, _ := f.InUse(); n != 1 {
		t.Fatalf("in use %d before the lease ends, want 1", n)
	}
	r := f.Expire(off.Add(90*day + time.Second))
	if len(r) != 1 || r[0].User != "alice" || r[0].Device != "pc" || !r[0].UserLicenseEnded || r[0].DeviceLicenseEnded {
		t.Fatalf("90 days and a second later: released %+v, want alice/pc with alice's license", r)
	}
	if !r[0].LeaseEnd.Equal(off.Add(90 * day)) {
		t.Errorf("lease end %v, want %v", r[0].LeaseEnd, off.Add(90*day))
	}
	if u := f.Snapshot(off.Add(91 * day)); u.InUse != 0 || u.Pairs != 0 || len(u.Users) != 0 {
		t.Errorf("after expiry: %+v, want nothing held", u)
	}
}

// "The period is renewed to a full 90 days during the life of the connection."
func TestLeaseRenewedWhileConnected(t *testing.T) {
	f := newUD(t, 10, 0)
	mustConnect(t, f, "alice", "pc", t0)
	later := t0.Add(200 * day)
	if r := f.Expire(later); len(r) != 0 {
		t.Fatalf("connected for 200 days: released %+v", r)
	}
	if l := f.Licenses(later); len(l) != 1 || !l[0].LeaseEnd.Equal(later.Add(90*day)) {
		t.Fatalf("lease while connected: %+v, want a full 90 days from now", l)
	}
	f.Disconnect("alice", "pc", later)
	if r := f.Expire(later.Add(89 * day)); len(r) != 0 {
		t.Fatalf("89 days after the disconnect: released %+v", r)
	}
	if r := f.Expire(later.Add(90*day + time.Second)); len(r) != 1 {
		t.Fatalf("90 days after the disconnect: released %+v, want the pair", r)
	}
}

// The lease of a user ends 90 days after its last device disconnects; two connections of the
// same pair keep it connected until both close.
func TestLeaseFollowsLastConnection(t *testing.T) {
	f := newUD(t, 10, 0)
	mustConnect(t, f, "alice", "pc", t0)
	mustConnect(t, f, "alice", "pc", t0) // a second session on the same device
	mustConnect(t, f, "alice", "phone", t0)
	f.Disconnect("alice", "phone", t0.Add(time.Hour))
	f.Disconnect("alice", "pc", t0.Add(time.Hour))
	f.Disconnect("alice", "pc", t0.Add(30*day)) // the last session closes a month later
	r := f.Expire(t0.Add(91 * day))
	if len(r) != 1 || r[0].Device != "phone" || r[0].UserLicenseEnded {
		t.Fatalf("day 91: released %+v, want only alice/phone with alice still licensed", r)
	}
	if n, _ := f.InUse(); n != 1 {
		t.Fatalf("alice's license lasts while pc's lease does: in use %d", n)
	}
	r = f.Expire(t0.Add(120*day + time.Second))
	if len(r) != 1 || r[0].Device != "pc" || !r[0].UserLicenseEnded {
		t.Fatalf("day 120: released %+v, want alice/pc and alice's license", r)
	}
	if _, ok := f.Disconnect("alice", "pc", t0.Add(121*day)); ok {
		t.Error("disconnect of a pair that expired reported a change")
	}
}

func TestLeaseConfigurable(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Lease = time.Hour
	f := NewFeature("F", ModelUserDevice, 1, 0, cfg)
	mustConnect(t, f, "a", "b", t0)
	f.Disconnect("a", "b", t0)
	if r := f.Expire(t0.Add(time.Hour + time.Second)); len(r) != 1 {
		t.Fatalf("one-hour lease: released %+v after an hour", r)
	}
}

// udadmin -delete ("Release licenses for users or devices"): the user's pairs go now, its
// license ends, and the release is counted (Call Home UDAdminUsersReleased).
func TestReleaseUserAndDevice(t *testing.T) {
	f := newUD(t, 10, 0)
	mustConnect(t, f, "ann", "kiosk", t0)
	mustConnect(t, f, "bob", "kiosk", t0)
	mustConnect(t, f, "bob", "laptop", t0)
	mustConnect(t, f, "cid", "dn01.88", t0)
	optimize(f, t0) // ann and bob are users: {ann, bob} beats {kiosk, bob} on the tie

	r, err := f.Release(KindUser, "ann@corp.example", t0.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if len(r) != 1 || r[0].User != "ann" || !r[0].UserLicenseEnded || !r[0].LeaseEnd.Equal(t0.Add(time.Hour)) {
		t.Fatalf("release ann: %+v, want ann/kiosk ending now with ann's license", r)
	}
	r, err = f.Release(KindDevice, "dn01.88", t0.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	// cid used only dn01.88: releasing the device removes cid's only pair and cid's license.
	if len(r) != 1 || !r[0].UserLicenseEnded || r[0].User != "cid" {
		t.Fatalf("release dn01.88: %+v, want cid's license to end with it", r)
	}
	if users, devices := f.ReleasedCounts(); users != 1 || devices != 1 {
		t.Errorf("released counts %d users %d devices, want 1 and 1", users, devices)
	}
	users, devices := licensed(f, t0.Add(time.Hour))
	if !equalStrings(users, []string{"bob"}) || len(devices) != 0 {
		t.Errorf("left: users %v devices %v, want bob only", users, devices)
	}
	if _, err := f.Release(KindUser, "ann", t0.Add(time.Hour)); !errors.Is(err, ErrUnknownName) || !strings.Contains(err.Error(), "udadmin -list") {
		t.Errorf("releasing ann twice: %v, want an unknown-name error that says what to do", err)
	}
	if users, _ := f.ReleasedCounts(); users != 1 {
		t.Errorf("a failed release was counted: %d", users)
	}
	if _, err := f.Release(KindUser, "", t0); !errors.Is(err, ErrBadName) {
		t.Errorf("release of an empty name: %v, want ErrBadName", err)
	}
	// The released user may come back later and takes a license again.
	if d := mustConnect(t, f, "ann", "kiosk", t0.Add(2*time.Hour)); !d.NewLicense {
		t.Errorf("ann back after release: %+v, want a new license", d)
	}
}

func TestReleaseKindMustFitModel(t *testing.T) {
	f := NewFeature("CTX_PU", ModelPerUser, 10, 0, DefaultConfig())
	mustConnect(t, f, "ann", "pc", t0)
	if _, err := f.Release(KindDevice, "pc", t0); err == nil || !strings.Contains(err.Error(), "release the user") {
		t.Errorf("releasing a device of a per user feature: %v, want advice to release the user", err)
	}
	g := NewFeature("CTX_PD", ModelPerDevice, 10, 0, DefaultConfig())
	if _, err := g.Release(KindUser, "ann", t0); err == nil || !strings.Contains(err.Error(), "release the device") {
		t.Errorf("releasing a user of a per device feature: %v", err)
	}
}
