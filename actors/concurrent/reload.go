package concurrent

import "slices"

// Reload applies new pool definitions (an lmreread). A pool whose ID is known is updated in
// place (CSS date, count, expiry, start), so its licenses and handles stay; a new ID adds a
// pool. A pool no longer listed grants nothing more but is kept, marked removed, while devices
// still hold licenses from it, and goes away with its last one. A lowered count below the
// units in use behaves as after a reconcile: no new licenses from that pool until usage is
// back within the count. If an ID is listed twice the later spec wins.
func (f *Feature) Reload(specs []PoolSpec) {
	listed := make(map[string]bool, len(specs))
	for _, s := range specs {
		listed[s.ID] = true
		if p := f.byID[s.ID]; p != nil {
			p.apply(s)
			continue
		}
		p := newPool(s)
		f.byID[s.ID] = p
		f.pools = append(f.pools, p)
	}
	for _, p := range slices.Clone(f.pools) {
		if listed[p.id] {
			continue
		}
		p.removed = true
		if p.first == nil {
			f.deletePool(p)
		}
	}
	sortPools(f.pools)
}

func (f *Feature) deletePool(p *pool) {
	delete(f.byID, p.id)
	f.pools = slices.DeleteFunc(f.pools, func(q *pool) bool { return q == p })
}
