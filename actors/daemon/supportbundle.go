package daemon

import (
	"archive/zip"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/licd/licd/actors"
	"github.com/licd/licd/actors/history"
	"github.com/licd/licd/actors/telemetry"
	"github.com/licd/licd/license"
	"github.com/licd/licd/storage"
	"github.com/licd/licd/wire"
)

// The support bundle ("Support Bundle": "configuration information, a copy of the licensing
// directory, license files, server logs, and usage and analytics data"): one zip an
// administrator hands to whoever supports the server. It never holds a secret: no private
// key, no admin token, no password hash, no API token or its hash, no de-identification
// secret, no proxy credentials (a test scans a bundle for each). The store's part is read
// from one Pebble snapshot, so checkouts go on while it is made.

// SupportDir is the directory of the data directory the support bundles are written to.
const SupportDir = "support"

// supportKeep is how many support bundles are kept.
const supportKeep = 3

// supportLogBytes is the most of each log the bundle carries (its end).
const supportLogBytes = 32 << 20

// supportChunk is the size of a supportbundle.chunk answer (base64 in JSON stays far below
// the wire's 1 MiB frame).
const supportChunk = 256 << 10

// SupportBundleInfo answers the supportbundle admin request.
type SupportBundleInfo struct {
	Name   string `json:"name"`
	Path   string `json:"path"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
	// Took is how long making it took.
	Took string `json:"took"`
}

// SupportChunk answers supportbundle.chunk.
type SupportChunk struct {
	Data []byte `json:"data"`
	EOF  bool   `json:"eof"`
}

// zipSink writes the entries of a support bundle and lists them.
type zipSink struct {
	zw      *zip.Writer
	now     time.Time
	entries []string
	err     error
}

func (z *zipSink) create(name string) io.Writer {
	if z.err != nil {
		return io.Discard
	}
	w, err := z.zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate, Modified: z.now})
	if err != nil {
		z.err = fmt.Errorf("support bundle entry %s: %w", name, err)
		return io.Discard
	}
	z.entries = append(z.entries, name)
	return w
}

func (z *zipSink) bytes(name string, b []byte) {
	_, _ = z.create(name).Write(b)
}

func (z *zipSink) json(name string, v any) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		b = []byte(fmt.Sprintf("{\"error\": %q}", err.Error()))
	}
	z.bytes(name, append(b, '\n'))
}

// fail records what could not be read in the bundle itself, instead of failing it all.
func (z *zipSink) note(name string, err error) {
	z.bytes(name+".error.txt", []byte(err.Error()+"\n"))
}

// file copies a regular file (its last max bytes when max > 0).
func (z *zipSink) file(name, path string, max int64) {
	f, err := os.Open(path)
	if err != nil {
		z.note(name, err)
		return
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		z.note(name, fmt.Errorf("%s is not a regular file", path))
		return
	}
	if max > 0 && fi.Size() > max {
		_, _ = f.Seek(fi.Size()-max, io.SeekStart)
	}
	_, _ = io.Copy(z.create(name), f)
}

// WriteSupportBundle writes a support bundle to w (the API streams it; lmutil gets it through
// the supportbundle request).
func (d *Daemon) WriteSupportBundle(w io.Writer) error {
	now := d.now().UTC()
	z := &zipSink{zw: zip.NewWriter(w), now: now}

	// Versions.
	z.json("versions.json", d.versions())

	// Configuration and effective settings (credentials redacted).
	z.json("conf/config.json", d.supportConfig())
	if s, err := d.Settings(); err == nil {
		if p, ok := s["proxy"]; ok {
			if v, ok := p.Value.(string); ok {
				p.Value = redactURL(v)
			}
			s["proxy"] = p
		}
		z.json("conf/settings.json", s)
	} else {
		z.note("conf/settings.json", err)
	}
	if st, err := d.TelemetryStatus(); err == nil {
		z.json("conf/usage_programs.json", st)
	} else {
		z.note("conf/usage_programs.json", err)
	}
	// Certificates and keys: public parts only.
	z.publicPEM("conf/keys/vendor.pub", filepath.Join(d.cfg.DataDir, "keys", "vendor.pub"))
	for i, k := range d.cfg.TrustedKeys {
		z.publicPEM(fmt.Sprintf("conf/keys/trusted-%d.pub", i+1), k)
	}
	if c := d.cfg.Product.TLSCert; c != "" {
		z.publicPEM("conf/certificates/product-tls.crt", c)
	}
	if c := d.cfg.Product.ClientCA; c != "" {
		z.publicPEM("conf/certificates/product-client-ca.crt", c)
	}
	if c := d.cfg.Telemetry.CAFile; c != "" {
		z.publicPEM("conf/certificates/telemetry-ca.crt", c)
	}
	for _, p := range d.apiCertFiles() {
		z.publicPEM("conf/certificates/"+filepath.Base(p), p)
	}

	// Logs.
	if p := d.DebugLogPath(); p != "" {
		z.file("logs/"+filepath.Base(p), p, supportLogBytes)
	}
	if p := d.logs.report; p != "" {
		z.file("logs/"+filepath.Base(p), p, supportLogBytes)
	}
	if p := d.cfg.LogFile; p != "" {
		z.file("logs/operational.log", p, supportLogBytes)
	}

	// The license directory: license files and the options file only.
	if entries, err := os.ReadDir(d.cfg.licenseDir()); err == nil {
		for _, e := range entries {
			if strings.HasSuffix(strings.ToLower(e.Name()), ".lic") {
				z.file("MyFiles/"+e.Name(), filepath.Join(d.cfg.licenseDir(), e.Name()), license.MaxFileBytes)
			}
		}
	} else {
		z.note("MyFiles", err)
	}
	if _, err := os.Stat(d.cfg.optionsFile()); err == nil {
		z.file("MyFiles/"+filepath.Base(d.cfg.optionsFile()), d.cfg.optionsFile(), license.MaxFileBytes)
	}
	d.rereadMu.Lock()
	rr := d.lastReread
	d.rereadMu.Unlock()
	z.json("state/reread.json", rr)
	if a, err := d.Alerts(); err == nil {
		z.json("state/alerts.json", a)
	}

	// The store's state, from one snapshot.
	if err := d.supportStore(z); err != nil {
		z.note("state", err)
	}
	// Historical usage.
	if err := d.ExportHistoryCSV(z.create("history/usage.csv"), history.Filter{}); err != nil {
		z.note("history/usage.csv", err)
	}
	// The last bundles of each kind and the last result.
	if bs, err := d.Bundles(); err == nil {
		seen := map[string]bool{}
		for _, b := range bs {
			if !seen[b.Kind] {
				seen[b.Kind] = true
				z.file("usage/"+b.Name, filepath.Join(d.usageDir(), b.Name), 0)
			}
		}
		z.json("usage/bundles.json", bs)
	}
	if _, err := os.Stat(filepath.Join(d.usageDir(), ResultXMLFile)); err == nil {
		z.file("usage/"+ResultXMLFile, filepath.Join(d.usageDir(), ResultXMLFile), 1<<20)
	}
	if r, err := d.LastUpload(); err == nil && r != nil {
		z.json("usage/last_result.json", r)
	}
	// Store statistics.
	if m, err := d.store.Metrics(); err == nil {
		z.bytes("store/pebble_metrics.txt", []byte(m))
	}
	z.json("store/committer.json", d.committer.Stats())

	z.json("manifest.json", map[string]any{
		"generated": now, "server": d.hostname, "version": Version, "entries": z.entries,
		"never_included": []string{"private keys (keys/vendor.key, TLS keys)", "the admin token", "password hashes",
			"API tokens and their hashes", "the de-identification secret", "proxy credentials", "webhook and product secrets"},
	})
	if z.err != nil {
		return z.err
	}
	return z.zw.Close()
}

// publicPEM copies the certificates and public keys of a PEM file, never a private key
// block (a file holding a key and its certificate gives only the certificate).
func (z *zipSink) publicPEM(name, path string) {
	b, err := os.ReadFile(path)
	if err != nil {
		z.note(name, err)
		return
	}
	var out []byte
	for {
		var blk *pem.Block
		blk, b = pem.Decode(b)
		if blk == nil {
			break
		}
		if strings.Contains(blk.Type, "PRIVATE") {
			continue
		}
		out = append(out, pem.EncodeToMemory(&pem.Block{Type: blk.Type, Bytes: blk.Bytes})...)
	}
	if len(out) == 0 {
		z.note(name, fmt.Errorf("%s holds no certificate or public key", path))
		return
	}
	z.bytes(name, out)
}

// apiCertFiles are the admin HTTPS certificate files in the data directory, if any.
func (d *Daemon) apiCertFiles() []string {
	var out []string
	for _, dir := range []string{d.cfg.DataDir, filepath.Join(d.cfg.DataDir, "tls"), filepath.Join(d.cfg.DataDir, "conf")} {
		entries, err := os.ReadDir(dir)
		if err != nil {
			continue
		}
		for _, e := range entries {
			n := strings.ToLower(e.Name())
			if e.Type().IsRegular() && (strings.HasSuffix(n, ".crt") || strings.HasSuffix(n, ".pem") || strings.HasSuffix(n, ".cert")) {
				out = append(out, filepath.Join(dir, e.Name()))
			}
		}
	}
	return out
}

func (d *Daemon) versions() map[string]any {
	v := map[string]any{"licd": Version, "go": runtime.Version(), "os": runtime.GOOS, "arch": runtime.GOARCH,
		"usage_schema": telemetry.SchemaVersion, "wire_protocol": wire.ProtocolVersion}
	if bi, ok := debug.ReadBuildInfo(); ok {
		deps := map[string]string{}
		for _, m := range bi.Deps {
			deps[m.Path] = m.Version
		}
		v["modules"] = deps
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" || s.Key == "vcs.time" {
				v[s.Key] = s.Value
			}
		}
	}
	return v
}

// supportConfig is the configuration as started, with paths but no secret and no
// credentials.
func (d *Daemon) supportConfig() map[string]any {
	c := d.cfg
	return map[string]any{
		"data_dir": c.DataDir, "license_dir": c.licenseDir(), "options_file": c.optionsFile(), "listen": c.ListenHost,
		"lm_port": d.LMAddr().Port, "vendor_port": d.VendorAddr().Port, "hostname": d.hostname,
		"trusted_keys": c.TrustedKeys, "heartbeat": c.Heartbeat.String(), "linger": c.Linger.String(),
		"allow_lmdown": c.AllowShutdown, "max_frame": c.MaxFrame, "event_retention": c.EventRetention.String(),
		"disk_reserve": c.DiskReserve, "ud": map[string]any{"use_domain": c.UD.UseDomain, "fast": c.UD.FastInterval.String(),
			"slow": c.UD.SlowInterval.String(), "threshold": c.UD.SlowThreshold},
		"product": map[string]any{"secrets_file_set": c.Product.SecretsFile != "", "tls_cert": c.Product.TLSCert,
			"client_ca": c.Product.ClientCA, "require_tls": c.Product.RequireTLS, "idle_linger": c.Product.IdleLinger.String()},
		"limits":  d.limits,
		"history": map[string]any{"interval": c.History.Interval.String(), "retention": d.HistoryRetention().String()},
		"alerts": map[string]any{"webhook": redactURL(c.Alerts.WebhookURL), "webhook_secret_file_set": c.Alerts.WebhookSecretFile != "",
			"interval": c.Alerts.Interval.String()},
		"telemetry": map[string]any{"url": redactURL(c.Telemetry.URL), "ca_file": c.Telemetry.CAFile, "proxy": redactURL(c.Telemetry.Proxy),
			"first": c.Telemetry.First.String(), "interval": c.Telemetry.Interval.String()},
		"api_port": d.cfg.Settings.APIPort, "log_file": c.LogFile,
	}
}

// supportStore exports the store's state from one snapshot as readable files.
func (d *Daemon) supportStore(z *zipSink) error {
	sn, err := d.store.Snapshot()
	if err != nil {
		return err
	}
	defer sn.Close()
	ts := func(n int64) string {
		if n == 0 {
			return ""
		}
		return time.Unix(0, n).UTC().Format(time.RFC3339)
	}
	table := func(name string, header []string, walk func(emit func(...string)) error) {
		w := csv.NewWriter(z.create(name))
		_ = w.Write(header)
		err := walk(func(f ...string) { _ = w.Write(f) })
		w.Flush()
		if err != nil {
			z.note(name, err)
		}
	}
	table("state/ud_licenses.csv", []string{"feature", "kind", "name", "since", "lease_end"}, func(emit func(...string)) error {
		return sn.ForEachUDLicense(func(l *storage.UDLicense) error {
			kind := "user"
			if l.Kind == storage.UDKindDevice {
				kind = "device"
			}
			emit(l.Feature, kind, l.Name, ts(l.Since), ts(l.LeaseEnd))
			return nil
		})
	})
	table("state/ud_connections.csv", []string{"feature", "user", "device", "first", "last_seen", "live"}, func(emit func(...string)) error {
		return sn.ForEachUDEdge(func(e *storage.UDEdge) error {
			emit(e.Feature, e.User, e.Device, ts(e.First), ts(e.LastSeen), strconv.Itoa(int(e.Live)))
			return nil
		})
	})
	table("state/checkouts.csv", []string{"handle", "session", "feature", "pool", "user", "device", "client_host", "display", "product", "start"}, func(emit func(...string)) error {
		return sn.ForEachGrant(func(g *storage.Grant) error {
			emit(strconv.FormatUint(g.Handle, 10), strconv.FormatUint(g.Session, 10), g.Feature, g.PoolID, g.User, g.Device, g.ClientHost, g.Display, g.Product, ts(g.Start))
			return nil
		})
	})
	table("state/sessions.csv", []string{"id", "client_id", "product", "edition", "model", "version_date", "host", "addr", "connected", "last_seen", "lost", "released"}, func(emit func(...string)) error {
		return sn.ForEachSession(func(s *storage.Session) error {
			emit(strconv.FormatUint(s.ID, 10), s.ClientID, s.Product, s.Edition, s.Model, strconv.Itoa(int(s.VersionDate)), s.Host, s.Addr,
				ts(s.Connected), ts(s.LastSeen), strconv.FormatBool(s.Lost), strconv.FormatBool(s.Released))
			return nil
		})
	})
	table("state/events.csv", []string{"feature", "time", "kind", "text"}, func(emit func(...string)) error {
		return sn.Events("", func(e *storage.Event) error {
			emit(e.Feature, ts(e.Time), e.Kind, e.Text)
			return nil
		})
	})
	table("state/accounts.csv", []string{"name", "role"}, func(emit func(...string)) error {
		names, err := sn.AccountNames()
		for _, a := range names {
			emit(a[0], a[1])
		}
		return err
	})
	if c, err := sn.Counters(""); err == nil {
		z.json("state/counters.json", c)
	}
	// Settings that are state, not secrets: burst mode, the service switch, the alerts'
	// memory (renewals and overdraft first use), the telemetry state and result.
	if s, err := sn.Settings(""); err == nil {
		keep := map[string]json.RawMessage{}
		names := make([]string, 0, len(s))
		for k := range s {
			names = append(names, k)
		}
		sort.Strings(names)
		for _, k := range names {
			if !supportSettingAllowed(k) {
				continue
			}
			v := s[k]
			if json.Valid(v) {
				keep[k] = v
			} else {
				q, _ := json.Marshal(string(v))
				keep[k] = q
			}
		}
		z.json("state/settings_state.json", keep)
	}
	rep, err := sn.Check()
	if err != nil {
		return err
	}
	z.json("store/consistency_check.json", rep)
	return nil
}

// supportSettingAllowed lists the stored settings the bundle may carry: an allow-list, so
// that a secret added to the settings later is not exported by default.
func supportSettingAllowed(k string) bool {
	for _, p := range []string{"setting/", actors.BurstSetting, serviceSetting, alertsSetting, telemetryStateKey, telemetryResultKey, telemetryInstallKey, "history/"} {
		if k == p || (strings.HasSuffix(p, "/") && strings.HasPrefix(k, p)) {
			return k != settingKeyOf("proxy") // may hold proxy credentials; conf/settings.json has it redacted
		}
	}
	return false
}

// SupportBundleFile makes a support bundle in DATA/support (keeping the last three) and
// describes it.
func (d *Daemon) SupportBundleFile() (*SupportBundleInfo, error) {
	start := time.Now()
	dir := filepath.Join(d.cfg.DataDir, SupportDir)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create %s: %w", dir, err)
	}
	now := d.now().UTC()
	name := fmt.Sprintf("supportbundle_%s%03dZ.zip", now.Format("20060102T150405"), now.Nanosecond()/1e6)
	path := filepath.Join(dir, name)
	f, err := os.OpenFile(path+".tmp", os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, fmt.Errorf("create the support bundle: %w", err)
	}
	h := sha256.New()
	cw := &countWriter{w: io.MultiWriter(f, h)}
	err = d.WriteSupportBundle(cw)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(path+".tmp", path)
	}
	if err != nil {
		_ = os.Remove(path + ".tmp")
		return nil, fmt.Errorf("write the support bundle: %w", err)
	}
	// Keep the newest few.
	if entries, err := os.ReadDir(dir); err == nil {
		var names []string
		for _, e := range entries {
			if strings.HasPrefix(e.Name(), "supportbundle_") && strings.HasSuffix(e.Name(), ".zip") {
				names = append(names, e.Name())
			}
		}
		sort.Strings(names)
		for i := 0; i < len(names)-supportKeep; i++ {
			_ = os.Remove(filepath.Join(dir, names[i]))
		}
	}
	return &SupportBundleInfo{Name: name, Path: path, Size: cw.n, SHA256: hex.EncodeToString(h.Sum(nil)), Took: time.Since(start).Round(time.Millisecond).String()}, nil
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// supportBundleOp serves supportbundle (make one) and supportbundle.chunk (read one made, in
// pieces that fit the wire's frames).
func (d *Daemon) supportBundleOp(op string, args []byte) (any, error) {
	if op == "supportbundle" {
		return d.SupportBundleFile()
	}
	var a struct {
		Name   string `json:"name"`
		Offset int64  `json:"offset"`
	}
	if err := json.Unmarshal(args, &a); err != nil {
		return nil, wire.Errorf(wire.CodeBadRequest, "supportbundle.chunk arguments: "+err.Error())
	}
	if a.Offset < 0 {
		return nil, wire.Errorf(wire.CodeBadRequest, "supportbundle.chunk: the offset is negative")
	}
	f, err := d.OpenSupportBundle(a.Name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	buf := make([]byte, supportChunk)
	n, err := f.ReadAt(buf, a.Offset)
	if err != nil && err != io.EOF {
		return nil, fmt.Errorf("read the support bundle: %w", err)
	}
	return &SupportChunk{Data: buf[:n], EOF: err == io.EOF || n < supportChunk}, nil
}

// OpenSupportBundle opens a support bundle SupportBundleFile made, by its name (the API's
// download, lmutil's chunks); any other name is refused, so no other file can be read.
func (d *Daemon) OpenSupportBundle(name string) (*os.File, error) {
	if !strings.HasPrefix(name, "supportbundle_") || !strings.HasSuffix(name, ".zip") || strings.ContainsAny(name, `/\`) || strings.Contains(name, "..") {
		return nil, wire.Errorf(wire.CodeBadRequest, fmt.Sprintf("%q is not a support bundle name (supportbundle_...zip)", name))
	}
	f, err := os.Open(filepath.Join(d.cfg.DataDir, SupportDir, name))
	if errors.Is(err, os.ErrNotExist) {
		return nil, adminErr(KindNotFound, "no support bundle %s: make one first (the last %d are kept)", name, supportKeep)
	}
	if err != nil {
		return nil, fmt.Errorf("open the support bundle %s: %w", name, err)
	}
	return f, nil
}
