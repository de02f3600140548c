package daemon_test

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/licd/licd/license"
	"github.com/licd/licd/wire"
)

// A malformed or oversized frame gets a protocol-error reply and that connection is closed;
// no other connection notices.
func TestMalformedFramesCloseOnlyTheirConnection(t *testing.T) {
	f := newFixture(t)
	f.issue("ccs.lic", license.LineSpec{Feature: "XDT_PLT_CCS", Count: 10})
	s := f.start()
	good := dial(t, s, "XDT")
	grant(t, good, "XDT_PLT_CCS", "before", 20240101)

	bad := []struct {
		name  string
		frame []byte
	}{
		{"oversized", binary.BigEndian.AppendUint32(nil, 1<<30)},
		{"undecodable checkout", badCheckoutFrame()},
	}
	for _, b := range bad {
		t.Run(b.name, func(t *testing.T) {
			rc, err := wire.DialRaw(ctx(t), s.VendorAddr(), 5*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			defer rc.Close()
			if _, err := rc.Conn().Write(append(b.frame, make([]byte, 64)...)); err != nil {
				t.Fatal(err)
			}
			_ = rc.SetDeadline(time.Now().Add(5 * time.Second))
			fr, err := rc.Next()
			if err != nil {
				t.Fatalf("want a protocol-error frame, got %v", err)
			}
			if fr.Type != wire.TypeProtocolError {
				t.Fatalf("got a %s frame, want ProtocolError", fr.Type)
			}
			var pe wire.ProtocolError
			if err := fr.Decode(&pe); err != nil || pe.Code != wire.CodeProtocol {
				t.Fatalf("protocol error %+v (%v), want code %d", pe, err, wire.CodeProtocol)
			}
			if _, err := rc.Next(); err == nil {
				t.Fatal("the connection stayed open after a protocol error")
			}
		})
	}
	// Garbage instead of the handshake: the server just closes that connection.
	nc, err := net.Dial("tcp", net.JoinHostPort("127.0.0.1", fmt.Sprint(s.VendorPort)))
	if err != nil {
		t.Fatal(err)
	}
	_, _ = nc.Write([]byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"))
	_ = nc.SetReadDeadline(time.Now().Add(12 * time.Second))
	buf := make([]byte, 64)
	for {
		if _, err := nc.Read(buf); err != nil {
			break
		}
	}
	nc.Close()

	grant(t, good, "XDT_PLT_CCS", "after", 20240101)
	if fs := featureStatus(t, good, "XDT_PLT_CCS"); fs.InUse != 2 {
		t.Fatalf("in use %d after the bad connections, want 2", fs.InUse)
	}
}

// badCheckoutFrame is a checkout frame whose payload is not a checkout.
func badCheckoutFrame() []byte {
	payload := []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}
	b := binary.BigEndian.AppendUint32(nil, uint32(len(payload)+5))
	b = append(b, byte(wire.TypeCheckout))
	b = binary.BigEndian.AppendUint32(b, 7)
	return append(b, payload...)
}

// "Licensing elements": the license-manager port tells a client where the vendor daemon is,
// and both ports serve products directly (-c port@host works with either).
func TestLicenseManagerPortLocatesVendorDaemon(t *testing.T) {
	f := newFixture(t)
	f.issue("ccs.lic", license.LineSpec{Feature: "XDT_PLT_CCS", Count: 10})
	s := f.start()
	rc, err := wire.DialRaw(ctx(t), s.Addr(), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	var loc wire.LocateResult
	if err := rc.Request(&wire.Locate{}, &loc); err != nil {
		t.Fatal(err)
	}
	if int(loc.VendorPort) != s.VendorPort || loc.Host != testHost {
		t.Fatalf("locate says %s:%d, want %s:%d", loc.Host, loc.VendorPort, testHost, s.VendorPort)
	}
	for _, addr := range []string{s.Addr(), s.VendorAddr()} {
		c, err := wire.Dial(ctx(t), []string{addr}, wire.ClientOptions{ClientID: "locate-" + addr, Product: "XDT", Host: "ddc"})
		if err != nil {
			t.Fatalf("dial %s: %v", addr, err)
		}
		grant(t, c, "XDT_PLT_CCS", "dev-"+addr, 20240101)
		c.Close()
	}
}

// A checkout before the hello (start-up checkout) is refused with a clear code; a batch
// checkout is one frame with one result per item.
func TestNoSessionAndBatch(t *testing.T) {
	f := newFixture(t)
	f.issue("ccs.lic", license.LineSpec{Feature: "XDT_PLT_CCS", Count: 2})
	s := f.start()
	rc, err := wire.DialRaw(ctx(t), s.VendorAddr(), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	var g wire.Grant
	err = rc.Request(&wire.Checkout{Feature: "XDT_PLT_CCS", Device: "d"}, &g)
	wantCode(t, err, wire.CodeNoSession)

	c := dial(t, s, "XDT")
	items, err := c.CheckoutBatch(ctx(t), []wire.Checkout{
		{Feature: "XDT_PLT_CCS", Device: "b1", User: "u"},
		{Feature: "XDT_PLT_CCS", Device: "b2", User: "u"},
		{Feature: "XDT_PLT_CCS", Device: "b3", User: "u"},
		{Feature: "NOPE_PLT_CCS", Device: "b1", User: "u"},
	})
	if err != nil {
		t.Fatal(err)
	}
	codes := []wire.Code{items[0].Denied.Code, items[1].Denied.Code, items[2].Denied.Code, items[3].Denied.Code}
	want := []wire.Code{wire.OK, wire.OK, wire.CodeLicensedNumberReached, wire.CodeNoSuchFeature}
	for i := range want {
		if codes[i] != want[i] {
			t.Fatalf("batch results %v, want %v", codes, want)
		}
	}
}

// The daemon serves a thousand product connections at once, each with its own checkout.
func TestThousandConnections(t *testing.T) {
	if testing.Short() {
		t.Skip("1,000 connections")
	}
	const n = 1000
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil || lim.Cur < 2*n+200 {
		t.Skipf("the open-file limit (%d) cannot hold %d connections on both ends; raise ulimit -n", lim.Cur, n)
	}
	f := newFixture(t)
	f.issue("ccs.lic", license.LineSpec{Feature: "XDT_PLT_CCS", Count: n})
	s := f.start()
	clients := make([]*wire.Client, n)
	var wg sync.WaitGroup
	errs := make(chan error, n)
	sem := make(chan struct{}, 64)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			c, err := wire.Dial(ctx(t), []string{s.VendorAddr()}, wire.ClientOptions{
				ClientID: fmt.Sprintf("ddc-%04d", i), Product: "XDT", Host: fmt.Sprintf("ddc-%04d", i), RequestTimeout: 20 * time.Second})
			if err != nil {
				errs <- err
				return
			}
			clients[i] = c
			if _, err := c.Checkout(ctx(t), wire.Checkout{Feature: "XDT_PLT_CCS", Device: fmt.Sprintf("dev-%04d", i), User: "u"}); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	defer func() {
		for _, c := range clients {
			if c != nil {
				c.Close()
			}
		}
	}()
	_, err := checkout(t, clients[0], "XDT_PLT_CCS", "one-too-many", 20240101)
	wantCode(t, err, wire.CodeLicensedNumberReached)
	st, err := clients[1].Status(ctx(t), "")
	if err != nil {
		t.Fatal(err)
	}
	live := 0
	for _, ss := range st.Sessions {
		if !ss.Lost {
			live++
		}
	}
	if live != n {
		t.Fatalf("%d live product sessions, want %d", live, n)
	}
}

// A status answer larger than a request may be (here about 4 MB for 20,000 checkouts) still
// reaches the client: answers grow with the server, requests do not.
func TestLargeStatusAnswer(t *testing.T) {
	const n = 20000
	f := newFixture(t)
	f.issue("ccs.lic", license.LineSpec{Feature: "XDT_PLT_CCS", Count: n})
	s := f.start()
	c := dial(t, s, "XDT")
	issueMany(t, c, "XDT_PLT_CCS", n)
	fs := featureStatus(t, c, "XDT_PLT_CCS")
	if fs.InUse != n || len(fs.Checkouts) != n {
		t.Fatalf("status: %d in use, %d checkout lines; want %d of each", fs.InUse, len(fs.Checkouts), n)
	}
}

// A client that floods requests and never reads its answers is held back by its own
// connection (bounded in-flight requests and queued replies); the server and every other
// client carry on.
func TestFloodingClientIsHeldBack(t *testing.T) {
	f := newFixture(t)
	f.issue("ccs.lic", license.LineSpec{Feature: "XDT_PLT_CCS", Count: 10})
	s := f.start()
	good := dial(t, s, "XDT")

	rc, err := wire.DialRaw(ctx(t), s.VendorAddr(), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	var ok wire.HelloOK
	if err := rc.Request(&wire.Hello{ClientID: "flooder", Product: "X", Host: "flood"}, &ok); err != nil {
		t.Fatal(err)
	}
	type outcome struct {
		n   int
		err error
	}
	stop := make(chan struct{})
	done := make(chan outcome, 1)
	go func() {
		// Checkouts of a feature that does not exist: each is answered with a denial that
		// this client never reads. A write that cannot finish within a second means the
		// server has stopped reading from this connection.
		frame := wire.AppendFrame(nil, 1, &wire.Checkout{Feature: "NOPE_PLT_CCS", Device: "d", User: "u"})
		var batch []byte
		for range 1000 {
			batch = append(batch, frame...)
		}
		n := 0
		for {
			select {
			case <-stop:
				done <- outcome{n, nil}
				return
			default:
			}
			_ = rc.Conn().SetWriteDeadline(time.Now().Add(time.Second))
			if _, err := rc.Conn().Write(batch); err != nil {
				done <- outcome{n, err}
				return
			}
			n += 1000
		}
	}()
	var o outcome
	select {
	case o = <-done:
	case <-time.After(20 * time.Second):
		close(stop)
		o = <-done
	}
	var ne net.Error
	if !errors.As(o.err, &ne) || !ne.Timeout() {
		t.Fatalf("the flooder wrote %d requests without reading and was never held back (%v)", o.n, o.err)
	}
	// What the server holds for it stays bounded: the queued replies (8 MiB) and what the
	// kernel buffers, not the hundreds of megabytes an unread flood would pile up.
	if rss := serverRSS(t, s.Pid()); rss > 200<<20 {
		t.Fatalf("licd grew to %d MiB serving a client that does not read", rss>>20)
	}
	// Held back, the flood does not reach anyone else.
	g := grant(t, good, "XDT_PLT_CCS", "while-flooded", 20240101)
	if err := good.Checkin(ctx(t), g.Handle); err != nil {
		t.Fatal(err)
	}
	n := o.n
	t.Logf("the flooder got %d requests out before the server stopped reading", n)
}
