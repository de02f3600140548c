package userdevice

import (
	"errors"
	"reflect"
	"testing"
)

// A new connection is decided at once: the first connection of a user takes a user license
// ("The default assignment is a user license"), the same user on another device takes none.
func TestConnectDefaultsToUserLicense(t *testing.T) {
	f := newUD(t, 10, 0)
	d := mustConnect(t, f, "alice", "laptop", t0)
	if d.Kind != KindUser || d.Name != "alice" || !d.NewLicense {
		t.Fatalf("first connection: %+v, want a new user license for alice", d)
	}
	d = mustConnect(t, f, "alice", "phone", t0)
	if d.Kind != KindUser || d.Name != "alice" || d.NewLicense {
		t.Fatalf("same user, second device: %+v, want alice's existing license", d)
	}
	if n, _ := f.InUse(); n != 1 {
		t.Fatalf("in use %d, want 1", n)
	}
}

// A device that the optimizer licensed covers a new user at once, without a new license.
func TestConnectCoveredByDeviceLicense(t *testing.T) {
	f := newUD(t, 10, 0)
	mustConnect(t, f, "ann", "kiosk", t0)
	mustConnect(t, f, "bob", "kiosk", t0)
	optimize(f, t0)
	_, devices := licensed(f, t0)
	if !equalStrings(devices, []string{"kiosk"}) {
		t.Fatalf("shared kiosk: device licenses %v, want [kiosk]", devices)
	}
	d := mustConnect(t, f, "cid", "kiosk", t0)
	if d.Kind != KindDevice || d.Name != "kiosk" || d.NewLicense {
		t.Fatalf("new user on the licensed kiosk: %+v, want the kiosk's device license", d)
	}
	if n, _ := f.InUse(); n != 1 {
		t.Fatalf("in use %d, want 1", n)
	}
}

// "License overdraft": installed = purchased + overdraft; beyond it a connection that needs a
// new license is refused, while connections covered by held licenses still pass.
func TestConnectOverdraftAndLimit(t *testing.T) {
	f := newUD(t, 2, 1)
	for _, u := range []string{"u1", "u2"} {
		mustConnect(t, f, u, u+"-pc", t0)
	}
	if n, over := f.InUse(); n != 2 || over != 0 {
		t.Fatalf("within purchased: in use %d overdraft %d, want 2 and 0", n, over)
	}
	mustConnect(t, f, "u3", "u3-pc", t0)
	if n, over := f.InUse(); n != 3 || over != 1 {
		t.Fatalf("into the overdraft: in use %d overdraft %d, want 3 and 1", n, over)
	}
	_, err := f.Connect("u4", "u4-pc", t0)
	var le *LimitError
	if !errors.As(err, &le) || !errors.Is(err, ErrLicensedNumberReached) {
		t.Fatalf("beyond purchased + overdraft: err %v, want a *LimitError", err)
	}
	if le.InUse != 3 || le.Purchased != 2 || le.Overdraft != 1 {
		t.Errorf("limit error %+v, want in use 3 of 2 + 1", le)
	}
	if u := f.Snapshot(t0); u.Pairs != 3 {
		t.Errorf("a refused connection left a pair behind: %d pairs, want 3", u.Pairs)
	}
	if d := mustConnect(t, f, "u1", "u1-laptop", t0); d.NewLicense || d.Name != "u1" {
		t.Errorf("licensed user at the limit: %+v, want u1's license", d)
	}
	// lmreread with more licenses lets the refused user in.
	f.SetCounts(4, 0)
	mustConnect(t, f, "u4", "u4-pc", t0)
	if n, over := f.InUse(); n != 4 || over != 0 {
		t.Errorf("after SetCounts(4, 0): in use %d overdraft %d, want 4 and 0", n, over)
	}
}

// Lowering the count below what is held keeps the held licenses and refuses new ones.
func TestSetCountsBelowUse(t *testing.T) {
	f := newUD(t, 3, 0)
	for _, u := range []string{"a", "b", "c"} {
		mustConnect(t, f, u, u, t0)
	}
	f.SetCounts(1, 0)
	if u := f.Snapshot(t0); u.InUse != 3 || u.OverdraftInUse != 2 || u.Installed != 1 {
		t.Fatalf("after lowering: %+v, want 3 in use, 2 beyond purchased, 1 installed", u)
	}
	if _, err := f.Connect("d", "d", t0); !errors.Is(err, ErrLicensedNumberReached) {
		t.Fatalf("new user above the lowered count: %v, want licensed number reached", err)
	}
}

// Counts is Snapshot without the users and devices.
func TestCountsIsSnapshotWithoutLicenses(t *testing.T) {
	f := newUD(t, 2, 1)
	for _, u := range []string{"a", "b", "c"} {
		mustConnect(t, f, u, u+"-pc", t0)
	}
	optimize(f, t0)
	full, counts := f.Snapshot(t0), f.Counts(t0)
	if counts.Users != nil || counts.Devices != nil {
		t.Fatalf("Counts listed licenses: %+v", counts)
	}
	if len(full.Users)+len(full.Devices) != 3 {
		t.Fatalf("Snapshot lists %d licenses, want 3", len(full.Users)+len(full.Devices))
	}
	full.Users, full.Devices = nil, nil
	if !reflect.DeepEqual(full, counts) {
		t.Fatalf("Counts %+v, want %+v", counts, full)
	}
}
