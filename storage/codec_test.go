package storage

import (
	"bytes"
	"math"
	"reflect"
	"testing"
)

// Strings with the key escape byte, empty strings and extreme numbers must all
// survive a trip through a Batch, a commit and a read.
var (
	testGrants = []Grant{
		{Handle: 1, Session: 7, Feature: "XDT_PLT_UD", PoolID: "pool-a", Device: "dev1", User: "alice", ClientHost: "host", Display: ":0", Product: "XDT", VersionDate: 20250101, Sockets: 2, Start: 1_700_000_000_000_000_000},
		{Handle: math.MaxUint64, Session: math.MaxUint64, Feature: "F\x00G", User: "\x00", VersionDate: math.MaxUint32, Sockets: math.MaxUint16, Start: math.MinInt64},
		{Handle: 2},
	}
	testSessions = []Session{
		{ID: 3, ClientID: "c-1", Product: "XDT", Host: "ddc01", Edition: "PLT", Model: "UD", VersionDate: 20240101, Connected: -5, LastSeen: math.MaxInt64, Lost: true},
		{ID: 4},
	}
	testEdges = []UDEdge{
		{Feature: "XDT_PLT_UD", User: "alice", Device: "laptop", First: 10, LastSeen: 20, Live: 3},
		{Feature: "XDT_PLT_UD", User: "al\x00ice", Device: "\x00\xff", First: math.MinInt64, LastSeen: math.MaxInt64, Live: math.MaxUint32},
		{Feature: "", User: "", Device: ""},
	}
	testLicenses = []UDLicense{
		{Feature: "XDT_PLT_UD", Kind: UDKindUser, Name: "alice", Since: 1, LeaseEnd: 2},
		{Feature: "XDT_PLT_UD", Kind: UDKindDevice, Name: "dn01.88", Since: -1, LeaseEnd: math.MaxInt64},
		{Feature: "A\x00", Kind: UDKindDevice, Name: ""},
	}
	testAccounts = []Account{
		{Name: "admin", Role: "administrator", PasswordHash: []byte{0, 1, 2, 0xff}, Created: 99},
		{Name: "viewer", Role: "", PasswordHash: []byte{}, Created: -1},
	}
)

func TestCodecsRoundTrip(t *testing.T) {
	for _, want := range testGrants {
		var d grantDecoder
		got, err := d.decode(grantKey(nil, want.Handle), encodeGrant(nil, &want))
		if err != nil || !reflect.DeepEqual(*got, want) {
			t.Errorf("grant: got %+v, %v; want %+v", got, err, want)
		}
	}
	for _, want := range testSessions {
		var d sessionDecoder
		got, err := d.decode(sessionKey(nil, want.ID), encodeSession(nil, &want))
		if err != nil || !reflect.DeepEqual(*got, want) {
			t.Errorf("session: got %+v, %v; want %+v", got, err, want)
		}
	}
	for _, want := range testEdges {
		var d udEdgeDecoder
		got, err := d.decode(udEdgeKey(nil, want.Feature, want.User, want.Device), encodeUDEdge(nil, &want))
		if err != nil || !reflect.DeepEqual(*got, want) {
			t.Errorf("user/device edge: got %+v, %v; want %+v", got, err, want)
		}
	}
	for _, want := range testLicenses {
		var d udLicenseDecoder
		got, err := d.decode(udLicenseKey(nil, want.Feature, want.Kind, want.Name), encodeUDLicense(nil, &want))
		if err != nil || !reflect.DeepEqual(*got, want) {
			t.Errorf("user/device license: got %+v, %v; want %+v", got, err, want)
		}
	}
	for _, want := range testAccounts {
		got, err := decodeAccount(accountKey(nil, want.Name), encodeAccount(nil, &want))
		if err != nil || got.Name != want.Name || got.Role != want.Role || !bytes.Equal(got.PasswordHash, want.PasswordHash) || got.Created != want.Created {
			t.Errorf("account: got %+v, %v; want %+v", got, err, want)
		}
	}
	ev := Event{Feature: "F\x00", Time: -42, Kind: "RELEASE", Text: "udadmin released dn01.88"}
	var ed eventDecoder
	got, err := ed.decode(eventKey(nil, ev.Feature, ev.Time), encodeEventValue(nil, &ev))
	if err != nil || *got != ev {
		t.Errorf("event: got %+v, %v; want %+v", got, err, ev)
	}
	for _, v := range []int64{0, -1, math.MaxInt64, math.MinInt64} {
		if got, err := decodeCounter(counterKey(nil, "c"), encodeCounter(nil, v)); err != nil || got != v {
			t.Errorf("counter %d: got %d, %v", v, got, err)
		}
	}
}

// A value written by a newer layout, or cut short, is reported, not misread.
func TestCodecsRejectUnknownFormatAndTruncation(t *testing.T) {
	g := testGrants[0]
	val := encodeGrant(nil, &g)
	newer := append([]byte{formatV1 + 1}, val[1:]...)
	var d grantDecoder
	if _, err := d.decode(grantKey(nil, 1), newer); err == nil || !bytes.Contains([]byte(err.Error()), []byte("newer licd")) {
		t.Errorf("newer format: err = %v, want a message naming a newer licd", err)
	}
	for cut := 0; cut < len(val); cut++ {
		if _, err := d.decode(grantKey(nil, 1), val[:cut]); err == nil {
			t.Errorf("grant value cut to %d bytes decoded without error", cut)
		}
	}
}

func TestEscapedKeysKeepOrderAndBoundaries(t *testing.T) {
	// Sorted strings must give sorted keys, and "A" must not be a prefix of "A\x00B"'s key space.
	strs := []string{"", "\x00", "\x00\x00", "\x00\x01", "A", "A\x00", "A\x00B", "AB", "B", "\xff"}
	for i := 1; i < len(strs); i++ {
		a := appendEscaped(nil, strs[i-1])
		b := appendEscaped(nil, strs[i])
		if bytes.Compare(a, b) >= 0 {
			t.Errorf("escaped %q >= escaped %q", strs[i-1], strs[i])
		}
		if bytes.HasPrefix(b, a) {
			t.Errorf("escaped %q is a prefix of escaped %q", strs[i-1], strs[i])
		}
		got, rest, err := readEscaped(append(b, 'x'), nil)
		if err != nil || string(got) != strs[i] || string(rest) != "x" {
			t.Errorf("readEscaped(%q) = %q, %q, %v", strs[i], got, rest, err)
		}
	}
}
