package http

import (
	"errors"
	"fmt"
	nethttp "net/http"
	"strconv"
	"time"

	"github.com/licd/licd/actors/daemon"
)

// LoginRequest is the body of POST /api/v1/session.
type LoginRequest struct {
	Name     string `json:"name"`
	Password string `json:"password"`
}

// SessionInfo answers a login and GET /api/v1/session.
type SessionInfo struct {
	Account            string `json:"account"`
	Role               string `json:"role"`
	MustChangePassword bool   `json:"must_change_password"`
	// Via is "session" or "token".
	Via string `json:"via"`
	// CSRFToken goes in the X-CSRF-Token header of every change made with the session.
	CSRFToken      string    `json:"csrf_token,omitempty"`
	IdleTimeoutSec int64     `json:"idle_timeout_seconds,omitempty"`
	Expires        time.Time `json:"expires,omitzero"`
	TokenID        string    `json:"token_id,omitempty"`
	TokenScope     string    `json:"token_scope,omitempty"`
}

// login checks a name and password under the failed-login limiter and starts a session.
func (a *api) login(w nethttp.ResponseWriter, r *nethttp.Request, _ *caller) {
	var req LoginRequest
	if !decodeJSON(w, r, &req) {
		return
	}
	if req.Name == "" || req.Password == "" {
		writeProblem(w, nethttp.StatusBadRequest, CodeBadRequest, "give the account's name and password: {\"name\": ..., \"password\": ...}", nil)
		return
	}
	from := clientAddr(r)
	entry := daemon.AuditEntry{Who: req.Name, From: from, Action: "session.login", Target: req.Name}
	if locked, wait := a.limiter.locked(req.Name, from); locked {
		entry.Result, entry.Detail = "locked", "refused: too many failed logins for this account or address"
		a.d.Audit(entry)
		w.Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds()+0.5)))
		writeProblem(w, nethttp.StatusTooManyRequests, CodeRateLimited, fmt.Sprintf(
			"too many failed logins for this account or from this address: try again in %s; an administrator can see the lock-out in the audit log", wait), nil)
		return
	}
	p, err := a.d.Authenticate(req.Name, req.Password)
	if err != nil {
		if errors.Is(err, daemon.ErrBadCredentials) {
			entry.Result, entry.Detail = "failed", "wrong account name or password"
			if a.limiter.failed(req.Name, from) {
				entry.Result, entry.Detail = "locked", "wrong account name or password; logins of this account or from this address are now refused for a while"
			}
			a.d.Audit(entry)
		}
		writeError(a.log, w, r, err)
		return
	}
	id, s := a.sessions.create(p.Name)
	nethttp.SetCookie(w, &nethttp.Cookie{Name: cookieName, Value: id, Path: "/", HttpOnly: true, Secure: !a.s.opt.PlainHTTP,
		SameSite: nethttp.SameSiteStrictMode, MaxAge: int(a.s.opt.SessionMax / time.Second)})
	entry.Who, entry.Result = p.Name, "ok"
	if p.MustChangePassword {
		entry.Detail = "the password must be changed before anything else"
	}
	a.d.Audit(entry)
	writeJSON(w, nethttp.StatusOK, a.sessionInfo(&caller{Principal: *p, Via: "session", session: s}))
}

func (a *api) sessionInfo(c *caller) SessionInfo {
	si := SessionInfo{Account: c.Name, Role: c.Role, MustChangePassword: c.MustChangePassword, Via: c.Via}
	if c.session != nil {
		si.CSRFToken = c.session.csrf
		si.IdleTimeoutSec = int64(a.s.opt.SessionIdle / time.Second)
		si.Expires = c.session.created.Add(a.s.opt.SessionMax).UTC()
	}
	if c.token != nil {
		si.TokenID, si.TokenScope = c.token.ID, c.token.Scope
	}
	return si
}

func (a *api) whoami(w nethttp.ResponseWriter, r *nethttp.Request, c *caller) {
	writeJSON(w, nethttp.StatusOK, a.sessionInfo(c))
}

func (a *api) logout(w nethttp.ResponseWriter, r *nethttp.Request, c *caller) {
	a.sessions.remove(c.sessionID)
	nethttp.SetCookie(w, &nethttp.Cookie{Name: cookieName, Value: "", Path: "/", HttpOnly: true, Secure: !a.s.opt.PlainHTTP,
		SameSite: nethttp.SameSiteStrictMode, MaxAge: -1})
	w.WriteHeader(nethttp.StatusNoContent)
}

// PasswordChange is the body of POST /api/v1/session/password.
type PasswordChange struct {
	Current string `json:"current"`
	New     string `json:"new"`
}

// changePassword changes the caller's own password; the account's other sessions end.
func (a *api) changePassword(w nethttp.ResponseWriter, r *nethttp.Request, c *caller) {
	var req PasswordChange
	if !decodeJSON(w, r, &req) {
		return
	}
	noteAudit(r, c.Name, "")
	if err := a.d.ChangePassword(c.Name, req.Current, req.New, false); err != nil {
		writeError(a.log, w, r, err)
		return
	}
	a.sessions.removeAccount(c.Name, c.sessionID)
	p, err := a.d.PrincipalOf(c.Name)
	if err != nil || p == nil {
		writeError(a.log, w, r, fmt.Errorf("read the account after its password change: %w", err))
		return
	}
	writeJSON(w, nethttp.StatusOK, a.sessionInfo(&caller{Principal: *p, Via: "session", session: c.session}))
}
