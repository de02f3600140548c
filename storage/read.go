package storage

import (
	"errors"
	"fmt"

	"github.com/cockroachdb/pebble/v2"
)

// The ForEach functions rebuild state at start-up. Each walks one iterator in
// key order and decodes every record into one struct that is reused for the
// next record: fn must copy the struct (e := *rec) if it keeps it. The strings
// in it are ordinary strings and safe to keep. An error from fn stops the walk
// and is returned as is.

// ForEachGrant calls fn for every outstanding grant, in handle order.
func (s *Store) ForEachGrant(fn func(*Grant) error) error {
	var d grantDecoder
	return s.scan([]byte{spaceGrant}, func(k, v []byte) error {
		g, err := d.decode(k, v)
		if err != nil {
			return err
		}
		return fn(g)
	})
}

// ForEachSession calls fn for every product session, in id order.
func (s *Store) ForEachSession(fn func(*Session) error) error {
	var d sessionDecoder
	return s.scan([]byte{spaceSession}, func(k, v []byte) error {
		rec, err := d.decode(k, v)
		if err != nil {
			return err
		}
		return fn(rec)
	})
}

// ForEachUDEdge calls fn for every user/device connection record, ordered by
// feature, user, device.
func (s *Store) ForEachUDEdge(fn func(*UDEdge) error) error {
	var d udEdgeDecoder
	return s.scan([]byte{spaceUDEdge}, func(k, v []byte) error {
		rec, err := d.decode(k, v)
		if err != nil {
			return err
		}
		return fn(rec)
	})
}

// ForEachUDEdgeOf calls fn for one feature's user/device connection records,
// ordered by user, device: a feature restores itself without reading the others'.
func (s *Store) ForEachUDEdgeOf(feature string, fn func(*UDEdge) error) error {
	var d udEdgeDecoder
	return s.scan(appendEscaped([]byte{spaceUDEdge}, feature), func(k, v []byte) error {
		rec, err := d.decode(k, v)
		if err != nil {
			return err
		}
		return fn(rec)
	})
}

// ForEachUDLicenseOf calls fn for one feature's user/device assignments, ordered
// by kind, name.
func (s *Store) ForEachUDLicenseOf(feature string, fn func(*UDLicense) error) error {
	var d udLicenseDecoder
	return s.scan(appendEscaped([]byte{spaceUDLicense}, feature), func(k, v []byte) error {
		rec, err := d.decode(k, v)
		if err != nil {
			return err
		}
		return fn(rec)
	})
}

// ForEachUDLicense calls fn for every user/device assignment, ordered by
// feature, kind, name.
func (s *Store) ForEachUDLicense(fn func(*UDLicense) error) error {
	var d udLicenseDecoder
	return s.scan([]byte{spaceUDLicense}, func(k, v []byte) error {
		rec, err := d.decode(k, v)
		if err != nil {
			return err
		}
		return fn(rec)
	})
}

// Events calls fn for the events of feature in time order (events with the
// same time in commit order); feature "" walks every feature, one after the
// other, each in time order. The *Event is reused as in the ForEach functions.
func (s *Store) Events(feature string, fn func(*Event) error) error {
	prefix := []byte{spaceEvent}
	if feature != "" {
		prefix = appendEscaped(prefix, feature)
	}
	var d eventDecoder
	return s.scan(prefix, func(k, v []byte) error {
		rec, err := d.decode(k, v)
		if err != nil {
			return err
		}
		return fn(rec)
	})
}

// Counter returns a counter's value; a counter never written is 0.
func (s *Store) Counter(name string) (int64, error) {
	key := counterKey(nil, name)
	var v int64
	_, err := s.get(key, func(val []byte) (err error) {
		v, err = decodeCounter(key, val)
		return err
	})
	return v, err
}

// Counters returns every counter whose name starts with prefix.
func (s *Store) Counters(prefix string) (map[string]int64, error) {
	out := make(map[string]int64)
	err := s.scan(counterKey(nil, prefix), func(k, v []byte) error {
		n, err := decodeCounter(k, v)
		if err != nil {
			return err
		}
		out[string(k[1:])] = n
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Setting returns a copy of a setting's value and whether it is set.
func (s *Store) Setting(key string) ([]byte, bool, error) {
	k := settingKey(nil, key)
	var out []byte
	found, err := s.get(k, func(val []byte) (err error) {
		out, err = decodeSetting(k, val)
		return err
	})
	return out, found, err
}

// Settings returns a copy of every setting whose key starts with prefix.
func (s *Store) Settings(prefix string) (map[string][]byte, error) {
	out := make(map[string][]byte)
	err := s.scan(settingKey(nil, prefix), func(k, v []byte) error {
		val, err := decodeSetting(k, v)
		if err != nil {
			return err
		}
		out[string(k[1:])] = val
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Accounts returns every console account, ordered by name.
func (s *Store) Accounts() ([]Account, error) {
	var out []Account
	err := s.scan([]byte{spaceAccount}, func(k, v []byte) error {
		a, err := decodeAccount(k, v)
		if err != nil {
			return err
		}
		out = append(out, a)
		return nil
	})
	return out, err
}

// scan calls fn for every key with prefix, in order; k and v are valid only
// during the call.
func (s *Store) scan(prefix []byte, fn func(k, v []byte) error) (err error) {
	lower, upper := spaceBounds(prefix)
	return s.scanRange(lower, upper, fn)
}

// scanRange calls fn for every key in [lower, upper), in order; k and v are valid only
// during the call.
func (s *Store) scanRange(lower, upper []byte, fn func(k, v []byte) error) (err error) {
	if err := s.usable(); err != nil {
		return err
	}
	defer recoverFatal(&err)
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: lower, UpperBound: upper})
	if err != nil {
		return fmt.Errorf("storage: reading %s: %w", s.dir, err)
	}
	for valid := it.First(); valid; valid = it.Next() {
		v, err := it.ValueAndErr()
		if err == nil {
			err = fn(it.Key(), v)
		}
		if err != nil {
			_ = it.Close()
			return err
		}
	}
	return closeIter(it, s.dir)
}

// get calls fn with the value of key if it exists.
func (s *Store) get(key []byte, fn func(val []byte) error) (found bool, err error) {
	if err := s.usable(); err != nil {
		return false, err
	}
	defer recoverFatal(&err)
	val, closer, err := s.db.Get(key)
	if errors.Is(err, pebble.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("storage: reading %s: %w", s.dir, err)
	}
	defer closer.Close()
	return true, fn(val)
}
