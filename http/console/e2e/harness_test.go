package e2e

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	nethttp "net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/licd/licd/bench"
	licdhttp "github.com/licd/licd/http"
	"github.com/licd/licd/license"
)

var licdBinary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "licd-console-e2e-bin")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	licdBinary, err = bench.BuildLicd("../../..", dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

const testHost = "licd-console-test-host"

// server is a running licd with the API and console on a free port, its data directory
// made here: a vendor key pair, the start-up license, the license files a test gives, and
// an ECDSA certificate for the API (as an administrator installs one: "Manually install a
// certificate used by the Citrix Licensing Manager"), so that no test waits for a 4096-bit
// RSA key.
type server struct {
	t        testing.TB
	dir      string
	priv     []byte
	srv      *bench.Server
	base     string
	hc       *nethttp.Client
	spki     string // base64 SHA-256 of the certificate's public key, for Chromium
	issueKey func(license.IssueSpec) string
}

func startServer(t testing.TB, files map[string]func(issue func(...license.LineSpec) string) string, args ...string) *server {
	t.Helper()
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	if err := os.MkdirAll(filepath.Join(data, "MyFiles"), 0o755); err != nil {
		t.Fatal(err)
	}
	pub, priv, err := license.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	keys := filepath.Join(dir, "keys")
	if err := license.WriteKeyPair(keys, pub, priv); err != nil {
		t.Fatal(err)
	}
	s := &server{t: t, dir: dir}
	s.issueKey = func(spec license.IssueSpec) string {
		text, err := license.IssueFile(spec, priv)
		if err != nil {
			t.Fatal(err)
		}
		return text
	}
	startup, err := license.StartupLicenseFile(testHost, priv)
	if err != nil {
		t.Fatal(err)
	}
	s.write("citrix_startup.lic", startup)
	for name, mk := range files {
		s.write(name, mk(s.issue))
	}
	s.spki = installCert(t, data)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	srv, err := bench.StartServer(ctx, bench.ServerOptions{Binary: licdBinary, DataDir: data, Hostname: testHost,
		Trust: []string{filepath.Join(keys, "vendor.pub")}, Args: append([]string{"-api-port", "-1", "-log-level", "error"}, args...)})
	if err != nil {
		t.Fatal(err)
	}
	s.srv = srv
	t.Cleanup(func() {
		if err := srv.Stop(30 * time.Second); err != nil {
			t.Errorf("licd did not stop cleanly: %v", err)
		}
	})
	b, err := os.ReadFile(filepath.Join(data, "ports.json"))
	if err != nil {
		t.Fatal(err)
	}
	var ports struct{ API int }
	if err := json.Unmarshal(b, &ports); err != nil || ports.API == 0 {
		t.Fatalf("ports file %s has no api port: %v", b, err)
	}
	s.base = fmt.Sprintf("https://127.0.0.1:%d", ports.API)
	certPath, _ := licdhttp.CertPaths(data)
	pemBytes, err := os.ReadFile(certPath)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pemBytes)
	s.hc = &nethttp.Client{Timeout: 30 * time.Second, Transport: &nethttp.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	return s
}

func (s *server) dataDir() string { return filepath.Join(s.dir, "data") }

func (s *server) write(name, text string) {
	s.t.Helper()
	if err := os.WriteFile(filepath.Join(s.dataDir(), "MyFiles", name), []byte(text), 0o644); err != nil {
		s.t.Fatal(err)
	}
}

// issue signs a license file for the test host with the given lines (permanent, CSS date
// 2099.1231 unless they say otherwise).
func (s *server) issue(lines ...license.LineSpec) string {
	for i := range lines {
		if lines[i].Expiry.IsZero() && !lines[i].Permanent {
			lines[i].Permanent = true
		}
		if lines[i].CSS == 0 {
			lines[i].CSS = 20991231
		}
		if lines[i].DupGroup == "" {
			lines[i].DupGroup = "V"
		}
	}
	return s.issueKey(license.IssueSpec{HostName: testHost, Lines: lines})
}

// installCert writes an ECDSA certificate for 127.0.0.1 to DATA/tls and returns its public
// key's SPKI hash, which Chromium is told to accept (and no other certificate).
func installCert(t testing.TB, data string) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{SerialNumber: serial, Subject: pkix.Name{CommonName: "127.0.0.1", Organization: []string{"licd console e2e"}},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true, IsCA: true, DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, _ := x509.MarshalPKCS8PrivateKey(key)
	certPath, keyPath := licdhttp.CertPaths(data)
	_ = os.MkdirAll(filepath.Dir(certPath), 0o700)
	if err := os.WriteFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	spki, _ := x509.MarshalPKIXPublicKey(&key.PublicKey)
	sum := sha256.Sum256(spki)
	return base64.StdEncoding.EncodeToString(sum[:])
}

// initialPassword is the first start's one-time admin password, from its 0600 file.
func (s *server) initialPassword() string {
	s.t.Helper()
	b, err := os.ReadFile(filepath.Join(s.dataDir(), "initial-admin-password"))
	if err != nil {
		s.t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

// apiSession is a Go client's session on the API, to check what the console did.
type apiSession struct {
	s      *server
	cookie string
	csrf   string
}

func (s *server) login(name, password string) *apiSession {
	s.t.Helper()
	body, _ := json.Marshal(map[string]string{"name": name, "password": password})
	res, err := s.hc.Post(s.base+"/api/v1/session", "application/json", bytes.NewReader(body))
	if err != nil {
		s.t.Fatal(err)
	}
	defer res.Body.Close()
	var si licdhttp.SessionInfo
	if res.StatusCode != 200 || json.NewDecoder(res.Body).Decode(&si) != nil {
		s.t.Fatalf("log in %s: %s", name, res.Status)
	}
	a := &apiSession{s: s, csrf: si.CSRFToken}
	for _, c := range res.Cookies() {
		if c.Name == "licd_session" {
			a.cookie = c.Value
		}
	}
	return a
}

// do calls the API and returns the body of a 2xx answer (failing the test on another).
func (a *apiSession) do(method, path string, in any) []byte {
	a.s.t.Helper()
	var body io.Reader
	if in != nil {
		b, _ := json.Marshal(in)
		body = bytes.NewReader(b)
	}
	req, _ := nethttp.NewRequest(method, a.s.base+path, body)
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.AddCookie(&nethttp.Cookie{Name: "licd_session", Value: a.cookie})
	req.Header.Set("X-CSRF-Token", a.csrf)
	res, err := a.s.hc.Do(req)
	if err != nil {
		a.s.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode/100 != 2 {
		a.s.t.Fatalf("%s %s: %s %s", method, path, res.Status, b)
	}
	return b
}

func (a *apiSession) json(method, path string, in, out any) {
	a.s.t.Helper()
	if err := json.Unmarshal(a.do(method, path, in), out); err != nil {
		a.s.t.Fatalf("%s %s: %v", method, path, err)
	}
}

// ---- The browser.

// chromium finds the browser; without it the test is skipped, loudly: CI installs it
// (.ci/run), so a skip there is a broken CI machine.
func chromium(t testing.TB) string {
	t.Helper()
	for _, p := range []string{os.Getenv("LICD_CHROMIUM"), "/usr/bin/chromium", "chromium", "chromium-browser"} {
		if p == "" {
			continue
		}
		if path, err := exec.LookPath(p); err == nil {
			return path
		}
	}
	msg := "\n" + strings.Repeat("!", 78) + "\n!!! SKIPPING THE CONSOLE'S BROWSER TESTS: Chromium is not installed.\n" +
		"!!! Install it with: apt-get install -y chromium   (.ci/run does this)\n" + strings.Repeat("!", 78) + "\n"
	fmt.Fprint(os.Stderr, msg)
	t.Skip(msg)
	return ""
}

// browserSession is one headless Chromium with one tab on the console, watching that the
// page makes no request outside the licd origin and logs no JavaScript error.
type browserSession struct {
	t         testing.TB
	s         *server
	ctx       context.Context
	shots     string
	n         int
	mu        sync.Mutex
	problems  []string
	downloads string
}

func newBrowser(t testing.TB, s *server, width, height int) *browserSession {
	t.Helper()
	exe := chromium(t)
	shots := os.Getenv("LICD_SCREENSHOTS")
	if shots == "" {
		shots = t.TempDir()
	}
	shots = filepath.Join(shots, t.Name())
	if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}
	b := &browserSession{t: t, s: s, shots: shots, downloads: t.TempDir()}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe),
		chromedp.NoSandbox,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(width, height),
		// Only licd's own certificate is accepted (by its public key), not every one.
		chromedp.Flag("ignore-certificate-errors-spki-list", s.spki),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-domain-reliability", true),
		chromedp.Flag("lang", "en-US"),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	origin, _ := url.Parse(s.base)
	ctx, cancelCtx := chromedp.NewContext(actx, chromedp.WithListener(func(ev any) {
		switch e := ev.(type) {
		case *network.EventRequestWillBeSent:
			u, err := url.Parse(e.Request.URL)
			if err != nil || (u.Scheme != "data" && u.Scheme != "blob" && u.Host != origin.Host) {
				b.problem("a request outside the licd origin: %s", e.Request.URL)
			}
		case *runtime.EventExceptionThrown:
			d := e.ExceptionDetails
			desc := d.Text
			if d.Exception != nil {
				desc += " " + d.Exception.Description
			}
			b.problem("JavaScript exception: %s (%s:%d)", desc, d.URL, d.LineNumber)
		case *runtime.EventConsoleAPICalled:
			if e.Type == runtime.ConsoleAPICalledTypeError || e.Type == runtime.ConsoleAPICalledTypeAssert {
				var parts []string
				for _, a := range e.Args {
					parts = append(parts, string(a.Value)+a.Description)
				}
				b.problem("console.%s: %s", e.Type, strings.Join(parts, " "))
			}
		case *cdplog.EventEntryAdded:
			// Network entries are the API's expected refusals (401 before the log-in, 422
			// for a bad license file), which the pages handle; anything else logged as an
			// error (a CSP violation, a script error) is a defect.
			if e.Entry.Level == cdplog.EntryLevelError && e.Entry.Source != cdplog.EntrySourceNetwork {
				b.problem("browser log (%s): %s %s", e.Entry.Source, e.Entry.Text, e.Entry.URL)
			}
		}
	}))
	t.Cleanup(func() { cancelCtx(); cancelAlloc() })
	// The first Run starts the browser and lives as long as ctx: no timeout on it.
	if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(ctx, cdplog.Enable, cdp.Empty{}); err != nil {
		t.Fatal(err)
	}
	yes := true
	if _, err := chromedp.CallBrowser(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
		Behavior: browser.SetDownloadBehaviorBehaviorAllow, DownloadPath: b.downloads, EventsEnabled: &yes}); err != nil {
		t.Fatal(err)
	}
	b.ctx = ctx
	t.Cleanup(b.check)
	return b
}

func (b *browserSession) problem(format string, args ...any) {
	b.mu.Lock()
	b.problems = append(b.problems, fmt.Sprintf(format, args...))
	b.mu.Unlock()
}

// check fails the test on any request outside the origin or JavaScript error seen so far.
func (b *browserSession) check() {
	b.t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, p := range b.problems {
		b.t.Errorf("browser: %s", p)
	}
	b.problems = nil
}

// do runs browser actions, failing the test (with a screenshot) when one fails.
func (b *browserSession) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.shot("failed-" + strings.ReplaceAll(what, " ", "-"))
		b.t.Fatalf("%s: %v", what, err)
	}
}

// shot writes a screenshot of the whole page and checks that it shows no text missing
// from the catalogue (⟦key⟧), then that nothing went wrong so far.
func (b *browserSession) shot(name string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Errorf("screenshot %s: %v", name, err)
		return
	}
	html, err := chromedp.Run(ctx, chromedp.Evaluate[string]("document.documentElement.outerHTML"))
	if err != nil {
		b.t.Errorf("page of %s: %v", name, err)
		return
	}
	b.n++
	path := filepath.Join(b.shots, fmt.Sprintf("%02d-%s.png", b.n, name))
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Fatal(err)
	}
	b.t.Logf("screenshot: %s", path)
	if i := strings.Index(html, "⟦"); i >= 0 {
		b.t.Errorf("%s shows a text missing from the catalogue: %s", name, html[i:min(len(html), i+80)])
	}
	b.check()
}

// eval evaluates a JavaScript expression in the page.
func eval[T any](b *browserSession, js string) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js, chromedp.EvalAwaitPromise))
	if err != nil {
		b.t.Fatalf("evaluate %s: %v", js, err)
	}
	return v
}

// text is the text of the first element that sel matches ("" when none does).
func (b *browserSession) text(sel string) string {
	b.t.Helper()
	return eval[string](b, fmt.Sprintf("(document.querySelector(%q)||{innerText:''}).innerText.trim()", sel))
}

// waitText waits until the text of the element that sel matches contains want.
func (b *browserSession) waitText(sel, want string) {
	b.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		have := b.text(sel)
		if strings.Contains(have, want) {
			return
		}
		if time.Now().After(deadline) {
			b.shot("failed-wait")
			b.t.Fatalf("%s: want text %q, have %q", sel, want, have)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// wait waits until a JavaScript condition holds.
func (b *browserSession) wait(what, cond string) {
	b.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !eval[bool](b, "!!("+cond+")") {
		if time.Now().After(deadline) {
			b.shot("failed-" + strings.ReplaceAll(what, " ", "-"))
			b.t.Fatalf("waited in vain for %s (%s)", what, cond)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
