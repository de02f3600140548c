package daemon

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/licd/licd/actors/alerts"
	"github.com/licd/licd/license"
	"github.com/licd/licd/storage"
)

// The License Server's side of the vendor's fulfilment service (cmd/licgen/FULFILMENT.md):
// "Install licenses" by "Use license access code" (display the entitlements of a code, then
// install a quantity of one of them: it is allocated to this server, its license file
// downloaded, verified and installed as an uploaded file would be), "Return allocations",
// and the Customer Success Services renewal check (fulfilment_renewal.go). Outbound calls go
// through the proxy of the settings ("Configure a proxy server"). A failure (unreachable,
// proxy refused, bad certificate, bad signature, a refusal of the service) is an error to the
// caller and an alert with what to do; nothing is written unless the whole file is good.

// FulfilmentConfig is where the fulfilment service is and how licd trusts it.
type FulfilmentConfig struct {
	// URL is the service's base URL (https://host:port); empty: no fulfilment service.
	URL string
	// CAFile is a PEM file of certificates to trust for it besides the system's (a test CA
	// or a vendor's own).
	CAFile string
	// RenewalInterval is the scheduled renewal check's interval (default weekly).
	RenewalInterval time.Duration
	// Timeout bounds one call to the service (default 30 s).
	Timeout time.Duration
}

// Failure kinds of a fulfilment call, for the alerts and the callers.
const (
	FulfilUnreachable   = "unreachable"
	FulfilProxyRefused  = "proxy-refused"
	FulfilBadCert       = "bad-certificate"
	FulfilBadSignature  = "bad-signature"
	FulfilRefused       = "refused" // the service answered with an error
	FulfilNotConfigured = "not-configured"
)

// FulfilmentError is a failed fulfilment operation: what failed, why (Reason, one of the
// Fulfil* kinds) and what to do. The methods return it when the service could not be used
// (unreachable, proxy, certificate, signature: the API's 502); a refusal of the request by
// the service (an unknown access code, too few licenses) is an *AdminError instead.
type FulfilmentError struct {
	Op     string `json:"op"`
	Reason string `json:"reason"`
	Msg    string `json:"message"`
	Action string `json:"action"`
	Status int    `json:"status,omitempty"` // the service's HTTP status, for FulfilRefused
	Code   string `json:"code,omitempty"`   // the service's error code
}

func (e *FulfilmentError) Error() string { return e.Msg + ": " + e.Action }

// maxFulfilJSON bounds a JSON answer of the service.
const maxFulfilJSON = 4 << 20

// fulfilMu serialises fulfilment operations (installs, returns, renewal checks). An
// administrator's request that finds another running is refused at once rather than
// waiting: it would hold one of the slots the status answers share.
var fulfilMu sync.Mutex

var errFulfilBusy = adminErr(KindConflict, "another license install or renewal check is running: try again in a moment")

// proxyRefusedError is a proxy's answer other than 200 to CONNECT.
type proxyRefusedError struct {
	proxy  string
	status string
}

func (e *proxyRefusedError) Error() string {
	return fmt.Sprintf("the proxy %s refused the connection (%s)", e.proxy, e.status)
}

// fulfilClient is an HTTP client for one operation, with the proxy in force now.
type fulfilClient struct {
	ctx   context.Context
	base  *url.URL
	proxy string
	hc    *http.Client
}

func (d *Daemon) fulfilClient(op string) (*fulfilClient, error) {
	cfg := d.cfg.Fulfilment
	if cfg.URL == "" {
		return nil, &FulfilmentError{Op: op, Reason: FulfilNotConfigured, Msg: "no fulfilment service is configured",
			Action: "start licd with -fulfilment-url https://HOST:PORT (the vendor's licgen serve)"}
	}
	base, err := url.Parse(cfg.URL)
	if err != nil || base.Scheme != "https" || base.Host == "" {
		return nil, &FulfilmentError{Op: op, Reason: FulfilNotConfigured, Msg: fmt.Sprintf("fulfilment URL %q is not an https:// URL", cfg.URL),
			Action: "give -fulfilment-url https://HOST:PORT"}
	}
	roots, err := x509.SystemCertPool()
	if err != nil || roots == nil {
		roots = x509.NewCertPool()
	}
	if cfg.CAFile != "" {
		pemBytes, err := os.ReadFile(cfg.CAFile)
		if err != nil {
			return nil, &FulfilmentError{Op: op, Reason: FulfilBadCert, Msg: fmt.Sprintf("read the fulfilment CA file: %v", err), Action: "check -fulfilment-ca"}
		}
		if !roots.AppendCertsFromPEM(pemBytes) {
			return nil, &FulfilmentError{Op: op, Reason: FulfilBadCert, Msg: fmt.Sprintf("%s has no PEM certificate", cfg.CAFile), Action: "check -fulfilment-ca"}
		}
	}
	proxy, err := d.settingString("proxy")
	if err != nil {
		return nil, err
	}
	timeout := cfg.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	tr := &http.Transport{
		TLSClientConfig:        &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12},
		DialContext:            (&net.Dialer{Timeout: 10 * time.Second}).DialContext,
		TLSHandshakeTimeout:    10 * time.Second,
		ResponseHeaderTimeout:  timeout,
		MaxResponseHeaderBytes: 64 << 10,
		DisableKeepAlives:      true,
	}
	if proxy != "" {
		pu, err := url.Parse(proxy)
		if err != nil {
			return nil, fmt.Errorf("proxy setting %q: %w", proxy, err)
		}
		tr.Proxy = http.ProxyURL(pu)
		tr.OnProxyConnectResponse = func(_ context.Context, _ *url.URL, _ *http.Request, res *http.Response) error {
			if res.StatusCode != http.StatusOK {
				return &proxyRefusedError{proxy: proxy, status: res.Status}
			}
			return nil
		}
	}
	return &fulfilClient{ctx: d.fulfilCtx, base: base, proxy: proxy, hc: &http.Client{Transport: tr, Timeout: timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}, nil
}

// settingString is a string setting's value in force (stored, else flag, else default).
func (d *Daemon) settingString(name string) (string, error) {
	s, err := d.setting(findSetting(name))
	if err != nil {
		return "", err
	}
	v, _ := s.Value.(string)
	return v, nil
}

// do makes one call: method, path (below the base URL), a JSON body or nil; it returns the
// answer's body (at most limit bytes) for a 2xx status, else a FulfilmentError.
func (c *fulfilClient) do(op, method, path string, body any, limit int64) ([]byte, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, fmt.Errorf("%s: encode the request: %w", op, err)
		}
		rd = bytes.NewReader(b)
	}
	u := c.base.JoinPath(path)
	ctx := c.ctx
	if ctx == nil {
		ctx = context.Background()
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("User-Agent", "licd/"+Version)
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, c.classify(op, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, &FulfilmentError{Op: op, Reason: FulfilUnreachable, Msg: fmt.Sprintf("%s: the answer of %s was cut off: %v", op, c.base.Host, err),
			Action: "try again; check the network to the fulfilment service"}
	}
	if int64(len(b)) > limit {
		return nil, &FulfilmentError{Op: op, Reason: FulfilRefused, Msg: fmt.Sprintf("%s: the answer of %s is larger than %d bytes", op, c.base.Host, limit),
			Action: "check -fulfilment-url: it does not look like a fulfilment service"}
	}
	if resp.StatusCode/100 != 2 {
		var e struct{ Error, Code string }
		_ = json.Unmarshal(b, &e)
		if e.Error == "" {
			e.Error = strings.TrimSpace(string(b[:min(len(b), 200)]))
		}
		return nil, &FulfilmentError{Op: op, Reason: FulfilRefused, Status: resp.StatusCode, Code: e.Code,
			Msg:    fmt.Sprintf("%s: the fulfilment service answered %s: %s", op, resp.Status, e.Error),
			Action: "correct the request (the service's message says how) or contact the vendor"}
	}
	return b, nil
}

// classify turns a transport error into a FulfilmentError with what to do.
func (c *fulfilClient) classify(op string, err error) *FulfilmentError {
	var pr *proxyRefusedError
	var cve *tls.CertificateVerificationError
	var ua x509.UnknownAuthorityError
	var he x509.HostnameError
	var ci x509.CertificateInvalidError
	var oe *net.OpError
	switch {
	case errors.As(err, &pr):
		return &FulfilmentError{Op: op, Reason: FulfilProxyRefused, Msg: fmt.Sprintf("%s: %v", op, pr),
			Action: "allow " + c.base.Host + " on the proxy, or change the proxy setting (\"Configure a proxy server\")"}
	case errors.As(err, &cve), errors.As(err, &ua), errors.As(err, &he), errors.As(err, &ci):
		return &FulfilmentError{Op: op, Reason: FulfilBadCert, Msg: fmt.Sprintf("%s: the certificate of %s is not trusted: %v", op, c.base.Host, err),
			Action: "check -fulfilment-url; give the service's CA with -fulfilment-ca if it has its own; a proxy that inspects TLS must not intercept it"}
	case errors.As(err, &oe) && oe.Op == "proxyconnect":
		return &FulfilmentError{Op: op, Reason: FulfilProxyRefused, Msg: fmt.Sprintf("%s: the proxy %s cannot be reached: %v", op, c.proxy, oe.Err),
			Action: "check the proxy setting (\"Configure a proxy server\") and that the proxy runs"}
	}
	return &FulfilmentError{Op: op, Reason: FulfilUnreachable, Msg: fmt.Sprintf("%s: the fulfilment service %s cannot be reached: %v", op, c.base.Host, err),
		Action: "check the firewall setting or configure a proxy (\"Check for and install Customer Success Services renewal licenses\")"}
}

// getJSON and postJSON decode the service's JSON answer into out.
func (c *fulfilClient) call(op, method, path string, body, out any) error {
	b, err := c.do(op, method, path, body, maxFulfilJSON)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, out); err != nil {
		return &FulfilmentError{Op: op, Reason: FulfilRefused, Msg: fmt.Sprintf("%s: the answer of %s is not the JSON expected: %v", op, c.base.Host, err),
			Action: "check -fulfilment-url: it does not look like a fulfilment service"}
	}
	return nil
}

// fulfilFailed turns an error into an alert (a FulfilmentError keeps its reason and
// action) and returns it; ok clears the operation's alert.
func (d *Daemon) fulfilFailed(key string, err error) error {
	if err == nil {
		d.ClearFailure(alerts.KindFulfilmentFailed, key)
		return nil
	}
	f := alerts.Failure{Kind: alerts.KindFulfilmentFailed, Key: key, Message: err.Error(), At: d.now()}
	var fe *FulfilmentError
	if errors.As(err, &fe) {
		f.Message, f.Action = fe.Msg, fe.Action
		if fe.Reason == FulfilRefused && fe.Status/100 == 4 {
			// A refusal of what the administrator asked (an unknown code, too many licenses)
			// is the answer to them, not a lasting condition of the server: an admin error
			// of the matching kind (the API's 404, 409, 422).
			kind := KindInvalid
			switch fe.Status {
			case http.StatusNotFound:
				kind = KindNotFound
			case http.StatusConflict, http.StatusGone:
				kind = KindConflict
			}
			return &AdminError{Kind: kind, Msg: fe.Msg, Details: fe}
		}
	}
	d.ReportFailure(f)
	d.log.Warn("fulfilment failed", zap.String("operation", key), zap.Error(err))
	return err
}

// Entitlement is one product of a license access code ("Display Licenses").
type Entitlement struct {
	ID        string `json:"id"`
	Feature   string `json:"feature"`
	Product   string `json:"product"`
	Edition   string `json:"edition"`
	Model     string `json:"model"`
	Quantity  int    `json:"quantity"`
	Available int    `json:"available"`
	Allocated int    `json:"allocated"`
	CSS       string `json:"css"`
	Expiry    string `json:"expiry"`
}

// Entitlements is what a license access code gives.
type Entitlements struct {
	Code         string        `json:"code"`
	Customer     string        `json:"customer,omitempty"`
	Entitlements []Entitlement `json:"entitlements"`
}

// allocationAnswer is the service's Allocation.
type allocationAnswer struct {
	ID          string     `json:"id"`
	Code        string     `json:"code"`
	Entitlement string     `json:"entitlement"`
	Feature     string     `json:"feature"`
	Host        string     `json:"host"`
	Quantity    int        `json:"quantity"`
	SN          string     `json:"sn"`
	CSS         string     `json:"css"`
	Created     time.Time  `json:"created"`
	Returned    *time.Time `json:"returned,omitempty"`
}

// CodeInstall is a license file installed by license access code (kept in the store, key
// "fulfil/alloc/<allocation>", until it is returned).
type CodeInstall struct {
	Allocation  string     `json:"allocation"`
	Code        string     `json:"code"`
	Entitlement string     `json:"entitlement"`
	Feature     string     `json:"feature"`
	Quantity    int        `json:"quantity"`
	CSS         string     `json:"css"`
	File        string     `json:"file"`
	Installed   time.Time  `json:"installed"`
	Returned    *time.Time `json:"returned,omitempty"`
	// Upload is what installing the file changed (absent in lists).
	Upload *UploadResult `json:"upload,omitempty"`
}

func codeInstallKey(id string) string { return "fulfil/alloc/" + id }

// checkAccessCode refuses what cannot be an access code before anything is sent.
func checkAccessCode(code string) error {
	if len(code) < 4 || len(code) > 64 || strings.IndexFunc(code, func(r rune) bool {
		return !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-')
	}) >= 0 {
		return adminErr(KindInvalid, "license access code %q: 4 to 64 letters, digits and dashes, as the vendor's e-mail gives it", code)
	}
	return nil
}

// AccessCodeEntitlements lists the entitlements of a license access code ("Use license
// access code": "Click Display Licenses to see your license entitlements").
func (d *Daemon) AccessCodeEntitlements(code string) (*Entitlements, error) {
	if err := checkAccessCode(code); err != nil {
		return nil, err
	}
	c, err := d.fulfilClient("display licenses")
	if err != nil {
		return nil, err
	}
	var out Entitlements
	err = c.call("display licenses", "GET", "/v1/entitlements/"+url.PathEscape(code), nil, &out)
	if err := d.fulfilFailed("install-by-code", err); err != nil {
		return nil, err
	}
	return &out, nil
}

// InstallByAccessCode installs qty licenses of one entitlement of a license access code
// ("Use license access code": "Select a product ..., type the number of licenses to install,
// and click Install"). entitlement is the entitlement's id or feature, and may be empty when
// the code has one; qty 0 installs all that is available. The licenses are allocated to this
// server, the file downloaded and checked (every line signed by a trusted key, for this
// server, of the allocation) and installed as fulfil-<allocation>.lic like an upload; when
// it cannot be installed the allocation is returned, and nothing is written.
func (d *Daemon) InstallByAccessCode(code, entitlement string, qty int) (*CodeInstall, error) {
	const op = "install by access code"
	if err := checkAccessCode(code); err != nil {
		return nil, err
	}
	if qty < 0 || qty > 10_000_000 {
		return nil, adminErr(KindInvalid, "quantity %d: give 1 to 10000000 licenses, or 0 for all that are available", qty)
	}
	if !fulfilMu.TryLock() {
		return nil, errFulfilBusy
	}
	defer fulfilMu.Unlock()
	c, err := d.fulfilClient(op)
	if err != nil {
		return nil, err
	}
	var ents Entitlements
	if err := c.call(op, "GET", "/v1/entitlements/"+url.PathEscape(code), nil, &ents); err != nil {
		return nil, d.fulfilFailed("install-by-code", err)
	}
	e, err := pickEntitlement(&ents, entitlement)
	if err != nil {
		return nil, err
	}
	if qty == 0 {
		qty = e.Available
	}
	if qty == 0 || qty > e.Available {
		return nil, adminErr(KindConflict, "%s of access code %s has %d licenses available (%d allocated): ask for fewer, or return an allocation", e.Feature, code, e.Available, e.Allocated)
	}
	var a allocationAnswer
	if err := c.call(op, "POST", "/v1/entitlements/"+url.PathEscape(code)+"/allocations",
		map[string]any{"entitlement": e.ID, "host": d.hostname, "quantity": qty}, &a); err != nil {
		return nil, d.fulfilFailed("install-by-code", err)
	}
	if !validAllocationID(a.ID) {
		return nil, d.fulfilFailed("install-by-code", &FulfilmentError{Op: op, Reason: FulfilRefused,
			Msg: fmt.Sprintf("%s: the service gave allocation id %q", op, a.ID), Action: "contact the vendor"})
	}
	rec := &CodeInstall{Allocation: a.ID, Code: code, Entitlement: e.ID, Feature: e.Feature, Quantity: qty, CSS: a.CSS, File: "fulfil-" + a.ID + ".lic"}
	res, err := d.downloadAndInstall(c, op, a.ID, e.Feature, rec.File, false)
	if err != nil {
		// Give the licenses back, so that the entitlement is as it was.
		if _, rerr := c.do(op, "DELETE", "/v1/entitlements/"+url.PathEscape(code)+"/allocations/"+a.ID, nil, maxFulfilJSON); rerr != nil {
			d.log.Warn("return the allocation of a failed install", zap.String("allocation", a.ID), zap.Error(rerr))
		}
		return nil, d.fulfilFailed("install-by-code", err)
	}
	rec.Installed, rec.Upload = d.now().UTC(), res
	if err := d.putCodeInstall(rec); err != nil {
		return nil, err
	}
	_ = d.fulfilFailed("install-by-code", nil)
	d.debug.Info(d.now(), fmt.Sprintf("installed %d %s by license access code (allocation %s, file %s)", qty, e.Feature, a.ID, rec.File))
	return rec, nil
}

func pickEntitlement(ents *Entitlements, which string) (*Entitlement, error) {
	var names []string
	for i := range ents.Entitlements {
		e := &ents.Entitlements[i]
		if which == e.ID || strings.EqualFold(which, e.Feature) || (which == "" && len(ents.Entitlements) == 1) {
			return e, nil
		}
		names = append(names, e.ID+" ("+e.Feature+")")
	}
	if len(names) == 0 {
		return nil, adminErr(KindNotFound, "access code %s has no entitlements", ents.Code)
	}
	if which == "" {
		return nil, adminErr(KindInvalid, "access code %s has several entitlements: name one of %s", ents.Code, strings.Join(names, ", "))
	}
	return nil, adminErr(KindNotFound, "access code %s has no entitlement %q: it has %s", ents.Code, which, strings.Join(names, ", "))
}

func validAllocationID(id string) bool {
	if len(id) != 16 {
		return false
	}
	for _, c := range id {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// downloadAndInstall fetches an allocation's license file, checks that every license line
// is signed by a trusted key and is the allocation's (its SN, the feature), and installs it
// under name like an upload (replace for a renewal).
func (d *Daemon) downloadAndInstall(c *fulfilClient, op, alloc, feature, name string, replace bool) (*UploadResult, error) {
	content, err := c.do(op, "GET", "/v1/allocations/"+alloc+"/license", nil, int64(license.MaxFileBytes))
	if err != nil {
		return nil, err
	}
	if err := d.verifyDownload(op, content, alloc, feature); err != nil {
		return nil, err
	}
	res, err := d.InstallLicenseFile(name, content, replace)
	if err != nil {
		return nil, fmt.Errorf("%s: the downloaded license file was not installed: %w", op, err)
	}
	return res, nil
}

// verifyDownload checks a downloaded file before anything is written.
func (d *Daemon) verifyDownload(op string, content []byte, alloc, feature string) error {
	bad := func(format string, args ...any) error {
		return &FulfilmentError{Op: op, Reason: FulfilBadSignature, Msg: op + ": " + fmt.Sprintf(format, args...),
			Action: "nothing was installed; check that licd trusts the vendor's key (-trust) and that -fulfilment-url is the vendor's service"}
	}
	f, err := license.Parse("download.lic", bytes.NewReader(content))
	if err != nil {
		return bad("the downloaded file cannot be read: %v", err)
	}
	if len(f.Errors) > 0 {
		return bad("the downloaded file has errors: %v", f.Errors[0])
	}
	if len(f.Lines) == 0 {
		return bad("the downloaded file has no license line")
	}
	keys, err := license.ReadPublicKeys(d.keys...)
	if err != nil {
		return fmt.Errorf("%s: read the trusted keys: %w", op, err)
	}
	for _, l := range f.Lines {
		if err := license.VerifyLine(keys, l); err != nil {
			return bad("line %d (%s) of the downloaded file is not signed by a trusted vendor key: %v", l.LineNo, l.Feature, err)
		}
		if l.SN != alloc || l.Feature != feature {
			return bad("line %d of the downloaded file is %s SN=%s, not allocation %s of %s", l.LineNo, l.Feature, l.SN, alloc, feature)
		}
	}
	return nil
}

func (d *Daemon) putCodeInstall(rec *CodeInstall) error {
	saved := *rec
	saved.Upload = nil
	b := storage.NewBatch()
	putJSONSetting(b, codeInstallKey(rec.Allocation), saved)
	if err := d.store.Commit(b); err != nil {
		return fmt.Errorf("record the install of allocation %s: %w", rec.Allocation, err)
	}
	return nil
}

// CodeInstalls lists the license files installed by access code, oldest first.
func (d *Daemon) CodeInstalls() ([]CodeInstall, error) {
	m, err := d.store.Settings("fulfil/alloc/")
	if err != nil {
		return nil, err
	}
	out := []CodeInstall{}
	for k, raw := range m {
		var r CodeInstall
		if err := decodeJSONSetting(k, raw, &r); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Installed.Before(out[j].Installed) })
	return out, nil
}

// ReturnAllocation gives back the licenses of an allocation installed by access code
// ("Return allocations": "puts the licenses back in the licensing pool"): the license file
// is deleted first (the server never uses licenses it has returned), then the allocation is
// returned to the service; when that call fails it can be repeated.
func (d *Daemon) ReturnAllocation(id string) (*CodeInstall, error) {
	const op = "return allocation"
	if !validAllocationID(id) {
		return nil, adminErr(KindInvalid, "allocation %q: 16 hex digits, as lminstall -installed lists them", id)
	}
	if !fulfilMu.TryLock() {
		return nil, errFulfilBusy
	}
	defer fulfilMu.Unlock()
	var rec CodeInstall
	ok, err := getJSONSetting(d.store, codeInstallKey(id), &rec)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, adminErr(KindNotFound, "no license file was installed by access code for allocation %s (lminstall -installed lists them)", id)
	}
	if rec.Returned != nil {
		return nil, adminErr(KindConflict, "allocation %s was returned on %s", id, rec.Returned.Format(time.RFC3339))
	}
	c, err := d.fulfilClient(op)
	if err != nil {
		return nil, err
	}
	if _, err := d.DeleteLicenseFile(rec.File); err != nil {
		var ae *AdminError
		if !errors.As(err, &ae) || ae.Kind != KindNotFound {
			return nil, err
		}
	}
	if _, err := c.do(op, "DELETE", "/v1/entitlements/"+url.PathEscape(rec.Code)+"/allocations/"+id, nil, maxFulfilJSON); err != nil {
		var fe *FulfilmentError
		if !(errors.As(err, &fe) && fe.Status == http.StatusConflict && fe.Code == "returned") {
			return nil, d.fulfilFailed("return", err)
		}
	}
	_ = d.fulfilFailed("return", nil)
	t := d.now().UTC()
	rec.Returned = &t
	if err := d.putCodeInstall(&rec); err != nil {
		return nil, err
	}
	d.debug.Info(d.now(), fmt.Sprintf("returned allocation %s (%d %s), deleted %s", id, rec.Quantity, rec.Feature, rec.File))
	return &rec, nil
}
