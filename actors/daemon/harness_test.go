package daemon_test

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/licd/licd/bench"
	"github.com/licd/licd/license"
	"github.com/licd/licd/wire"
)

// licdBinary is built once for every end-to-end test of the package.
var licdBinary string

func TestMain(m *testing.M) {
	// A thousand connections need two thousand descriptors between this process and licd
	// (which inherits the limit).
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err == nil && lim.Cur < lim.Max {
		lim.Cur = lim.Max
		_ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim)
	}
	dir, err := os.MkdirTemp("", "licd-e2e-bin")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	licdBinary, err = bench.BuildLicd("../..", dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

const testHost = "licd-test-host"

// fixture is a data directory with a vendor key pair and license files signed by it.
type fixture struct {
	t       testing.TB
	dir     string
	pubPath string
	priv    ed25519.PrivateKey
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	dir := t.TempDir()
	pub, priv, err := license.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	keys := filepath.Join(dir, "test-keys")
	if err := license.WriteKeyPair(keys, pub, priv); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "data", "MyFiles"), 0o755); err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, dir: dir, pubPath: filepath.Join(keys, "vendor.pub"), priv: priv}
	startup, err := license.StartupLicenseFile(testHost, priv)
	if err != nil {
		t.Fatal(err)
	}
	f.writeFile("citrix_startup.lic", startup)
	return f
}

func (f *fixture) licenseDir() string { return filepath.Join(f.dir, "data", "MyFiles") }

func (f *fixture) writeFile(name, text string) {
	f.t.Helper()
	if err := os.WriteFile(filepath.Join(f.licenseDir(), name), []byte(text), 0o644); err != nil {
		f.t.Fatal(err)
	}
}

// issue writes a signed license file with the given lines.
func (f *fixture) issue(name string, lines ...license.LineSpec) {
	f.t.Helper()
	for i := range lines {
		if lines[i].Expiry.IsZero() && !lines[i].Permanent {
			lines[i].Permanent = true
		}
		if lines[i].CSS == 0 {
			lines[i].CSS = 20991231
		}
		if lines[i].DupGroup == "" {
			lines[i].DupGroup = "V"
		}
	}
	text, err := license.IssueFile(license.IssueSpec{HostName: testHost, Lines: lines}, f.priv)
	if err != nil {
		f.t.Fatal(err)
	}
	f.writeFile(name, text)
}

// start starts a real licd process on the fixture's data directory.
func (f *fixture) start(args ...string) *bench.Server {
	f.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := bench.StartServer(ctx, bench.ServerOptions{Binary: licdBinary, DataDir: filepath.Join(f.dir, "data"),
		Hostname: testHost, Trust: []string{f.pubPath}, Args: args})
	if err != nil {
		f.t.Fatal(err)
	}
	f.t.Cleanup(func() {
		select {
		case <-s.Exited():
		default:
			if err := s.Stop(20 * time.Second); err != nil {
				f.t.Errorf("stop licd: %v", err)
			}
		}
	})
	return s
}

var productSeq int

// dial connects a product server to s.
func dial(t *testing.T, s *bench.Server, product string) *wire.Client {
	t.Helper()
	productSeq++
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := wire.Dial(ctx, []string{s.Addr()}, wire.ClientOptions{
		ClientID: fmt.Sprintf("%s-%s-%d", t.Name(), product, productSeq), Product: product,
		Host: fmt.Sprintf("ddc-%d.example.com", productSeq), Edition: "PLT", Model: "CCS",
		VersionDate: 20240101, RequestTimeout: 10 * time.Second,
	})
	if err != nil {
		t.Fatalf("dial %s: %v\n%s", s.Addr(), err, s.Output())
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func ctx(t testing.TB) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return c
}

// checkout is a concurrent checkout of feature by device.
func checkout(t *testing.T, c *wire.Client, feature, device string, version uint32) (wire.Grant, error) {
	t.Helper()
	return c.Checkout(ctx(t), wire.Checkout{Feature: feature, User: "user-" + device, Device: device,
		ClientHost: "client-" + device, Display: "XDT", VersionDate: version})
}

// grant is a checkout that must succeed.
func grant(t *testing.T, c *wire.Client, feature, device string, version uint32) wire.Grant {
	t.Helper()
	g, err := checkout(t, c, feature, device, version)
	if err != nil {
		t.Fatalf("checkout of %s by %s denied: %v", feature, device, err)
	}
	return g
}

func wantCode(t *testing.T, err error, code wire.Code) {
	t.Helper()
	we, ok := err.(*wire.Error)
	if !ok || we.Code != code {
		t.Fatalf("got %v, want code %d (%s)", err, code, code.Text())
	}
}

// featureStatus fetches one feature's status from the server.
func featureStatus(t *testing.T, c *wire.Client, feature string) wire.FeatureStatus {
	t.Helper()
	st, err := c.Status(ctx(t), feature)
	if err != nil {
		t.Fatalf("status of %s: %v", feature, err)
	}
	for _, f := range st.Features {
		if f.Feature == feature {
			return f
		}
	}
	t.Fatalf("status has no %s: %+v", feature, st.Features)
	return wire.FeatureStatus{}
}

// eventually polls cond until it holds or the deadline passes.
func eventually(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", within, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func farFuture() time.Time { return time.Now().AddDate(5, 0, 0).UTC().Truncate(24 * time.Hour) }
func longAgo() time.Time   { return time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC) }

// serverRSS is a process's resident memory, from /proc.
func serverRSS(t *testing.T, pid int) int64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, err := strconv.ParseInt(f[1], 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return kb << 10
		}
	}
	t.Fatal("no VmRSS in /proc status")
	return 0
}
