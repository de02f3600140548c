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
	var v any
	switch q.Kind {
	case "status", "":
		st, err := c.d.Status(q.Feature, q.Detail)
		if err != nil {
			c.deny(reqID, asWireError(err)) // an unknown feature stays -5, not an internal error
			return
		}
		v = st
	case "inventory":
		v = inventoryItems(c.d.engine.Inventory())
	default:
		c.deny(reqID, wire.Errorf(wire.CodeBadRequest, fmt.Sprintf("unknown query %q: use status or inventory", q.Kind)))
		return
	}
	b, err := json.Marshal(v)
	if err != nil {
		c.deny(reqID, wire.Errorf(wire.CodeInternal, err.Error()))
		return
	}
	c.w.Reply(reqID, &wire.QueryResult{JSON: b})
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
	inv := d.engine.Inventory()
	st := &wire.Status{
		ServerHost: d.hostname, LMPort: d.LMAddr().Port, VendorPort: d.VendorAddr().Port,
		Version: Version, Vendor: "CITRIX", VendorUp: true, Features: features, Sessions: sessions,
		Now: d.now(),
	}
	if inv != nil {
		st.Files = inv.Files
	}
	return st, nil
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
	res, err := c.d.adminOp(m.Op, m.Args)
	if err != nil {
		c.deny(reqID, asWireError(err))
		return
	}
	b, err := json.Marshal(res)
	if err != nil {
		c.deny(reqID, wire.Errorf(wire.CodeInternal, err.Error()))
		return
	}
	c.w.Reply(reqID, &wire.AdminResult{JSON: b})
	if m.Op == "shutdown" {
		go c.d.Shutdown()
	}
}
