package actors

import (
	"slices"
	"strings"
	"time"

	"github.com/licd/licd/actors/concurrent"
	"github.com/licd/licd/license"
	"github.com/licd/licd/wire"
)

// expiryText is an expiry as license files and lmstat write it.
func expiryText(t time.Time, permanent bool) string {
	if permanent {
		return "permanent"
	}
	return strings.ToLower(t.Format("02-Jan-2006"))
}

// versionText writes a YYYYMMDD date as FLEXlm's version field, YYYY.MMDD.
func versionText(v uint32) string {
	if v == 0 {
		return "1.0"
	}
	return license.CSSDate(v).String()
}

// poolStatus describes the license-file side of a pool.
func poolStatus(p *license.Pool) wire.PoolStatus {
	ps := wire.PoolStatus{ID: p.ID, Version: p.CSS.String(), Expiry: expiryText(p.Expiry, p.Permanent),
		Count: p.Count, Overdraft: p.Overdraft, VendorString: p.VendorString, DupGroup: p.DupGroup}
	if s := poolStart(p); !s.IsZero() {
		ps.Start = strings.ToLower(s.Format("02-Jan-2006"))
	}
	for _, l := range p.Lines {
		if l.Sign != "" {
			ps.Signs = append(ps.Signs, l.Sign)
		}
		if l.Issuer != "" && !slices.Contains(ps.Issuers, l.Issuer) {
			ps.Issuers = append(ps.Issuers, l.Issuer)
		}
	}
	return ps
}

// status is the concurrent feature as lmstat shows it: one line per license unit, even when
// several connections share it ("Determine licensing status (lmstat)": lmstat "displays only
// one use of the license, even if there are multiple connections sharing that license").
func (a *concurrentActor) status(detail bool) *wire.FeatureStatus {
	now := a.env.Now()
	var cs concurrent.Status
	if detail {
		cs = a.core.Status(now)
	} else {
		cs = a.core.Counts(now) // without copying every holder
	}
	fs := &wire.FeatureStatus{Feature: a.spec.Name, Model: a.spec.Model.String(), InUse: cs.InUse}
	byID := map[string]*license.Pool{}
	for _, p := range a.spec.Pools {
		byID[p.ID] = p
		fs.Issued += p.Count
	}
	for _, p := range cs.Pools {
		var ps wire.PoolStatus
		if lp := byID[p.ID]; lp != nil {
			ps = poolStatus(lp)
		} else {
			ps = wire.PoolStatus{ID: p.ID, Version: versionText(p.CSS), Expiry: expiryText(p.Expiry, p.Permanent), Count: p.Count}
		}
		ps.InUse, ps.PeakInUse = p.InUse, p.Peak
		fs.PeakInUse += p.Peak
		if st, ok := a.core.Burst(p.ID); ok {
			burstStatus(&ps, st, p.Retail, now)
		}
		fs.Pools = append(fs.Pools, ps)
		if !detail {
			continue
		}
		for _, l := range p.Licenses {
			fs.Checkouts = append(fs.Checkouts, checkoutStatus(&l, p.ID))
		}
	}
	reservations(fs, a.gate)
	return fs
}

// reservations reports the options file's RESERVE lines for the feature: the licenses they
// keep that nobody they name holds are Reserved, apart from InUse (lmstat adds them to its
// "in use" as FLEXlm does; the JSON keeps them apart).
func reservations(fs *wire.FeatureStatus, g *license.Gate) {
	for _, r := range g.Reservations() {
		fs.Reservations = append(fs.Reservations, wire.ReservationStatus{Count: r.Count, Used: r.Used, Type: r.Type.String(), Name: r.Name})
		fs.Reserved += r.Count - r.Used
	}
}

func checkoutStatus(l *concurrent.LicenseStatus, pool string) wire.CheckoutStatus {
	return wire.CheckoutStatus{
		Product: l.Product, User: l.User, Host: l.Host, Display: l.Display, Device: l.Device,
		Version: versionText(l.VersionDate), Handle: l.Handle, Start: l.Start, Sessions: l.Sharers, PoolID: pool,
		Units: l.Units, Session: l.Session,
	}
}
