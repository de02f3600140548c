package storage

import (
	"encoding/binary"
	"fmt"

	"github.com/cockroachdb/pebble/v2"
)

// Snapshot is a consistent, read-only view of the store at one instant: the telemetry
// bundles and the support bundle read from one, so that they see one state and never
// hold up the committer (Pebble snapshots take no lock writers wait on). Close it when done.
type Snapshot struct {
	s    *Store
	snap *pebble.Snapshot
}

// Snapshot opens a snapshot of the store as it is now.
func (s *Store) Snapshot() (_ *Snapshot, err error) {
	if err := s.usable(); err != nil {
		return nil, err
	}
	defer recoverFatal(&err)
	return &Snapshot{s: s, snap: s.db.NewSnapshot()}, nil
}

// Close releases the snapshot.
func (sn *Snapshot) Close() error {
	if sn.snap == nil {
		return nil
	}
	err := sn.snap.Close()
	sn.snap = nil
	return err
}

func (sn *Snapshot) scanRange(lower, upper []byte, fn func(k, v []byte) error) (err error) {
	if err := sn.s.usable(); err != nil {
		return err
	}
	defer recoverFatal(&err)
	it, err := sn.snap.NewIter(&pebble.IterOptions{LowerBound: lower, UpperBound: upper})
	if err != nil {
		return fmt.Errorf("storage: reading a snapshot of %s: %w", sn.s.dir, err)
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
	return closeIter(it, sn.s.dir)
}

func (sn *Snapshot) scan(prefix []byte, fn func(k, v []byte) error) error {
	lower, upper := spaceBounds(prefix)
	return sn.scanRange(lower, upper, fn)
}

// ForEachUDLicense is Store.ForEachUDLicense on the snapshot.
func (sn *Snapshot) ForEachUDLicense(fn func(*UDLicense) error) error {
	var d udLicenseDecoder
	return sn.scan([]byte{spaceUDLicense}, func(k, v []byte) error {
		rec, err := d.decode(k, v)
		if err != nil {
			return err
		}
		return fn(rec)
	})
}

// ForEachUDEdge is Store.ForEachUDEdge on the snapshot.
func (sn *Snapshot) ForEachUDEdge(fn func(*UDEdge) error) error {
	var d udEdgeDecoder
	return sn.scan([]byte{spaceUDEdge}, func(k, v []byte) error {
		rec, err := d.decode(k, v)
		if err != nil {
			return err
		}
		return fn(rec)
	})
}

// ForEachGrant is Store.ForEachGrant on the snapshot.
func (sn *Snapshot) ForEachGrant(fn func(*Grant) error) error {
	var d grantDecoder
	return sn.scan([]byte{spaceGrant}, func(k, v []byte) error {
		g, err := d.decode(k, v)
		if err != nil {
			return err
		}
		return fn(g)
	})
}

// ForEachSession is Store.ForEachSession on the snapshot.
func (sn *Snapshot) ForEachSession(fn func(*Session) error) error {
	var d sessionDecoder
	return sn.scan([]byte{spaceSession}, func(k, v []byte) error {
		rec, err := d.decode(k, v)
		if err != nil {
			return err
		}
		return fn(rec)
	})
}

// Events is Store.Events on the snapshot.
func (sn *Snapshot) Events(feature string, fn func(*Event) error) error {
	prefix := []byte{spaceEvent}
	if feature != "" {
		prefix = appendEscaped(prefix, feature)
	}
	var d eventDecoder
	return sn.scan(prefix, func(k, v []byte) error {
		rec, err := d.decode(k, v)
		if err != nil {
			return err
		}
		return fn(rec)
	})
}

// Counters is Store.Counters on the snapshot.
func (sn *Snapshot) Counters(prefix string) (map[string]int64, error) {
	out := make(map[string]int64)
	err := sn.scan(counterKey(nil, prefix), func(k, v []byte) error {
		n, err := decodeCounter(k, v)
		if err != nil {
			return err
		}
		out[string(k[1:])] = n
		return nil
	})
	return out, err
}

// Settings is Store.Settings on the snapshot.
func (sn *Snapshot) Settings(prefix string) (map[string][]byte, error) {
	out := make(map[string][]byte)
	err := sn.scan(settingKey(nil, prefix), func(k, v []byte) error {
		val, err := decodeSetting(k, v)
		if err != nil {
			return err
		}
		out[string(k[1:])] = val
		return nil
	})
	return out, err
}

// AccountNames returns every console account's name and role, never its password hash.
func (sn *Snapshot) AccountNames() ([][2]string, error) {
	var out [][2]string
	err := sn.scan([]byte{spaceAccount}, func(k, v []byte) error {
		a, err := decodeAccount(k, v)
		if err != nil {
			return err
		}
		out = append(out, [2]string{a.Name, a.Role})
		return nil
	})
	return out, err
}

// HistoryPools is Store.HistoryPools on the snapshot.
func (sn *Snapshot) HistoryPools() ([]HistoryPool, error) {
	var out []HistoryPool
	err := sn.scan([]byte{spaceHistPool}, func(k, v []byte) error {
		if len(k) != 9 {
			return decodeErr("history pool", k, errBadKey)
		}
		r := reader{b: v}
		r.format("history pool")
		p := HistoryPool{No: binary.BigEndian.Uint64(k[1:])}
		p.ID = string(r.bytes())
		p.Feature = string(r.bytes())
		p.Model = string(r.bytes())
		p.CSS = uint32(r.uvarint())
		if r.err != nil {
			return decodeErr("history pool", k, r.err)
		}
		out = append(out, p)
		return nil
	})
	return out, err
}

// HistoryTicks is Store.HistoryTicks on the snapshot.
func (sn *Snapshot) HistoryTicks(from, to int64, fn func(*HistoryTick) error) error {
	var t HistoryTick
	return sn.scanRange(historyKey(nil, from), historyKey(nil, to), func(k, v []byte) error {
		if len(k) != 9 {
			return decodeErr("history sample", k, errBadKey)
		}
		t.Time = readTime(k[1:])
		if err := decodeHistoryTick(&t, v); err != nil {
			return decodeErr("history sample", k, err)
		}
		return fn(&t)
	})
}

// SpaceCheck is what Check found in one key space.
type SpaceCheck struct {
	Space   string `json:"space"`
	Records int    `json:"records"`
	Bytes   int64  `json:"bytes"`
	Errors  int    `json:"errors"`
}

// CheckReport is the consistency check of a snapshot: every record of every key space
// decoded, counted, and the first errors quoted.
type CheckReport struct {
	Spaces []SpaceCheck `json:"spaces"`
	Errors []string     `json:"errors,omitempty"`
	OK     bool         `json:"ok"`
}

// Check decodes every record of the snapshot (the support bundle's consistency check).
func (sn *Snapshot) Check() (CheckReport, error) {
	var rep CheckReport
	var (
		gd grantDecoder
		sd sessionDecoder
		ed udEdgeDecoder
		ld udLicenseDecoder
		vd eventDecoder
	)
	var ht HistoryTick
	spaces := []struct {
		name   string
		space  byte
		decode func(k, v []byte) error
	}{
		{"meta", spaceMeta, func(k, v []byte) error { return nil }},
		{"grants", spaceGrant, func(k, v []byte) error { _, err := gd.decode(k, v); return err }},
		{"sessions", spaceSession, func(k, v []byte) error { _, err := sd.decode(k, v); return err }},
		{"ud-edges", spaceUDEdge, func(k, v []byte) error { _, err := ed.decode(k, v); return err }},
		{"ud-licenses", spaceUDLicense, func(k, v []byte) error { _, err := ld.decode(k, v); return err }},
		{"counters", spaceCounter, func(k, v []byte) error { _, err := decodeCounter(k, v); return err }},
		{"settings", spaceSetting, func(k, v []byte) error { _, err := decodeSetting(k, v); return err }},
		{"events", spaceEvent, func(k, v []byte) error { _, err := vd.decode(k, v); return err }},
		{"accounts", spaceAccount, func(k, v []byte) error { _, err := decodeAccount(k, v); return err }},
		{"ids", spaceIDs, func(k, v []byte) error { _, err := decodeUint("ids", k, v); return err }},
		{"history", spaceHistory, func(k, v []byte) error {
			if len(k) != 9 {
				return decodeErr("history sample", k, errBadKey)
			}
			return decodeHistoryTick(&ht, v)
		}},
		{"history-pools", spaceHistPool, func(k, v []byte) error {
			if len(k) != 9 {
				return decodeErr("history pool", k, errBadKey)
			}
			return nil
		}},
	}
	for _, sp := range spaces {
		c := SpaceCheck{Space: sp.name}
		err := sn.scan([]byte{sp.space}, func(k, v []byte) error {
			c.Records++
			c.Bytes += int64(len(k) + len(v))
			if err := sp.decode(k, v); err != nil {
				c.Errors++
				if len(rep.Errors) < 20 {
					rep.Errors = append(rep.Errors, fmt.Sprintf("%s: %v", sp.name, err))
				}
			}
			return nil
		})
		if err != nil {
			return rep, err
		}
		rep.Spaces = append(rep.Spaces, c)
	}
	rep.OK = len(rep.Errors) == 0
	return rep, nil
}

// Metrics is Pebble's own statistics of the store (levels, compactions, caches), as text.
func (s *Store) Metrics() (text string, err error) {
	if err := s.usable(); err != nil {
		return "", err
	}
	defer recoverFatal(&err)
	return s.db.Metrics().String(), nil
}
