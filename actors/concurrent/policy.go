package concurrent

// SetPolicy replaces the options-file policy after an lmreread ("Options file": the vendor
// daemon "reads this file every time it restarts or receives a command to reread the file").
// The new policy is told about every license unit already held, so that its MAX and RESERVE
// counts start from what is in use, and Took/Returned keep balancing.
func (f *Feature) SetPolicy(p Policy) {
	f.policy = p
	if p == nil {
		return
	}
	for _, pl := range f.pools {
		for l := pl.first; l != nil; l = l.next {
			p.Took(l.user, l.host, l.display, l.units)
		}
	}
}
