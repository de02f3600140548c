package userdevice

import (
	"testing"
	"time"
)

// The actor persists a pair only when it is new: a returning pair's lease is renewed by its
// live connection, and its record is rewritten at disconnect.
func TestDecisionSaysWhenThePairIsNew(t *testing.T) {
	f := NewFeature("XDT_PLT_UD", ModelUserDevice, 10, 0, DefaultConfig())
	now := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	d, err := f.Connect("ann", "pc", now)
	if err != nil || !d.NewPair {
		t.Fatalf("first connection: %+v %v, want a new pair", d, err)
	}
	d, err = f.Connect("ann", "pc", now.Add(time.Minute))
	if err != nil || d.NewPair {
		t.Fatalf("second connection of the same pair: %+v %v, want no new pair", d, err)
	}
	if d, _ = f.Connect("ann", "laptop", now.Add(time.Minute)); !d.NewPair {
		t.Fatal("the same user on another device is a new pair")
	}
}
