package bench

import (
	"fmt"
	"io"
	"text/tabwriter"
)

// WriteComparison prints, for every scenario of cur that old also holds, the change of the
// headline figures: throughput, latency percentiles, the server's CPU per operation and
// peak memory, and the ratio to the echo baseline (itself measured anew in each run, so
// that a change of machine shows as a change of baseline, not of licd).
func WriteComparison(w io.Writer, old, cur *Report) {
	byName := map[string]*Result{}
	for _, r := range old.Results {
		byName[r.Scenario] = r
	}
	for _, r := range cur.Results {
		o := byName[r.Scenario]
		if o == nil {
			fmt.Fprintf(w, "\n== compare %s: not in the earlier result\n", r.Scenario)
			continue
		}
		fmt.Fprintf(w, "\n== compare %s: earlier run of %s -> this run\n", r.Scenario, o.Started.Format("2006-01-02 15:04"))
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		op, np := o.Primary(), r.Primary()
		width := max(len(np.Name)+6, len("server peak RSS MiB")) // names read left-aligned in the right-aligned table
		fmt.Fprintf(tw, "%-*s\tearlier\tnow\tchange\t\n", width, "figure")
		row := func(name string, a, b float64, format string, lowerIsBetter bool) {
			fmt.Fprintf(tw, "%-*s\t"+format+"\t"+format+"\t%s\t\n", width, name, a, b, change(a, b, lowerIsBetter))
		}
		row(np.Name+" ops/s", op.OpsPerSec, np.OpsPerSec, "%.0f", false)
		row("p50 ms", op.Latency.P50, np.Latency.P50, "%.3f", true)
		row("p90 ms", op.Latency.P90, np.Latency.P90, "%.3f", true)
		row("p99 ms", op.Latency.P99, np.Latency.P99, "%.3f", true)
		row("p99.9 ms", op.Latency.P999, np.Latency.P999, "%.3f", true)
		row("max ms", op.Latency.Max, np.Latency.Max, "%.3f", true)
		row("errors", float64(op.Errors), float64(np.Errors), "%.0f", true)
		row("denials", float64(sum(op.Denials)), float64(sum(np.Denials)), "%.0f", true)
		if op.ServerCPUPerOp > 0 && np.ServerCPUPerOp > 0 {
			row("server CPU µs/op", op.ServerCPUPerOp, np.ServerCPUPerOp, "%.1f", true)
		}
		if o.Server != nil && r.Server != nil {
			row("server peak RSS MiB", float64(o.Server.PeakRSSBytes)/(1<<20), float64(r.Server.PeakRSSBytes)/(1<<20), "%.0f", true)
		}
		if o.Ratios.VsEcho > 0 && r.Ratios.VsEcho > 0 {
			row("ratio vs echo", o.Ratios.VsEcho, r.Ratios.VsEcho, "%.3f", false)
			row("echo baseline rt/s", o.Baseline.EchoRoundTripsPerSec, r.Baseline.EchoRoundTripsPerSec, "%.0f", false)
		}
		if o.Ratios.VsPebble > 0 && r.Ratios.VsPebble > 0 {
			row("ratio vs Pebble", o.Ratios.VsPebble, r.Ratios.VsPebble, "%.3f", false)
		}
		tw.Flush()
		if o.Params != r.Params {
			fmt.Fprintln(w, "   note: the parameters differ between the runs; compare with care")
		}
	}
}

// change is b against a in percent, marked better or worse.
func change(a, b float64, lowerIsBetter bool) string {
	if a == b {
		return "="
	}
	if a == 0 {
		return "new"
	}
	pct := (b - a) / a * 100
	better := (pct < 0) == lowerIsBetter
	word := "worse"
	if better {
		word = "better"
	}
	return fmt.Sprintf("%+.1f%% %s", pct, word)
}
