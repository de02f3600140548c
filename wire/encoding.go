package wire

import (
	"encoding/binary"
	"math"
	"strconv"
	"unicode/utf8"
)

// Field encoding (PROTOCOL.md "Field encoding"): unsigned integers are uvarints, signed ones
// zig-zag varints, booleans one byte (0 or 1), strings and byte strings a uvarint length and
// the bytes, lists a uvarint count and each element as a uvarint length and its body. The
// element length lets a later version append fields to an element without breaking older
// readers, exactly as trailing fields of a message may be appended.

func appendUint(b []byte, v uint64) []byte { return binary.AppendUvarint(b, v) }

func appendInt(b []byte, v int64) []byte { return binary.AppendVarint(b, v) }

func appendBool(b []byte, v bool) []byte {
	if v {
		return append(b, 1)
	}
	return append(b, 0)
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func appendBytes(b []byte, p []byte) []byte {
	b = binary.AppendUvarint(b, uint64(len(p)))
	return append(b, p...)
}

// beginElement reserves one byte for an element's length; endElement writes the length,
// moving the body when the length needs more than one byte (bodies over 127 bytes, rare).
func beginElement(b []byte) ([]byte, int) {
	return append(b, 0), len(b)
}

func endElement(b []byte, start int) []byte {
	n := len(b) - start - 1
	if n < 0x80 {
		b[start] = byte(n)
		return b
	}
	var tmp [binary.MaxVarintLen64]byte
	k := binary.PutUvarint(tmp[:], uint64(n))
	b = append(b, tmp[:k-1]...) // grow by the extra length bytes
	copy(b[start+k:], b[start+1:start+1+n])
	copy(b[start:], tmp[:k])
	return b
}

// decoder reads fields in order. A message that ends exactly at a field boundary leaves the
// remaining fields zero: that is how a newer reader accepts an older writer's shorter
// message. Bytes after the last known field are ignored: that is how an older reader accepts
// a newer writer's longer one. A field cut in the middle is an error.
type decoder struct {
	p   []byte
	off int
	err *Error
	msg string // message name for error details
}

func (d *decoder) fail(what string) {
	if d.err == nil {
		d.err = Errorf(CodeProtocol, d.msg+": "+what+" at payload byte "+strconv.Itoa(d.off))
	}
}

// atEnd reports whether no field can be read: a failure earlier, or a clean end.
func (d *decoder) atEnd() bool { return d.err != nil || d.off >= len(d.p) }

func (d *decoder) uint(max uint64) uint64 {
	if d.atEnd() {
		return 0
	}
	v, n := binary.Uvarint(d.p[d.off:])
	if n <= 0 {
		d.fail("bad unsigned integer")
		return 0
	}
	if v > max {
		d.fail("integer " + strconv.FormatUint(v, 10) + " out of range")
		return 0
	}
	d.off += n
	return v
}

func (d *decoder) u16() uint16 { return uint16(d.uint(math.MaxUint16)) }
func (d *decoder) u32() uint32 { return uint32(d.uint(math.MaxUint32)) }
func (d *decoder) u64() uint64 { return d.uint(math.MaxUint64) }

func (d *decoder) i64() int64 {
	if d.atEnd() {
		return 0
	}
	v, n := binary.Varint(d.p[d.off:])
	if n <= 0 {
		d.fail("bad signed integer")
		return 0
	}
	d.off += n
	return v
}

func (d *decoder) code() Code {
	v := d.i64()
	if v < math.MinInt32 || v > math.MaxInt32 {
		d.fail("result code out of range")
		return 0
	}
	return Code(v)
}

func (d *decoder) bool() bool {
	if d.atEnd() {
		return false
	}
	c := d.p[d.off]
	if c > 1 {
		d.fail("boolean not 0 or 1")
		return false
	}
	d.off++
	return c == 1
}

// raw returns the next length-prefixed byte string, aliasing the payload.
func (d *decoder) raw() []byte {
	if d.atEnd() {
		return nil
	}
	n := d.uint(math.MaxUint32)
	if d.err != nil {
		return nil
	}
	if n > uint64(len(d.p)-d.off) {
		d.fail("length " + strconv.FormatUint(n, 10) + " runs past the end")
		return nil
	}
	p := d.p[d.off : d.off+int(n)]
	d.off += int(n)
	return p
}

// str decodes a string; when the bytes equal old (the value a reused message struct already
// holds, typically the same product or feature name as last time) it returns old and
// allocates nothing.
func (d *decoder) str(old string) string {
	p := d.raw()
	if string(p) == old {
		return old
	}
	return string(p)
}

// MaxName is the longest name a server accepts in a request field (PROTOCOL.md "Limits"):
// features, products, editions, models, users, devices, hosts, displays, client ids, query
// kinds and admin ops. Names must also be valid UTF-8. The check is made as the field is
// decoded, before anything is stored or allocated for it.
const MaxName = 256

// name decodes a string field that names something: at most MaxName bytes of UTF-8. A
// violation is a *Error with code (CodeBadName for users and devices, whose own rules say
// so, CodeBadRequest otherwise) naming the field and where it is.
func (d *decoder) name(old, field string, code Code) string {
	at := d.off
	p := d.raw()
	if d.err != nil {
		return ""
	}
	switch {
	case len(p) > MaxName:
		d.failAt(code, field+" of "+strconv.Itoa(len(p))+" bytes exceeds the limit of "+strconv.Itoa(MaxName)+" bytes", at)
		return ""
	case !utf8.Valid(p):
		d.failAt(code, field+" is not valid UTF-8", at)
		return ""
	case string(p) == old:
		return old
	}
	return string(p)
}

// failAt records a field that decoded but is not acceptable: code, what, and where.
func (d *decoder) failAt(code Code, what string, at int) {
	if d.err == nil {
		d.err = Errorf(code, d.msg+": "+what+" (field at payload byte "+strconv.Itoa(at)+")")
	}
}

// bytes decodes a byte string into the reusable buffer old.
func (d *decoder) bytes(old []byte) []byte {
	p := d.raw()
	if p == nil && old == nil {
		return nil
	}
	return append(old[:0], p...)
}

// count decodes a list length; each element takes at least one byte, which bounds the
// allocation a hostile count can cause.
func (d *decoder) count() int {
	n := d.uint(math.MaxUint32)
	if n > uint64(len(d.p)-d.off) {
		d.fail("list count " + strconv.FormatUint(n, 10) + " exceeds the remaining bytes")
		return 0
	}
	return int(n)
}

// limitedCount decodes the length of a list a server takes from a client: at most limit
// records (PROTOCOL.md "Limits"), or a CodeBadRequest saying to split it.
func (d *decoder) limitedCount(what string, limit int) int {
	at := d.off
	n := d.count()
	if n > limit {
		d.failAt(CodeBadRequest, strconv.Itoa(n)+" "+what+" exceed the limit of "+strconv.Itoa(limit)+" per frame; split them over several frames", at)
		return 0
	}
	return n
}

// element returns a decoder over the next list element's body.
func (d *decoder) element() decoder {
	p := d.raw()
	return decoder{p: p, msg: d.msg, err: d.err}
}

// adopt carries an element decoder's failure back to its parent.
func (d *decoder) adopt(e *decoder) {
	if e.err != nil && d.err == nil {
		d.err = e.err
	}
}

// adoptRecord is adopt for record i of a list, which the error then names.
func (d *decoder) adoptRecord(e *decoder, i int) {
	if e.err != nil && d.err == nil {
		d.err = &Error{Code: e.err.Code, Detail: "record " + strconv.Itoa(i) + " of " + e.err.Detail}
	}
}

func (d *decoder) finish() error {
	if d.err != nil {
		return d.err
	}
	return nil
}

// grow returns s with length n, reusing its capacity.
func grow[T any](s []T, n int) []T {
	if cap(s) >= n {
		return s[:n]
	}
	return make([]T, n)
}
