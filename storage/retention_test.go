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
