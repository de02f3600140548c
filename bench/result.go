package bench

import (
	"encoding/json"
	"fmt"
	"os"
	"time"
)

// Result is one scenario's run: what ran, against what, on which machine, and what it
// measured. `licbench --json` prints a Report of them; `--compare` reads one back.
type Result struct {
	Scenario string    `json:"scenario"`
	RunID    string    `json:"run_id"` // prefix of this run's client ids, hosts, users and devices
	Command  string    `json:"command"`
	Started  time.Time `json:"started"`
	Machine  Machine   `json:"machine"`
	Target   string    `json:"target"` // "self-started licd" or the -c address
	Mode     string    `json:"mode"`   // "closed-loop" or "open-loop at N/s"
	Params   Params    `json:"params"`
	Phases   []Phase   `json:"phases"`

	Connections Connections `json:"connections"`
	Server      *ProcStats  `json:"server,omitempty"` // nil when the server's process is unknown (-c without -server-pid)
	Harness     ProcStats   `json:"harness"`          // licbench: CPU of this scenario (baselines included), peak RSS of the process
	Baseline    Baseline    `json:"baseline"`
	Ratios      Ratios      `json:"ratios"`
	Checks      []Check     `json:"checks,omitempty"`
	Facts       []Fact      `json:"facts,omitempty"` // what the scenario observed besides latency
	Notes       []string    `json:"notes,omitempty"` // what the reader of the figures should know (too few licenses, a failed query)
	Profiles    []string    `json:"profiles,omitempty"`
	Failed      string      `json:"failed,omitempty"`     // why the run stopped early
	ServerLog   []string    `json:"server_log,omitempty"` // a self-started licd's last log lines, when products lost it or errors happened
}

// Phase is one stage of a scenario (connect, warm-up excluded, measured, ...).
type Phase struct {
	Name           string             `json:"name"`
	Primary        bool               `json:"primary,omitempty"` // the scenario's headline figure
	Ops            int64              `json:"ops"`
	Seconds        float64            `json:"seconds"`
	OpsPerSec      float64            `json:"ops_per_sec"`
	RequestsPerOp  float64            `json:"requests_per_op"` // request/response round trips per operation
	Latency        Latency            `json:"latency"`         // whole operations; open loop: from the intended start
	Steps          map[string]Latency `json:"steps,omitempty"` // sub-steps (checkout, checkin, ...)
	Denials        map[string]int64   `json:"denials,omitempty"`
	Errors         int64              `json:"errors"`
	ErrorSamples   []string           `json:"error_samples,omitempty"`
	ServerCPU      float64            `json:"server_cpu_seconds,omitempty"`
	HarnessCPU     float64            `json:"harness_cpu_seconds,omitempty"` // licbench's own, to see who used the cores
	ServerCPUPerOp float64            `json:"server_cpu_us_per_op,omitempty"`
}

// Connections are the product connections wanted, held by the harness at the end, and as the
// server saw them.
type Connections struct {
	Wanted         int `json:"wanted"`
	Held           int `json:"held"`            // connected (not in caching mode) at the end
	Lost           int `json:"lost"`            // times a product lost the server (missed heartbeats, resets)
	ServerSessions int `json:"server_sessions"` // sessions the server listed at the end (-1: unknown)
	ServerLost     int `json:"server_lost"`     // of which the server counted lost
	// Warnings are the first warnings the products' clients logged (why they lost the server).
	Warnings []string `json:"warnings,omitempty"`
}

// Baseline is the machine's physical limits measured in the same run.
type Baseline struct {
	EchoRoundTripsPerSec float64 `json:"echo_round_trips_per_sec,omitempty"`
	EchoConns            int     `json:"echo_conns,omitempty"`
	EchoWorkers          int     `json:"echo_workers,omitempty"`
	PebbleRecordsPerSec  float64 `json:"pebble_records_per_sec,omitempty"`
	PebbleWriters        int     `json:"pebble_writers,omitempty"`
}

// Ratios put the server's request rate (primary phase, round trips per second) against the
// baselines: 1.0 would be the server answering as fast as a bare echo, or committing as many
// durable requests as Pebble commits bare records.
type Ratios struct {
	RequestsPerSec float64 `json:"requests_per_sec"`
	VsEcho         float64 `json:"vs_echo,omitempty"`
	VsPebble       float64 `json:"vs_pebble,omitempty"`
}

// Check is one of issue 6's targets and whether this run met it.
type Check struct {
	Name string `json:"name"`
	Want string `json:"want"`
	Got  string `json:"got"`
	Pass bool   `json:"pass"`
}

// Fact is a scenario's own observation, e.g. optimizer passes or licenses in use.
type Fact struct {
	Name  string  `json:"name"`
	Value float64 `json:"value"`
	Unit  string  `json:"unit,omitempty"`
}

// Report is what --json prints: every scenario of the run.
type Report struct {
	Results []*Result `json:"results"`
}

// Primary is the result's headline phase (the last phase if none is marked).
func (r *Result) Primary() *Phase {
	for i := range r.Phases {
		if r.Phases[i].Primary {
			return &r.Phases[i]
		}
	}
	if len(r.Phases) == 0 {
		return &Phase{}
	}
	return &r.Phases[len(r.Phases)-1]
}

// Phase finds a phase by name.
func (r *Result) Phase(name string) *Phase {
	for i := range r.Phases {
		if r.Phases[i].Name == name {
			return &r.Phases[i]
		}
	}
	return nil
}

// Fact returns a fact's value by name.
func (r *Result) Fact(name string) (float64, bool) {
	for _, f := range r.Facts {
		if f.Name == name {
			return f.Value, true
		}
	}
	return 0, false
}

func (r *Result) addFact(name string, v float64, unit string) {
	r.Facts = append(r.Facts, Fact{Name: name, Value: v, Unit: unit})
}

// ReadReport reads a --json output file.
func ReadReport(path string) (*Report, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read the earlier result: %w", err)
	}
	var rep Report
	if err := json.Unmarshal(b, &rep); err != nil {
		return nil, fmt.Errorf("%s is not a licbench --json result: %w", path, err)
	}
	if len(rep.Results) == 0 {
		return nil, fmt.Errorf("%s holds no results; write one with `licbench --json > FILE`", path)
	}
	return &rep, nil
}
