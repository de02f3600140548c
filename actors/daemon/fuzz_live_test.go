package daemon_test

import (
	"net"
	"sync"
	"testing"
	"time"

	"github.com/licd/licd/license"
	"github.com/licd/licd/wire"
)

// FuzzLiveConnection sends arbitrary bytes to a real licd's vendor port, after a hello or
// without one, and asserts the server stays up and bounded: every input gets an answer, a
// protocol error or a close, never a hang past the frame timeout; a fresh connection then
// gets its heartbeat answered; and licd's resident memory stays under a ceiling. One licd
// serves every input of a fuzz worker (make fuzz runs it with the other targets).
func FuzzLiveConnection(f *testing.F) {
	fx := newFixture(f)
	fx.issue("ccs.lic", license.LineSpec{Feature: "XDT_PLT_CCS", Count: 50})
	s := fx.start("-frame-timeout", "1s", "-idle-timeout", "2s")

	var helloFrame []byte
	helloFrame = wire.AppendFrame(helloFrame, 1, &wire.Hello{ClientID: "fuzz", Product: "XDT", Host: "fuzz.example.com"})
	f.Add(false, wire.AppendFrame(nil, 1, &wire.Heartbeat{UnixNano: 1}))
	f.Add(false, wire.AppendFrame(nil, 7, &wire.Query{Kind: wire.QueryStatus, Detail: true}))
	f.Add(true, wire.AppendFrame(nil, 2, &wire.Checkout{Feature: "XDT_PLT_CCS", User: "u", Device: "d"}))
	f.Add(true, wire.AppendFrame(nil, 2, &wire.CheckoutBatch{Items: make([]wire.Checkout, 3)}))
	f.Add(true, wire.AppendFrame(nil, 3, &wire.Checkin{Handle: 1}))
	f.Add(false, frameHeader(1<<30, wire.TypeCheckoutBatch))
	f.Add(true, []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
	f.Add(false, []byte{0x16, 0x03, 0x01, 0x00, 0x05, 0x01, 0x00})

	var mu sync.Mutex // one input at a time against the shared server
	f.Fuzz(func(t *testing.T, afterHello bool, data []byte) {
		mu.Lock()
		defer mu.Unlock()
		rc := rawConn(t, s)
		if afterHello {
			if _, err := rc.Conn().Write(helloFrame); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := rc.Conn().Write(data); err != nil {
			t.Skip("licd closed the connection while the input was written") // a refusal
		}
		if tc, ok := rc.Conn().(*net.TCPConn); ok {
			_ = tc.CloseWrite() // the end of the input: licd answers what it can and closes
		}
		_ = rc.SetDeadline(time.Now().Add(5 * time.Second))
		for {
			if _, err := rc.Next(); err != nil {
				break // closed by licd, or quiet: the input is answered or ignored
			}
		}
		_ = rc.Close()
		select {
		case <-s.Exited():
			t.Fatalf("licd exited on input %x:\n%s", data, tail(s.Output(), 2000))
		default:
		}
		var ack wire.HeartbeatAck
		if err := rawConn(t, s).Request(&wire.Heartbeat{UnixNano: 1}, &ack); err != nil {
			t.Fatalf("licd stopped answering after input %x: %v", data, err)
		}
		if rss := procStatus(t, s.Pid(), "VmRSS"); rss > 512<<20 {
			t.Fatalf("licd grew to %d MiB after input %x", rss>>20, data)
		}
	})
}
