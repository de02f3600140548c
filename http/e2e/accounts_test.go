package e2e

import (
	"io"
	nethttp "net/http"
	"strings"
	"testing"
	"time"
)

// TestAccountsGroupsAndTokens ("Account", "Administrator and User roles"): a User reads
// and changes nothing; put in a group with the admin role it administers; removed from
// it, it reads again. A token's secret is shown once, listed never, and stops working the
// moment it is revoked. A removed account's sessions end. The last administrator stays.
func TestAccountsGroupsAndTokens(t *testing.T) {
	f := newFixture(t, true)
	e := f.start()
	admin := e.admin()
	reader := e.addAccount(admin, "reader", "user", "reader password 1")
	e.wantProblem(e.json(reader, "GET", "/api/v1/accounts", nil), 403, "forbidden")
	e.ok(e.json(reader, "GET", "/api/v1/inventory", nil), nil)

	e.ok(e.json(admin, "PUT", "/api/v1/groups/operators", map[string]any{"role": "admin", "members": []string{"reader"}}), nil)
	e.ok(e.json(reader, "GET", "/api/v1/accounts", nil), nil) // the group's role, at once
	e.wantProblem(e.json(admin, "PUT", "/api/v1/groups/bad", map[string]any{"role": "admin", "members": []string{"ghost"}}), 400, "bad-request")
	e.ok(e.json(admin, "PUT", "/api/v1/groups/operators", map[string]any{"role": "user", "members": []string{"reader"}}), nil)
	e.wantProblem(e.json(reader, "GET", "/api/v1/accounts", nil), 403, "forbidden")
	var groups struct{ Groups []struct{ Name, Role string } }
	e.ok(e.json(admin, "GET", "/api/v1/groups", nil), &groups)
	if len(groups.Groups) != 1 || groups.Groups[0].Role != "user" {
		t.Fatalf("groups: %+v", groups)
	}
	if r := e.json(admin, "DELETE", "/api/v1/groups/operators", nil); r.status != 204 {
		t.Fatalf("remove group: %s", r)
	}

	// Tokens: the secret once, never listed; revoked, it stops at once.
	secret, id := e.token(admin, "backup script", "admin")
	tok := &caller{token: secret}
	e.ok(e.json(tok, "GET", "/api/v1/accounts", nil), nil)
	list := e.json(admin, "GET", "/api/v1/tokens", nil)
	e.ok(list, nil)
	if strings.Contains(string(list.body), secret) || strings.Contains(string(list.body), "hash") || !strings.Contains(string(list.body), id) {
		t.Fatalf("token list: %s", list.body)
	}
	if r := e.json(admin, "DELETE", "/api/v1/tokens/"+id, nil); r.status != 204 {
		t.Fatalf("revoke: %s", r)
	}
	e.wantProblem(e.json(tok, "GET", "/api/v1/accounts", nil), 401, "unauthenticated")
	e.wantProblem(e.json(admin, "POST", "/api/v1/tokens", map[string]string{"name": "x", "scope": "root"}), 400, "bad-request")

	// A removed account's session ends; the last administrator cannot go.
	e.ok(e.json(admin, "DELETE", "/api/v1/accounts/reader", nil), nil)
	e.wantProblem(e.json(reader, "GET", "/api/v1/inventory", nil), 401, "unauthenticated")
	e.wantProblem(e.json(admin, "DELETE", "/api/v1/accounts/admin", nil), 400, "bad-request")
	e.wantProblem(e.json(admin, "POST", "/api/v1/accounts", map[string]string{"name": "admin", "role": "user", "password": "another password"}), 400, "bad-request")
}

// TestProbesPlainHTTPAndAuditRetention: /healthz and /readyz answer without credentials;
// -api-http serves plain HTTP on loopback (its cookie is then not Secure); audit entries
// older than -audit-retention are deleted.
func TestProbesPlainHTTPAndAuditRetention(t *testing.T) {
	f := newFixture(t, true)
	e := f.start("-api-http", "-audit-retention", "2s")
	e.base = strings.Replace(e.base, "https://", "http://", 1)
	e.hc = &nethttp.Client{Timeout: 60 * time.Second}
	for _, p := range []string{"/healthz", "/readyz"} {
		res, err := e.hc.Get(e.base + p)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 200 {
			t.Fatalf("%s: %d %s", p, res.StatusCode, b)
		}
	}
	r := e.json(nil, "POST", "/api/v1/session", map[string]string{"name": "admin", "password": e.initialPassword()})
	e.ok(r, nil)
	if ck := (&nethttp.Response{Header: r.header}).Cookies(); len(ck) != 1 || ck[0].Secure || !ck[0].HttpOnly {
		t.Fatalf("plain HTTP cookie: %+v", ck)
	}
	admin := e.admin()
	first := time.Now()
	count := func() (int, time.Time) {
		var audit struct {
			Entries []struct{ Time time.Time }
		}
		e.ok(e.json(admin, "GET", "/api/v1/audit", nil), &audit)
		oldest := time.Now()
		for _, a := range audit.Entries {
			if a.Time.Before(oldest) {
				oldest = a.Time
			}
		}
		return len(audit.Entries), oldest
	}
	if n, _ := count(); n < 3 {
		t.Fatalf("audit entries of the logins and the password change: %d", n)
	}
	// Wait until the first entries are past the retention and pruned (every second).
	deadline := time.Now().Add(60 * time.Second)
	for {
		_, oldest := count()
		if oldest.After(first) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("audit entries older than the retention are still there (oldest %v)", oldest)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
