package wire

import (
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

type handshakeResult struct {
	v   uint16
	err error
}

// shake runs a client speaking [cmin, cmax] against a server speaking [smin, smax].
func shake(t *testing.T, cmin, cmax, smin, smax uint16) (client, server handshakeResult) {
	t.Helper()
	c, s := net.Pipe()
	defer c.Close()
	defer s.Close()
	done := make(chan handshakeResult, 1)
	deadline := time.Now().Add(5 * time.Second)
	go func() {
		v, err := serverHandshake(s, deadline, smin, smax)
		done <- handshakeResult{v, err}
	}()
	v, err := clientHandshake(c, deadline, cmin, cmax)
	return handshakeResult{v, err}, <-done
}

func TestHandshakeAgreesOnTheNewestCommonVersion(t *testing.T) {
	c, s := shake(t, 1, 3, 1, 2)
	if c.err != nil || s.err != nil || c.v != 2 || s.v != 2 {
		t.Fatalf("client %v %v, server %v %v; want both on version 2", c.v, c.err, s.v, s.err)
	}
	c, s = shake(t, 1, ProtocolVersion, MinProtocolVersion, ProtocolVersion)
	if c.v != ProtocolVersion || s.v != ProtocolVersion {
		t.Fatalf("same versions: %v/%v %v/%v", c.v, c.err, s.v, s.err)
	}
}

func TestHandshakeWithAnUnsupportedPeerNamesBothRanges(t *testing.T) {
	c, s := shake(t, 5, 7, 1, 2) // a client from the future
	var we *Error
	if !errors.As(c.err, &we) || we.Code != CodeProtocol || !strings.Contains(we.Detail, "server speaks protocol versions 1..2 and this client 5..7") {
		t.Fatalf("client side: %v", c.err)
	}
	if !errors.As(s.err, &we) || !strings.Contains(we.Detail, "client speaks protocol versions 5..7 and this server 1..2") {
		t.Fatalf("server side: %v", s.err)
	}
	c, _ = shake(t, 1, 1, 2, 3) // an old client, a server that dropped version 1
	if c.err == nil || !strings.Contains(c.err.Error(), "upgrade the older side") {
		t.Fatalf("old client: %v", c.err)
	}
}

func TestServerRefusesAForeignGreeting(t *testing.T) {
	c, s := net.Pipe()
	defer c.Close()
	defer s.Close()
	go func() { _, _ = c.Write([]byte("GET / HTTP/1.1\r\n")) }()
	_, err := ServerHandshake(s, time.Now().Add(5*time.Second))
	var we *Error
	if !errors.As(err, &we) || we.Code != CodeProtocol || !strings.Contains(we.Detail, `"GET "`) {
		t.Fatalf("HTTP request as greeting: %v", err)
	}
}

func TestClientHandshakeTimesOutAgainstASilentServer(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err == nil {
			defer c.Close()
			_, _ = io.Copy(io.Discard, c) // read the greeting, never answer, until the client gives up
		}
	}()
	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	start := time.Now()
	_, err = ClientHandshake(conn, time.Now().Add(100*time.Millisecond))
	if err == nil || time.Since(start) > time.Second {
		t.Fatalf("handshake against a silent server: %v after %v", err, time.Since(start))
	}
}
