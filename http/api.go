package http

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	nethttp "net/http"
	"sort"
	"strings"

	"github.com/go-chi/chi/v5"
	"go.uber.org/zap"

	"github.com/licd/licd/actors/daemon"
	"github.com/licd/licd/http/console"
	"github.com/licd/licd/http/metrics"
)

// api holds what the handlers share. Handlers only decode, authorise (done before them,
// from the route table), call the daemon's admin service and encode.
type api struct {
	s        *Server
	d        *daemon.Daemon
	log      *zap.Logger
	sessions *sessionStore
	limiter  *loginLimiter
	// metricsHandler serves /metrics behind a read token; its registry is made once.
	metricsHandler nethttp.Handler
}

func newAPI(s *Server) *api {
	return &api{s: s, d: s.opt.Daemon, log: s.opt.Log.Named("api"),
		sessions:       newSessionStore(s.opt.SessionIdle, s.opt.SessionMax, s.opt.Now),
		limiter:        newLoginLimiter(s.opt.LoginEvery, s.opt.LoginBurst, s.opt.Now),
		metricsHandler: metrics.Handler(s.opt.Daemon)}
}

// caller is an authenticated request's principal and how it authenticated.
type caller struct {
	daemon.Principal
	// Via is "session" or "token".
	Via       string
	sessionID string
	session   *session
	token     *daemon.APIToken
}

func (a *api) router() chi.Router {
	r := chi.NewRouter()
	r.Use(a.recoverer, a.headers)
	r.NotFound(func(w nethttp.ResponseWriter, r *nethttp.Request) {
		writeProblem(w, nethttp.StatusNotFound, CodeNotFound, "no such resource: the API's resources are listed in /api/v1/openapi.json", nil)
	})
	r.MethodNotAllowed(func(w nethttp.ResponseWriter, r *nethttp.Request) {
		writeProblem(w, nethttp.StatusMethodNotAllowed, CodeMethodNotAllowed,
			fmt.Sprintf("%s is not a method of %s: see /api/v1/openapi.json", r.Method, r.URL.Path), nil)
	})
	for _, rt := range routes {
		r.Method(rt.Method, rt.Pattern, a.wrap(rt))
	}
	// The Licensing Manager console ("Citrix Licensing Manager": https://host:8083/), a
	// client of the routes above: its page at / and its assets under /console/, public
	// like any login page (the data it shows comes from the API, with the API's checks).
	ch := console.Handler()
	for _, m := range []string{nethttp.MethodGet, nethttp.MethodHead} {
		r.Method(m, "/", ch)
		r.Method(m, console.Prefix+"*", ch)
	}
	// Package http/metrics mounts the Prometheus /metrics endpoint here (Server.Mount).
	return r
}

// recoverer answers a panicking handler with a 500 problem and logs it: bad input never
// takes the server down.
func (a *api) recoverer(next nethttp.Handler) nethttp.Handler {
	return nethttp.HandlerFunc(func(w nethttp.ResponseWriter, r *nethttp.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == nethttp.ErrAbortHandler {
					panic(v)
				}
				a.log.Error("admin API handler panicked", zap.String("method", r.Method), zap.String("path", r.URL.Path), zap.Any("panic", v), zap.Stack("stack"))
				writeProblem(w, nethttp.StatusInternalServerError, CodeInternal,
					"the license server could not complete the request; the operational log has the details", nil)
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// headers bounds every body and sets the headers every answer carries.
func (a *api) headers(next nethttp.Handler) nethttp.Handler {
	return nethttp.HandlerFunc(func(w nethttp.ResponseWriter, r *nethttp.Request) {
		r.Body = nethttp.MaxBytesReader(w, r.Body, maxFileBody)
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
		if r.TLS != nil {
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		next.ServeHTTP(w, r)
	})
}

type auditKey struct{}

// auditNote is what a handler adds to its route's audit entry.
type auditNote struct{ target, detail string }

func noteAudit(r *nethttp.Request, target, detail string) {
	if n, ok := r.Context().Value(auditKey{}).(*auditNote); ok {
		if target != "" {
			n.target = target
		}
		if detail != "" {
			n.detail = detail
		}
	}
}

// wrap authorises a route's caller, runs its handler and audits what it changed.
func (a *api) wrap(rt Route) nethttp.HandlerFunc {
	return func(w nethttp.ResponseWriter, r *nethttp.Request) {
		note := &auditNote{}
		r = r.WithContext(context.WithValue(r.Context(), auditKey{}, note))
		sw := &statusWriter{ResponseWriter: w}
		c, denied := a.authorize(rt, r)
		if denied != nil {
			if denied.status == nethttp.StatusUnauthorized {
				w.Header().Set("WWW-Authenticate", `Bearer realm="licd"`)
			}
			writeProblem(sw, denied.status, denied.code, denied.detail, nil)
		} else {
			rt.handle(a, sw, r, c)
		}
		// Every change is audited, and every refusal of one to a known caller; the login
		// audits itself (it names the account tried, and lock-outs).
		if rt.Action == "" || rt.Action == "session.login" || (c == nil && sw.status == nethttp.StatusUnauthorized) {
			return
		}
		e := daemon.AuditEntry{Who: "anonymous", From: clientAddr(r), Action: rt.Action, Target: note.target, Result: "ok", Detail: note.detail}
		if c != nil {
			e.Who = c.Name
			if c.token != nil {
				e.Who += " (token " + c.token.ID + ")"
			}
		}
		if e.Target == "" {
			e.Target = urlParams(r)
		}
		switch {
		case sw.status == nethttp.StatusUnauthorized || sw.status == nethttp.StatusForbidden:
			e.Result, e.Detail = "denied", sw.problemDetail()
		case sw.status >= 400:
			e.Result, e.Detail = "failed", sw.problemDetail()
		}
		a.d.Audit(e)
	}
}

func urlParams(r *nethttp.Request) string {
	rc := chi.RouteContext(r.Context())
	if rc == nil {
		return ""
	}
	var parts []string
	for i, k := range rc.URLParams.Keys {
		if k != "*" {
			parts = append(parts, rc.URLParams.Values[i])
		}
	}
	return strings.Join(parts, "/")
}

type denial struct {
	status       int
	code, detail string
}

// authorize finds the caller of a request and checks it against the route: a bearer token,
// else the session cookie (with its CSRF token on a change); an account that must change
// its password may do only that; an Administrator route needs the admin role (a read
// token is a User whoever made it).
func (a *api) authorize(rt Route, r *nethttp.Request) (*caller, *denial) {
	if rt.Role == Anonymous {
		return nil, nil
	}
	var c *caller
	if auth := r.Header.Get("Authorization"); auth != "" {
		secret, ok := strings.CutPrefix(auth, "Bearer ")
		if !ok {
			return nil, &denial{nethttp.StatusUnauthorized, CodeUnauthenticated, "the Authorization header takes \"Bearer TOKEN\" (an API token from POST /api/v1/tokens)"}
		}
		p, tok, err := a.d.TokenPrincipal(strings.TrimSpace(secret))
		if err != nil {
			if errors.Is(err, daemon.ErrBadCredentials) {
				return nil, &denial{nethttp.StatusUnauthorized, CodeUnauthenticated, "the API token is unknown or was revoked: ask an administrator for a new one"}
			}
			a.log.Error("token check failed", zap.Error(err))
			return nil, &denial{nethttp.StatusInternalServerError, CodeInternal, "the token could not be checked; the operational log has the details"}
		}
		c = &caller{Principal: *p, Via: "token", token: tok}
	} else if ck, err := r.Cookie(cookieName); err == nil && ck.Value != "" {
		s, expired := a.sessions.lookup(ck.Value)
		if expired {
			return nil, &denial{nethttp.StatusUnauthorized, CodeSessionExpired, fmt.Sprintf(
				"the session has ended (after %s without a request, or %s after the login): log in again with POST /api/v1/session",
				a.s.opt.SessionIdle, a.s.opt.SessionMax)}
		}
		if s == nil {
			return nil, &denial{nethttp.StatusUnauthorized, CodeUnauthenticated, "the session is unknown (logged out, or the server restarted): log in again with POST /api/v1/session"}
		}
		p, err := a.d.PrincipalOf(s.account)
		if err != nil {
			a.log.Error("account check failed", zap.Error(err))
			return nil, &denial{nethttp.StatusInternalServerError, CodeInternal, "the account could not be checked; the operational log has the details"}
		}
		if p == nil {
			a.sessions.remove(ck.Value)
			return nil, &denial{nethttp.StatusUnauthorized, CodeUnauthenticated, "the session's account was removed"}
		}
		c = &caller{Principal: *p, Via: "session", sessionID: ck.Value, session: s}
		if rt.ChangesState() && !s.csrfOK(r.Header.Get(csrfHeader)) {
			return c, &denial{nethttp.StatusForbidden, CodeCSRF, "a change made with a session needs the session's CSRF token in the " + csrfHeader +
				" header (from the login's answer or GET /api/v1/session)"}
		}
	} else {
		return nil, &denial{nethttp.StatusUnauthorized, CodeUnauthenticated,
			"log in first (POST /api/v1/session sets a session cookie) or send \"Authorization: Bearer TOKEN\" with an API token"}
	}
	if rt.SessionOnly && c.session == nil {
		return c, &denial{nethttp.StatusForbidden, CodeForbidden, "this acts on a console session: log in with the account's name and password (an API token has no session)"}
	}
	if c.MustChangePassword && !rt.DuringPasswordChange {
		return c, &denial{nethttp.StatusForbidden, CodePasswordChange,
			"this account's password was generated or reset: change it first with POST /api/v1/session/password {\"current\": ..., \"new\": ...}"}
	}
	if rt.Role == Admin && c.Role != daemon.RoleAdmin {
		what := "the account " + c.Name + " has the User role"
		if c.token != nil && c.token.Scope != daemon.ScopeAdmin {
			what = "the token " + c.token.Name + " has the read scope"
		}
		return c, &denial{nethttp.StatusForbidden, CodeForbidden, what + ", which reads only: this needs an Administrator"}
	}
	return c, nil
}

// clientAddr is the request's client address (never a header a client could forge).
func clientAddr(r *nethttp.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// statusWriter remembers the status and, for an error, the start of the problem answered.
type statusWriter struct {
	nethttp.ResponseWriter
	status int
	body   bytes.Buffer
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = nethttp.StatusOK
	}
	if w.status >= 400 && w.body.Len() < 4096 {
		w.body.Write(b[:min(len(b), 4096-w.body.Len())])
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(nethttp.Flusher); ok {
		f.Flush()
	}
}

func (w *statusWriter) problemDetail() string {
	var p Problem
	if json.Unmarshal(w.body.Bytes(), &p) == nil && p.Code != "" {
		return p.Code + ": " + p.Detail
	}
	return nethttp.StatusText(w.status)
}

// sortedNames lists a map's keys in order (for audit details).
func sortedNames[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
