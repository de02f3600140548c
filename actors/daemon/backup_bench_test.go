package daemon_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/licd/licd/actors/daemon"
	"github.com/licd/licd/wire"
)

// BenchmarkCheckoutDuringBackup: what an online backup costs the checkout path. 64 product
// connections check out and in over loopback (every decision durable) against a server that
// holds 20,000 more grants, with no backup ("quiet") and while backups are made one after
// the other into new directories ("backing-up": checkpoint, copies, SHA-256 of every file).
// The ratio of the two pairs/s figures is the backup's cost; backups/s says how many were
// made meanwhile. "alternating" measures both in one run, in alternate 250 ms windows, and
// reports their ratio: the machine's other load cancels out.
//
//	go test ./actors/daemon -run '^$' -bench CheckoutDuringBackup/alternating -benchtime 40000x -count 3
func BenchmarkCheckoutDuringBackup(b *testing.B) {
	const (
		conns = 64
		held  = 20_000
	)
	d := startInProcess(b)
	clients := dialClients(b, d, conns, "bk-")
	var wg sync.WaitGroup
	for i, c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range held / conns {
				dev := fmt.Sprintf("held-%d-%d", i, j)
				if _, err := c.Checkout(context.Background(), wire.Checkout{Feature: "XDT_PLT_CCS", User: dev, Device: dev, ClientHost: "h"}); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	pair := checkoutCheckinPair(clients)
	b.Run("quiet", func(b *testing.B) { runPairs(b, conns, pair) })
	b.Run("backing-up", func(b *testing.B) {
		stop := backupLoop(b, d, func() bool { return true })
		runPairs(b, conns, pair)
		stop()
	})
	// The machine's other load drifts between runs: windows of 250 ms with and without
	// backups alternate within one run, and the pairs acknowledged in each are counted.
	b.Run("alternating", func(b *testing.B) {
		var (
			on      atomic.Bool
			pairsOn atomic.Int64
			pairsOf atomic.Int64
			timeOn  time.Duration
			timeOff time.Duration
			done    = make(chan struct{})
			toggled = make(chan struct{})
		)
		stop := backupLoop(b, d, on.Load)
		go func() {
			defer close(toggled)
			last := time.Now()
			for {
				select {
				case <-done:
					if on.Load() {
						timeOn += time.Since(last)
					} else {
						timeOff += time.Since(last)
					}
					return
				case <-time.After(250 * time.Millisecond):
				}
				now := time.Now()
				if on.Load() {
					timeOn += now.Sub(last)
				} else {
					timeOff += now.Sub(last)
				}
				last = now
				on.Store(!on.Load())
			}
		}()
		runPairs(b, conns, func(i int) error {
			err := pair(i)
			if on.Load() {
				pairsOn.Add(1)
			} else {
				pairsOf.Add(1)
			}
			return err
		})
		close(done)
		<-toggled
		stop()
		if timeOn > 0 && timeOff > 0 {
			with := float64(pairsOn.Load()) / timeOn.Seconds()
			without := float64(pairsOf.Load()) / timeOff.Seconds()
			b.ReportMetric(with, "pairs/s-backing-up")
			b.ReportMetric(without, "pairs/s-quiet")
			b.ReportMetric(with/without, "ratio")
		}
	})
}

// backupLoop makes backups one after the other, while active says so, into new directories
// (each removed once made, to keep the disk's use flat) until the returned stop is called;
// stop reports backups/s and MB/backup.
func backupLoop(b *testing.B, d *daemon.Daemon, active func() bool) (stop func()) {
	root := b.TempDir()
	var (
		quit    = make(chan struct{})
		done    = make(chan struct{})
		backups atomic.Int64
		bytes   atomic.Int64
	)
	go func() {
		defer close(done)
		for n := 0; ; n++ {
			select {
			case <-quit:
				return
			default:
			}
			if !active() {
				time.Sleep(time.Millisecond)
				continue
			}
			dir := filepath.Join(root, fmt.Sprint("b", n))
			info, err := d.Backup(dir)
			if err != nil {
				b.Error(err)
				return
			}
			backups.Add(1)
			bytes.Add(info.Bytes)
			_ = os.RemoveAll(dir)
		}
	}()
	return func() {
		close(quit)
		<-done
		b.ReportMetric(float64(backups.Load())/b.Elapsed().Seconds(), "backups/s")
		if n := backups.Load(); n > 0 {
			b.ReportMetric(float64(bytes.Load())/float64(n)/1e6, "MB/backup")
		}
	}
}
