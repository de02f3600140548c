package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/licd/licd/wire"
)

// statusMaxFrame bounds a status answer: 10,000 sessions take about 2 MB, over the
// protocol's default 1 MiB frame.
const statusMaxFrame = wire.MaxReplyFrame

// statusConn asks the server for its status the way lmstat does: a bare connection with no
// session, so it needs no start-up license (sockets-10k holds all 10,000 of them).
type statusConn struct {
	mu   sync.Mutex
	nc   net.Conn
	fr   *wire.FrameReader
	buf  []byte
	next uint32
}

func dialStatus(ctx context.Context, addr string) (*statusConn, error) {
	hp, err := wire.ParseAddress(addr)
	if err != nil {
		return nil, err
	}
	d := net.Dialer{Timeout: 10 * time.Second}
	nc, err := d.DialContext(ctx, "tcp", hp)
	if err != nil {
		return nil, fmt.Errorf("status connection to %s: %w", hp, err)
	}
	if _, err := wire.ClientHandshake(nc, time.Now().Add(10*time.Second)); err != nil {
		_ = nc.Close()
		return nil, fmt.Errorf("status connection to %s: %w", hp, err)
	}
	_ = nc.SetDeadline(time.Time{})
	return &statusConn{nc: nc, fr: wire.NewFrameReader(nc, statusMaxFrame)}, nil
}

// query sends q and returns the answer's JSON, answering the server's heartbeats meanwhile.
func (s *statusConn) query(q *wire.Query) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.next++
	id := s.next
	_ = s.nc.SetDeadline(time.Now().Add(time.Minute))
	s.buf = wire.AppendFrame(s.buf[:0], id, q)
	if _, err := s.nc.Write(s.buf); err != nil {
		return nil, err
	}
	for {
		f, err := s.fr.Next()
		if err != nil {
			return nil, err
		}
		switch {
		case f.Type == wire.TypeHeartbeat:
			var hb wire.Heartbeat
			if hb.Decode(f.Payload) == nil {
				s.buf = wire.AppendFrame(s.buf[:0], f.ReqID, &wire.HeartbeatAck{UnixNano: hb.UnixNano})
				if _, err := s.nc.Write(s.buf); err != nil {
					return nil, err
				}
			}
		case f.Type == wire.TypeProtocolError:
			var pe wire.ProtocolError
			if err := pe.Decode(f.Payload); err != nil {
				return nil, err
			}
			return nil, pe.Err()
		case f.ReqID != id:
		case f.Type == wire.TypeDenial:
			var d wire.Denial
			if err := d.Decode(f.Payload); err != nil {
				return nil, err
			}
			return nil, d.Err()
		case f.Type == wire.TypeQueryResult:
			var r wire.QueryResult
			if err := r.Decode(f.Payload); err != nil {
				return nil, err
			}
			return r.JSON, nil
		default:
			return nil, fmt.Errorf("the server answered a status query with %v", f.Type)
		}
	}
}

func (s *statusConn) close() { _ = s.nc.Close() }

// Status asks the server for one feature's status (or every feature's with ""), without
// per-checkout detail.
func (e *Env) Status(ctx context.Context, feature string) (*wire.Status, error) {
	e.statusMu.Lock()
	defer e.statusMu.Unlock()
	if e.status == nil {
		sc, err := dialStatus(ctx, e.Addrs[0])
		if err != nil {
			return nil, err
		}
		e.status = sc
	}
	b, err := e.status.query(&wire.Query{Kind: wire.QueryStatus, Feature: feature})
	if err != nil {
		e.status.close()
		e.status = nil // the next query dials again
		return nil, fmt.Errorf("status of %q: %w", feature, err)
	}
	var st wire.Status
	if err := json.Unmarshal(b, &st); err != nil {
		return nil, fmt.Errorf("status of %q: the answer is not valid JSON: %w", feature, err)
	}
	return &st, nil
}
