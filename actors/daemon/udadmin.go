package daemon

import (
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/licd/licd/actors/userdevice"
	"github.com/licd/licd/license"
	"github.com/licd/licd/storage"
	"github.com/licd/licd/wire"
)

// UDAdminRequest is udadmin's request as it arrives in Admin.Args.
type UDAdminRequest = wire.UDAdminArgs

// udadmin serves "Display or release licenses for users or devices (udadmin)": -list (as of
// each feature's last optimization), -delete (one user or device of one feature at a time;
// counted as UDAdminUsersReleased / UDAdminDevicesReleased) and -events.
func (d *Daemon) udadmin(req UDAdminRequest) (*wire.UDAdminResult, error) {
	res := &wire.UDAdminResult{Now: d.now()}
	switch req.Op {
	case "list", "":
		usage, err := d.engine.UDUsage(req.Feature, statusTimeout)
		if err != nil {
			return nil, err
		}
		if req.Feature != "" && len(usage) == 0 {
			return nil, wire.Errorf(wire.CodeNoSuchFeature, fmt.Sprintf("%q is not a user/device feature of this server", req.Feature))
		}
		for _, u := range usage {
			res.Features = append(res.Features, d.udFeature(u, req))
		}
	case "delete":
		if req.Feature == "" || (req.User == "") == (req.Device == "") {
			return nil, wire.Errorf(wire.CodeBadRequest, "udadmin -delete releases one user or one device of one feature: give -f FEATURE and either -user NAME or -device NAME")
		}
		kind, name := userdevice.KindUser, req.User
		if req.Device != "" {
			kind, name = userdevice.KindDevice, req.Device
		}
		n, err := d.engine.UDRelease(req.Feature, kind, name, statusTimeout)
		if err != nil {
			var we *wire.Error
			if errors.As(err, &we) {
				return nil, we // e.g. -5: not a user/device feature of this server
			}
			return nil, wire.Errorf(wire.CodeBadRequest, err.Error()) // unknown user or device, bad name
		}
		res.Released = n
	case "events":
		err := d.store.Events(req.Feature, func(e *storage.Event) error {
			res.Events = append(res.Events, wire.UDEvent{Feature: e.Feature, Time: time.Unix(0, e.Time), Kind: e.Kind, Text: e.Text})
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("read events: %w", err)
		}
		recent, err := d.engine.UDRecentEvents(req.Feature, statusTimeout)
		if err != nil {
			return nil, err
		}
		res.Events = append(res.Events, recent...)
		// Each feature's events in time order, features one after the other.
		sort.SliceStable(res.Events, func(i, j int) bool {
			a, b := res.Events[i], res.Events[j]
			if a.Feature != b.Feature {
				return a.Feature < b.Feature
			}
			return a.Time.Before(b.Time)
		})
	default:
		return nil, wire.Errorf(wire.CodeBadRequest, fmt.Sprintf("unknown udadmin operation %q (list, delete, events)", req.Op))
	}
	return res, nil
}

func (d *Daemon) udFeature(u userdevice.Usage, req UDAdminRequest) wire.UDFeature {
	f := wire.UDFeature{Feature: u.Feature, Model: u.Model.String(), Purchased: u.Purchased, Overdraft: u.Overdraft,
		Installed: u.Installed, InUse: u.InUse, OverdraftInUse: u.OverdraftInUse, UsersReleased: u.UsersReleased,
		DevicesReleased: u.DevicesReleased, LastOptimization: u.LastOptimization, NextOptimization: u.NextOptimization}
	if inv := d.engine.Inventory(); inv != nil {
		var newest license.CSSDate
		for _, p := range inv.PoolsOf(u.Feature) {
			newest = max(newest, p.CSS)
		}
		f.Version = newest.String()
	}
	for _, l := range u.Users {
		if req.User == "" || req.User == l.Name {
			f.Users = append(f.Users, wire.UDLicense{Name: l.Name, Since: l.Since, LeaseEnd: l.LeaseEnd})
		}
	}
	for _, l := range u.Devices {
		if req.Device == "" || req.Device == l.Name {
			f.Devices = append(f.Devices, wire.UDLicense{Name: l.Name, Since: l.Since, LeaseEnd: l.LeaseEnd})
		}
	}
	return f
}
