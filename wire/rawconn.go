package wire

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"time"
)

// RawConn is a bare protocol connection: dial and handshake, then frames, with no session,
// heartbeats or caching. Utilities use it for what needs no Hello (lmstat's Query, lmreread's
// Admin, Locate); protocol tests use it to send exactly the frames they mean. It is not safe
// for concurrent use.
type RawConn struct {
	nc      net.Conn
	fr      *FrameReader
	wbuf    []byte
	version uint16
	nextID  uint32
}

// DialRaw connects to addr (any form ParseAddress takes) and handshakes, within timeout.
func DialRaw(ctx context.Context, addr string, timeout time.Duration) (*RawConn, error) {
	return DialRawTLS(ctx, addr, timeout, nil)
}

// DialRawTLS is DialRaw over TLS when cfg is set (PROTOCOL.md "TLS").
func DialRawTLS(ctx context.Context, addr string, timeout time.Duration, cfg *tls.Config) (*RawConn, error) {
	hp, err := ParseAddress(addr)
	if err != nil {
		return nil, err
	}
	if timeout <= 0 {
		timeout = 5 * time.Second
	}
	d := net.Dialer{Timeout: timeout}
	nc, err := d.DialContext(ctx, "tcp", hp)
	if err != nil {
		return nil, Errorf(CodeCannotConnect, fmt.Sprintf("cannot connect to the license server at %s: %v; check that licd runs there and that the network lets the port through", hp, err))
	}
	if nc, err = wrapTLS(ctx, nc, hp, cfg, timeout); err != nil {
		return nil, err
	}
	rc, err := NewRawConn(nc, time.Now().Add(timeout))
	if err != nil {
		_ = nc.Close()
		return nil, fmt.Errorf("wire: %s: %w", hp, err)
	}
	return rc, nil
}

// NewRawConn handshakes over an open connection.
func NewRawConn(nc net.Conn, deadline time.Time) (*RawConn, error) {
	v, err := ClientHandshake(nc, deadline)
	if err != nil {
		return nil, err
	}
	return &RawConn{nc: nc, fr: NewFrameReader(nc, MaxReplyFrame), version: v}, nil
}

// Version is the protocol version the connection speaks.
func (rc *RawConn) Version() uint16 { return rc.version }

// Conn is the underlying connection (for deadlines or raw bytes in tests).
func (rc *RawConn) Conn() net.Conn { return rc.nc }

// SetDeadline bounds every following read and write.
func (rc *RawConn) SetDeadline(t time.Time) error { return rc.nc.SetDeadline(t) }

// Send writes one frame.
func (rc *RawConn) Send(reqID uint32, m Message) error {
	rc.wbuf = AppendFrame(rc.wbuf[:0], reqID, m)
	_, err := rc.nc.Write(rc.wbuf)
	return err
}

// Next reads one frame; its payload is valid until the next call.
func (rc *RawConn) Next() (Frame, error) { return rc.fr.Next() }

// Request sends m with a fresh request id and reads frames until its reply, which it
// decodes into reply. It answers the server's heartbeats meanwhile and skips replies to
// other ids. A Denial or ProtocolError is returned as an *Error.
func (rc *RawConn) Request(m, reply Message) error {
	rc.nextID++
	if rc.nextID == 0 {
		rc.nextID = 1
	}
	id := rc.nextID
	if err := rc.Send(id, m); err != nil {
		return fmt.Errorf("wire: sending %v: %w", m.Type(), err)
	}
	for {
		f, err := rc.fr.Next()
		if err != nil {
			return fmt.Errorf("wire: waiting for the reply to %v: %w", m.Type(), err)
		}
		switch {
		case f.Type == TypeProtocolError:
			var pe ProtocolError
			if err := pe.Decode(f.Payload); err != nil {
				return err
			}
			return pe.Err()
		case f.Type == TypeHeartbeat:
			var hb Heartbeat
			if hb.Decode(f.Payload) == nil {
				if err := rc.Send(f.ReqID, &HeartbeatAck{UnixNano: hb.UnixNano}); err != nil {
					return err
				}
			}
		case f.ReqID != id:
		case f.Type == TypeDenial:
			var d Denial
			if err := d.Decode(f.Payload); err != nil {
				return err
			}
			return d.Err()
		case f.Type == TypeRedirect:
			re := &RedirectError{}
			if err := re.Decode(f.Payload); err != nil {
				return err
			}
			return re
		default:
			return f.Decode(reply)
		}
	}
}

// Close closes the connection.
func (rc *RawConn) Close() error { return rc.nc.Close() }
