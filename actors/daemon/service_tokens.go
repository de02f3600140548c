package daemon

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/licd/licd/storage"
	"github.com/licd/licd/wire"
)

// API tokens are bearer credentials an administrator creates for scripts and monitoring.
// Only a SHA-256 of the secret is stored (the secret is 256 random bits, so no slow hash is
// needed); the secret is shown once, when the token is made.
const (
	ScopeRead  = "read"
	ScopeAdmin = "admin"
)

// APIToken is a token as listed: never its secret or hash.
type APIToken struct {
	ID      string    `json:"id"`
	Name    string    `json:"name"`
	Scope   string    `json:"scope"`
	Owner   string    `json:"owner"`
	Created time.Time `json:"created"`
	Hash    string    `json:"hash,omitempty"`
}

// NewToken is a created token with its secret.
type NewToken struct {
	APIToken
	Secret string `json:"secret"`
}

func tokenKey(id string) string { return "api-token/" + id }

// CreateToken makes a token for owner.
func (d *Daemon) CreateToken(name, scope, owner string) (*NewToken, error) {
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 128 {
		return nil, wire.Errorf(wire.CodeBadRequest, "a token needs a name of 1 to 128 characters, saying what uses it (\"prometheus\", \"backup script\")")
	}
	if scope != ScopeRead && scope != ScopeAdmin {
		return nil, wire.Errorf(wire.CodeBadRequest, fmt.Sprintf("scope %q: use read or admin", scope))
	}
	idb := make([]byte, 6)
	_, _ = rand.Read(idb)
	id := hex.EncodeToString(idb)
	secret := "licd_" + id + "_" + rand.Text() + rand.Text()
	sum := sha256.Sum256([]byte(secret))
	t := APIToken{ID: id, Name: name, Scope: scope, Owner: owner, Created: d.now().UTC(), Hash: hex.EncodeToString(sum[:])}
	b := storage.NewBatch()
	putJSONSetting(b, tokenKey(id), t)
	if err := d.store.Commit(b); err != nil {
		return nil, fmt.Errorf("store the token: %w", err)
	}
	t.Hash = ""
	return &NewToken{APIToken: t, Secret: secret}, nil
}

// ListTokens lists every token, without hashes.
func (d *Daemon) ListTokens() ([]APIToken, error) {
	raw, err := d.store.Settings("api-token/")
	if err != nil {
		return nil, fmt.Errorf("read the tokens: %w", err)
	}
	out := []APIToken{}
	for _, k := range sortedKeys(raw) {
		var t APIToken
		if err := decodeJSONSetting(k, raw[k], &t); err != nil {
			return nil, err
		}
		t.Hash = ""
		out = append(out, t)
	}
	return out, nil
}

// RevokeToken deletes a token: it stops working at once.
func (d *Daemon) RevokeToken(id string) error {
	var t APIToken
	ok, err := getJSONSetting(d.store, tokenKey(id), &t)
	if err != nil {
		return err
	}
	if !ok || !validTokenID(id) {
		return wire.Errorf(wire.CodeBadRequest, fmt.Sprintf("no token %q; GET /api/v1/tokens lists them", id))
	}
	b := storage.NewBatch()
	b.DeleteSetting(tokenKey(id))
	if err := d.store.Commit(b); err != nil {
		return fmt.Errorf("revoke the token: %w", err)
	}
	return nil
}

// TokenPrincipal checks a bearer secret: the principal is the token's owner with the
// token's scope as its role at most (a read token of an administrator reads only; an
// owner demoted or removed takes its tokens' rights with it).
func (d *Daemon) TokenPrincipal(secret string) (*Principal, *APIToken, error) {
	rest, ok := strings.CutPrefix(secret, "licd_")
	id, _, ok2 := strings.Cut(rest, "_")
	if !ok || !ok2 || !validTokenID(id) {
		return nil, nil, ErrBadCredentials
	}
	var t APIToken
	found, err := getJSONSetting(d.store, tokenKey(id), &t)
	if err != nil {
		return nil, nil, err
	}
	sum := sha256.Sum256([]byte(secret))
	if !found || subtle.ConstantTimeCompare([]byte(hex.EncodeToString(sum[:])), []byte(t.Hash)) != 1 {
		return nil, nil, ErrBadCredentials
	}
	p, err := d.PrincipalOf(t.Owner)
	if err != nil {
		return nil, nil, err
	}
	if p == nil {
		return nil, nil, ErrBadCredentials
	}
	if t.Scope != ScopeAdmin {
		p.Role = RoleUser
	}
	p.MustChangePassword = false // a token is not a password login
	t.Hash = ""
	return p, &t, nil
}

func validTokenID(id string) bool {
	if len(id) != 12 {
		return false
	}
	_, err := hex.DecodeString(id)
	return err == nil
}
