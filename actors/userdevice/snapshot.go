package userdevice

import (
	"math"
	"sort"
	"time"
)

// Usage is what udadmin -list, lmstat and Call Home report for a feature.
type Usage struct {
	Feature                        string
	Model                          Model
	Purchased, Overdraft           int
	Installed                      int // purchased + overdraft ("License overdraft")
	InUse                          int // users plus devices licensed
	OverdraftInUse                 int // licenses in use beyond the purchased count
	Users, Devices                 []License
	Pairs, LiveConnections         int
	UsersReleased, DevicesReleased int64
	// LastOptimization is zero before the first one. Licenses granted since then are
	// listed; the savings of the next optimization are not yet ("Optimization might delay
	// status information until the next optimization").
	LastOptimization, NextOptimization time.Time
}

// Counts is Snapshot without the users and devices: the counts lmstat's summary, the
// Dashboard and the metrics read, without listing (and sorting) every license while the
// feature's connections wait.
func (f *Feature) Counts(now time.Time) Usage {
	inUse, over := f.InUse()
	u := Usage{
		Feature: f.name, Model: f.model,
		Purchased: f.purchased, Overdraft: f.overdraft, Installed: f.purchased + f.overdraft,
		InUse: inUse, OverdraftInUse: over,
		Pairs: f.pairs.len(), LiveConnections: f.live,
		UsersReleased: f.usersReleased, DevicesReleased: f.devicesReleased,
		NextOptimization: f.NextOptimization(now),
	}
	if f.optimizedOnce {
		u.LastOptimization = unixTime(f.lastOpt)
	}
	return u
}

// Snapshot reports the feature's usage at now, users and devices sorted by name.
func (f *Feature) Snapshot(now time.Time) Usage {
	u := f.Counts(now)
	for _, l := range f.Licenses(now) {
		if l.Kind == KindUser {
			u.Users = append(u.Users, l)
		} else {
			u.Devices = append(u.Devices, l)
		}
	}
	return u
}

// Licenses returns every license held, users first, each sorted by name, with the lease end
// as seen at now: the latest lease end of the pairs it covers.
func (f *Feature) Licenses(now time.Time) []License {
	t := now.UnixNano()
	userEnd, userSeen := make([]int64, len(f.users.name)), make([]int64, len(f.users.name))
	deviceEnd, deviceSeen := make([]int64, len(f.devices.name)), make([]int64, len(f.devices.name))
	for p := range f.pairs.len() {
		end, seen := f.pairEnd(int32(p), t), f.pairs.lastSeen[p]
		u, d := f.pairs.user[p], f.pairs.device[p]
		userEnd[u], userSeen[u] = max(userEnd[u], end), max(userSeen[u], seen)
		deviceEnd[d], deviceSeen[d] = max(deviceEnd[d], end), max(deviceSeen[d], seen)
	}
	out := make([]License, 0, f.users.count+f.devices.count)
	out = appendLicenses(out, &f.users, KindUser, userEnd, userSeen)
	return appendLicenses(out, &f.devices, KindDevice, deviceEnd, deviceSeen)
}

func appendLicenses(out []License, n *names, kind Kind, end, seen []int64) []License {
	from := len(out)
	for id, on := range n.licensed {
		if on {
			out = append(out, License{Kind: kind, Name: n.name[id],
				Since: unixTime(n.since[id]), LeaseEnd: unixTime(end[id]), LastSeen: unixTime(seen[id])})
		}
	}
	part := out[from:]
	sort.Slice(part, func(i, j int) bool { return part[i].Name < part[j].Name })
	return out
}

// Edges returns every pair, for a full checkpoint; Decision.Edge, Disconnect and Released
// carry the changes one by one.
func (f *Feature) Edges() []Edge {
	out := make([]Edge, f.pairs.len())
	for p := range out {
		out[p] = f.edge(int32(p))
	}
	return out
}

// Events returns the events the ring still holds, oldest first.
func (f *Feature) Events() []Event { return f.events.since(0, nil) }

// EventsSince appends to dst the events with Seq after seq, oldest first: an integrator that
// persists events passes the Seq of the last one it stored.
func (f *Feature) EventsSince(seq uint64, dst []Event) []Event { return f.events.since(seq, dst) }

// ResumeEvents numbers the next event lastSeq+1, so that the sequence of a feature's events
// continues across restarts (call it after Restore with the Seq of the last persisted event).
func (f *Feature) ResumeEvents(lastSeq uint64) {
	f.events.resume(lastSeq)
}

// Restore replaces the feature's state with persisted records (after a restart). Names are
// taken as stored, not normalized again. Licenses of users or devices without pairs, or of a
// kind the model does not license, are dropped; a pair left uncovered is covered again by its
// user (its device in per device features). The changes against the given licenses are
// returned so that they can be persisted.
func (f *Feature) Restore(edges []Edge, licenses []License, usersReleased, devicesReleased int64) []Change {
	f.reset()
	f.inFlight = false
	f.optimizedOnce = false
	f.usersReleased, f.devicesReleased = usersReleased, devicesReleased
	for _, e := range edges {
		user, device := e.User, e.Device
		switch f.model {
		case ModelPerUser, ModelNamedUser:
			device = ""
		case ModelPerDevice:
			user = ""
		}
		u, d := f.users.intern(user), f.devices.intern(device)
		first, last := e.First.UnixNano(), e.LastSeen.UnixNano()
		live := int32(min(max(e.Live, 0), math.MaxInt32))
		if p, ok := f.pairs.find(u, d); ok {
			// Duplicate records (e.g. names that fold together): merge them.
			f.pairs.first[p] = min(f.pairs.first[p], first)
			f.pairs.lastSeen[p] = max(f.pairs.lastSeen[p], last)
			if f.pairs.live[p] == 0 && live > 0 {
				f.live++
			}
			f.pairs.live[p] += live
			continue
		}
		f.pairs.add(u, d, first, last, live)
		f.users.degree[u]++
		f.devices.degree[d]++
		if live > 0 {
			f.live++
		}
	}
	var changes []Change
	for _, l := range licenses {
		n := &f.users
		if l.Kind == KindDevice {
			n = &f.devices
		}
		id, ok := n.lookup(l.Name)
		if !ok || !f.licenses(l.Kind) {
			changes = append(changes, Change{Kind: l.Kind, Name: l.Name})
			continue
		}
		n.setLicensed(id, true, l.Since.UnixNano())
	}
	f.minEnd = math.MaxInt64
	for p := range f.pairs.len() {
		u, d := f.pairs.user[p], f.pairs.device[p]
		if f.model == ModelNamedUser || f.pairs.live[p] == 0 {
			f.minEnd = min(f.minEnd, f.pairEnd(int32(p), 0))
		}
		if f.users.licensed[u] || f.devices.licensed[d] {
			continue
		}
		kind, n, id := KindUser, &f.users, u
		if f.model == ModelPerDevice {
			kind, n, id = KindDevice, &f.devices, d
		}
		since := f.pairs.first[p]
		n.setLicensed(id, true, since)
		changes = append(changes, Change{Kind: kind, Name: n.name[id], Licensed: true, Since: unixTime(since)})
	}
	return changes
}

// licenses says whether the model licenses this kind.
func (f *Feature) licenses(k Kind) bool {
	switch f.model {
	case ModelUserDevice:
		return k == KindUser || k == KindDevice
	case ModelPerDevice:
		return k == KindDevice
	}
	return k == KindUser
}
