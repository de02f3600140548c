package e2e

import (
	"fmt"
	"testing"
	"time"

	licdhttp "github.com/licd/licd/http"
)

// outcome is what a caller must get from a route.
type outcome string

const (
	allowed         outcome = "allowed"         // the handler ran: not 401/403, not 5xx
	unauthenticated outcome = "unauthenticated" // 401 unauthenticated
	expired         outcome = "session-expired" // 401 session-expired
	forbidden       outcome = "forbidden"       // 403 forbidden
	csrf            outcome = "csrf"            // 403 csrf
	mustChange      outcome = "password-change" // 403 password-change-required
)

// column is one kind of caller of the matrix and the rule of what it may do.
type column struct {
	name   string
	env    *env
	caller *caller
	want   func(rt licdhttp.RouteInfo) outcome
}

func changes(rt licdhttp.RouteInfo) bool { return rt.Method != "GET" && rt.Method != "HEAD" }

// TestAuthMatrix: every route of the router (licdhttp.Routes, the table the router is built
// from, so a new route cannot escape this test) is called by every kind of caller over real
// HTTPS, and each gets exactly what its role allows ("Administrator and User roles"):
// anonymous callers only the anonymous routes; a User session and a read token read; an
// Administrator session and an admin token everything; a session with a wrong CSRF token
// no change; an expired session, a revoked token nothing; an account that must change its
// password nothing but that. Requests carry no body, so allowed changes are refused as
// malformed (4xx) and nothing changes; the session's logout runs last.
func TestAuthMatrix(t *testing.T) {
	f := newFixture(t, true)
	e := f.start()
	admin := e.admin()
	user := e.addAccount(admin, "reader", "user", "reader password 1")
	adminTok, _ := e.token(admin, "matrix admin", "admin")
	readTok, _ := e.token(admin, "matrix read", "read")
	revoked, revokedID := e.token(admin, "matrix revoked", "admin")
	e.ok(e.json(admin, "DELETE", "/api/v1/tokens/"+revokedID, nil), nil)
	// An account whose password an administrator reset: it must change it first.
	e.addAccount(admin, "reset-me", "admin", "first password 1")
	e.ok(e.json(admin, "PATCH", "/api/v1/accounts/reset-me", map[string]string{"password": "temporary password 2"}), nil)
	mustChangeCaller, si := e.login("reset-me", "temporary password 2")
	if !si.MustChangePassword {
		t.Fatalf("a reset password must be changed at the next login: %+v", si)
	}
	wrongCSRF := &caller{name: "admin, wrong CSRF", cookie: admin.cookie, csrf: "not-the-token"}
	noCSRF := &caller{name: "admin, no CSRF", cookie: admin.cookie}

	// A second licd whose sessions end one second after the login gives the expired one.
	f2 := newFixture(t, true)
	e2 := f2.start("-api-session-max", "1s")
	stale, _ := e2.login("admin", e2.initialPassword())
	deadline := time.Now().Add(60 * time.Second)
	for {
		r := e2.json(stale, "GET", "/api/v1/session", nil)
		if r.status == 401 && r.problem.Code == string(expired) {
			break
		}
		if r.status != 200 || time.Now().After(deadline) {
			t.Fatalf("the session did not expire: %s", r)
		}
		time.Sleep(100 * time.Millisecond)
	}

	open := func(rt licdhttp.RouteInfo) bool { return rt.Role == licdhttp.Anonymous }
	cols := []column{
		{"anonymous", e, nil, func(rt licdhttp.RouteInfo) outcome {
			if open(rt) {
				return allowed
			}
			return unauthenticated
		}},
		{"user session", e, user, func(rt licdhttp.RouteInfo) outcome {
			if rt.Role == licdhttp.Admin {
				return forbidden
			}
			return allowed
		}},
		{"expired session", e2, stale, func(rt licdhttp.RouteInfo) outcome {
			if open(rt) {
				return allowed
			}
			return expired
		}},
		{"wrong CSRF token", e, wrongCSRF, func(rt licdhttp.RouteInfo) outcome {
			if !open(rt) && changes(rt) {
				return csrf
			}
			return allowed
		}},
		{"no CSRF token", e, noCSRF, func(rt licdhttp.RouteInfo) outcome {
			if !open(rt) && changes(rt) {
				return csrf
			}
			return allowed
		}},
		// After the CSRF columns, which use its cookie: its logout ends it.
		{"admin session", e, admin, func(licdhttp.RouteInfo) outcome { return allowed }},
		{"revoked token", e, &caller{token: revoked}, func(rt licdhttp.RouteInfo) outcome {
			if open(rt) {
				return allowed
			}
			return unauthenticated
		}},
		{"read token", e, &caller{token: readTok}, func(rt licdhttp.RouteInfo) outcome {
			switch {
			case open(rt):
				return allowed
			case rt.Role == licdhttp.Admin || rt.SessionOnly:
				return forbidden
			}
			return allowed
		}},
		{"admin token", e, &caller{token: adminTok}, func(rt licdhttp.RouteInfo) outcome {
			if rt.SessionOnly {
				return forbidden
			}
			return allowed
		}},
		{"must change password", e, mustChangeCaller, func(rt licdhttp.RouteInfo) outcome {
			if open(rt) || rt.DuringPasswordChange {
				return allowed
			}
			return mustChange
		}},
	}
	routes := licdhttp.Routes()
	if len(routes) < 30 {
		t.Fatalf("only %d routes", len(routes))
	}
	// The logout ends the sessions the other rows use: it runs last.
	var last []licdhttp.RouteInfo
	var order []licdhttp.RouteInfo
	for _, rt := range routes {
		if rt.Method == "DELETE" && rt.Pattern == "/api/v1/session" {
			last = append(last, rt)
			continue
		}
		order = append(order, rt)
	}
	order = append(order, last...)
	checked := 0
	for _, rt := range order {
		for _, col := range cols {
			want := col.want(rt)
			c := col.caller
			if c != nil && c.cookie != "" && c.csrf == "" && col.name != "no CSRF token" {
				t.Fatalf("column %s has no CSRF token", col.name)
			}
			r := col.env.do(c, rt.Method, rt.Example, "", nil)
			if err := check(r, want); err != nil {
				t.Errorf("%s %s as %s: want %s, got %s (%v)", rt.Method, rt.Example, col.name, want, r, err)
			}
			checked++
		}
	}
	t.Logf("%d routes x %d callers = %d requests checked", len(order), len(cols), checked)
	// The logout worked: the admin's session is over.
	e.wantProblem(e.json(admin, "GET", "/api/v1/server", nil), 401, "unauthenticated")
}

func check(r *resp, want outcome) error {
	switch want {
	case allowed:
		if r.status == 401 || r.status == 403 || r.status >= 500 {
			return fmt.Errorf("refused or failed")
		}
		return nil
	case unauthenticated, expired:
		if r.status != 401 || r.problem.Code != string(want) {
			return fmt.Errorf("not a 401 %s", want)
		}
		if r.header.Get("WWW-Authenticate") == "" {
			return fmt.Errorf("a 401 without WWW-Authenticate")
		}
	case forbidden, csrf:
		if r.status != 403 || r.problem.Code != string(want) {
			return fmt.Errorf("not a 403 %s", want)
		}
	case mustChange:
		if r.status != 403 || r.problem.Code != "password-change-required" {
			return fmt.Errorf("not a 403 password-change-required")
		}
	}
	return nil
}
