package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	nethttp "net/http"
	"net/http/httptest"
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
	"github.com/chromedp/chromedp/kb"

	"github.com/licd/licd/bench"
	licdhttp "github.com/licd/licd/http"
	"github.com/licd/licd/http/internal/e2eutil"
	"github.com/licd/licd/license"
)

var licdBinary string

func TestMain(m *testing.M) { e2eutil.Main(m, "../../..", &licdBinary, "licgen") }

const testHost = "licd-console-test-host"

// server is a running licd with the API and console on a free port, its data directory
// made here: a vendor key pair, the start-up license, the license files a test gives, and
// an ECDSA certificate for the API (as an administrator installs one: "Manually install a
// certificate used by the Citrix Licensing Manager"), so that no test waits for a 4096-bit
// RSA key.
type server struct {
	t        testing.TB
	dir      string
	srv      *bench.Server
	base     string
	hc       *nethttp.Client
	spki     string // base64 SHA-256 of the certificate's public key, for Chromium
	issueKey func(...license.LineSpec) string
}

// newServer makes the data directory: a vendor key pair, the start-up license, the license
// files the test gives and the API's certificate. start then starts licd on it.
func newServer(t testing.TB, files map[string]func(issue func(...license.LineSpec) string) string) *server {
	t.Helper()
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "data", "MyFiles"), 0o755); err != nil {
		t.Fatal(err)
	}
	pub, priv, err := license.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	if err := license.WriteKeyPair(filepath.Join(dir, "keys"), pub, priv); err != nil {
		t.Fatal(err)
	}
	s := &server{t: t, dir: dir}
	s.issueKey = func(lines ...license.LineSpec) string { return e2eutil.Issue(t, priv, testHost, lines...) }
	startup, err := license.StartupLicenseFile(testHost, priv)
	if err != nil {
		t.Fatal(err)
	}
	s.write("citrix_startup.lic", startup)
	for name, mk := range files {
		s.write(name, mk(s.issue))
	}
	s.spki = e2eutil.InstallCert(t, s.dataDir(), "licd console e2e")
	return s
}

// keyPath is the vendor's private key (what a fulfilment service signs with).
func (s *server) keyPath() string { return filepath.Join(s.dir, "keys", license.PrivateKeyFile) }

// start starts licd on the data directory with more flags, and a client of its API.
func (s *server) start(args ...string) *server {
	s.t.Helper()
	s.srv = e2eutil.Start(s.t, licdBinary, s.dataDir(), testHost, filepath.Join(s.dir, "keys", license.PublicKeyFile), args...)
	s.base = e2eutil.APIBase(s.t, s.dataDir())
	s.hc = e2eutil.Client(s.t, s.dataDir())
	return s
}

func startServer(t testing.TB, files map[string]func(issue func(...license.LineSpec) string) string, args ...string) *server {
	t.Helper()
	return newServer(t, files).start(args...)
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
func (s *server) issue(lines ...license.LineSpec) string { return s.issueKey(lines...) }

// initialPassword is the first start's one-time admin password, from its 0600 file.
func (s *server) initialPassword() string {
	s.t.Helper()
	return e2eutil.InitialPassword(s.t, s.dataDir())
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

// tabTo presses Tab until the focus is on the element sel matches (at most 80 times).
func (b *browserSession) tabTo(sel string) {
	b.t.Helper()
	for range 80 {
		if eval[bool](b, fmt.Sprintf(`!!document.activeElement && document.activeElement.matches(%q)`, sel)) {
			return
		}
		b.do("press Tab", chromedp.KeyEvent(kb.Tab))
	}
	b.shot("failed-tab")
	b.t.Fatalf("Tab never reached %s (the focus is on %s)", sel, eval[string](b, `document.activeElement.outerHTML.slice(0, 120)`))
}

// ---- The servers licd talks to: the vendor's fulfilment service and the usage data
// upload endpoint, both real HTTPS servers on loopback.

// fulfilment starts `licgen serve` signing with the server's vendor key, with one
// entitlement of count licenses of feature under code, and returns it with its store.
func (s *server) fulfilment(code, feature string, count int) (*bench.Fulfilment, string) {
	s.t.Helper()
	dir := s.t.TempDir()
	store := filepath.Join(dir, "store.json")
	s.licgen("entitle", "-store", store, "-code", code, "-customer", "Example Inc", "-feature", feature,
		"-count", fmt.Sprint(count), "-css", "2027.0101", "-vendor-string", ";LT=Retail;GP=720;SA=0")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	f, err := bench.StartFulfilment(ctx, bench.FulfilmentOptions{Binary: filepath.Join(filepath.Dir(licdBinary), "licgen"),
		Key: s.keyPath(), Store: store, Dir: dir})
	if err != nil {
		s.t.Fatal(err)
	}
	s.t.Cleanup(func() {
		if err := f.Stop(15 * time.Second); err != nil {
			s.t.Error(err)
		}
	})
	return f, store
}

// licgen runs a licgen command (entitle, renew) and fails the test when it fails.
func (s *server) licgen(args ...string) {
	s.t.Helper()
	if out, err := exec.Command(filepath.Join(filepath.Dir(licdBinary), "licgen"), args...).CombinedOutput(); err != nil {
		s.t.Fatalf("licgen %v: %v\n%s", args, err, out)
	}
}

// uploads is an HTTPS endpoint that takes the usage data bundles and remembers their names.
type uploads struct {
	srv *httptest.Server
	ca  string
	mu  sync.Mutex
	got []string
}

func newUploads(t testing.TB) *uploads {
	t.Helper()
	u := &uploads{}
	u.srv = httptest.NewTLSServer(nethttp.HandlerFunc(func(w nethttp.ResponseWriter, r *nethttp.Request) {
		if _, err := io.Copy(io.Discard, r.Body); err != nil || r.Method != nethttp.MethodPost || r.Header.Get("Content-Type") != "application/zip" {
			nethttp.Error(w, "want a POST of a zip", nethttp.StatusBadRequest)
			return
		}
		u.mu.Lock()
		u.got = append(u.got, r.Header.Get("X-Licd-Bundle"))
		u.mu.Unlock()
		w.WriteHeader(nethttp.StatusNoContent)
	}))
	t.Cleanup(u.srv.Close)
	u.ca = filepath.Join(t.TempDir(), "uploads-ca.pem")
	if err := os.WriteFile(u.ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: u.srv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	return u
}

// bundles are the names of the bundles received so far.
func (u *uploads) bundles() []string {
	u.mu.Lock()
	defer u.mu.Unlock()
	return append([]string(nil), u.got...)
}
