package storage

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"
	"go.uber.org/zap/zaptest"
)

func openMem(t *testing.T, fs vfs.FS) *Store {
	t.Helper()
	s, err := Open("data", Options{FS: fs, Logger: zaptest.NewLogger(t), CacheBytes: 1 << 20})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return s
}

func mustCommit(t *testing.T, s *Store, build func(b *Batch)) {
	t.Helper()
	b := NewBatch()
	build(b)
	if err := s.Commit(b); err != nil {
		t.Fatalf("Commit: %v", err)
	}
}

func reopen(t *testing.T, s *Store, fs vfs.FS) *Store {
	t.Helper()
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	return openMem(t, fs)
}

func TestRecordsSurviveReopen(t *testing.T) {
	fs := vfs.NewMem()
	s := openMem(t, fs)
	mustCommit(t, s, func(b *Batch) {
		for i := range testGrants {
			b.PutGrant(&testGrants[i])
		}
		for i := range testSessions {
			b.PutSession(&testSessions[i])
		}
		for i := range testEdges {
			b.PutUDEdge(&testEdges[i])
		}
		for i := range testLicenses {
			b.PutUDLicense(&testLicenses[i])
		}
		for i := range testAccounts {
			b.PutAccount(&testAccounts[i])
		}
		b.PutSetting("console.theme", []byte("dark"))
		b.PutSetting("empty", nil)
	})
	s = reopen(t, s, fs)
	defer s.Close()

	// Grants come back in handle order.
	var grants []Grant
	if err := s.ForEachGrant(func(g *Grant) error { grants = append(grants, *g); return nil }); err != nil {
		t.Fatal(err)
	}
	want := []Grant{testGrants[0], testGrants[2], testGrants[1]} // handles 1, 2, MaxUint64
	if !reflect.DeepEqual(grants, want) {
		t.Errorf("grants:\n got %+v\nwant %+v", grants, want)
	}
	var sessions []Session
	if err := s.ForEachSession(func(x *Session) error { sessions = append(sessions, *x); return nil }); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(sessions, testSessions) {
		t.Errorf("sessions:\n got %+v\nwant %+v", sessions, testSessions)
	}
	edges := map[UDEdge]bool{}
	if err := s.ForEachUDEdge(func(e *UDEdge) error { edges[*e] = true; return nil }); err != nil {
		t.Fatal(err)
	}
	for _, e := range testEdges {
		if !edges[e] {
			t.Errorf("user/device edge %+v missing after reopen (have %v)", e, edges)
		}
	}
	lics := map[UDLicense]bool{}
	if err := s.ForEachUDLicense(func(l *UDLicense) error { lics[*l] = true; return nil }); err != nil {
		t.Fatal(err)
	}
	for _, l := range testLicenses {
		if !lics[l] {
			t.Errorf("user/device license %+v missing after reopen", l)
		}
	}
	accounts, err := s.Accounts()
	if err != nil || len(accounts) != 2 || accounts[0].Name != "admin" || !bytes.Equal(accounts[0].PasswordHash, testAccounts[0].PasswordHash) || accounts[1].Name != "viewer" {
		t.Errorf("accounts = %+v, %v", accounts, err)
	}
	if v, ok, err := s.Setting("console.theme"); err != nil || !ok || string(v) != "dark" {
		t.Errorf("setting = %q, %v, %v", v, ok, err)
	}
	if v, ok, err := s.Setting("empty"); err != nil || !ok || len(v) != 0 {
		t.Errorf("empty setting = %q, %v, %v; want set and empty", v, ok, err)
	}
	if _, ok, err := s.Setting("never"); err != nil || ok {
		t.Errorf("unset setting reported as set (%v, %v)", ok, err)
	}
}

func TestDeletesRemoveRecords(t *testing.T) {
	fs := vfs.NewMem()
	s := openMem(t, fs)
	mustCommit(t, s, func(b *Batch) {
		b.PutGrant(&Grant{Handle: 1})
		b.PutGrant(&Grant{Handle: 2})
		b.PutSession(&Session{ID: 1})
		b.PutUDEdge(&UDEdge{Feature: "F", User: "u", Device: "d"})
		b.PutUDEdge(&UDEdge{Feature: "F", User: "u", Device: "d2"})
		b.PutUDLicense(&UDLicense{Feature: "F", Kind: UDKindUser, Name: "u"})
		b.PutUDLicense(&UDLicense{Feature: "F", Kind: UDKindDevice, Name: "u"})
		b.PutSetting("k", []byte("v"))
		b.PutAccount(&Account{Name: "a"})
	})
	mustCommit(t, s, func(b *Batch) {
		b.DeleteGrant(1)
		b.DeleteSession(1)
		b.DeleteUDEdge("F", "u", "d")
		b.DeleteUDLicense("F", UDKindUser, "u")
		b.DeleteSetting("k")
		b.DeleteAccount("a")
	})
	s = reopen(t, s, fs)
	defer s.Close()
	var handles []uint64
	_ = s.ForEachGrant(func(g *Grant) error { handles = append(handles, g.Handle); return nil })
	if !reflect.DeepEqual(handles, []uint64{2}) {
		t.Errorf("grants after check-in of 1: %v, want [2]", handles)
	}
	n := 0
	_ = s.ForEachSession(func(*Session) error { n++; return nil })
	if n != 0 {
		t.Errorf("%d sessions after delete", n)
	}
	var devices []string
	_ = s.ForEachUDEdge(func(e *UDEdge) error { devices = append(devices, e.Device); return nil })
	if !reflect.DeepEqual(devices, []string{"d2"}) {
		t.Errorf("edges after delete: %v, want [d2]", devices)
	}
	var kinds []uint8
	_ = s.ForEachUDLicense(func(l *UDLicense) error { kinds = append(kinds, l.Kind); return nil })
	if !reflect.DeepEqual(kinds, []uint8{UDKindDevice}) {
		t.Errorf("user/device licenses after releasing the user one: kinds %v", kinds)
	}
	if _, ok, _ := s.Setting("k"); ok {
		t.Error("deleted setting still set")
	}
	if a, _ := s.Accounts(); len(a) != 0 {
		t.Errorf("deleted account still there: %+v", a)
	}
}

// "License assignment period": "The user/device lease for the license
// assignment will expire in 90 days after the last connected user or device
// disconnects." The lease runs from LastSeen, so LastSeen and the live count
// must survive a restart, or a restart would hand a user a fresh 90 days or
// drop a lease early.
func TestUserDeviceLeaseTimesSurviveRestart(t *testing.T) {
	fs := vfs.NewMem()
	s := openMem(t, fs)
	const day = int64(24 * 60 * 60 * 1e9)
	disconnected := UDEdge{Feature: "XDT_PLT_UD", User: "John", Device: "Laptop", First: 1 * day, LastSeen: 30 * day, Live: 0}
	connected := UDEdge{Feature: "XDT_PLT_UD", User: "John", Device: "PC", First: 2 * day, LastSeen: 31 * day, Live: 2}
	assignment := UDLicense{Feature: "XDT_PLT_UD", Kind: UDKindUser, Name: "John", Since: 1 * day, LeaseEnd: 121 * day}
	mustCommit(t, s, func(b *Batch) {
		b.PutUDEdge(&disconnected)
		b.PutUDEdge(&connected)
		b.PutUDLicense(&assignment)
	})
	s = reopen(t, s, fs)
	defer s.Close()
	var edges []UDEdge
	_ = s.ForEachUDEdge(func(e *UDEdge) error { edges = append(edges, *e); return nil })
	if !reflect.DeepEqual(edges, []UDEdge{disconnected, connected}) {
		t.Errorf("edges after restart %+v", edges)
	}
	var lics []UDLicense
	_ = s.ForEachUDLicense(func(l *UDLicense) error { lics = append(lics, *l); return nil })
	if len(lics) != 1 || lics[0] != assignment {
		t.Errorf("assignment after restart %+v, want %+v", lics, assignment)
	}
}

// Call Home data elements: "UDAdminUsersReleased  Count of users released by
// udadmin" and "UDAdminDevicesReleased  Count of devices released by udadmin",
// per feature. The counts must survive restarts.
func TestUDAdminReleaseCountersPerFeature(t *testing.T) {
	fs := vfs.NewMem()
	s := openMem(t, fs)
	mustCommit(t, s, func(b *Batch) {
		b.PutCounter(UDAdminUsersReleasedCounter("XDT_ENT_UD"), 3)
		b.PutCounter(UDAdminDevicesReleasedCounter("XDT_ENT_UD"), 1)
		b.PutCounter(UDAdminUsersReleasedCounter("XDT_PLT_UD"), 2)
		b.PutCounter("other", 9)
	})
	mustCommit(t, s, func(b *Batch) { b.PutCounter(UDAdminDevicesReleasedCounter("XDT_ENT_UD"), 4) })
	s = reopen(t, s, fs)
	defer s.Close()
	if v, err := s.Counter(UDAdminDevicesReleasedCounter("XDT_ENT_UD")); err != nil || v != 4 {
		t.Errorf("devices released = %d, %v; want the last written value 4", v, err)
	}
	if v, err := s.Counter("never"); err != nil || v != 0 {
		t.Errorf("unwritten counter = %d, %v; want 0", v, err)
	}
	users, err := s.Counters(UDAdminUsersReleasedCounter(""))
	want := map[string]int64{UDAdminUsersReleasedCounter("XDT_ENT_UD"): 3, UDAdminUsersReleasedCounter("XDT_PLT_UD"): 2}
	if err != nil || !reflect.DeepEqual(users, want) {
		t.Errorf("Counters(users released) = %v, %v; want %v", users, err, want)
	}
}

func TestEventsInTimeOrderPerFeature(t *testing.T) {
	fs := vfs.NewMem()
	s := openMem(t, fs)
	// Out of order, negative times, ties, and a feature that extends another's name.
	mustCommit(t, s, func(b *Batch) {
		b.AppendEvent(&Event{Feature: "A", Time: 30, Kind: "k", Text: "a30"})
		b.AppendEvent(&Event{Feature: "AB", Time: 1, Kind: "k", Text: "ab1"})
		b.AppendEvent(&Event{Feature: "A", Time: -5, Kind: "k", Text: "a-5"})
		b.AppendEvent(&Event{Feature: "A", Time: 10, Kind: "k", Text: "a10-first"})
	})
	mustCommit(t, s, func(b *Batch) { b.AppendEvent(&Event{Feature: "A", Time: 10, Kind: "k", Text: "a10-second"}) })
	s = reopen(t, s, fs)
	// A tie with an event of an earlier boot is kept too, after it.
	mustCommit(t, s, func(b *Batch) { b.AppendEvent(&Event{Feature: "A", Time: 10, Kind: "k", Text: "a10-next-boot"}) })
	defer s.Close()
	texts := func(feature string) []string {
		var out []string
		if err := s.Events(feature, func(e *Event) error { out = append(out, e.Text); return nil }); err != nil {
			t.Fatal(err)
		}
		return out
	}
	if got, want := texts("A"), []string{"a-5", "a10-first", "a10-second", "a10-next-boot", "a30"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Events(A) = %v, want %v", got, want)
	}
	if got, want := texts(""), []string{"a-5", "a10-first", "a10-second", "a10-next-boot", "a30", "ab1"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Events(all) = %v, want %v", got, want)
	}
	stop := errors.New("stop")
	if err := s.Events("A", func(*Event) error { return stop }); err != stop {
		t.Errorf("callback error came back as %v", err)
	}
}

func TestReserveIDsNeverRepeats(t *testing.T) {
	fs := vfs.NewMem()
	s := openMem(t, fs)
	seen := map[uint64]bool{}
	take := func(name string, n uint64) {
		t.Helper()
		first, err := s.ReserveIDs(name, n)
		if err != nil {
			t.Fatal(err)
		}
		if first == 0 {
			t.Fatal("id 0 handed out")
		}
		for id := first; id < first+n; id++ {
			if seen[id] && name == "handles" {
				t.Fatalf("handle %d handed out twice", id)
			}
			if name == "handles" {
				seen[id] = true
			}
		}
	}
	take("handles", 1000)
	take("sessions", 5) // allocators are independent
	take("handles", 1)
	s = reopen(t, s, fs)
	take("handles", 1000)
	defer s.Close()
	if _, err := s.ReserveIDs("handles", 0); err == nil {
		t.Error("ReserveIDs(0) succeeded")
	}
	if first, _ := s.ReserveIDs("sessions", 1); first != 6 {
		t.Errorf("sessions continue at %d, want 6", first)
	}
}

func TestOpenRefusesNewerSchema(t *testing.T) {
	fs := vfs.NewMem()
	s := openMem(t, fs)
	mustCommit(t, s, func(b *Batch) {
		b.key = metaKey(b.key[:0], metaSchema)
		b.val = encodeUint(b.val[:0], SchemaVersion+1)
		b.set(opSet, b.key, b.val)
	})
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	_, err := Open("data", Options{FS: fs})
	if err == nil || !strings.Contains(err.Error(), "newer licd") || !strings.Contains(err.Error(), "data") {
		t.Fatalf("Open of newer data: %v; want an error naming the directory and a newer licd", err)
	}
}

func TestOpenRefusesForeignPebbleData(t *testing.T) {
	fs := vfs.NewMem()
	db, err := pebble.Open("data", &pebble.Options{FS: fs})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Set([]byte("someone else's key"), []byte("x"), pebble.Sync); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	_, err = Open("data", Options{FS: fs})
	if err == nil || !strings.Contains(err.Error(), "not written by licd") {
		t.Fatalf("Open of foreign data: %v", err)
	}
}

func TestUseAfterCloseIsAnError(t *testing.T) {
	s := openMem(t, vfs.NewMem())
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	b := NewBatch()
	b.PutGrant(&Grant{Handle: 1})
	if err := s.Commit(b); !errors.Is(err, ErrClosed) {
		t.Errorf("Commit after Close: %v", err)
	}
	if err := s.ForEachGrant(func(*Grant) error { return nil }); !errors.Is(err, ErrClosed) {
		t.Errorf("ForEachGrant after Close: %v", err)
	}
}

func TestBatchLenAndReset(t *testing.T) {
	b := NewBatch()
	for i := range 10 {
		b.PutCounter(fmt.Sprint("c", i), int64(i))
	}
	b.DeleteGrant(3)
	if b.Len() != 11 {
		t.Errorf("Len = %d, want 11", b.Len())
	}
	b.Reset()
	if b.Len() != 0 {
		t.Errorf("Len after Reset = %d", b.Len())
	}
	s := openMem(t, vfs.NewMem())
	defer s.Close()
	if err := s.Commit(b); err != nil { // an empty batch is a no-op
		t.Fatal(err)
	}
	if m, _ := s.Counters(""); len(m) != 0 {
		t.Errorf("reset batch still wrote counters %v", m)
	}
}

func TestSecondOpenOfADirectoryInUseFails(t *testing.T) {
	fs := vfs.NewMem()
	s := openMem(t, fs)
	defer s.Close()
	_, err := Open("data", Options{FS: fs})
	if err == nil || !strings.Contains(err.Error(), "no other licd") {
		t.Fatalf("second Open: %v; want an error pointing at the other user of the directory", err)
	}
}
