package daemon

import (
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"time"

	"github.com/licd/licd/wire"
)

// statusTimeout bounds how long a status query waits for the feature actors.
const statusTimeout = 10 * time.Second

// query answers the read-only requests utilities make ("Determine licensing status
// (lmstat)"). It runs on its own goroutine so a large status never delays the frames that
// follow it on the connection.
func (c *conn) query(reqID uint32, q wire.Query) {
	switch q.Kind {
	case "status", "":
		_ = c.answer(reqID, func() (any, error) {
			st, err := c.d.Status(q.Feature, q.Detail)
			if err != nil {
				return nil, asWireError(err) // an unknown feature stays -5, not an internal error
			}
			return st, nil
		}, func(b []byte) wire.Message { return &wire.QueryResult{JSON: b} })
	case "inventory":
		_ = c.answer(reqID, func() (any, error) { return inventoryItems(c.d.engine.Inventory()), nil },
			func(b []byte) wire.Message { return &wire.QueryResult{JSON: b} })
	case "alerts":
		_ = c.answer(reqID, func() (any, error) {
			a, err := c.d.Alerts()
			if err != nil {
				return nil, asWireError(err)
			}
			return a, nil
		}, func(b []byte) wire.Message { return &wire.QueryResult{JSON: b} })
	default:
		c.deny(reqID, wire.Errorf(wire.CodeBadRequest, fmt.Sprintf("unknown query %q: use status, inventory or alerts", q.Kind)))
	}
}

// errBusy answers a query or admin request while the answers already waiting for their
// clients use the whole reply budget.
var errBusy = wire.Errorf(wire.CodeInternal, "the license server is busy sending large answers to other clients; retry in a moment")

// answer builds a JSON answer and sends it, bounded as it is built, not only at admission:
// the connection started it within its own budget (startTask), and the daemon's replyGate
// admits it in arrival order, one answer per connection at a time, at most
// Limits.StatusBuilds built at once and none while the answers of all connections waiting to
// be written exceed Limits.ReplyBudget. The answer's size stays counted until it is written:
// a client that never reads its answers ties up a bounded share, and is closed when others
// wait for it (stallEvict) or after Limits.WriteTimeout.
func (c *conn) answer(reqID uint32, build func() (any, error), wrap func([]byte) wire.Message) (answered bool) {
	ok, busy := c.d.gate.enter(c.w, statusTimeout, c.d.evictStalled)
	if !ok {
		if busy {
			c.deny(reqID, errBusy)
		}
		return false
	}
	v, err := build()
	var b []byte
	if err == nil {
		b, err = json.Marshal(v)
	}
	n := int64(len(b))
	c.d.gate.built(c.w, n)
	defer c.d.gate.finished(c.w, n)
	if err != nil {
		c.deny(reqID, asWireError(err))
		return false
	}
	c.w.waitFlushed(c.w.reply(reqID, wrap(b)))
	return true
}

// Status is the server's status as lmstat shows it.
func (d *Daemon) Status(feature string, detail bool) (*wire.Status, error) {
	features, sessions, err := d.engine.Status(feature, detail, statusTimeout)
	if err != nil {
		return nil, err
	}
	if feature != "" && len(features) == 0 {
		return nil, d.engine.Unavailable(feature)
	}
	markLost(features, sessions)
	inv := d.engine.Inventory()
	st := &wire.Status{
		ServerHost: d.hostname, LMPort: d.LMAddr().Port, VendorPort: d.VendorAddr().Port,
		Version: Version, Vendor: "CITRIX", VendorUp: d.VendorUp(), Features: features, Sessions: sessions,
		Now: d.now(),
	}
	if inv != nil {
		st.Files = inv.Files
	}
	st.Cluster = d.ClusterStatus()
	if feature == "" {
		// The full status carries the alerts of the last evaluation (the alerts loop's, every
		// -alerts-interval, or an alerts request's), so that lmstat can print them without
		// the status paying for an evaluation.
		st.Alerts = d.lastAlerts()
		st.Uploads = d.uploadStatus()
	}
	return st, nil
}

// markLost marks the checkouts of product sessions whose heartbeats stopped, so that lmstat
// -a shows them as such and not only -S ("License caching mode": their licenses stay held
// for the product's reconcile).
func markLost(features []wire.FeatureStatus, sessions []wire.SessionStatus) {
	lost := map[uint64]bool{}
	for _, s := range sessions {
		if s.Lost {
			lost[s.ID] = true
		}
	}
	if len(lost) == 0 {
		return
	}
	for i := range features {
		for j := range features[i].Checkouts {
			if c := &features[i].Checkouts[j]; c.Session != 0 && lost[c.Session] {
				c.Lost = true
			}
		}
	}
}

// admin serves the requests that change the server. They are accepted only from a local
// caller that presents the admin token ("Reread license and options files (lmreread)":
// "You cannot use lmreread remotely; run it locally on the License Server").
func (c *conn) admin(reqID uint32, m wire.Admin) {
	if !c.local {
		c.deny(reqID, wire.Errorf(wire.CodeNotLocal, "run this command on the license server itself"))
		return
	}
	if subtle.ConstantTimeCompare([]byte(m.Token), []byte(c.d.token)) != 1 {
		c.deny(reqID, wire.Errorf(wire.CodeNotAuthorized, "read the token from "+c.d.tokenPath()+" (lmutil does this when run as the server's user)"))
		return
	}
	answered := c.answer(reqID, func() (any, error) {
		v, err := c.d.adminOp(m.Op, m.Args)
		if changesState(m.Op, m.Args) {
			c.d.Audit(AuditEntry{Who: "lmutil (admin token)", From: c.nc.RemoteAddr().String(), Action: "wire." + m.Op, Result: auditResult(err), Detail: auditDetail(err)})
		}
		return v, err
	}, func(b []byte) wire.Message { return &wire.AdminResult{JSON: b} })
	if answered && m.Op == "shutdown" {
		if vendorOnly(m.Args) {
			go c.d.StopVendor()
		} else {
			go c.d.Shutdown()
		}
	}
}
