package http

import (
	"encoding/json"
	"errors"
	nethttp "net/http"
	"strconv"

	"go.uber.org/zap"

	"github.com/licd/licd/actors/daemon"
	"github.com/licd/licd/wire"
)

// Problem is the one error shape of the API: RFC 9457 problem details, with a stable code
// that scripts can test (the catalogue below; never renamed) and a message that says what
// was wrong and what to do. Answers never carry stack traces or internal paths.
type Problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Code   string `json:"code"`
	Detail string `json:"detail"`
	// Errors explains a refusal item by item (the lines of a license file, the errors of an
	// options file).
	Errors any `json:"errors,omitempty"`
}

// The problem codes. Append only: scripts and the console rely on them.
const (
	CodeUnauthenticated  = "unauthenticated"          // 401: no or unknown credentials
	CodeSessionExpired   = "session-expired"          // 401: the session's idle or absolute time is over
	CodeBadCredentials   = "bad-credentials"          // 401: wrong account name or password
	CodeForbidden        = "forbidden"                // 403: the role or token scope does not allow it
	CodeCSRF             = "csrf"                     // 403: missing or wrong X-CSRF-Token on a change made with a session
	CodePasswordChange   = "password-change-required" // 403: the account must change its password first
	CodeBadRequest       = "bad-request"              // 400: invalid fields
	CodeInvalidJSON      = "invalid-json"             // 400: the body is not the JSON expected
	CodeUnsupportedMedia = "unsupported-media-type"   // 415: wrong Content-Type
	CodeBodyTooLarge     = "body-too-large"           // 413
	CodeNotFound         = "not-found"                // 404
	CodeMethodNotAllowed = "method-not-allowed"       // 405
	CodeConflict         = "conflict"                 // 409
	CodeUnprocessable    = "unprocessable"            // 422: well formed, but cannot be applied
	CodeWrongPassword    = "wrong-password"           // 422: the current password given is wrong
	CodeRateLimited      = "rate-limited"             // 429: too many failed logins
	CodeInternal         = "internal"                 // 500
	CodeUnavailable      = "unavailable"              // 503
)

var titles = map[int]string{}

func writeProblem(w nethttp.ResponseWriter, status int, code, detail string, errs any) {
	title := nethttp.StatusText(status)
	if t, ok := titles[status]; ok {
		title = t
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(Problem{Type: "urn:licd:problem:" + code, Title: title, Status: status, Code: code, Detail: detail, Errors: errs})
}

// writeError translates an error of the admin service, once, at the edge. Anything not
// classified is a 500 whose text is logged, not sent: it may name files or internals.
func writeError(log *zap.Logger, w nethttp.ResponseWriter, r *nethttp.Request, err error) {
	var ae *daemon.AdminError
	var we *wire.Error
	switch {
	case errors.As(err, &ae):
		switch ae.Kind {
		case daemon.KindNotFound:
			writeProblem(w, nethttp.StatusNotFound, CodeNotFound, ae.Msg, ae.Details)
		case daemon.KindConflict:
			writeProblem(w, nethttp.StatusConflict, CodeConflict, ae.Msg, ae.Details)
		default:
			writeProblem(w, nethttp.StatusUnprocessableEntity, CodeUnprocessable, ae.Msg, ae.Details)
		}
	case errors.As(err, &we):
		switch we.Code {
		case wire.CodeBadRequest, wire.CodeBadName:
			writeProblem(w, nethttp.StatusBadRequest, CodeBadRequest, we.Detail, nil)
		case wire.CodeNoSuchFeature:
			writeProblem(w, nethttp.StatusNotFound, CodeNotFound, we.Detail, nil)
		case wire.CodeNotAuthorized:
			writeProblem(w, nethttp.StatusUnprocessableEntity, CodeWrongPassword, we.Detail, nil)
		case wire.CodeDisabled:
			writeProblem(w, nethttp.StatusConflict, CodeConflict, we.Detail, nil)
		default:
			internal(log, w, r, err)
		}
	case errors.Is(err, daemon.ErrBadCredentials):
		writeProblem(w, nethttp.StatusUnauthorized, CodeBadCredentials, err.Error(), nil)
	default:
		internal(log, w, r, err)
	}
}

func internal(log *zap.Logger, w nethttp.ResponseWriter, r *nethttp.Request, err error) {
	log.Error("admin API request failed", zap.String("method", r.Method), zap.String("path", r.URL.Path), zap.Error(err))
	writeProblem(w, nethttp.StatusInternalServerError, CodeInternal,
		"the license server could not complete the request; the operational log has the details", nil)
}

func writeJSON(w nethttp.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		writeProblem(w, nethttp.StatusInternalServerError, CodeInternal, "the answer could not be encoded", nil)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)+1))
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}
