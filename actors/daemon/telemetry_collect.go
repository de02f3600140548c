package daemon

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/licd/licd/actors/alerts"
	"github.com/licd/licd/actors/history"
	"github.com/licd/licd/actors/telemetry"
	"github.com/licd/licd/license"
	"github.com/licd/licd/storage"
)

// collectInput gathers a report's input: the inventory and live pool usage from the
// actors (a status request, as lmstat's), everything else from one Pebble snapshot so that
// the bundles see one state and checkouts never wait on them.
func (d *Daemon) collectInput(now, from time.Time, uploadType string) (*telemetry.Input, error) {
	in := &telemetry.Input{Now: now, Local: time.Local, From: from, GUID: d.tele.install.GUID, Installed: d.tele.install.Installed,
		Version: Version, Hostname: d.hostname, MachineID: machineID(d.hostname), OS: runtime.GOOS, Arch: runtime.GOARCH,
		Bits: strconv.IntSize, PortLS: d.LMAddr().Port, PortVD: d.VendorAddr().Port, PortWSL: int(d.apiPort.Load()),
		HistoryEnabled: true, UploadType: uploadType, Released: map[string][2]int64{}}
	opts := d.engine.Options()
	in.UDUseDomain = d.cfg.UD.UseDomain || (opts != nil && opts.UDUseDomain)
	in.NoLogStatus = opts.NoLogStatus()
	if opts != nil {
		in.UserCase, in.DeviceCase = int(opts.UserCase), int(opts.DeviceCase)
	}
	if s, err := d.setting(findSetting("renewal_action")); err == nil {
		in.RenewalAction, _ = s.Value.(string)
	}
	in.SamplingPeriod = d.cfg.History.Interval
	if in.SamplingPeriod <= 0 {
		in.SamplingPeriod = history.DefaultInterval
	}
	in.Retention = d.HistoryRetention()
	if p, err := d.uploadProxy(); err == nil {
		in.Proxy = p != ""
	}
	if b, err := d.burstOp("burst.query"); err == nil {
		in.BurstEnabled = b.Enabled
	}

	features, _, err := d.engine.Status("", false, statusTimeout)
	if err != nil {
		return nil, fmt.Errorf("read the pools' usage: %w", err)
	}
	live := map[string]struct {
		inUse, overdraft int
		burst            bool
		started, until   time.Time
	}{}
	for _, f := range features {
		for _, p := range f.Pools {
			live[p.ID] = struct {
				inUse, overdraft int
				burst            bool
				started, until   time.Time
			}{p.InUse, max(p.InUse-p.Count, 0), p.BurstActive, p.BurstStarted, p.BurstUntil}
		}
	}
	inventoried := map[string]bool{}
	if inv := d.engine.Inventory(); inv != nil {
		for _, p := range inv.Pools {
			if systemFeature(p.Feature) {
				continue
			}
			inventoried[p.ID] = true
			pi := telemetry.PoolIn{ID: p.ID, Feature: p.Feature, Model: p.Model.String(), CSS: p.CSS.String(),
				UserDevice: userDeviceModel(p.Model), Expiry: p.Expiry, Permanent: p.Permanent, VendorString: p.VendorString,
				Count: p.Count, Overdraft: p.Overdraft}
			first := firstExpiring(p.Lines)
			if first != nil {
				pi.Issued, pi.Start, pi.Notice = first.Issued, first.Start, first.Notice
			}
			var sns []string
			for _, l := range p.Lines {
				if l.SN != "" && !containsString(sns, l.SN) {
					sns = append(sns, l.SN)
				}
			}
			pi.Serial = strings.Join(sns, ",")
			if l, ok := live[p.ID]; ok {
				pi.InUse, pi.OverdraftIn, pi.BurstActive, pi.BurstStarted, pi.BurstUntil = l.inUse, l.overdraft, l.burst, l.started, l.until
			}
			in.Pools = append(in.Pools, pi)
		}
	}

	sn, err := d.store.Snapshot()
	if err != nil {
		return nil, fmt.Errorf("open a snapshot of the store: %w", err)
	}
	defer sn.Close()
	hpools, err := sn.HistoryPools()
	if err != nil {
		return nil, fmt.Errorf("read the history's pools: %w", err)
	}
	byNo := map[uint64]storage.HistoryPool{}
	for _, p := range hpools {
		byNo[p.No] = p
	}
	err = sn.HistoryTicks(from.UnixNano(), now.UnixNano()+1, func(t *storage.HistoryTick) error {
		at := time.Unix(0, t.Time)
		for _, r := range t.Readings {
			p, ok := byNo[r.Pool]
			if !ok || systemFeature(p.Feature) {
				continue
			}
			in.Samples = append(in.Samples, telemetry.SampleIn{PoolID: p.ID, Feature: p.Feature, Model: p.Model,
				CSS: license.CSSDate(p.CSS).String(), Time: at, InUse: int(r.InUse), Peak: int(r.Peak),
				Overdraft: int(r.OverdraftInUse), Installed: int(r.Installed)})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read the historical usage: %w", err)
	}
	// Last connection of each user and device, from the connection records.
	lastUser, lastDevice := map[[2]string]int64{}, map[[2]string]int64{}
	if err := sn.ForEachUDEdge(func(e *storage.UDEdge) error {
		ku, kd := [2]string{e.Feature, e.User}, [2]string{e.Feature, e.Device}
		lastUser[ku] = max(lastUser[ku], e.LastSeen)
		lastDevice[kd] = max(lastDevice[kd], e.LastSeen)
		return nil
	}); err != nil {
		return nil, fmt.Errorf("read the user/device connection records: %w", err)
	}
	if err := sn.ForEachUDLicense(func(l *storage.UDLicense) error {
		u := telemetry.UDIn{Feature: l.Feature, Device: l.Kind == storage.UDKindDevice, Name: l.Name}
		last := lastUser[[2]string{l.Feature, l.Name}]
		if u.Device {
			last = lastDevice[[2]string{l.Feature, l.Name}]
		}
		if last == 0 {
			last = l.Since
		}
		u.LastSeen = time.Unix(0, last)
		in.UD = append(in.UD, u)
		return nil
	}); err != nil {
		return nil, fmt.Errorf("read the user/device licenses: %w", err)
	}
	if err := sn.ForEachGrant(func(g *storage.Grant) error {
		if inventoried[g.PoolID] && g.Device != "" {
			in.Checkouts = append(in.Checkouts, telemetry.CheckoutIn{PoolID: g.PoolID, Device: g.Device})
		}
		return nil
	}); err != nil {
		return nil, fmt.Errorf("read the checkouts: %w", err)
	}
	if err := sn.ForEachSession(func(s *storage.Session) error {
		if !s.Released && !s.Lost {
			in.Sessions = append(in.Sessions, telemetry.SessionIn{Product: s.Product, Edition: s.Edition, Model: s.Model, VersionDate: s.VersionDate})
		}
		return nil
	}); err != nil {
		return nil, fmt.Errorf("read the product sessions: %w", err)
	}
	counters, err := sn.Counters("udadmin/")
	if err != nil {
		return nil, fmt.Errorf("read the udadmin counters: %w", err)
	}
	for name, n := range counters {
		if f, ok := strings.CutPrefix(name, storage.UDAdminUsersReleasedCounter("")); ok {
			r := in.Released[f]
			r[0] = n
			in.Released[f] = r
		} else if f, ok := strings.CutPrefix(name, storage.UDAdminDevicesReleasedCounter("")); ok {
			r := in.Released[f]
			r[1] = n
			in.Released[f] = r
		}
	}
	for _, a := range d.lastAlerts() {
		var typ string
		switch a.Kind {
		case alerts.KindLicenseExpiring, alerts.KindLicenseExpired, alerts.KindSubscriptionExpiring:
			typ = telemetry.EventExpiry
		case alerts.KindRenewalAvailable, alerts.KindRenewalInstalled, alerts.KindCSSPassed:
			typ = telemetry.EventRenewal
		case alerts.KindBurstActive, alerts.KindBurstEnded:
			typ = telemetry.EventBurst
		default:
			continue
		}
		feature, css := alertFeature(a.Subject)
		in.Events = append(in.Events, telemetry.EventIn{Type: typ, Feature: feature, CSS: css, Message: a.Message, Time: a.FirstSeen, Until: a.Until})
	}
	return in, nil
}

// alertFeature reads the feature and CSS date of an alert's subject: "FEATURE (pool
// FEATURE/CSS/hash)", "file:line FEATURE" or "FEATURE".
func alertFeature(subject string) (feature, css string) {
	first, rest, _ := strings.Cut(subject, " ")
	if strings.Contains(first, ":") {
		return rest, ""
	}
	if id, ok := strings.CutPrefix(rest, "(pool "); ok {
		if parts := strings.Split(strings.TrimSuffix(id, ")"), "/"); len(parts) >= 2 {
			css = parts[1]
		}
	}
	return first, css
}

// systemFeature tells the built-in start-up and diagnostics licenses, which are no product's.
func systemFeature(f string) bool {
	return f == license.StartupFeature || f == license.DiagnosticsFeature
}

func userDeviceModel(m license.Model) bool {
	s := strings.ToLower(m.String())
	return strings.Contains(s, "user") || strings.Contains(s, "device")
}

func containsString(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// firstExpiring is the line of a pool that expires first ("The date issued of the license
// file that expires first").
func firstExpiring(lines []*license.Line) *license.Line {
	var first *license.Line
	for _, l := range lines {
		if first == nil || (!l.Permanent && (first.Permanent || l.Expiry.Before(first.Expiry))) {
			first = l
		}
	}
	return first
}

// machineID is the machine's identity for HardwareId (hashed before it goes anywhere):
// systemd's machine-id, else the host name.
func machineID(host string) string {
	for _, p := range []string{"/etc/machine-id", "/var/lib/dbus/machine-id"} {
		if b, err := os.ReadFile(p); err == nil && len(bytes.TrimSpace(b)) > 0 {
			return string(bytes.TrimSpace(b))
		}
	}
	return host
}

// writeBundles writes the compliance bundle and, when an optional program runs, the usage
// bundle, from one collection; it returns their names.
func (d *Daemon) writeBundles(plan telemetry.Plan, now, lastRun time.Time) ([]string, error) {
	from := now.Add(-24 * time.Hour)
	if lastRun.After(from) && lastRun.Before(now) {
		from = lastRun
	}
	ut := "Auto"
	if !plan.Sends() {
		ut = "Manual"
	}
	in, err := d.collectInput(now, from, ut)
	if err != nil {
		return nil, err
	}
	full := telemetry.Build(in)
	var written []string
	write := func(kind string, programs []telemetry.Program) error {
		var files []telemetry.BundleFile
		for _, pr := range programs {
			data, err := telemetry.MarshalReport(telemetry.Shape(full, pr, plan.Privacy, d.tele.deid))
			if err != nil {
				return err
			}
			files = append(files, telemetry.BundleFile{Name: string(pr) + ".json", Program: pr, Data: data})
		}
		var buf bytes.Buffer
		m := telemetry.Manifest{Bundle: kind, Programs: programs, GUID: d.tele.install.GUID, UTCDate: now.UTC(), LSVersion: Version, UploadType: ut}
		if _, err := telemetry.WriteBundle(&buf, m, files); err != nil {
			return err
		}
		name := telemetry.BundleName(kind, now)
		if err := writeFileAtomic(filepath.Join(d.usageDir(), name), buf.Bytes()); err != nil {
			return fmt.Errorf("write the bundle %s: %w", name, err)
		}
		written = append(written, name)
		return nil
	}
	if err := write(telemetry.KindCompliance, []telemetry.Program{telemetry.Telemetry}); err != nil {
		return written, err
	}
	if ps := plan.UsagePrograms(); len(ps) > 0 {
		if err := write(telemetry.KindUsage, ps); err != nil {
			return written, err
		}
	}
	return written, nil
}
