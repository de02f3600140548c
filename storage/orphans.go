package storage

import "fmt"

// SweepGrants deletes, in one synced write, every grant whose product session is gone from
// the store or was released, and returns how many it deleted, and which sessions hold
// grants of features other than startup (the start-up license every session has). A session's end is
// written by the sessions actor and its grants' ends by each feature actor, in batches that
// become durable independently: a kill -9 between them leaves grants that no session will
// ever release. The daemon runs this at start, before any actor restores its state, so such
// licenses go back to their pools instead of being held for ever.
func (s *Store) SweepGrants(startup string) (dropped int, used map[uint64]bool, err error) {
	live := map[uint64]bool{}
	if err := s.ForEachSession(func(rec *Session) error {
		live[rec.ID] = !rec.Released
		return nil
	}); err != nil {
		return 0, nil, fmt.Errorf("read sessions: %w", err)
	}
	b := NewBatch()
	used = map[uint64]bool{}
	if err := s.ForEachGrant(func(g *Grant) error {
		switch {
		case !live[g.Session]:
			b.DeleteGrant(g.Handle)
			dropped++
		case g.Feature != startup:
			used[g.Session] = true
		}
		return nil
	}); err != nil {
		return 0, nil, fmt.Errorf("read grants: %w", err)
	}
	if dropped == 0 {
		return 0, used, nil
	}
	if err := s.Commit(b); err != nil {
		return 0, nil, fmt.Errorf("delete %d grants of ended sessions: %w", dropped, err)
	}
	return dropped, used, nil
}
