package telemetry

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// Input is what the daemon gathers for a report, from one Pebble snapshot and the
// inventory in force. Names are raw here; Shape scrambles or drops them per program.
type Input struct {
	Now   time.Time
	Local *time.Location // for Metadata.Date (default UTC)
	// From is the start of the period the usage covers.
	From time.Time

	GUID      string
	Installed time.Time
	Version   string
	Hostname  string // the FQDN
	MachineID string // hashed in every report
	OS, Arch  string
	Bits      int

	PortLS, PortVD, PortWSL int
	UDUseDomain             bool
	NoLogStatus             int
	UserCase, DeviceCase    int
	RenewalAction           string // notify, auto or manual
	SamplingPeriod          time.Duration
	Retention               time.Duration
	HistoryEnabled          bool
	Proxy                   bool
	BurstEnabled            bool
	UploadType              string // Auto or Manual

	Pools     []PoolIn
	Samples   []SampleIn
	UD        []UDIn
	Checkouts []CheckoutIn
	Sessions  []SessionIn
	// Released are udadmin's released users [0] and devices [1], by feature.
	Released map[string][2]int64
	Events   []EventIn
}

// PoolIn is a pool of the inventory with its live usage.
type PoolIn struct {
	ID, Feature, Model string
	CSS                string // "2022.1231"
	UserDevice         bool
	Expiry             time.Time
	Permanent          bool
	Issued, Start      time.Time
	Serial, Notice     string
	VendorString       string
	Count, Overdraft   int
	InUse, OverdraftIn int
	BurstActive        bool
	BurstStarted       time.Time
	BurstUntil         time.Time
}

// SampleIn is one historical reading of a pool.
type SampleIn struct {
	PoolID, Feature, Model, CSS string
	Time                        time.Time
	InUse, Peak, Overdraft      int
	Installed                   int
}

// UDIn is one user or device license assignment.
type UDIn struct {
	Feature  string
	Device   bool
	Name     string
	LastSeen time.Time
}

// CheckoutIn is one concurrent checkout.
type CheckoutIn struct{ PoolID, Device string }

// SessionIn is one connected product server.
type SessionIn struct {
	Product, Edition, Model string
	VersionDate             uint32 // YYYYMMDD
}

// EventIn is an event for the Events program (from the alerts).
type EventIn struct {
	Type, Feature, CSS, Message string
	Time, Until                 time.Time
}

// Event types.
const (
	EventInventory = "LicenseServer.Inventory"
	EventExpiry    = "LicenseServer.LicenseExpiry"
	EventRenewal   = "LicenseServer.Renewal"
	EventBurst     = "LicenseServer.BurstMode"
)

// productOf is the Metadata.Product of each program.
var productOf = map[Program]string{
	CallHome:  "LicenseServerDiagnostic",
	CEIP:      "LicenseServerAnonymous",
	Events:    "LicenseServerEvents",
	Telemetry: "LicenseServerCompliance",
}

// Build makes the full report (every field, names raw) from in; Shape then makes each
// program's copy of it.
func Build(in *Input) *Report {
	loc := in.Local
	if loc == nil {
		loc = time.UTC
	}
	now := in.Now.UTC()
	r := &Report{
		Schema: SchemaID, SchemaVersion: SchemaVersion,
		Metadata: Metadata{UTCDate: now, Date: in.Now.In(loc).Format("01/02/2006 15:04:05"), ProductVersion: SchemaVersion,
			ProductUTCDeployDate: in.Installed.UTC(), UploadType: in.UploadType},
		LicenseServer: ServerInfo{GUID: in.GUID, ProductVersion: in.Version, InstallUTC: in.Installed.UTC(),
			HardwareId: in.MachineID, FQDN: in.Hostname, DateSampleStartUTC: in.From.UTC(), DateSampleStopUTC: now},
	}
	proxy := "0"
	if in.Proxy {
		proxy = "1"
	}
	r.LicenseServer.Configuration = &Configuration{OS: in.OS, OSArch: in.Arch, OSBits: in.Bits,
		PortLS: in.PortLS, PortVD: in.PortVD, PortWSL: in.PortWSL, UDUseDomain: b2i(in.UDUseDomain),
		OptFileNoLogStatus: in.NoLogStatus, UDUserNameCase: in.UserCase, UDDeviceNameCase: in.DeviceCase,
		SARenewalCheckOption: renewalOption(in.RenewalAction), EncoreSamplingPeriod: int(in.SamplingPeriod / time.Minute),
		EncoreRetentionTime: int(in.Retention / (24 * time.Hour)), EncoreEnabled: in.HistoryEnabled, SLSProxy: proxy}
	burst := &BurstState{SupplementalGracePeriod: map[bool]string{true: "enabled", false: "disabled"}[in.BurstEnabled]}
	r.LicenseServer.Burst = burst

	// Pools by feature and CSS date; pools only in the samples are inactive ones.
	type sad struct {
		css    string
		pools  []*PoolIn
		active bool
	}
	type feat struct {
		id, model string
		ud        bool
		sads      map[string]*sad
	}
	feats := map[string]*feat{}
	poolByID := map[string]*PoolIn{}
	getFeat := func(id, model string) *feat {
		f := feats[id]
		if f == nil {
			f = &feat{id: id, model: model, sads: map[string]*sad{}}
			feats[id] = f
		}
		return f
	}
	addPool := func(p *PoolIn, active bool) {
		f := getFeat(p.Feature, p.Model)
		f.ud = f.ud || p.UserDevice
		s := f.sads[p.CSS]
		if s == nil {
			s = &sad{css: p.CSS}
			f.sads[p.CSS] = s
		}
		s.pools = append(s.pools, p)
		s.active = s.active || active
		poolByID[p.ID] = p
	}
	for i := range in.Pools {
		addPool(&in.Pools[i], true)
	}
	samples := map[string][]SampleIn{}
	for _, s := range in.Samples {
		if s.Time.Before(in.From) || s.Time.After(in.Now) {
			continue
		}
		if poolByID[s.PoolID] == nil {
			addPool(&PoolIn{ID: s.PoolID, Feature: s.Feature, Model: s.Model, CSS: s.CSS}, false)
		}
		samples[s.PoolID] = append(samples[s.PoolID], s)
	}
	users, devices := map[string][]UDIn{}, map[string][]UDIn{}
	for _, u := range in.UD {
		if u.Device {
			devices[u.Feature] = append(devices[u.Feature], u)
		} else {
			users[u.Feature] = append(users[u.Feature], u)
		}
	}
	ccu := map[string]map[string]bool{} // pool -> devices
	for _, c := range in.Checkouts {
		if ccu[c.PoolID] == nil {
			ccu[c.PoolID] = map[string]bool{}
		}
		ccu[c.PoolID][c.Device] = true
	}

	for _, fid := range sortedKeys(feats) {
		f := feats[fid]
		out := Feature{ID: f.id, Model: f.model}
		rel := in.Released[f.id]
		out.Usage = &FeatureUsage{UDReportGenerationUTC: now, UDAdminUsersReleased: rel[0], UDAdminDevicesReleased: rel[1]}
		css := sortedKeys(f.sads)
		sort.Sort(sort.Reverse(sort.StringSlice(css))) // newest CSS date first
		for i, c := range css {
			s := f.sads[c]
			sd := SADate{ID: c, DateSampleStartUTC: in.From.UTC(), DateSampleStopUTC: now, Active: b2i(s.active)}
			byTime := map[int64]int{}
			current := 0
			devs := map[string]bool{}
			for _, p := range s.pools {
				if s.active && poolByID[p.ID] == p && p.Count+p.Overdraft > 0 {
					sd.CountInstalled += p.Count + p.Overdraft
				}
				current += p.InUse
				pool := Pool{Serial: p.Serial, DateExpiration: dateText(p.Expiry, p.Permanent), DateIssued: dateText(p.Issued, false),
					DateStart: dateText(p.Start, false), VendorStr: p.VendorString, CountInstalled: p.Count + p.Overdraft,
					CountOverdraft: p.OverdraftIn, Notice: p.Notice}
				ss := samples[p.ID]
				sort.Slice(ss, func(a, b int) bool { return ss[a].Time.Before(ss[b].Time) })
				for _, x := range ss {
					used := max(x.Peak, x.InUse)
					byTime[x.Time.UnixNano()] += used
					pool.UsageSamples = append(pool.UsageSamples, Sample{Timestamp: x.Time.UTC(), CountInUse: used, OverDraft: x.Overdraft, Installed: x.Installed})
				}
				sd.Pools = append(sd.Pools, pool)
				for d := range ccu[p.ID] {
					devs[d] = true
				}
			}
			sd.CountUsedMax = current
			for _, n := range byTime {
				sd.CountUsedMax = max(sd.CountUsedMax, n)
			}
			if f.ud && i == 0 {
				l := &Licensees{CountTotal: len(users[f.id]) + len(devices[f.id])}
				for _, u := range users[f.id] {
					l.Users = append(l.Users, User{ID: u.Name, TimeLastLogin: u.LastSeen.UTC()})
				}
				for _, u := range devices[f.id] {
					l.Devices = append(l.Devices, Device{Name: u.Name, TimeLastLogin: u.LastSeen.UTC()})
				}
				sd.Licensees = l
			} else if !f.ud {
				sd.Licensees = &Licensees{}
			}
			for _, d := range sortedKeys(devs) {
				sd.CCUDevices = append(sd.CCUDevices, CCUDevice{DevId: d})
			}
			out.SADates = append(out.SADates, sd)
		}
		r.Features = append(r.Features, out)
	}

	counts := map[StartupCount]int{}
	for _, s := range in.Sessions {
		vd := fmt.Sprintf("%04d.%04d", s.VersionDate/10000, s.VersionDate%10000)
		k := StartupCount{LPE: s.Product + "_" + s.Edition + "_" + vd, Product: s.Product, Edition: s.Edition, Model: s.Model, VersionDate: vd}
		counts[k]++
	}
	for k, n := range counts {
		k.Count = n
		r.StartupCounts = append(r.StartupCounts, k)
	}
	sort.Slice(r.StartupCounts, func(i, j int) bool {
		return r.StartupCounts[i].LPE+r.StartupCounts[i].Model < r.StartupCounts[j].LPE+r.StartupCounts[j].Model
	})

	for _, p := range in.Pools {
		if !p.BurstActive {
			continue
		}
		r.SupplementalGracePeriod = append(r.SupplementalGracePeriod, BurstPool{ID: p.Feature, SADate: p.CSS, LicCount: p.Count + p.Overdraft,
			DateTriggerUTC: p.BurstStarted.UTC(), DateEndUTC: p.BurstUntil.UTC()})
		if days := int(p.BurstUntil.Sub(in.Now).Hours()/24 + 0.999); days > burst.SGPMaxDays {
			burst.SGPMaxDays = days
		}
	}

	r.Events = append(r.Events, Event{Type: EventInventory, St: now,
		Message: fmt.Sprintf("%d pools of %d features installed", len(in.Pools), countActive(r.Features))})
	for _, e := range in.Events {
		r.Events = append(r.Events, Event{Type: e.Type, St: e.Time.UTC(), Feature: e.Feature, SADate: e.CSS, Message: e.Message, Until: e.Until.UTC()})
	}
	return r
}

func countActive(fs []Feature) int {
	n := 0
	for _, f := range fs {
		for _, s := range f.SADates {
			if s.Active == 1 {
				n++
				break
			}
		}
	}
	return n
}

// Shape is program pr's copy of the full report: the fields it carries (Fields), with the
// names scrambled where it scrambles them. privacy is PrivacySetting (Call Home and
// Events scramble only when it is on; Telemetry always does; CEIP carries no names).
func Shape(full *Report, pr Program, privacy bool, d *Deidentifier) *Report {
	r := *full
	r.Program = pr
	r.Metadata.Product = productOf[pr]
	scramble := pr == Telemetry || privacy
	ls := r.LicenseServer
	ls.HardwareId = d.Hardware(full.LicenseServer.HardwareId)
	if scramble {
		ls.FQDN = d.Host(full.LicenseServer.FQDN)
	}
	if pr == CEIP {
		ls.HardwareId, ls.FQDN = "", ""
	}
	if pr == CallHome || pr == CEIP {
		c := *full.LicenseServer.Configuration
		c.PrivacySetting = map[bool]string{true: "On", false: "Off"}[privacy]
		c.UDUploadEnabled = pr == CallHome
		ls.Configuration = &c
	} else {
		ls.Configuration = nil
	}
	if pr == Events {
		ls.Burst = nil
	} else {
		b := *full.LicenseServer.Burst
		ls.Burst = &b
	}
	r.LicenseServer = ls

	r.Features = make([]Feature, len(full.Features))
	for i, f := range full.Features {
		nf := Feature{ID: f.ID, Model: f.Model, SADates: make([]SADate, len(f.SADates))}
		if pr != Events {
			u := *f.Usage
			nf.Usage = &u
		}
		for j, s := range f.SADates {
			ns := s
			ns.Licensees, ns.CCUDevices = nil, nil
			if pr != Events && s.Licensees != nil {
				l := &Licensees{CountTotal: s.Licensees.CountTotal}
				if pr == CallHome || pr == Telemetry {
					for _, u := range s.Licensees.Users {
						if scramble {
							u.ID = d.User(u.ID)
						}
						l.Users = append(l.Users, u)
					}
					for _, v := range s.Licensees.Devices {
						if scramble {
							v.Name = d.Device(v.Name)
						}
						l.Devices = append(l.Devices, v)
					}
				}
				ns.Licensees = l
			}
			if pr == CallHome || pr == Telemetry {
				for _, c := range s.CCUDevices {
					if scramble {
						c.DevId = d.Device(c.DevId)
					}
					ns.CCUDevices = append(ns.CCUDevices, c)
				}
			}
			ns.Pools = make([]Pool, len(s.Pools))
			for k, p := range s.Pools {
				if pr != CallHome && pr != Events {
					p.Notice = ""
				}
				if pr == Events {
					p.UsageSamples = nil
				}
				ns.Pools[k] = p
			}
			nf.SADates[j] = ns
		}
		r.Features[i] = nf
	}
	if pr == Events {
		r.StartupCounts, r.SupplementalGracePeriod = nil, nil
	} else {
		r.Events = nil
	}
	return &r
}

func renewalOption(a string) string {
	switch strings.ToLower(a) {
	case "auto":
		return "Install"
	case "manual":
		return "Manual"
	}
	return "Notify"
}

// dateText is a license date as the manual's examples write it ("1-dec-2020"); "" when
// unset, "permanent" for a permanent expiry.
func dateText(t time.Time, permanent bool) string {
	switch {
	case permanent:
		return "permanent"
	case t.IsZero():
		return ""
	}
	return strings.ToLower(t.UTC().Format("2-Jan-2006"))
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
