package license

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// Key files (see SIGNING.md): vendor.key holds the Ed25519 private key as a PKCS#8 PEM block
// ("PRIVATE KEY"), vendor.pub the public key as a PKIX PEM block ("PUBLIC KEY"), each after a
// "#" comment line saying what it is. These are the standard forms OpenSSL reads and writes
// (openssl pkey -in vendor.key -pubout), so keys can be made and inspected without licgen.
const (
	PrivateKeyFile = "vendor.key"
	PublicKeyFile  = "vendor.pub"
)

// GenerateKey makes a new Ed25519 key pair from the system's random source.
func GenerateKey() (ed25519.PublicKey, ed25519.PrivateKey, error) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("generate Ed25519 key pair: %w", err)
	}
	return pub, priv, nil
}

// WriteKeyPair writes dir/vendor.pub and dir/vendor.key (mode 0600), creating dir. It refuses
// to overwrite an existing vendor.key, so that a signing key is never lost by accident.
func WriteKeyPair(dir string, pub ed25519.PublicKey, priv ed25519.PrivateKey) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create key directory: %w", err)
	}
	privDER, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return fmt.Errorf("encode private key: %w", err)
	}
	pubDER, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return fmt.Errorf("encode public key: %w", err)
	}
	privPath := filepath.Join(dir, PrivateKeyFile)
	f, err := os.OpenFile(privPath, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		if errors.Is(err, os.ErrExist) {
			return fmt.Errorf("%s already exists; licgen never overwrites a signing key: move it away or choose another directory", privPath)
		}
		return fmt.Errorf("create private key file: %w", err)
	}
	text := "# licd vendor signing key (Ed25519, PKCS#8). Keep it secret: it signs license files.\n" +
		string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: privDER}))
	if _, err := f.WriteString(text); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", privPath, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", privPath, err)
	}
	pubText := "# licd vendor public key (Ed25519, PKIX). licd verifies license files with it.\n" +
		string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER}))
	pubPath := filepath.Join(dir, PublicKeyFile)
	if err := os.WriteFile(pubPath, []byte(pubText), 0o644); err != nil {
		return fmt.Errorf("write public key: %w", err)
	}
	return nil
}

// ReadPrivateKey reads a vendor.key file.
func ReadPrivateKey(path string) (ed25519.PrivateKey, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read private key: %w", err)
	}
	block, _ := pem.Decode(data)
	if block == nil || block.Type != "PRIVATE KEY" {
		return nil, fmt.Errorf("%s: no PEM \"PRIVATE KEY\" block; give the vendor.key file that `licgen keygen` wrote", path)
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("%s: decode private key: %w", path, err)
	}
	priv, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("%s: the key is a %T, not an Ed25519 key; make one with `licgen keygen`", path, k)
	}
	return priv, nil
}

// ReadPublicKey reads the first public key of a vendor.pub file.
func ReadPublicKey(path string) (ed25519.PublicKey, error) {
	keys, err := ReadPublicKeys(path)
	if err != nil {
		return nil, err
	}
	return keys[0], nil
}

// ReadPublicKeys reads every PEM "PUBLIC KEY" block of the files; a file may hold several
// (old and new keys while a vendor rotates). Each file must hold at least one.
func ReadPublicKeys(paths ...string) ([]ed25519.PublicKey, error) {
	var keys []ed25519.PublicKey
	for _, path := range paths {
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("read public key: %w", err)
		}
		n := 0
		for {
			var block *pem.Block
			block, data = pem.Decode(data)
			if block == nil {
				break
			}
			if block.Type != "PUBLIC KEY" {
				continue
			}
			k, err := x509.ParsePKIXPublicKey(block.Bytes)
			if err != nil {
				return nil, fmt.Errorf("%s: decode public key: %w", path, err)
			}
			pub, ok := k.(ed25519.PublicKey)
			if !ok {
				return nil, fmt.Errorf("%s: the key is a %T, not an Ed25519 key; use the vendor.pub that `licgen keygen` wrote", path, k)
			}
			keys = append(keys, pub)
			n++
		}
		if n == 0 {
			return nil, fmt.Errorf("%s: no PEM \"PUBLIC KEY\" block; give the vendor.pub file that `licgen keygen` wrote", path)
		}
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("no public key files given")
	}
	return keys, nil
}
