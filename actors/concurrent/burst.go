package concurrent

import (
	"time"

	"github.com/licd/licd/actors/burst"
)

// SetBurstOff switches License burst mode off or on (the administrator's setting).
func (f *Feature) SetBurstOff(off bool) { f.burstOff = off }

// Burst is a pool's burst mode state.
func (f *Feature) Burst(poolID string) (burst.State, bool) {
	p := f.byID[poolID]
	if p == nil {
		return burst.State{}, false
	}
	return p.burst, true
}

// BurstInstalled applies the pools' Retail lines after a start or an lmreread: another
// Retail license ends a running burst and re-arms the pool ("License burst mode"). It
// returns the pools whose state changed, to be persisted.
func (f *Feature) BurstInstalled(now time.Time) []string {
	var changed []string
	for _, p := range f.pools {
		if p.burst.Installed(p.retail, now) {
			changed = append(changed, p.id)
		}
	}
	return changed
}
