package history

import (
	"sort"

	"github.com/licd/licd/license"
	"github.com/licd/licd/wire"
)

// Pool is a license pool as the history names it.
type Pool struct {
	No      uint64 // its number in the samples (Catalog)
	ID      string // license.Pool.ID
	Feature string // PRODUCT_EDITION_MODEL
	Model   string // the model's name ("User/Device", "Concurrent", ...)
	CSS     uint32 // Customer Success Services date, YYYYMMDD
}

// ProductEdition is the "Product & Edition" of the manual's export filter: the feature's
// PRODUCT_EDITION, or the whole feature name for features without a model code ("Citrix
// Start-up License" is CITRIX).
func (p *Pool) ProductEdition() string {
	product, edition, _, ok := license.SplitFeature(p.Feature)
	if !ok {
		return p.Feature
	}
	return product + "_" + edition
}

// CSSText is the CSS date as license files write it (2024.0101).
func (p *Pool) CSSText() string { return license.CSSDate(p.CSS).String() }

// Observation is one pool's usage at a sampling instant.
type Observation struct {
	Pool           Pool // without No
	Installed      int  // purchased plus overdraft of the pool's lines in force ("License overdraft")
	InUse          int
	Peak           int // the highest InUse since the previous sample
	OverdraftInUse int // in use beyond the purchased count
}

// Observe turns the features' status (with peaks, from the sampler's query) and the
// inventory in force into one observation per pool. Installed comes from the inventory:
// a pool that left it (expired, removed) but still has holders is observed with nothing
// installed. User/device features count their pools together; their use is attributed to
// the pools earliest CSS date first, each up to its purchased count, then each up to its
// overdraft, the rest to the last pool (the order in which concurrent features fill their
// pools), so that the pools' numbers add up to the feature's.
func Observe(features []wire.FeatureStatus, inv *license.Inventory) []Observation {
	byID := map[string]*license.Pool{}
	if inv != nil {
		for _, p := range inv.Pools {
			byID[p.ID] = p
		}
	}
	var out []Observation
	for i := range features {
		fs := &features[i]
		if len(fs.Pools) == 0 {
			continue
		}
		obs := make([]Observation, len(fs.Pools))
		counts := make([]int, len(fs.Pools))
		overdrafts := make([]int, len(fs.Pools))
		ud := false
		for j := range fs.Pools {
			ps := &fs.Pools[j]
			o := &obs[j]
			o.Pool = Pool{ID: ps.ID, Feature: fs.Feature, Model: fs.Model}
			if lp := byID[ps.ID]; lp != nil {
				o.Pool.CSS = uint32(lp.CSS)
				o.Installed = lp.Installed()
				counts[j], overdrafts[j] = lp.Count, lp.Overdraft
				ud = ud || userDevice(lp.Model)
			} else if css, err := license.ParseCSSDate(ps.Version); err == nil {
				o.Pool.CSS = uint32(css)
			}
			o.InUse, o.Peak = ps.InUse, max(ps.PeakInUse, ps.InUse)
		}
		if ud {
			spread(obs, counts, overdrafts, fs.InUse, func(o *Observation, n int) { o.InUse = n })
			spread(obs, counts, overdrafts, max(fs.PeakInUse, fs.InUse), func(o *Observation, n int) { o.Peak = n })
		}
		for j := range obs {
			obs[j].OverdraftInUse = max(obs[j].InUse-counts[j], 0)
		}
		out = append(out, obs...)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Pool.ID < out[j].Pool.ID })
	return out
}

// spread attributes n licenses of a user/device feature to its pools (see Observe).
func spread(obs []Observation, counts, overdrafts []int, n int, set func(*Observation, int)) {
	share := make([]int, len(obs))
	for _, limit := range [][]int{counts, overdrafts} {
		for j := range obs {
			take := min(n, limit[j])
			share[j] += take
			n -= take
		}
	}
	share[len(share)-1] += n
	for j := range obs {
		set(&obs[j], share[j])
	}
}

func userDevice(m license.Model) bool {
	switch m {
	case license.ModelUserDevice, license.ModelPerUser, license.ModelPerDevice, license.ModelNamedUser:
		return true
	}
	return false
}

// Catalog numbers pools for storage: a sample names a pool by its number, and the
// catalog's entries are stored once each. The zero Catalog is empty and ready.
type Catalog struct {
	byID map[string]*Pool
	byNo map[uint64]*Pool
	next uint64
}

// Load adds stored entries (at start-up).
func (c *Catalog) Load(pools []Pool) {
	for i := range pools {
		p := pools[i]
		c.put(&p)
	}
}

func (c *Catalog) put(p *Pool) {
	if c.byID == nil {
		c.byID, c.byNo = map[string]*Pool{}, map[uint64]*Pool{}
	}
	c.byID[p.ID], c.byNo[p.No] = p, p
	c.next = max(c.next, p.No+1)
}

// Number returns the pool's number, and the entry to store when it is new or its
// description changed (the same pool id always has the same feature, model and CSS date,
// but a model's name may change between versions).
func (c *Catalog) Number(p Pool) (no uint64, store *Pool) {
	if old := c.byID[p.ID]; old != nil {
		if old.Feature == p.Feature && old.Model == p.Model && old.CSS == p.CSS {
			return old.No, nil
		}
		p.No = old.No
	} else {
		p.No = max(c.next, 1)
	}
	e := p
	c.put(&e)
	return e.No, &e
}

// ByNo returns the pool with that number.
func (c *Catalog) ByNo(no uint64) (*Pool, bool) {
	p, ok := c.byNo[no]
	return p, ok
}

// Pools returns every pool, by number.
func (c *Catalog) Pools() []Pool {
	out := make([]Pool, 0, len(c.byNo))
	for _, p := range c.byNo {
		out = append(out, *p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].No < out[j].No })
	return out
}
