package storage

import "encoding/binary"

// Historical usage ("Historical Use"): one record per sampling instant holding a reading of
// every pool, keyed by time so that expired samples go with one range delete ("expired
// samples are deleted by range"), and a dictionary of the pools they name, so that a
// reading is a few varints (a year of 15-minute samples of 200 pools is about 40 MiB).

// HistoryReading is one pool's usage at one sampling instant.
type HistoryReading struct {
	Pool             uint64 // the pool's number in the dictionary (HistoryPool.No)
	Installed, InUse uint64
	Peak             uint64 // the highest in use since the previous sample
	OverdraftInUse   uint64
}

// HistoryTick is every pool's reading at one instant.
type HistoryTick struct {
	Time     int64 // unix nanoseconds
	Readings []HistoryReading
}

// HistoryPool is one entry of the pool dictionary.
type HistoryPool struct {
	No      uint64
	ID      string // the license pool's id (license.Pool.ID)
	Feature string
	Model   string // the model's name, "User/Device", "Concurrent", ...
	CSS     uint32 // YYYYMMDD
}

func historyKey(dst []byte, t int64) []byte { return appendTime(append(dst, spaceHistory), t) }

func histPoolKey(dst []byte, no uint64) []byte { return appendUint64(append(dst, spaceHistPool), no) }

// PutHistoryTick records the readings of one sampling instant (a later tick at the same
// instant replaces it).
func (b *Batch) PutHistoryTick(t *HistoryTick) {
	b.key = historyKey(b.key[:0], t.Time)
	v := append(b.val[:0], formatV1)
	v = binary.AppendUvarint(v, uint64(len(t.Readings)))
	for i := range t.Readings {
		r := &t.Readings[i]
		v = binary.AppendUvarint(v, r.Pool)
		v = binary.AppendUvarint(v, r.Installed)
		v = binary.AppendUvarint(v, r.InUse)
		v = binary.AppendUvarint(v, r.Peak)
		v = binary.AppendUvarint(v, r.OverdraftInUse)
	}
	b.val = v
	b.set(opSet, b.key, b.val)
}

// DeleteHistoryBefore removes every sample older than t (unix nanoseconds) with one range
// delete: the retention of historical usage.
func (b *Batch) DeleteHistoryBefore(t int64) {
	end := historyKey(nil, t)
	b.set(opDeleteRange, []byte{spaceHistory}, end)
}

// PutHistoryPool records a dictionary entry.
func (b *Batch) PutHistoryPool(p *HistoryPool) {
	b.key = histPoolKey(b.key[:0], p.No)
	v := append(b.val[:0], formatV1)
	v = appendString(v, p.ID)
	v = appendString(v, p.Feature)
	v = appendString(v, p.Model)
	v = binary.AppendUvarint(v, uint64(p.CSS))
	b.val = v
	b.set(opSet, b.key, b.val)
}

// HistoryPools returns the pool dictionary, by number.
func (s *Store) HistoryPools() ([]HistoryPool, error) {
	var out []HistoryPool
	err := s.scan([]byte{spaceHistPool}, func(k, v []byte) error {
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

// HistoryTicks calls fn for every sample taken in [from, to) (unix nanoseconds), in time
// order. The *HistoryTick and its Readings are reused for the next call: fn must copy what
// it keeps. An error from fn stops the walk and is returned as is.
func (s *Store) HistoryTicks(from, to int64, fn func(*HistoryTick) error) error {
	lower := historyKey(nil, from)
	upper := historyKey(nil, to)
	var t HistoryTick
	return s.scanRange(lower, upper, func(k, v []byte) error {
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

func decodeHistoryTick(t *HistoryTick, v []byte) error {
	r := reader{b: v}
	r.format("history sample")
	n := r.uvarint()
	if r.err != nil {
		return r.err
	}
	if n > uint64(len(r.b)) { // every reading takes at least five bytes
		return errShortValue
	}
	rs := t.Readings[:0]
	for range n {
		rs = append(rs, HistoryReading{Pool: r.uvarint(), Installed: r.uvarint(), InUse: r.uvarint(), Peak: r.uvarint(), OverdraftInUse: r.uvarint()})
	}
	t.Readings = rs
	return r.err
}
