package bench

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/licd/licd/license"
)

// Params are a scenario's sizes and pacing. Every scenario has full-size defaults (the
// issue 6 targets); licbench's flags override single fields.
type Params struct {
	Products    int           `json:"products"`              // product-server connections (one wire client each)
	Concurrency int           `json:"concurrency,omitempty"` // operations in flight across all products
	Users       int           `json:"users,omitempty"`       // distinct users
	Licenses    int           `json:"licenses,omitempty"`    // licenses issued per feature to a self-started licd
	Heartbeat   time.Duration `json:"heartbeat"`             // products' and a self-started server's heartbeat
	Duration    time.Duration `json:"duration,omitempty"`    // the measured phase (unless Ops)
	Ops         int64         `json:"ops,omitempty"`         // the measured phase's operations instead of a duration
	Warmup      time.Duration `json:"warmup,omitempty"`      // load before measuring, not recorded
	Rate        float64       `json:"rate,omitempty"`        // open loop: operations per second; 0 = closed loop
	Think       time.Duration `json:"think,omitempty"`       // a product's pause between its own operations
	Feature     string        `json:"feature"`               // the concurrent feature checked out
	UDFeature   string        `json:"ud_feature"`            // the user/device feature checked out
	Optimize    time.Duration `json:"optimize,omitempty"`    // a self-started server's user/device optimizer interval
	VersionDate uint32        `json:"version_date"`          // the products' version date (yyyymmdd)
}

// Default features: those of `make run`'s demo license, so that -c against it works as is.
const (
	DefaultFeature   = "XDT_PLT_CCS"
	DefaultUDFeature = "XDT_PLT_UD"
	// licenseCSS is the CSS date of the licenses licbench issues; products' version dates
	// must not be after it.
	licenseCSS  = license.CSSDate(20380101)
	productDate = 20250101
)

// Scenario is one named load: its full-size defaults, the licenses a self-started server
// needs for it, extra server flags, the load itself and the targets.
type Scenario struct {
	Name     string
	Summary  string
	Defaults Params
	// Holds is how many licenses of each feature the scenario holds at once at most (for
	// user/device: the users, before the optimizer shares licenses). A self-started licd is
	// issued that many (or Params.Licenses, if more); against a running server, licbench
	// warns when fewer are free.
	Holds func(p Params) map[string]int
	// ServerArgs are extra flags for a self-started licd.
	ServerArgs func(p Params) []string
	// Run drives the load; it records through e and adds facts to r.
	Run func(ctx context.Context, e *Env, r *Result) error
	// Targets are issue 6's targets; checked only at full size.
	Targets func(r *Result) []Check
}

var registry = map[string]*Scenario{}

func register(s *Scenario) {
	if registry[s.Name] != nil {
		panic("bench: scenario " + s.Name + " registered twice")
	}
	registry[s.Name] = s
}

// Scenarios are every registered scenario, in the order `-scenario all` runs them.
func Scenarios() []*Scenario {
	order := map[string]int{"ccu-churn": 1, "logon-storm": 2, "ud-150k": 3, "sockets-10k": 4, "mixed": 5}
	out := make([]*Scenario, 0, len(registry))
	for _, s := range registry {
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool {
		oi, oj := order[out[i].Name], order[out[j].Name]
		if oi != oj {
			return oi < oj
		}
		return out[i].Name < out[j].Name
	})
	return out
}

// Lookup finds a scenario by name.
func Lookup(name string) (*Scenario, error) {
	if s := registry[name]; s != nil {
		return s, nil
	}
	var names []string
	for _, s := range Scenarios() {
		names = append(names, s.Name)
	}
	return nil, fmt.Errorf("no scenario %q; choose one of %s, or all", name, strings.Join(names, ", "))
}

// Validate says what is wrong with p, in flag terms.
func (p Params) Validate() error {
	switch {
	case p.Products <= 0:
		return fmt.Errorf("-products %d: at least one product connection is needed", p.Products)
	case p.Concurrency < 0:
		return fmt.Errorf("-concurrency %d: give a positive number of operations in flight", p.Concurrency)
	case p.Rate < 0:
		return fmt.Errorf("-rate %g: give operations per second, or 0 for closed loop", p.Rate)
	case p.Duration < 0 || p.Warmup < 0 || p.Think < 0 || p.Heartbeat < 0 || p.Ops < 0:
		return fmt.Errorf("durations and -ops cannot be negative")
	case p.Heartbeat > 0 && p.Heartbeat < time.Second:
		return fmt.Errorf("-heartbeat %v: the protocol counts heartbeats in whole seconds; give 1s or more", p.Heartbeat)
	case p.Feature == "" || p.UDFeature == "":
		return fmt.Errorf("-feature and -ud-feature cannot be empty")
	}
	return nil
}

// workers is the number of operations in flight: Concurrency, or one per product.
func (p Params) workers() int {
	if p.Concurrency > 0 {
		return p.Concurrency
	}
	return p.Products
}

// fullSize reports whether p is at least the scenario's full size, so its targets apply.
func fullSize(p, def Params) bool {
	return p.Products >= def.Products && p.Users >= def.Users &&
		(def.Duration == 0 || (p.Ops == 0 && p.Duration >= def.Duration)) &&
		(def.Ops == 0 || p.Ops >= def.Ops)
}

// withDefaults fills the fields every scenario shares.
func (p Params) withDefaults() Params {
	if p.Feature == "" {
		p.Feature = DefaultFeature
	}
	if p.UDFeature == "" {
		p.UDFeature = DefaultUDFeature
	}
	if p.VersionDate == 0 {
		p.VersionDate = productDate
	}
	if p.Heartbeat == 0 {
		p.Heartbeat = 5 * time.Minute // "Citrix Start-up license": every five minutes
	}
	return p
}

// licenseLines are the INCREMENT lines a self-started licd is issued for the scenario:
// permanent, CSS 2038, default overdraft (10% for user/device models, none for concurrent).
func licenseLines(sc *Scenario, p Params) []license.LineSpec {
	var out []license.LineSpec
	holds := sc.Holds(p)
	for _, f := range sortedKeys(holds) {
		out = append(out, license.LineSpec{Feature: f, Count: max(p.Licenses, holds[f], 1), CSS: licenseCSS, Permanent: true,
			Overdraft: -1, SN: "LICBENCH-" + f})
	}
	return out
}
