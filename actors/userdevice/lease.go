package userdevice

import (
	"fmt"
	"math"
	"time"
)

// Released is a pair removed by Expire or Release, and the licenses that ended with it
// (a license ends with the last pair of its user or device). Delete the pair's
// storage.UDEdge and, where flagged, the storage.UDLicense of its user or device.
type Released struct {
	User, Device       string
	LeaseEnd           time.Time
	UserLicenseEnded   bool
	DeviceLicenseEnded bool
}

// Expire drops the pairs whose lease has ended at now ("License assignment period": 90 days
// after the last connection of the user or device disconnects; for a named user, the end of
// the checkout period) and returns them. Licenses left without pairs end with them.
func (f *Feature) Expire(now time.Time) []Released {
	t := now.UnixNano()
	if t < f.minEnd {
		return nil
	}
	var out []Released
	nextEnd := int64(math.MaxInt64)
	for p := int32(0); int(p) < f.pairs.len(); {
		end := f.pairEnd(p, t)
		if end > t {
			if f.model == ModelNamedUser || f.pairs.live[p] == 0 {
				nextEnd = min(nextEnd, end)
			}
			p++
			continue
		}
		r := f.removePair(p, end)
		out = append(out, r)
		f.events.add(Event{Time: now, Type: EventLeaseExpired, User: r.User, Device: r.Device})
		f.licenseEndedEvents(r, now)
		// removePair moved the last pair into p: look at p again.
	}
	f.minEnd = nextEnd
	return out
}

// Release ends the license of one user or one device of this feature now (udadmin -delete,
// "Release licenses for users or devices"): every pair of that user or device is removed.
// It returns the removed pairs and counts the release (UDAdminUsersReleased,
// UDAdminDevicesReleased). The manual allows it only for people who left or are on extended
// leave and for devices out of service; enforcing that is the administrator's part.
func (f *Feature) Release(kind Kind, name string, now time.Time) ([]Released, error) {
	var (
		n   *names
		err error
	)
	switch {
	case kind == KindUser && f.model != ModelPerDevice:
		n = &f.users
		name, err = f.cfg.NormalizeUser(name)
	case kind == KindDevice && (f.model == ModelUserDevice || f.model == ModelPerDevice):
		n = &f.devices
		name, err = f.cfg.NormalizeDevice(name)
	case kind == KindUser:
		return nil, fmt.Errorf("feature %q is licensed per device and holds no user licenses; release the device instead", f.name)
	case kind == KindDevice:
		return nil, fmt.Errorf("feature %q is licensed %s and holds no device licenses; release the user instead", f.name, f.model)
	default:
		return nil, fmt.Errorf("release: unknown license kind %d; use user or device", kind)
	}
	if err != nil {
		return nil, err
	}
	id, ok := n.lookup(name)
	if !ok {
		return nil, fmt.Errorf("feature %q has no %s %q: %w; udadmin -list shows the users and devices it holds",
			f.name, kind, name, ErrUnknownName)
	}
	t := now.UnixNano()
	var out []Released
	for p := int32(0); int(p) < f.pairs.len(); {
		if (kind == KindUser && f.pairs.user[p] != id) || (kind == KindDevice && f.pairs.device[p] != id) {
			p++
			continue
		}
		out = append(out, f.removePair(p, t))
	}
	if kind == KindUser {
		f.usersReleased++
	} else {
		f.devicesReleased++
	}
	f.events.add(Event{Time: now, Type: EventReleased, Kind: kind, Name: name})
	for _, r := range out {
		f.licenseEndedEvents(r, now)
	}
	return out, nil
}

// ReleasedCounts returns how many users and devices udadmin released (Call Home
// UDAdminUsersReleased and UDAdminDevicesReleased); Restore sets them back after a restart.
func (f *Feature) ReleasedCounts() (users, devices int64) {
	return f.usersReleased, f.devicesReleased
}

// removePair deletes pair p, whose lease ends (or ended) at end, and forgets a user or device
// left without pairs, ending its license.
func (f *Feature) removePair(p int32, end int64) Released {
	u, d := f.pairs.user[p], f.pairs.device[p]
	r := Released{User: f.users.name[u], Device: f.devices.name[d], LeaseEnd: unixTime(end)}
	if f.pairs.live[p] > 0 {
		f.live--
	}
	f.pairs.remove(p)
	f.generation++
	f.users.degree[u]--
	f.devices.degree[d]--
	if f.users.degree[u] == 0 {
		r.UserLicenseEnded = f.users.licensed[u]
		f.users.drop(u, f.inFlight)
	}
	if f.devices.degree[d] == 0 {
		r.DeviceLicenseEnded = f.devices.licensed[d]
		f.devices.drop(d, f.inFlight)
	}
	return r
}

func (f *Feature) licenseEndedEvents(r Released, now time.Time) {
	if r.UserLicenseEnded {
		f.events.add(Event{Time: now, Type: EventLicenseEnded, Kind: KindUser, Name: r.User})
	}
	if r.DeviceLicenseEnded {
		f.events.add(Event{Time: now, Type: EventLicenseEnded, Kind: KindDevice, Name: r.Device})
	}
}
