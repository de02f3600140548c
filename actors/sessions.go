package actors

import (
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
	Hello  wire.Hello
	Conn   ConnCloser
	Remote string
	Reply  chan<- SessionOpened
}

// SessionOpened answers OpenSession.
type SessionOpened struct {
	ID      uint64
	Adopted bool // a lost session of the same ClientID was taken over: its handles are still held
	Err     error
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

// SessionGoodbye ends a session cleanly ("Goodbye"): everything it holds is released now.
// Done is closed once the session's record is gone from the store.
type SessionGoodbye struct {
	ID   uint64
	Done chan<- struct{}
}

// SessionsStatus asks for the registry (answered with Respond: []wire.SessionStatus).
type SessionsStatus struct{}

// ConnCloser is the connection a session lives on, so a takeover can close the old one.
type ConnCloser interface{ Close() error }

type lingerExpired struct {
	id    uint64
	epoch int
}

type sessionState struct {
	rec       storage.Session
	conn      ConnCloser
	epoch     int
	lastHeard time.Time
}

type sessionsActor struct {
	starts   *atomic.Int32 // incarnations of the registry (shared by the producer)
	env      *Env
	engine   *Engine
	linger   time.Duration
	byID     map[uint64]*sessionState
	byClient map[string]*sessionState
	ids      handleAlloc
	pl       pipeline
	rec      storage.Session
	opened   []openWaiter
}

type openWaiter struct {
	reply chan<- SessionOpened
	msg   SessionOpened
}

func newSessionsProps(env *Env, e *Engine, linger time.Duration) *actor.Props {
	starts := new(atomic.Int32)
	return actor.PropsFromProducer(func() actor.Actor {
		return &sessionsActor{starts: starts, env: env, engine: e, linger: linger}
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
	case *Panic:
		panic("fault injection: sessions")
	case *lingerExpired:
		a.expire(m)
		a.flush()
	case *SessionGoodbye:
		if st := a.byID[m.ID]; st != nil {
			a.release(st)
		}
		r := a.pl.addReply()
		done := m.Done
		r.kind, r.sink = replyAck, SinkFunc(func(uint32, wire.Message) { close(done) })
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
		r.sink = SinkFunc(func(uint32, wire.Message) {
			for _, w := range waiters {
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
	a.byClient = make(map[string]*sessionState)
	a.pl = newPipeline(a.env.Committer, a.env.System.Root, ctx.Self())
	if err := a.ids.init(a.env, 0, "session"); err != nil {
		panic(err)
	}
	now := a.env.Now()
	// Sessions found on disk belong to connections of an earlier run: all of them are lost
	// now, and their linger starts again from this start.
	err := a.env.Store.ForEachSession(func(s *storage.Session) error {
		st := &sessionState{rec: *s}
		st.rec.Lost = true
		st.rec.LastSeen = now.UnixNano()
		a.byID[s.ID] = st
		if s.ClientID != "" {
			a.byClient[s.ClientID] = st
		}
		a.armLinger(ctx.Self(), st)
		return nil
	})
	if err != nil {
		panic(err)
	}
}

func (a *sessionsActor) open(m *OpenSession) {
	now := a.env.Now()
	h := &m.Hello
	if st := a.byClient[h.ClientID]; h.ClientID != "" && st != nil {
		// The same product server again: it takes its session over, with every handle.
		if st.conn != nil && st.conn != m.Conn {
			_ = st.conn.Close()
		}
		st.conn, st.epoch, st.lastHeard = m.Conn, st.epoch+1, now
		st.rec.Lost, st.rec.LastSeen = false, now.UnixNano()
		st.rec.Product, st.rec.Host, st.rec.Edition, st.rec.Model, st.rec.VersionDate = h.Product, h.Host, h.Edition, h.Model, h.VersionDate
		a.pl.batch().PutSession(&st.rec)
		a.opened = append(a.opened, openWaiter{m.Reply, SessionOpened{ID: st.rec.ID, Adopted: true}})
		return
	}
	id, ok := a.ids.take(a.env, a.pl.self)
	if !ok {
		m.Reply <- SessionOpened{Err: wire.Errorf(wire.CodeInternal, "no session ids available yet; retry")}
		return
	}
	st := &sessionState{conn: m.Conn, lastHeard: now, rec: storage.Session{
		ID: id, ClientID: h.ClientID, Product: h.Product, Host: h.Host, Edition: h.Edition,
		Model: h.Model, VersionDate: h.VersionDate, Connected: now.UnixNano(), LastSeen: now.UnixNano(),
	}}
	a.byID[id] = st
	if h.ClientID != "" {
		a.byClient[h.ClientID] = st
	}
	a.pl.batch().PutSession(&st.rec)
	a.opened = append(a.opened, openWaiter{m.Reply, SessionOpened{ID: id}})
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
	a.env.Log.Info("product lost", zap.Uint64("session", st.rec.ID), zap.String("host", st.rec.Host), zap.Duration("linger", a.linger))
	a.armLinger(ctx.Self(), st)
}

func (a *sessionsActor) armLinger(self *actor.PID, st *sessionState) {
	msg := &lingerExpired{id: st.rec.ID, epoch: st.epoch}
	root := a.env.System.Root
	time.AfterFunc(a.linger, func() { root.Send(self, msg) })
}

func (a *sessionsActor) expire(m *lingerExpired) {
	st := a.byID[m.id]
	if st == nil || st.epoch != m.epoch || !st.rec.Lost {
		return
	}
	a.release(st)
	a.env.Log.Info("lost product released", zap.Uint64("session", m.id), zap.String("host", st.rec.Host))
}

// release ends a session: every feature releases what it held, and the record goes.
func (a *sessionsActor) release(st *sessionState) {
	a.engine.Broadcast(&ReleaseSession{Session: st.rec.ID})
	st.epoch++ // a pending linger timer no longer applies
	delete(a.byID, st.rec.ID)
	if a.byClient[st.rec.ClientID] == st {
		delete(a.byClient, st.rec.ClientID)
	}
	a.pl.batch().DeleteSession(st.rec.ID)
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
