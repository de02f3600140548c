package userdevice

import "time"

// OptimizeInput is a copy of a feature's graph taken by PrepareOptimization: the pairs whose
// lease has not ended, as dense user and device ids. It shares nothing with the Feature, so
// Optimize may run on any goroutine while the feature keeps serving connections.
type OptimizeInput struct {
	model             Model
	epoch             uint64
	generation        uint64
	nUsers, nDevices  int
	users, devices    []int32
	work              coverWork
	coverU, coverV    []bool
	licenses, devLics int
}

// Pairs is the number of pairs the optimization covers.
func (in *OptimizeInput) Pairs() int { return len(in.users) }

// OptimizeResult is the minimum cover Optimize found; hand it to ApplyOptimization.
type OptimizeResult struct{ in *OptimizeInput }

// Licenses is the size of the cover (users plus devices) and Devices how many of those are
// device licenses.
func (r *OptimizeResult) Licenses() int { return r.in.licenses }
func (r *OptimizeResult) Devices() int  { return r.in.devLics }

// Change is a license assigned or withdrawn by ApplyOptimization (or repaired by Restore):
// persist Licensed ones as a storage.UDLicense and delete the others.
type Change struct {
	Kind     Kind
	Name     string
	Licensed bool
	Since    time.Time
}

// NextOptimization is when the feature should be optimized next ("License optimization":
// every five seconds below 5,000 unique connections, every five minutes from 5,000 up; the
// connections counted are the pairs connected now). Before the first optimization it is now.
func (f *Feature) NextOptimization(now time.Time) time.Time {
	if !f.optimizedOnce {
		return now
	}
	interval := f.cfg.FastInterval
	if f.live >= f.cfg.SlowThreshold {
		interval = f.cfg.SlowInterval
	}
	return unixTime(f.lastOpt).Add(interval)
}

// PrepareOptimization snapshots the pairs whose lease has not ended at now. It returns nil
// when there is nothing to optimize (no pair was added or removed since the last optimization
// and no lease has ended); that still counts as an optimization at now. Call Expire first so
// that ended leases are dropped rather than merely left out. A snapshot not yet applied is
// abandoned by the next PrepareOptimization.
func (f *Feature) PrepareOptimization(now time.Time) *OptimizeInput {
	t := now.UnixNano()
	f.epoch++
	f.users.retire()
	f.devices.retire()
	if f.optimizedOnce && f.optimizedGen == f.generation && t < f.minEnd {
		f.inFlight = false
		f.lastOpt = t
		return nil
	}
	in := f.spare
	f.spare = nil
	if in == nil {
		in = &OptimizeInput{}
	}
	in.model, in.epoch, in.generation = f.model, f.epoch, f.generation
	in.nUsers, in.nDevices = len(f.users.name), len(f.devices.name)
	n := f.pairs.len()
	in.users = grow(in.users, n)[:0]
	in.devices = grow(in.devices, n)[:0]
	if t < f.minEnd {
		in.users = append(in.users, f.pairs.user...)
		in.devices = append(in.devices, f.pairs.device...)
	} else {
		for p := range n {
			if f.pairEnd(int32(p), t) > t {
				in.users = append(in.users, f.pairs.user[p])
				in.devices = append(in.devices, f.pairs.device[p])
			}
		}
	}
	f.inFlight = true
	return in
}

// Optimize computes a minimum vertex cover of the input's graph that prefers users: the
// fewest licenses that cover every pair (Hopcroft-Karp maximum matching, then König's
// construction, see coverWork.konig). Per user, per device and named user features license
// every user (or device) that has a pair. Optimize is pure and touches only its input.
func Optimize(in *OptimizeInput) *OptimizeResult {
	in.coverU = grow(in.coverU, in.nUsers)
	in.coverV = grow(in.coverV, in.nDevices)
	clear(in.coverU)
	clear(in.coverV)
	switch in.model {
	case ModelPerUser, ModelNamedUser:
		for _, u := range in.users {
			in.coverU[u] = true
		}
	case ModelPerDevice:
		for _, d := range in.devices {
			in.coverV[d] = true
		}
	default:
		w := &in.work
		w.buildCSR(in.nUsers, in.users, in.devices)
		w.maxMatching(in.nUsers, in.nDevices)
		w.konig(in.nUsers, in.nDevices)
		for u := range in.nUsers {
			in.coverU[u] = w.inCoverUser(int32(u))
		}
		for d := range in.nDevices {
			in.coverV[d] = w.inCoverDevice(int32(d))
		}
	}
	in.licenses, in.devLics = 0, 0
	for _, c := range in.coverU {
		if c {
			in.licenses++
		}
	}
	for _, c := range in.coverV {
		if c {
			in.licenses++
			in.devLics++
		}
	}
	return &OptimizeResult{in: in}
}

// ApplyOptimization replaces the licenses by the optimized cover when that lowers
// consumption (fewer licenses, or as many with fewer device licenses) and returns what
// changed. The feature may have moved on since the snapshot: a pair connected since then stays
// covered by the license it was granted, and users or devices that left are not licensed
// again. A stale result (an older snapshot than the last PrepareOptimization) is ignored.
func (f *Feature) ApplyOptimization(r *OptimizeResult, now time.Time) []Change {
	if r == nil || r.in == nil {
		return nil
	}
	in := r.in
	r.in = nil
	if in.epoch != f.epoch || !f.inFlight {
		return nil
	}
	f.inFlight = false
	f.spare = in
	f.users.retire()
	f.devices.retire()
	t := now.UnixNano()
	f.lastOpt, f.optimizedOnce = t, true
	f.optimizedGen = in.generation

	// next starts as the cover, restricted to users and devices still in a pair, and grows
	// to keep pairs added since the snapshot covered as they were granted.
	nextU := extend(in.coverU, len(f.users.name))
	nextV := extend(in.coverV, len(f.devices.name))
	in.coverU, in.coverV = nextU, nextV
	for u, c := range nextU {
		nextU[u] = c && f.users.degree[u] > 0
	}
	for d, c := range nextV {
		nextV[d] = c && f.devices.degree[d] > 0
	}
	for p := range f.pairs.len() {
		u, d := f.pairs.user[p], f.pairs.device[p]
		if nextU[u] || nextV[d] || f.pairEnd(int32(p), t) <= t {
			continue
		}
		if f.users.licensed[u] {
			nextU[u] = true
		} else if f.devices.licensed[d] {
			nextV[d] = true
		}
	}
	total, devs := 0, 0
	for _, c := range nextU {
		if c {
			total++
		}
	}
	for _, c := range nextV {
		if c {
			total++
			devs++
		}
	}
	inUse, _ := f.InUse()
	if total > inUse || (total == inUse && devs >= f.devices.count) {
		return nil
	}
	// Assign before withdrawing, so that the log never shows a pair without a license.
	var changes []Change
	changes = f.applyCover(&f.users, KindUser, nextU, true, now, changes)
	changes = f.applyCover(&f.devices, KindDevice, nextV, true, now, changes)
	changes = f.applyCover(&f.users, KindUser, nextU, false, now, changes)
	changes = f.applyCover(&f.devices, KindDevice, nextV, false, now, changes)
	return changes
}

// applyCover makes the licenses of n that next turns to want so.
func (f *Feature) applyCover(n *names, kind Kind, next []bool, want bool, now time.Time, changes []Change) []Change {
	t := now.UnixNano()
	for id, w := range next {
		if w != want || n.licensed[id] == want {
			continue
		}
		n.setLicensed(int32(id), want, t)
		c := Change{Kind: kind, Name: n.name[id], Licensed: want}
		ev := EventOptimizedOut
		if want {
			c.Since, ev = now, EventOptimizedIn
		}
		changes = append(changes, c)
		f.events.add(Event{Time: now, Type: ev, Kind: kind, Name: c.Name})
	}
	return changes
}

// extend returns s grown to n, keeping its entries and with the new ones false.
func extend(s []bool, n int) []bool {
	old := len(s)
	switch {
	case old >= n:
		return s[:n]
	case cap(s) >= n:
		s = s[:n]
		clear(s[old:])
		return s
	}
	return append(s, make([]bool, n-old)...)
}
