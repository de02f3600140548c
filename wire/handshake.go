package wire

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"time"
)

// The handshake (PROTOCOL.md "Handshake"). The client opens with 8 bytes: the magic "LICD",
// the oldest and the newest protocol version it speaks (uint16 big-endian each). The server
// answers 10 bytes: the magic, the version the connection will speak (0: no common version;
// the server then closes), and the oldest and newest version the server speaks, so that the
// refused side can say which one to upgrade. Frames follow.

var handshakeMagic = [4]byte{'L', 'I', 'C', 'D'}

const (
	clientGreetingSize = 8
	serverGreetingSize = 10
	// MinProtocolVersion is the oldest version this package still speaks.
	MinProtocolVersion uint16 = 1
)

// ServerHandshake reads a client's greeting and answers it, returning the version the
// connection speaks: the newest both sides know. When rw is a net.Conn (anything with
// SetDeadline) the deadline bounds the exchange and is cleared afterwards.
func ServerHandshake(rw io.ReadWriter, deadline time.Time) (peerVersion uint16, err error) {
	return serverHandshake(rw, deadline, MinProtocolVersion, ProtocolVersion)
}

// ClientHandshake greets a server and returns the version the connection speaks.
func ClientHandshake(rw io.ReadWriter, deadline time.Time) (serverVersion uint16, err error) {
	return clientHandshake(rw, deadline, MinProtocolVersion, ProtocolVersion)
}

type deadliner interface{ SetDeadline(time.Time) error }

func withDeadline(rw io.ReadWriter, deadline time.Time, f func() (uint16, error)) (uint16, error) {
	dl, ok := rw.(deadliner)
	if ok && !deadline.IsZero() {
		if err := dl.SetDeadline(deadline); err != nil {
			return 0, fmt.Errorf("wire: handshake: set deadline: %w", err)
		}
		defer dl.SetDeadline(time.Time{})
	}
	return f()
}

// serverHandshake speaks versions [minV, maxV]; tests use it to pretend to be another
// version of the server.
func serverHandshake(rw io.ReadWriter, deadline time.Time, minV, maxV uint16) (uint16, error) {
	return withDeadline(rw, deadline, func() (uint16, error) {
		var in [clientGreetingSize]byte
		if _, err := io.ReadFull(rw, in[:]); err != nil {
			return 0, fmt.Errorf("wire: handshake: reading the client greeting: %w", err)
		}
		if [4]byte(in[:4]) != handshakeMagic {
			return 0, Errorf(CodeProtocol, fmt.Sprintf("handshake: the client sent %q instead of the licd greeting \"LICD\"; "+
				"is a web browser or a FLEXlm client pointed at the licd product port?", in[:4]))
		}
		cmin, cmax := binary.BigEndian.Uint16(in[4:]), binary.BigEndian.Uint16(in[6:])
		v := negotiate(cmin, cmax, minV, maxV)
		var out [serverGreetingSize]byte
		copy(out[:], handshakeMagic[:])
		binary.BigEndian.PutUint16(out[4:], v)
		binary.BigEndian.PutUint16(out[6:], minV)
		binary.BigEndian.PutUint16(out[8:], maxV)
		if _, err := rw.Write(out[:]); err != nil {
			return 0, fmt.Errorf("wire: handshake: writing the server greeting: %w", err)
		}
		if v == 0 {
			return 0, Errorf(CodeProtocol, fmt.Sprintf("handshake: the client speaks protocol versions %d..%d and this server %d..%d; "+
				"upgrade the older side", cmin, cmax, minV, maxV))
		}
		return v, nil
	})
}

// clientHandshake speaks versions [minV, maxV]; tests use it to pretend to be another
// version of the client.
func clientHandshake(rw io.ReadWriter, deadline time.Time, minV, maxV uint16) (uint16, error) {
	return withDeadline(rw, deadline, func() (uint16, error) {
		var out [clientGreetingSize]byte
		copy(out[:], handshakeMagic[:])
		binary.BigEndian.PutUint16(out[4:], minV)
		binary.BigEndian.PutUint16(out[6:], maxV)
		if _, err := rw.Write(out[:]); err != nil {
			return 0, fmt.Errorf("wire: handshake: writing the client greeting: %w", err)
		}
		var in [serverGreetingSize]byte
		if _, err := io.ReadFull(rw, in[:]); err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				return 0, Errorf(CodeProtocol, "handshake: the server closed the connection before greeting; "+
					"is the address a licd product port (27000 or the vendor daemon port 7279)?")
			}
			return 0, fmt.Errorf("wire: handshake: reading the server greeting: %w", err)
		}
		if [4]byte(in[:4]) != handshakeMagic {
			return 0, Errorf(CodeProtocol, fmt.Sprintf("handshake: the server answered %q instead of the licd greeting \"LICD\"; "+
				"is the address a licd product port?", in[:4]))
		}
		v := binary.BigEndian.Uint16(in[4:])
		smin, smax := binary.BigEndian.Uint16(in[6:]), binary.BigEndian.Uint16(in[8:])
		if v == 0 {
			return 0, Errorf(CodeProtocol, fmt.Sprintf("handshake: the server speaks protocol versions %d..%d and this client %d..%d; "+
				"upgrade the older side", smin, smax, minV, maxV))
		}
		if v < minV || v > maxV {
			return 0, Errorf(CodeProtocol, fmt.Sprintf("handshake: the server chose protocol version %d, outside this client's %d..%d", v, minV, maxV))
		}
		return v, nil
	})
}

// negotiate returns the newest version in both ranges, 0 if they do not overlap.
func negotiate(amin, amax, bmin, bmax uint16) uint16 {
	v := min(amax, bmax)
	if v == 0 || v < amin || v < bmin {
		return 0
	}
	return v
}
