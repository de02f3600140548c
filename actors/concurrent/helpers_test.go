package concurrent

import (
	"errors"
	"testing"
	"time"

	"github.com/licd/licd/wire"
)

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// now is the instant most tests run at.
var now = time.Date(2024, time.June, 15, 12, 0, 0, 0, time.UTC)

func permanent(id string, css uint32, count int) PoolSpec {
	return PoolSpec{ID: id, CSS: css, Count: count, Permanent: true}
}

func req(device string, version uint32) *Request {
	return &Request{Session: 1, Device: device, User: "u-" + device, Host: "h-" + device, Display: "d-" + device, Product: "XDT", VersionDate: version}
}

func mustCheckout(t *testing.T, f *Feature, r *Request, handle uint64) Grant {
	t.Helper()
	g, err := f.Checkout(r, handle, now)
	if err != nil {
		t.Fatalf("checkout %d of %s: %v", handle, r.Device, err)
	}
	return g
}

func wantCode(t *testing.T, err *wire.Error, code wire.Code) {
	t.Helper()
	if code == wire.OK {
		if err != nil {
			t.Fatalf("got %v, want a grant", err)
		}
		return
	}
	if err == nil || err.Code != code {
		t.Fatalf("got %v, want code %d (%s)", err, code, code.Text())
	}
}

// recordingPolicy is an options file that denies listed users and counts units per user.
type recordingPolicy struct {
	deny     map[string]bool
	held     map[string]int // Took minus Returned, by user
	admits   []admitCall
	took     int
	returned int
}

type admitCall struct {
	user    string
	free, n int
}

func newRecordingPolicy() *recordingPolicy {
	return &recordingPolicy{deny: map[string]bool{}, held: map[string]int{}}
}

var errDenied = errors.New("user on EXCLUDE list")

func (p *recordingPolicy) Admit(user, host, display string, free, n int) error {
	p.admits = append(p.admits, admitCall{user, free, n})
	if p.deny[user] {
		return errDenied
	}
	return nil
}

func (p *recordingPolicy) Took(user, host, display string, n int) {
	p.held[user] += n
	p.took += n
}

func (p *recordingPolicy) Returned(user, host, display string, n int) {
	p.held[user] -= n
	p.returned += n
}

// balanced reports whether every unit taken was returned, under the same user.
func (p *recordingPolicy) balanced() bool {
	for _, n := range p.held {
		if n != 0 {
			return false
		}
	}
	return p.took == p.returned
}
