package storage

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Every value starts with a format byte naming its layout, so a record can grow
// a new layout while old ones stay readable. formatV1 is the only layout so far.
const formatV1 byte = 1

var errShortValue = errors.New("the value ends early: the data directory is damaged; restore it from a backup")

func appendString(dst []byte, s string) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(s)))
	return append(dst, s...)
}

func appendBytes(dst []byte, b []byte) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(b)))
	return append(dst, b...)
}

// reader decodes a value. The first error sticks; later reads return zeroes,
// so a decoder reads every field and checks err once.
type reader struct {
	b   []byte
	err error
}

func (r *reader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.err = errShortValue
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) varint() int64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.err = errShortValue
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) byte1() byte {
	if r.err != nil {
		return 0
	}
	if len(r.b) == 0 {
		r.err = errShortValue
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

// bytes returns the next length-prefixed field, aliasing the value.
func (r *reader) bytes() []byte {
	n := r.uvarint()
	if r.err != nil {
		return nil
	}
	if uint64(len(r.b)) < n {
		r.err = errShortValue
		return nil
	}
	b := r.b[:n:n]
	r.b = r.b[n:]
	return b
}

// format checks the leading format byte.
func (r *reader) format(record string) {
	f := r.byte1()
	if r.err == nil && f != formatV1 {
		r.err = fmt.Errorf("it has format %d and this licd reads format %d: a newer licd wrote it; run that version", f, formatV1)
	}
}

// strCache turns bytes into strings, handing back the previous string when the
// bytes repeat. Records come in key order, so fields such as the feature name
// repeat for long runs: a start-up scan of a million user/device records
// allocates one string per feature instead of one per record.
type strCache struct{ last string }

func (c *strCache) str(b []byte) string {
	if string(b) == c.last { // no allocation: the compiler compares in place
		return c.last
	}
	c.last = string(b)
	return c.last
}

func decodeErr(record string, key []byte, err error) error {
	return fmt.Errorf("storage: cannot decode the %s record at key %x: %w", record, key, err)
}
