package daemon_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/licd/licd/actors"
	"github.com/licd/licd/actors/daemon"
	"github.com/licd/licd/license"
	"github.com/licd/licd/wire"
)

// startInProcess runs a daemon inside the benchmark process (the hot path without process
// boundaries in the measurement's way) with one large concurrent pool.
func startInProcess(b *testing.B) *daemon.Daemon {
	b.Helper()
	dir := b.TempDir()
	pub, priv, err := license.GenerateKey()
	if err != nil {
		b.Fatal(err)
	}
	keys := filepath.Join(dir, "keys")
	if err := license.WriteKeyPair(keys, pub, priv); err != nil {
		b.Fatal(err)
	}
	lic := filepath.Join(dir, "data", "MyFiles")
	if err := os.MkdirAll(lic, 0o755); err != nil {
		b.Fatal(err)
	}
	startup, _ := license.StartupLicenseFile(testHost, priv)
	text, err := license.IssueFile(license.IssueSpec{HostName: testHost, Lines: []license.LineSpec{
		{Feature: "XDT_PLT_CCS", Count: 10_000_000, CSS: 20991231, Permanent: true, DupGroup: "V"}}}, priv)
	if err != nil {
		b.Fatal(err)
	}
	for name, body := range map[string]string{"citrix_startup.lic": startup, "bench.lic": text} {
		if err := os.WriteFile(filepath.Join(lic, name), []byte(body), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	d, err := daemon.Start(daemon.Config{DataDir: filepath.Join(dir, "data"), Hostname: testHost, ListenHost: "127.0.0.1",
		LMPort: -1, VendorPort: -1, TrustedKeys: []string{filepath.Join(keys, "vendor.pub")}, DebugLog: discard{}})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(d.Shutdown)
	return d
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

func report(b *testing.B, h *hdrhistogram.Histogram, pairs int, elapsed time.Duration) {
	b.ReportMetric(float64(pairs)/elapsed.Seconds(), "pairs/s")
	b.ReportMetric(float64(h.ValueAtQuantile(50))/1e3, "p50-µs")
	b.ReportMetric(float64(h.ValueAtQuantile(99))/1e3, "p99-µs")
	b.ReportMetric(float64(h.ValueAtQuantile(99.9))/1e3, "p99.9-µs")
}

// runPairs runs b.N checkout+checkin pairs split over workers goroutines, pair(i) doing one
// pair for worker i, and reports pairs per second and latency percentiles.
func runPairs(b *testing.B, workers int, pair func(worker int) error) {
	hists := make([]*hdrhistogram.Histogram, workers)
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for i := range workers {
		hists[i] = hdrhistogram.New(1, int64(10*time.Second), 3)
		n := b.N / workers
		if i < b.N%workers {
			n++
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range n {
				t0 := time.Now()
				if err := pair(i); err != nil {
					b.Error(err)
					return
				}
				_ = hists[i].RecordValue(int64(time.Since(t0)))
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	all := hdrhistogram.New(1, int64(10*time.Second), 3)
	for _, h := range hists {
		all.Merge(h)
	}
	report(b, all, b.N, elapsed)
}

// BenchmarkCheckoutCheckinLoopback: 64 product connections over loopback, each checking a
// license out and in again as fast as the server acknowledges; every grant and release is
// durable (group-committed, synced Pebble writes) before it is acknowledged.
func BenchmarkCheckoutCheckinLoopback(b *testing.B) {
	const conns = 64
	d := startInProcess(b)
	clients := dialClients(b, d, conns, "bench-")
	runPairs(b, conns, checkoutCheckinPair(clients))
}

// dialClients connects n product connections to d's vendor port, closed when b ends.
func dialClients(b *testing.B, d *daemon.Daemon, n int, prefix string) []*wire.Client {
	addr := fmt.Sprintf("%d@127.0.0.1", d.VendorAddr().Port)
	clients := make([]*wire.Client, n)
	for i := range clients {
		c, err := wire.Dial(context.Background(), []string{addr}, wire.ClientOptions{ClientID: fmt.Sprint(prefix, i), Product: "XDT", Host: fmt.Sprint("ddc", i)})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _ = c.Close() })
		clients[i] = c
	}
	return clients
}

// checkoutCheckinPair is runPairs' pair: client i checks a license out and in again.
func checkoutCheckinPair(clients []*wire.Client) func(int) error {
	return func(i int) error {
		g, err := clients[i].Checkout(context.Background(), wire.Checkout{Feature: "XDT_PLT_CCS", User: "u", Device: fmt.Sprint("device-", i), ClientHost: "h"})
		if err != nil {
			return err
		}
		return clients[i].Checkin(context.Background(), g.Handle)
	}
}

// BenchmarkCheckoutCheckinInProcess: the same pairs sent straight to the feature actor (no
// socket, no codec), to show what the actor path and the durable writes cost on their own.
func BenchmarkCheckoutCheckinInProcess(b *testing.B) {
	const workers = 64
	d := startInProcess(b)
	e := d.Engine()
	r := e.Routes().ByName("XDT_PLT_CCS")
	replies := make([]chan wire.Message, workers)
	sinks := make([]actors.Sink, workers)
	for i := range workers {
		ch := make(chan wire.Message, 1)
		replies[i] = ch
		sinks[i] = actors.SinkFunc(func(_ uint32, m wire.Message) {
			switch v := m.(type) {
			case *wire.Grant:
				g := *v
				ch <- &g
			case *wire.Denial:
				dd := *v
				ch <- &dd
			default:
				ch <- &wire.Ack{}
			}
		})
	}
	runPairs(b, workers, func(i int) error {
		e.Send(r.PID, &actors.CheckoutRequest{Req: wire.Checkout{Feature: "XDT_PLT_CCS", User: "u", Device: fmt.Sprint("inproc-", i)}, Session: 1, Sink: sinks[i]})
		g, ok := (<-replies[i]).(*wire.Grant)
		if !ok {
			return fmt.Errorf("checkout denied")
		}
		e.Send(r.PID, &actors.CheckinRequest{Handle: g.Handle, Session: 1, Sink: sinks[i]})
		<-replies[i]
		return nil
	})
}
