package daemon_test

import (
	"encoding/binary"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/licd/licd/bench"
	"github.com/licd/licd/license"
	"github.com/licd/licd/wire"
)

// rawConn is a bare protocol connection to s's vendor port: frames exactly as a test means
// them, no session unless it sends a hello.
func rawConn(t testing.TB, s *bench.Server) *wire.RawConn {
	t.Helper()
	rc, err := wire.DialRaw(ctx(t), s.VendorAddr(), 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rc.Close() })
	return rc
}

// expectClosedWith reads rc until the server's ProtocolError, which must carry code and say
// want, and then the close.
func expectClosedWith(t *testing.T, rc *wire.RawConn, within time.Duration, code wire.Code, want string) {
	t.Helper()
	_ = rc.SetDeadline(time.Now().Add(within))
	for {
		f, err := rc.Next()
		if err != nil {
			t.Fatalf("want a ProtocolError (%d, %q), got %v", code, want, err)
		}
		if f.Type != wire.TypeProtocolError {
			continue
		}
		var pe wire.ProtocolError
		if err := f.Decode(&pe); err != nil {
			t.Fatal(err)
		}
		if pe.Code != code || !strings.Contains(pe.Detail, want) {
			t.Fatalf("protocol error %d %q, want %d with %q", pe.Code, pe.Detail, code, want)
		}
		break
	}
	if _, err := rc.Next(); err == nil {
		t.Fatal("the connection stayed open after its protocol error")
	}
}

// procStatus reads one "Vm..." figure of a process, in bytes.
func procStatus(t testing.TB, pid int, field string) int64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == field+":" {
			kb, err := strconv.ParseInt(f[1], 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return kb << 10
		}
	}
	t.Fatalf("no %s in /proc status", field)
	return 0
}

// frameHeader is the start of a frame that declares a body of n bytes.
func frameHeader(n int, typ wire.MsgType) []byte {
	h := binary.BigEndian.AppendUint32(nil, uint32(n))
	return append(h, byte(typ), 0, 0, 0, 1)
}

func helloRaw(t *testing.T, rc *wire.RawConn, id string) {
	t.Helper()
	var ok wire.HelloOK
	if err := rc.Request(&wire.Hello{ClientID: id, Product: "XDT", Host: id + ".example.com"}, &ok); err != nil {
		t.Fatalf("hello %s: %v", id, err)
	}
}

// Before its hello a connection may send only small frames (utilities need no more): a
// declared megabyte is refused at once, before any of it is buffered. After the hello the
// usual limit applies.
func TestFramesBeforeHelloAreSmall(t *testing.T) {
	f := newFixture(t)
	f.issue("ccs.lic", license.LineSpec{Feature: "XDT_PLT_CCS", Count: 10})
	s := f.start()

	rc := rawConn(t, s)
	if _, err := rc.Conn().Write(frameHeader(1<<20, wire.TypeQuery)); err != nil {
		t.Fatal(err)
	}
	expectClosedWith(t, rc, 5*time.Second, wire.CodeProtocol, "exceeds the limit of 65536")

	// Utilities still ask before any hello; a product's session sends large frames.
	var st wire.QueryResult
	if err := rawConn(t, s).Request(&wire.Query{Kind: wire.QueryStatus, Detail: true}, &st); err != nil {
		t.Fatalf("status before hello: %v", err)
	}
	p := rawConn(t, s)
	helloRaw(t, p, "big-frames")
	items := make([]wire.Checkout, 1000)
	for i := range items {
		items[i] = wire.Checkout{Feature: "XDT_PLT_CCS", User: strings.Repeat("u", 100), Device: fmt.Sprintf("d%d", i%5)}
	}
	var res wire.BatchResult
	if err := p.Request(&wire.CheckoutBatch{Items: items}, &res); err != nil {
		t.Fatalf("a 100 KiB batch after the hello: %v", err)
	}
}

// Slowloris: connections that start a frame and trickle it, or connect and never say
// anything, are closed with a reason once their time is up (-frame-timeout, -idle-timeout);
// a product's session, quiet between frames, is not.
func TestStalledFramesAndIdleConnectionsAreClosed(t *testing.T) {
	f := newFixture(t)
	f.issue("ccs.lic", license.LineSpec{Feature: "XDT_PLT_CCS", Count: 10})
	s := f.start("-frame-timeout", "1s", "-idle-timeout", "2s")

	product := rawConn(t, s)
	helloRaw(t, product, "quiet-product")

	const n = 40
	var trickle, idle [n]*wire.RawConn
	for i := range n {
		trickle[i] = rawConn(t, s)
		if _, err := trickle[i].Conn().Write(append(frameHeader(60<<10, wire.TypeQuery), make([]byte, 1000)...)); err != nil {
			t.Fatal(err)
		}
		idle[i] = rawConn(t, s)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var failures []string
	check := func(rc *wire.RawConn, trickles bool, code wire.Code, want string) {
		defer wg.Done()
		_ = rc.SetDeadline(time.Now().Add(15 * time.Second))
		for range 3 {
			if trickles { // one more byte now and then: a frame that never completes
				_, _ = rc.Conn().Write([]byte{0})
			}
			time.Sleep(200 * time.Millisecond)
		}
		for {
			fr, err := rc.Next()
			if err != nil {
				mu.Lock()
				failures = append(failures, fmt.Sprintf("want %q, got %v", want, err))
				mu.Unlock()
				return
			}
			var pe wire.ProtocolError
			if fr.Type == wire.TypeProtocolError && fr.Decode(&pe) == nil {
				if pe.Code != code || !strings.Contains(pe.Detail, want) {
					mu.Lock()
					failures = append(failures, fmt.Sprintf("got %d %q, want %q", pe.Code, pe.Detail, want))
					mu.Unlock()
				}
				return
			}
		}
	}
	for i := range n {
		wg.Add(2)
		go check(trickle[i], true, wire.CodeProtocol, "a frame was not complete 1s after its first bytes arrived")
		go check(idle[i], false, wire.CodeNoSession, "no hello and no request for 2s")
	}
	wg.Wait()
	if len(failures) > 0 {
		t.Fatalf("%d of %d connections were not closed as they should be, e.g. %s", len(failures), 2*n, failures[0])
	}
	// The product's session, silent all this time, still serves.
	var ack wire.HeartbeatAck
	if err := product.Request(&wire.Heartbeat{UnixNano: 7}, &ack); err != nil || ack.UnixNano != 7 {
		t.Fatalf("the quiet product's connection: %v", err)
	}
}

// Names are limited as they are decoded (PROTOCOL.md "Limits"): a hello with an oversized
// field is refused with what and where and leaves no session; a checkout with one is denied
// and the connection stays.
func TestOversizedFieldsAreRefusedAtDecode(t *testing.T) {
	f := newFixture(t)
	f.issue("ccs.lic", license.LineSpec{Feature: "XDT_PLT_CCS", Count: 10})
	s := f.start()

	rc := rawConn(t, s)
	if err := rc.Send(1, &wire.Hello{ClientID: "c1", Product: strings.Repeat("P", 300), Host: "h"}); err != nil {
		t.Fatal(err)
	}
	expectClosedWith(t, rc, 5*time.Second, wire.CodeBadRequest, "hello: product of 300 bytes exceeds the limit of 256 bytes")
	rc = rawConn(t, s)
	if err := rc.Send(1, &wire.Hello{ClientID: "c2", Product: "XDT", Host: "bad\xffhost"}); err != nil {
		t.Fatal(err)
	}
	expectClosedWith(t, rc, 5*time.Second, wire.CodeBadRequest, "hello: host is not valid UTF-8")

	good := dial(t, s, "XDT")
	st, err := good.Status(ctx(t), "")
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Sessions) != 1 {
		t.Fatalf("refused hellos left sessions: %+v", st.Sessions)
	}
	_, err = good.Checkout(ctx(t), wire.Checkout{Feature: "XDT_PLT_CCS", User: "u", Device: "d", Display: strings.Repeat("x", 257)})
	wantCode(t, err, wire.CodeBadRequest)
	if !strings.Contains(err.Error(), "checkout: display of 257 bytes") {
		t.Fatalf("the denial does not say what: %v", err)
	}
	grant(t, good, "XDT_PLT_CCS", "after", 20240101)
}

// One frame of a million empty checkout records is refused by its count, before any work:
// a batch carries at most wire.MaxBatch records.
func TestHugeBatchIsRefusedByItsCount(t *testing.T) {
	f := newFixture(t)
	f.issue("ccs.lic", license.LineSpec{Feature: "XDT_PLT_CCS", Count: 10})
	s := f.start()
	rc := rawConn(t, s)
	helloRaw(t, rc, "batcher")
	before := procStatus(t, s.Pid(), "VmRSS")

	const records = 1<<20 - 64
	payload := binary.AppendUvarint(nil, records)
	payload = append(payload, make([]byte, records)...) // each record: a zero length
	frame := binary.BigEndian.AppendUint32(nil, uint32(5+len(payload)))
	frame = append(frame, byte(wire.TypeCheckoutBatch), 0, 0, 0, 9)
	frame = append(frame, payload...)
	if _, err := rc.Conn().Write(frame); err != nil {
		t.Fatal(err)
	}
	_ = rc.SetDeadline(time.Now().Add(20 * time.Second))
	fr, err := rc.Next()
	if err != nil {
		t.Fatal(err)
	}
	var d wire.Denial
	if fr.Type != wire.TypeDenial || fr.Decode(&d) != nil || d.Code != wire.CodeBadRequest || !strings.Contains(d.Detail, "exceed the limit of 1000") {
		t.Fatalf("got a %s frame (%+v), want a denial of the batch's size", fr.Type, d)
	}
	if grew := procStatus(t, s.Pid(), "VmHWM") - before; grew > 64<<20 {
		t.Fatalf("one refused batch grew licd by %d MiB", grew>>20)
	}
	var ack wire.HeartbeatAck
	if err := rc.Request(&wire.Heartbeat{UnixNano: 1}, &ack); err != nil {
		t.Fatalf("the connection did not survive its refused batch: %v", err)
	}
}

// issueMany checks out n licenses of feature through c, in batches, with names long enough
// that a detailed status is large (about 250 bytes of JSON per checkout).
func issueMany(t *testing.T, c *wire.Client, feature string, n int) {
	t.Helper()
	for start := 0; start < n; start += wire.MaxBatch {
		items := make([]wire.Checkout, min(wire.MaxBatch, n-start))
		for i := range items {
			items[i] = wire.Checkout{Feature: feature, User: fmt.Sprintf("user-with-a-rather-long-name-%06d", start+i),
				Device: fmt.Sprintf("device-%06d", start+i), ClientHost: "client-host.example.com", Display: "XDT"}
		}
		res, err := c.CheckoutBatch(ctx(t), items)
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range res {
			if it.Denied.Code != wire.OK {
				t.Fatalf("batch checkout denied: %+v", it.Denied)
			}
		}
	}
}

// unreadQueries opens conns connections that each ask for the detailed status per times
// and never read the answers.
func unreadQueries(t *testing.T, s *bench.Server, conns, per int) []*wire.RawConn {
	t.Helper()
	out := make([]*wire.RawConn, conns)
	for i := range out {
		out[i] = rawConn(t, s)
		var frames []byte
		for k := range per {
			frames = wire.AppendFrame(frames, uint32(k+1), &wire.Query{Kind: wire.QueryStatus, Detail: true})
		}
		if _, err := out[i].Conn().Write(frames); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// Answers are bounded as they are built: clients that ask for a large status again and
// again and never read the answers tie up a bounded share of memory, not the product of
// their number and the answer's size; they are closed when their answers have made no
// progress for -write-timeout; lmstat still gets its answer.
func TestUnreadStatusAnswersStayBounded(t *testing.T) {
	const checkouts = 6000 // a detailed status of about 1.5 MB
	f := newFixture(t)
	f.issue("ccs.lic", license.LineSpec{Feature: "XDT_PLT_CCS", Count: checkouts})
	s := f.start("-write-timeout", "3s")
	c := dial(t, s, "XDT")
	issueMany(t, c, "XDT_PLT_CCS", checkouts)
	before := procStatus(t, s.Pid(), "VmHWM")
	fdsBefore := openFiles(t, s.Pid())

	conns := unreadQueries(t, s, 100, 8)
	time.Sleep(2 * time.Second) // let them pile up what they can
	if _, err := c.Status(ctx(t), "XDT_PLT_CCS"); err != nil {
		t.Fatalf("lmstat while 100 clients leave their answers unread: %v", err)
	}
	if grew := procStatus(t, s.Pid(), "VmHWM") - before; grew > 200<<20 {
		t.Fatalf("800 unread status answers of 1.5 MB grew licd by %d MiB", grew>>20)
	}
	// Those whose answers made no progress for the write timeout are closed: licd's
	// descriptors go down while the clients still hold their ends.
	eventually(t, 20*time.Second, "licd closing connections that leave their answers unread", func() bool {
		return openFiles(t, s.Pid()) < fdsBefore+len(conns)-20
	})
}

// openFiles is the number of descriptors a process has open.
func openFiles(t *testing.T, pid int) int {
	t.Helper()
	ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}

// Descriptors: product connections are served up to -max-conns (by default the descriptor
// limit less a reserve); past it, loopback connections still get in for the utilities, in a
// reserve of 30, and a hello there is refused with the reason.
func TestConnectionLimitKeepsAReserveForUtilities(t *testing.T) {
	f := newFixture(t)
	f.issue("ccs.lic", license.LineSpec{Feature: "XDT_PLT_CCS", Count: 10})
	s := f.start("-max-conns", "20")
	for i := range 20 {
		helloRaw(t, rawConn(t, s), fmt.Sprintf("product-%d", i))
	}
	late := rawConn(t, s)
	if err := late.Send(1, &wire.Hello{ClientID: "one-too-many", Product: "XDT", Host: "late"}); err != nil {
		t.Fatal(err)
	}
	expectClosedWith(t, late, 5*time.Second, wire.CodeInternal, "serving its limit of 20 product connections")

	// lmstat's connection is in the reserve, and works.
	var res wire.QueryResult
	if err := rawConn(t, s).Request(&wire.Query{Kind: wire.QueryStatus}, &res); err != nil {
		t.Fatalf("status at the connection limit: %v", err)
	}
	var reserve []*wire.RawConn
	for range 29 {
		reserve = append(reserve, rawConn(t, s))
	}
	// The reserve is full too: the next connection is refused with the reason.
	full := rawConn(t, s)
	expectClosedWith(t, full, 5*time.Second, wire.CodeInternal, "retry later, or raise the limit")
	for _, rc := range reserve {
		_ = rc.Close()
	}
	eventually(t, 10*time.Second, "a utility connection after the reserve drained", func() bool {
		rc, err := wire.DialRaw(ctx(t), s.VendorAddr(), 5*time.Second)
		if err != nil {
			return false
		}
		defer rc.Close()
		return rc.Request(&wire.Query{Kind: wire.QueryStatus}, &res) == nil
	})
}

// Out of descriptors, licd waits before accepting again and logs about once a second, not
// hundreds of lines a second; it serves again as soon as descriptors are free.
func TestAcceptBacksOffWhenOutOfDescriptors(t *testing.T) {
	wrapper := t.TempDir() + "/licd-nofile"
	script := "#!/bin/sh\nexec prlimit --nofile=96:96 " + licdBinary + " \"$@\"\n"
	if err := os.WriteFile(wrapper, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat("/usr/bin/prlimit"); err != nil {
		t.Skip("needs prlimit (util-linux)")
	}
	f := newFixture(t)
	f.issue("ccs.lic", license.LineSpec{Feature: "XDT_PLT_CCS", Count: 10})
	s, err := bench.StartServer(ctx(t), bench.ServerOptions{Binary: wrapper, DataDir: f.dir + "/data",
		Hostname: testHost, Trust: []string{f.pubPath}, Args: []string{"-max-conns", "10000"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Stop(20 * time.Second) })

	var conns []*wire.RawConn
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range 150 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rc, err := wire.DialRaw(ctx(t), s.VendorAddr(), 2*time.Second)
			if err == nil {
				mu.Lock()
				conns = append(conns, rc)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	start := strings.Count(s.Output(), "too many open files")
	time.Sleep(2 * time.Second)
	lines := strings.Count(s.Output(), "too many open files") - start
	if lines == 0 || lines > 6 {
		t.Fatalf("%d accept failures logged in 2 s at the descriptor limit, want a few (1 a second)\n%s", lines, tail(s.Output(), 2000))
	}
	for _, rc := range conns {
		_ = rc.Close()
	}
	var res wire.QueryResult
	eventually(t, 15*time.Second, "status once descriptors are free again", func() bool {
		rc, err := wire.DialRaw(ctx(t), s.VendorAddr(), 2*time.Second)
		if err != nil {
			return false
		}
		defer rc.Close()
		_ = rc.SetDeadline(time.Now().Add(2 * time.Second))
		return rc.Request(&wire.Query{Kind: wire.QueryStatus}, &res) == nil
	})
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}
