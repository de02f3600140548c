package http

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"go.uber.org/zap"
)

// The API's certificate ("Support for 4096 key size in self-signed certificates",
// "Manually install a certificate used by the Citrix Licensing Manager and Web Services for
// Licensing"): on a first start licd makes a self-signed certificate with a 4096-bit RSA
// key for its host name, localhost and its addresses, in DATA/tls (0600 files in a 0700
// directory). An administrator may put their own certificate (PEM, with its chain) and key
// in those two files: licd uses them at the next start, or at once on a reread (lmreread,
// POST /api/v1/reread).
const (
	certFileName = "api.crt"
	keyFileName  = "api.key"
	// DefaultKeyBits is the self-signed certificate's RSA key size.
	DefaultKeyBits = 4096
)

type certStore struct {
	certPath, keyPath string
	cur               atomic.Pointer[tls.Certificate]
	log               *zap.Logger
}

// CertPaths are the certificate and key files of a data directory.
func CertPaths(dataDir string) (cert, key string) {
	dir := filepath.Join(dataDir, "tls")
	return filepath.Join(dir, certFileName), filepath.Join(dir, keyFileName)
}

// loadOrCreateCert loads the certificate of dataDir, or makes a self-signed one.
func loadOrCreateCert(dataDir, hostname string, bits int, log *zap.Logger) (*certStore, bool, error) {
	cs := &certStore{log: log}
	cs.certPath, cs.keyPath = CertPaths(dataDir)
	created := false
	if _, err := os.Stat(cs.certPath); errors.Is(err, os.ErrNotExist) {
		if err := selfSign(cs.certPath, cs.keyPath, hostname, bits); err != nil {
			return nil, false, fmt.Errorf("make the API's self-signed certificate: %w", err)
		}
		created = true
	}
	c, err := tls.LoadX509KeyPair(cs.certPath, cs.keyPath)
	if err != nil {
		return nil, false, fmt.Errorf("load the API's certificate %s and key %s: %w (replace them with a PEM certificate and its key, or delete both to have a self-signed one made)", cs.certPath, cs.keyPath, err)
	}
	cs.cur.Store(&c)
	return cs, created, nil
}

// reload puts the certificate files in force again; a pair that does not load leaves the
// one in force, with a warning.
func (cs *certStore) reload() {
	c, err := tls.LoadX509KeyPair(cs.certPath, cs.keyPath)
	if err != nil {
		cs.log.Warn("the API's certificate was not reloaded; the one in force stays", zap.String("cert", cs.certPath), zap.Error(err))
		return
	}
	cs.cur.Store(&c)
	cs.log.Info("the API's certificate was reloaded", zap.String("cert", cs.certPath))
}

func (cs *certStore) get(*tls.ClientHelloInfo) (*tls.Certificate, error) { return cs.cur.Load(), nil }

func selfSign(certPath, keyPath, hostname string, bits int) error {
	if bits < 1024 {
		return fmt.Errorf("an RSA key of %d bits is too small", bits)
	}
	if err := os.MkdirAll(filepath.Dir(certPath), 0o700); err != nil {
		return err
	}
	_ = os.Chmod(filepath.Dir(certPath), 0o700)
	key, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		return err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return err
	}
	names := []string{"localhost"}
	if hostname != "" && hostname != "localhost" {
		names = append([]string{hostname}, names...)
	}
	ips := []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback}
	if addrs, err := net.InterfaceAddrs(); err == nil {
		for _, a := range addrs {
			if n, ok := a.(*net.IPNet); ok && !n.IP.IsLoopback() {
				ips = append(ips, n.IP)
			}
		}
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: names[0], Organization: []string{"licd self-signed"}},
		NotBefore:    now.Add(-time.Hour), NotAfter: now.AddDate(10, 0, 0),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true, IsCA: true, // its own root, so that clients can trust exactly it
		DNSNames: names, IPAddresses: ips,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return err
	}
	if err := writeFile0600(keyPath, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})); err != nil {
		return err
	}
	return writeFile0600(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}

func writeFile0600(path string, b []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	if err := os.Chmod(tmp, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
