// Package e2eutil is what the end-to-end tests of the API (http/e2e) and of the console
// (http/console/e2e) share about a real licd: the binary built once per test binary, an
// administrator's certificate for the API in a data directory, license files signed for
// the test host, the API's address from the ports file, a client that trusts the API's
// certificate, and the first start's one-time password.
package e2eutil

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	nethttp "net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/licd/licd/bench"
	licdhttp "github.com/licd/licd/http"
	"github.com/licd/licd/license"
)

// Main is a TestMain: it builds licd (and the other commands in more, e.g. "licgen", beside
// it) from the module at moduleDir into a temporary directory, sets *binary to licd's path,
// runs the tests, removes the directory and exits.
func Main(m *testing.M, moduleDir string, binary *string, more ...string) {
	dir, err := os.MkdirTemp("", "licd-e2e-bin")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	*binary, err = bench.BuildLicd(moduleDir, dir, more...)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		_ = os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// InstallCert puts an ECDSA certificate for 127.0.0.1 and localhost with its key in
// DATA/tls, as an administrator does ("Manually install a certificate used by the Citrix
// Licensing Manager"), so that no test waits for licd's 4096-bit RSA key. It returns the
// base64 SHA-256 of the certificate's public key (what Chromium is told to accept).
func InstallCert(t testing.TB, data, org string) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{SerialNumber: serial, Subject: pkix.Name{CommonName: "localhost", Organization: []string{org}},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true, IsCA: true, DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, _ := x509.MarshalPKCS8PrivateKey(key)
	certPath, keyPath := licdhttp.CertPaths(data)
	_ = os.MkdirAll(filepath.Dir(certPath), 0o700)
	if err := os.WriteFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	spki, _ := x509.MarshalPKIXPublicKey(&key.PublicKey)
	sum := sha256.Sum256(spki)
	return base64.StdEncoding.EncodeToString(sum[:])
}

// Issue signs a license file for host with the given lines: permanent, CSS date 2099.1231
// and duplicate grouping V unless they say otherwise.
func Issue(t testing.TB, priv ed25519.PrivateKey, host string, lines ...license.LineSpec) string {
	t.Helper()
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
	text, err := license.IssueFile(license.IssueSpec{HostName: host, Lines: lines}, priv)
	if err != nil {
		t.Fatal(err)
	}
	return text
}

// APIBase is the API's https://127.0.0.1:PORT, from the ports file licd writes in data.
func APIBase(t testing.TB, data string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(data, "ports.json"))
	if err != nil {
		t.Fatal(err)
	}
	var ports struct{ API int }
	if err := json.Unmarshal(b, &ports); err != nil || ports.API == 0 {
		t.Fatalf("ports file %s has no api port: %v", b, err)
	}
	return fmt.Sprintf("https://127.0.0.1:%d", ports.API)
}

// Client is an HTTP client that trusts only the API certificate in force in data.
func Client(t testing.TB, data string) *nethttp.Client {
	t.Helper()
	certPath, _ := licdhttp.CertPaths(data)
	pemBytes, err := os.ReadFile(certPath)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pemBytes) {
		t.Fatalf("%s holds no certificate", certPath)
	}
	return &nethttp.Client{Timeout: 60 * time.Second, Transport: &nethttp.Transport{
		TLSClientConfig: &tls.Config{RootCAs: pool}, DisableKeepAlives: true}}
}

// InitialPassword is the first start's one-time admin password, from its 0600 file.
func InitialPassword(t testing.TB, data string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(data, "initial-admin-password"))
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

// Start starts licd on data with the API on a free port, trusting the vendor public key in
// pub, and stops it (failing the test when it does not stop cleanly) at the test's end.
func Start(t testing.TB, binary, data, host, pub string, args ...string) *bench.Server {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	srv, err := bench.StartServer(ctx, bench.ServerOptions{Binary: binary, DataDir: data, Hostname: host,
		Trust: []string{pub}, Args: append([]string{"-api-port", "-1", "-log-level", "error"}, args...)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := srv.Stop(30 * time.Second); err != nil {
			t.Errorf("licd did not stop cleanly: %v", err)
		}
	})
	return srv
}
