package concurrent

import "time"

// Status is the feature's usage, for lmstat and the admin API.
type Status struct {
	Feature   string
	InUse     int // units held, in every pool
	Installed int // units of the pools usable now
	Pools     []PoolStatus
}

// PoolStatus is one pool's usage.
type PoolStatus struct {
	ID         string
	CSS        uint32
	Count      int
	InUse      int
	Expiry     time.Time
	Permanent  bool
	Start      time.Time
	Expired    bool
	NotStarted bool
	Removed    bool // gone from the license files; shown while devices still hold licenses
	Retail     int  // Retail license lines (burst mode)
	Peak       int  // the highest InUse since the last TakePeaks (at least InUse)
	Licenses   []LicenseStatus
}

// LicenseStatus is one device's license. "Determine licensing status (lmstat)": lmstat
// "displays only one use of the license, even if there are multiple connections sharing that
// license", so a shared license is one entry describing its oldest checkout still held.
type LicenseStatus struct {
	Device      string
	Units       int
	Sharers     int // checkouts sharing the license
	Handle      uint64
	Session     uint64 // the product session of the oldest checkout
	User        string
	Host        string
	Display     string
	Product     string
	VersionDate uint32
	Start       time.Time
}

// Status reports every pool, earliest CSS date first, and its licenses in the order taken.
func (f *Feature) Status(now time.Time) Status { return f.status(now, true) }

// Counts is Status without the licenses (every pool's Licenses is nil): what lmstat's
// summary, the Dashboard and the metrics read, without copying every holder while the
// feature's checkouts wait.
func (f *Feature) Counts(now time.Time) Status { return f.status(now, false) }

func (f *Feature) status(now time.Time, licenses bool) Status {
	st := Status{Feature: f.name, InUse: f.inUse, Installed: f.Installed(now), Pools: make([]PoolStatus, 0, len(f.pools))}
	for _, p := range f.pools {
		ps := PoolStatus{
			ID: p.id, CSS: p.css, Count: p.count, InUse: p.inUse, Peak: max(p.peak, p.inUse),
			Expiry: p.expiry, Permanent: p.permanent, Start: p.start,
			Expired: p.expired(now), NotStarted: !p.started(now), Removed: p.removed, Retail: p.retail,
		}
		if !licenses {
			st.Pools = append(st.Pools, ps)
			continue
		}
		ps.Licenses = make([]LicenseStatus, 0, len(p.licenses))
		for l := p.first; l != nil; l = l.next {
			h := l.head
			ps.Licenses = append(ps.Licenses, LicenseStatus{
				Device: l.device, Units: l.units, Sharers: l.sharers, Handle: h.handle, Session: h.session,
				User: h.user, Host: h.host, Display: h.display, Product: h.product,
				VersionDate: h.version, Start: h.start,
			})
		}
		st.Pools = append(st.Pools, ps)
	}
	return st
}

// InUse is the number of units held, in every pool (lmstat's "Total of N licenses in use").
func (f *Feature) InUse() int { return f.inUse }

// Installed is the number of units of the pools usable at now (lmstat's "Total of N licenses
// issued"): removed, expired and not yet started pools do not count.
func (f *Feature) Installed(now time.Time) int {
	n := 0
	for _, p := range f.pools {
		if p.usable(now) {
			n += p.count
		}
	}
	return n
}

// Holders is the number of checkouts held.
func (f *Feature) Holders() int { return len(f.holders) }

// TakePeaks starts a new peak period in every pool: a pool's peak is again its current use.
// The historical-usage sampler calls it (through the actor) right after it read Status, so
// that a burst of checkouts and check-ins between two samples still shows as that period's
// peak ("Historical Use"). The hot path only keeps a running maximum (newLicense).
func (f *Feature) TakePeaks() {
	for _, p := range f.pools {
		p.peak = p.inUse
	}
}
