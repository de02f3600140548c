package storage

import (
	"bytes"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"
)

func TestSweepGrantsKeepsOnlyLiveSessionsGrants(t *testing.T) {
	fs := vfs.NewMem()
	s := openMem(t, fs)
	mustCommit(t, s, func(b *Batch) {
		b.PutSession(&Session{ID: 1, ClientID: "live", TokenHash: bytes.Repeat([]byte{7}, 32), Addr: "10.0.0.1"})
		b.PutSession(&Session{ID: 2, ClientID: "released", Released: true})
		// Session 3 was deleted by a goodbye whose grant deletions never became durable.
		b.PutGrant(&Grant{Handle: 10, Session: 1, Feature: "F"})
		b.PutGrant(&Grant{Handle: 11, Session: 2, Feature: "F"})
		b.PutGrant(&Grant{Handle: 12, Session: 3, Feature: "F"})
		b.PutGrant(&Grant{Handle: 13, Session: 3, Feature: "G"})
	})
	b := NewBatch()
	b.PutGrant(&Grant{Handle: 14, Session: 1, Feature: "CITRIX"})
	if err := s.Commit(b); err != nil {
		t.Fatal(err)
	}
	n, used, err := s.SweepGrants("CITRIX")
	if err != nil || n != 3 {
		t.Fatalf("SweepGrants = %d, %v; want 3 grants of sessions 2 and 3", n, err)
	}
	if len(used) != 1 || !used[1] {
		t.Fatalf("sessions holding more than a start-up license = %v, want only 1", used)
	}
	s = reopen(t, s, fs)
	defer s.Close()
	var handles []uint64
	if err := s.ForEachGrant(func(g *Grant) error { handles = append(handles, g.Handle); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(handles) != 2 || handles[0] != 10 || handles[1] != 14 {
		t.Fatalf("grants after the sweep and a reopen = %v, want 10 and 14 (session 1 is live)", handles)
	}
	var got []Session
	if err := s.ForEachSession(func(r *Session) error { got = append(got, *r); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || !bytes.Equal(got[0].TokenHash, bytes.Repeat([]byte{7}, 32)) || got[0].Addr != "10.0.0.1" || !got[1].Released || got[1].TokenHash != nil {
		t.Fatalf("sessions read back = %+v; want the token hash, address and released flag kept", got)
	}
}
