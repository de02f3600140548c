package storage

import (
	"encoding/binary"
	"errors"
)

// Key spaces. Every key starts with one of these bytes; SCHEMA.md lists them.
// The values are written to disk: never renumber one, retire it with a comment.
const (
	spaceMeta      byte = 0x01 // schema version, boot epoch
	spaceGrant     byte = 0x02 // checkouts, by handle
	spaceSession   byte = 0x03 // product sessions, by id
	spaceUDEdge    byte = 0x04 // user/device connection records
	spaceUDLicense byte = 0x05 // the optimizer's user/device assignments
	spaceCounter   byte = 0x06 // named counters, absolute values
	spaceSetting   byte = 0x07 // settings, opaque values
	spaceEvent     byte = 0x08 // user/device events and audit, by (feature, time, sequence)
	spaceAccount   byte = 0x09 // console accounts
	spaceIDs       byte = 0x0A // id allocators' high-water marks
	spaceHistory   byte = 0x0B // historical usage samples, by time
	spaceHistPool  byte = 0x0C // the pools the history samples name, by number
)

// Meta keys (after spaceMeta).
const (
	metaSchema = "schema"
	metaEpoch  = "epoch"
)

// String components inside keys are escaped so that keys sort by the string and
// no string is a prefix of another's encoding: 0x00 becomes 0x00 0xFF and the
// string ends with 0x00 0x01. The last component of a key is written raw.
const (
	escByte   byte = 0x00
	escEscape byte = 0xFF
	escEnd    byte = 0x01
)

var errBadKey = errors.New("the key is malformed: the data directory is damaged; restore it from a backup")

func appendEscaped(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == escByte {
			dst = append(dst, escByte, escEscape)
			continue
		}
		dst = append(dst, c)
	}
	return append(dst, escByte, escEnd)
}

// readEscaped returns the unescaped bytes of the component at the start of k (in
// scratch, reused) and the rest of k.
func readEscaped(k []byte, scratch []byte) (s, rest []byte, err error) {
	s = scratch[:0]
	for i := 0; i < len(k); i++ {
		c := k[i]
		if c != escByte {
			s = append(s, c)
			continue
		}
		if i+1 >= len(k) {
			return nil, nil, errBadKey
		}
		switch k[i+1] {
		case escEscape:
			s = append(s, escByte)
			i++
		case escEnd:
			return s, k[i+2:], nil
		default:
			return nil, nil, errBadKey
		}
	}
	return nil, nil, errBadKey
}

func appendUint64(dst []byte, v uint64) []byte { return binary.BigEndian.AppendUint64(dst, v) }

func putUint64(dst []byte, v uint64) { binary.BigEndian.PutUint64(dst, v) }

// appendTime writes a signed time so that byte order is numeric order.
func appendTime(dst []byte, t int64) []byte {
	return binary.BigEndian.AppendUint64(dst, uint64(t)^(1<<63))
}

func readTime(b []byte) int64 { return int64(binary.BigEndian.Uint64(b) ^ (1 << 63)) }

func grantKey(dst []byte, handle uint64) []byte {
	return appendUint64(append(dst, spaceGrant), handle)
}

func sessionKey(dst []byte, id uint64) []byte {
	return appendUint64(append(dst, spaceSession), id)
}

func udEdgeKey(dst []byte, feature, user, device string) []byte {
	dst = append(dst, spaceUDEdge)
	dst = appendEscaped(dst, feature)
	dst = appendEscaped(dst, user)
	return append(dst, device...)
}

func udLicenseKey(dst []byte, feature string, kind uint8, name string) []byte {
	dst = append(dst, spaceUDLicense)
	dst = appendEscaped(dst, feature)
	dst = append(dst, kind)
	return append(dst, name...)
}

func counterKey(dst []byte, name string) []byte { return append(append(dst, spaceCounter), name...) }
func settingKey(dst []byte, key string) []byte  { return append(append(dst, spaceSetting), key...) }
func accountKey(dst []byte, name string) []byte { return append(append(dst, spaceAccount), name...) }
func idsKey(dst []byte, name string) []byte     { return append(append(dst, spaceIDs), name...) }
func metaKey(dst []byte, name string) []byte    { return append(append(dst, spaceMeta), name...) }

// eventSeqLen is the length of the sequence that ends an event key. The
// sequence is filled in when the batch is applied (see Store.nextEventSeq).
const eventSeqLen = 8

func eventKey(dst []byte, feature string, t int64) []byte {
	dst = append(dst, spaceEvent)
	dst = appendEscaped(dst, feature)
	dst = appendTime(dst, t)
	return append(dst, 0, 0, 0, 0, 0, 0, 0, 0) // eventSeqLen bytes
}

// spaceBounds returns [lower, upper) covering every key that starts with prefix.
func spaceBounds(prefix []byte) (lower, upper []byte) {
	lower = prefix
	upper = append([]byte(nil), prefix...)
	for i := len(upper) - 1; i >= 0; i-- {
		if upper[i] != 0xFF {
			upper[i]++
			return lower, upper[:i+1]
		}
	}
	return lower, nil // prefix is all 0xFF: no upper bound
}
