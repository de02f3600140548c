// Package concurrent is the state machine of one feature's concurrent and per-socket
// licenses: every pool of the feature (pools differ by Customer Success Services date and
// attributes), the licenses held by endpoint devices, the checkout handles that share them,
// and the rules that decide which pool serves a request and which denial a user sees.
//
// It follows the manual's "Concurrent license" section: a license belongs to the originating
// endpoint device, every session of that device for the same feature shares it ("DUP_GROUP=V":
// "This attribute allows license sharing for the same client device"), and it goes back to the
// pool when the device's last session checks in. Products carry a version date; a license
// serves only products released on or before its CSS date ("Customer Success Services"), and a
// device takes its first license from the compatible pool with the earliest CSS date, which
// reproduces the manual's one-or-two-licenses example.
//
// A Feature does no I/O, never reads the clock (callers pass now) and is not safe for
// concurrent use: one feature actor owns it, feeds it requests, persists the grants it returns
// and replies. Checkout and Checkin are the hot path: they are O(number of pools) and do not
// allocate in the steady state (holders and licenses are recycled through free lists, and the
// common denials are pre-allocated values that callers must not modify).
package concurrent
