package storage

import (
	"fmt"
	"math"
)

// ReserveIDs reserves n consecutive ids from the allocator called name (grant
// handles, session ids) and returns the first; ids start at 1, so 0 can mean
// "none". The new high-water mark is synced before ReserveIDs returns, so an id
// is never handed out twice, even across kill -9: ids reserved but unused before
// a crash are skipped, not reused. Each call is one synced write; reserve in
// blocks (thousands) and hand ids out from memory.
func (s *Store) ReserveIDs(name string, n uint64) (first uint64, err error) {
	if n == 0 {
		return 0, fmt.Errorf("storage: ReserveIDs(%q, 0): reserve at least one id", name)
	}
	s.idsMu.Lock()
	defer s.idsMu.Unlock()
	key := idsKey(nil, name)
	next := uint64(1)
	if _, err := s.get(key, func(val []byte) (err error) {
		next, err = decodeUint("id allocator "+name, key, val)
		return err
	}); err != nil {
		return 0, err
	}
	if next > math.MaxUint64-n {
		return 0, fmt.Errorf("storage: id allocator %q is exhausted (next %d, asked for %d)", name, next, n)
	}
	b := NewBatch()
	b.key = idsKey(b.key[:0], name)
	b.val = encodeUint(b.val[:0], next+n)
	b.set(opSet, b.key, b.val)
	if err := s.Commit(b); err != nil {
		return 0, fmt.Errorf("storage: reserving %d ids from %q: %w", n, name, err)
	}
	return next, nil
}
