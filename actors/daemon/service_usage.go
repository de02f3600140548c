package daemon

import (
	"strings"
	"time"

	"github.com/licd/licd/wire"
)

// Usage ("Usage and Statistics"): the checkouts of a feature, the product sessions and the
// user/device assignments, paged and filtered for the API.

// Page is a window of a list: Offset items skipped, at most Limit returned, Total before
// paging.
type Page struct {
	Offset, Limit int
}

// Checkout is one held license of a feature.
type Checkout struct {
	Feature string    `json:"feature"`
	User    string    `json:"user"`
	Host    string    `json:"host"`
	Device  string    `json:"device,omitempty"`
	Product string    `json:"product_server"`
	Since   time.Time `json:"since"`
	Handle  uint64    `json:"handle"`
	PoolID  string    `json:"pool_id"`
}

// Checkouts lists a feature's checkouts (every feature's when feature is ""), keeping those
// whose user, host or device contains match (case-insensitively).
func (d *Daemon) Checkouts(feature, match string, page Page) ([]Checkout, int, error) {
	st, err := d.Status(feature, true)
	if err != nil {
		return nil, 0, err
	}
	var all []Checkout
	for _, f := range st.Features {
		for _, c := range f.Checkouts {
			co := Checkout{Feature: f.Feature, User: c.User, Host: c.Host, Device: c.Device, Product: c.Product,
				Since: c.Start, Handle: c.Handle, PoolID: c.PoolID}
			if contains(match, co.User, co.Host, co.Device) {
				all = append(all, co)
			}
		}
	}
	return paged(all, page), len(all), nil
}

// ProductSessions lists the connected product servers; state "connected" or "lost" keeps
// only those.
func (d *Daemon) ProductSessions(state, match string, page Page) ([]wire.SessionStatus, int, error) {
	st, err := d.Status("", false)
	if err != nil {
		return nil, 0, err
	}
	var all []wire.SessionStatus
	for _, s := range st.Sessions {
		if (state == "lost" && !s.Lost) || (state == "connected" && s.Lost) || !contains(match, s.Product, s.Host) {
			continue
		}
		all = append(all, s)
	}
	return paged(all, page), len(all), nil
}

// Assignment is a user or device license of a user/device feature.
type Assignment struct {
	Feature  string    `json:"feature"`
	Kind     string    `json:"kind"` // "user" or "device"
	Name     string    `json:"name"`
	Since    time.Time `json:"since"`
	LeaseEnd time.Time `json:"lease_end"`
}

// Assignments lists the user/device assignments as udadmin -list shows them.
func (d *Daemon) Assignments(feature, kind, match string, page Page) ([]Assignment, int, error) {
	res, err := d.UDAdmin(UDAdminRequest{Op: "list", Feature: feature})
	if err != nil {
		return nil, 0, err
	}
	var all []Assignment
	for _, f := range res.Features {
		add := func(k string, ls []wire.UDLicense) {
			if kind != "" && kind != k {
				return
			}
			for _, l := range ls {
				if contains(match, l.Name) {
					all = append(all, Assignment{Feature: f.Feature, Kind: k, Name: l.Name, Since: l.Since, LeaseEnd: l.LeaseEnd})
				}
			}
		}
		add("user", f.Users)
		add("device", f.Devices)
	}
	return paged(all, page), len(all), nil
}

// UDAdmin runs udadmin's list, delete (release) and events, for lmutil and the API alike.
func (d *Daemon) UDAdmin(req UDAdminRequest) (*wire.UDAdminResult, error) { return d.udadmin(req) }

func contains(match string, fields ...string) bool {
	if match == "" {
		return true
	}
	m := strings.ToLower(match)
	for _, f := range fields {
		if strings.Contains(strings.ToLower(f), m) {
			return true
		}
	}
	return false
}

func paged[T any](all []T, p Page) []T {
	if p.Offset >= len(all) {
		return []T{}
	}
	end := len(all)
	if p.Limit > 0 && p.Offset+p.Limit < end {
		end = p.Offset + p.Limit
	}
	return all[p.Offset:end]
}
