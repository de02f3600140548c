package daemon_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/licd/licd/wire"
)

// BenchmarkCheckoutDuringBackup: what an online backup costs the checkout path. 64 product
// connections check out and in over loopback (every decision durable) against a server that
// holds 20,000 more grants, with no backup ("quiet") and while backups are made one after
// the other into new directories ("backing-up": checkpoint, copies, SHA-256 of every file).
// The ratio of the two pairs/s figures is the backup's cost; backups/s says how many were
// made meanwhile.
//
//	go test ./actors/daemon -run '^$' -bench CheckoutDuringBackup -benchtime 20000x -count 3
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
		root := b.TempDir()
		var (
			stop    = make(chan struct{})
			done    = make(chan struct{})
			backups atomic.Int64
			bytes   atomic.Int64
		)
		go func() {
			defer close(done)
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				dir := filepath.Join(root, fmt.Sprint("b", n))
				info, err := d.Backup(dir)
				if err != nil {
					b.Error(err)
					return
				}
				backups.Add(1)
				bytes.Add(info.Bytes)
				_ = os.RemoveAll(dir) // keep the disk's use flat
			}
		}()
		runPairs(b, conns, pair)
		close(stop)
		<-done
		b.ReportMetric(float64(backups.Load())/b.Elapsed().Seconds(), "backups/s")
		if n := backups.Load(); n > 0 {
			b.ReportMetric(float64(bytes.Load())/float64(n)/1e6, "MB/backup")
		}
	})
}
