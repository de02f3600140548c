package daemon

import (
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/licd/licd/actors/alerts"
	"github.com/licd/licd/actors/alerts/webhook"
	"github.com/licd/licd/license"
	"github.com/licd/licd/storage"
	"github.com/licd/licd/wire"
)

// AlertsConfig configures the alerts' webhook (package actors/alerts/webhook).
type AlertsConfig struct {
	// WebhookURL receives a signed JSON POST for every new and cleared alert ("" : none).
	WebhookURL string
	// WebhookSecretFile holds the HMAC-SHA256 key that signs the posts (trailing blanks
	// and newlines are not part of it); without it the posts are not signed and a warning
	// says so at start.
	WebhookSecretFile string
	// Interval is how often the alerts are evaluated when nobody asks (default 1 minute),
	// so that the webhook hears of an expiry day or a burst's end by itself.
	Interval time.Duration
}

// alertsSetting is the storage setting holding alerts.State (storage/SCHEMA.md).
const alertsSetting = "alerts/state"

// alertHooks are the inputs other parts of licd feed: renewals, fulfilment and upload
// failures, certificates. They are kept in memory: their owners report them again after a
// restart (a renewal check runs at start, the HTTPS listener reports its certificate).
type alertHooks struct {
	mu       sync.Mutex
	renewals map[string]alerts.Renewal
	failures map[string]alerts.Failure
	certs    map[string]alerts.Certificate
}

// alertsRun is the alerts' state in the daemon.
type alertsRun struct {
	mu     sync.Mutex // serialises evaluations (admin path only)
	state  alerts.State
	loaded bool
	evals  uint64
	last   []alerts.Alert // the last evaluation's
	hook   *webhook.Webhook
	stop   chan struct{}
	done   chan struct{}
	hooks  alertHooks
}

// AlertCounters are the alerts' figures (no Prometheus here: the metrics are another
// part's to export).
type AlertCounters struct {
	Evaluations uint64            `json:"evaluations"`
	Active      int               `json:"active"`
	Webhook     *webhook.Counters `json:"webhook,omitempty"`
}

// startAlerts starts the webhook and the evaluation loop.
func (d *Daemon) startAlerts() error {
	d.alerts.stop, d.alerts.done = make(chan struct{}), make(chan struct{})
	cfg := d.cfg.Alerts
	if cfg.WebhookURL != "" {
		var secret []byte
		if cfg.WebhookSecretFile != "" {
			b, err := os.ReadFile(cfg.WebhookSecretFile)
			if err != nil {
				return fmt.Errorf("read the alerts webhook secret (-alerts-webhook-secret-file): %w", err)
			}
			secret = []byte(strings.TrimRight(string(b), " \t\r\n"))
			if len(secret) == 0 {
				return fmt.Errorf("the alerts webhook secret file %s is empty: write a secret in it", cfg.WebhookSecretFile)
			}
		} else {
			d.log.Warn("alerts webhook without a secret: its posts are not signed; set -alerts-webhook-secret-file")
		}
		h, err := webhook.New(webhook.Config{URL: cfg.WebhookURL, Secret: secret, Server: d.hostname, Logger: d.log, Now: d.now})
		if err != nil {
			return err
		}
		d.alerts.hook = h
	}
	interval := cfg.Interval
	if interval <= 0 {
		interval = time.Minute
	}
	go d.alertsLoop(interval)
	return nil
}

func (d *Daemon) alertsLoop(interval time.Duration) {
	defer close(d.alerts.done)
	t := time.NewTicker(interval)
	defer t.Stop()
	// A first evaluation right away: what changed while licd was down reaches the webhook.
	for {
		if _, err := d.Alerts(); err != nil {
			d.log.Warn("evaluate alerts", zap.Error(err))
		}
		select {
		case <-d.alerts.stop:
			return
		case <-t.C:
		}
	}
}

// stopAlerts stops the loop and the webhook (before the engine stops).
func (d *Daemon) stopAlerts() {
	if d.alerts.stop == nil {
		return
	}
	close(d.alerts.stop)
	<-d.alerts.done
	if d.alerts.hook != nil {
		d.alerts.hook.Close()
	}
}

// Alerts evaluates and returns the server's alerts, most severe first (the API's bell, the
// "alerts" query and admin request, the status). First-seen times and the overdraft's first
// use are persisted; new and cleared alerts go to the webhook.
func (d *Daemon) Alerts() ([]alerts.Alert, error) {
	features, _, err := d.engine.Status("", false, statusTimeout)
	if err != nil {
		return nil, fmt.Errorf("alerts: %w", err)
	}
	return d.evaluateAlerts(features)
}

func (d *Daemon) evaluateAlerts(features []wire.FeatureStatus) ([]alerts.Alert, error) {
	in := d.alertInput(features)
	a := &d.alerts
	a.mu.Lock()
	defer a.mu.Unlock()
	if !a.loaded {
		b, ok, err := d.store.Setting(alertsSetting)
		if err != nil {
			return nil, fmt.Errorf("read the alerts state: %w", err)
		}
		if ok {
			if a.state, err = alerts.Decode(b); err != nil {
				// A damaged record loses first-seen times, never the alerts themselves.
				d.log.Warn("alerts state unreadable; first-seen times start again", zap.Error(err))
				a.state = alerts.State{}
			}
		}
		a.loaded = true
	}
	out, changes, dirty := alerts.Evaluate(in, &a.state)
	a.evals++
	a.last = out
	if dirty {
		b, err := a.state.Encode()
		if err == nil {
			batch := storage.NewBatch()
			batch.PutSetting(alertsSetting, b)
			err = d.store.Commit(batch)
		}
		if err != nil {
			// The alerts are still right; only their first-seen times may repeat after a
			// restart.
			d.log.Warn("store the alerts state", zap.Error(err))
		}
	}
	for _, c := range changes {
		d.log.Info("alert "+c.Event, zap.String("id", c.Alert.ID), zap.String("severity", c.Alert.Severity), zap.String("message", c.Alert.Message))
	}
	if a.hook != nil && len(changes) > 0 {
		a.hook.Notify(changes)
	}
	return out, nil
}

// alertInput gathers the rules' input from the inventory, the features' status and the
// hooks.
func (d *Daemon) alertInput(features []wire.FeatureStatus) alerts.Input {
	in := alerts.Input{Now: d.now()}
	burst := map[string]*wire.PoolStatus{}
	for i := range features {
		for j := range features[i].Pools {
			burst[features[i].Pools[j].ID] = &features[i].Pools[j]
		}
	}
	purchased := map[string]int{}
	if inv := d.engine.Inventory(); inv != nil {
		for _, p := range inv.Pools {
			purchased[p.Feature] += p.Count
			ap := alerts.Pool{ID: p.ID, Feature: p.Feature, LicenseType: license.ParseVendorString(p.VendorString).LT(),
				Expiry: p.Expiry, Permanent: p.Permanent}
			if p.CSS != 0 {
				ap.CSS = p.CSS.Time()
			}
			if ps := burst[p.ID]; ps != nil {
				ap.BurstActive, ap.BurstStarted, ap.BurstUntil = ps.BurstActive, ps.BurstStarted, ps.BurstUntil
			}
			in.Pools = append(in.Pools, ap)
		}
		for _, l := range inv.Pending {
			in.Pending = append(in.Pending, alerts.Line{File: l.File, Line: l.LineNo, Feature: l.Feature, Date: l.Start, LicenseType: l.VendorString.LT()})
		}
		for _, l := range inv.Expired {
			in.Expired = append(in.Expired, alerts.Line{File: l.File, Line: l.LineNo, Feature: l.Feature, Date: l.Expiry, LicenseType: l.VendorString.LT()})
		}
		for _, r := range inv.Rejected {
			in.Rejected = append(in.Rejected, alerts.Rejection{File: r.File, Line: r.Line, Feature: r.Feature, Reason: r.Reason})
		}
	}
	for _, f := range features {
		if f.Overdraft > 0 || f.OverdraftInUse > 0 {
			in.Features = append(in.Features, alerts.Feature{Name: f.Feature, Purchased: purchased[f.Feature], Overdraft: f.Overdraft, OverdraftInUse: f.OverdraftInUse})
		}
	}
	h := &d.alerts.hooks
	h.mu.Lock()
	for _, r := range h.renewals {
		in.Renewals = append(in.Renewals, r)
	}
	for _, f := range h.failures {
		in.Failures = append(in.Failures, f)
	}
	for _, c := range h.certs {
		in.Certificates = append(in.Certificates, c)
	}
	h.mu.Unlock()
	return in
}

// ReportRenewal feeds the alerts a Customer Success Services renewal the renewal check
// found (Installed false) or installed; the same ID replaces the earlier report.
func (d *Daemon) ReportRenewal(r alerts.Renewal) {
	h := &d.alerts.hooks
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.renewals == nil {
		h.renewals = map[string]alerts.Renewal{}
	}
	h.renewals[r.ID] = r
}

// ReportFailure feeds the alerts a failed fulfilment call or upload (Kind
// alerts.KindFulfilmentFailed or alerts.KindUploadFailed); ClearFailure ends it once the
// operation succeeds.
func (d *Daemon) ReportFailure(f alerts.Failure) {
	h := &d.alerts.hooks
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.failures == nil {
		h.failures = map[string]alerts.Failure{}
	}
	h.failures[f.Kind+"/"+f.Key] = f
}

// ClearFailure ends a failure reported with ReportFailure.
func (d *Daemon) ClearFailure(kind alerts.Kind, key string) {
	h := &d.alerts.hooks
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.failures, kind+"/"+key)
}

// SetCertificate tells the alerts when a certificate (the admin HTTPS one) expires; a zero
// notAfter stops watching it.
func (d *Daemon) SetCertificate(name string, notAfter time.Time) {
	h := &d.alerts.hooks
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.certs == nil {
		h.certs = map[string]alerts.Certificate{}
	}
	if notAfter.IsZero() {
		delete(h.certs, name)
		return
	}
	h.certs[name] = alerts.Certificate{Name: name, NotAfter: notAfter}
}

// AlertCounters returns the alerts' figures.
func (d *Daemon) AlertCounters() AlertCounters {
	a := &d.alerts
	a.mu.Lock()
	c := AlertCounters{Evaluations: a.evals, Active: len(a.state.Active)}
	a.mu.Unlock()
	if a.hook != nil {
		w := a.hook.Counters()
		c.Webhook = &w
	}
	return c
}

// lastAlerts is the last evaluation's alerts (nil before the first).
func (d *Daemon) lastAlerts() []alerts.Alert {
	d.alerts.mu.Lock()
	defer d.alerts.mu.Unlock()
	return append([]alerts.Alert(nil), d.alerts.last...)
}
