package userdevice

import (
	"math"
	"time"
)

// Feature is the user/device state of one feature: its pairs with their leases, its licensed
// users and devices, counts and event log. It is not safe for concurrent use: one owner (an
// actor) calls its methods; only Optimize runs elsewhere, on a copied input.
type Feature struct {
	name                 string
	model                Model
	purchased, overdraft int
	cfg                  Config
	lease, namedPeriod   int64 // nanoseconds

	users, devices names
	pairs          pairs
	live           int    // pairs with at least one open connection
	generation     uint64 // bumped whenever the set of pairs changes
	minEnd         int64  // no pair's lease ends before this (unix ns); Expire skips until then

	usersReleased, devicesReleased int64
	events                         eventRing

	epoch         uint64 // numbers optimization snapshots; a result of an older one is stale
	inFlight      bool   // a snapshot was handed out and not yet applied
	optimizedGen  uint64 // generation the licenses were last optimized for
	optimizedOnce bool
	lastOpt       int64
	spare         *OptimizeInput // buffers handed back by ApplyOptimization
}

// Decision is the answer to a granted connection: the license that covers it.
type Decision struct {
	Kind       Kind   // whose license covers the connection
	Name       string // that user's or device's name
	NewLicense bool   // the connection took a license that was not held before
	NewPair    bool   // the pair was not known (or its named-user period restarted): persist Edge
	Edge       Edge   // the pair as it is now
}

// Edge is a persisted pair (storage.UDEdge). In per user and named user features Device is
// empty; in per device features User is empty.
type Edge struct {
	User, Device    string
	First, LastSeen time.Time
	Live            int
}

// License is a licensed user or device (storage.UDLicense). LeaseEnd is when the license
// ends if nothing connects again; while a pair is connected it is always a full lease away.
// LastSeen is the latest connect or disconnect of its pairs (Call Home timeLastLogin); it is
// derived from the pairs and not needed by Restore.
type License struct {
	Kind                      Kind
	Name                      string
	Since, LeaseEnd, LastSeen time.Time
}

// NewFeature returns an empty feature. purchased and overdraft are the installed counts
// ("License overdraft": installed = purchased + overdraft).
func NewFeature(name string, model Model, purchased, overdraft int, cfg Config) *Feature {
	if model < ModelUserDevice || model > ModelNamedUser {
		model = ModelUserDevice
	}
	cfg = cfg.withDefaults()
	f := &Feature{name: name, model: model, cfg: cfg}
	f.lease, f.namedPeriod = int64(cfg.Lease), int64(cfg.NamedUserPeriod)
	f.events = newEventRing(cfg.EventCapacity)
	f.reset()
	f.SetCounts(purchased, overdraft)
	return f
}

func (f *Feature) reset() {
	f.users, f.devices, f.pairs = newNames(), newNames(), newPairs()
	f.live = 0
	f.minEnd = math.MaxInt64
	f.generation++
}

// Name returns the feature name; Model its license model.
func (f *Feature) Name() string { return f.name }
func (f *Feature) Model() Model { return f.model }

// SetCounts changes the installed counts (lmreread). Licenses already held are kept even if
// they now exceed the count; new licenses are refused until consumption is back below it.
func (f *Feature) SetCounts(purchased, overdraft int) {
	f.purchased, f.overdraft = max(purchased, 0), max(overdraft, 0)
}

// InUse returns the licenses held and how many of them are overdraft ("License overdraft":
// consumption beyond the purchased count).
func (f *Feature) InUse() (inUse, overdraftInUse int) {
	inUse = f.users.count + f.devices.count
	return inUse, max(inUse-f.purchased, 0)
}

// parties maps a connection to the user and device this model licenses: per user ignores the
// device, per device the user, named user the device ("License types").
func (f *Feature) parties(user, device string) (string, string, error) {
	var err error
	if f.model != ModelPerDevice {
		if user, err = f.cfg.NormalizeUser(user); err != nil {
			return "", "", err
		}
	} else {
		user = ""
	}
	if f.model == ModelUserDevice || f.model == ModelPerDevice {
		if device, err = f.cfg.NormalizeDevice(device); err != nil {
			return "", "", err
		}
	} else {
		device = ""
	}
	return user, device, nil
}

// Connect records a connection and returns the license that covers it. It never waits for
// the optimizer: a connection whose user or device is licensed is granted at once; otherwise
// it takes one new license (a user license, "The default assignment is a user license"; a
// device license in per device features) if the installed count allows, else it is refused
// with a *LimitError. A bad name is a *NameError.
func (f *Feature) Connect(user, device string, now time.Time) (Decision, error) {
	user, device, err := f.parties(user, device)
	if err != nil {
		return Decision{}, err
	}
	t := now.UnixNano()
	uid, uok := f.users.lookup(user)
	did, dok := f.devices.lookup(device)
	p := int32(-1)
	if uok && dok {
		if i, ok := f.pairs.find(uid, did); ok {
			p = i
		}
	}
	covered := (uok && f.users.licensed[uid]) || (dok && f.devices.licensed[did])
	// "Named user license (legacy)": the same user again within the period takes no new
	// license; once the period is over the next request is a new checkout.
	checkoutOver := p >= 0 && f.model == ModelNamedUser && f.pairs.first[p]+f.namedPeriod <= t
	if !covered {
		if inUse, _ := f.InUse(); inUse >= f.purchased+f.overdraft {
			return Decision{}, &LimitError{Feature: f.name, InUse: inUse, Purchased: f.purchased, Overdraft: f.overdraft}
		}
	}
	if !uok {
		uid = f.users.add(user)
	}
	if !dok {
		did = f.devices.add(device)
	}
	newPair := p < 0
	if p < 0 {
		p = f.pairs.add(uid, did, t, t, 0)
		f.users.degree[uid]++
		f.devices.degree[did]++
		f.generation++
		if f.model == ModelNamedUser {
			f.minEnd = min(f.minEnd, t+f.namedPeriod)
		}
	}
	if f.pairs.live[p] == 0 {
		f.live++
	}
	f.pairs.live[p]++
	f.pairs.lastSeen[p] = t
	f.events.add(Event{Time: now, Type: EventConnect, User: user, Device: device})

	d := Decision{Edge: f.edge(p), NewPair: newPair}
	switch {
	case covered && f.users.licensed[uid]:
		d.Kind, d.Name = KindUser, user
	case covered:
		d.Kind, d.Name = KindDevice, device
	case f.model == ModelPerDevice:
		d.Kind, d.Name, d.NewLicense = KindDevice, device, true
		f.devices.setLicensed(did, true, t)
	default:
		d.Kind, d.Name, d.NewLicense = KindUser, user, true
		f.users.setLicensed(uid, true, t)
	}
	if checkoutOver {
		f.pairs.first[p] = t
		f.users.since[uid] = t
		f.minEnd = min(f.minEnd, t+f.namedPeriod)
		d.NewLicense = true
		d.NewPair = true
		d.Edge = f.edge(p)
	}
	if d.NewLicense {
		f.events.add(Event{Time: now, Type: EventLicenseAssigned, Kind: d.Kind, Name: d.Name})
	}
	return d, nil
}

// Disconnect records that one connection of a pair closed. When the pair's last connection
// closes its lease starts running out ("License assignment period": it ends a full lease
// after the last disconnect). It returns the pair as it is now, or false if the pair has no
// open connection (an unknown pair, a bad name or a repeated disconnect).
func (f *Feature) Disconnect(user, device string, now time.Time) (Edge, bool) {
	user, device, err := f.parties(user, device)
	if err != nil {
		return Edge{}, false
	}
	uid, uok := f.users.lookup(user)
	did, dok := f.devices.lookup(device)
	if !uok || !dok {
		return Edge{}, false
	}
	p, ok := f.pairs.find(uid, did)
	if !ok || f.pairs.live[p] == 0 {
		return Edge{}, false
	}
	t := now.UnixNano()
	f.pairs.live[p]--
	f.pairs.lastSeen[p] = t
	if f.pairs.live[p] == 0 {
		f.live--
		f.minEnd = min(f.minEnd, f.pairEnd(p, t))
		f.events.add(Event{Time: now, Type: EventDisconnect, User: user, Device: device})
	}
	return f.edge(p), true
}

// pairEnd is when the lease of pair p ends, seen at time now: a full lease from now while it
// is connected, a full lease after its last disconnect otherwise; a named user checkout ends
// a period after it began, connected or not.
func (f *Feature) pairEnd(p int32, now int64) int64 {
	switch {
	case f.model == ModelNamedUser:
		return f.pairs.first[p] + f.namedPeriod
	case f.pairs.live[p] > 0:
		return now + f.lease
	}
	return f.pairs.lastSeen[p] + f.lease
}

func (f *Feature) edge(p int32) Edge {
	return Edge{
		User:     f.users.name[f.pairs.user[p]],
		Device:   f.devices.name[f.pairs.device[p]],
		First:    unixTime(f.pairs.first[p]),
		LastSeen: unixTime(f.pairs.lastSeen[p]),
		Live:     int(f.pairs.live[p]),
	}
}

func unixTime(ns int64) time.Time { return time.Unix(0, ns).UTC() }
