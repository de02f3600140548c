package storage

import (
	"bytes"
	"encoding/binary"
	"errors"
)

// Grant is one checkout: a handle on licenses of a feature pool held by a
// product session. It is written before the grant is acknowledged and deleted
// at check-in, so the grants present at start-up are the ones outstanding.
type Grant struct {
	Handle, Session                                             uint64
	Feature, PoolID, Device, User, ClientHost, Display, Product string
	VersionDate                                                 uint32
	Sockets                                                     uint16
	Start                                                       int64 // unix nanos
}

// Session is a connected product server (its handshake and liveness).
type Session struct {
	ID                                      uint64
	ClientID, Product, Host, Edition, Model string
	VersionDate                             uint32
	Connected, LastSeen                     int64 // unix nanos
	Lost                                    bool  // heartbeats stopped; kept for reconciliation
	// Used: the product checked out more than its start-up license on this session. A
	// session that never did is released soon after its connection ends (IdleLinger).
	Used bool
	// Released: the linger ran out and every license was released, but the product may
	// still come back from License caching mode within the caching window and reconcile
	// ("License caching mode"); the record then only remembers who it was.
	Released bool
	// TokenHash is SHA-256 of the session token handed to the product at its first hello:
	// only a hello carrying the token adopts the session. Empty in records of older licd.
	TokenHash []byte
	// Addr is the product's network address (IP) when it said hello.
	Addr string
}

// UDEdge is a user/device connection record: one user on one device for one
// feature, with the number of live connections and when it was last seen.
// LastSeen is what the 90-day lease runs from ("License assignment period":
// "The user/device lease for the license assignment will expire in 90 days
// after the last connected user or device disconnects"), so it is durable.
type UDEdge struct {
	Feature, User, Device string
	First, LastSeen       int64 // unix nanos
	Live                  uint32
}

// UDLicense kinds.
const (
	UDKindUser   uint8 = 1
	UDKindDevice uint8 = 2
)

// UDLicense is the optimizer's last assignment of a user or device license.
type UDLicense struct {
	Feature         string
	Kind            uint8 // UDKindUser or UDKindDevice
	Name            string
	Since, LeaseEnd int64 // unix nanos
}

// Event is a user/device event or an audit entry; read back per feature in time order.
type Event struct {
	Feature    string
	Time       int64 // unix nanos
	Kind, Text string
}

// Account is a console account.
type Account struct {
	Name, Role   string
	PasswordHash []byte
	Created      int64 // unix nanos
}

func encodeGrant(dst []byte, g *Grant) []byte {
	dst = append(dst, formatV1)
	dst = binary.AppendUvarint(dst, g.Session)
	dst = appendString(dst, g.Feature)
	dst = appendString(dst, g.PoolID)
	dst = appendString(dst, g.Device)
	dst = appendString(dst, g.User)
	dst = appendString(dst, g.ClientHost)
	dst = appendString(dst, g.Display)
	dst = appendString(dst, g.Product)
	dst = binary.AppendUvarint(dst, uint64(g.VersionDate))
	dst = binary.AppendUvarint(dst, uint64(g.Sockets))
	return binary.AppendVarint(dst, g.Start)
}

// grantDecoder decodes grants into one reused struct.
type grantDecoder struct {
	g                      Grant
	feature, pool, product strCache
}

func (d *grantDecoder) decode(key, val []byte) (*Grant, error) {
	if len(key) != 9 {
		return nil, decodeErr("grant", key, errBadKey)
	}
	r := reader{b: val}
	r.format("grant")
	g := &d.g
	g.Handle = binary.BigEndian.Uint64(key[1:])
	g.Session = r.uvarint()
	g.Feature = d.feature.str(r.bytes())
	g.PoolID = d.pool.str(r.bytes())
	g.Device = string(r.bytes())
	g.User = string(r.bytes())
	g.ClientHost = string(r.bytes())
	g.Display = string(r.bytes())
	g.Product = d.product.str(r.bytes())
	g.VersionDate = uint32(r.uvarint())
	g.Sockets = uint16(r.uvarint())
	g.Start = r.varint()
	if r.err != nil {
		return nil, decodeErr("grant", key, r.err)
	}
	return g, nil
}

const (
	sessionLost     byte = 1 << 0
	sessionUsed     byte = 1 << 1
	sessionReleased byte = 1 << 2
)

func encodeSession(dst []byte, s *Session) []byte {
	dst = append(dst, formatV1)
	dst = appendString(dst, s.ClientID)
	dst = appendString(dst, s.Product)
	dst = appendString(dst, s.Host)
	dst = appendString(dst, s.Edition)
	dst = appendString(dst, s.Model)
	dst = binary.AppendUvarint(dst, uint64(s.VersionDate))
	dst = binary.AppendVarint(dst, s.Connected)
	dst = binary.AppendVarint(dst, s.LastSeen)
	var flags byte
	if s.Lost {
		flags |= sessionLost
	}
	if s.Used {
		flags |= sessionUsed
	}
	if s.Released {
		flags |= sessionReleased
	}
	dst = append(dst, flags)
	dst = appendString(dst, string(s.TokenHash))
	return appendString(dst, s.Addr)
}

type sessionDecoder struct {
	s                       Session
	product, edition, model strCache
}

func (d *sessionDecoder) decode(key, val []byte) (*Session, error) {
	if len(key) != 9 {
		return nil, decodeErr("session", key, errBadKey)
	}
	r := reader{b: val}
	r.format("session")
	s := &d.s
	s.ID = binary.BigEndian.Uint64(key[1:])
	s.ClientID = string(r.bytes())
	s.Product = d.product.str(r.bytes())
	s.Host = string(r.bytes())
	s.Edition = d.edition.str(r.bytes())
	s.Model = d.model.str(r.bytes())
	s.VersionDate = uint32(r.uvarint())
	s.Connected = r.varint()
	s.LastSeen = r.varint()
	flags := r.byte1()
	s.Lost, s.Used, s.Released = flags&sessionLost != 0, flags&sessionUsed != 0, flags&sessionReleased != 0
	s.TokenHash, s.Addr = nil, ""
	if r.err == nil && len(r.b) > 0 { // fields appended after the flags; older records end here
		if h := r.bytes(); len(h) > 0 {
			s.TokenHash = bytes.Clone(h) // callers keep copies of the record
		}
		s.Addr = string(r.bytes())
	}
	if r.err != nil {
		return nil, decodeErr("session", key, r.err)
	}
	return s, nil
}

func encodeUDEdge(dst []byte, e *UDEdge) []byte {
	dst = append(dst, formatV1)
	dst = binary.AppendVarint(dst, e.First)
	dst = binary.AppendVarint(dst, e.LastSeen)
	return binary.AppendUvarint(dst, uint64(e.Live))
}

type udEdgeDecoder struct {
	e             UDEdge
	feature, user strCache
	scratch       []byte
}

func (d *udEdgeDecoder) decode(key, val []byte) (*UDEdge, error) {
	e := &d.e
	feature, rest, err := readEscaped(key[1:], d.scratch)
	if err != nil {
		return nil, decodeErr("user/device connection", key, err)
	}
	e.Feature = d.feature.str(feature)
	user, rest, err := readEscaped(rest, feature[:0])
	if err != nil {
		return nil, decodeErr("user/device connection", key, err)
	}
	e.User = d.user.str(user) // a user's devices are adjacent
	e.Device = string(rest)
	d.scratch = user[:0]
	r := reader{b: val}
	r.format("user/device connection")
	e.First = r.varint()
	e.LastSeen = r.varint()
	e.Live = uint32(r.uvarint())
	if r.err != nil {
		return nil, decodeErr("user/device connection", key, r.err)
	}
	return e, nil
}

func encodeUDLicense(dst []byte, l *UDLicense) []byte {
	dst = append(dst, formatV1)
	dst = binary.AppendVarint(dst, l.Since)
	return binary.AppendVarint(dst, l.LeaseEnd)
}

type udLicenseDecoder struct {
	l       UDLicense
	feature strCache
	scratch []byte
}

func (d *udLicenseDecoder) decode(key, val []byte) (*UDLicense, error) {
	l := &d.l
	feature, rest, err := readEscaped(key[1:], d.scratch)
	if err != nil || len(rest) == 0 {
		return nil, decodeErr("user/device license", key, errBadKey)
	}
	d.scratch = feature[:0]
	l.Feature = d.feature.str(feature)
	l.Kind = rest[0]
	l.Name = string(rest[1:])
	r := reader{b: val}
	r.format("user/device license")
	l.Since = r.varint()
	l.LeaseEnd = r.varint()
	if r.err != nil {
		return nil, decodeErr("user/device license", key, r.err)
	}
	return l, nil
}

func encodeEventValue(dst []byte, e *Event) []byte {
	dst = append(dst, formatV1)
	dst = appendString(dst, e.Kind)
	return appendString(dst, e.Text)
}

type eventDecoder struct {
	e             Event
	feature, kind strCache
	scratch       []byte
}

func (d *eventDecoder) decode(key, val []byte) (*Event, error) {
	e := &d.e
	feature, rest, err := readEscaped(key[1:], d.scratch)
	if err != nil || len(rest) != 8+eventSeqLen {
		return nil, decodeErr("event", key, errBadKey)
	}
	d.scratch = feature[:0]
	e.Feature = d.feature.str(feature)
	e.Time = readTime(rest)
	r := reader{b: val}
	r.format("event")
	e.Kind = d.kind.str(r.bytes())
	e.Text = string(r.bytes())
	if r.err != nil {
		return nil, decodeErr("event", key, r.err)
	}
	return e, nil
}

func encodeAccount(dst []byte, a *Account) []byte {
	dst = append(dst, formatV1)
	dst = appendString(dst, a.Role)
	dst = appendBytes(dst, a.PasswordHash)
	return binary.AppendVarint(dst, a.Created)
}

func decodeAccount(key, val []byte) (Account, error) {
	r := reader{b: val}
	r.format("account")
	a := Account{Name: string(key[1:])}
	a.Role = string(r.bytes())
	a.PasswordHash = append([]byte(nil), r.bytes()...)
	a.Created = r.varint()
	if r.err != nil {
		return Account{}, decodeErr("account", key, r.err)
	}
	return a, nil
}

func encodeCounter(dst []byte, v int64) []byte {
	return binary.AppendVarint(append(dst, formatV1), v)
}

func decodeCounter(key, val []byte) (int64, error) {
	r := reader{b: val}
	r.format("counter")
	v := r.varint()
	if r.err != nil {
		return 0, decodeErr("counter", key, r.err)
	}
	return v, nil
}

func encodeUint(dst []byte, v uint64) []byte {
	return binary.AppendUvarint(append(dst, formatV1), v)
}

func decodeUint(record string, key, val []byte) (uint64, error) {
	r := reader{b: val}
	r.format(record)
	v := r.uvarint()
	if r.err != nil {
		return 0, decodeErr(record, key, r.err)
	}
	return v, nil
}

// Settings are opaque to storage: the value after the format byte is the
// owner's, and the owner versions its own bytes.
func encodeSetting(dst []byte, v []byte) []byte { return append(append(dst, formatV1), v...) }

func decodeSetting(key, val []byte) ([]byte, error) {
	if len(val) == 0 || val[0] != formatV1 {
		return nil, decodeErr("setting", key, errors.New("unknown format byte"))
	}
	return append([]byte{}, val[1:]...), nil
}

// Counter names for the Call Home data elements "UDAdminUsersReleased" and
// "UDAdminDevicesReleased" ("Count of users/devices released by udadmin"), kept
// per feature. Counters(UDAdminUsersReleasedCounter("")) lists every feature's.
func UDAdminUsersReleasedCounter(feature string) string { return "udadmin/users-released/" + feature }

// UDAdminDevicesReleasedCounter: see UDAdminUsersReleasedCounter.
func UDAdminDevicesReleasedCounter(feature string) string {
	return "udadmin/devices-released/" + feature
}
