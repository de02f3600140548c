package e2e

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	nethttp "net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/licd/licd/bench"
	licdhttp "github.com/licd/licd/http"
	"github.com/licd/licd/http/internal/e2eutil"
	"github.com/licd/licd/license"
)

var licdBinary string

func TestMain(m *testing.M) { e2eutil.Main(m, "../..", &licdBinary) }

const testHost = "licd-api-test-host"

// fixture is a data directory with a vendor key pair, the start-up license, and (unless
// the test wants licd to make its own) an administrator's certificate for the API: an
// ECDSA one made here, so that each licd does not spend seconds on a 4096-bit RSA key.
type fixture struct {
	t       testing.TB
	dir     string
	pubPath string
	priv    ed25519.PrivateKey
}

func newFixture(t testing.TB, ownCert bool) *fixture {
	t.Helper()
	dir := t.TempDir()
	pub, priv, err := license.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	keys := filepath.Join(dir, "test-keys")
	if err := license.WriteKeyPair(keys, pub, priv); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "data", "MyFiles"), 0o755); err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, dir: dir, pubPath: filepath.Join(keys, "vendor.pub"), priv: priv}
	startup, err := license.StartupLicenseFile(testHost, priv)
	if err != nil {
		t.Fatal(err)
	}
	f.writeLicense("citrix_startup.lic", startup)
	if ownCert {
		f.installCert("e2e admin certificate")
	}
	return f
}

func (f *fixture) dataDir() string    { return filepath.Join(f.dir, "data") }
func (f *fixture) licenseDir() string { return filepath.Join(f.dataDir(), "MyFiles") }

func (f *fixture) writeLicense(name, text string) {
	f.t.Helper()
	if err := os.WriteFile(filepath.Join(f.licenseDir(), name), []byte(text), 0o644); err != nil {
		f.t.Fatal(err)
	}
}

// installCert puts a certificate and key in DATA/tls, as an administrator does ("Manually
// install a certificate used by the Citrix Licensing Manager").
func (f *fixture) installCert(org string) {
	f.t.Helper()
	e2eutil.InstallCert(f.t, f.dataDir(), org)
}

// issue returns a license file signed by the fixture's key with the given lines.
func (f *fixture) issue(lines ...license.LineSpec) string {
	f.t.Helper()
	return e2eutil.Issue(f.t, f.priv, testHost, lines...)
}

// signedText signs a license line written out in full (for attributes LineSpec lacks).
func (f *fixture) signedText(line string) string {
	f.t.Helper()
	pf, err := license.Parse("x.lic", strings.NewReader(line))
	if err != nil || len(pf.Lines) != 1 || len(pf.Errors) > 0 {
		f.t.Fatalf("parse %q: %v %v", line, err, pf.Errors)
	}
	l := pf.Lines[0]
	l.Sign = license.SignLine(f.priv, l)
	return "SERVER this_host HOSTNAME=" + testHost + "\nVENDOR CITRIX\nUSE_SERVER\n" + license.FormatLine(l) + "\n"
}

// env is a running licd with its API.
type env struct {
	t    testing.TB
	f    *fixture
	srv  *bench.Server
	base string
	hc   *nethttp.Client
}

// start starts licd with the API on a free port and a client that trusts its certificate.
func (f *fixture) start(args ...string) *env {
	f.t.Helper()
	e := &env{t: f.t, f: f, srv: e2eutil.Start(f.t, licdBinary, f.dataDir(), testHost, f.pubPath, args...)}
	e.connect()
	return e
}

// connect reads the API's port from the ports file and trusts the certificate in force.
func (e *env) connect() {
	e.t.Helper()
	e.base = e2eutil.APIBase(e.t, e.f.dataDir())
	e.hc = e.client()
}

func (e *env) client() *nethttp.Client {
	e.t.Helper()
	return e2eutil.Client(e.t, e.f.dataDir())
}

// caller is how a request authenticates: nothing, a session (cookie and CSRF token) or a
// bearer token.
type caller struct {
	name   string
	cookie string
	csrf   string
	token  string
}

// resp is an answer, with its problem decoded when it is one.
type resp struct {
	status  int
	header  nethttp.Header
	body    []byte
	problem licdhttp.Problem
}

func (r *resp) String() string { return fmt.Sprintf("%d %s", r.status, bytes.TrimSpace(r.body)) }

func (e *env) do(c *caller, method, path, contentType string, body []byte) *resp {
	e.t.Helper()
	req, err := nethttp.NewRequest(method, e.base+path, bytes.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if c != nil {
		if c.cookie != "" {
			req.AddCookie(&nethttp.Cookie{Name: "licd_session", Value: c.cookie})
		}
		if c.csrf != "" {
			req.Header.Set("X-CSRF-Token", c.csrf)
		}
		if c.token != "" {
			req.Header.Set("Authorization", "Bearer "+c.token)
		}
	}
	res, err := e.hc.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	r := &resp{status: res.StatusCode, header: res.Header, body: b}
	if strings.HasPrefix(res.Header.Get("Content-Type"), "application/problem+json") {
		if err := json.Unmarshal(b, &r.problem); err != nil {
			e.t.Fatalf("%s %s: a problem that is not problem+json: %s", method, path, b)
		}
	}
	return r
}

func (e *env) json(c *caller, method, path string, in any) *resp {
	e.t.Helper()
	var body []byte
	ct := ""
	if in != nil {
		body, _ = json.Marshal(in)
		ct = "application/json"
	}
	return e.do(c, method, path, ct, body)
}

// ok requires a 2xx answer and decodes it into out (when given).
func (e *env) ok(r *resp, out any) {
	e.t.Helper()
	if r.status < 200 || r.status > 299 {
		e.t.Fatalf("want success, got %s", r)
	}
	if out != nil {
		if err := json.Unmarshal(r.body, out); err != nil {
			e.t.Fatalf("decode %s: %v", r.body, err)
		}
	}
}

// wantProblem requires a problem answer with the status and code.
func (e *env) wantProblem(r *resp, status int, code string) {
	e.t.Helper()
	if r.status != status || r.problem.Code != code {
		e.t.Fatalf("want %d %s, got %s", status, code, r)
	}
	if r.problem.Detail == "" || strings.Contains(string(r.body), "goroutine") {
		e.t.Fatalf("a problem says what was wrong, without internals: %s", r.body)
	}
}

func (e *env) login(name, password string) (*caller, licdhttp.SessionInfo) {
	e.t.Helper()
	r := e.json(nil, "POST", "/api/v1/session", map[string]string{"name": name, "password": password})
	var si licdhttp.SessionInfo
	e.ok(r, &si)
	var cookie string
	for _, ck := range (&nethttp.Response{Header: r.header}).Cookies() {
		if ck.Name == "licd_session" {
			cookie = ck.Value
		}
	}
	if cookie == "" || si.CSRFToken == "" {
		e.t.Fatalf("login gave no session cookie or CSRF token: %v %s", r.header, r.body)
	}
	return &caller{name: name, cookie: cookie, csrf: si.CSRFToken}, si
}

const adminPassword = "correct horse battery staple"

// initialPassword is the first start's one-time admin password, from its 0600 file.
func (e *env) initialPassword() string {
	e.t.Helper()
	return e2eutil.InitialPassword(e.t, e.f.dataDir())
}

// admin logs in as the first admin and changes its one-time password.
func (e *env) admin() *caller {
	e.t.Helper()
	c, si := e.login("admin", e.initialPassword())
	if !si.MustChangePassword {
		e.t.Fatalf("the first admin's login must require a password change: %+v", si)
	}
	e.ok(e.json(c, "POST", "/api/v1/session/password", map[string]string{"current": e.initialPassword(), "new": adminPassword}), nil)
	return c
}

// addAccount adds an account and logs it in.
func (e *env) addAccount(admin *caller, name, role, password string) *caller {
	e.t.Helper()
	e.ok(e.json(admin, "POST", "/api/v1/accounts", map[string]string{"name": name, "role": role, "password": password}), nil)
	c, _ := e.login(name, password)
	return c
}

// token creates an API token.
func (e *env) token(admin *caller, name, scope string) (secret, id string) {
	e.t.Helper()
	var nt struct{ ID, Secret string }
	e.ok(e.json(admin, "POST", "/api/v1/tokens", map[string]string{"name": name, "scope": scope}), &nt)
	return nt.Secret, nt.ID
}

// upload sends a license file as a multipart form.
func (e *env) upload(c *caller, name, text string, replace bool) *resp {
	e.t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	if replace {
		_ = mw.WriteField("replace", "true")
	}
	fw, _ := mw.CreateFormFile("file", name)
	_, _ = fw.Write([]byte(text))
	_ = mw.Close()
	return e.do(c, "POST", "/api/v1/license-files", mw.FormDataContentType(), b.Bytes())
}
