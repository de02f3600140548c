package userdevice

import "strings"

// names interns user or device names to dense int32 ids and keeps what the feature knows of
// each: how many pairs it is in and whether (and since when) it holds a license. Ids of names
// that left are reused, but only once no optimization that may still refer to them is in
// flight (see Feature.retireIDs).
type names struct {
	ids      map[string]int32
	name     []string
	degree   []int32 // pairs this user or device is in
	licensed []bool
	since    []int64 // when the license was assigned, unix nanoseconds
	count    int     // how many are licensed
	free     []int32 // ids ready for reuse
	retiring []int32 // ids released while an optimization snapshot may still name them
}

func newNames() names { return names{ids: make(map[string]int32)} }

func (n *names) lookup(name string) (int32, bool) {
	id, ok := n.ids[name]
	return id, ok
}

func (n *names) intern(name string) int32 {
	if id, ok := n.ids[name]; ok {
		return id
	}
	return n.add(name)
}

// add gives a name known to be absent its id.
func (n *names) add(name string) int32 {
	// A copy, so that a name sliced out of a network buffer does not pin the whole buffer.
	name = strings.Clone(name)
	var id int32
	if k := len(n.free); k > 0 {
		id = n.free[k-1]
		n.free = n.free[:k-1]
		n.name[id], n.degree[id], n.licensed[id], n.since[id] = name, 0, false, 0
	} else {
		id = int32(len(n.name))
		n.name = append(n.name, name)
		n.degree = append(n.degree, 0)
		n.licensed = append(n.licensed, false)
		n.since = append(n.since, 0)
	}
	n.ids[name] = id
	return id
}

// setLicensed keeps count in step with the flags.
func (n *names) setLicensed(id int32, on bool, now int64) {
	if n.licensed[id] == on {
		return
	}
	n.licensed[id] = on
	if on {
		n.count++
		n.since[id] = now
	} else {
		n.count--
		n.since[id] = 0
	}
}

// drop forgets a name that is in no pair any more.
func (n *names) drop(id int32, inFlight bool) {
	n.setLicensed(id, false, 0)
	delete(n.ids, n.name[id])
	n.name[id] = ""
	if inFlight {
		n.retiring = append(n.retiring, id)
	} else {
		n.free = append(n.free, id)
	}
}

func (n *names) retire() {
	n.free = append(n.free, n.retiring...)
	n.retiring = n.retiring[:0]
}

// pairs holds every (user, device) pair with a lease, as parallel arrays indexed by pair
// number, plus a map from the packed ids to the pair number. Deleting moves the last pair into
// the hole, so the arrays stay dense and the optimizer copies two of them as they are.
type pairs struct {
	index    map[uint64]int32
	user     []int32
	device   []int32
	first    []int64 // when the pair first connected (a named user checkout starts here)
	lastSeen []int64 // last connect or disconnect, unix nanoseconds
	live     []int32 // open connections of this pair
}

func newPairs() pairs { return pairs{index: make(map[uint64]int32)} }

func pairKey(u, d int32) uint64 { return uint64(uint32(u))<<32 | uint64(uint32(d)) }

func (p *pairs) len() int { return len(p.user) }

func (p *pairs) find(u, d int32) (int32, bool) {
	i, ok := p.index[pairKey(u, d)]
	return i, ok
}

func (p *pairs) add(u, d int32, first, lastSeen int64, live int32) int32 {
	i := int32(len(p.user))
	p.index[pairKey(u, d)] = i
	p.user = append(p.user, u)
	p.device = append(p.device, d)
	p.first = append(p.first, first)
	p.lastSeen = append(p.lastSeen, lastSeen)
	p.live = append(p.live, live)
	return i
}

func (p *pairs) remove(i int32) {
	delete(p.index, pairKey(p.user[i], p.device[i]))
	last := int32(len(p.user) - 1)
	if i != last {
		p.user[i], p.device[i] = p.user[last], p.device[last]
		p.first[i], p.lastSeen[i], p.live[i] = p.first[last], p.lastSeen[last], p.live[last]
		p.index[pairKey(p.user[i], p.device[i])] = i
	}
	p.user, p.device = p.user[:last], p.device[:last]
	p.first, p.lastSeen, p.live = p.first[:last], p.lastSeen[:last], p.live[:last]
}
