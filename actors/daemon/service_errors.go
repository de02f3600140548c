package daemon

import "fmt"

// Kind classifies an admin service error for its callers: the HTTP API turns it into a
// status and a stable problem code; the wire answers carry the message.
type Kind string

const (
	KindInvalid  Kind = "invalid"   // the request is well formed but cannot be applied (422)
	KindNotFound Kind = "not-found" // the named thing does not exist (404)
	KindConflict Kind = "conflict"  // it exists already, or the change is not allowed now (409)
)

// AdminError is an error of the admin service with a kind and, for license files, the
// verdicts that explain it.
type AdminError struct {
	Kind    Kind
	Msg     string
	Details any
}

func (e *AdminError) Error() string { return e.Msg }

func adminErr(k Kind, format string, args ...any) *AdminError {
	return &AdminError{Kind: k, Msg: fmt.Sprintf(format, args...)}
}
