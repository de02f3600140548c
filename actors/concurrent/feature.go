package concurrent

import (
	"time"

	"github.com/licd/licd/wire"
)

// Pre-allocated denials, so that a denial on the hot path does not allocate. They are shared:
// callers must not modify them.
var (
	errNoSuchFeature  = &wire.Error{Code: wire.CodeNoSuchFeature}
	errExpired        = &wire.Error{Code: wire.CodeExpired}
	errNotYetStarted  = &wire.Error{Code: wire.CodeNotYetStarted}
	errVersionNewer   = &wire.Error{Code: wire.CodeVersionNewer}
	errNumberReached  = &wire.Error{Code: wire.CodeLicensedNumberReached}
	errOverLimit      = &wire.Error{Code: wire.CodeOverLimitAfterReconcile}
	errHandleInUse    = wire.Errorf(wire.CodeBadRequest, "the checkout handle is already in use")
	errNoDevice       = wire.Errorf(wire.CodeBadName, "the checkout names no endpoint device")
	errNoSockets      = wire.Errorf(wire.CodeModelMismatch, "a per socket checkout must state the host's CPU sockets")
	errTooManySockets = wire.Errorf(wire.CodeBadRequest, "the CPU socket count is too large")
)

// Feature is the license state of one feature: its pools, the device licenses taken from
// them and the checkouts sharing those licenses. Not safe for concurrent use.
type Feature struct {
	name           string
	model          Model
	policy         Policy
	mapPolicyError func(error) *wire.Error
	burstOff       bool

	pools    []*pool // by CSS date, earliest first; see sortPools
	byID     map[string]*pool
	holders  map[uint64]*holder // by handle
	sessions map[uint64]*holder // the first holder of each session's list
	inUse    int

	// Recycled structs keep the steady state free of allocations.
	freeHolders  []*holder
	freeLicenses []*license
}

// New makes the state of feature with the given pools.
func New(feature string, pools []PoolSpec, cfg Config) *Feature {
	f := &Feature{
		name:           feature,
		model:          cfg.Model,
		policy:         cfg.Policy,
		mapPolicyError: cfg.MapPolicyError,
		burstOff:       cfg.BurstOff,
		byID:           make(map[string]*pool, len(pools)),
		holders:        make(map[uint64]*holder),
		sessions:       make(map[uint64]*holder),
	}
	if f.mapPolicyError == nil {
		f.mapPolicyError = func(err error) *wire.Error { return wire.Errorf(wire.CodeExcluded, err.Error()) }
	}
	f.Reload(pools)
	return f
}

// Name is the feature's name.
func (f *Feature) Name() string { return f.name }

// Checkout grants req a share of its device's license, or a new license from the compatible
// pool with the earliest CSS date that has room, under the given handle.
func (f *Feature) Checkout(req *Request, handle uint64, now time.Time) (Grant, *wire.Error) {
	return f.take(req, handle, now, false)
}

// Reconcile reinstates a checkout that a product returning from license caching mode says it
// holds. It refuses what a checkout would refuse for the feature itself (no pool, expired,
// not started, version newer than every CSS date) but neither the count nor the options file:
// "connections are reconciled and no new connections are allowed until they are within normal
// license limits" ("License caching mode example"). A pool left over its count grants no new
// licenses until enough devices check in; devices already holding a license there still join.
func (f *Feature) Reconcile(req *Request, handle uint64, now time.Time) (Grant, *wire.Error) {
	return f.take(req, handle, now, true)
}

// choice is the outcome of one pass over the pools for a request.
type choice struct {
	join       *license // a compatible license the device already holds
	pick       *pool    // the earliest-CSS compatible pool with room
	burstable  *pool    // the earliest-CSS compatible pool whose burst mode is armed
	fallback   *pool    // the earliest-CSS compatible pool, room or not (reconcile)
	free       int      // free units across the compatible pools
	denial     *wire.Error
	normalFull bool // some compatible pool lacks room without being over its count
}

// choose walks the pools earliest CSS first. "Concurrent license": a device that already holds
// a compatible license reuses it; otherwise the earliest compatible CSS date is taken, so that
// a newer license stays free for newer products. Its denial, when nothing can serve, follows
// the precedence no pool, expired, not started, version newer, count.
func (f *Feature) choose(device string, version uint32, units int, now time.Time) choice {
	var c choice
	live, unexpired, started, compatible := false, false, false, false
	for _, p := range f.pools {
		if p.removed {
			continue // "no new grants" from a pool gone from the license files
		}
		live = true
		if p.expired(now) {
			continue
		}
		unexpired = true
		if !p.started(now) {
			continue
		}
		started = true
		// "Customer Success Services": a license runs products released up to its CSS date.
		if version > p.css {
			continue
		}
		compatible = true
		if c.join == nil {
			c.join = p.licenses[device]
		}
		room := p.room(now)
		if f.burstOff && p.burst.Active(now) {
			room = p.count - p.inUse // switched off: a running period no longer lifts the count
		}
		if room > 0 {
			c.free += room
		}
		if c.fallback == nil {
			c.fallback = p
		}
		if room >= units {
			if c.pick == nil {
				c.pick = p
			}
		} else if !p.overCount() || p.burst.Used {
			// Full, or over its count after a burst that ended (or was switched off): "no
			// new connections can occur until the license levels return to normal"
			// ("License burst mode").
			c.normalFull = true
		}
		if c.burstable == nil && p.burst.Armed(p.retail) {
			c.burstable = p
		}
	}
	switch {
	case !live:
		c.denial = errNoSuchFeature
	case !unexpired:
		c.denial = errExpired
	case !started:
		c.denial = errNotYetStarted
	case !compatible:
		c.denial = errVersionNewer
	case c.normalFull:
		c.denial = errNumberReached
	default:
		// Every compatible pool is over its count after a reconcile or restore.
		c.denial = errOverLimit
	}
	return c
}

func (f *Feature) take(req *Request, handle uint64, now time.Time, reconcile bool) (Grant, *wire.Error) {
	device, units, err := f.validate(req, handle)
	if err != nil {
		return Grant{}, err
	}
	c := f.choose(device, req.VersionDate, units, now)
	lic, shared := c.join, c.join != nil
	burstStarted := false
	if !shared {
		p := c.pick
		if p == nil && reconcile {
			p = c.fallback
		}
		free := c.free
		if p == nil && !reconcile && (c.denial == errNumberReached || c.denial == errOverLimit) && !f.burstOff && c.burstable != nil {
			// "If all licenses are in use, including the license overdraft where applicable,
			// the License burst mode gives you time": this checkout starts the period.
			p, free, burstStarted = c.burstable, units, true
		}
		if p == nil {
			return Grant{}, c.denial
		}
		if !reconcile {
			if denial := f.admit(req, free, units); denial != nil {
				return Grant{}, denial
			}
		}
		if burstStarted {
			p.burst.Start(now, p.retail)
		}
		lic = f.newLicense(p, device, units, req.User, req.Host, req.Display)
	} else if !reconcile {
		// A join takes no unit, but the options file still decides who may use the feature.
		if denial := f.admit(req, c.free, 0); denial != nil {
			return Grant{}, denial
		}
	}
	f.addHolder(lic, handle, req, now)
	return Grant{Handle: handle, PoolID: lic.pool.id, CSS: lic.pool.css, Shared: shared, Units: lic.units, BurstStarted: burstStarted}, nil
}

// validate checks the request's shape and returns its device key and the units it takes.
func (f *Feature) validate(req *Request, handle uint64) (string, int, *wire.Error) {
	if _, ok := f.holders[handle]; ok {
		return "", 0, errHandleInUse
	}
	device, units := req.Device, 1
	if f.model == ModelPerSocket {
		// "Per socket license": units follow the CPU sockets and belong to the host.
		if device == "" {
			device = req.Host
		}
		switch {
		case req.Sockets < 1:
			return "", 0, errNoSockets
		case req.Sockets > MaxSockets:
			return "", 0, errTooManySockets
		}
		units = req.Sockets
	}
	if device == "" {
		return "", 0, errNoDevice
	}
	return device, units, nil
}

func (f *Feature) admit(req *Request, free, n int) *wire.Error {
	if f.policy == nil {
		return nil
	}
	if err := f.policy.Admit(req.User, req.Host, req.Display, free, n); err != nil {
		return f.mapPolicyError(err)
	}
	return nil
}

// newLicense takes units from p for device and tells the policy.
func (f *Feature) newLicense(p *pool, device string, units int, user, host, display string) *license {
	var l *license
	if n := len(f.freeLicenses); n > 0 {
		l = f.freeLicenses[n-1]
		f.freeLicenses = f.freeLicenses[:n-1]
	} else {
		l = new(license)
	}
	l.pool, l.device, l.units = p, device, units
	l.user, l.host, l.display = user, host, display
	p.licenses[device] = l
	p.link(l)
	p.inUse += units
	f.inUse += units
	p.peak = max(p.peak, p.inUse)
	if f.policy != nil {
		f.policy.Took(user, host, display, units)
	}
	return l
}

func (f *Feature) addHolder(l *license, handle uint64, req *Request, now time.Time) *holder {
	var h *holder
	if n := len(f.freeHolders); n > 0 {
		h = f.freeHolders[n-1]
		f.freeHolders = f.freeHolders[:n-1]
	} else {
		h = new(holder)
	}
	h.handle, h.session = handle, req.Session
	h.user, h.host, h.display, h.product = req.User, req.Host, req.Display, req.Product
	h.version, h.start = req.VersionDate, now
	l.add(h)
	f.holders[handle] = h
	// Newest first in the session's list: O(1) without a tail pointer.
	if head := f.sessions[h.session]; head != nil {
		head.sprev = h
		h.snext = head
	}
	f.sessions[h.session] = h
	return h
}

// Holder returns the checkout held under handle.
func (f *Feature) Holder(handle uint64) (Holder, bool) {
	h, ok := f.holders[handle]
	if !ok {
		return Holder{}, false
	}
	return h.export(), true
}
