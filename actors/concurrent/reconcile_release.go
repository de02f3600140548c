package concurrent

import "time"

// ReleaseSessionExcept ends the checkouts of session that a product back from License
// caching mode no longer states: those taken before `before` (its new hello) whose handle is
// not in keep. A product that restarted states nothing, so everything it held before is
// released ("License caching mode example": connections are reconciled). It returns the
// handles dropped.
func (f *Feature) ReleaseSessionExcept(session uint64, keep map[uint64]struct{}, before time.Time) []uint64 {
	var handles []uint64
	for h := f.sessions[session]; h != nil; {
		next := h.snext
		if _, kept := keep[h.handle]; !kept && h.start.Before(before) {
			handles = append(handles, h.handle)
			f.drop(h)
		}
		h = next
	}
	return handles
}
