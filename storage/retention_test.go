package storage

import (
	"reflect"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"
)

// udadmin's event log keeps a retention: events older than the cut-off go, newer ones and
// other features' stay (a feature whose name extends another's included).
func TestDeleteEventsBefore(t *testing.T) {
	fs := vfs.NewMem()
	s := openMem(t, fs)
	defer s.Close()
	mustCommit(t, s, func(b *Batch) {
		for _, ev := range []Event{
			{Feature: "A", Time: -5, Text: "a-5"}, {Feature: "A", Time: 10, Text: "a10"},
			{Feature: "A", Time: 20, Text: "a20"}, {Feature: "A", Time: 30, Text: "a30"},
			{Feature: "AB", Time: 1, Text: "ab1"}, {Feature: "B", Time: 1, Text: "b1"},
		} {
			b.AppendEvent(&ev)
		}
	})
	mustCommit(t, s, func(b *Batch) { b.DeleteEventsBefore("A", 20) })
	var got []string
	if err := s.Events("", func(e *Event) error { got = append(got, e.Text); return nil }); err != nil {
		t.Fatal(err)
	}
	if want := []string{"a20", "a30", "ab1", "b1"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("after DeleteEventsBefore(A, 20): %v, want %v", got, want)
	}
}

// A feature restores its own user/device records only, even when another feature's name
// extends its own.
func TestForEachUDOfOneFeature(t *testing.T) {
	s := openMem(t, vfs.NewMem())
	defer s.Close()
	mustCommit(t, s, func(b *Batch) {
		for _, f := range []string{"A", "AB", "B"} {
			b.PutUDEdge(&UDEdge{Feature: f, User: "u-" + f, Device: "d"})
			b.PutUDLicense(&UDLicense{Feature: f, Kind: UDKindUser, Name: "u-" + f})
		}
	})
	var edges, lics []string
	if err := s.ForEachUDEdgeOf("A", func(e *UDEdge) error { edges = append(edges, e.Feature+"/"+e.User); return nil }); err != nil {
		t.Fatal(err)
	}
	if err := s.ForEachUDLicenseOf("A", func(l *UDLicense) error { lics = append(lics, l.Feature+"/"+l.Name); return nil }); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(edges, []string{"A/u-A"}) || !reflect.DeepEqual(lics, []string{"A/u-A"}) {
		t.Fatalf("records of A: edges %v, licenses %v", edges, lics)
	}
}
