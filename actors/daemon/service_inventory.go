package daemon

import (
	"strings"

	"github.com/licd/licd/license"
	"github.com/licd/licd/wire"
)

// The Dashboard ("Citrix Licensing Manager": "Dashboard"): per product-edition and license
// model, what is in use, installed and available, expandable to the license pools.

// InventoryProduct is one product-edition and model (one feature).
type InventoryProduct struct {
	Feature        string          `json:"feature"`
	Product        string          `json:"product"`
	Edition        string          `json:"edition"`
	Model          string          `json:"model"`
	Name           string          `json:"name,omitempty"` // from #CITRIXTERM
	InUse          int             `json:"in_use"`
	Installed      int             `json:"installed"`
	Available      int             `json:"available"`
	InUsePercent   float64         `json:"in_use_percent"`
	Overdraft      int             `json:"overdraft"`
	OverdraftInUse int             `json:"overdraft_in_use"`
	Pools          []InventoryPool `json:"pools"`
}

// InventoryPool is one license pool of a product.
type InventoryPool struct {
	ID        string `json:"id"`
	CSS       string `json:"css_date"`
	Installed int    `json:"installed"` // purchased plus overdraft ("License overdraft")
	Purchased int    `json:"purchased"`
	Overdraft int    `json:"overdraft"`
	InUse     int    `json:"in_use"`
	Available int    `json:"available"`
	Expiry    string `json:"expiry"` // "2027-01-31" or "permanent"
	// Type is the LT= of the license lines: Retail, Eval, NFR, System (the start-up
	// license, LT=SYS), ...
	Type        string `json:"type,omitempty"`
	BurstActive bool   `json:"burst_active,omitempty"`
}

// Inventory builds the Dashboard from the installed inventory and the feature actors' live
// counts (the status request lmstat sends; no lock shared with the checkout path).
func (d *Daemon) Inventory() ([]InventoryProduct, error) {
	features, _, err := d.engine.Status("", false, statusTimeout)
	if err != nil {
		return nil, err
	}
	live := make(map[string]wire.FeatureStatus, len(features))
	for _, f := range features {
		live[f.Feature] = f
	}
	inv := d.engine.Inventory()
	out := []InventoryProduct{}
	if inv == nil {
		return out, nil
	}
	for _, feature := range inv.Features() {
		prod, ed, model, _ := license.SplitFeature(feature)
		st := live[feature]
		p := InventoryProduct{Feature: feature, Product: prod, Edition: ed, Model: model, Name: inv.Friendly[feature].Name,
			InUse: st.InUse, OverdraftInUse: st.OverdraftInUse, Pools: []InventoryPool{}}
		poolUse := make(map[string]wire.PoolStatus, len(st.Pools))
		for _, ps := range st.Pools {
			poolUse[ps.ID] = ps
		}
		for _, lp := range inv.PoolsOf(feature) {
			ps := poolUse[lp.ID]
			ip := InventoryPool{ID: lp.ID, CSS: lp.CSS.String(), Installed: lp.Installed(), Purchased: lp.Count,
				Overdraft: lp.Overdraft, InUse: ps.InUse, Available: max(lp.Installed()-ps.InUse, 0),
				Expiry: "permanent", Type: poolType(lp), BurstActive: ps.BurstActive}
			if !lp.Permanent {
				ip.Expiry = lp.Expiry.Format("2006-01-02")
			}
			p.Installed += ip.Installed
			p.Overdraft += ip.Overdraft
			p.Pools = append(p.Pools, ip)
		}
		p.Available = max(p.Installed-p.InUse, 0)
		if p.Installed > 0 {
			p.InUsePercent = float64(int(float64(p.InUse)*1000/float64(p.Installed)+0.5)) / 10
		}
		out = append(out, p)
	}
	return out, nil
}

func poolType(p *license.Pool) string {
	if len(p.Lines) == 0 {
		return ""
	}
	lt := p.Lines[0].VendorString.LT()
	if strings.EqualFold(lt, "SYS") {
		return "System"
	}
	return lt
}
