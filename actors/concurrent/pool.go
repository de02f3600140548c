package concurrent

import (
	"cmp"
	"math"
	"slices"
	"time"

	"github.com/licd/licd/actors/burst"
)

// pool is one pool of the feature and the device licenses taken from it.
type pool struct {
	id        string
	css       uint32
	count     int
	expiry    time.Time // as specified, for status
	start     time.Time // as specified, for status
	permanent bool
	expiryEnd time.Time   // first instant after the expiry day
	startDay  time.Time   // first instant of the start day; zero: no start date
	removed   bool        // gone from the license files; kept only while licenses remain
	retail    int         // Retail license lines: burst mode is armed only for these
	burst     burst.State // from the spec when the pool is new, then its own
	inUse     int         // units held by devices
	peak      int         // the highest inUse since TakePeaks last reset it ("Historical Use")
	licenses  map[string]*license
	// Licenses in the order they were taken, so that status lists them stably.
	first, last *license
}

func newPool(s PoolSpec) *pool {
	p := &pool{licenses: make(map[string]*license), burst: s.Burst}
	p.apply(s)
	return p
}

// apply updates the pool in place from its spec (an lmreread): holders are untouched.
func (p *pool) apply(s PoolSpec) {
	p.id, p.css, p.count, p.retail = s.ID, s.CSS, s.Count, s.RetailLines
	p.expiry, p.start, p.permanent = s.Expiry, s.Start, s.Permanent
	p.removed = false
	p.expiryEnd = time.Time{}
	if !s.Permanent {
		// A license is usable through the end of its expiry day.
		y, m, d := s.Expiry.Date()
		p.expiryEnd = time.Date(y, m, d+1, 0, 0, 0, 0, s.Expiry.Location())
	}
	p.startDay = time.Time{}
	if !s.Start.IsZero() {
		// A START date makes the license usable from the beginning of that day.
		y, m, d := s.Start.Date()
		p.startDay = time.Date(y, m, d, 0, 0, 0, 0, s.Start.Location())
	}
}

func (p *pool) expired(now time.Time) bool {
	return !p.permanent && !now.Before(p.expiryEnd)
}

func (p *pool) started(now time.Time) bool {
	return p.startDay.IsZero() || !now.Before(p.startDay)
}

// usable reports whether the pool may serve checkouts at now, new licenses or joins.
func (p *pool) usable(now time.Time) bool {
	return !p.removed && !p.expired(now) && p.started(now)
}

// room is the number of units the pool can still give out. It is negative while the pool is
// over its count after a reconcile or restore ("License caching mode example": "no new
// connections are allowed until they are within normal license limits").
//
// This is the one place that decides a pool's limit: "License burst mode" (unlimited
// connections for 15 consecutive days once the count is exceeded) will lift it here, taking
// now, without touching the callers.
func (p *pool) room(now time.Time) int {
	if p.burst.Active(now) {
		return math.MaxInt32 // "unlimited connections to a product for 15 consecutive days"
	}
	return p.count - p.inUse
}

// overCount reports whether the pool holds more units than it has: the state after a
// reconcile, a restore or an lmreread that lowered the count.
func (p *pool) overCount() bool { return p.inUse > p.count }

func (p *pool) link(l *license) {
	l.prev, l.next = p.last, nil
	if p.last == nil {
		p.first = l
	} else {
		p.last.next = l
	}
	p.last = l
}

func (p *pool) unlink(l *license) {
	if l.prev == nil {
		p.first = l.next
	} else {
		l.prev.next = l.next
	}
	if l.next == nil {
		p.last = l.prev
	} else {
		l.next.prev = l.prev
	}
	l.prev, l.next = nil, nil
}

// sortPools orders pools by CSS date, earliest first (the order in which a device's first
// license is looked for), then by ID so that the order never depends on the input's.
func sortPools(pools []*pool) {
	slices.SortFunc(pools, func(a, b *pool) int {
		if c := cmp.Compare(a.css, b.css); c != 0 {
			return c
		}
		return cmp.Compare(a.id, b.id)
	})
}
