package wire

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"
)

// sampleMessages has one message of every type with every field set, so that a field the
// encoder forgets or the decoder misreads shows up in the round trip.
func sampleMessages() []Message {
	long := strings.Repeat("x", 300) // element bodies over 127 bytes take a longer length prefix
	name := strings.Repeat("n", 200) // as long, within MaxName for the fields a server limits
	return []Message{
		&Hello{ClientID: "ddc-01#7", Product: "XDT", Host: "ddc-01", Edition: "PLT", Model: "UD", VersionDate: 20240101, HeartbeatSeconds: 300},
		&HelloOK{SessionID: 1 << 40, ServerHost: "licsrv", ServerVersion: "licd 0.1", HeartbeatSeconds: 300, StartupHandle: 9,
			Inventory: []InventoryItem{
				{Feature: "XDT_PLT_UD", Model: "UD", CSS: 20250101, Installed: 1000, Expiry: 0},
				{Feature: "MPS_ENT_CCU", Model: "CCU", CSS: 20230501, Installed: 20, Expiry: 1893456000},
				{Feature: long, Model: long, CSS: 1, Installed: 2, Expiry: -3},
			}},
		&Heartbeat{UnixNano: 1700000000123456789},
		&HeartbeatAck{UnixNano: -5},
		&Checkout{Feature: "MPS_ENT_CCU", Product: "MPS", Edition: "ENT", Model: "CCU", User: "alice", Device: "C39A925064A3",
			ClientHost: "ws-17", Display: "ica-3", VersionDate: 20240315, Sockets: 2},
		&Grant{Handle: 123456789012, Feature: "MPS_ENT_CCU", PoolID: "p1", CSS: 20250101, Shared: true, Assigned: "device", Cached: true},
		&Denial{Code: CodeLicensedNumberReached, Detail: "all 20 of MPS_ENT_CCU in use"},
		&CheckoutBatch{Items: []Checkout{
			{Feature: "A", User: "u1"},
			{Product: "XDT", Edition: "PLT", Model: "UD", Device: name, Sockets: 65535},
		}},
		&BatchResult{Items: []BatchItem{
			{Grant: Grant{Handle: 1, Feature: "A", PoolID: "p", CSS: 2, Assigned: "user"}},
			{Denied: Denial{Code: CodeExpired, Detail: "expired 01-dec-2022"}},
		}},
		&Checkin{Handle: 1<<64 - 1},
		&CheckinDevice{Feature: "XDT_PLT_UD", Device: "dev-1"},
		&Ack{Released: 3},
		&Reconcile{Holds: []Hold{
			{Feature: "MPS_ENT_CCU", User: "bob", Device: "d", ClientHost: "h", Display: "x", VersionDate: 20240101, Sockets: 1, Since: 1700000000, Handle: 77},
			{Feature: "XDT_PLT_UD", User: name, Since: -1},
		}, More: true},
		&ReconcileResult{Items: []BatchItem{
			{Denied: Denial{Code: CodeNoSuchFeature, Detail: "gone"}},
			{Grant: Grant{Handle: 88, Feature: "XDT_PLT_UD"}},
		}},
		&Query{Kind: QueryStatus, Feature: "XDT_PLT_UD", Detail: true},
		&QueryResult{JSON: []byte(`{"a":1}`)},
		&Admin{Token: "t0k", Op: "reread", Args: []byte(`{"x":[1,2]}`)},
		&AdminResult{JSON: []byte(`{}`)},
		&Locate{},
		&LocateResult{Host: "licsrv", VendorPort: 7279},
		&ProtocolError{Code: CodeShuttingDown, Detail: "bye"},
		&Goodbye{},
		&UserIdle{Handle: 1 << 41, IdleSeconds: 3600},
		&Redirect{Addr: "10.0.0.2:27000", Leader: 2, Detail: "node 3 follows node 2"},
	}
}

func TestEveryMessageRoundTripsThroughAFrame(t *testing.T) {
	msgs := sampleMessages()
	seen := map[MsgType]bool{}
	var stream []byte
	for i, m := range msgs {
		stream = AppendFrame(stream, uint32(i+1), m)
		seen[m.Type()] = true
	}
	for ty := MsgType(1); NewMessage(ty) != nil; ty++ {
		if !seen[ty] {
			t.Errorf("no round-trip sample for %v", ty)
		}
	}
	fr := NewFrameReader(bytes.NewReader(stream), 0)
	for i, want := range msgs {
		f, err := fr.Next()
		if err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		if f.Type != want.Type() || f.ReqID != uint32(i+1) {
			t.Fatalf("frame %d: type %v id %d, want %v id %d", i, f.Type, f.ReqID, want.Type(), i+1)
		}
		got := NewMessage(f.Type)
		if err := f.Decode(got); err != nil {
			t.Fatalf("%v: decode: %v", f.Type, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%v round trip:\n got %+v\nwant %+v", f.Type, got, want)
		}
	}
	if _, err := fr.Next(); err == nil || err.Error() != "EOF" {
		t.Fatalf("after the last frame: %v, want EOF", err)
	}
}

// A reused message struct must not keep values from the previous frame.
func TestDecodeIntoReusedStructResetsEveryField(t *testing.T) {
	for _, m := range sampleMessages() {
		reused := NewMessage(m.Type())
		if err := reused.Decode(m.AppendTo(nil)); err != nil {
			t.Fatal(err)
		}
		zero := NewMessage(m.Type())
		if err := reused.Decode(zero.AppendTo(nil)); err != nil {
			t.Fatalf("%v: %v", m.Type(), err)
		}
		normalizeEmpty(reused)
		if !reflect.DeepEqual(reused, zero) {
			t.Errorf("%v: reused struct kept old values: %+v", m.Type(), reused)
		}
	}
}

// normalizeEmpty turns empty-but-non-nil slices (kept for their capacity) into nil.
func normalizeEmpty(m Message) {
	switch m := m.(type) {
	case *HelloOK:
		if len(m.Inventory) == 0 {
			m.Inventory = nil
		}
	case *CheckoutBatch:
		if len(m.Items) == 0 {
			m.Items = nil
		}
	case *BatchResult:
		if len(m.Items) == 0 {
			m.Items = nil
		}
	case *Reconcile:
		if len(m.Holds) == 0 {
			m.Holds = nil
		}
	case *ReconcileResult:
		if len(m.Items) == 0 {
			m.Items = nil
		}
	case *QueryResult:
		if len(m.JSON) == 0 {
			m.JSON = nil
		}
	case *AdminResult:
		if len(m.JSON) == 0 {
			m.JSON = nil
		}
	case *Admin:
		if len(m.Args) == 0 {
			m.Args = nil
		}
	}
}

// PROTOCOL.md "Compatibility": an older writer's message, which ends before fields added
// later, decodes with those fields zero; a newer writer's extra trailing bytes are ignored.
func TestShorterAndLongerMessagesFromOtherVersionsDecode(t *testing.T) {
	full := (&Grant{Handle: 7, Feature: "F", PoolID: "P", CSS: 3, Shared: true, Assigned: "user", Cached: true}).AppendTo(nil)
	old := (&Grant{Handle: 7, Feature: "F", PoolID: "P", CSS: 3}).AppendTo(nil)
	old = old[:len(old)-3] // a writer that knew only Handle, Feature, PoolID, CSS
	var g Grant
	if err := g.Decode(old); err != nil {
		t.Fatalf("older, shorter grant: %v", err)
	}
	if g != (Grant{Handle: 7, Feature: "F", PoolID: "P", CSS: 3}) {
		t.Fatalf("older grant decoded as %+v", g)
	}
	newer := append(append([]byte{}, full...), 0x05, 'e', 'x', 't', 'r', 'a')
	if err := g.Decode(newer); err != nil {
		t.Fatalf("newer, longer grant: %v", err)
	}
	if !g.Shared || g.Assigned != "user" || !g.Cached {
		t.Fatalf("newer grant decoded as %+v", g)
	}
	// The same inside list elements: an inventory item with a field from the future.
	item := func(feature string, installed uint64, extra bool) []byte {
		e := appendString(nil, feature)
		e = appendString(e, "")
		e = appendUint(e, 0)
		e = appendUint(e, installed)
		e = appendInt(e, 0)
		if extra {
			e = appendString(e, "a field from the future")
		}
		return e
	}
	hand := (&HelloOK{}).AppendTo(nil)
	hand = hand[:len(hand)-2] // drop the empty inventory count and session token
	hand = appendUint(hand, 2)
	hand = appendBytes(hand, item("A", 2, true))
	hand = appendBytes(hand, item("B", 3, false))
	var got HelloOK
	if err := got.Decode(hand); err != nil {
		t.Fatalf("inventory with a future field: %v", err)
	}
	if len(got.Inventory) != 2 || got.Inventory[0].Feature != "A" || got.Inventory[0].Installed != 2 || got.Inventory[1].Feature != "B" || got.Inventory[1].Installed != 3 {
		t.Fatalf("inventory decoded as %+v", got.Inventory)
	}
}

func TestTruncatedFieldIsAProtocolError(t *testing.T) {
	full := (&Checkout{Feature: "MPS_ENT_CCU", User: "alice", VersionDate: 20240101}).AppendTo(nil)
	var c Checkout
	err := c.Decode(full[:3]) // inside the Feature string
	var we *Error
	if !errors.As(err, &we) || we.Code != CodeProtocol || !strings.Contains(we.Detail, "checkout") {
		t.Fatalf("truncated checkout: %v, want a CodeProtocol error naming the message", err)
	}
	// A list count larger than the bytes left must not allocate a huge slice.
	var r Reconcile
	if err := r.Decode(appendUint(nil, 1<<31)); err == nil {
		t.Fatal("hostile list count accepted")
	}
	var g Grant
	if err := g.Decode(append(appendString(appendUint(nil, 1), ""), 0, 0, 7)); err == nil {
		t.Fatal("boolean 7 accepted")
	}
	// Sockets 1<<20 does not fit uint16: the element fails and so does the batch.
	elem := (&Checkout{}).AppendTo(nil)
	elem = appendUint(elem[:len(elem)-1], 1<<20)
	var cb CheckoutBatch
	if err := cb.Decode(appendBytes(appendUint(nil, 1), elem)); err == nil {
		t.Fatal("a sockets count of 1<<20 was accepted as uint16")
	}
}

func TestFeatureNameDefaultsToProductEditionModel(t *testing.T) {
	c := Checkout{Product: "XDT", Edition: "PLT", Model: "UD"}
	if got := c.FeatureName(); got != "XDT_PLT_UD" {
		t.Fatalf("FeatureName = %q", got)
	}
	c.Feature = "CITRIX"
	if got := c.FeatureName(); got != "CITRIX" {
		t.Fatalf("FeatureName = %q", got)
	}
}

func TestDenialErrCarriesTheCode(t *testing.T) {
	if (&Denial{}).Err() != nil {
		t.Fatal("OK denial is an error")
	}
	var we *Error
	if err := (&Denial{Code: CodeExpired, Detail: "d"}).Err(); !errors.As(err, &we) || we.Code != CodeExpired {
		t.Fatalf("Err() = %v", err)
	}
}
