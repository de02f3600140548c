package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/licd/licd/wire"
)

// defaultTimeout bounds connecting to a server and each request ("-t timeout_value ...
// limits the amount of time lmstat spends attempting to connect to the License Server").
const defaultTimeout = 10 * time.Second

// serverConn is one protocol connection to a license server with one request in flight at
// a time: what a utility needs (the product client in wire keeps sessions, heartbeats and a
// cache that utilities must not have).
type serverConn struct {
	t       target
	nc      net.Conn
	fr      *wire.FrameReader
	buf     []byte
	next    uint32
	timeout time.Duration
}

// dial connects and handshakes. Any failure is CodeCannotConnect with what went wrong.
func dial(ctx context.Context, t target, timeout time.Duration) (*serverConn, error) {
	if timeout <= 0 {
		timeout = defaultTimeout
	}
	d := net.Dialer{Timeout: timeout}
	nc, err := d.DialContext(ctx, "tcp", t.Addr())
	if err != nil {
		de := &dialError{we: &wire.Error{Code: wire.CodeCannotConnect, Detail: fmt.Sprintf("%s: %v", t.Spec(), unwrapNet(err))}}
		if errors.As(err, &de.errno) {
			de.text = strings.ToUpper(de.errno.Error()[:1]) + de.errno.Error()[1:]
		} else if errors.Is(err, context.DeadlineExceeded) || os.IsTimeout(err) {
			de.errno, de.text = syscall.ETIMEDOUT, "Connection timed out"
		}
		return nil, de
	}
	if _, err := wire.ClientHandshake(nc, time.Now().Add(timeout)); err != nil {
		nc.Close()
		return nil, &wire.Error{Code: wire.CodeCannotConnect, Detail: fmt.Sprintf("%s: %v", t.Spec(), unwrapNet(err))}
	}
	return &serverConn{t: t, nc: nc, fr: wire.NewFrameReader(nc, wire.MaxReplyFrame), timeout: timeout}, nil
}

// dialError is a failed connection with the system's error number, which lmstat prints in
// FLEXlm's shape (-15,570:111 "Connection refused").
type dialError struct {
	we    *wire.Error
	errno syscall.Errno
	text  string
}

func (e *dialError) Error() string { return e.we.Error() }
func (e *dialError) Unwrap() error { return e.we }

// unwrapNet drops the "dial tcp ..." prefix layers: the address is printed already.
func unwrapNet(err error) error {
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Err != nil {
		return oe.Err
	}
	return err
}

func (c *serverConn) Close() error { return c.nc.Close() }

// call sends req and reads its reply into reply. A Denial comes back as *wire.Error; a
// heartbeat from the server is answered on the way.
func (c *serverConn) call(req, reply wire.Message) error {
	c.next++
	id := c.next
	if err := c.nc.SetDeadline(time.Now().Add(c.timeout)); err != nil {
		return c.lost(err)
	}
	c.buf = wire.AppendFrame(c.buf[:0], id, req)
	if _, err := c.nc.Write(c.buf); err != nil {
		return c.lost(err)
	}
	for {
		f, err := c.fr.Next()
		if err != nil {
			return c.lost(err)
		}
		switch {
		case f.Type == wire.TypeProtocolError:
			var pe wire.ProtocolError
			if err := f.Decode(&pe); err != nil {
				return c.lost(err)
			}
			return &wire.Error{Code: pe.Code, Detail: pe.Detail}
		case f.Type == wire.TypeHeartbeat:
			var hb wire.Heartbeat
			if err := f.Decode(&hb); err == nil {
				c.buf = wire.AppendFrame(c.buf[:0], f.ReqID, &wire.HeartbeatAck{UnixNano: hb.UnixNano})
				if _, err := c.nc.Write(c.buf); err != nil {
					return c.lost(err)
				}
			}
			continue
		case f.ReqID != id:
			continue // an answer to nothing this connection is waiting for
		case f.Type == wire.TypeDenial:
			var d wire.Denial
			if err := f.Decode(&d); err != nil {
				return c.lost(err)
			}
			return &wire.Error{Code: d.Code, Detail: d.Detail}
		case f.Type == wire.TypeRedirect:
			re := &wire.RedirectError{}
			if err := f.Decode(re); err != nil {
				return c.lost(err)
			}
			return re
		}
		if err := f.Decode(reply); err != nil {
			return &wire.Error{Code: wire.CodeProtocol, Detail: fmt.Sprintf("%s answered %s with %s: %v", c.t.Spec(), req.Type(), f.Type, err)}
		}
		return nil
	}
}

func (c *serverConn) lost(err error) error {
	return &wire.Error{Code: wire.CodeCannotConnect, Detail: fmt.Sprintf("%s: the connection failed: %v", c.t.Spec(), unwrapNet(err))}
}

// status asks for the server's status (lmstat).
func (c *serverConn) status(feature string, detail bool) (*wire.Status, error) {
	var res wire.QueryResult
	if err := c.call(&wire.Query{Kind: "status", Feature: feature, Detail: detail}, &res); err != nil {
		return nil, err
	}
	st := new(wire.Status)
	if err := json.Unmarshal(res.JSON, st); err != nil {
		return nil, &wire.Error{Code: wire.CodeProtocol, Detail: fmt.Sprintf("%s: the status is not valid JSON: %v", c.t.Spec(), err)}
	}
	return st, nil
}

// admin makes an admin request with the token and decodes the answer into out (nil: ignore).
func (c *serverConn) admin(token, op string, args, out any) error {
	req := &wire.Admin{Token: token, Op: op}
	if args != nil {
		b, err := json.Marshal(args)
		if err != nil {
			return err
		}
		req.Args = b
	}
	var res wire.AdminResult
	if err := c.call(req, &res); err != nil {
		return err
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(res.JSON, out); err != nil {
		return &wire.Error{Code: wire.CodeProtocol, Detail: fmt.Sprintf("%s: the answer to %s is not what this lmutil understands: %v; are lmutil and licd the same version?", c.t.Spec(), op, err)}
	}
	return nil
}

// timeout reads -t: seconds, as FLEXlm takes it, or a Go duration ("500ms").
func timeoutOption(o *options) (time.Duration, error) {
	v := o.val("-t")
	if v == "" {
		return defaultTimeout, nil
	}
	if d, err := time.ParseDuration(v); err == nil && d > 0 {
		return d, nil
	}
	var secs int
	if _, err := fmt.Sscanf(v, "%d", &secs); err != nil || secs <= 0 || fmt.Sprint(secs) != v {
		return 0, fmt.Errorf("-t %s: give the time-out in seconds (-t 10) or as a duration (-t 500ms)", v)
	}
	return time.Duration(secs) * time.Second, nil
}
