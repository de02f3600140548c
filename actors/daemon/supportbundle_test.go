package daemon_test

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/licd/licd/actors/daemon"
	"github.com/licd/licd/license"
	"github.com/licd/licd/storage"
)

// A support bundle of a server with 150,000 user/device records is made from a snapshot,
// holds every record, and none of the API's secrets: an API token (its secret and its
// stored hash) and the proxy setting's password. The time it takes is logged (not
// asserted: the machine is shared).
func TestSupportBundle150kRecordsNoAPISecrets(t *testing.T) {
	if testing.Short() {
		t.Skip("150,000 records")
	}
	const n = 150_000
	clock := &fakeClock{now: time.Now().UTC()}
	dir := t.TempDir()
	lines := []license.LineSpec{{Feature: "XDT_PLT_UD", Count: 200_000, CSS: 20991231, Permanent: true}}
	// Prepare the data directory (keys, licenses), then fill the store before the start.
	d := startDated(t, clock, lines, dir)
	d.Shutdown()
	st, err := storage.Open(filepath.Join(dir, "data", "db"), storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	now := clock.Now().UnixNano()
	for i := 0; i < n; {
		b := storage.NewBatch()
		for j := 0; j < 10_000 && i < n; j, i = j+1, i+1 {
			u, dev := fmt.Sprintf("user%06d@corp.example", i), fmt.Sprintf("device-%06d", i)
			b.PutUDEdge(&storage.UDEdge{Feature: "XDT_PLT_UD", User: u, Device: dev, First: now, LastSeen: now})
			b.PutUDLicense(&storage.UDLicense{Feature: "XDT_PLT_UD", Kind: storage.UDKindUser, Name: u, Since: now, LeaseEnd: now + int64(90*24*time.Hour)})
		}
		if err := st.Commit(b); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	d = startDated(t, clock, lines, dir)
	defer d.Shutdown()

	tok, err := d.CreateToken("monitoring", daemon.ScopeRead, "admin")
	if err != nil {
		t.Fatal(err)
	}
	up, err := daemon.ParseSettingsUpdate([]byte(`{"proxy": "http://proxyuser:Pr0xyPassw0rd@proxy.example.com:3128"}`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.PutSettings(up, "admin"); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	start := time.Now()
	if err := d.WriteSupportBundle(&buf); err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	t.Logf("support bundle of %d user/device records: %d bytes in %s", n, buf.Len(), took)

	zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	var all []byte
	rows := 0
	for _, f := range zr.File {
		rc, _ := f.Open()
		b, _ := io.ReadAll(rc)
		rc.Close()
		all = append(all, b...)
		if f.Name == "state/ud_connections.csv" {
			rows = strings.Count(string(b), "\n") - 1
		}
	}
	if rows != n {
		t.Fatalf("ud_connections.csv has %d records, want %d", rows, n)
	}
	sum := sha256.Sum256([]byte(tok.Secret)) // what the store keeps of the token
	for what, secret := range map[string]string{"API token secret": tok.Secret, "API token hash": hex.EncodeToString(sum[:]), "proxy password": "Pr0xyPassw0rd"} {
		if secret == "" {
			t.Fatalf("no %s to look for", what)
		}
		if bytes.Contains(all, []byte(secret)) {
			t.Errorf("the support bundle carries the %s", what)
		}
	}
	if !bytes.Contains(all, []byte("proxy.example.com:3128")) {
		t.Error("the support bundle lacks the proxy's (redacted) address")
	}
}
