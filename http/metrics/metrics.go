// Package metrics exports a running licd's figures to Prometheus (issue 10, "Metrics"): the
// license pools (installed, in use, overdraft in use, available, expiry, burst mode), the
// checkouts, releases and denials of each feature, the product sessions, the user/device
// optimizer, the group commit, rejected license lines, active alerts and the build.
//
// Nothing here sits on the checkout path. Live usage is read when Prometheus scrapes, with
// the status request lmstat sends to the feature actors (messages, no lock shared with the
// checkout path), one gathering at a time; the counters are atomic counters the actors and
// the committer keep anyway (actors.Counters, storage.Histogram), read with atomic loads.
//
// Handler serves the text exposition format; the API router mounts it at /metrics behind a
// read token, and licd's -metrics-listen serves it alone on a loopback address.
package metrics

import (
	"net/http"
	"runtime"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/licd/licd/actors"
	"github.com/licd/licd/actors/daemon"
	"github.com/licd/licd/actors/history"
	"github.com/licd/licd/license"
	"github.com/licd/licd/storage"
	"github.com/licd/licd/wire"
)

// Namespace prefixes every licd metric.
const Namespace = "licd"

// Handler serves d's metrics (and the Go runtime's and the process's) in Prometheus's text
// format, gzipped when the scraper accepts it. At most two scrapes are served at once
// (others get 503); the live status they read is gathered once at a time, and waits at most
// ten seconds for the actors.
func Handler(d *daemon.Daemon) http.Handler { return handler(d, true) }

// LocalHandler is Handler without compression, for a loopback listener, where compressing
// only costs CPU (measured: gzip was the largest part of a scrape's cost left).
func LocalHandler(d *daemon.Daemon) http.Handler { return handler(d, false) }

func handler(d *daemon.Daemon, compress bool) http.Handler {
	reg := NewRegistry(d)
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{
		Registry:            reg, // promhttp_metric_handler_errors_total
		ErrorHandling:       promhttp.ContinueOnError,
		MaxRequestsInFlight: 2,
		// No Timeout: promhttp would buffer every answer whole (http.TimeoutHandler); the
		// live status has its own bound (the status request's 10 s), and the servers their
		// write timeouts.
		DisableCompression: !compress,
	})
}

// NewRegistry is a registry holding d's collector, the Go runtime's and the process's. The
// runtime's and the process's figures are read at most once a second (RuntimeRefresh): the
// process collector reads /proc (every open descriptor, one per product connection), and
// measured at 10 scrapes a second it was more than a third of a scrape's cost.
func NewRegistry(d *daemon.Daemon) *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(NewCollector(d),
		Throttle(collectors.NewGoCollector(), RuntimeRefresh),
		Throttle(collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}), RuntimeRefresh))
	return reg
}

// RuntimeRefresh is how often the Go runtime's and the process's metrics are read afresh.
const RuntimeRefresh = time.Second

// Throttle wraps a collector so that it collects at most once every period; scrapes in
// between get the metrics of its last collection. It suits collectors whose metrics are
// immutable or atomically updated, as client_golang's Go and process collectors' are.
func Throttle(c prometheus.Collector, period time.Duration) prometheus.Collector {
	return &throttled{c: c, period: period}
}

type throttled struct {
	c      prometheus.Collector
	period time.Duration

	mu   sync.Mutex
	at   time.Time
	last []prometheus.Metric
}

func (t *throttled) Describe(ch chan<- *prometheus.Desc) { t.c.Describe(ch) }

func (t *throttled) Collect(ch chan<- prometheus.Metric) {
	t.mu.Lock()
	if t.last == nil || time.Since(t.at) >= t.period {
		fresh := make(chan prometheus.Metric, 64)
		go func() {
			t.c.Collect(fresh)
			close(fresh)
		}()
		next := make([]prometheus.Metric, 0, len(t.last)) // scrapes may still be sending the last
		for m := range fresh {
			next = append(next, m)
		}
		t.last, t.at = next, time.Now()
	}
	ms := t.last
	t.mu.Unlock()
	for _, m := range ms {
		ch <- m
	}
}

// Collector gathers a daemon's metrics when Prometheus asks (prometheus.Collector).
type Collector struct {
	d  *daemon.Daemon
	mu sync.Mutex // one live-status gathering at a time
}

// NewCollector makes the collector of d.
func NewCollector(d *daemon.Daemon) *Collector { return &Collector{d: d} }

// names are the full names of licd's own metrics, in the order described.
var names []string

func desc(name, help string, labels ...string) *prometheus.Desc {
	names = append(names, Namespace+"_"+name)
	return prometheus.NewDesc(Namespace+"_"+name, help, labels, nil)
}

// Names lists the names of licd's own metrics (histograms by their base name, without
// _bucket, _sum and _count).
func Names() []string { return append([]string(nil), names...) }

// The metrics. Names follow Prometheus's conventions: licd_ prefix, base units (seconds),
// _total for counters; no user, host or device names as labels.
var (
	poolInstalled = desc("pool_installed_licenses", "Licenses installed in the pool: purchased plus overdraft (\"License overdraft\"); 0 for a pool no longer in the license files that still has holders.", "feature", "pool")
	poolInUse     = desc("pool_in_use_licenses", "Licenses of the pool in use (user/device features: their use spread over their pools, earliest CSS date first, as in Historical Use).", "feature", "pool")
	poolOverdraft = desc("pool_overdraft_in_use_licenses", "Licenses of the pool in use beyond its purchased count.", "feature", "pool")
	poolAvailable = desc("pool_available_licenses", "Licenses of the pool not in use: installed minus in use, at least 0.", "feature", "pool")
	poolExpiry    = desc("pool_expiry_timestamp_seconds", "When the pool's licenses expire, as a Unix time; permanent pools have none.", "feature", "pool")
	poolBurst     = desc("pool_burst_active", "1 while the pool is in license burst mode (\"License burst mode\"), else 0.", "feature", "pool")
	poolInfo      = desc("pool_info", "A license pool of the inventory (always 1): its model, CSS date and license type.", "feature", "pool", "model", "css_date", "type")

	checkouts    = desc("checkouts_total", "Licenses checked out (the vendor debug log's OUT lines).", "feature")
	checkins     = desc("checkins_total", "Licenses released (IN lines), by what released them: checkin, device_checkin, goodbye, linger, reconcile, timeout, udadmin, lease_expired, other.", "feature", "reason")
	denials      = desc("denials_total", "Checkouts denied (DENIED lines), by wire result code (wire/PROTOCOL.md): -4 all in use, -5 no such feature, -38 excluded, ...", "feature", "code")
	optDuration  = desc("ud_optimization_duration_seconds", "Duration of the user/device optimizer's passes over the feature (\"License optimization\").", "feature")
	optSaved     = desc("ud_optimization_saved_licenses_total", "Licenses the user/device optimizer's passes gave back (in use before a pass minus after, when positive).", "feature")
	sessions     = desc("product_sessions", "Product sessions: connected, or lost (heartbeats stopped; their licenses held for their reconcile, \"License caching mode\").", "state")
	commitOps    = desc("storage_commit_records", "Records (mutations) per durable group commit.")
	commitSync   = desc("storage_commit_sync_seconds", "Time from a group commit's write into the write-ahead log to its sync: what a durable acknowledgement waits for.")
	rejectFiles  = desc("license_files_rejected", "License files of the license directory with a rejected line, or not read at all (lmreread says why).")
	rejectLines  = desc("license_lines_rejected", "License lines rejected (bad signature, wrong host, duplicate, ...), or files not read at all.")
	alertsActive = desc("alerts_active", "Alerts of the last evaluation, by severity.", "severity")
	alertEvals   = desc("alert_evaluations_total", "Evaluations of the alerts (every -alerts-interval, and on request).")
	webhookPosts = desc("alert_webhook_changes_total", "Alert changes given to the webhook (-alerts-webhook), by outcome: sent, retried (tries that failed and were retried), failed (given up), dropped (queue full).", "outcome")
	buildInfo    = desc("build_info", "licd's version and the Go version it was built with (always 1).", "version", "goversion")
	statusUp     = desc("status_up", "1 when the live status of the feature actors could be read for this scrape, else 0 (the pool and session metrics are then missing).")
	statusTook   = desc("status_gather_seconds", "How long reading the live status took for this scrape.")

	// A replicated group (doc/HA.md); only a cluster's leader serves metrics.
	clusterTerm    = desc("cluster_term", "The Raft term of the group this server leads.")
	clusterLeader  = desc("cluster_leader_id", "The id of the group's leader (this node).")
	clusterCommit  = desc("cluster_commit_index", "The last log index committed by a majority of the group.")
	clusterApplied = desc("cluster_applied_index", "The last log index applied to the leader's store.")
	clusterMembers = desc("cluster_members", "Members of the group, by whether the leader heard from them within an election timeout.", "state")
	clusterLag     = desc("cluster_member_lag_entries", "Log entries a member is behind the leader.", "member")
)

// Describe sends every metric's description.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{poolInstalled, poolInUse, poolOverdraft, poolAvailable, poolExpiry, poolBurst, poolInfo,
		checkouts, checkins, denials, optDuration, optSaved, sessions, commitOps, commitSync, rejectFiles, rejectLines,
		alertsActive, alertEvals, webhookPosts, buildInfo, statusUp, statusTook,
		clusterTerm, clusterLeader, clusterCommit, clusterApplied, clusterMembers, clusterLag} {
		ch <- d
	}
}

// Collect gathers the metrics.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	ch <- prometheus.MustNewConstMetric(buildInfo, prometheus.GaugeValue, 1, daemon.Version, runtime.Version())
	engine := c.d.Engine()
	inv := engine.Inventory()
	c.collectStatus(ch, inv)
	c.collectCounters(ch, engine)
	ac := c.d.AlertCounters()
	ch <- prometheus.MustNewConstMetric(alertEvals, prometheus.CounterValue, float64(ac.Evaluations))
	if w := ac.Webhook; w != nil {
		for _, o := range []struct {
			name string
			n    uint64
		}{{"sent", w.Sent}, {"retried", w.Retries}, {"failed", w.Failed}, {"dropped", w.Dropped}} {
			ch <- prometheus.MustNewConstMetric(webhookPosts, prometheus.CounterValue, float64(o.n), o.name)
		}
	}
	if cs := c.d.ClusterStatus(); cs != nil {
		collectCluster(ch, cs)
	}
	records, syncs := engine.Env().Committer.CommitHistograms()
	ch <- constHistogram(commitOps, records, 1)
	ch <- constHistogram(commitSync, syncs, 1e-9)
	if inv != nil {
		files := map[string]bool{}
		for _, r := range inv.Rejected {
			files[r.File] = true
		}
		ch <- prometheus.MustNewConstMetric(rejectFiles, prometheus.GaugeValue, float64(len(files)))
		ch <- prometheus.MustNewConstMetric(rejectLines, prometheus.GaugeValue, float64(len(inv.Rejected)))
	}
}

// collectStatus reads the live status (the feature actors' and the sessions registry's
// answers to lmstat's request, without the checkouts' detail) and reports the pools, the
// sessions and the alerts.
func (c *Collector) collectStatus(ch chan<- prometheus.Metric, inv *license.Inventory) {
	c.mu.Lock()
	start := time.Now()
	st, err := c.d.Status("", false)
	took := time.Since(start)
	c.mu.Unlock()
	ch <- prometheus.MustNewConstMetric(statusTook, prometheus.GaugeValue, took.Seconds())
	if err != nil {
		ch <- prometheus.MustNewConstMetric(statusUp, prometheus.GaugeValue, 0)
		ch <- prometheus.NewInvalidMetric(statusUp, err)
		return
	}
	ch <- prometheus.MustNewConstMetric(statusUp, prometheus.GaugeValue, 1)

	byID := map[string]*license.Pool{}
	if inv != nil {
		for _, p := range inv.Pools {
			byID[p.ID] = p
		}
	}
	burst := map[string]bool{}
	for i := range st.Features {
		for _, ps := range st.Features[i].Pools {
			burst[ps.ID] = ps.BurstActive
		}
	}
	for _, o := range history.Observe(st.Features, inv) {
		f, id := o.Pool.Feature, o.Pool.ID
		gauge(ch, poolInstalled, o.Installed, f, id)
		gauge(ch, poolInUse, o.InUse, f, id)
		gauge(ch, poolOverdraft, o.OverdraftInUse, f, id)
		gauge(ch, poolAvailable, max(o.Installed-o.InUse, 0), f, id)
		b := 0
		if burst[id] {
			b = 1
		}
		gauge(ch, poolBurst, b, f, id)
		if lp := byID[id]; lp != nil {
			if !lp.Permanent {
				ch <- prometheus.MustNewConstMetric(poolExpiry, prometheus.GaugeValue, float64(lp.Expiry.Unix()), f, id)
			}
			ch <- prometheus.MustNewConstMetric(poolInfo, prometheus.GaugeValue, 1, f, id, lp.Model.String(), lp.CSS.String(), poolType(lp))
		}
	}

	connected, lost := 0, 0
	for _, s := range st.Sessions {
		if s.Lost {
			lost++
		} else {
			connected++
		}
	}
	gauge(ch, sessions, connected, "connected")
	gauge(ch, sessions, lost, "lost")

	bySeverity := map[string]int{"critical": 0, "warning": 0, "info": 0}
	for _, a := range st.Alerts {
		bySeverity[a.Severity]++
	}
	for sev, n := range bySeverity {
		gauge(ch, alertsActive, n, sev)
	}
}

// collectCounters reports the per-feature counters the debug log keeps.
func (c *Collector) collectCounters(ch chan<- prometheus.Metric, engine *actors.Engine) {
	routes := engine.Routes()
	for _, fc := range engine.Env().Debug.Counters().Snapshot() {
		f := fc.Feature
		ch <- prometheus.MustNewConstMetric(checkouts, prometheus.CounterValue, float64(fc.Checkouts), f)
		if _, ok := fc.Releases["checkin"]; !ok {
			fc.Releases["checkin"] = 0 // always there: dashboards rate() it
		}
		for reason, n := range fc.Releases {
			ch <- prometheus.MustNewConstMetric(checkins, prometheus.CounterValue, float64(n), f, reason)
		}
		for code, n := range fc.Denials {
			ch <- prometheus.MustNewConstMetric(denials, prometheus.CounterValue, float64(n), f, strconv.Itoa(int(code)))
		}
		if fc.OtherDenials > 0 {
			ch <- prometheus.MustNewConstMetric(denials, prometheus.CounterValue, float64(fc.OtherDenials), f, "other")
		}
		if r := routes.ByName(f); r != nil && userDevice(r.Model) {
			ch <- constHistogram(optDuration, fc.Optimizations, 1e-9, f)
			ch <- prometheus.MustNewConstMetric(optSaved, prometheus.CounterValue, float64(fc.Saved), f)
		}
	}
}

func gauge(ch chan<- prometheus.Metric, d *prometheus.Desc, v int, labels ...string) {
	ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, float64(v), labels...)
}

// constHistogram turns a storage.Histogram snapshot into a Prometheus histogram, its values
// multiplied by scale (1e-9: nanoseconds to seconds).
func constHistogram(d *prometheus.Desc, s storage.HistogramSnapshot, scale float64, labels ...string) prometheus.Metric {
	buckets := make(map[float64]uint64, len(s.Bounds))
	var cum uint64
	for i, b := range s.Bounds {
		cum += s.Counts[i]
		buckets[float64(b)*scale] = cum
	}
	return prometheus.MustNewConstHistogram(d, s.Count, float64(s.Sum)*scale, buckets, labels...)
}

func userDevice(m license.Model) bool {
	switch m {
	case license.ModelUserDevice, license.ModelPerUser, license.ModelPerDevice, license.ModelNamedUser:
		return true
	}
	return false
}

// poolType is the LT= of the pool's first line (Retail, Eval, NFR, SYS, ...), "" if none.
func poolType(p *license.Pool) string {
	if len(p.Lines) == 0 {
		return ""
	}
	return p.Lines[0].VendorString.LT()
}

func collectCluster(ch chan<- prometheus.Metric, cs *wire.ClusterStatus) {
	ch <- prometheus.MustNewConstMetric(clusterTerm, prometheus.GaugeValue, float64(cs.Term))
	ch <- prometheus.MustNewConstMetric(clusterLeader, prometheus.GaugeValue, float64(cs.Leader))
	ch <- prometheus.MustNewConstMetric(clusterCommit, prometheus.GaugeValue, float64(cs.Commit))
	ch <- prometheus.MustNewConstMetric(clusterApplied, prometheus.GaugeValue, float64(cs.Applied))
	active := 0
	for _, m := range cs.Members {
		if m.Active {
			active++
		}
		ch <- prometheus.MustNewConstMetric(clusterLag, prometheus.GaugeValue, float64(m.Lag), strconv.FormatUint(m.ID, 10))
	}
	gauge(ch, clusterMembers, active, "active")
	gauge(ch, clusterMembers, len(cs.Members)-active, "unreachable")
}
