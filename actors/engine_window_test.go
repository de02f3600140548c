package actors

import (
	"testing"
	"time"

	"github.com/licd/licd/license"
)

// The server remembers released sessions for the longest GP= of its inventory, or the
// default when no license gives one.
func TestCachingWindowOfGP(t *testing.T) {
	pool := func(vs ...string) *license.Pool {
		p := &license.Pool{}
		for _, v := range vs {
			p.Lines = append(p.Lines, &license.Line{VendorString: license.ParseVendorString(v)})
		}
		return p
	}
	def := 30 * 24 * time.Hour
	for _, c := range []struct {
		inv  *license.Inventory
		want time.Duration
	}{
		{nil, def},
		{&license.Inventory{Pools: []*license.Pool{pool(";LT=Retail;SA=0")}}, def},
		{&license.Inventory{Pools: []*license.Pool{pool(";LT=Retail;GP=48"), pool(";GP=2")}}, 48 * time.Hour},
		{&license.Inventory{Pools: []*license.Pool{pool(";GP=720", ";GP=1440")}}, 60 * 24 * time.Hour},
	} {
		if got := CachingWindowOf(c.inv, def); got != c.want {
			t.Errorf("CachingWindowOf = %v, want %v", got, c.want)
		}
	}
}
