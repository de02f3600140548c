package daemon

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/licd/licd/actors/alerts"
	"github.com/licd/licd/actors/telemetry"
	"github.com/licd/licd/storage"
	"github.com/licd/licd/wire"
)

// The data collection programs and their uploads ("Citrix Licensing data collection
// programs", "Reporting options", "Upload information"): the domain rules are in package
// actors/telemetry; this file gathers the data from a Pebble snapshot, writes the bundles
// into DATA/usage, uploads them when the License Management Service is enabled, keeps the
// last result and raises the alerts.

// TelemetryConfig configures the uploads (flags -telemetry-*).
type TelemetryConfig struct {
	// URL is the HTTPS endpoint that receives the bundles ("" : none; nothing is sent).
	URL string
	// CAFile is a PEM file of CA certificates trusted for the endpoint, in addition to the
	// system's (a private receiver, a test).
	CAFile string
	// Proxy is the proxy for uploads (http://host:port); "" uses the proxy setting.
	Proxy string
	// First is how long after start the first run comes (default 5 minutes) and Interval
	// the time between runs and before a retry (default 24 hours); smaller values are for
	// tests.
	First, Interval time.Duration
	// MinManual is the least time between two "Upload now" (default 5 minutes).
	MinManual time.Duration
	// Keep is how many bundles of each kind are kept (default 14) and MaxBytes how much
	// they may take together (default 256 MiB).
	Keep     int
	MaxBytes int64
	// Timeout bounds one upload (default 2 minutes).
	Timeout time.Duration
}

// Settings keys of the telemetry state (storage/SCHEMA.md).
const (
	telemetryInstallKey = "telemetry/install" // {guid, installed}
	telemetrySecretKey  = "telemetry/secret"  // the de-identification key: never leaves the server
	telemetryStateKey   = "telemetry/state"   // {lastSuccess, onSince, lastRun}
	telemetryResultKey  = "telemetry/result"  // the last upload's telemetry.Result
)

// UsageDir is the directory of the data directory holding the bundles and the last result.
const UsageDir = "usage"

// ResultXMLFile is the last result in the manual's shape.
const ResultXMLFile = "upload_compliance_result.xml"

type telemetryInstall struct {
	GUID      string    `json:"guid"`
	Installed time.Time `json:"installed"`
}

type telemetryState struct {
	LastSuccess time.Time `json:"lastSuccess,omitzero"`
	OnSince     time.Time `json:"onSince,omitzero"`
	LastRun     time.Time `json:"lastRun,omitzero"`
}

// telemetryRun is the telemetry's part of the daemon.
type telemetryRun struct {
	mu      sync.Mutex // serialises runs: the schedule's and "Upload now"
	install telemetryInstall
	deid    *telemetry.Deidentifier
	schedMu sync.Mutex // guards sched (not held during a run: the status never waits on an upload)
	sched   *telemetry.Schedule
	ctx     context.Context // cancelled at shutdown: an upload in progress stops
	cancel  context.CancelFunc
	client  *http.Client
	proxy   string // the proxy the client was made with
	stop    chan struct{}
	done    chan struct{}
	started bool
}

// TelemetryStatus is what the API, lmservice -query and lmstat -s show of the programs.
type TelemetryStatus struct {
	Plan telemetry.Plan `json:"plan"`
	// ChoiceSource is where the choice comes from: "store", "options file" or "default".
	ChoiceSource string `json:"choiceSource"`
	Endpoint     string `json:"endpoint,omitempty"`
	// Sends says whether anything leaves the machine; Why explains it in a sentence.
	Sends       bool                   `json:"sends"`
	Why         string                 `json:"why"`
	BundleDir   string                 `json:"bundleDir"`
	NextRun     time.Time              `json:"nextRun,omitzero"`
	LastRun     time.Time              `json:"lastRun,omitzero"`
	LastSuccess time.Time              `json:"lastSuccess,omitzero"`
	LastResult  *telemetry.Result      `json:"lastResult,omitempty"`
	Bundles     []telemetry.BundleInfo `json:"bundles,omitempty"`
	// DaysSinceSuccess and Overdue are the 90-day compliance rule's figures.
	DaysSinceSuccess int  `json:"daysSinceSuccess"`
	Overdue          bool `json:"overdue"`
}

// RunReport is the answer of a run ("Upload now", or the bundles a scheduled run wrote).
type RunReport struct {
	Written []string          `json:"written"`
	Pruned  []string          `json:"pruned,omitempty"`
	Sent    bool              `json:"sent"`
	Why     string            `json:"why,omitempty"`
	Result  *telemetry.Result `json:"result,omitempty"`
}

func (d *Daemon) usageDir() string { return filepath.Join(d.cfg.DataDir, UsageDir) }

// startTelemetry loads or makes the install's id and secret and starts the schedule.
func (d *Daemon) startTelemetry() error {
	t := &d.tele
	if err := os.MkdirAll(d.usageDir(), 0o700); err != nil {
		return fmt.Errorf("create the usage bundle directory %s: %w", d.usageDir(), err)
	}
	_ = os.Chmod(d.usageDir(), 0o700)
	ok, err := getJSONSetting(d.store, telemetryInstallKey, &t.install)
	if err != nil {
		return fmt.Errorf("telemetry: %w", err)
	}
	secret, haveSecret, err := d.store.Setting(telemetrySecretKey)
	if err != nil {
		return fmt.Errorf("telemetry: read the de-identification secret: %w", err)
	}
	if !ok || !haveSecret {
		b := storage.NewBatch()
		if !ok {
			id, err := d.installID() // the server's one install id, as the API shows it
			if err != nil {
				return fmt.Errorf("telemetry: %w", err)
			}
			t.install = telemetryInstall{GUID: guidOf(id), Installed: d.now().UTC()}
			putJSONSetting(b, telemetryInstallKey, t.install)
		}
		if !haveSecret {
			secret = make([]byte, telemetry.SecretBytes)
			if _, err := rand.Read(secret); err != nil {
				return fmt.Errorf("telemetry: make the de-identification secret: %w", err)
			}
			b.PutSetting(telemetrySecretKey, secret)
		}
		if err := d.store.Commit(b); err != nil {
			return fmt.Errorf("telemetry: store the install id: %w", err)
		}
	}
	if t.deid, err = telemetry.NewDeidentifier(secret); err != nil {
		return err
	}
	cfg := d.cfg.Telemetry
	t.sched = telemetry.NewSchedule(telemetry.ScheduleConfig{First: cfg.First, Interval: cfg.Interval, MinManual: cfg.MinManual,
		Rand: mrand.Float64}, d.now())
	t.stop, t.done = make(chan struct{}), make(chan struct{})
	t.ctx, t.cancel = context.WithCancel(context.Background())
	t.started = true
	go d.telemetryLoop()
	return nil
}

// stopTelemetry stops the schedule; a run in progress finishes first (an upload is bounded
// by its timeout).
func (d *Daemon) stopTelemetry() {
	t := &d.tele
	if !t.started || t.stop == nil {
		return
	}
	select {
	case <-t.stop:
	default:
		close(t.stop)
		t.cancel()
	}
	<-t.done
}

func (t *telemetryRun) next() time.Time {
	t.schedMu.Lock()
	defer t.schedMu.Unlock()
	return t.sched.Next()
}

func (t *telemetryRun) recordRun(now time.Time, ok bool) {
	t.schedMu.Lock()
	defer t.schedMu.Unlock()
	t.sched.Done(now, ok)
}

func (d *Daemon) telemetryLoop() {
	t := &d.tele
	defer close(t.done)
	for {
		d.checkCompliance()
		wait := t.next().Sub(d.now())
		if wait > time.Hour {
			wait = time.Hour // the 90-day rule is looked at hourly
		}
		timer := time.NewTimer(max(wait, 0))
		select {
		case <-t.stop:
			timer.Stop()
			return
		case <-timer.C:
		}
		if d.now().Before(t.next()) {
			continue
		}
		rep, err := d.runTelemetry(false)
		if err != nil {
			d.log.Warn("usage data run", zap.Error(err))
		} else if rep.Result != nil && !rep.Result.OK {
			d.log.Warn("usage data upload failed", zap.String("code", rep.Result.Code), zap.String("message", rep.Result.Message))
		}
	}
}

// TelemetryPlan is the plan in force: the data-sharing choice (stored setting, else the
// options file, else none), the License Management Service switch and PrivacySetting.
func (d *Daemon) TelemetryPlan() (telemetry.Plan, string, error) {
	choice, source, err := d.dataSharingChoice()
	if err != nil {
		return telemetry.Plan{}, "", err
	}
	svc, err := d.serviceState()
	if err != nil {
		return telemetry.Plan{}, "", err
	}
	privacy, err := d.privacySetting()
	if err != nil {
		return telemetry.Plan{}, "", err
	}
	return telemetry.NewPlan(choice, svc.Enabled, privacy), source, nil
}

func (d *Daemon) dataSharingChoice() (telemetry.Choice, string, error) {
	var st storedSetting
	ok, err := getJSONSetting(d.store, settingKeyOf("data_sharing_program"), &st)
	if err != nil {
		return "", "", err
	}
	if ok {
		var s string
		if json.Unmarshal(st.Value, &s) == nil {
			if c, err := telemetry.ParseChoice(s); err == nil {
				return c, "store", nil
			}
		}
	}
	if o := d.engine.Options(); o != nil {
		if c, ok := telemetry.ChoiceFromOptions(o.CallHome, o.CEIP); ok {
			return c, "options file", nil
		}
	}
	return telemetry.ChoiceNone, "default", nil
}

func (d *Daemon) privacySetting() (bool, error) {
	var st storedSetting
	ok, err := getJSONSetting(d.store, settingKeyOf("privacy"), &st)
	if err != nil || !ok {
		return true, err
	}
	var on bool
	if json.Unmarshal(st.Value, &on) != nil {
		return true, nil
	}
	return on, nil
}

// uploadProxy is the proxy uploads go through: -telemetry-proxy, else the proxy setting.
func (d *Daemon) uploadProxy() (string, error) {
	if d.cfg.Telemetry.Proxy != "" {
		return d.cfg.Telemetry.Proxy, nil
	}
	s, err := d.setting(findSetting("proxy"))
	if err != nil {
		return "", err
	}
	p, _ := s.Value.(string)
	return p, nil
}

// whyNotSent explains a plan that sends nothing, or "" when it sends.
func (d *Daemon) whyNotSent(p telemetry.Plan) string {
	switch {
	case len(p.Programs) == 0:
		return "no data-sharing program is on (choice none): nothing is sent; the compliance bundle is written for manual reporting"
	case !p.Automatic:
		return "the License Management Service is disabled: the bundles are written to " + d.usageDir() + " for manual upload and nothing is sent"
	case d.cfg.Telemetry.URL == "":
		return "no upload endpoint is configured (licd -telemetry-url): the bundles are written to " + d.usageDir() + " and nothing is sent"
	}
	return ""
}

// UploadNow writes fresh bundles and uploads them at once ("Upload now"), at most once
// every five minutes; it is refused when nothing may be sent.
func (d *Daemon) UploadNow() (*RunReport, error) {
	plan, _, err := d.TelemetryPlan()
	if err != nil {
		return nil, err
	}
	if !plan.Sends() {
		return nil, wire.Errorf(wire.CodeDisabled, "upload now: "+d.whyNotSent(plan))
	}
	t := &d.tele
	t.schedMu.Lock()
	err = t.sched.UploadNow(d.now())
	t.schedMu.Unlock()
	if err != nil {
		return nil, wire.Errorf(wire.CodeBadRequest, "upload now: "+err.Error())
	}
	return d.runTelemetry(true)
}

// runTelemetry is one run: write the bundles from a snapshot, prune, and upload them when
// the plan sends; the schedule learns the outcome.
func (d *Daemon) runTelemetry(manual bool) (*RunReport, error) {
	t := &d.tele
	t.mu.Lock()
	defer t.mu.Unlock()
	now := d.now()
	plan, _, err := d.TelemetryPlan()
	if err != nil {
		t.recordRun(now, false)
		return nil, err
	}
	var st telemetryState
	if _, err := getJSONSetting(d.store, telemetryStateKey, &st); err != nil {
		t.recordRun(now, false)
		return nil, err
	}
	rep := &RunReport{}
	written, err := d.writeBundles(plan, now, st.LastRun)
	rep.Written = written
	if err != nil {
		res := telemetry.Result{Time: now.UTC(), Code: telemetry.CodeBundle, Message: err.Error(), UploadType: uploadType(manual)}
		d.recordResult(&st, res, plan)
		t.recordRun(now, false)
		rep.Result = &res
		return rep, err
	}
	rep.Pruned = d.pruneBundles()
	st.LastRun = now.UTC()
	if plan.Sends() && st.OnSince.IsZero() {
		st.OnSince = now.UTC()
	}
	if !plan.Sends() {
		st.OnSince = time.Time{}
		rep.Why = d.whyNotSent(plan)
		d.ClearFailure(alerts.KindUploadFailed, "telemetry-upload")
		t.recordRun(now, true)
		if err := d.putState(st); err != nil {
			return rep, err
		}
		return rep, nil
	}
	res := d.upload(written, manual)
	rep.Sent, rep.Result = res.OK, &res
	d.recordResult(&st, res, plan)
	t.recordRun(now, res.OK)
	return rep, nil
}

func uploadType(manual bool) string {
	if manual {
		return "Manual"
	}
	return "Auto"
}

// recordResult keeps a result (store and upload_compliance_result.xml) and feeds the alerts.
func (d *Daemon) recordResult(st *telemetryState, res telemetry.Result, plan telemetry.Plan) {
	if res.OK {
		st.LastSuccess = res.Time
		d.ClearFailure(alerts.KindUploadFailed, "telemetry-upload")
	} else {
		d.ReportFailure(alerts.Failure{Kind: alerts.KindUploadFailed, Key: "telemetry-upload", At: res.Time,
			Message: "the usage data upload failed: " + res.Code + ": " + res.Message,
			Action:  "check -telemetry-url, the proxy and the network (lmutil telemetry -status); it is retried in 24 hours, or use lmutil telemetry -upload"})
	}
	b := storage.NewBatch()
	putJSONSetting(b, telemetryResultKey, res)
	putJSONSetting(b, telemetryStateKey, *st)
	if err := d.store.Commit(b); err != nil {
		d.log.Warn("store the upload result", zap.Error(err))
	}
	if x, err := res.XML(); err == nil {
		if err := writeFileAtomic(filepath.Join(d.usageDir(), ResultXMLFile), x); err != nil {
			d.log.Warn("write the upload result file", zap.Error(err))
		}
	}
	d.checkComplianceWith(*st, plan)
}

func (d *Daemon) putState(st telemetryState) error {
	b := storage.NewBatch()
	putJSONSetting(b, telemetryStateKey, st)
	if err := d.store.Commit(b); err != nil {
		return fmt.Errorf("store the telemetry state: %w", err)
	}
	return nil
}

// checkCompliance applies the 90-day rule to the stored state.
func (d *Daemon) checkCompliance() {
	plan, _, err := d.TelemetryPlan()
	if err != nil {
		return
	}
	var st telemetryState
	if _, err := getJSONSetting(d.store, telemetryStateKey, &st); err != nil {
		return
	}
	d.checkComplianceWith(st, plan)
}

// checkComplianceWith raises the compliance alert when uploads are automatic (a program
// that requires them is on and the service is enabled) and the last success is more than
// 90 days old ("Citrix Licensing Telemetry").
func (d *Daemon) checkComplianceWith(st telemetryState, plan telemetry.Plan) {
	overdue, days := telemetry.ComplianceOverdue(d.now(), st.LastSuccess, st.OnSince)
	if !plan.Sends() || !plan.On(telemetry.Telemetry) || !overdue {
		d.ClearFailure(alerts.KindUploadFailed, "telemetry-compliance")
		return
	}
	last := "never"
	if !st.LastSuccess.IsZero() {
		last = st.LastSuccess.Format("2006-01-02")
	}
	d.ReportFailure(alerts.Failure{Kind: alerts.KindUploadFailed, Key: "telemetry-compliance", At: d.now(),
		Message: fmt.Sprintf("no successful usage data upload for %d days (last: %s): the compliance rule allows at most 90", days, last),
		Action:  "fix the upload (lmutil telemetry -status shows the last error) and run lmutil telemetry -upload, or report the bundles in " + d.usageDir() + " by hand"})
}

// upload sends every bundle in written, in order; the first failure ends the run.
func (d *Daemon) upload(written []string, manual bool) telemetry.Result {
	res := telemetry.Result{Time: d.now().UTC(), UploadType: uploadType(manual), Endpoint: redactURL(d.cfg.Telemetry.URL)}
	if d.cfg.Telemetry.URL == "" {
		res.Code, res.Message = telemetry.CodeNoEndpoint, "no upload endpoint is configured: start licd with -telemetry-url https://..."
		return res
	}
	client, err := d.uploadClient()
	if err != nil {
		res.Code, res.Message = telemetry.CodeNetworkOpen, err.Error()
		return res
	}
	u, _ := url.Parse(d.cfg.Telemetry.URL)
	res.Arg = hostPort(u)
	for _, name := range written {
		body, err := os.ReadFile(filepath.Join(d.usageDir(), name))
		if err != nil {
			res.Code, res.Message = telemetry.CodeBundle, fmt.Sprintf("read %s: %v", name, err)
			return res
		}
		req, err := http.NewRequestWithContext(d.tele.ctx, http.MethodPost, d.cfg.Telemetry.URL, bytes.NewReader(body))
		if err != nil {
			res.Code, res.Message = telemetry.CodeNetworkOpen, err.Error()
			return res
		}
		kind, _, _ := telemetry.ParseBundleName(name)
		req.Header.Set("Content-Type", "application/zip")
		req.Header.Set("User-Agent", "licd/"+Version)
		req.Header.Set("X-Licd-Bundle", name)
		req.Header.Set("X-Licd-Kind", kind)
		req.Header.Set("X-Licd-Guid", d.tele.install.GUID)
		resp, err := client.Do(req)
		if err != nil {
			res.Code, res.Message = telemetry.CodeNetworkOpen, redactError(err, d.cfg.Telemetry.URL)
			return res
		}
		snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		_ = resp.Body.Close()
		res.HTTPStatus = resp.StatusCode
		if resp.StatusCode/100 != 2 {
			res.Code = telemetry.CodeHTTP
			res.Message = fmt.Sprintf("%s answered %s for %s: %s", res.Endpoint, resp.Status, name, strings.TrimSpace(string(snippet)))
			return res
		}
		res.Bundles = append(res.Bundles, name)
	}
	res.OK, res.Code, res.Time = true, telemetry.CodeSuccess, d.now().UTC()
	return res
}

// uploadClient is the HTTPS client of the uploads: the system's CAs plus -telemetry-ca,
// through the upload proxy. It is remade when the proxy setting changes.
func (d *Daemon) uploadClient() (*http.Client, error) {
	t := &d.tele
	proxy, err := d.uploadProxy()
	if err != nil {
		return nil, err
	}
	if t.client != nil && t.proxy == proxy {
		return t.client, nil
	}
	roots, err := x509.SystemCertPool()
	if err != nil || roots == nil {
		roots = x509.NewCertPool()
	}
	if f := d.cfg.Telemetry.CAFile; f != "" {
		pem, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("read the upload CA file (-telemetry-ca): %w", err)
		}
		if !roots.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("the upload CA file %s holds no PEM certificate", f)
		}
	}
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12},
		Proxy: nil, DialContext: (&net.Dialer{Timeout: 30 * time.Second}).DialContext, TLSHandshakeTimeout: 30 * time.Second,
		MaxIdleConns: 2, IdleConnTimeout: time.Minute}
	if proxy != "" {
		pu, err := url.Parse(proxy)
		if err != nil {
			return nil, fmt.Errorf("the upload proxy %s is not a URL", redactURL(proxy))
		}
		tr.Proxy = http.ProxyURL(pu)
	}
	timeout := d.cfg.Telemetry.Timeout
	if timeout <= 0 {
		timeout = 2 * time.Minute
	}
	if t.client != nil {
		t.client.CloseIdleConnections()
	}
	t.client, t.proxy = &http.Client{Transport: tr, Timeout: timeout}, proxy
	return t.client, nil
}

func hostPort(u *url.URL) string {
	if u == nil {
		return ""
	}
	if u.Port() != "" {
		return u.Host
	}
	return net.JoinHostPort(u.Hostname(), "443")
}

// redactURL is a URL without its credentials and query (for results and logs).
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || s == "" {
		return ""
	}
	u.User, u.RawQuery, u.Fragment = nil, "", ""
	return u.String()
}

// redactError is an upload error without the URL's credentials or query.
func redactError(err error, raw string) string {
	msg := err.Error()
	var ue *url.Error
	if errors.As(err, &ue) {
		msg = ue.Op + " " + redactURL(ue.URL) + ": " + ue.Err.Error()
	}
	if raw != "" {
		msg = strings.ReplaceAll(msg, raw, redactURL(raw))
	}
	return msg
}

// TelemetryStatus is the programs' state, the next run and the last result.
func (d *Daemon) TelemetryStatus() (*TelemetryStatus, error) {
	plan, source, err := d.TelemetryPlan()
	if err != nil {
		return nil, err
	}
	st := &TelemetryStatus{Plan: plan, ChoiceSource: source, Endpoint: redactURL(d.cfg.Telemetry.URL), BundleDir: d.usageDir()}
	st.Sends = plan.Sends() && d.cfg.Telemetry.URL != ""
	if st.Why = d.whyNotSent(plan); st.Why == "" {
		st.Why = "the bundles of " + programList(plan.Programs) + " are uploaded to " + st.Endpoint + " daily"
	}
	var ts telemetryState
	if _, err := getJSONSetting(d.store, telemetryStateKey, &ts); err != nil {
		return nil, err
	}
	st.LastRun, st.LastSuccess = ts.LastRun, ts.LastSuccess
	st.Overdue, st.DaysSinceSuccess = telemetry.ComplianceOverdue(d.now(), ts.LastSuccess, ts.OnSince)
	st.Overdue = st.Overdue && plan.Sends()
	d.checkComplianceWith(ts, plan) // the alert follows what the status shows
	var res telemetry.Result
	if ok, err := getJSONSetting(d.store, telemetryResultKey, &res); err != nil {
		return nil, err
	} else if ok {
		st.LastResult = &res
	}
	if d.tele.started {
		st.NextRun = d.tele.next()
	}
	st.Bundles, err = d.Bundles()
	return st, err
}

// LastUpload is the last upload's result (nil when there was none).
func (d *Daemon) LastUpload() (*telemetry.Result, error) {
	var res telemetry.Result
	ok, err := getJSONSetting(d.store, telemetryResultKey, &res)
	if err != nil || !ok {
		return nil, err
	}
	return &res, nil
}

func programList(ps []telemetry.Program) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = string(p)
	}
	return strings.Join(s, ", ")
}

// Bundles lists the bundles in DATA/usage, newest first.
func (d *Daemon) Bundles() ([]telemetry.BundleInfo, error) {
	entries, err := os.ReadDir(d.usageDir())
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list the bundles in %s: %w", d.usageDir(), err)
	}
	var out []telemetry.BundleInfo
	for _, e := range entries {
		kind, at, ok := telemetry.ParseBundleName(e.Name())
		if !ok || !e.Type().IsRegular() {
			continue
		}
		fi, err := e.Info()
		if err != nil {
			continue
		}
		out = append(out, telemetry.BundleInfo{Name: e.Name(), Kind: kind, Time: at, Size: fi.Size()})
	}
	telemetry.SortBundles(out)
	return out, nil
}

// BundleContents is a bundle as the operator reads it before it is sent.
type BundleContents struct {
	Name     string             `json:"name"`
	Manifest telemetry.Manifest `json:"manifest"`
	// Files are the bundle's reports by name (JSON text).
	Files map[string]json.RawMessage `json:"files"`
}

// ReadBundle opens one bundle of DATA/usage by name and checks it against its manifest.
func (d *Daemon) ReadBundle(name string) (*BundleContents, error) {
	path, err := d.bundlePath(name)
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, adminErr(KindNotFound, "no bundle %s (lmutil telemetry -list and GET /api/v1/telemetry/bundles show the bundles)", name)
	}
	if err != nil {
		return nil, fmt.Errorf("read the bundle %s: %w", name, err)
	}
	m, files, err := telemetry.ReadBundle(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		return nil, fmt.Errorf("bundle %s: %w", name, err)
	}
	out := &BundleContents{Name: name, Manifest: m, Files: map[string]json.RawMessage{}}
	for n, data := range files {
		out.Files[n] = json.RawMessage(data)
	}
	return out, nil
}

// bundlePath is the path of a bundle named as Bundles lists it; any other name (a path, a
// file that is not a bundle) is refused.
func (d *Daemon) bundlePath(name string) (string, error) {
	if _, _, ok := telemetry.ParseBundleName(name); !ok || strings.ContainsAny(name, `/\`) {
		return "", wire.Errorf(wire.CodeBadRequest, fmt.Sprintf("%q is not a bundle name: give one that lmutil telemetry -list shows (upload_compliance_...zip, upload_usage_...zip)", name))
	}
	return filepath.Join(d.usageDir(), name), nil
}

// pruneBundles deletes the bundles beyond the kept number and size.
func (d *Daemon) pruneBundles() []string {
	bs, err := d.Bundles()
	if err != nil {
		d.log.Warn("prune the bundles", zap.Error(err))
		return nil
	}
	keep, maxBytes := d.cfg.Telemetry.Keep, d.cfg.Telemetry.MaxBytes
	if keep <= 0 {
		keep = 14
	}
	if maxBytes <= 0 {
		maxBytes = 256 << 20
	}
	del := telemetry.Prune(bs, keep, maxBytes)
	for _, n := range del {
		if err := os.Remove(filepath.Join(d.usageDir(), n)); err != nil && !errors.Is(err, os.ErrNotExist) {
			d.log.Warn("delete an old bundle", zap.String("bundle", n), zap.Error(err))
		}
	}
	return del
}

// writeFileAtomic writes a private file through a temporary one and a rename.
func writeFileAtomic(path string, data []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		_ = os.Remove(tmp)
		return err
	}
	return nil
}

// guidOf writes the install id (32 hex digits) as a GUID, the manual's form of it
// ("a5ae17c9-8a4a-4318-938f-a8c6da2aa2ef"); another form is kept as it is.
func guidOf(id string) string {
	if len(id) != 32 {
		return id
	}
	return id[:8] + "-" + id[8:12] + "-" + id[12:16] + "-" + id[16:20] + "-" + id[20:]
}

// telemetryOp serves the telemetry admin requests of lmutil (the same calls the API makes).
func (d *Daemon) telemetryOp(op string, args []byte) (any, error) {
	var a struct {
		Name string `json:"name"`
	}
	if len(args) > 0 {
		if err := json.Unmarshal(args, &a); err != nil {
			return nil, wire.Errorf(wire.CodeBadRequest, op+" arguments: "+err.Error())
		}
	}
	switch op {
	case "telemetry.status":
		return d.TelemetryStatus()
	case "telemetry.bundles":
		bs, err := d.Bundles()
		return map[string]any{"dir": d.usageDir(), "bundles": bs}, err
	case "telemetry.read":
		return d.ReadBundle(a.Name)
	case "telemetry.upload":
		return d.UploadNow()
	}
	return nil, wire.Errorf(wire.CodeBadRequest, "unknown telemetry operation "+op)
}

// uploadStatus is the status's summary of the uploads (nil when it cannot be read).
func (d *Daemon) uploadStatus() *wire.UploadStatus {
	plan, _, err := d.TelemetryPlan()
	if err != nil {
		return nil
	}
	u := &wire.UploadStatus{Choice: string(plan.Choice), Automatic: plan.Automatic, Sends: plan.Sends() && d.cfg.Telemetry.URL != ""}
	for _, p := range plan.Programs {
		u.Programs = append(u.Programs, string(p))
	}
	if u.Why = d.whyNotSent(plan); u.Why == "" {
		u.Why = "uploaded daily to " + redactURL(d.cfg.Telemetry.URL)
	}
	var ts telemetryState
	if _, err := getJSONSetting(d.store, telemetryStateKey, &ts); err == nil {
		u.LastUpload = ts.LastSuccess
		o, _ := telemetry.ComplianceOverdue(d.now(), ts.LastSuccess, ts.OnSince)
		u.Overdue = o && plan.Sends()
	}
	if r, err := d.LastUpload(); err == nil && r != nil {
		u.LastResult, u.LastOK = r.Summary(), r.OK
	}
	return u
}
