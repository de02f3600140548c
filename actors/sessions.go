package actors

import (
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"go.uber.org/zap"

	"github.com/licd/licd/storage"
	"github.com/licd/licd/wire"
)

// The sessions actor keeps the registry of product servers: which are connected, which are
// lost and for how long their licenses stay held. A product that stops heartbeating or
// drops its connection is marked lost; its licenses stay held for the linger so that it can
// come back and reconcile ("License caching mode"); after the linger they are released.

// OpenSession registers a product's start-up checkout (hello). The reply arrives on Reply
// once the session record is durable.
type OpenSession struct {
	Hello wire.Hello
	Conn  ConnCloser
	// Addr is the product's IP address; Limit says whether MaxSessionsPerAddr applies to it.
	Addr  string
	Limit bool
	Reply chan<- SessionOpened
}

// SessionOpened answers OpenSession.
type SessionOpened struct {
	ID uint64
	// Adopted: the hello carried the token of a session this registry knows, which it took
	// over with every handle still held (or, for a session released after its linger, with
	// the right to reconcile what the product cached).
	Adopted bool
	// Token is the session token the product must present to adopt the session later.
	Token []byte
	Err   error
}

// SessionClosed reports that a product's connection ended (or was closed as lost).
type SessionClosed struct {
	ID   uint64
	Conn ConnCloser
}

// SessionHeard records a heartbeat from a product, on the connection it came on.
type SessionHeard struct {
	ID   uint64
	When time.Time
	Conn ConnCloser
}

// SessionUsed reports that a session checked out more than its start-up license: it keeps
// the full linger when its product is lost.
type SessionUsed struct{ ID uint64 }

// SessionGoodbye ends a session cleanly ("Goodbye"): everything it holds is released now.
// Done receives nil once every feature's releases and the session's removal are durable,
// or the error that kept them from being so.
type SessionGoodbye struct {
	ID   uint64
	Done chan<- error
}

// SessionsStatus asks for the registry (answered with Respond: []wire.SessionStatus).
type SessionsStatus struct{}

// ConnCloser is the connection a session lives on, so a takeover can close the old one.
type ConnCloser interface{ Close() error }

type lingerExpired struct {
	id    uint64
	epoch int
}

type pruneKnown struct{}

type sessionState struct {
	rec       storage.Session
	conn      ConnCloser
	epoch     int
	lastHeard time.Time
}

// maxKnown bounds the released sessions remembered for the caching window; past it, a
// released session is forgotten at once (its product then reconciles nothing).
const maxKnown = 100_000

type sessionsActor struct {
	starts  *atomic.Int32 // incarnations of the registry (shared by the producer)
	env     *Env
	engine  *Engine
	cfg     EngineConfig
	byID    map[uint64]*sessionState   // connected and lingering sessions
	byToken map[[32]byte]*sessionState // those with a token, and released ones (known)
	perAddr map[string]int             // connected and lingering sessions per address
	known   int                        // released sessions remembered
	ids     handleAlloc
	pl      pipeline
	rec     storage.Session
	opened  []openWaiter
}

type openWaiter struct {
	reply chan<- SessionOpened
	msg   SessionOpened
}

func newSessionsProps(env *Env, e *Engine, cfg EngineConfig) *actor.Props {
	starts := new(atomic.Int32)
	return actor.PropsFromProducer(func() actor.Actor {
		return &sessionsActor{starts: starts, env: env, engine: e, cfg: cfg}
	}, actor.WithSupervisor(restartAlways()))
}

func (a *sessionsActor) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *actor.Started:
		a.start(ctx)
	case *OpenSession:
		a.open(m)
		a.flush()
	case *SessionClosed:
		a.closed(ctx, m)
		a.flush()
	case *SessionHeard:
		if st := a.byID[m.ID]; st != nil {
			st.lastHeard = m.When
			if st.rec.Lost && st.conn == nil && m.Conn != nil {
				a.revive(st, m.Conn)
				a.flush()
			}
		}
	case *SessionUsed:
		if st := a.byID[m.ID]; st != nil && !st.rec.Used {
			st.rec.Used = true
			a.pl.batch().PutSession(&st.rec)
			a.flush()
		}
	case *Panic:
		panic("fault injection: sessions")
	case *lingerExpired:
		a.expire(m)
		a.flush()
	case *pruneKnown:
		a.prune()
		a.flush()
		a.armPrune(ctx.Self())
	case *SessionGoodbye:
		a.goodbye(m)
		a.flush()
	case *committed:
		if !a.pl.finished(m.p) {
			return
		}
		a.pl.recycle(m.p)
		a.flush()
	case *handleBlock:
		a.ids.refilled(a.env, m)
	case *SessionsStatus:
		ctx.Respond(a.status())
	}
}

func (a *sessionsActor) flush() {
	// Waiters are answered through the pipeline's replies, which only exist for sinks; the
	// session registry answers on channels, so it keeps its own list and answers when the
	// batch holding their records is durable.
	if len(a.opened) > 0 && a.pl.inflight < maxInflight {
		waiters := a.opened
		a.opened = nil
		r := a.pl.addReply()
		r.kind = replyAck
		r.sink = SinkFunc(func(_ uint32, m wire.Message) {
			for _, w := range waiters {
				if d, ok := m.(*wire.Denial); ok {
					w.msg = SessionOpened{Err: &wire.Error{Code: d.Code, Detail: d.Detail}}
				}
				w.reply <- w.msg
			}
		})
	}
	a.pl.flush()
}

func (a *sessionsActor) start(ctx actor.Context) {
	if a.starts.Add(1) > 1 {
		// A restart: what the previous incarnation submitted must be durable before the
		// sessions are read back.
		if err := syncWithStore(a.env, "sessions"); err != nil {
			panic(err)
		}
	}
	a.byID = make(map[uint64]*sessionState)
	a.byToken = make(map[[32]byte]*sessionState)
	a.perAddr = make(map[string]int)
	a.known = 0
	a.pl = newPipeline(a.env.Committer, a.env.System.Root, ctx.Self())
	if err := a.ids.init(a.env, 0, "session"); err != nil {
		panic(err)
	}
	now := a.env.Now()
	// Sessions found on disk belong to connections of an earlier run: all of them are lost
	// now, and their linger starts again from this start.
	err := a.env.Store.ForEachSession(func(s *storage.Session) error {
		st := &sessionState{rec: *s}
		if key, ok := tokenKeyOf(st.rec.TokenHash); ok {
			a.byToken[key] = st
		}
		if st.rec.Released {
			a.known++
			return nil
		}
		if a.cfg.Used[st.rec.ID] {
			st.rec.Used = true
		}
		st.rec.Lost = true
		st.rec.LastSeen = now.UnixNano()
		a.byID[s.ID] = st
		a.perAddr[st.rec.Addr]++
		a.armLinger(ctx.Self(), st)
		return nil
	})
	if err != nil {
		panic(err)
	}
	a.prune()
	a.armPrune(ctx.Self())
}

func (a *sessionsActor) open(m *OpenSession) {
	now := a.env.Now()
	h := &m.Hello
	if len(h.SessionToken) > 0 {
		if st := a.byToken[tokenKey(h.SessionToken)]; st != nil && st.rec.ClientID == h.ClientID {
			a.adopt(st, m, now)
			return
		}
		// Not ours to adopt (forgotten after the caching window, or never issued): the
		// product gets a new session and reconciles nothing.
		a.env.Log.Info("hello with an unknown session token; opening a new session", zap.String("client_id", h.ClientID), zap.String("addr", m.Addr))
	}
	if m.Limit && a.cfg.MaxSessionsPerAddr > 0 && a.perAddr[m.Addr] >= a.cfg.MaxSessionsPerAddr {
		m.Reply <- SessionOpened{Err: wire.Errorf(wire.CodeTooManySessions, fmt.Sprintf(
			"%s already has %d product sessions (connected or lingering), the most one address may have; end unused ones with goodbye or raise -max-sessions-per-addr",
			m.Addr, a.perAddr[m.Addr]))}
		return
	}
	id, ok := a.ids.take(a.env, a.pl.self)
	if !ok {
		m.Reply <- SessionOpened{Err: wire.Errorf(wire.CodeInternal, "no session ids available yet; retry")}
		return
	}
	token := make([]byte, 16)
	if _, err := rand.Read(token); err != nil {
		m.Reply <- SessionOpened{Err: wire.Errorf(wire.CodeInternal, "no randomness for a session token; retry")}
		return
	}
	sum := sha256.Sum256(token)
	st := &sessionState{conn: m.Conn, lastHeard: now, rec: storage.Session{
		ID: id, ClientID: h.ClientID, Product: h.Product, Host: h.Host, Edition: h.Edition,
		Model: h.Model, VersionDate: h.VersionDate, Connected: now.UnixNano(), LastSeen: now.UnixNano(),
		TokenHash: sum[:], Addr: m.Addr,
	}}
	a.byID[id] = st
	a.byToken[sum] = st
	a.perAddr[m.Addr]++
	a.pl.batch().PutSession(&st.rec)
	a.opened = append(a.opened, openWaiter{m.Reply, SessionOpened{ID: id, Token: token}})
}

// adopt hands a session to the connection whose hello carried its token: the same product
// server again, which takes its session over with every handle (or, if its linger ran out,
// with the right to reconcile what it cached).
func (a *sessionsActor) adopt(st *sessionState, m *OpenSession, now time.Time) {
	h := &m.Hello
	if st.conn != nil && st.conn != m.Conn {
		_ = st.conn.Close()
	}
	if st.rec.Released {
		st.rec.Released, st.rec.Used = false, true
		a.known--
		a.byID[st.rec.ID] = st
		a.perAddr[st.rec.Addr]++
	}
	st.conn, st.epoch, st.lastHeard = m.Conn, st.epoch+1, now
	st.rec.Lost, st.rec.LastSeen = false, now.UnixNano()
	st.rec.Product, st.rec.Host, st.rec.Edition, st.rec.Model, st.rec.VersionDate = h.Product, h.Host, h.Edition, h.Model, h.VersionDate
	a.pl.batch().PutSession(&st.rec)
	a.opened = append(a.opened, openWaiter{m.Reply, SessionOpened{ID: st.rec.ID, Adopted: true, Token: h.SessionToken}})
}

// revive re-attaches a session that this registry took for lost while its product was in
// fact connected: after a restart of the registry (a panic), every session starts out lost,
// and the next heartbeat of each connected product brings it back before its linger ends.
func (a *sessionsActor) revive(st *sessionState, conn ConnCloser) {
	st.conn = conn
	st.epoch++ // the pending linger no longer applies
	st.rec.Lost, st.rec.LastSeen = false, a.env.Now().UnixNano()
	a.pl.batch().PutSession(&st.rec)
	a.env.Log.Info("product session re-attached", zap.Uint64("session", st.rec.ID), zap.String("host", st.rec.Host))
}

func (a *sessionsActor) closed(ctx actor.Context, m *SessionClosed) {
	st := a.byID[m.ID]
	if st == nil || st.conn != m.Conn {
		return // an older connection of a session that was taken over
	}
	now := a.env.Now()
	st.conn = nil
	st.epoch++
	st.rec.Lost, st.rec.LastSeen = true, now.UnixNano()
	a.pl.batch().PutSession(&st.rec)
	a.env.Log.Info("product lost", zap.Uint64("session", st.rec.ID), zap.String("host", st.rec.Host), zap.Duration("linger", a.lingerOf(st)))
	a.armLinger(ctx.Self(), st)
}

// lingerOf is how long a lost session keeps its licenses: the full linger when it holds
// something its product may reconcile, the short IdleLinger when all it ever had was its
// start-up license.
func (a *sessionsActor) lingerOf(st *sessionState) time.Duration {
	if st.rec.Used {
		return a.cfg.Linger
	}
	return a.cfg.IdleLinger
}

func (a *sessionsActor) armLinger(self *actor.PID, st *sessionState) {
	msg := &lingerExpired{id: st.rec.ID, epoch: st.epoch}
	root := a.env.System.Root
	time.AfterFunc(a.lingerOf(st), func() { root.Send(self, msg) })
}

func (a *sessionsActor) armPrune(self *actor.PID) {
	root := a.env.System.Root
	time.AfterFunc(time.Hour, func() { root.Send(self, &pruneKnown{}) })
}

func (a *sessionsActor) expire(m *lingerExpired) {
	st := a.byID[m.id]
	if st == nil || st.epoch != m.epoch || !st.rec.Lost {
		return
	}
	a.release(st, nil, ReasonLinger)
	if st.rec.Used && len(st.rec.TokenHash) > 0 && a.known < maxKnown {
		// Remembered for the caching window: the product may come back and reconcile.
		st.rec.Released = true
		a.known++
		a.pl.batch().PutSession(&st.rec)
	} else {
		a.forget(st)
	}
	a.env.Log.Info("lost product released", zap.Uint64("session", m.id), zap.String("host", st.rec.Host))
}

// goodbye ends a session at its product's request. Done hears once every feature has
// made its releases durable and the record is gone: only then is the goodbye acknowledged,
// so a kill -9 after the acknowledgement cannot bring the licenses back.
func (a *sessionsActor) goodbye(m *SessionGoodbye) {
	wait := &releaseWait{done: m.Done}
	wait.left.Store(1) // the session record's own batch
	if st := a.byID[m.ID]; st != nil {
		a.release(st, wait, ReasonGoodbye)
		a.forget(st)
	}
	r := a.pl.addReply()
	r.kind, r.sink = replyAck, wait
}

// release ends a session's holdings: every feature releases what it held, and answers wait
// (when set) once that is durable.
func (a *sessionsActor) release(st *sessionState, wait *releaseWait, reason string) {
	msg := &ReleaseSession{Session: st.rec.ID, Reason: reason}
	features := a.engine.Routes().All()
	if wait != nil {
		wait.left.Add(int32(len(features))) // before any feature can answer
		msg.Ack = wait
	}
	for _, r := range features {
		a.env.System.Root.Send(r.PID, msg)
	}
	st.epoch++ // a pending linger timer no longer applies
	delete(a.byID, st.rec.ID)
	if n := a.perAddr[st.rec.Addr] - 1; n > 0 {
		a.perAddr[st.rec.Addr] = n
	} else {
		delete(a.perAddr, st.rec.Addr)
	}
}

// forget removes a session's record for good.
func (a *sessionsActor) forget(st *sessionState) {
	if key, ok := tokenKeyOf(st.rec.TokenHash); ok && a.byToken[key] == st {
		delete(a.byToken, key)
	}
	a.pl.batch().DeleteSession(st.rec.ID)
}

// prune forgets released sessions whose caching window has passed.
func (a *sessionsActor) prune() {
	cutoff := a.env.Now().Add(-a.engine.CachingWindow()).UnixNano()
	for _, st := range a.byToken {
		if st.rec.Released && st.rec.LastSeen < cutoff {
			a.known--
			a.forget(st)
		}
	}
}

func tokenKey(token []byte) [32]byte { return sha256.Sum256(token) }

func tokenKeyOf(hash []byte) (k [32]byte, ok bool) {
	if len(hash) != len(k) {
		return k, false
	}
	copy(k[:], hash)
	return k, true
}

// releaseWait counts the acknowledgements a goodbye waits for and reports the first
// failure, or nil once all have arrived.
type releaseWait struct {
	left   atomic.Int32
	failed atomic.Pointer[wire.Error]
	done   chan<- error
}

func (w *releaseWait) Reply(_ uint32, m wire.Message) {
	if d, ok := m.(*wire.Denial); ok {
		w.failed.CompareAndSwap(nil, &wire.Error{Code: d.Code, Detail: d.Detail})
	}
	if w.left.Add(-1) == 0 {
		if e := w.failed.Load(); e != nil {
			w.done <- e
		} else {
			w.done <- nil
		}
	}
}

func (a *sessionsActor) status() []wire.SessionStatus {
	out := make([]wire.SessionStatus, 0, len(a.byID))
	for _, st := range a.byID {
		out = append(out, wire.SessionStatus{
			ID: st.rec.ID, Product: st.rec.Product, Host: st.rec.Host, Edition: st.rec.Edition,
			Model: st.rec.Model, Connected: time.Unix(0, st.rec.Connected), LastHeartbeat: st.lastHeard,
			Lost: st.rec.Lost,
		})
	}
	return out
}
