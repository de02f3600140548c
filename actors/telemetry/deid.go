package telemetry

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
)

// SecretBytes is the length of the per-install de-identification secret.
const SecretBytes = 32

// Deidentifier replaces user ids, device names and host names with keyed hashes
// (What's new, build 48000: "de-identifies the following identifiers before uploading
// them: Users ID, Device Name, Fully Qualified Domain Name (FQDN)"; "PrivacySetting":
// "scramble PII"). The key is a per-install secret that never leaves the server, so a
// receiver cannot reverse a hash by hashing guessed names, while the same name gives the
// same hash in every bundle: counts and trends stay meaningful.
type Deidentifier struct{ key []byte }

// NewDeidentifier keys a Deidentifier with the install's secret.
func NewDeidentifier(secret []byte) (*Deidentifier, error) {
	if len(secret) < 16 {
		return nil, fmt.Errorf("telemetry: the de-identification secret has %d bytes, at least 16 are needed", len(secret))
	}
	return &Deidentifier{key: append([]byte(nil), secret...)}, nil
}

// The hash domains: a user and a device of the same name hash differently.
const (
	domainUser     = "user"
	domainDevice   = "device"
	domainHost     = "host"
	domainHardware = "hardware"
)

// User is a user id's hash.
func (d *Deidentifier) User(name string) string { return d.hash(domainUser, name) }

// Device is a device name's hash.
func (d *Deidentifier) Device(name string) string { return d.hash(domainDevice, name) }

// Host is a host name's (FQDN's) hash.
func (d *Deidentifier) Host(name string) string { return d.hash(domainHost, name) }

// Hardware is the hardware id: the machine's identity, always hashed.
func (d *Deidentifier) Hardware(id string) string { return d.hash(domainHardware, id) }

// hash is the first 64 bits of HMAC-SHA256(secret, domain NUL name), in upper-case hex
// like the manual's scrambled examples ("1EC4ED037766AA18").
func (d *Deidentifier) hash(domain, name string) string {
	m := hmac.New(sha256.New, d.key)
	m.Write([]byte(domain))
	m.Write([]byte{0})
	m.Write([]byte(name))
	return strings.ToUpper(hex.EncodeToString(m.Sum(nil)[:8]))
}
