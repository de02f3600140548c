package history

import (
	"cmp"
	"slices"
)

// Reading is one pool's sample as stored: the same fields as storage.HistoryReading, so
// the daemon converts one into the other for free.
type Reading struct {
	Pool             uint64
	Installed, InUse uint64
	Peak             uint64
	OverdraftInUse   uint64
}

// slots maps pool numbers to a dense index of the pools a filter matches, in the order
// rows are written: product-edition, model, CSS date, pool id.
type slots struct {
	of    []int32 // by pool number; -1: not matched
	pools []*Pool
}

func newSlots(c *Catalog, m *matcher) slots {
	var s slots
	for _, p := range c.byNo {
		if m.pool(p) {
			s.pools = append(s.pools, p)
		}
	}
	slices.SortFunc(s.pools, func(a, b *Pool) int {
		return cmp.Or(cmp.Compare(a.ProductEdition(), b.ProductEdition()), cmp.Compare(a.Model, b.Model),
			cmp.Compare(a.CSS, b.CSS), cmp.Compare(a.ID, b.ID))
	})
	s.of = make([]int32, c.next)
	for i := range s.of {
		s.of[i] = -1
	}
	for i, p := range s.pools {
		s.of[p.No] = int32(i)
	}
	return s
}

// slot returns the index of a pool number, -1 when the filter does not match it (or the
// catalog does not know it).
func (s *slots) slot(no uint64) int {
	if no >= uint64(len(s.of)) {
		return -1
	}
	return int(s.of[no])
}
