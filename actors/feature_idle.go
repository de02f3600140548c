package actors

import (
	"fmt"
	"time"

	"github.com/licd/licd/actors/concurrent"
	"github.com/licd/licd/actors/idle"
	"github.com/licd/licd/license"
	"github.com/licd/licd/wire"
)

// The options file's TIMEOUT and TIMEOUTALL applied ("Options file": an idle license of the
// feature is taken back after the timeout, as FLEXlm's vendor daemons do): a concurrent
// checkout whose product session has not been heard for the feature's timeout, or whose user
// its product reported idle for that long (wire UserIdle), is checked in with the IN reason
// "INACTIVE: TIMEOUT". The rules are package idle's (FLEXlm's 900-second minimum applies);
// the engine sweeps on the daemon's watch tick. User/device licenses are assignments for the
// license assignment period, not checkouts that idle: TIMEOUT does not apply to them.

// UserIdleRequest is a product's report that the user of Handle has been idle since Since
// (zero: active again). The reply is a *wire.Ack (Released 1 when the report made the
// checkout due and it was checked in, once that is durable) or a *wire.Denial.
type UserIdleRequest struct {
	Handle  uint64
	Session uint64
	Since   time.Time
	ReqID   uint32
	Sink    Sink
}

// IdleSweep asks a concurrent feature to check in the checkouts idle past its timeout.
// LastHeard holds the last heartbeat of the product sessions that have been quiet for at
// least idle.Minimum; the others are heartbeating.
type IdleSweep struct {
	LastHeard map[uint64]time.Time
}

// SweepIdle sends every concurrent feature an IdleSweep with the sessions that have gone
// quiet. It asks the session registry, so call it from outside the actors (the daemon's
// watch loop), never from an actor.
func (e *Engine) SweepIdle(timeout time.Duration) error {
	res, err := e.env.System.Root.RequestFuture(e.sessions, &SessionsStatus{}, timeout).Result()
	if err != nil {
		return fmt.Errorf("idle sweep: sessions status: %w", err)
	}
	sessions, _ := res.([]wire.SessionStatus)
	now := e.env.Now()
	quiet := map[uint64]time.Time{}
	for _, s := range sessions {
		if !s.LastHeartbeat.IsZero() && now.Sub(s.LastHeartbeat) >= idle.Minimum {
			quiet[s.ID] = s.LastHeartbeat
		}
	}
	for _, r := range e.Routes().All() {
		if !isUserDevice(r.Model) {
			e.Send(r.PID, &IdleSweep{LastHeard: quiet})
		}
	}
	return nil
}

// timeout is the feature's TIMEOUT (or TIMEOUTALL) in force, raised to the minimum; 0: none.
// The start-up license is never taken: it is the product session itself ("Citrix Start-up
// license"), held while the product is connected and released with its session.
func (a *concurrentActor) timeout() time.Duration {
	if a.spec.Options == nil || a.spec.Name == license.StartupFeature {
		return 0
	}
	d, ok := a.spec.Options.Timeout(a.spec.Name)
	if !ok {
		return 0
	}
	return idle.Effective(d, idle.Minimum)
}

func (a *concurrentActor) userIdle(m *UserIdleRequest) {
	h, known := a.core.Holder(m.Handle)
	deny := func(code wire.Code, detail string) {
		r := a.pl.addReply()
		r.sink, r.reqID, r.kind = m.Sink, m.ReqID, replyDenial
		r.denial = wire.Denial{Code: code, Detail: detail}
	}
	if !known {
		deny(wire.CodeUnknownHandle, fmt.Sprintf("handle %d is not held in %s", m.Handle, a.spec.Name))
		return
	}
	if h.Session != m.Session {
		deny(wire.CodeNotHolder, fmt.Sprintf("handle %d of %s belongs to another product session", m.Handle, a.spec.Name))
		return
	}
	released := 0
	if a.timeout() > 0 { // without a timeout there is nothing to apply, nor to remember
		a.idle.UserIdle(m.Handle, m.Since)
	}
	if due := a.idle.Due(a.env.Now(), a.timeout(), []idle.Checkout{{Handle: h.Handle, Session: h.Session, Start: h.Start}}, nil); len(due) == 1 {
		a.timedOut(&h)
		released = 1
	}
	r := a.pl.addReply()
	r.sink, r.reqID, r.kind, r.ack = m.Sink, m.ReqID, replyAck, wire.Ack{Released: uint32(released)}
}

// sweepIdle checks in what is due: the checkouts of quiet sessions and those whose users
// were reported idle. Reports of handles no longer held are dropped.
func (a *concurrentActor) sweepIdle(m *IdleSweep) {
	timeout := a.timeout()
	var cands []idle.Checkout
	holders := map[uint64]concurrent.Holder{}
	add := func(h concurrent.Holder) {
		if _, dup := holders[h.Handle]; !dup {
			holders[h.Handle] = h
			cands = append(cands, idle.Checkout{Handle: h.Handle, Session: h.Session, Start: h.Start})
		}
	}
	for _, handle := range a.idle.Reported() {
		h, ok := a.core.Holder(handle)
		if !ok {
			a.idle.Forget(handle)
			continue
		}
		add(h)
	}
	if timeout <= 0 {
		return
	}
	for session := range m.LastHeard {
		for _, h := range a.core.SessionHolders(session) {
			add(h)
		}
	}
	for _, handle := range a.idle.Due(a.env.Now(), timeout, cands, m.LastHeard) {
		h := holders[handle]
		a.timedOut(&h)
	}
}

// timedOut checks in one checkout for TIMEOUT.
func (a *concurrentActor) timedOut(h *concurrent.Holder) {
	a.core.Checkin(h.Handle)
	a.idle.Forget(h.Handle)
	a.pl.batch().DeleteGrant(h.Handle)
	a.logIn(h, ReasonTimeout, a.env.Now())
}
