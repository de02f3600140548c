package daemon_test

import (
	"archive/zip"
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/licd/licd/actors/daemon"
	"github.com/licd/licd/actors/telemetry"
	"github.com/licd/licd/license"
	"github.com/licd/licd/storage"
	"github.com/licd/licd/wire"
)

// uploadReceiver is a real HTTPS endpoint on loopback that takes the bundles.
type uploadReceiver struct {
	srv    *httptest.Server
	caFile string
	mu     sync.Mutex
	got    []received
	refuse atomic.Int32 // answer 503 to this many more posts
	posts  atomic.Int32
}

type received struct {
	name, kind string
	body       []byte
}

func newUploadReceiver(t *testing.T) *uploadReceiver {
	t.Helper()
	r := &uploadReceiver{}
	r.srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.posts.Add(1)
		body, _ := io.ReadAll(req.Body)
		if r.refuse.Load() > 0 {
			r.refuse.Add(-1)
			http.Error(w, "uploadReceiver refuses for the test", http.StatusServiceUnavailable)
			return
		}
		if req.Method != http.MethodPost || req.Header.Get("Content-Type") != "application/zip" {
			http.Error(w, "want a POST of a zip", http.StatusBadRequest)
			return
		}
		r.mu.Lock()
		r.got = append(r.got, received{name: req.Header.Get("X-Licd-Bundle"), kind: req.Header.Get("X-Licd-Kind"), body: body})
		r.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(r.srv.Close)
	r.caFile = filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(r.caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: r.srv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	return r
}

func (r *uploadReceiver) bundles() []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]received(nil), r.got...)
}

func (r *uploadReceiver) args(extra ...string) []string {
	return append([]string{"-telemetry-url", r.srv.URL + "/upload", "-telemetry-ca", r.caFile}, extra...)
}

func telemetryStatus(t *testing.T, c *wire.Client, f *fixture) daemon.TelemetryStatus {
	t.Helper()
	var st daemon.TelemetryStatus
	if err := c.Admin(ctx(t), adminToken(t, f), "telemetry.status", nil, &st); err != nil {
		t.Fatal(err)
	}
	return st
}

func schemaFor(t *testing.T, file string) *jsonschema.Schema {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "telemetry", file))
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource(file, doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile(file)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// checkBundle reads a received bundle, checks it against its manifest and every file
// against the JSON Schemas, and returns its files.
func checkBundle(t *testing.T, rc received, report, manifest *jsonschema.Schema) (telemetry.Manifest, map[string][]byte) {
	t.Helper()
	m, files, err := telemetry.ReadBundle(bytes.NewReader(rc.body), int64(len(rc.body)))
	if err != nil {
		t.Fatalf("bundle %s: %v", rc.name, err)
	}
	zr, _ := zip.NewReader(bytes.NewReader(rc.body), int64(len(rc.body)))
	mf, _ := zr.File[0].Open()
	mdoc, err := jsonschema.UnmarshalJSON(mf)
	if err != nil || zr.File[0].Name != telemetry.ManifestName {
		t.Fatalf("bundle %s: first entry %s: %v", rc.name, zr.File[0].Name, err)
	}
	if err := manifest.Validate(mdoc); err != nil {
		t.Errorf("bundle %s: manifest does not match manifest.schema.json: %v", rc.name, err)
	}
	for name, b := range files {
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("%s/%s: %v", rc.name, name, err)
		}
		if err := report.Validate(doc); err != nil {
			t.Errorf("%s/%s does not match schema.json: %v", rc.name, name, err)
		}
	}
	return m, files
}

func udFixture(t *testing.T) *fixture {
	f := newFixture(t)
	f.issue("ud.lic", license.LineSpec{Feature: "XDT_PLT_UD", Count: 20, Overdraft: -1},
		license.LineSpec{Feature: "XDT_PLT_CCS", Count: 10})
	return f
}

// Raw names in the store that must never appear in a de-identified bundle.
var rawTestNames = []string{"alice.rawname", "bob.rawname", "rawdevice-7", "rawlaptop-9"}

func useLicenses(t *testing.T, f *fixture, s interface{ Addr() string }, c *wire.Client) {
	t.Helper()
	for _, p := range [][2]string{{"alice.rawname@corp.example", "rawdevice-7"}, {"bob.rawname", "rawdevice-7"}} {
		if _, err := udCheckout(t, c, "XDT_PLT_UD", p[0], p[1]); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.Checkout(ctx(t), wire.Checkout{Feature: "XDT_PLT_CCS", User: "carol", Device: "rawlaptop-9", ClientHost: "rawlaptop-9", VersionDate: 20240101}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "the optimizer to assign the user/device licenses", func() bool {
		u := udList(t, c, f, "XDT_PLT_UD")
		return len(u.Users)+len(u.Devices) > 0
	})
}

// Call Home's bundles arrive at the configured HTTPS endpoint ("Upload now"), match the
// schema, and carry no user, device or host name from the store: they are keyed hashes,
// the ones the install's secret gives.
func TestTelemetryUploadsDeidentifiedBundles(t *testing.T) {
	r := newUploadReceiver(t)
	f := udFixture(t)
	f.writeFile("CITRIX.opt", "CEILOPTIN DIAGNOSTIC\n")
	s := f.start(r.args("-telemetry-first", "1h", "-ud-optimize-fast", "100ms")...)
	c := dial(t, s, "XDT")
	useLicenses(t, f, s, c)

	var rep daemon.RunReport
	if err := c.Admin(ctx(t), adminToken(t, f), "telemetry.upload", nil, &rep); err != nil {
		t.Fatalf("upload now: %v\n%s", err, s.Output())
	}
	if !rep.Sent || rep.Result == nil || !rep.Result.OK || len(rep.Written) != 2 {
		t.Fatalf("upload now: %+v %+v", rep, rep.Result)
	}
	// A second "Upload now" within five minutes is refused.
	if err := c.Admin(ctx(t), adminToken(t, f), "telemetry.upload", nil, &rep); err == nil || !strings.Contains(err.Error(), "five minutes") {
		t.Fatalf("a second upload now at once: %v", err)
	}
	got := r.bundles()
	if len(got) != 2 || got[0].kind != telemetry.KindCompliance || got[1].kind != telemetry.KindUsage {
		t.Fatalf("received %d bundles: %+v", len(got), got)
	}
	report, manifest := schemaFor(t, "schema.json"), schemaFor(t, "manifest.schema.json")
	var all []byte
	var userHash string
	for _, b := range got {
		m, files := checkBundle(t, b, report, manifest)
		if m.UploadType != "Manual" && m.UploadType != "Auto" {
			t.Errorf("manifest upload type %q", m.UploadType)
		}
		for name, data := range files {
			all = append(all, data...)
			if name == "telemetry.json" {
				i := bytes.Index(data, []byte(`"Users"`))
				if i < 0 {
					t.Fatalf("telemetry.json lists no users:\n%s", data)
				}
				j := bytes.Index(data[i:], []byte(`"ID": "`))
				userHash = string(data[i+j+7 : i+j+7+16])
			}
		}
		// The bundle sent is the one kept for the operator to read first.
		local, err := os.ReadFile(filepath.Join(f.dir, "data", daemon.UsageDir, b.name))
		if err != nil || !bytes.Equal(local, b.body) {
			t.Errorf("%s: what was sent is not the bundle in DATA/usage (%v)", b.name, err)
		}
	}
	for _, n := range append(rawTestNames, testHost) {
		if bytes.Contains(bytes.ToLower(all), []byte(strings.ToLower(n))) {
			t.Errorf("a de-identified bundle carries the raw name %q", n)
		}
	}
	if !bytes.Contains(all, []byte(`"callhome"`)) || !bytes.Contains(all, []byte(`"LicenseServerCompliance"`)) {
		t.Error("the bundles lack Call Home or Telemetry")
	}
	// The operator can read a bundle before it is sent.
	var contents daemon.BundleContents
	if err := c.Admin(ctx(t), adminToken(t, f), "telemetry.read", map[string]string{"name": got[0].name}, &contents); err != nil || len(contents.Files) != 1 {
		t.Fatalf("telemetry.read: %v %+v", err, contents.Manifest)
	}
	if err := c.Admin(ctx(t), adminToken(t, f), "telemetry.read", map[string]string{"name": "../admin.token"}, &contents); err == nil {
		t.Fatal("telemetry.read read a file that is no bundle")
	}
	st := telemetryStatus(t, c, f)
	if st.LastResult == nil || !st.LastResult.OK || st.LastSuccess.IsZero() || !st.Sends {
		t.Fatalf("status after a success: %+v", st)
	}
	// The hashes are the install secret's HMACs of the stored names: stable, and made with
	// a key that stays in the store.
	if err := s.Stop(20 * time.Second); err != nil {
		t.Fatal(err)
	}
	st2, err := storage.Open(filepath.Join(f.dir, "data", "db"), storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st2.Close()
	secret, ok, err := st2.Setting("telemetry/secret")
	if err != nil || !ok || len(secret) != telemetry.SecretBytes {
		t.Fatalf("secret: %v %v %d", ok, err, len(secret))
	}
	d, _ := telemetry.NewDeidentifier(secret)
	if userHash != d.User("alice.rawname") && userHash != d.User("bob.rawname") {
		t.Fatalf("user hash %s is neither stored user's keyed hash", userHash)
	}
	if bytes.Contains(all, []byte(hex.EncodeToString(secret))) || bytes.Contains(all, []byte(base64.StdEncoding.EncodeToString(secret))) {
		t.Fatal("a bundle carries the de-identification secret")
	}
	// The hash is keyed: a plain SHA-256 of the name is not it.
	plain := sha256.Sum256([]byte("user\x00alice.rawname"))
	if strings.EqualFold(hex.EncodeToString(plain[:8]), userHash) {
		t.Fatal("the user hash is an unkeyed SHA-256")
	}
}

// A refused upload is reported (result, alert) and retried after the interval (a short
// test interval stands for the 24 hours), until it succeeds and the alert clears.
func TestTelemetryRetryAfterRefusedUpload(t *testing.T) {
	r := newUploadReceiver(t)
	r.refuse.Store(1)
	f := udFixture(t)
	f.writeFile("CITRIX.opt", "CEILOPTIN UNIDENTIFIED\n")
	s := f.start(r.args("-telemetry-first", "10ms", "-telemetry-interval", "2s", "-alerts-interval", "100ms")...)
	c := dial(t, s, "XDT")
	eventually(t, 15*time.Second, "the first, refused, upload", func() bool { return r.posts.Load() >= 1 })
	eventually(t, 10*time.Second, "the failure to be recorded", func() bool {
		st := telemetryStatus(t, c, f)
		return st.LastResult != nil && !st.LastResult.OK
	})
	st := telemetryStatus(t, c, f)
	if st.LastResult.Code != telemetry.CodeHTTP || st.LastResult.HTTPStatus != 503 || !strings.Contains(st.LastResult.Message, "refuses") {
		t.Fatalf("result of the refused upload: %+v", st.LastResult)
	}
	hasAlert := func() bool {
		var as []wire.Alert
		if err := c.Admin(ctx(t), adminToken(t, f), "alerts", nil, &as); err != nil {
			t.Fatal(err)
		}
		for _, a := range as {
			if a.Kind == "upload-failed" && a.Subject == "telemetry-upload" {
				return true
			}
		}
		return false
	}
	if !hasAlert() {
		t.Fatal("no upload-failed alert after a refused upload")
	}
	if len(r.bundles()) != 0 {
		t.Fatal("a refused upload counted as received")
	}
	eventually(t, 20*time.Second, "the retry to succeed", func() bool { return len(r.bundles()) >= 2 })
	eventually(t, 10*time.Second, "the success to be recorded", func() bool {
		st := telemetryStatus(t, c, f)
		return st.LastResult != nil && st.LastResult.OK
	})
	if hasAlert() {
		t.Fatal("the upload-failed alert stayed after a successful retry")
	}
	kinds := map[string]bool{}
	for _, b := range r.bundles() {
		kinds[b.kind] = true
		_, files := checkBundle(t, b, schemaFor(t, "schema.json"), schemaFor(t, "manifest.schema.json"))
		if b.kind == telemetry.KindUsage && files["ceip.json"] == nil {
			t.Errorf("the usage bundle of CEIP holds %v", files)
		}
	}
	if !kinds[telemetry.KindCompliance] || !kinds[telemetry.KindUsage] {
		t.Fatalf("received kinds %v", kinds)
	}
	xml, err := os.ReadFile(filepath.Join(f.dir, "data", daemon.UsageDir, daemon.ResultXMLFile))
	if err != nil || !bytes.Contains(xml, []byte("<Code>CTX_UPLOADER_SUCCESS</Code>")) {
		t.Fatalf("%s: %s %v", daemon.ResultXMLFile, xml, err)
	}
}

// credentialProxy is an HTTP CONNECT proxy on loopback that requires credentials and counts
// the tunnels it opens.
type credentialProxy struct {
	ln      net.Listener
	tunnels atomic.Int32
	denied  atomic.Int32
	auth    string
}

func newCredentialProxy(t *testing.T, user, pass string) *credentialProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &credentialProxy{ln: ln, auth: "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))}
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go p.serve(conn)
		}
	}()
	t.Cleanup(func() { _ = ln.Close() })
	return p
}

func (p *credentialProxy) serve(conn net.Conn) {
	defer conn.Close()
	br := bufio.NewReader(conn)
	req, err := http.ReadRequest(br)
	if err != nil {
		return
	}
	if req.Method != http.MethodConnect || req.Header.Get("Proxy-Authorization") != p.auth {
		p.denied.Add(1)
		_, _ = io.WriteString(conn, "HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic\r\nContent-Length: 0\r\n\r\n")
		return
	}
	up, err := net.Dial("tcp", req.Host)
	if err != nil {
		_, _ = io.WriteString(conn, "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
		return
	}
	defer up.Close()
	p.tunnels.Add(1)
	_, _ = io.WriteString(conn, "HTTP/1.1 200 Connection Established\r\n\r\n")
	go func() { _, _ = io.Copy(up, br) }()
	_, _ = io.Copy(conn, up)
}

// Uploads go through the configured proxy (with its credentials); the support bundle made
// afterwards holds none of the server's secrets, the proxy's password included.
func TestTelemetryProxyAndSupportBundleSecrets(t *testing.T) {
	r := newUploadReceiver(t)
	const proxyPass = "Pr0xyS3cretPassw0rd"
	px := newCredentialProxy(t, "licd", proxyPass)
	f := udFixture(t)
	f.writeFile("CITRIX.opt", "CALLHOME ON\n")
	proxyURL := "http://licd:" + proxyPass + "@" + px.ln.Addr().String()
	s := f.start(r.args("-telemetry-first", "10ms", "-telemetry-interval", "1h", "-telemetry-proxy", proxyURL, "-ud-optimize-fast", "100ms")...)
	c := dial(t, s, "XDT")
	eventually(t, 15*time.Second, "the first upload through the proxy", func() bool { return len(r.bundles()) >= 2 })
	if px.tunnels.Load() == 0 || px.denied.Load() != 0 {
		t.Fatalf("proxy: %d tunnels, %d denied", px.tunnels.Load(), px.denied.Load())
	}
	useLicenses(t, f, s, c)
	const password = "Horse-Battery-Staple-42"
	var added any
	if err := c.Admin(ctx(t), adminToken(t, f), "users.add", map[string]string{"name": "opsadmin", "role": "admin", "password": password}, &added); err != nil {
		t.Fatalf("users.add: %v", err)
	}

	out := filepath.Join(t.TempDir(), "sb.zip")
	res := runLmutil(t, f, s, "supportbundle", "-o", out)
	if res.code != 0 {
		t.Fatalf("lmutil supportbundle: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	zr, err := zip.OpenReader(out)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	entries := map[string][]byte{}
	var all []byte
	for _, zf := range zr.File {
		rc, err := zf.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(rc)
		rc.Close()
		entries[zf.Name] = b
		all = append(all, zf.Name...)
		all = append(all, b...)
		// Usage bundles inside are zips themselves: scan their contents too.
		if strings.HasSuffix(zf.Name, ".zip") {
			_, files, err := telemetry.ReadBundle(bytes.NewReader(b), int64(len(b)))
			if err != nil {
				t.Fatalf("%s: %v", zf.Name, err)
			}
			for _, fb := range files {
				all = append(all, fb...)
			}
		}
	}
	for _, want := range []string{"versions.json", "conf/config.json", "conf/settings.json", "conf/keys/vendor.pub", "MyFiles/ud.lic",
		"MyFiles/CITRIX.opt", "state/ud_licenses.csv", "state/sessions.csv", "history/usage.csv", "store/consistency_check.json",
		"store/pebble_metrics.txt", "usage/" + daemon.ResultXMLFile, "manifest.json"} {
		if _, ok := entries[want]; !ok {
			t.Errorf("the support bundle lacks %s", want)
		}
	}
	if !bytes.Contains(entries["state/ud_licenses.csv"], []byte("rawdevice-7")) || !bytes.Contains(entries["state/ud_connections.csv"], []byte("alice.rawname")) {
		t.Errorf("the user/device export lacks the assignment or the connection records:\n%s\n%s", entries["state/ud_licenses.csv"], entries["state/ud_connections.csv"])
	}
	if !bytes.Contains(entries["store/consistency_check.json"], []byte(`"ok": true`)) {
		t.Errorf("consistency check: %s", entries["store/consistency_check.json"])
	}

	// The secrets, read from where the server keeps them.
	data := filepath.Join(f.dir, "data")
	token := adminToken(t, f)
	priv, err := os.ReadFile(filepath.Join(data, "keys", "vendor.key"))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Stop(20 * time.Second); err != nil {
		t.Fatal(err)
	}
	st, err := storage.Open(filepath.Join(data, "db"), storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	secret, _, _ := st.Setting("telemetry/secret")
	accts, _ := st.Accounts()
	secrets := map[string][]byte{
		"admin token": []byte(token), "vendor private key": bytes.TrimSpace(priv), "proxy password": []byte(proxyPass),
		"account password": []byte(password), "de-identification secret (hex)": []byte(hex.EncodeToString(secret)),
		"de-identification secret (base64)": []byte(base64.StdEncoding.EncodeToString(secret)), "de-identification secret (raw)": secret,
		"PRIVATE KEY block": []byte("PRIVATE KEY"),
	}
	for _, blk := range pemBlocks(priv) {
		secrets["vendor private key body"] = []byte(base64.StdEncoding.EncodeToString(blk)[:40])
	}
	for _, a := range accts {
		if len(a.PasswordHash) > 0 {
			secrets["password hash of "+a.Name] = a.PasswordHash
		}
	}
	if len(accts) == 0 || len(secret) == 0 {
		t.Fatalf("the store has %d accounts and a %d-byte secret", len(accts), len(secret))
	}
	for what, v := range secrets {
		if len(v) > 0 && bytes.Contains(all, v) {
			t.Errorf("the support bundle carries the %s", what)
		}
	}
}

func pemBlocks(b []byte) [][]byte {
	var out [][]byte
	for {
		var blk *pem.Block
		blk, b = pem.Decode(b)
		if blk == nil {
			return out
		}
		out = append(out, blk.Bytes)
	}
}

// With no program on (the default) nothing arrives, though the compliance bundle is written
// for manual reporting; with CEIP on and the License Management Service disabled, both
// bundles are written and still nothing arrives, and "Upload now" is refused.
func TestTelemetryNothingLeavesWhenOff(t *testing.T) {
	r := newUploadReceiver(t)
	f := udFixture(t)
	s := f.start(r.args("-telemetry-first", "10ms", "-telemetry-interval", "200ms")...)
	c := dial(t, s, "XDT")
	eventually(t, 15*time.Second, "two runs", func() bool { return len(telemetryStatus(t, c, f).Bundles) >= 2 })
	st := telemetryStatus(t, c, f)
	for _, b := range st.Bundles {
		if b.Kind != telemetry.KindCompliance {
			t.Errorf("choice none wrote a %s bundle", b.Kind)
		}
	}
	if st.Sends || st.Plan.Choice != telemetry.ChoiceNone || !strings.Contains(st.Why, "nothing is sent") {
		t.Fatalf("status with no program: %+v", st)
	}
	var rep daemon.RunReport
	if err := c.Admin(ctx(t), adminToken(t, f), "telemetry.upload", nil, &rep); err == nil {
		t.Fatal("upload now with no program was accepted")
	}
	var svc any
	if err := c.Admin(ctx(t), adminToken(t, f), "service.disable", nil, &svc); err != nil {
		t.Fatal(err)
	}
	f.writeFile("CITRIX.opt", "CEIP ON\n")
	var rr any
	if err := c.Admin(ctx(t), adminToken(t, f), "reread", nil, &rr); err != nil {
		t.Fatal(err)
	}
	eventually(t, 15*time.Second, "a usage bundle for manual upload", func() bool {
		for _, b := range telemetryStatus(t, c, f).Bundles {
			if b.Kind == telemetry.KindUsage {
				return true
			}
		}
		return false
	})
	st = telemetryStatus(t, c, f)
	if st.Sends || !st.Plan.On(telemetry.CEIP) || !strings.Contains(st.Why, "License Management Service is disabled") {
		t.Fatalf("status with CEIP and the service off: %+v", st)
	}
	if err := c.Admin(ctx(t), adminToken(t, f), "telemetry.upload", nil, &rep); err == nil || !strings.Contains(err.Error(), "disabled") {
		t.Fatalf("upload now with the service off: %v", err)
	}
	if n := r.posts.Load(); n != 0 {
		t.Fatalf("%d posts arrived with the programs off", n)
	}
	q := runLmutil(t, f, s, "lmservice", "-query")
	if !strings.Contains(q.stdout, "for manual upload") {
		t.Errorf("lmservice -query does not say the bundles are kept for manual upload:\n%s", q.stdout)
	}
}

var (
	lmutilOnce   sync.Once
	lmutilBinary string
	lmutilErr    error
)

type lmutilResult struct {
	code           int
	stdout, stderr string
}

// runLmutil runs the real lmutil against s, as an administrator on the server would.
func runLmutil(t *testing.T, f *fixture, s interface{ Addr() string }, args ...string) lmutilResult {
	t.Helper()
	lmutilOnce.Do(func() {
		dir := filepath.Dir(licdBinary)
		cmd := exec.Command("go", "build", "-o", filepath.Join(dir, "lmutil"), "./cmd/lmutil")
		cmd.Dir = filepath.Join("..", "..")
		if out, err := cmd.CombinedOutput(); err != nil {
			lmutilErr = fmt.Errorf("build lmutil: %v\n%s", err, out)
		}
		lmutilBinary = filepath.Join(dir, "lmutil")
	})
	if lmutilErr != nil {
		t.Fatal(lmutilErr)
	}
	full := append(append([]string{}, args...), "-c", s.Addr(), "-data", filepath.Join(f.dir, "data"), "-t", "60")
	cmd := exec.Command(lmutilBinary, full...)
	var so, se bytes.Buffer
	cmd.Stdout, cmd.Stderr = &so, &se
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return lmutilResult{code: code, stdout: so.String(), stderr: se.String()}
}
