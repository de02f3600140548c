package storage

import "encoding/binary"

// Batch operations, as written into Batch.buf.
const (
	opSet         byte = 1
	opDelete      byte = 2
	opEvent       byte = 3 // a set whose key ends in a sequence filled in at apply time
	opDeleteRange byte = 4 // key is the start, val the end (exclusive)
)

// Batch is a reusable set of mutations built by one actor and handed to the
// Committer (or to Store.Commit). Records are encoded when they are added, so
// the caller may reuse the struct it passed right away; the Batch itself
// belongs to the Committer from Submit until the done callback runs. A Batch is
// not safe for concurrent use. Reset it to reuse its memory.
//
// Mutations apply in the order they were added; all of a Batch lands in the
// same Pebble commit, so a Batch is atomic.
type Batch struct {
	buf      []byte // op, uvarint key length, key, [uvarint value length, value]
	n        int
	key, val []byte // scratch for encoding
}

// NewBatch returns an empty Batch.
func NewBatch() *Batch { return &Batch{} }

// Reset empties the Batch, keeping its memory.
func (b *Batch) Reset() { b.buf, b.n = b.buf[:0], 0 }

// Len is the number of mutations in the Batch.
func (b *Batch) Len() int { return b.n }

func (b *Batch) set(op byte, key, val []byte) {
	b.buf = append(b.buf, op)
	b.buf = appendBytes(b.buf, key)
	b.buf = appendBytes(b.buf, val)
	b.n++
}

func (b *Batch) del(key []byte) {
	b.buf = append(b.buf, opDelete)
	b.buf = appendBytes(b.buf, key)
	b.n++
}

// PutGrant records a checkout, keyed by its handle.
func (b *Batch) PutGrant(g *Grant) {
	b.key = grantKey(b.key[:0], g.Handle)
	b.val = encodeGrant(b.val[:0], g)
	b.set(opSet, b.key, b.val)
}

// DeleteGrant removes the checkout with this handle (check-in).
func (b *Batch) DeleteGrant(handle uint64) {
	b.key = grantKey(b.key[:0], handle)
	b.del(b.key)
}

// PutSession records a product session, keyed by its id.
func (b *Batch) PutSession(s *Session) {
	b.key = sessionKey(b.key[:0], s.ID)
	b.val = encodeSession(b.val[:0], s)
	b.set(opSet, b.key, b.val)
}

// DeleteSession removes a product session.
func (b *Batch) DeleteSession(id uint64) {
	b.key = sessionKey(b.key[:0], id)
	b.del(b.key)
}

// PutUDEdge records a user/device connection record, keyed by (feature, user, device).
func (b *Batch) PutUDEdge(e *UDEdge) {
	b.key = udEdgeKey(b.key[:0], e.Feature, e.User, e.Device)
	b.val = encodeUDEdge(b.val[:0], e)
	b.set(opSet, b.key, b.val)
}

// DeleteUDEdge removes a user/device connection record.
func (b *Batch) DeleteUDEdge(feature, user, device string) {
	b.key = udEdgeKey(b.key[:0], feature, user, device)
	b.del(b.key)
}

// PutUDLicense records an assignment, keyed by (feature, kind, name).
func (b *Batch) PutUDLicense(l *UDLicense) {
	b.key = udLicenseKey(b.key[:0], l.Feature, l.Kind, l.Name)
	b.val = encodeUDLicense(b.val[:0], l)
	b.set(opSet, b.key, b.val)
}

// DeleteUDLicense removes an assignment (a release, or the end of its lease).
func (b *Batch) DeleteUDLicense(feature string, kind uint8, name string) {
	b.key = udLicenseKey(b.key[:0], feature, kind, name)
	b.del(b.key)
}

// PutCounter writes a counter's absolute value. Each counter is owned by one
// actor, which keeps the value and writes it whole: no read-modify-write, so
// batches from different actors never race on a counter.
func (b *Batch) PutCounter(name string, v int64) {
	b.key = counterKey(b.key[:0], name)
	b.val = encodeCounter(b.val[:0], v)
	b.set(opSet, b.key, b.val)
}

// PutSetting stores an opaque setting value (copied).
func (b *Batch) PutSetting(key string, value []byte) {
	b.key = settingKey(b.key[:0], key)
	b.val = encodeSetting(b.val[:0], value)
	b.set(opSet, b.key, b.val)
}

// DeleteSetting removes a setting.
func (b *Batch) DeleteSetting(key string) {
	b.key = settingKey(b.key[:0], key)
	b.del(b.key)
}

// AppendEvent adds an event. Events are keyed by (feature, time, sequence): the
// sequence is assigned when the batch is committed and is unique for the life of
// the data directory, so two events with the same feature and time are both kept,
// in commit order.
func (b *Batch) AppendEvent(e *Event) {
	b.key = eventKey(b.key[:0], e.Feature, e.Time)
	b.val = encodeEventValue(b.val[:0], e)
	b.set(opEvent, b.key, b.val)
}

// DeleteEventsBefore removes a feature's events older than t (unix nanos): the retention of
// udadmin's event log, so that it does not grow without end.
func (b *Batch) DeleteEventsBefore(feature string, t int64) {
	start := append(b.key[:0], spaceEvent)
	start = appendEscaped(start, feature)
	end := eventKey(append([]byte(nil), start[:0]...), feature, t) // time t, sequence 0
	b.set(opDeleteRange, start, end)
}

// PutAccount stores a console account, keyed by name.
func (b *Batch) PutAccount(a *Account) {
	b.key = accountKey(b.key[:0], a.Name)
	b.val = encodeAccount(b.val[:0], a)
	b.set(opSet, b.key, b.val)
}

// DeleteAccount removes a console account.
func (b *Batch) DeleteAccount(name string) {
	b.key = accountKey(b.key[:0], name)
	b.del(b.key)
}

// batchOp is one decoded mutation; key and val alias Batch.buf.
type batchOp struct {
	op       byte
	key, val []byte
}

// opReader walks the mutations of a Batch in order. The buffer was written by
// this package, so it is well formed.
type opReader struct{ p []byte }

func (r *opReader) next() (o batchOp, ok bool) {
	if len(r.p) == 0 {
		return o, false
	}
	o.op = r.p[0]
	p := r.p[1:]
	n, w := binary.Uvarint(p)
	o.key, p = p[w:w+int(n)], p[w+int(n):]
	if o.op != opDelete {
		n, w = binary.Uvarint(p)
		o.val, p = p[w:w+int(n)], p[w+int(n):]
	}
	r.p = p
	return o, true
}
