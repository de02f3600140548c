package concurrent

import "github.com/licd/licd/wire"

var errRestoreUnits = wire.Errorf(wire.CodeBadRequest, "a restored checkout must hold at least one unit")

// Restore rebuilds a checkout from its persisted grant after a restart, with no count or
// options-file check: the server already granted it. Usage may then exceed a pool's count,
// which behaves as after a reconcile. A grant from a pool no longer in the license files is
// kept in a pool marked removed until its devices check in. Policy.Took is called for each
// license unit rebuilt, so that the options file's counts match and Returned stays balanced.
// It refuses a handle already held and a grant without device or units.
func (f *Feature) Restore(h Holder) *wire.Error {
	if _, ok := f.holders[h.Handle]; ok {
		return errHandleInUse
	}
	if h.Device == "" {
		return errNoDevice
	}
	if h.Units < 1 {
		return errRestoreUnits
	}
	p := f.byID[h.PoolID]
	if p == nil {
		p = newPool(PoolSpec{ID: h.PoolID, Permanent: true})
		p.removed = true
		f.byID[p.id] = p
		f.pools = append(f.pools, p)
		sortPools(f.pools)
	}
	lic := p.licenses[h.Device]
	if lic == nil {
		lic = f.newLicense(p, h.Device, h.Units, h.User, h.Host, h.Display)
	}
	f.addHolder(lic, h.Handle, &Request{
		Session: h.Session, Device: h.Device, User: h.User, Host: h.Host, Display: h.Display,
		Product: h.Product, VersionDate: h.VersionDate, Sockets: h.Units,
	}, h.Start)
	return nil
}
