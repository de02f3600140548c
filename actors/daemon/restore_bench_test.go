package daemon_test

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/licd/licd/actors/daemon"
	"github.com/licd/licd/license"
	"github.com/licd/licd/storage"
)

// BenchmarkRestoreMillionUserDeviceRecords: a licd whose store holds 1,000,000 user/device
// connection records (and their licenses) over four features starts, rebuilds every
// feature actor from Pebble and serves. It reports the start-up time and the heap the
// records take once restored.
func BenchmarkRestoreMillionUserDeviceRecords(b *testing.B) {
	const (
		features = 4
		pairs    = 1_000_000
	)
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
	var lines []license.LineSpec
	for f := range features {
		lines = append(lines, license.LineSpec{Feature: fmt.Sprintf("XD%d_PLT_UD", f), Count: pairs, CSS: 20991231, Permanent: true})
	}
	startup, _ := license.StartupLicenseFile(testHost, priv)
	text, err := license.IssueFile(license.IssueSpec{HostName: testHost, Lines: lines}, priv)
	if err != nil {
		b.Fatal(err)
	}
	for name, body := range map[string]string{"citrix_startup.lic": startup, "ud.lic": text} {
		if err := os.WriteFile(filepath.Join(lic, name), []byte(body), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	// The records, written as the user/device actors write them: users with one to three
	// devices, a license per user.
	st, err := storage.Open(filepath.Join(dir, "data", "db"), storage.Options{})
	if err != nil {
		b.Fatal(err)
	}
	now := time.Now().UnixNano()
	batch := storage.NewBatch()
	for i := range pairs {
		feature := fmt.Sprintf("XD%d_PLT_UD", i%features)
		user := fmt.Sprintf("user%07d", i/2)
		batch.PutUDEdge(&storage.UDEdge{Feature: feature, User: user, Device: fmt.Sprintf("dev%07d", i), First: now, LastSeen: now})
		if i%2 == 0 {
			batch.PutUDLicense(&storage.UDLicense{Feature: feature, Kind: storage.UDKindUser, Name: user, Since: now})
		}
		if batch.Len() >= 50_000 {
			if err := st.Commit(batch); err != nil {
				b.Fatal(err)
			}
			batch.Reset()
		}
	}
	if err := st.Commit(batch); err != nil {
		b.Fatal(err)
	}
	if err := st.Close(); err != nil {
		b.Fatal(err)
	}
	var before runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	b.ResetTimer()
	for range b.N {
		start := time.Now()
		d, err := daemon.Start(daemon.Config{DataDir: filepath.Join(dir, "data"), Hostname: testHost, ListenHost: "127.0.0.1",
			LMPort: -1, VendorPort: -1, TrustedKeys: []string{filepath.Join(keys, "vendor.pub")}, DebugLog: discard{}})
		if err != nil {
			b.Fatal(err)
		}
		usage, err := d.Engine().UDUsage("", time.Minute) // every feature actor has restored
		if err != nil {
			b.Fatal(err)
		}
		elapsed := time.Since(start)
		n := 0
		for _, u := range usage {
			n += u.Pairs
		}
		if n != pairs {
			b.Fatalf("restored %d pairs, want %d", n, pairs)
		}
		var after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(elapsed.Seconds(), "s/start")
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/pairs, "heap-B/record")
		d.Shutdown()
	}
}
