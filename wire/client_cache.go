package wire

import (
	"fmt"
	"strings"
	"time"

	"go.uber.org/zap"
)

// The client's record of what it holds, and License caching mode ("Licensing concepts",
// "License caching mode"): after the server is lost the product "licenses itself through
// the cached information" and reconciles when the server is back.

// holding is one license the product holds, under the handle its caller knows.
type holding struct {
	feature, user, device, clientHost, display string
	versionDate                                uint32
	sockets                                    uint16
	since                                      int64  // unix seconds
	server                                     uint64 // the server's handle; 0 if granted in caching mode and not yet reconciled
	listed                                     uint64 // the connection generation whose reconcile listed it
	applied                                    uint64 // the connection generation whose reconcile took it over
}

type deviceKey struct{ feature, device string }

// localHandleBit marks handles the client made up in caching mode; server handles are below
// it (PROTOCOL.md "Messages").
const localHandleBit = 1 << 63

// recordGrant remembers a server grant and returns the handle the caller will use: the
// server's, unless that collides with one the caller already holds (a restarted server
// reusing numbers), in which case a local alias.
func (c *Client) recordGrant(req *Checkout, g *Grant) uint64 {
	feature := g.Feature
	if feature == "" {
		feature = req.FeatureName()
	}
	c.hmu.Lock()
	defer c.hmu.Unlock()
	handle := g.Handle
	if _, taken := c.holds[handle]; taken || handle&localHandleBit != 0 || handle == 0 {
		handle = c.localHandle()
	}
	c.addHolding(handle, holding{
		feature: feature, user: req.User, device: req.Device, clientHost: req.ClientHost, display: req.Display,
		versionDate: req.VersionDate, sockets: req.Sockets, since: c.now().Unix(), server: g.Handle,
	})
	return handle
}

func (c *Client) localHandle() uint64 {
	c.nextLocal++
	return localHandleBit | c.nextLocal
}

// addHolding and removeHolding keep the per-feature counts and the device index in step.
// The caller holds hmu.
func (c *Client) addHolding(handle uint64, h holding) {
	c.holds[handle] = h
	c.held[h.feature]++
	if h.device != "" {
		k := deviceKey{h.feature, h.device}
		c.byDevice[k] = append(c.byDevice[k], handle)
	}
}

func (c *Client) removeHolding(handle uint64) (holding, bool) {
	h, ok := c.holds[handle]
	if !ok {
		return h, false
	}
	delete(c.holds, handle)
	if n := c.held[h.feature] - 1; n > 0 {
		c.held[h.feature] = n
	} else {
		delete(c.held, h.feature)
	}
	if h.device != "" {
		k := deviceKey{h.feature, h.device}
		hs := c.byDevice[k]
		for i, x := range hs {
			if x == handle {
				hs[i] = hs[len(hs)-1]
				hs = hs[:len(hs)-1]
				break
			}
		}
		if len(hs) == 0 {
			delete(c.byDevice, k)
		} else {
			c.byDevice[k] = hs
		}
	}
	return h, true
}

// releaseHandle forgets handle locally and says where, if anywhere, to send its Checkin:
// the live connection; or in caching mode the connection being reconciled, when its
// reconcile already took this license over; or nowhere (cn nil) when the server will learn
// of it from the reconcile, which will not list it.
func (c *Client) releaseHandle(handle uint64) (cn *clientConn, server uint64, held bool, err error) {
	c.hmu.Lock()
	defer c.hmu.Unlock()
	h, ok := c.removeHolding(handle)
	if c.caching {
		if ok && c.reconciling != nil && h.applied == c.reconciling.gen {
			return c.reconciling, h.server, true, nil
		}
		if !ok {
			return nil, 0, false, Errorf(CodeUnknownHandle, fmt.Sprintf("handle %d is not held by this product server", handle))
		}
		return nil, 0, true, nil
	}
	cn = c.conn.Load()
	if cn == nil {
		return nil, 0, ok, c.unavailableLocked()
	}
	if !ok {
		return cn, handle, false, nil // not ours as far as we know; the server decides
	}
	if h.server == 0 {
		return nil, 0, true, nil // never reached the server
	}
	return cn, h.server, true, nil
}

// releaseDevice forgets every license held for device of feature. Connected, the server is
// asked (sendIt); in caching mode, licenses the reconcile in progress already took over are
// returned as server handles to check in on cn.
func (c *Client) releaseDevice(feature, device string) (n int, sendIt bool, cn *clientConn, server []uint64) {
	c.hmu.Lock()
	defer c.hmu.Unlock()
	hs := append([]uint64(nil), c.byDevice[deviceKey{feature, device}]...)
	for _, handle := range hs {
		h, _ := c.removeHolding(handle)
		if c.caching && c.reconciling != nil && h.applied == c.reconciling.gen {
			server = append(server, h.server)
		}
	}
	if c.caching {
		return len(hs), false, c.reconciling, server
	}
	return len(hs), true, c.conn.Load(), nil
}

// lost is called once per connection when it ends. If it was the live connection, the
// product enters License caching mode ("If the product and the License Server don't send or
// receive heartbeats, the product lapses into the License caching mode") and reconnects in
// the background.
func (c *Client) lost(cn *clientConn, cause error) {
	c.hmu.Lock()
	if c.closed || !c.conn.CompareAndSwap(cn, nil) {
		c.hmu.Unlock()
		return
	}
	if !c.caching {
		c.caching = true
		c.cachingSince = c.now()
	}
	left := c.cachingLeft(c.now())
	start := !c.reconnecting
	if start {
		c.reconnecting = true
		c.wg.Add(1)
	}
	c.hmu.Unlock()
	c.log.Warn("license server lost; entering license caching mode",
		zap.String("server", cn.addr), zap.Error(cause), zap.Int("hours_left", int(left/time.Hour)))
	if start {
		go c.reconnectLoop(cn)
	}
}

// CachingMode reports whether the client is in License caching mode and how long it may
// still license itself ("indicate if the product has entered the License caching mode, the
// number of hours remaining").
func (c *Client) CachingMode() (active bool, left time.Duration) {
	c.hmu.Lock()
	defer c.hmu.Unlock()
	if !c.caching {
		return false, 0
	}
	return true, c.cachingLeft(c.now())
}

// cachingLeft is how long the product may still license itself: the longest grace period
// of its cached features. The caller holds hmu.
func (c *Client) cachingLeft(now time.Time) time.Duration {
	var period time.Duration
	for feature := range c.inventory {
		period = max(period, c.gracePeriod(feature))
	}
	if len(c.inventory) == 0 {
		period = c.opt.CachingPeriod
	}
	return max(0, period-now.Sub(c.cachingSince))
}

// gracePeriod is a feature's caching-mode grace period: its licenses' GP= (the longest of
// them; "GP=720" is the 30 days of "License caching mode"), else
// ClientOptions.CachingPeriod. The caller holds hmu.
func (c *Client) gracePeriod(feature string) time.Duration {
	var hours uint32
	for _, it := range c.inventory[feature] {
		hours = max(hours, it.GraceHours)
	}
	if hours == 0 {
		return c.opt.CachingPeriod
	}
	return time.Duration(hours) * time.Hour
}

// cacheCheckout grants req from the cached inventory when in caching mode; handled is false
// when the client is connected and the server must decide.
func (c *Client) cacheCheckout(req *Checkout) (g Grant, handled bool, err error) {
	c.hmu.Lock()
	defer c.hmu.Unlock()
	if !c.caching {
		return Grant{}, false, nil
	}
	g, err = c.cacheGrant(req, c.now())
	return g, true, err
}

func (c *Client) cacheCheckoutBatch(reqs []Checkout) (items []BatchItem, handled bool) {
	c.hmu.Lock()
	defer c.hmu.Unlock()
	if !c.caching {
		return nil, false
	}
	now := c.now()
	items = make([]BatchItem, len(reqs))
	for i := range reqs {
		g, err := c.cacheGrant(&reqs[i], now)
		if err != nil {
			e := err.(*Error)
			items[i].Denied = Denial{Code: e.Code, Detail: e.Detail}
			continue
		}
		items[i].Grant = g
	}
	return items, true
}

// cacheGrant applies the caching-mode rules. The caller holds hmu.
func (c *Client) cacheGrant(req *Checkout, now time.Time) (Grant, error) {
	feature := req.FeatureName()
	if period := c.gracePeriod(feature); now.Sub(c.cachingSince) >= period {
		// "If the License caching mode runs out, the product stops accepting connections."
		// Its length is the licenses' grace period, the vendor string's GP=.
		return Grant{}, Errorf(CodeCannotConnect, fmt.Sprintf("license caching mode ran out for %s: no contact with the license server %v since %s "+
			"(grace period %s); restore the connection to the license server", feature, c.addrs, c.cachingSince.Format(time.RFC3339), period))
	}
	items, ok := c.inventory[feature]
	if !ok {
		return Grant{}, Errorf(CodeNoSuchFeature, "feature "+feature+" is not in the inventory cached from the license server (license caching mode)")
	}
	// "The License caching mode and License burst mode features do not apply when licenses
	// expire": only unexpired licenses whose CSS date covers the product's version count.
	var installed uint32
	var css uint32
	expired, tooNew := 0, 0
	for _, it := range items {
		switch {
		case it.Expiry != 0 && now.Unix() >= it.Expiry:
			expired++
		case it.CSS != 0 && req.VersionDate > it.CSS:
			tooNew++
		default:
			installed += it.Installed
			css = max(css, it.CSS)
		}
	}
	if installed == 0 {
		if expired > 0 && tooNew == 0 {
			return Grant{}, Errorf(CodeExpired, "every license of "+feature+" has expired; license caching mode does not apply to expired licenses")
		}
		if tooNew > 0 {
			return Grant{}, Errorf(CodeVersionNewer, fmt.Sprintf("the product's version date %d is after the Customer Success Services date of every unexpired license of %s",
				req.VersionDate, feature))
		}
		return Grant{}, Errorf(CodeLicensedNumberReached, "no license of "+feature+" is installed")
	}
	model := items[0].Model
	// "For concurrent licenses, they can connect up to the maximum concurrent licenses
	// installed. For user/device licenses, they have unlimited connections."
	if !IsUserDeviceModel(model) && uint32(c.held[feature]) >= installed {
		return Grant{}, Errorf(CodeLicensedNumberReached, fmt.Sprintf("all %d licenses of %s are in use by this product server (license caching mode counts locally)",
			installed, feature))
	}
	handle := c.localHandle()
	c.addHolding(handle, holding{
		feature: feature, user: req.User, device: req.Device, clientHost: req.ClientHost, display: req.Display,
		versionDate: req.VersionDate, sockets: req.Sockets, since: now.Unix(),
	})
	return Grant{Handle: handle, Feature: feature, CSS: css, Cached: true}, nil
}

// IsUserDeviceModel reports whether a license model is of the user/device family, which
// License caching mode grants without limit.
func IsUserDeviceModel(model string) bool {
	switch strings.ToUpper(model) {
	case "UD", "USR", "DEV", "USER", "DEVICE", "USERDEVICE", "USER/DEVICE", "USER_DEVICE":
		return true
	}
	return false
}

// setInventory replaces the cached inventory from a HelloOK. The caller holds hmu.
func (c *Client) setInventory(items []InventoryItem) {
	inv := make(map[string][]InventoryItem, len(items))
	for _, it := range items {
		inv[it.Feature] = append(inv[it.Feature], it)
	}
	c.inventory = inv
}
