package e2e

import (
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	nethttp "net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	licdhttp "github.com/licd/licd/http"
)

// TestFirstStartCertificateAndLogin: on a first start licd makes a self-signed certificate
// with a 4096-bit RSA key for localhost and its addresses ("Support for 4096 key size"),
// which a client can trust, and an "admin" account whose one-time password is in a 0600
// file; the login's cookie is Secure, HttpOnly and SameSite=Strict; that account can do
// nothing but change its password, which removes the file. An administrator's own
// certificate put in place is used at once after a reread ("Manually install a
// certificate").
func TestFirstStartCertificateAndLogin(t *testing.T) {
	f := newFixture(t, false)
	e := f.start()
	certPath, keyPath := licdhttp.CertPaths(f.dataDir())
	for _, p := range []string{certPath, keyPath, filepath.Join(f.dataDir(), "initial-admin-password")} {
		fi, err := os.Stat(p)
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("%s: %v, mode %v; want a 0600 file", p, err, fi)
		}
	}
	cert := leaf(t, e)
	if k, ok := cert.PublicKey.(*rsa.PublicKey); !ok || k.N.BitLen() != 4096 {
		t.Fatalf("the self-signed certificate's key is %T, want RSA 4096", cert.PublicKey)
	}
	if !contains(cert.DNSNames, "localhost") || !contains(cert.DNSNames, testHost) {
		t.Errorf("certificate names %v, want localhost and %s", cert.DNSNames, testHost)
	}

	// The one-time password: the login says it must be changed, and it must.
	r := e.json(nil, "POST", "/api/v1/session", map[string]string{"name": "admin", "password": e.initialPassword()})
	var si licdhttp.SessionInfo
	e.ok(r, &si)
	ck := (&nethttp.Response{Header: r.header}).Cookies()
	if len(ck) != 1 || !ck[0].Secure || !ck[0].HttpOnly || ck[0].SameSite != nethttp.SameSiteStrictMode || ck[0].MaxAge <= 0 {
		t.Fatalf("session cookie %+v: want Secure, HttpOnly, SameSite=Strict with an expiry", ck)
	}
	if !si.MustChangePassword || si.Role != "admin" || si.CSRFToken == "" || si.IdleTimeoutSec <= 0 || si.Expires.IsZero() {
		t.Fatalf("first login: %+v", si)
	}
	admin := &caller{name: "admin", cookie: ck[0].Value, csrf: si.CSRFToken}
	e.wantProblem(e.json(admin, "GET", "/api/v1/inventory", nil), 403, "password-change-required")
	e.wantProblem(e.json(admin, "POST", "/api/v1/session/password", map[string]string{"current": "wrong", "new": adminPassword}), 422, "wrong-password")
	e.wantProblem(e.json(admin, "POST", "/api/v1/session/password", map[string]string{"current": e.initialPassword(), "new": "short"}), 400, "bad-request")
	initial := e.initialPassword()
	e.ok(e.json(admin, "POST", "/api/v1/session/password", map[string]string{"current": initial, "new": adminPassword}), &si)
	if si.MustChangePassword {
		t.Fatalf("after the change: %+v", si)
	}
	if _, err := os.Stat(filepath.Join(f.dataDir(), "initial-admin-password")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the one-time password file is still there after the change: %v", err)
	}
	e.ok(e.json(admin, "GET", "/api/v1/inventory", nil), nil)
	e.wantProblem(e.json(nil, "POST", "/api/v1/session", map[string]string{"name": "admin", "password": initial}), 401, "bad-credentials")
	e.wantProblem(e.json(nil, "POST", "/api/v1/session", map[string]string{"name": "nobody", "password": initial}), 401, "bad-credentials")

	// The administrator's own certificate, put in place, is used at once after a reread.
	f.installCert("replacement certificate")
	e.ok(e.json(admin, "POST", "/api/v1/server/reread", nil), nil)
	e.hc = e.client() // trusts only the new certificate
	if got := leaf(t, e); got.Subject.Organization[0] != "replacement certificate" {
		t.Fatalf("after the reread the API still serves %v", got.Subject)
	}
	e.ok(e.json(admin, "GET", "/api/v1/server", nil), nil)

	// Logout ends the session.
	r = e.json(admin, "DELETE", "/api/v1/session", nil)
	if r.status != 204 {
		t.Fatalf("logout: %s", r)
	}
	e.wantProblem(e.json(admin, "GET", "/api/v1/server", nil), 401, "unauthenticated")

	// The audit log has the logins, the password change and the failures, with the address.
	admin, _ = e.login("admin", adminPassword)
	var audit struct {
		Entries []struct{ Who, From, Action, Result, Target string }
	}
	e.ok(e.json(admin, "GET", "/api/v1/audit?limit=100", nil), &audit)
	seen := map[string]bool{}
	for _, a := range audit.Entries {
		seen[a.Action+" "+a.Result] = true
		if a.From != "127.0.0.1" {
			t.Errorf("audit entry from %q: %+v", a.From, a)
		}
	}
	for _, want := range []string{"session.login ok", "session.login failed", "account.password ok", "account.password failed", "server.reread ok", "session.logout ok"} {
		if !seen[want] {
			t.Errorf("audit log lacks %q: %+v", want, audit.Entries)
		}
	}
}

func leaf(t *testing.T, e *env) *x509.Certificate {
	t.Helper()
	conn, err := tls.Dial("tcp", strings.TrimPrefix(e.base, "https://"), e.hc.Transport.(*nethttp.Transport).TLSClientConfig)
	if err != nil {
		t.Fatalf("TLS with licd's certificate trusted: %v", err)
	}
	defer conn.Close()
	return conn.ConnectionState().PeerCertificates[0]
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// TestFailedLoginsAreRateLimited: after five failed logins of an account, its logins are
// refused (429 with Retry-After), even with the right password, and the lock-out is in
// the audit log; other accounts still log in.
func TestFailedLoginsAreRateLimited(t *testing.T) {
	f := newFixture(t, true)
	e := f.start()
	admin := e.admin()
	e.ok(e.json(admin, "POST", "/api/v1/accounts", map[string]string{"name": "victim", "role": "user", "password": "victim password 1"}), nil)
	for i := 0; i < 5; i++ {
		e.wantProblem(e.json(nil, "POST", "/api/v1/session", map[string]string{"name": "victim", "password": fmt.Sprint("guess ", i)}), 401, "bad-credentials")
	}
	r := e.json(nil, "POST", "/api/v1/session", map[string]string{"name": "victim", "password": "victim password 1"})
	e.wantProblem(r, 429, "rate-limited")
	if r.header.Get("Retry-After") == "" {
		t.Errorf("a 429 without Retry-After: %v", r.header)
	}
	e.login("admin", adminPassword) // another account is not locked out
	var audit struct {
		Entries []struct{ Who, Action, Result string }
	}
	e.ok(e.json(admin, "GET", "/api/v1/audit", nil), &audit)
	locked := 0
	for _, a := range audit.Entries {
		if a.Action == "session.login" && a.Who == "victim" && a.Result == "locked" {
			locked++
		}
	}
	if locked < 2 { // the failure that locked it, and the refused login
		t.Errorf("the lock-out is not in the audit log: %+v", audit.Entries)
	}
}
