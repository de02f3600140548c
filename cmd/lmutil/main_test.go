package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/licd/licd/bench"
	"github.com/licd/licd/license"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// bins are the licd and lmutil binaries TestMain builds; vendor is the key test licenses
// are signed with.
var bins struct {
	dir, licd, lmutil string
	pubKey            string
	priv              ed25519.PrivateKey
}

func TestMain(m *testing.M) {
	flag.Parse()
	os.Exit(testMain(m))
}

func testMain(m *testing.M) int {
	dir, err := os.MkdirTemp("", "lmutil-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	bins.dir = dir
	if bins.licd, err = bench.BuildLicd("../..", dir, "lmutil"); err != nil {
		fmt.Fprintln(os.Stderr, "build licd and lmutil:", err)
		return 1
	}
	bins.lmutil = filepath.Join(dir, "lmutil")
	pub, priv, err := license.GenerateKey()
	if err == nil {
		err = license.WriteKeyPair(filepath.Join(dir, "vendor"), pub, priv)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	bins.pubKey, bins.priv = filepath.Join(dir, "vendor", license.PublicKeyFile), priv
	defer stopServers()
	return m.Run()
}

// testHost is the host name the test servers serve as and their licenses are bound to.
const testHost = "lmtest"

// testServer is a real licd process with test licenses.
type testServer struct {
	*bench.Server
	data string
}

var (
	serversMu sync.Mutex
	servers   []*testServer
)

func stopServers() {
	for _, c := range cleanups {
		c()
	}
	serversMu.Lock()
	defer serversMu.Unlock()
	for _, s := range servers {
		select {
		case <-s.Exited():
		default:
			_ = s.Stop(10 * time.Second)
		}
	}
}

// startServer starts licd with the license files given (name -> lines) in its MyFiles.
func startServer(t *testing.T, files map[string][]license.LineSpec, args ...string) *testServer {
	t.Helper()
	s, err := launch(t.Name(), files, args...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// launch starts a licd process in a data directory of its own (under the test's temporary
// directory) and registers it to be stopped when the tests end.
func launch(name string, files map[string][]license.LineSpec, args ...string) (*testServer, error) {
	data := filepath.Join(bins.dir, strings.NewReplacer("/", "_", " ", "_").Replace(name))
	if err := os.MkdirAll(filepath.Join(data, "MyFiles"), 0o755); err != nil {
		return nil, err
	}
	for file, lines := range files {
		if err := writeLicense(filepath.Join(data, "MyFiles", file), lines); err != nil {
			return nil, err
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	s, err := bench.StartServer(ctx, bench.ServerOptions{Binary: bins.licd, DataDir: data, Hostname: testHost,
		Trust: []string{bins.pubKey}, Args: args})
	if err != nil {
		return nil, err
	}
	ts := &testServer{Server: s, data: data}
	serversMu.Lock()
	servers = append(servers, ts)
	serversMu.Unlock()
	return ts, nil
}

func writeLicense(path string, lines []license.LineSpec) error {
	text, err := license.IssueFile(license.IssueSpec{HostName: testHost, Lines: lines}, bins.priv)
	if err != nil {
		return err
	}
	return os.WriteFile(path, []byte(text), 0o644)
}

// fixedNow is the clock of in-process runs: lmstat's header date is then the same in every
// run.
var fixedNow = time.Date(2025, 5, 15, 13, 41, 0, 0, time.Local)

// result is one in-process run of a utility.
type result struct {
	stdout, stderr string
	code           int
}

// runIn runs a utility in-process the way the binary would (name as invoked, args), with
// stdin, a fixed clock and no license-file variables from the test's environment.
func runIn(t *testing.T, stdin string, name string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	e := &env{stdin: strings.NewReader(stdin), stdout: &out, stderr: &errb,
		getenv: func(string) string { return "" }, now: func() time.Time { return fixedNow }}
	code := e.dispatch(name, args)
	return result{stdout: out.String(), stderr: errb.String(), code: code}
}

// golden compares got with testdata/NAME.golden, or rewrites it under -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run %s -update to create it)", err, t.Name())
	}
	if got != string(want) {
		t.Errorf("%s differs from %s (go test -update rewrites it):\n--- got\n%s\n--- want\n%s", name, path, got, want)
	}
}
