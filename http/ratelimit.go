package http

import (
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Failed logins are limited per account and per client address: each failure takes a
// token; when either bucket is empty, logins are refused (429) until it refills, and the
// lock-out is written to the audit log. Successful logins take nothing.
type loginLimiter struct {
	mu                  sync.Mutex
	accounts, addresses map[string]*rate.Limiter
	every               time.Duration
	burst               int
	now                 func() time.Time
}

const maxLimiters = 10_000

func newLoginLimiter(every time.Duration, burst int, now func() time.Time) *loginLimiter {
	return &loginLimiter{accounts: map[string]*rate.Limiter{}, addresses: map[string]*rate.Limiter{}, every: every, burst: burst, now: now}
}

func (l *loginLimiter) get(m map[string]*rate.Limiter, key string, burst int) *rate.Limiter {
	lim := m[key]
	if lim == nil {
		if len(m) >= maxLimiters {
			l.pruneLocked(m, burst)
		}
		lim = rate.NewLimiter(rate.Every(l.every)*rate.Limit(float64(l.burst)/float64(burst)), burst)
		m[key] = lim
	}
	return lim
}

// pruneLocked forgets the limiters that are full again (no recent failure).
func (l *loginLimiter) pruneLocked(m map[string]*rate.Limiter, burst int) {
	now := l.now()
	for k, lim := range m {
		if lim.TokensAt(now) >= float64(burst) {
			delete(m, k)
		}
	}
}

// locked tells whether logins of account from addr are refused now, and for how long.
func (l *loginLimiter) locked(account, addr string) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	a := l.get(l.accounts, strings.ToLower(account), l.burst)
	h := l.get(l.addresses, addr, 4*l.burst)
	if a.TokensAt(now) >= 1 && h.TokensAt(now) >= 1 {
		return false, 0
	}
	wait := l.every
	return true, wait
}

// failed records a failed login; it reports whether that failure locked the account or
// the address out.
func (l *loginLimiter) failed(account, addr string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	a := l.get(l.accounts, strings.ToLower(account), l.burst)
	h := l.get(l.addresses, addr, 4*l.burst)
	a.AllowN(now, 1)
	h.AllowN(now, 1)
	return a.TokensAt(now) < 1 || h.TokensAt(now) < 1
}
