package concurrent

import (
	"testing"

	"github.com/licd/licd/wire"
)

// The options file is asked before a grant, after the count; Took and Returned follow the
// license units, not the sessions, and balance.
func TestPolicyCallsAndBalance(t *testing.T) {
	policy := newRecordingPolicy()
	f := New("F", []PoolSpec{permanent("a", 20230101, 1), permanent("b", 20240101, 2)}, Config{Policy: policy})
	mustCheckout(t, f, req("d1", 20220101), 1)
	r := req("d1", 20220101)
	r.User = "someone-else"
	mustCheckout(t, f, r, 2) // joins d1's license
	mustCheckout(t, f, req("d2", 20220101), 3)
	want := []admitCall{
		{"u-d1", 3, 1},         // three free units across a and b
		{"someone-else", 2, 0}, // a join takes no unit
		{"u-d2", 2, 1},
	}
	if len(policy.admits) != len(want) {
		t.Fatalf("admit calls %+v, want %+v", policy.admits, want)
	}
	for i := range want {
		if policy.admits[i] != want[i] {
			t.Fatalf("admit call %d = %+v, want %+v", i, policy.admits[i], want[i])
		}
	}
	if policy.took != 2 {
		t.Fatalf("took %d units, want 2 (the join takes none)", policy.took)
	}
	// The first holder leaves, the joiner returns the unit last: it is returned under the
	// identity that took it.
	f.Checkin(1)
	f.Checkin(2)
	f.Checkin(3)
	if !policy.balanced() {
		t.Fatalf("policy unbalanced: held %v took %d returned %d", policy.held, policy.took, policy.returned)
	}
	// The count is checked before the options file: a full feature never asks it.
	full := New("F", []PoolSpec{permanent("a", 20230101, 0)}, Config{Policy: policy})
	policy.admits = nil
	_, err := full.Checkout(req("d", 20220101), 1, now)
	wantCode(t, err, wire.CodeLicensedNumberReached)
	if len(policy.admits) != 0 {
		t.Fatalf("a full feature asked the options file %d times", len(policy.admits))
	}
}

func TestPolicyDenialMapping(t *testing.T) {
	policy := newRecordingPolicy()
	policy.deny["mallory"] = true
	r := req("d", 20220101)
	r.User = "mallory"
	pools := []PoolSpec{permanent("a", 20230101, 5)}

	f := New("F", pools, Config{Policy: policy})
	_, err := f.Checkout(r, 1, now)
	wantCode(t, err, wire.CodeExcluded)
	if err.Detail != errDenied.Error() {
		t.Fatalf("default mapping detail %q, want the policy's text", err.Detail)
	}
	mapped := New("F", pools, Config{Policy: policy, MapPolicyError: func(error) *wire.Error {
		return wire.Errorf(wire.CodeMaxReached, "MAX 0 for mallory")
	}})
	_, err = mapped.Checkout(r, 1, now)
	wantCode(t, err, wire.CodeMaxReached)
	// A denied user cannot slip in by joining a device's license either.
	mustCheckout(t, f, req("d", 20220101), 2)
	_, err = f.Checkout(r, 3, now)
	wantCode(t, err, wire.CodeExcluded)
	if f.InUse() != 1 || f.Holders() != 1 || policy.took != 1 {
		t.Fatalf("denials changed state: in use %d holders %d took %d", f.InUse(), f.Holders(), policy.took)
	}
}
