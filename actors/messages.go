package actors

import (
	"time"

	"github.com/licd/licd/license"
	"github.com/licd/licd/wire"
)

// Messages understood by the feature actors. They travel by value inside a pointer so that
// an actor never shares memory with its sender: the sender must not touch them after Send.

// CheckoutRequest asks a feature actor for a license. The reply (a *wire.Grant after the
// grant is durable, or a *wire.Denial) goes to Sink with ReqID.
type CheckoutRequest struct {
	Req     wire.Checkout
	Session uint64
	ReqID   uint32
	Sink    Sink
	// Reconcile marks a hold stated by a product back from License caching mode: it is
	// reinstated even beyond the count ("License caching mode example").
	Reconcile bool
	// Handle is the server handle a reconciling product already had (0 if none).
	Handle uint64
}

// CheckinRequest returns one handle; the reply is a *wire.Ack after the release is durable.
// Only the session that holds the handle may return it: any other gets CodeNotHolder and
// nothing is released.
type CheckinRequest struct {
	Handle  uint64
	Session uint64
	ReqID   uint32
	Sink    Sink
}

// CheckinDeviceRequest returns every handle the session's device holds in the feature.
type CheckinDeviceRequest struct {
	Device  string
	Session uint64
	ReqID   uint32
	Sink    Sink
}

// ReleaseSession drops every handle of a product session that ended (goodbye, or a linger
// that ran out). When Ack is set, each feature answers it with a *wire.Ack once its
// releases are durable (or a *wire.Denial if they could not be made so).
type ReleaseSession struct {
	Session uint64
	Ack     Sink
	// Reason is what the IN lines of the debug log say (ReasonGoodbye, ReasonLinger, ...).
	Reason string
}

func (m *ReleaseSession) reason() string {
	if m.Reason == "" {
		return ReasonLinger
	}
	return m.Reason
}

// ReleaseSessionExcept ends what a reconciling product no longer states: the session's
// handles taken before Before that are not in Keep.
type ReleaseSessionExcept struct {
	Session uint64
	Keep    map[uint64]struct{}
	Before  time.Time
}

// StatusRequest asks a feature actor for its wire.FeatureStatus (answered with Respond).
// With TakePeaks the answer carries the peak use since the previous such request and the
// actor starts a new peak period (the historical-usage sampler's query).
type StatusRequest struct{ Detail, TakePeaks bool }

// Reload applies an lmreread: the feature's new pools and options gate.
type Reload struct {
	Pools   []*license.Pool
	Options *license.Options
}

// committed is posted back to a feature actor by the storage committer when one of its
// batches is durable (or failed).
type committed struct {
	p   *pending
	err error
}

// handleBlock is posted back when a new block of handle sequence numbers is reserved.
type handleBlock struct {
	first, n uint64
	err      error
}

// Panic makes a feature actor panic (a test hook behind licd's -test-fault-injection): its
// supervisor restarts it from the persisted state.
type Panic struct{}
