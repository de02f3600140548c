package http

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"sync"
	"time"
)

// Console sessions: a random id in a cookie (Secure, HttpOnly, SameSite=Strict) and a CSRF
// token the client sends back in X-CSRF-Token with every change. A session ends after
// SessionIdle without a request or SessionMax after the login, whichever is first. Sessions
// live in memory: a restart logs everyone out.
const (
	cookieName  = "licd_session"
	csrfHeader  = "X-CSRF-Token"
	maxSessions = 10_000
)

type session struct {
	account string
	csrf    string
	created time.Time
	seen    time.Time
	ended   bool
}

type sessionStore struct {
	mu        sync.Mutex
	byID      map[[32]byte]*session // by SHA-256 of the cookie
	idle, max time.Duration
	now       func() time.Time
}

func newSessionStore(idle, max time.Duration, now func() time.Time) *sessionStore {
	return &sessionStore{byID: map[[32]byte]*session{}, idle: idle, max: max, now: now}
}

func randomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// create starts a session and returns its cookie value.
func (st *sessionStore) create(account string) (string, *session) {
	id := randomToken()
	now := st.now()
	s := &session{account: account, csrf: randomToken(), created: now, seen: now}
	st.mu.Lock()
	defer st.mu.Unlock()
	if len(st.byID) >= maxSessions {
		st.sweepLocked(now)
	}
	if len(st.byID) >= maxSessions { // still full: drop the oldest
		var oldest [32]byte
		var t time.Time
		for k, v := range st.byID {
			if t.IsZero() || v.seen.Before(t) {
				oldest, t = k, v.seen
			}
		}
		delete(st.byID, oldest)
	}
	st.byID[sha256.Sum256([]byte(id))] = s
	return id, s
}

// lookup returns the session of a cookie value and refreshes its idle time; expired is set
// when the session existed but its time is over. An ended session is kept (and keeps
// answering expired) until the store needs the room, so that a client learns why.
func (st *sessionStore) lookup(id string) (s *session, expired bool) {
	key := sha256.Sum256([]byte(id))
	now := st.now()
	st.mu.Lock()
	defer st.mu.Unlock()
	s = st.byID[key]
	if s == nil {
		return nil, false
	}
	if s.ended || now.Sub(s.seen) > st.idle || now.Sub(s.created) > st.max {
		s.ended = true
		return nil, true
	}
	s.seen = now
	cp := *s
	return &cp, false
}

func (st *sessionStore) remove(id string) {
	st.mu.Lock()
	delete(st.byID, sha256.Sum256([]byte(id)))
	st.mu.Unlock()
}

// removeAccount ends every session of an account (removed, or its password changed).
func (st *sessionStore) removeAccount(account, except string) {
	keep := sha256.Sum256([]byte(except))
	st.mu.Lock()
	for k, s := range st.byID {
		if s.account == account && k != keep {
			delete(st.byID, k)
		}
	}
	st.mu.Unlock()
}

func (st *sessionStore) sweepLocked(now time.Time) {
	for k, s := range st.byID {
		if s.ended || now.Sub(s.seen) > st.idle || now.Sub(s.created) > st.max {
			delete(st.byID, k)
		}
	}
}

func (s *session) csrfOK(got string) bool {
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(s.csrf)) == 1
}
