package userdevice

import (
	"errors"
	"testing"
	"time"
)

// "Per user license": one license per distinct user, whatever the device; the device name is
// not even needed.
func TestPerUser(t *testing.T) {
	f := NewFeature("CTX_PU", ModelPerUser, 2, 0, DefaultConfig())
	mustConnect(t, f, "ann", "laptop", t0)
	if d := mustConnect(t, f, "ann", "", t0); d.NewLicense || d.Kind != KindUser || d.Edge.Device != "" {
		t.Fatalf("ann again without a device: %+v, want ann's license and no device", d)
	}
	mustConnect(t, f, "bob", "laptop", t0) // a shared device still costs a user license each
	if _, err := f.Connect("cid", "laptop", t0); !errors.Is(err, ErrLicensedNumberReached) {
		t.Fatalf("third user on 2 licenses: %v", err)
	}
	optimize(f, t0)
	users, devices := licensed(f, t0)
	if !equalStrings(users, []string{"ann", "bob"}) || len(devices) != 0 {
		t.Fatalf("per user after optimization: users %v devices %v, want ann and bob", users, devices)
	}
	f.Disconnect("ann", "laptop", t0)
	f.Disconnect("ann", "anything", t0)
	if r := f.Expire(t0.Add(90*day + time.Second)); len(r) != 1 || r[0].User != "ann" || !r[0].UserLicenseEnded {
		t.Fatalf("per user lease: released %+v, want ann", r)
	}
}

// "Per device license": one license per device, any number of users on it.
func TestPerDevice(t *testing.T) {
	f := NewFeature("CTX_PD", ModelPerDevice, 1, 0, DefaultConfig())
	d := mustConnect(t, f, "student1", "classroom-ws", t0)
	if d.Kind != KindDevice || d.Name != "classroom-ws" || !d.NewLicense {
		t.Fatalf("first use of a workstation: %+v, want a new device license", d)
	}
	if d := mustConnect(t, f, "", "classroom-ws", t0); d.NewLicense || d.Kind != KindDevice {
		t.Fatalf("another user on the workstation: %+v, want the same device license", d)
	}
	if _, err := f.Connect("student1", "laptop", t0); !errors.Is(err, ErrLicensedNumberReached) {
		t.Fatalf("a second device on one license: %v", err)
	}
	optimize(f, t0)
	if users, devices := licensed(f, t0); len(users) != 0 || !equalStrings(devices, []string{"classroom-ws"}) {
		t.Fatalf("per device: users %v devices %v", users, devices)
	}
	if _, err := f.Release(KindDevice, "classroom-ws", t0); err != nil {
		t.Fatal(err)
	}
	if _, devs := f.ReleasedCounts(); devs != 1 {
		t.Errorf("device releases %d, want 1", devs)
	}
}

// "Named user license (legacy)": checked out to a user for a preconfigured period, not tied
// to a device; the same user within the period takes no new license, even when
// disconnected; the period does not renew while connected.
func TestNamedUser(t *testing.T) {
	cfg := DefaultConfig()
	cfg.NamedUserPeriod = 30 * day
	f := NewFeature("NAMED", ModelNamedUser, 1, 0, cfg)
	d := mustConnect(t, f, "ann", "pc1", t0)
	if !d.NewLicense || d.Kind != KindUser || d.Edge.Device != "" {
		t.Fatalf("named user checkout: %+v", d)
	}
	f.Disconnect("ann", "pc1", t0.Add(time.Hour))
	if d := mustConnect(t, f, "ann", "pc2", t0.Add(10*day)); d.NewLicense {
		t.Fatalf("ann on another computer within the period: %+v, want no new license", d)
	}
	// Still connected at the end of the period: the checkout ends anyway.
	r := f.Expire(t0.Add(30*day + time.Second))
	if len(r) != 1 || !r[0].UserLicenseEnded || !r[0].LeaseEnd.Equal(t0.Add(30*day)) {
		t.Fatalf("end of the named period: released %+v, want ann's checkout ending at day 30", r)
	}
	if d := mustConnect(t, f, "ann", "pc1", t0.Add(31*day)); !d.NewLicense {
		t.Fatalf("after the period: %+v, want a new checkout", d)
	}
	// A request after the period but before Expire ran is a new checkout too.
	if d := mustConnect(t, f, "ann", "pc1", t0.Add(62*day)); !d.NewLicense || !d.Edge.First.Equal(t0.Add(62*day)) {
		t.Fatalf("period over, not yet expired: %+v, want a new checkout from day 62", d)
	}
	if r := f.Expire(t0.Add(62*day + 29*day)); len(r) != 0 {
		t.Fatalf("the new checkout runs its own period: released %+v", r)
	}
}
