package wire

import (
	"errors"
	"strings"
	"testing"
)

// Field sizes and record counts are checked as a request is decoded (PROTOCOL.md "Limits"):
// the error names the message, the record, the field and where it is.
func TestDecodeLimitsNameWhatAndWhere(t *testing.T) {
	long := strings.Repeat("a", MaxName+1)
	cases := []struct {
		name string
		msg  Message
		code Code
		want string
	}{
		{"hello product", &Hello{ClientID: "c", Product: long}, CodeBadRequest, "hello: product of 257 bytes exceeds the limit of 256 bytes"},
		{"hello host not utf-8", &Hello{ClientID: "c", Product: "XDT", Host: "h\xff"}, CodeBadRequest, "hello: host is not valid UTF-8"},
		{"checkout user", &Checkout{Feature: "F", User: long}, CodeBadName, "checkout: user of 257 bytes"},
		{"checkout display", &Checkout{Feature: "F", Display: long}, CodeBadRequest, "checkout: display of 257 bytes"},
		{"batch record", &CheckoutBatch{Items: []Checkout{{Feature: "F"}, {Feature: "F", Device: "\xc0"}}}, CodeBadName, "record 1 of checkout-batch: device is not valid UTF-8"},
		{"batch count", &CheckoutBatch{Items: make([]Checkout, MaxBatch+1)}, CodeBadRequest, "1001 checkouts exceed the limit of 1000 per frame"},
		{"reconcile count", &Reconcile{Holds: make([]Hold, MaxReconcileHolds+1)}, CodeBadRequest, "4097 holds exceed the limit of 4096"},
		{"query feature", &Query{Kind: QueryStatus, Feature: long}, CodeBadRequest, "query: feature of 257 bytes"},
		{"admin op", &Admin{Op: long}, CodeBadRequest, "admin: op of 257 bytes"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := NewMessage(c.msg.Type()).Decode(c.msg.AppendTo(nil))
			var we *Error
			if !errors.As(err, &we) || we.Code != c.code || !strings.Contains(we.Detail, c.want) {
				t.Fatalf("got %v, want code %d with %q", err, c.code, c.want)
			}
			if !strings.Contains(we.Detail, "payload byte") {
				t.Fatalf("%q does not say where", we.Detail)
			}
		})
	}
	// At the limits, everything decodes.
	ok := strings.Repeat("é", MaxName/2)
	if err := new(Checkout).Decode((&Checkout{Feature: ok, User: ok, Device: ok, ClientHost: ok, Display: ok}).AppendTo(nil)); err != nil {
		t.Fatalf("names of exactly %d bytes: %v", MaxName, err)
	}
	if err := new(CheckoutBatch).Decode((&CheckoutBatch{Items: make([]Checkout, MaxBatch)}).AppendTo(nil)); err != nil {
		t.Fatalf("a batch of exactly %d: %v", MaxBatch, err)
	}
}
