package daemon

import (
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Passwords are stored as argon2id hashes, a memory-hard function (RFC 9106), in the PHC
// string form "$argon2id$v=19$m=KiB,t=passes,p=lanes$salt$key". Hashes written by earlier
// licd versions with PBKDF2-SHA256 ("pbkdf2-sha256$iterations$salt$key") still verify and
// are replaced by an argon2id hash at the account's next successful login (NeedsRehash).

// argon2Params is the work of one hash: OWASP's argon2id minimum (19 MiB, 2 passes, 1 lane),
// tens of milliseconds on one core. Tests lower it.
var argon2Params = struct {
	memoryKiB, passes uint32
	lanes             uint8
}{19 * 1024, 2, 1}

// passwordIterations is PBKDF2-SHA256's work factor for legacy hashes (OWASP's 2023
// recommendation); each hash stores its count.
var passwordIterations = 600_000

// HashPassword returns the stored form of a password: argon2id with a random 16-byte salt.
func HashPassword(password string) ([]byte, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return nil, fmt.Errorf("password salt: %w", err)
	}
	p := argon2Params
	key := argon2.IDKey([]byte(password), salt, p.passes, p.memoryKiB, p.lanes, 32)
	enc := base64.RawStdEncoding
	return fmt.Appendf(nil, "$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.memoryKiB, p.passes, p.lanes,
		enc.EncodeToString(salt), enc.EncodeToString(key)), nil
}

// hashPBKDF2 is the hash earlier licd versions stored; kept to test their upgrade.
func hashPBKDF2(password string) ([]byte, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return nil, fmt.Errorf("password salt: %w", err)
	}
	key, err := pbkdf2.Key(sha256.New, password, salt, passwordIterations, 32)
	if err != nil {
		return nil, fmt.Errorf("hash the password: %w", err)
	}
	enc := base64.RawStdEncoding
	return []byte("pbkdf2-sha256$" + strconv.Itoa(passwordIterations) + "$" + enc.EncodeToString(salt) + "$" + enc.EncodeToString(key)), nil
}

// NeedsRehash reports whether a stored hash is of an older kind than HashPassword makes.
func NeedsRehash(hash []byte) bool { return !strings.HasPrefix(string(hash), "$argon2id$") }

// VerifyPassword reports whether password matches a stored hash (argon2id or legacy PBKDF2).
func VerifyPassword(hash []byte, password string) bool {
	if strings.HasPrefix(string(hash), "$argon2id$") {
		return verifyArgon2(string(hash), password)
	}
	parts := strings.Split(string(hash), "$")
	if len(parts) != 4 || parts[0] != "pbkdf2-sha256" {
		return false
	}
	iter, err := strconv.Atoi(parts[1])
	if err != nil || iter < 1 || iter > 10_000_000 {
		return false
	}
	enc := base64.RawStdEncoding
	salt, err1 := enc.DecodeString(parts[2])
	want, err2 := enc.DecodeString(parts[3])
	if err1 != nil || err2 != nil || len(want) == 0 || len(want) > 64 {
		return false
	}
	got, err := pbkdf2.Key(sha256.New, password, salt, iter, len(want))
	return err == nil && subtle.ConstantTimeCompare(got, want) == 1
}

func verifyArgon2(hash, password string) bool {
	parts := strings.Split(hash, "$") // "", argon2id, v=19, m=..,t=..,p=.., salt, key
	if len(parts) != 6 || parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return false
	}
	var m, t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil {
		return false
	}
	// Bounds, so that a damaged store cannot make one login allocate gigabytes.
	if m < 8 || m > 1<<20 || t < 1 || t > 16 || p < 1 || p > 16 {
		return false
	}
	enc := base64.RawStdEncoding
	salt, err1 := enc.DecodeString(parts[4])
	want, err2 := enc.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(want) == 0 || len(want) > 64 {
		return false
	}
	got := argon2.IDKey([]byte(password), salt, t, m, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}
