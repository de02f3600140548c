package daemon_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/licd/licd/license"
	"github.com/licd/licd/wire"
)

// Every attack of the hardening issue at once, against a licd under a memory limit
// (GOMEMLIMIT plus a check of its peak RSS), while a good product keeps checking out and in:
// unread large answers, slowloris frames, silent connections, oversized hellos, a hello
// flood and oversized batches. licd stays up and bounded, and the good product never fails.
func TestAttacksUnderAMemoryLimit(t *testing.T) {
	const checkouts = 6000 // a detailed status of about 1.5 MB
	t.Setenv("GOMEMLIMIT", "256MiB")
	f := newFixture(t)
	f.issue("ccs.lic", license.LineSpec{Feature: "XDT_PLT_CCS", Count: checkouts},
		license.LineSpec{Feature: "XDS_PLT_CCS", Count: 100})
	s := f.start("-write-timeout", "3s", "-frame-timeout", "1s", "-idle-timeout", "2s")
	issueMany(t, dial(t, s, "XDT"), "XDT_PLT_CCS", checkouts)
	good := dial(t, s, "XDS")

	stop := make(chan struct{})
	var goodOps, goodFailures atomic.Int64
	var firstFailure atomic.Value
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // the good product: check out and in, again and again
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			c, cancel := context.WithTimeout(context.Background(), 15*time.Second)
			g, err := good.Checkout(c, wire.Checkout{Feature: "XDS_PLT_CCS", User: "good", Device: fmt.Sprintf("good-%d", i%50)})
			if err == nil {
				err = good.Checkin(c, g.Handle)
			}
			cancel()
			if err != nil {
				goodFailures.Add(1)
				firstFailure.CompareAndSwap(nil, err.Error())
				continue
			}
			goodOps.Add(1)
		}
	}()

	attack := func(_ string, fn func()) { // the name says what each attack is
		wg.Add(1)
		go func() { defer wg.Done(); fn() }()
	}
	var held sync.Mutex
	var conns []*wire.RawConn
	keep := func(rc *wire.RawConn) {
		held.Lock()
		conns = append(conns, rc)
		held.Unlock()
	}
	dialRaw := func() *wire.RawConn {
		c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		rc, err := wire.DialRaw(c, s.VendorAddr(), 10*time.Second)
		if err != nil {
			return nil
		}
		keep(rc)
		return rc
	}
	attack("unread answers", func() {
		for range 100 {
			if rc := dialRaw(); rc != nil {
				var frames []byte
				for k := range 8 {
					frames = wire.AppendFrame(frames, uint32(k+1), &wire.Query{Kind: wire.QueryStatus, Detail: true})
				}
				_, _ = rc.Conn().Write(frames)
			}
		}
	})
	attack("slowloris", func() {
		for range 200 {
			if rc := dialRaw(); rc != nil {
				_, _ = rc.Conn().Write(frameHeader(60000, wire.TypeHello)[:6])
			}
		}
	})
	attack("silent connections", func() {
		for range 200 {
			dialRaw()
		}
	})
	attack("oversized hellos", func() {
		for i := range 200 {
			if rc := dialRaw(); rc != nil {
				big := strings.Repeat("h", 60000)
				_, _ = rc.Conn().Write(wire.AppendFrame(nil, 1, &wire.Hello{ClientID: fmt.Sprintf("big-%d", i), Product: big, Host: big}))
			}
		}
	})
	attack("hello flood", func() {
		for i := range 500 {
			if rc := dialRaw(); rc != nil {
				_, _ = rc.Conn().Write(wire.AppendFrame(nil, 1, &wire.Hello{ClientID: fmt.Sprintf("flood-%d", i), Product: "XDT", Host: "flood.example.com"}))
			}
		}
	})
	attack("oversized batches", func() {
		for i := range 20 {
			rc := dialRaw()
			if rc == nil {
				continue
			}
			var ok wire.HelloOK
			if rc.Request(&wire.Hello{ClientID: fmt.Sprintf("batch-%d", i), Product: "XDT", Host: "batch.example.com"}, &ok) != nil {
				continue
			}
			_, _ = rc.Conn().Write(wire.AppendFrame(nil, 2, &wire.CheckoutBatch{Items: make([]wire.Checkout, 100*wire.MaxBatch)}))
		}
	})
	time.Sleep(8 * time.Second) // the attacks and their timeouts play out
	close(stop)
	wg.Wait()
	held.Lock()
	for _, rc := range conns {
		_ = rc.Close()
	}
	held.Unlock()

	select {
	case <-s.Exited():
		t.Fatalf("licd died under the attacks:\n%s", tail(s.Output(), 2000))
	default:
	}
	if n := goodFailures.Load(); n > 0 {
		t.Fatalf("the good product failed %d times (of %d) during the attacks; first: %v", n, n+goodOps.Load(), firstFailure.Load())
	}
	if goodOps.Load() == 0 {
		t.Fatal("the good product made no progress during the attacks")
	}
	if hwm := procStatus(t, s.Pid(), "VmHWM"); hwm > 512<<20 {
		t.Fatalf("licd peaked at %d MiB under a 256 MiB memory limit", hwm>>20)
	}
	// lmstat answers once the attacks end; on a machine loaded by other tests the first
	// connection may sit out the 2 s idle limit before its request is read, so a few tries.
	var err error
	for try := 0; try < 5; try++ {
		var st wire.QueryResult
		if err = rawConn(t, s).Request(&wire.Query{Kind: wire.QueryStatus}, &st); err == nil {
			break
		}
		time.Sleep(time.Second)
	}
	if err != nil {
		t.Fatalf("lmstat after the attacks: %v", err)
	}
	t.Logf("good product: %d checkout+checkin pairs during the attacks; licd peak RSS %d MiB",
		goodOps.Load(), procStatus(t, s.Pid(), "VmHWM")>>20)
}
