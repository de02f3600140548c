package concurrent

import (
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/licd/licd/wire"
)

// shadowHolder is the test's own record of a checkout, independent of the Feature's structures.
type shadowHolder struct {
	pool, device string
	units        int
	session      uint64
}

// TestRandomSequencesKeepCountsHonest drives random checkouts, checkins, reconciles, session and
// device releases and rereads and checks after every step that (1) no checkout took a new unit
// from a pool that lacked room for it, (2) a shared grant joined a license the device already
// held, and (3) every pool's in-use equals the units of the distinct (pool, device) licenses
// the holders account for.
func TestRandomSequencesKeepCountsHonest(t *testing.T) {
	for seed := range uint64(40) {
		for _, model := range []Model{ModelConcurrent, ModelPerSocket} {
			runRandomSequence(t, seed, model)
		}
	}
}

func runRandomSequence(t *testing.T, seed uint64, model Model) {
	rng := rand.New(rand.NewPCG(seed, uint64(model)))
	specs := []PoolSpec{permanent("a", 20200101, 3), permanent("b", 20210101, 4), permanent("c", 20220101, 2)}
	policy := newRecordingPolicy()
	f := New("F", specs, Config{Model: model, Policy: policy})
	shadow := map[uint64]shadowHolder{}
	next := uint64(1)
	randomRequest := func() *Request {
		d := "d" + strconv.Itoa(rng.IntN(12))
		return &Request{
			Session: uint64(rng.IntN(3)), Device: d, Host: d, User: "u" + strconv.Itoa(rng.IntN(4)),
			VersionDate: []uint32{20190101, 20200601, 20210601, 20230101}[rng.IntN(4)],
			Sockets:     1 + rng.IntN(3),
		}
	}
	randomHandle := func() uint64 {
		if len(shadow) == 0 || rng.IntN(10) == 0 {
			return next + 1000 // unknown
		}
		k := rng.IntN(len(shadow))
		for h := range shadow {
			if k == 0 {
				return h
			}
			k--
		}
		panic("unreachable")
	}
	fail := func(step int, format string, args ...any) {
		t.Helper()
		t.Fatalf("seed %d model %d step %d: "+format, append([]any{seed, model, step}, args...)...)
	}
	for step := range 1500 {
		before := map[string]PoolStatus{}
		for _, p := range f.Status(now).Pools {
			before[p.ID] = p
		}
		switch op := rng.IntN(100); {
		case op < 50, op >= 50 && op < 56:
			reconcile := op >= 50
			r := randomRequest()
			var g Grant
			var err *wire.Error
			if reconcile {
				g, err = f.Reconcile(r, next, now)
			} else {
				g, err = f.Checkout(r, next, now)
			}
			if err != nil {
				break
			}
			held := false
			for _, s := range shadow {
				held = held || (s.pool == g.PoolID && s.device == r.Device)
			}
			if g.Shared != held {
				fail(step, "grant %+v shared=%v but the device held a license there: %v", g, g.Shared, held)
			}
			if p := before[g.PoolID]; !g.Shared && !reconcile && p.InUse+g.Units > p.Count {
				fail(step, "new %d units from pool %s at %d of %d", g.Units, g.PoolID, p.InUse, p.Count)
			}
			shadow[next] = shadowHolder{g.PoolID, r.Device, g.Units, r.Session}
			next++
		case op < 80:
			h := randomHandle()
			_, known := shadow[h]
			if ok, _ := f.Checkin(h); ok != known {
				fail(step, "checkin %d ok=%v, shadow knows it: %v", h, ok, known)
			}
			delete(shadow, h)
		case op < 86:
			s := uint64(rng.IntN(3))
			got := f.ReleaseSession(s)
			for _, h := range got {
				if shadow[h].session != s {
					fail(step, "session %d released handle %d of session %d", s, h, shadow[h].session)
				}
				delete(shadow, h)
			}
			for h, sh := range shadow {
				if sh.session == s {
					fail(step, "session %d release left handle %d", s, h)
				}
			}
		case op < 92:
			d := "d" + strconv.Itoa(rng.IntN(12))
			for _, h := range f.CheckinDevice(d) {
				if shadow[h].device != d {
					fail(step, "device %s checkin dropped handle %d of %q", d, h, shadow[h].device)
				}
				delete(shadow, h)
			}
			for h, sh := range shadow {
				if sh.device == d {
					fail(step, "device %s checkin left handle %d", d, h)
				}
			}
		default:
			// A reread changes counts and may drop or bring back pool c.
			n := 2 + rng.IntN(2)
			specs = specs[:0:0]
			for i, id := range []string{"a", "b", "c"}[:n] {
				specs = append(specs, permanent(id, uint32(20200101+10000*i), rng.IntN(5)))
			}
			f.Reload(specs)
		}
		checkAccounting(t, f, shadow, func(format string, args ...any) { fail(step, format, args...) })
	}
	for h := range shadow {
		f.Checkin(h)
	}
	if f.InUse() != 0 || !policy.balanced() {
		t.Fatalf("seed %d: after every checkin in use %d, policy took %d returned %d", seed, f.InUse(), policy.took, policy.returned)
	}
}

func checkAccounting(t *testing.T, f *Feature, shadow map[uint64]shadowHolder, fail func(string, ...any)) {
	t.Helper()
	type key struct{ pool, device string }
	units := map[key]int{}
	for _, s := range shadow {
		units[key{s.pool, s.device}] = s.units
	}
	want := map[string]int{}
	total := 0
	for k, u := range units {
		want[k.pool] += u
		total += u
	}
	st := f.Status(now)
	sharers := 0
	for _, p := range st.Pools {
		if p.InUse != want[p.ID] {
			fail("pool %s in use %d, holders account for %d", p.ID, p.InUse, want[p.ID])
		}
		if p.Removed && len(p.Licenses) == 0 {
			fail("removed pool %s kept without licenses", p.ID)
		}
		for _, l := range p.Licenses {
			sharers += l.Sharers
		}
		delete(want, p.ID)
	}
	if len(want) != 0 && anyPositive(want) {
		fail("holders in pools missing from status: %v", want)
	}
	if st.InUse != total || f.InUse() != total || sharers != len(shadow) || f.Holders() != len(shadow) {
		fail("in use %d/%d sharers %d holders %d, want %d units and %d holders", st.InUse, f.InUse(), sharers, f.Holders(), total, len(shadow))
	}
}

func anyPositive(m map[string]int) bool {
	for _, v := range m {
		if v > 0 {
			return true
		}
	}
	return false
}
