package userdevice

import (
	"sort"
	"testing"
	"time"
)

// t0 is an arbitrary fixed start for walked clocks.
var t0 = time.Date(2024, 8, 12, 9, 0, 0, 0, time.UTC)

const day = 24 * time.Hour

func newUD(t testing.TB, purchased, overdraft int) *Feature {
	t.Helper()
	return NewFeature("XDT_PLT_UD", ModelUserDevice, purchased, overdraft, DefaultConfig())
}

func mustConnect(t testing.TB, f *Feature, user, device string, now time.Time) Decision {
	t.Helper()
	d, err := f.Connect(user, device, now)
	if err != nil {
		t.Fatalf("Connect(%q, %q): %v", user, device, err)
	}
	return d
}

// optimize runs the three optimization steps as an actor would.
func optimize(f *Feature, now time.Time) []Change {
	in := f.PrepareOptimization(now)
	if in == nil {
		return nil
	}
	return f.ApplyOptimization(Optimize(in), now)
}

// licensed returns the licensed user and device names, sorted.
func licensed(f *Feature, now time.Time) (users, devices []string) {
	users, devices = []string{}, []string{}
	for _, l := range f.Licenses(now) {
		if l.Kind == KindUser {
			users = append(users, l.Name)
		} else {
			devices = append(devices, l.Name)
		}
	}
	sort.Strings(users)
	sort.Strings(devices)
	return users, devices
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
