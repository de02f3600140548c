package daemon_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/licd/licd/bench"
	"github.com/licd/licd/license"
	"github.com/licd/licd/wire"
)

// selfSigned writes a certificate for 127.0.0.1 and its key into dir and returns their
// paths and a pool that trusts it.
func selfSigned(t *testing.T, dir string) (certPath, keyPath string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "licd-test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certPath, keyPath = filepath.Join(dir, "product.crt"), filepath.Join(dir, "product.key")
	if err := os.WriteFile(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certPath, keyPath, pool
}

// Product authentication (README "Security"): with a secrets file, a hello needs its
// product's secret; with TLS required, a plain connection is told why and closed, and a
// product configured with TLS and its secret works as before.
func TestProductCredentialAndTLS(t *testing.T) {
	f := newFixture(t)
	f.issue("ccs.lic", license.LineSpec{Feature: "XDT_PLT_CCS", Count: 10})
	certPath, keyPath, pool := selfSigned(t, f.dir)
	secrets := filepath.Join(f.dir, "product-secrets")
	if err := os.WriteFile(secrets, []byte("# client id, secret\nddc-a   alpha-secret\n* fleet-secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s := f.start("-product-secrets", secrets, "-product-tls-cert", certPath, "-product-tls-key", keyPath,
		"-product-require-tls", "-product-strict-loopback")
	tlsCfg := &tls.Config{RootCAs: pool}

	// Plain: told to use TLS, then closed.
	rc, err := wire.DialRaw(ctx(t), s.VendorAddr(), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	_ = rc.SetDeadline(time.Now().Add(10 * time.Second))
	fr, err := rc.Next()
	if err != nil || fr.Type != wire.TypeProtocolError {
		t.Fatalf("plain connection: got %v %v, want a protocol error saying TLS is required", fr.Type, err)
	}
	var pe wire.ProtocolError
	if err := fr.Decode(&pe); err != nil || pe.Code != wire.CodeNotAuthenticated || !strings.Contains(pe.Detail, "TLS") {
		t.Fatalf("plain connection: %+v %v", pe, err)
	}
	rc.Close()

	dialAs := func(id string, secret string) (*wire.Client, error) {
		c, err := wire.Dial(ctx(t), []string{s.VendorAddr()}, wire.ClientOptions{ClientID: id, Product: "XDT", Host: id,
			Credential: []byte(secret), TLS: tlsCfg, RequestTimeout: 5 * time.Second})
		if err == nil {
			t.Cleanup(func() { _ = c.Close() })
		}
		return c, err
	}
	for _, tc := range []struct{ id, secret string }{{"ddc-a", ""}, {"ddc-a", "fleet-secret"}, {"ddc-a", "alpha-secreT"}} {
		if _, err := dialAs(tc.id, tc.secret); err == nil || !strings.Contains(err.Error(), "-1015") {
			t.Fatalf("hello as %s with secret %q: %v, want code -1015 (not authenticated)", tc.id, tc.secret, err)
		}
	}
	for _, tc := range []struct{ id, secret string }{{"ddc-a", "alpha-secret"}, {"ddc-b", "fleet-secret"}} {
		c, err := dialAs(tc.id, tc.secret)
		if err != nil {
			t.Fatalf("hello as %s with its secret over TLS: %v", tc.id, err)
		}
		grant(t, c, "XDT_PLT_CCS", "pc-"+tc.id, 20240101)
	}
}

// A secrets file other users can read is refused at start, with the way out.
func TestLooseProductSecretsFileIsRefused(t *testing.T) {
	f := newFixture(t)
	secrets := filepath.Join(f.dir, "product-secrets")
	if err := os.WriteFile(secrets, []byte("* s\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(secrets, 0o644); err != nil {
		t.Fatal(err)
	}
	c, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	s, err := bench.StartServer(c, bench.ServerOptions{Binary: licdBinary, DataDir: filepath.Join(f.dir, "data"),
		Hostname: testHost, Trust: []string{f.pubPath}, Args: []string{"-product-secrets", secrets}})
	if err == nil {
		_ = s.Stop(10 * time.Second)
		t.Fatal("licd started with a world-readable product secrets file")
	}
	if !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("start-up error %v does not say what to do", err)
	}
}
