package wire

import (
	"bytes"
	"context"
	"runtime"
	"strconv"
	"testing"
)

func BenchmarkCheckoutEncodeDecode(b *testing.B) {
	in := Checkout{Feature: "XDT_PLT_UD", Product: "XDT", Edition: "PLT", Model: "UD", User: "alice@corp",
		Device: "C39A925064A3", ClientHost: "ws-17", Display: "ica-3", VersionDate: 20240315}
	var out Checkout
	var buf []byte
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendFrame(buf[:0], 7, &in)
		if err := out.Decode(buf[FrameHeaderSize:]); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkGrantEncodeDecode(b *testing.B) {
	in := Grant{Handle: 123456789, Feature: "XDT_PLT_UD", PoolID: "pool-1", CSS: 20250101, Assigned: "user"}
	var out Grant
	var buf []byte
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendFrame(buf[:0], 7, &in)
		if err := out.Decode(buf[FrameHeaderSize:]); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFrameReader reads pipelined checkout frames as the daemon does, decoding each
// into one reused struct.
func BenchmarkFrameReader(b *testing.B) {
	var stream []byte
	c := Checkout{Feature: "XDT_PLT_UD", User: "alice", Device: "dev", ClientHost: "ws"}
	for i := 0; i < 1000; i++ {
		stream = AppendFrame(stream, uint32(i+1), &c)
	}
	var out Checkout
	r := bytes.NewReader(stream)
	b.ReportAllocs()
	b.SetBytes(int64(len(stream)) / 1000)
	fr := NewFrameReader(r, 0)
	for b.Loop() {
		f, err := fr.Next()
		if err != nil {
			r.Reset(stream)
			fr = NewFrameReader(r, 0)
			f, err = fr.Next()
			if err != nil {
				b.Fatal(err)
			}
		}
		if err := out.Decode(f.Payload); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkClientCheckoutCheckin64 is a checkout+checkin pair per op from 64 goroutines on
// one pipelined connection to the in-test peer over loopback.
func BenchmarkClientCheckoutCheckin64(b *testing.B) {
	p := newTestPeer(b, InventoryItem{Feature: "BIG_CCU", Model: "CCU", Installed: 1 << 30})
	c, err := Dial(context.Background(), []string{p.addr}, testOptions())
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	b.ReportAllocs()
	b.SetParallelism(max(1, 64/testingProcs()))
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		req := Checkout{Feature: "BIG_CCU", User: "bench", ClientHost: "ws"}
		for pb.Next() {
			g, err := c.Checkout(ctx, req)
			if err != nil {
				b.Error(err)
				return
			}
			if err := c.Checkin(ctx, g.Handle); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pairs/s")
}

func testingProcs() int { return runtime.GOMAXPROCS(0) }

// BenchmarkClientCheckoutCheckin64Conns is the shape of the daemon's target: 64 product
// connections, one goroutine each, checkout+checkin pairs.
func BenchmarkClientCheckoutCheckin64Conns(b *testing.B) {
	p := newTestPeer(b, InventoryItem{Feature: "BIG_CCU", Model: "CCU", Installed: 1 << 30})
	clients := make(chan *Client, 64)
	for i := 0; i < 64; i++ {
		opt := testOptions()
		opt.ClientID = "bench-" + strconv.Itoa(i)
		c, err := Dial(context.Background(), []string{p.addr}, opt)
		if err != nil {
			b.Fatal(err)
		}
		defer c.Close()
		clients <- c
	}
	ctx := context.Background()
	b.ReportAllocs()
	b.SetParallelism(max(1, 64/testingProcs()))
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		c := <-clients
		req := Checkout{Feature: "BIG_CCU", User: "bench", ClientHost: "ws"}
		for pb.Next() {
			g, err := c.Checkout(ctx, req)
			if err != nil {
				b.Error(err)
				return
			}
			if err := c.Checkin(ctx, g.Handle); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pairs/s")
}
