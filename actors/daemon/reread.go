package daemon

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"time"

	"go.uber.org/zap"

	"github.com/licd/licd/actors"
	"github.com/licd/licd/license"
	"github.com/licd/licd/wire"
)

// ReadReport is what a (re)read of the license directory and options file found and
// changed, as lmreread reports it.
type ReadReport = wire.RereadReport

// Reread loads the license directory and the options file again and applies them without
// dropping any session or handle ("Reread license and options files (lmreread)").
func (d *Daemon) Reread() (ReadReport, error) {
	d.rereadMu.Lock()
	defer d.rereadMu.Unlock()
	var rep ReadReport
	lo, err := d.loadOptions()
	if err != nil {
		return rep, err
	}
	inv, err := license.LoadDir(d.cfg.licenseDir(), lo)
	if err != nil {
		return rep, fmt.Errorf("read the license directory: %w", err)
	}
	opts, err := license.LoadOptionsFile(d.cfg.optionsFile())
	if err != nil {
		// Like a license file that cannot be read, an options file that cannot be read is
		// refused with its reason and the rest loads; the options in force stay (none at
		// start), so a bad file never blocks lmreread or start-up.
		msg := fmt.Sprintf("%v; the options in force are kept", err)
		rep.Options = append(rep.Options, "error: "+msg)
		d.log.Warn("options file not read", zap.String("file", d.cfg.optionsFile()), zap.Error(err))
		d.debug.Info(d.now(), msg)
		if opts = d.engine.Options(); opts == nil {
			opts = &license.Options{Path: d.cfg.optionsFile()}
		}
	}
	for _, w := range opts.Warnings {
		rep.Options = append(rep.Options, "warning: "+w.Error())
	}
	for _, e := range opts.Errors {
		rep.Options = append(rep.Options, "error: "+e.Error())
	}
	rep.Options = append(rep.Options, d.logChanges(opts)...)
	for _, w := range unappliedWarnings(opts, inv) {
		rep.Options = append(rep.Options, w)
		d.log.Warn("parsed but not applied", zap.String("what", w))
	}
	var mask uint8
	if opts.NoLogIn {
		mask |= 2
	}
	if opts.NoLogOut {
		mask |= 1
	}
	if opts.NoLogDenied {
		mask |= 4
	}
	d.debug.SetNoLog(mask)
	applied, err := d.engine.Apply(inv, opts)
	if err != nil {
		return rep, err
	}
	rep.Files = inv.Files
	for _, r := range inv.Rejected {
		rep.Rejected = append(rep.Rejected, wire.RereadRejection{File: r.File, Line: r.Line, Feature: r.Feature, Reason: r.Reason})
	}
	rep.Added, rep.Updated, rep.Removed = applied.Added, applied.Updated, applied.Removed
	for _, l := range inv.Pending {
		rep.Pending = append(rep.Pending, fmt.Sprintf("%s:%d: %s starts on %s", l.File, l.LineNo, l.Feature, l.Start.Format("02-Jan-2006")))
	}
	for _, l := range inv.Expired {
		rep.Expired = append(rep.Expired, fmt.Sprintf("%s:%d: %s expired on %s", l.File, l.LineNo, l.Feature, l.Expiry.Format("02-Jan-2006")))
	}
	for _, r := range inv.Rejected {
		if r.Line == 0 && r.Feature == "" {
			d.log.Warn("license file not loaded", zap.String("file", r.File), zap.String("reason", r.Reason))
			d.debug.Info(d.now(), fmt.Sprintf("license file %s %s", r.File, r.Reason))
			continue
		}
		d.log.Warn("license line rejected", zap.String("file", r.File), zap.Int("line", r.Line), zap.String("feature", r.Feature), zap.String("reason", r.Reason))
	}
	d.lastReread = rep
	d.debug.Info(d.now(), fmt.Sprintf("license files read: %d features, %d lines rejected", len(inv.Features()), len(inv.Rejected)))
	return rep, nil
}

// loadOptions are how license files are checked: the trusted vendor keys, this host, now.
func (d *Daemon) loadOptions() (license.LoadOptions, error) {
	keys, err := license.ReadPublicKeys(d.keys...)
	if err != nil {
		return license.LoadOptions{}, fmt.Errorf("read the trusted vendor keys: %w", err)
	}
	host, err := license.ThisHost()
	if err != nil {
		host = license.HostIdentity{}
	}
	host.Hostname = d.hostname
	return license.LoadOptions{Host: host, Keys: keys, Now: d.now(), Vendor: "CITRIX"}, nil
}

// Reload rereads the license and options files (lmreread) and then runs the reread hooks
// (the API's certificate is reloaded there): the admin service's reread, for lmutil and the
// API alike.
func (d *Daemon) Reload() (ReadReport, error) {
	rep, err := d.Reread()
	if err == nil {
		d.runRereadHooks()
	}
	return rep, err
}

// watchLicenseDir rereads when the license directory's files change ("lmreread and a
// changed license directory are picked up without dropping sessions or handles"), and when
// the clock passes a line's START or expiry date: a license installed before its START date
// enters the inventory on that date ("START= dd-mmm-yyyy": "You can install licenses before
// the START date but there are not visible in your License Server inventory until the
// actual START date"), and one past its expiry leaves it.
func (d *Daemon) watchLicenseDir() {
	defer close(d.watchDone)
	last := d.dirFingerprint()
	var swept time.Time
	t := time.NewTicker(d.cfg.watchInterval())
	defer t.Stop()
	for {
		select {
		case <-d.stopWatch:
			return
		case <-t.C:
			d.sweepIdle(&swept)
			fp := d.dirFingerprint()
			due := d.nextBoundary()
			if fp == last && (due.IsZero() || d.now().Before(due)) {
				continue
			}
			last = fp
			if _, err := d.Reread(); err != nil {
				d.log.Warn("reread after a license directory change", zap.Error(err))
			}
		}
	}
}

// idleSweepEvery is how often TIMEOUT is swept: timeouts are 900 s or more, so a checkout
// is checked in at most this much after it came due (a UserIdle report that makes it due
// checks it in at once).
const idleSweepEvery = 15 * time.Second

// sweepIdle applies TIMEOUT and TIMEOUTALL from the watch loop (actors feature_idle.go) when
// the options in force have one, every idleSweepEvery of the daemon's clock.
func (d *Daemon) sweepIdle(last *time.Time) {
	opts := d.engine.Options()
	if opts == nil || (opts.TimeoutAll <= 0 && len(opts.Timeouts) == 0) {
		return
	}
	now := d.now()
	if !last.IsZero() && now.Sub(*last) < idleSweepEvery && !now.Before(*last) {
		return
	}
	*last = now
	if err := d.engine.SweepIdle(statusTimeout); err != nil {
		d.log.Warn("idle sweep", zap.Error(err))
	}
}

// nextBoundary is the next instant the inventory changes by itself: the earliest START of a
// pending line or end of an expiry day of a pool (zero when there is none).
func (d *Daemon) nextBoundary() time.Time {
	inv := d.engine.Inventory()
	if inv == nil {
		return time.Time{}
	}
	var next time.Time
	earlier := func(t time.Time) {
		if next.IsZero() || t.Before(next) {
			next = t
		}
	}
	for _, l := range inv.Pending {
		earlier(l.Start)
	}
	for _, p := range inv.Pools {
		if !p.Permanent {
			earlier(p.Expiry.AddDate(0, 0, 1)) // usable through the end of its expiry day
		}
	}
	return next
}

// dirFingerprint sums the names, sizes and times of the license directory's entries and of
// the options file. It only stats them (following links) and never opens one, so a FIFO, a
// device or a huge file cannot block or load the watcher.
func (d *Daemon) dirFingerprint() [32]byte {
	h := sha256.New()
	entries, _ := os.ReadDir(d.cfg.licenseDir())
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	for _, n := range names {
		fi, err := os.Stat(filepath.Join(d.cfg.licenseDir(), n))
		if err != nil {
			continue
		}
		fmt.Fprintf(h, "%s|%d|%d\n", n, fi.Size(), fi.ModTime().UnixNano())
	}
	if fi, err := os.Stat(d.cfg.optionsFile()); err == nil {
		fmt.Fprintf(h, "opt|%d|%d\n", fi.Size(), fi.ModTime().UnixNano())
	}
	var out [32]byte
	copy(out[:], h.Sum(nil))
	return out
}

// adminOp runs one admin request for a local, authorised caller.
func (d *Daemon) adminOp(op string, args []byte) (any, error) {
	switch op {
	case "reread":
		if vendorOnly(args) {
			if err := d.StartVendor(); err != nil {
				return nil, err
			}
		}
		return d.Reload()
	case "shutdown":
		if !d.cfg.AllowShutdown {
			return nil, wire.Errorf(wire.CodeDisabled, "lmdown is disabled on this server: start licd with -allow-lmdown to permit it")
		}
		if vendorOnly(args) {
			return map[string]string{"status": "stopping the CITRIX vendor daemon"}, nil
		}
		return map[string]string{"status": "shutting down"}, nil
	case "users.add", "users.list", "users.role", "users.remove", "service.enable", "service.disable", "service.query":
		return d.accountsOp(op, args)
	case "groups.list", "groups.put", "groups.remove":
		return d.groupsOp(op, args)
	case "burst.enable", "burst.disable", "burst.query":
		return d.burstOp(op)
	case "alerts":
		return d.Alerts()
	case "alerts.counters":
		return d.AlertCounters(), nil
	case "fault.panic":
		if !d.cfg.FaultInjection {
			return nil, wire.Errorf(wire.CodeDisabled, "fault injection is a test hook: start licd with -test-fault-injection")
		}
		var a struct{ Feature, Actor string }
		_ = json.Unmarshal(args, &a)
		if a.Actor == "sessions" {
			d.engine.Send(d.engine.Sessions(), &actors.Panic{})
			return map[string]string{"status": "panic sent to the sessions registry"}, nil
		}
		r := d.engine.Routes().ByName(a.Feature)
		if r == nil {
			return nil, d.engine.Unavailable(a.Feature)
		}
		d.engine.Send(r.PID, &actors.Panic{})
		return map[string]string{"status": "panic sent to " + a.Feature}, nil
	case "fault.isolate":
		return d.isolateOp(args)
	case "fulfil.entitlements", "fulfil.install", "fulfil.return", "fulfil.installed",
		"renewal.check", "renewal.list", "renewal.install":
		return d.fulfilmentOp(op, args)
	case "history.csv", "history.series", "history.retention":
		return d.historyOp(op, args)
	case "telemetry.status", "telemetry.bundles", "telemetry.read", "telemetry.upload":
		return d.telemetryOp(op, args)
	case "backup":
		return d.backupOp(args)
	case "supportbundle", "supportbundle.chunk":
		return d.supportBundleOp(op, args)
	case "udadmin":
		var req UDAdminRequest
		if len(args) > 0 {
			if err := json.Unmarshal(args, &req); err != nil {
				return nil, wire.Errorf(wire.CodeBadRequest, "udadmin arguments: "+err.Error())
			}
		}
		return d.udadmin(req)
	}
	return nil, wire.Errorf(wire.CodeBadRequest, fmt.Sprintf("unknown admin operation %q (reread, shutdown, udadmin, burst.enable, burst.disable, burst.query, alerts, alerts.counters, ...)", op))
}
