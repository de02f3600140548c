package concurrent

// Checkin ends the checkout held under handle. ok is false when no such checkout is held;
// released reports that it was its device's last checkout in that pool, so the device's
// license went back to the pool ("Concurrent license": "If you log off or disconnect from the
// session, the license is checked in and made available for a new user").
func (f *Feature) Checkin(handle uint64) (ok bool, released bool) {
	h, ok := f.holders[handle]
	if !ok {
		return false, false
	}
	return true, f.drop(h)
}

// CheckinDevice ends every checkout of device, in every pool, and returns their handles.
func (f *Feature) CheckinDevice(device string) []uint64 {
	var lics []*license
	for _, p := range f.pools {
		if l := p.licenses[device]; l != nil {
			lics = append(lics, l)
		}
	}
	var handles []uint64
	for _, l := range lics {
		for l.head != nil {
			h := l.head
			handles = append(handles, h.handle)
			if f.drop(h) {
				break // l went back to the free list
			}
		}
	}
	return handles
}

// ReleaseSession ends every checkout made on session (a product connection whose linger ran
// out) and returns their handles.
func (f *Feature) ReleaseSession(session uint64) []uint64 {
	var handles []uint64
	for h := f.sessions[session]; h != nil; {
		next := h.snext
		handles = append(handles, h.handle)
		f.drop(h)
		h = next
	}
	return handles
}

// drop removes a checkout and reports whether its license went back to the pool.
func (f *Feature) drop(h *holder) bool {
	delete(f.holders, h.handle)
	f.unlinkSession(h)
	l := h.lic
	last := l.remove(h)
	*h = holder{}
	f.freeHolders = append(f.freeHolders, h)
	if last {
		f.release(l)
	}
	return last
}

func (f *Feature) unlinkSession(h *holder) {
	if h.sprev == nil {
		if h.snext == nil {
			delete(f.sessions, h.session)
		} else {
			f.sessions[h.session] = h.snext
		}
	} else {
		h.sprev.snext = h.snext
	}
	if h.snext != nil {
		h.snext.sprev = h.sprev
	}
	h.sprev, h.snext = nil, nil
}

// release gives a license's units back to its pool, and drops a removed pool once it is empty.
func (f *Feature) release(l *license) {
	p := l.pool
	delete(p.licenses, l.device)
	p.unlink(l)
	p.inUse -= l.units
	f.inUse -= l.units
	if f.policy != nil {
		f.policy.Returned(l.user, l.host, l.display, l.units)
	}
	*l = license{}
	f.freeLicenses = append(f.freeLicenses, l)
	if p.removed && p.first == nil {
		f.deletePool(p)
	}
}

// CheckinDeviceOf ends the checkouts of device that session made, and returns their handles:
// a product checks in only its own users' licenses, never another product's on the same
// device.
func (f *Feature) CheckinDeviceOf(device string, session uint64) []uint64 {
	var handles []uint64
	for h := f.sessions[session]; h != nil; {
		next := h.snext
		if h.lic.device == device {
			handles = append(handles, h.handle)
			f.drop(h)
		}
		h = next
	}
	return handles
}

// SessionHolders returns the checkouts session holds (what a release of the session, or of
// some of its checkouts, is about to end: the debug log names each one).
func (f *Feature) SessionHolders(session uint64) []Holder {
	var out []Holder
	for h := f.sessions[session]; h != nil; h = h.snext {
		out = append(out, h.export())
	}
	return out
}
