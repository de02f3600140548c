package daemon

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/licd/licd/storage"
	"github.com/licd/licd/wire"
)

var accountsNow = time.Date(2025, 5, 15, 13, 41, 0, 0, time.UTC)

// accountsDaemon is a daemon with only what accountsOp uses: a store and a clock. The
// password work factor is lowered so that the tests hash quickly.
func accountsDaemon(t *testing.T, dir string) *Daemon {
	t.Helper()
	st, err := storage.Open(dir, storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	old, oldArgon := passwordIterations, argon2Params
	passwordIterations = 1000
	argon2Params.memoryKiB, argon2Params.passes = 64, 1
	t.Cleanup(func() { passwordIterations, argon2Params = old, oldArgon })
	return &Daemon{store: st, now: func() time.Time { return accountsNow }}
}

func accountOp(t *testing.T, d *Daemon, op string, args any) (any, error) {
	t.Helper()
	var b []byte
	if args != nil {
		var err error
		if b, err = json.Marshal(args); err != nil {
			t.Fatal(err)
		}
	}
	return d.accountsOp(op, b)
}

func wantBadRequest(t *testing.T, err error, about string) {
	t.Helper()
	var we *wire.Error
	if !errors.As(err, &we) || we.Code != wire.CodeBadRequest || !strings.Contains(we.Detail, about) {
		t.Errorf("got %v, want a bad request about %q", err, about)
	}
}

// TestAccountsRoles: accounts are added with the Administrator or User role ("Administrator
// and User roles"), listed without their password hashes, changed and removed.
func TestAccountsRoles(t *testing.T) {
	d := accountsDaemon(t, t.TempDir())
	if _, err := accountOp(t, d, "users.add", AccountArgs{Name: `CORP\alice`, Role: "Administrator", Password: "correct horse"}); err != nil {
		t.Fatal(err)
	}
	res, err := accountOp(t, d, "users.add", AccountArgs{Name: "bob", Role: "user", Password: "battery staple"})
	if err != nil {
		t.Fatal(err)
	}
	if a := res.(*AccountInfo); a.Role != RoleUser || !a.Created.Equal(accountsNow) {
		t.Errorf("added %+v, want role user created %s", a, accountsNow)
	}
	res, err = accountOp(t, d, "users.list", nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(res)
	if want := `{"accounts":[{"name":"CORP\\alice","role":"admin","created":"2025-05-15T13:41:00Z"},{"name":"bob","role":"user","created":"2025-05-15T13:41:00Z"}]}`; string(b) != want {
		t.Errorf("list:\n got %s\nwant %s", b, want)
	}
	if _, err := accountOp(t, d, "users.role", AccountArgs{Name: "BOB", Role: "admin"}); err != nil {
		t.Fatal(err)
	}
	res, err = accountOp(t, d, "users.remove", AccountArgs{Name: `corp\ALICE`})
	if err != nil || res.(*AccountRemoved).Removed != `CORP\alice` {
		t.Fatalf("remove by a name in another case: %v %v", res, err)
	}
	accts, _ := d.store.Accounts()
	if len(accts) != 1 || accts[0].Name != "bob" || accts[0].Role != RoleAdmin {
		t.Errorf("after the changes: %+v, want bob the only account, an administrator", accts)
	}
}

// TestAccountsRefusals: every request that cannot be carried out says why, and changes
// nothing.
func TestAccountsRefusals(t *testing.T) {
	d := accountsDaemon(t, t.TempDir())
	if _, err := accountOp(t, d, "users.add", AccountArgs{Name: "root", Role: "admin", Password: "longenough"}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		op    string
		args  AccountArgs
		about string
	}{
		{"users.add", AccountArgs{Name: "ROOT", Role: "user", Password: "longenough"}, `an account "root" already exists`},
		{"users.add", AccountArgs{Name: "x", Role: "superuser", Password: "longenough"}, "use admin (Administrator) or user (User)"},
		{"users.add", AccountArgs{Name: "x", Role: "adminGroup", Password: "longenough"}, "is a group's: add a group"},
		{"users.add", AccountArgs{Name: "x", Role: "user", Password: "short"}, "shorter than 8 characters"},
		{"users.add", AccountArgs{Name: "  ", Role: "user", Password: "longenough"}, "no account name"},
		{"users.add", AccountArgs{Name: "a\x01b", Role: "user", Password: "longenough"}, "control character"},
		{"users.add", AccountArgs{Name: strings.Repeat("n", 257), Role: "user", Password: "longenough"}, "longer than 256"},
		{"users.role", AccountArgs{Name: "nobody", Role: "user"}, `no account "nobody"`},
		// The console must keep someone who can add and remove users.
		{"users.role", AccountArgs{Name: "root", Role: "user"}, "last administrator"},
		{"users.remove", AccountArgs{Name: "root"}, "last administrator"},
	} {
		_, err := accountOp(t, d, tc.op, tc.args)
		wantBadRequest(t, err, tc.about)
	}
	_, err := d.accountsOp("users.add", []byte("{not json"))
	wantBadRequest(t, err, "not valid JSON")
	accts, _ := d.store.Accounts()
	if len(accts) != 1 || accts[0].Role != RoleAdmin {
		t.Errorf("refused requests changed the accounts: %+v", accts)
	}
}

// TestPasswordHash: passwords are kept only as salted argon2id hashes that the console can
// verify.
func TestPasswordHash(t *testing.T) {
	d := accountsDaemon(t, t.TempDir())
	if _, err := accountOp(t, d, "users.add", AccountArgs{Name: "alice", Role: "admin", Password: "s3cret pass"}); err != nil {
		t.Fatal(err)
	}
	accts, _ := d.store.Accounts()
	h := accts[0].PasswordHash
	if strings.Contains(string(h), "s3cret") || !strings.HasPrefix(string(h), "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Errorf("stored hash %q", h)
	}
	if !VerifyPassword(h, "s3cret pass") {
		t.Error("the right password does not verify")
	}
	for _, wrong := range []string{"s3cret pas", "S3cret pass", ""} {
		if VerifyPassword(h, wrong) {
			t.Errorf("%q verifies", wrong)
		}
	}
	again, _ := HashPassword("s3cret pass")
	if string(again) == string(h) {
		t.Error("two hashes of one password are equal: no salt")
	}
	for _, bad := range []string{"", "pbkdf2-sha256$x$a$b", "md5$1$a$b", strings.Replace(string(h), "t=1", "t=2", 1),
		strings.Replace(string(h), "m=64", "m=99999999", 1)} {
		if VerifyPassword([]byte(bad), "s3cret pass") {
			t.Errorf("hash %q verifies", bad)
		}
	}
}

// TestLegacyPBKDF2Hash: a PBKDF2 hash of an earlier licd still verifies and is marked for
// an upgrade to argon2id.
func TestLegacyPBKDF2Hash(t *testing.T) {
	accountsDaemon(t, t.TempDir())
	h, err := hashPBKDF2("s3cret pass")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(h), "pbkdf2-sha256$1000$") || !VerifyPassword(h, "s3cret pass") || VerifyPassword(h, "s3cret pas") {
		t.Fatalf("legacy hash %q does not verify as it should", h)
	}
	if !NeedsRehash(h) {
		t.Error("a PBKDF2 hash is not marked for an upgrade")
	}
	if a, _ := HashPassword("x"); NeedsRehash(a) {
		t.Error("an argon2id hash is marked for an upgrade")
	}
	for _, bad := range []string{strings.Replace(string(h), "$1000$", "$999$", 1), "pbkdf2-sha256$99999999999$a$b"} {
		if VerifyPassword([]byte(bad), "s3cret pass") {
			t.Errorf("hash %q verifies", bad)
		}
	}
}

// TestServiceSwitch: the License Management Service "operates automatically" (enabled until
// switched off), and the switch is kept in the server's settings across restarts
// ("Using the command line to enable or disable the License Management Service").
func TestServiceSwitch(t *testing.T) {
	dir := t.TempDir()
	d := accountsDaemon(t, dir)
	res, err := accountOp(t, d, "service.query", nil)
	if err != nil || !res.(*ServiceState).Enabled || !res.(*ServiceState).Default {
		t.Fatalf("first query: %+v %v, want enabled by default", res, err)
	}
	if _, err := accountOp(t, d, "service.disable", nil); err != nil {
		t.Fatal(err)
	}
	_ = d.store.Close()
	d = accountsDaemon(t, dir)
	res, err = accountOp(t, d, "service.query", nil)
	if st := res.(*ServiceState); err != nil || st.Enabled || st.Default || !st.Changed.Equal(accountsNow) {
		t.Fatalf("after a restart: %+v %v, want disabled on %s", res, err, accountsNow)
	}
	if res, err = accountOp(t, d, "service.enable", nil); err != nil || !res.(*ServiceState).Enabled {
		t.Fatalf("enable: %+v %v", res, err)
	}
}
