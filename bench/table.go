package bench

import (
	"fmt"
	"io"
	"text/tabwriter"
)

// WriteTable prints a result the way a person reads it: the phases with their rates and
// latencies, the baselines and ratios, the server's resources, connections, denials,
// errors, facts and the targets.
func WriteTable(w io.Writer, r *Result) {
	p := r.Params
	fmt.Fprintf(w, "\n== licbench %s: %s products, %d in flight, %s", r.Scenario, group(int64(p.Products)), p.workers(), r.Mode)
	if p.Users > 0 {
		fmt.Fprintf(w, ", %s users", group(int64(p.Users)))
	}
	fmt.Fprintf(w, "\n   server: %s\n   machine: %s\n", r.Target, r.Machine)
	if r.Command != "" {
		fmt.Fprintf(w, "   command: %s\n", r.Command)
	}
	if r.Failed != "" {
		fmt.Fprintf(w, "   STOPPED EARLY: %s\n", r.Failed)
	}
	fmt.Fprintln(w)

	// Names are padded here so that they read left-aligned in the right-aligned table.
	width := len("phase")
	for _, ph := range r.Phases {
		width = max(width, len(ph.Name)+2)
		for s := range ph.Steps {
			width = max(width, len(s)+2)
		}
	}
	pad := func(s string) string { return fmt.Sprintf("%-*s", width, s) }
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, pad("phase")+"\tops\tseconds\tops/s\tp50 ms\tp90 ms\tp99 ms\tp99.9 ms\tmax ms\tdenials\terrors\tsrv CPU µs/op\t")
	for _, ph := range r.Phases {
		name := pad(ph.Name)
		if ph.Primary {
			name = pad("* " + ph.Name)
		}
		cpu := "-"
		if ph.ServerCPU >= 0.1 { // /proc counts CPU in 10 ms ticks: less is noise
			cpu = fmt.Sprintf("%.1f", ph.ServerCPUPerOp)
		}
		fmt.Fprintf(tw, "%s\t%s\t%.1f\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", name, group(ph.Ops), ph.Seconds, group(int64(ph.OpsPerSec)),
			ms(ph.Latency.P50), ms(ph.Latency.P90), ms(ph.Latency.P99), ms(ph.Latency.P999), ms(ph.Latency.Max),
			group(sum(ph.Denials)), group(ph.Errors), cpu)
		for _, s := range sortedKeys(ph.Steps) {
			l := ph.Steps[s]
			fmt.Fprintf(tw, "%s\t%s\t\t\t%s\t%s\t%s\t%s\t%s\t\t\t\t\n", pad("  "+s), group(l.Count), ms(l.P50), ms(l.P90), ms(l.P99), ms(l.P999), ms(l.Max))
		}
	}
	tw.Flush()
	fmt.Fprintln(w, "   (* the headline phase; open loop latency counts from each operation's scheduled start)")
	fmt.Fprintln(w)

	pr := r.Primary()
	fmt.Fprintf(w, "requests/s     %s (%s ops/s x %.2f round trips per op)\n", group(int64(r.Ratios.RequestsPerSec)), group(int64(pr.OpsPerSec)), pr.RequestsPerOp)
	b := r.Baseline
	if (p.Rate > 0 || p.Think > 0) && (b.EchoRoundTripsPerSec > 0 || b.PebbleRecordsPerSec > 0) {
		fmt.Fprintln(w, "               (a paced load: the rate is what was offered, so the ratios below are not the server's limit)")
	}
	if b.EchoRoundTripsPerSec > 0 {
		fmt.Fprintf(w, "vs echo        %.2f of a bare loopback echo (%s round trips/s, %d connections, %d in flight)\n",
			r.Ratios.VsEcho, group(int64(b.EchoRoundTripsPerSec)), b.EchoConns, b.EchoWorkers)
	}
	if b.PebbleRecordsPerSec > 0 {
		fmt.Fprintf(w, "vs Pebble      %.2f of bare group-committed writes (%s durable records/s, %d writers)\n",
			r.Ratios.VsPebble, group(int64(b.PebbleRecordsPerSec)), b.PebbleWriters)
	}
	if s := r.Server; s != nil {
		fmt.Fprintf(w, "server         pid %d, CPU %.1f s (headline phase %.1f s), peak RSS %s, RSS now %s, %d threads, %d fds\n",
			s.Pid, s.CPUSeconds, pr.ServerCPU, mib(s.PeakRSSBytes), mib(s.RSSBytes), s.Threads, s.FDs)
	} else {
		fmt.Fprintln(w, "server         CPU and memory unknown (a -c server: give -server-pid when it runs on this machine)")
	}
	fmt.Fprintf(w, "licbench       CPU %.1f s (this scenario, baselines included), peak RSS %s\n", r.Harness.CPUSeconds, mib(r.Harness.PeakRSSBytes))
	if pr.Seconds > 0 {
		srvCores := "unknown"
		if r.Server != nil {
			srvCores = fmt.Sprintf("%.2f", pr.ServerCPU/pr.Seconds)
		}
		fmt.Fprintf(w, "cores used     headline phase: server %s, licbench %.2f, of %d (when licbench uses most, the harness is the limit)\n",
			srvCores, pr.HarnessCPU/pr.Seconds, r.Machine.Cores)
	}
	c := r.Connections
	srv := "unknown"
	if c.ServerSessions >= 0 {
		srv = fmt.Sprintf("%s sessions, %d lost", group(int64(c.ServerSessions)), c.ServerLost)
	}
	fmt.Fprintf(w, "connections    %s wanted, %s held, %d times a product lost the server; server lists %s\n",
		group(int64(c.Wanted)), group(int64(c.Held)), c.Lost, srv)
	for _, msg := range c.Warnings {
		fmt.Fprintf(w, "product warned %s\n", msg)
	}
	for _, ph := range r.Phases {
		for _, k := range sortedKeys(ph.Denials) {
			fmt.Fprintf(w, "denied         %s: %s x %s\n", ph.Name, group(ph.Denials[k]), k)
		}
		for _, s := range ph.ErrorSamples {
			fmt.Fprintf(w, "error          %s: %s\n", ph.Name, s)
		}
	}
	for _, f := range r.Facts {
		fmt.Fprintf(w, "fact           %s: %s %s\n", f.Name, group(int64(f.Value)), f.Unit)
	}
	for _, n := range r.Notes {
		fmt.Fprintf(w, "note           %s\n", n)
	}
	for _, l := range r.ServerLog {
		fmt.Fprintf(w, "server log     %s\n", l)
	}
	for _, p := range r.Profiles {
		fmt.Fprintf(w, "profile        %s (go tool pprof -top %s)\n", p, p)
	}
	if len(r.Checks) > 0 {
		fmt.Fprintln(w, "targets (issue 6):")
		for _, ch := range r.Checks {
			mark := "PASS"
			if !ch.Pass {
				mark = "MISS"
			}
			fmt.Fprintf(w, "  %s  %-55s want %-12s got %s\n", mark, ch.Name, ch.Want, ch.Got)
		}
	} else {
		fmt.Fprintln(w, "targets        not checked: sizes or duration below the full scenario")
	}
}

func ms(v float64) string {
	switch {
	case v == 0:
		return "-"
	case v < 10:
		return fmt.Sprintf("%.3f", v)
	case v < 1000:
		return fmt.Sprintf("%.1f", v)
	}
	return fmt.Sprintf("%.0f", v)
}

func mib(b int64) string { return fmt.Sprintf("%.0f MiB", float64(b)/(1<<20)) }

// Passed reports whether every checked target was met.
func (r *Result) Passed() bool {
	for _, c := range r.Checks {
		if !c.Pass {
			return false
		}
	}
	return r.Failed == ""
}
