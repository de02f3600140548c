package concurrent

import "time"

// license is the license unit (or, per socket, units) one device holds in one pool, shared by
// all of that device's checkouts there.
type license struct {
	pool   *pool
	device string
	units  int
	// Who took the unit: Policy.Returned is called with the same identity as Policy.Took,
	// whoever checks in last.
	user, host, display string
	sharers             int
	head, tail          *holder // checkouts sharing it, oldest first
	prev, next          *license
}

// holder is one checkout: a handle holding a share of a license.
type holder struct {
	handle, session uint64
	lic             *license
	user, host      string
	display         string
	product         string
	version         uint32
	start           time.Time
	prev, next      *holder // in the license's list
	sprev, snext    *holder // in the session's list
}

func (l *license) add(h *holder) {
	h.lic = l
	h.prev, h.next = l.tail, nil
	if l.tail == nil {
		l.head = h
	} else {
		l.tail.next = h
	}
	l.tail = h
	l.sharers++
}

// remove takes h off the license and reports whether it was the last sharer.
func (l *license) remove(h *holder) bool {
	if h.prev == nil {
		l.head = h.next
	} else {
		h.prev.next = h.next
	}
	if h.next == nil {
		l.tail = h.prev
	} else {
		h.next.prev = h.prev
	}
	h.prev, h.next, h.lic = nil, nil, nil
	l.sharers--
	return l.sharers == 0
}

func (h *holder) export() Holder {
	return Holder{
		Handle:      h.handle,
		Session:     h.session,
		PoolID:      h.lic.pool.id,
		Device:      h.lic.device,
		User:        h.user,
		Host:        h.host,
		Display:     h.display,
		Product:     h.product,
		VersionDate: h.version,
		Units:       h.lic.units,
		Start:       h.start,
	}
}
