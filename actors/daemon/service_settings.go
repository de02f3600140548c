package daemon

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/licd/licd/actors"
	"github.com/licd/licd/actors/history"
	"github.com/licd/licd/storage"
	"github.com/licd/licd/wire"
)

// The server's settings ("Server configuration" of the Licensing Manager): each has a
// built-in default, may be given by a flag, and may be changed through the API, which
// stores it in Pebble; a stored value wins over the flag. Ports apply at the next start
// (the listeners are not moved under connected products); the others at once.

// Setting is one setting as the API shows it.
type Setting struct {
	Value any `json:"value"`
	// Source is where Value comes from: "default", "flag" or "store".
	Source string `json:"source"`
	// Applies is "now" or "next start".
	Applies string `json:"applies"`
	// Running is the value in force when it differs in kind from Value (ports: the port
	// listened on now); PendingRestart says a stored value waits for the next start.
	Running        any  `json:"running,omitempty"`
	PendingRestart bool `json:"pending_restart,omitempty"`
	// Stored is a stored value that is not in force because a flag given on the command
	// line wins over it (ports); Note says so.
	Stored      any       `json:"stored,omitempty"`
	Note        string    `json:"note,omitempty"`
	ChangedBy   string    `json:"changed_by,omitempty"`
	Changed     time.Time `json:"changed,omitzero"`
	Description string    `json:"description"`
}

// storedSetting is a setting's value in Pebble (key "setting/<name>").
type storedSetting struct {
	Value json.RawMessage `json:"value"`
	By    string          `json:"by"`
	At    time.Time       `json:"at"`
}

func settingKeyOf(name string) string { return "setting/" + name }

// settingDef describes one setting: its kind, its default, how it is validated and applied.
type settingDef struct {
	name, description string
	nextStart         bool
	// flag is the command-line flag of a port: given explicitly, it wins over the stored
	// value at start.
	flag string
	// parse validates a JSON value and returns it in canonical form.
	parse func(raw json.RawMessage) (any, error)
	// def is the value from flags or built in, and whether a flag gave it.
	def func(d *Daemon) (any, bool)
	// running is the value in force when that can differ from the stored one (ports).
	running func(d *Daemon) any
	// get and put override the generic storage for settings kept elsewhere already
	// (burst mode and the data-sharing switch, which lmutil changes too).
	get func(d *Daemon) (v any, stored bool, err error)
	put func(d *Daemon, v any) error
}

var settingDefs = []settingDef{
	{name: "lm_port", flag: "lm-port", description: "license-manager port (\"Configure port numbers\")", nextStart: true, parse: parsePort,
		def:     func(d *Daemon) (any, bool) { return d.flagPort(d.cfg.LMPort, 27000), d.explicit("lm-port") },
		running: func(d *Daemon) any { return d.LMAddr().Port }},
	{name: "vendor_port", flag: "vendor-port", description: "vendor daemon port", nextStart: true, parse: parsePort,
		def: func(d *Daemon) (any, bool) {
			return d.flagPort(d.cfg.VendorPort, 7279), d.explicit("vendor-port")
		},
		running: func(d *Daemon) any { return d.VendorAddr().Port }},
	{name: "api_port", flag: "api-port", description: "Web Services for Licensing port (the console and this API)", nextStart: true, parse: parsePort,
		def: func(d *Daemon) (any, bool) {
			return d.cfg.Settings.APIPort, d.explicit("api-port")
		},
		running: func(d *Daemon) any { return int(d.apiPort.Load()) }},
	{name: "proxy", description: "proxy for outbound calls (http://host:port; empty for none)", parse: parseProxy,
		def: func(d *Daemon) (any, bool) { return d.cfg.Settings.Proxy, d.explicit("proxy") }},
	{name: "renewal_action", description: "what licd does when a license renewal is available: notify, auto (install automatically) or manual",
		parse: parseEnum("renewal action", "notify", "auto", "manual"),
		def: func(d *Daemon) (any, bool) {
			return cmpOr(d.cfg.Settings.RenewalAction, "notify"), d.explicit("renewal-action")
		}},
	{name: "burst_mode", description: "License burst mode for Retail licenses (\"License burst mode\")", parse: parseBool,
		def: func(d *Daemon) (any, bool) { return true, false },
		get: func(d *Daemon) (any, bool, error) {
			v, ok, err := d.store.Setting(actors.BurstSetting)
			return !ok || string(v) != "off", ok, err
		},
		put: func(d *Daemon, v any) error {
			op := map[bool]string{true: "burst.enable", false: "burst.disable"}[v.(bool)]
			_, err := d.burstOp(op)
			return err
		}},
	{name: "console_language", description: "the console's display language", parse: parseEnum("language", consoleLanguages...),
		def: func(d *Daemon) (any, bool) {
			return cmpOr(d.cfg.Settings.ConsoleLanguage, "en"), d.explicit("console-language")
		}},
	{name: "data_sharing", description: "share usage data with the vendor (the License Management Service, lmutil service)", parse: parseBool,
		def: func(d *Daemon) (any, bool) { return true, false },
		get: func(d *Daemon) (any, bool, error) {
			st, err := d.serviceState()
			if err != nil {
				return nil, false, err
			}
			return st.Enabled, !st.Default, nil
		},
		put: func(d *Daemon, v any) error { _, err := d.setService(v.(bool)); return err }},
	{name: "history_retention", description: "how long historical usage samples are kept (\"Historical Use\": one year by default); older samples are deleted at once",
		parse: parseRetention,
		def: func(d *Daemon) (any, bool) {
			r := d.cfg.History.Retention
			if r <= 0 {
				r = history.DefaultRetention
			}
			return r.String(), d.explicit("history-retention")
		},
		get: func(d *Daemon) (any, bool, error) {
			_, stored, err := d.store.Setting(historyRetentionKey)
			return d.HistoryRetention().String(), stored, err
		},
		put: func(d *Daemon, v any) error {
			r, _ := time.ParseDuration(v.(string))
			return d.SetHistoryRetention(r)
		}},
	{name: "data_sharing_program", description: "the data collection program chosen (\"Share usage statistics\"): callhome, ceip or none; when never set, the options file's CEILOPTIN/CALLHOME/CEIP decides, else none",
		parse: parseEnum("data-sharing program", "callhome", "ceip", "none"),
		def: func(d *Daemon) (any, bool) {
			c, src, err := d.dataSharingChoice()
			if err != nil {
				return "none", false
			}
			return string(c), src == "options file"
		}},
	{name: "privacy", description: "PrivacySetting: scramble user, device and host names in Call Home too (Telemetry always does)", parse: parseBool,
		def: func(d *Daemon) (any, bool) { return true, false }},
}

// parseRetention reads a retention as a Go duration ("8760h") within the allowed range.
func parseRetention(raw json.RawMessage) (any, error) {
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, fmt.Errorf("a retention is a duration such as \"8760h\" (a year)")
	}
	r, err := time.ParseDuration(s)
	if err != nil {
		return nil, fmt.Errorf("retention %q: give a duration such as \"8760h\" (a year)", s)
	}
	if err := history.ValidateRetention(r); err != nil {
		return nil, err
	}
	return r.String(), nil
}

var consoleLanguages = []string{"en", "de", "es", "fr", "ja", "ko", "pt-BR", "ru", "zh-CN", "zh-TW"}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func (d *Daemon) explicit(flag string) bool { return d.cfg.Settings.Explicit[flag] }

// flagPort is the port a flag asks for, as a setting: 0 is the default; -1 (a free port)
// stays as given.
func (d *Daemon) flagPort(p, def int) int {
	if p == 0 {
		return def
	}
	return p
}

func findSetting(name string) *settingDef {
	for i := range settingDefs {
		if settingDefs[i].name == name {
			return &settingDefs[i]
		}
	}
	return nil
}

// Settings returns every setting with its effective value and source.
func (d *Daemon) Settings() (map[string]Setting, error) {
	out := make(map[string]Setting, len(settingDefs))
	for i := range settingDefs {
		def := &settingDefs[i]
		s, err := d.setting(def)
		if err != nil {
			return nil, err
		}
		out[def.name] = s
	}
	return out, nil
}

func (d *Daemon) setting(def *settingDef) (Setting, error) {
	s := Setting{Description: def.description, Applies: "now", Source: "default"}
	if def.nextStart {
		s.Applies = "next start"
	}
	v, fromFlag := def.def(d)
	s.Value = v
	if fromFlag {
		s.Source = "flag"
	}
	if def.get != nil {
		got, stored, err := def.get(d)
		if err != nil {
			return s, err
		}
		if stored {
			s.Value, s.Source = got, "store"
		}
	}
	var st storedSetting
	ok, err := getJSONSetting(d.store, settingKeyOf(def.name), &st)
	if err != nil {
		return s, err
	}
	if ok {
		if def.get == nil {
			v, err := def.parse(st.Value)
			if err != nil {
				return s, fmt.Errorf("stored setting %s: %w", def.name, err)
			}
			if def.flag != "" && fromFlag {
				// A port given on the command line wins over the stored one (applyStoredPorts).
				s.Stored = v
				s.Note = fmt.Sprintf("the -%s flag given on the command line wins over the stored value %v; start licd without that flag to use it", def.flag, v)
			} else {
				s.Value, s.Source = v, "store"
			}
		}
		s.ChangedBy, s.Changed = st.By, st.At
	}
	if def.running != nil {
		s.Running = def.running(d)
		if s.Source == "store" {
			s.PendingRestart = fmt.Sprint(s.Running) != fmt.Sprint(s.Value)
		}
	}
	return s, nil
}

// SettingsUpdate is a validated change of settings, by name.
type SettingsUpdate map[string]any

// ParseSettingsUpdate decodes and validates a JSON object of settings to change ({"name":
// value, ...}); every name must be known and every value valid, or nothing is changed.
func ParseSettingsUpdate(body []byte) (SettingsUpdate, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	var raw map[string]json.RawMessage
	if err := dec.Decode(&raw); err != nil {
		return nil, wire.Errorf(wire.CodeBadRequest, "the settings are not a JSON object: "+err.Error())
	}
	if dec.More() {
		return nil, wire.Errorf(wire.CodeBadRequest, "the settings are followed by more data: send one JSON object")
	}
	if raw == nil {
		return nil, wire.Errorf(wire.CodeBadRequest, "the settings are not a JSON object (null): send {\"name\": value, ...}")
	}
	if len(raw) == 0 {
		return nil, wire.Errorf(wire.CodeBadRequest, "no setting to change: send {\"name\": value, ...}")
	}
	up := SettingsUpdate{}
	names := sortedKeys(raw)
	for _, name := range names {
		def := findSetting(name)
		if def == nil {
			known := make([]string, 0, len(settingDefs))
			for _, d := range settingDefs {
				known = append(known, d.name)
			}
			sort.Strings(known)
			return nil, wire.Errorf(wire.CodeBadRequest, fmt.Sprintf("unknown setting %q: the settings are %s", name, strings.Join(known, ", ")))
		}
		v, err := def.parse(raw[name])
		if err != nil {
			return nil, wire.Errorf(wire.CodeBadRequest, fmt.Sprintf("setting %s: %v", name, err))
		}
		up[name] = v
	}
	return up, nil
}

// PutSettings stores a validated update and applies what applies at once.
func (d *Daemon) PutSettings(up SettingsUpdate, by string) (map[string]Setting, error) {
	b := storage.NewBatch()
	for _, name := range sortedKeys(up) {
		raw, _ := json.Marshal(up[name])
		putJSONSetting(b, settingKeyOf(name), storedSetting{Value: raw, By: by, At: d.now().UTC()})
	}
	if err := d.store.Commit(b); err != nil {
		return nil, fmt.Errorf("store the settings: %w", err)
	}
	for _, name := range sortedKeys(up) {
		if def := findSetting(name); def.put != nil {
			if err := def.put(d, up[name]); err != nil {
				return nil, err
			}
		}
	}
	return d.Settings()
}

// applyStoredPorts puts ports changed through the API in force at start, except those given
// explicitly on the command line (Config.Settings.Explicit): the operator's flag wins, and
// the settings say so.
func (d *Daemon) applyStoredPorts(cfg *Config) error {
	for _, p := range []struct {
		name, flag string
		dst        *int
	}{{"lm_port", "lm-port", &cfg.LMPort}, {"vendor_port", "vendor-port", &cfg.VendorPort}, {"api_port", "api-port", &cfg.Settings.APIPort}} {
		if cfg.Settings.Explicit[p.flag] {
			continue
		}
		var st storedSetting
		ok, err := getJSONSetting(d.store, settingKeyOf(p.name), &st)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		v, err := parsePort(st.Value)
		if err != nil {
			return fmt.Errorf("stored setting %s: %w", p.name, err)
		}
		*p.dst = v.(int)
	}
	return nil
}

// APIPort is the port the API should listen on: the stored setting, else the flag.
func (d *Daemon) APIPort() int { return d.cfg.Settings.APIPort }

// SetAPIPort tells the settings which port the API listens on now.
func (d *Daemon) SetAPIPort(p int) { d.apiPort.Store(int64(p)) }

func parsePort(raw json.RawMessage) (any, error) {
	var n int
	if err := json.Unmarshal(raw, &n); err != nil {
		return nil, fmt.Errorf("a port is a whole number from 1 to 65535")
	}
	if n < 1 || n > 65535 {
		return nil, fmt.Errorf("port %d is out of range: use 1 to 65535", n)
	}
	return n, nil
}

func parseBool(raw json.RawMessage) (any, error) {
	var b bool
	if err := json.Unmarshal(raw, &b); err != nil {
		return nil, fmt.Errorf("use true or false")
	}
	return b, nil
}

func parseEnum(what string, values ...string) func(json.RawMessage) (any, error) {
	return func(raw json.RawMessage) (any, error) {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil || !slices.Contains(values, s) {
			return nil, fmt.Errorf("%s: use one of %s", what, strings.Join(values, ", "))
		}
		return s, nil
	}
}

func parseProxy(raw json.RawMessage) (any, error) {
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, fmt.Errorf("a proxy is a string such as \"http://proxy.example.com:8080\", or \"\" for none")
	}
	if s == "" {
		return s, nil
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || len(s) > 2048 {
		return nil, fmt.Errorf("proxy %q: give http://host:port or https://host:port", s)
	}
	if u.Path != "" && u.Path != "/" || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("proxy %q: give only the scheme, host and port", s)
	}
	return s, nil
}
