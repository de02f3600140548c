package http

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	nethttp "net/http"
)

// Request body limits: JSON requests are small; a license or options file is at most
// license.MaxFileBytes (4 MiB), plus the multipart framing.
const (
	maxJSONBody   = 64 << 10
	maxFileBody   = 4<<20 + 64<<10
	maxHeaderSize = 64 << 10
)

// decodeJSON reads a JSON body of the expected Content-Type, of at most maxJSONBody bytes,
// into v, refusing unknown fields and trailing data. It writes the problem and returns false
// when the body is not acceptable.
func decodeJSON(w nethttp.ResponseWriter, r *nethttp.Request, v any) bool {
	body, ok := readBody(w, r, "application/json", maxJSONBody)
	if !ok {
		return false
	}
	if err := strictJSON(body, v); err != nil {
		writeProblem(w, nethttp.StatusBadRequest, CodeInvalidJSON, err.Error(), nil)
		return false
	}
	return true
}

// strictJSON decodes one JSON value with no unknown fields and nothing after it.
func strictJSON(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("the body is not the JSON object expected: %v (see /api/v1/openapi.json)", err)
	}
	if dec.More() {
		return errors.New("the body has more data after its JSON object: send one object")
	}
	return nil
}

// readBody checks the Content-Type against want and reads at most limit bytes.
func readBody(w nethttp.ResponseWriter, r *nethttp.Request, want string, limit int64) ([]byte, bool) {
	if !hasType(r, want) {
		writeProblem(w, nethttp.StatusUnsupportedMediaType, CodeUnsupportedMedia,
			fmt.Sprintf("send the body as %s (Content-Type: %s)", want, want), nil)
		return nil, false
	}
	b, err := io.ReadAll(nethttp.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		drainBody(r)
		tooLarge(w, err, limit)
		return nil, false
	}
	return b, true
}

// drainBody reads what is left of a refused body (at most maxFileBody in all, the bound
// every request has) before the problem is written: a server that closes a connection
// with unread data makes the kernel reset it, and the client then sees "connection reset"
// instead of the 413 that says what to do.
func drainBody(r *nethttp.Request) {
	_, _ = io.Copy(io.Discard, r.Body)
}

func tooLarge(w nethttp.ResponseWriter, err error, limit int64) {
	var mbe *nethttp.MaxBytesError
	if errors.As(err, &mbe) {
		writeProblem(w, nethttp.StatusRequestEntityTooLarge, CodeBodyTooLarge,
			fmt.Sprintf("the body is larger than the %d bytes this request accepts", limit), nil)
		return
	}
	writeProblem(w, nethttp.StatusBadRequest, CodeBadRequest, "the body could not be read: "+err.Error(), nil)
}

func hasType(r *nethttp.Request, want string) bool {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return err == nil && mt == want
}
