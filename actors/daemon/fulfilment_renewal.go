package daemon

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"time"

	"go.uber.org/zap"

	"github.com/licd/licd/actors/alerts"
	"github.com/licd/licd/actors/renewal"
	"github.com/licd/licd/license"
	"github.com/licd/licd/storage"
)

// The Customer Success Services renewal check ("Check for and install Customer Success
// Services renewal licenses", "Update licenses"): weekly, and whenever an administrator asks
// ("Check for Available Renewals"), licd sends the fulfilment service the serial numbers and
// CSS dates of its installed lines; the renewals it offers are, by the renewal_action setting
// (SARenewalCheckOption), notified (an alert and the list), installed automatically, or only
// listed when an administrator checks (manual). An installed renewal replaces the file of
// its allocation and stays listed for 30 days. The state is the store's "renewal/state".

// renewalStateKey is the renewal check's state in the store.
const renewalStateKey = "renewal/state"

// RenewalOffer is a renewal the service offers for an installed line.
type RenewalOffer struct {
	SN           string    `json:"sn"`
	Allocation   string    `json:"allocation"`
	Feature      string    `json:"feature"`
	Quantity     int       `json:"quantity"`
	CSS          string    `json:"css"`
	InstalledCSS string    `json:"installed_css"`
	Expiry       string    `json:"expiry"`
	Found        time.Time `json:"found"`
}

// RenewalState is what the Update Licenses page shows: the renewals available, those
// installed in the last 30 days, the action in force and when the checks ran.
type RenewalState struct {
	Action      string              `json:"action"`
	LastOK      time.Time           `json:"last_check,omitzero"`
	LastAttempt time.Time           `json:"last_attempt,omitzero"`
	LastError   string              `json:"last_error,omitempty"`
	NextCheck   time.Time           `json:"next_check,omitzero"`
	Available   []RenewalOffer      `json:"available"`
	Installed   []renewal.Installed `json:"installed"`
	// Failed lists the renewals found but not installed automatically, with why.
	Failed map[string]string `json:"failed,omitempty"`
}

func (d *Daemon) loadRenewalState() (*RenewalState, error) {
	st := &RenewalState{}
	if _, err := getJSONSetting(d.store, renewalStateKey, st); err != nil {
		return nil, err
	}
	return st, nil
}

func (d *Daemon) saveRenewalState(st *RenewalState) error {
	saved := *st
	saved.Installed = renewal.Recent(st.Installed, d.now())
	saved.NextCheck = time.Time{}
	b := storage.NewBatch()
	putJSONSetting(b, renewalStateKey, saved)
	if err := d.store.Commit(b); err != nil {
		return fmt.Errorf("store the renewal check's state: %w", err)
	}
	return nil
}

func (d *Daemon) renewalAction() (renewal.Action, error) {
	s, err := d.settingString("renewal_action")
	if err != nil {
		return "", err
	}
	return renewal.ParseAction(s)
}

func (d *Daemon) renewalInterval() time.Duration {
	if iv := d.cfg.Fulfilment.RenewalInterval; iv > 0 {
		return iv
	}
	return renewal.Weekly
}

// Renewals returns the renewal check's state: the renewals available, those installed in
// the last 30 days, and the schedule.
func (d *Daemon) Renewals() (*RenewalState, error) {
	st, err := d.loadRenewalState()
	if err != nil {
		return nil, err
	}
	return d.present(st)
}

func (d *Daemon) present(st *RenewalState) (*RenewalState, error) {
	a, err := d.renewalAction()
	if err != nil {
		return nil, err
	}
	out := *st
	out.Action = string(a)
	out.Installed = renewal.Recent(st.Installed, d.now())
	if out.Available == nil {
		out.Available = []RenewalOffer{}
	}
	if d.cfg.Fulfilment.URL != "" {
		out.NextCheck = renewal.Next(a, renewal.Schedule{LastOK: st.LastOK, LastAttempt: st.LastAttempt}, d.renewalInterval())
	}
	return &out, nil
}

// CheckRenewals checks for renewals now ("Check for Available Renewals"); with the action
// "auto" what is found is installed too.
func (d *Daemon) CheckRenewals() (*RenewalState, error) {
	return d.checkRenewals(false)
}

// InstallRenewal installs an available renewal ("Download and Install"), or every one when
// sn is empty.
func (d *Daemon) InstallRenewal(sn string) (*RenewalState, error) {
	if !fulfilMu.TryLock() {
		return nil, errFulfilBusy
	}
	defer fulfilMu.Unlock()
	st, err := d.loadRenewalState()
	if err != nil {
		return nil, err
	}
	var todo []RenewalOffer
	for _, o := range st.Available {
		if sn == "" || o.SN == sn {
			todo = append(todo, o)
		}
	}
	if len(todo) == 0 {
		if sn == "" {
			return nil, adminErr(KindNotFound, "no renewal is available: check for renewals first (lmrenew -check)")
		}
		return nil, adminErr(KindNotFound, "no renewal of serial number %q is available (lmrenew -list shows them; lmrenew -check looks again)", sn)
	}
	c, err := d.fulfilClient("install renewal")
	if err != nil {
		return nil, err
	}
	var firstErr error
	for _, o := range todo {
		if err := d.installRenewal(c, st, o); err != nil && firstErr == nil {
			firstErr = err
		}
	}
	if err := d.saveRenewalState(st); err != nil {
		return nil, err
	}
	if firstErr != nil {
		return nil, d.fulfilFailed("renewal-install", firstErr)
	}
	_ = d.fulfilFailed("renewal-install", nil)
	return d.present(st)
}

// installedLines are the license lines in force or pending with a serial number, as the
// renewal check sends them.
func (d *Daemon) installedLines() []renewal.Line {
	inv := d.engine.Inventory()
	if inv == nil {
		return nil
	}
	var out []renewal.Line
	add := func(l *license.Line) {
		if l.SN != "" && l.CSS != 0 {
			out = append(out, renewal.Line{File: filepath.Base(l.File), Feature: l.Feature, SN: l.SN, CSS: l.CSS.String()})
		}
	}
	for _, p := range inv.Pools {
		for _, l := range p.Lines {
			add(l)
		}
	}
	for _, l := range inv.Pending {
		add(l)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].SN < out[j].SN })
	return out
}

// checkRenewals runs one check; scheduled is true for the weekly one.
func (d *Daemon) checkRenewals(scheduled bool) (*RenewalState, error) {
	const op = "renewal check"
	if scheduled {
		fulfilMu.Lock()
	} else if !fulfilMu.TryLock() {
		return nil, errFulfilBusy
	}
	defer fulfilMu.Unlock()
	action, err := d.renewalAction()
	if err != nil {
		return nil, err
	}
	st, err := d.loadRenewalState()
	if err != nil {
		return nil, err
	}
	c, err := d.fulfilClient(op)
	if err != nil {
		return nil, err
	}
	now := d.now().UTC()
	st.LastAttempt = now
	lines := d.installedLines()
	if len(lines) > 1000 {
		lines = lines[:1000]
	}
	type sent struct {
		SN      string `json:"sn"`
		Feature string `json:"feature"`
		CSS     string `json:"css"`
	}
	req := struct {
		Host      string `json:"host"`
		Installed []sent `json:"installed"`
	}{Host: d.hostname, Installed: []sent{}}
	for _, l := range lines {
		req.Installed = append(req.Installed, sent{SN: l.SN, Feature: l.Feature, CSS: l.CSS})
	}
	var ans struct {
		Renewals []RenewalOffer `json:"renewals"`
	}
	if err := c.call(op, "POST", "/v1/renewals", req, &ans); err != nil {
		st.LastError = err.Error()
		if serr := d.saveRenewalState(st); serr != nil {
			d.log.Warn("store the renewal check's state", zap.Error(serr))
		}
		return nil, d.fulfilFailed("renewal-check", err)
	}
	_ = d.fulfilFailed("renewal-check", nil)
	st.LastOK, st.LastError = now, ""
	found := map[string]time.Time{}
	for _, o := range st.Available {
		found[o.SN+"/"+o.CSS] = o.Found
	}
	st.Available = st.Available[:0]
	for _, o := range ans.Renewals {
		if !validAllocationID(o.Allocation) || o.SN != o.Allocation {
			continue
		}
		if _, err := license.ParseCSSDate(o.CSS); err != nil {
			continue
		}
		o.Found = found[o.SN+"/"+o.CSS]
		if o.Found.IsZero() {
			o.Found = now
		}
		st.Available = append(st.Available, o)
	}
	st.Failed = nil
	if action.Installs() {
		for _, o := range append([]RenewalOffer(nil), st.Available...) {
			if err := d.installRenewal(c, st, o); err != nil {
				if st.Failed == nil {
					st.Failed = map[string]string{}
				}
				st.Failed[o.SN] = err.Error()
				_ = d.fulfilFailed("renewal-install/"+o.SN, err)
			} else {
				_ = d.fulfilFailed("renewal-install/"+o.SN, nil)
			}
		}
	}
	d.syncRenewalAlerts(st)
	if err := d.saveRenewalState(st); err != nil {
		return nil, err
	}
	d.log.Info("renewal check", zap.Bool("scheduled", scheduled), zap.String("action", string(action)),
		zap.Int("lines", len(lines)), zap.Int("available", len(st.Available)))
	return d.present(st)
}

// installRenewal downloads and installs one offer over its allocation's file; on success it
// moves from Available to Installed.
func (d *Daemon) installRenewal(c *fulfilClient, st *RenewalState, o RenewalOffer) error {
	const op = "install renewal"
	target, err := renewal.Target(d.installedLines(), o.SN)
	if err != nil {
		return &FulfilmentError{Op: op, Reason: FulfilRefused, Msg: fmt.Sprintf("%s of %s: %v", op, o.Feature, err),
			Action: "download the renewal from the vendor and install it with the license files"}
	}
	if _, err := d.downloadAndInstall(c, op, o.Allocation, o.Feature, target, true); err != nil {
		return err
	}
	// The file must now carry the renewal's CSS date; a service that offered a date it
	// does not issue would otherwise be offered again each week without end.
	inst := renewal.Installed{SN: o.SN, Feature: o.Feature, CSS: o.CSS, Was: o.InstalledCSS, File: target, At: d.now().UTC()}
	st.Installed = append(st.Installed, inst)
	kept := st.Available[:0]
	for _, a := range st.Available {
		if a.SN != o.SN {
			kept = append(kept, a)
		}
	}
	st.Available = kept
	d.ReportRenewal(alerts.Renewal{ID: o.SN, Feature: o.Feature, CSS: cssTime(o.CSS), Installed: true, At: inst.At})
	d.debug.Info(d.now(), fmt.Sprintf("installed the Customer Success Services renewal of %s (SN %s) to %s over %s", o.Feature, o.SN, o.CSS, target))
	return nil
}

// syncRenewalAlerts makes the alerts' renewals those of the state: the ones available and
// the ones installed in the last 30 days; an offer the service no longer makes (its
// allocation returned) stops being an alert.
func (d *Daemon) syncRenewalAlerts(st *RenewalState) {
	m := map[string]alerts.Renewal{}
	for _, r := range renewal.Recent(st.Installed, d.now()) {
		if _, seen := m[r.SN]; !seen {
			m[r.SN] = alerts.Renewal{ID: r.SN, Feature: r.Feature, CSS: cssTime(r.CSS), Installed: true, At: r.At}
		}
	}
	for _, o := range st.Available {
		m[o.SN] = alerts.Renewal{ID: o.SN, Feature: o.Feature, CSS: cssTime(o.CSS), At: o.Found}
	}
	h := &d.alerts.hooks
	h.mu.Lock()
	h.renewals = m
	h.mu.Unlock()
}

func cssTime(s string) time.Time {
	c, err := license.ParseCSSDate(s)
	if err != nil {
		return time.Time{}
	}
	return c.Time()
}

// startRenewals reports the renewals of the stored state to the alerts and starts the
// scheduled check when a fulfilment service is configured.
func (d *Daemon) startRenewals() error {
	st, err := d.loadRenewalState()
	if err != nil {
		return err
	}
	d.syncRenewalAlerts(st)
	if d.cfg.Fulfilment.URL == "" {
		return nil
	}
	d.fulfilCtx, d.fulfilCancel = context.WithCancel(context.Background())
	d.renewalStop, d.renewalDone = make(chan struct{}), make(chan struct{})
	go d.renewalLoop()
	return nil
}

// renewalLoop runs the scheduled check when it is due; it looks at least every minute, so
// that a changed renewal_action applies without a restart.
func (d *Daemon) renewalLoop() {
	defer close(d.renewalDone)
	floor := time.Duration(0) // after a check, never less than a second (a store that cannot be written must not spin the loop)
	for {
		wait := time.Minute
		if a, err := d.renewalAction(); err == nil {
			if st, err := d.loadRenewalState(); err == nil {
				next := renewal.Next(a, renewal.Schedule{LastOK: st.LastOK, LastAttempt: st.LastAttempt}, d.renewalInterval())
				if !next.IsZero() {
					wait = min(wait, max(next.Sub(d.now()), 0))
				}
				if renewal.Due(a, renewal.Schedule{LastOK: st.LastOK, LastAttempt: st.LastAttempt}, d.renewalInterval(), d.now()) {
					wait = 0
				}
			}
		}
		t := time.NewTimer(max(wait, floor))
		floor = time.Second
		select {
		case <-d.renewalStop:
			t.Stop()
			return
		case <-t.C:
		}
		a, err := d.renewalAction()
		if err != nil {
			continue
		}
		st, err := d.loadRenewalState()
		if err != nil {
			d.log.Warn("renewal check", zap.Error(err))
			continue
		}
		if !renewal.Due(a, renewal.Schedule{LastOK: st.LastOK, LastAttempt: st.LastAttempt}, d.renewalInterval(), d.now()) {
			continue
		}
		if _, err := d.checkRenewals(true); err != nil {
			var fe *FulfilmentError
			if !errors.As(err, &fe) {
				d.log.Warn("renewal check", zap.Error(err))
			}
		}
	}
}

func (d *Daemon) stopRenewals() {
	if d.renewalStop == nil {
		return
	}
	d.fulfilCancel() // calls in flight end now
	select {
	case <-d.renewalStop:
	default:
		close(d.renewalStop)
	}
	<-d.renewalDone
}
