package metrics

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/licd/licd/actors/daemon"
	"github.com/licd/licd/wire"
)

// startDaemon starts an in-process licd on 127.0.0.1 with the demo licenses (XDT_PLT_CCS,
// 100 concurrent; XDT_PLT_UD, 100 user/device plus 10% overdraft).
func startDaemon(t testing.TB) *daemon.Daemon {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "data")
	if _, err := daemon.Prepare(daemon.PrepareOptions{DataDir: dir, Hostname: "metrics-test-host", Demo: true}); err != nil {
		t.Fatal(err)
	}
	d, err := daemon.Start(daemon.Config{DataDir: dir, Hostname: "metrics-test-host", ListenHost: "127.0.0.1", LMPort: -1, VendorPort: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Shutdown)
	return d
}

// scrape fetches and parses the text exposition of h.
func scrape(t *testing.T, h http.Handler) map[string]*dto.MetricFamily {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("scrape: %d %s", rec.Code, rec.Body)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(rec.Body)
	if err != nil {
		t.Fatalf("parse the exposition: %v", err)
	}
	return fams
}

// value is the value of the sample of family name whose labels include want; ok is false
// when there is none.
func value(fams map[string]*dto.MetricFamily, name string, want map[string]string) (float64, bool) {
	f := fams[name]
	if f == nil {
		return 0, false
	}
next:
	for _, m := range f.Metric {
		have := map[string]string{}
		for _, l := range m.Label {
			have[l.GetName()] = l.GetValue()
		}
		for k, v := range want {
			if have[k] != v {
				continue next
			}
		}
		switch {
		case m.Gauge != nil:
			return m.Gauge.GetValue(), true
		case m.Counter != nil:
			return m.Counter.GetValue(), true
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount()), true
		}
	}
	return 0, false
}

// The collector follows Prometheus's naming and metadata rules (promlint).
func TestMetricsPassLint(t *testing.T) {
	d := startDaemon(t)
	problems, err := testutil.CollectAndLint(NewCollector(d))
	if err != nil {
		t.Fatal(err)
	}
	all, err := testutil.GatherAndLint(NewRegistry(d)) // with the runtime's and the process's
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range append(problems, all...) {
		t.Errorf("lint: %s: %s", p.Metric, p.Text)
	}
}

// In process: a grant, a denial and a checkin show in the scrape as a user would read them.
func TestScrapeShowsUsage(t *testing.T) {
	d := startDaemon(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := wire.Dial(ctx, []string{d.LMAddr().String()}, wire.ClientOptions{ClientID: "metrics-unit", Product: "XDT", Edition: "PLT", Model: "CCS",
		Host: "ddc.example.com", VersionDate: 20240101, RequestTimeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	g, err := c.Checkout(ctx, wire.Checkout{Feature: "XDT_PLT_CCS", User: "u1", Device: "dev1", ClientHost: "h1", VersionDate: 20240101})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Checkout(ctx, wire.Checkout{Feature: "NO_SUCH_FEATURE", User: "u1", Device: "dev1", ClientHost: "h1", VersionDate: 20240101}); err == nil {
		t.Fatal("a checkout of an unknown feature was granted")
	}
	h := Handler(d)
	fams := scrape(t, h)
	pool := map[string]string{"feature": "XDT_PLT_CCS", "pool": g.PoolID}
	if v, _ := value(fams, "licd_pool_in_use_licenses", pool); v != 1 {
		t.Errorf("in use %v, want 1", v)
	}
	if v, _ := value(fams, "licd_pool_available_licenses", pool); v != 99 {
		t.Errorf("available %v, want 99", v)
	}
	if v, _ := value(fams, "licd_checkouts_total", map[string]string{"feature": "XDT_PLT_CCS"}); v != 1 {
		t.Errorf("checkouts %v, want 1", v)
	}
	if v, _ := value(fams, "licd_denials_total", map[string]string{"feature": "(not served)", "code": "-5"}); v != 1 {
		t.Errorf("denials of a feature not served %v, want 1", v)
	}
	if err := c.Checkin(ctx, g.Handle); err != nil {
		t.Fatal(err)
	}
	fams = scrape(t, h)
	if v, _ := value(fams, "licd_pool_in_use_licenses", pool); v != 0 {
		t.Errorf("in use after the checkin %v, want 0", v)
	}
	if v, _ := value(fams, "licd_checkins_total", map[string]string{"feature": "XDT_PLT_CCS", "reason": "checkin"}); v != 1 {
		t.Errorf("checkins %v, want 1", v)
	}
	if v, _ := value(fams, "licd_product_sessions", map[string]string{"state": "connected"}); v != 1 {
		t.Errorf("connected sessions %v, want 1", v)
	}
	if v, _ := value(fams, "licd_storage_commit_sync_seconds", nil); v == 0 {
		t.Error("no durable commit measured")
	}
	if v, ok := value(fams, "licd_build_info", map[string]string{"version": daemon.Version}); !ok || v != 1 {
		t.Errorf("build info: %v %v", v, ok)
	}
}

type countingCollector struct{ n int }

var countingDesc = prometheus.NewDesc("test_collections_total", "Collections.", nil, nil)

func (c *countingCollector) Describe(ch chan<- *prometheus.Desc) { ch <- countingDesc }
func (c *countingCollector) Collect(ch chan<- prometheus.Metric) {
	c.n++
	ch <- prometheus.MustNewConstMetric(countingDesc, prometheus.CounterValue, float64(c.n))
}

// A throttled collector collects once per period; scrapes in between get its last metrics.
func TestThrottleCollectsOncePerPeriod(t *testing.T) {
	inner := &countingCollector{}
	hourly := Throttle(inner, time.Hour)
	for range 3 {
		if got := testutil.ToFloat64(hourly); got != 1 {
			t.Fatalf("scrape within the period: %v, want the first collection's 1", got)
		}
	}
	if inner.n != 1 {
		t.Fatalf("collected %d times within the period", inner.n)
	}
	always := Throttle(&countingCollector{}, 0)
	testutil.ToFloat64(always)
	if got := testutil.ToFloat64(always); got != 2 {
		t.Fatalf("with no period every scrape collects: %v", got)
	}
}

// Scrapes while products check out and in: every scrape parses, and the counters add up to
// what was done (run with -race to check the counters' and the collector's sharing).
func TestConcurrentScrapesAndCheckouts(t *testing.T) {
	d := startDaemon(t)
	h := Handler(d)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	const products, rounds = 4, 50
	done := make(chan error, products)
	for p := range products {
		go func() {
			c, err := wire.Dial(ctx, []string{d.LMAddr().String()}, wire.ClientOptions{ClientID: fmt.Sprintf("conc-%d", p), Product: "XDT",
				Edition: "PLT", Model: "CCS", Host: "ddc.example.com", VersionDate: 20240101, RequestTimeout: 20 * time.Second})
			if err != nil {
				done <- err
				return
			}
			defer c.Close()
			for i := range rounds {
				g, err := c.Checkout(ctx, wire.Checkout{Feature: "XDT_PLT_CCS", User: "u", Device: fmt.Sprintf("d%d-%d", p, i), ClientHost: "h", VersionDate: 20240101})
				if err != nil {
					done <- err
					return
				}
				if err := c.Checkin(ctx, g.Handle); err != nil {
					done <- err
					return
				}
			}
			done <- nil
		}()
	}
	stop := make(chan struct{})
	scraped := make(chan int)
	for range 2 {
		go func() {
			n := 0
			for {
				select {
				case <-stop:
					scraped <- n
					return
				default:
				}
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
				parser := expfmt.NewTextParser(model.UTF8Validation)
				if _, err := parser.TextToMetricFamilies(rec.Body); err != nil || rec.Code != 200 {
					t.Errorf("scrape %d: %d %v", n, rec.Code, err)
				}
				n++
			}
		}()
	}
	for range products {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	if n := <-scraped + <-scraped; n == 0 {
		t.Fatal("no scrape ran")
	}
	fams := scrape(t, h)
	feature := map[string]string{"feature": "XDT_PLT_CCS"}
	if v, _ := value(fams, "licd_checkouts_total", feature); v != products*rounds {
		t.Errorf("checkouts %v, want %d", v, products*rounds)
	}
	if v, _ := value(fams, "licd_checkins_total", map[string]string{"feature": "XDT_PLT_CCS", "reason": "checkin"}); v != products*rounds {
		t.Errorf("checkins %v, want %d", v, products*rounds)
	}
	if v, _ := value(fams, "licd_pool_in_use_licenses", feature); v != 0 {
		t.Errorf("in use %v after every checkin, want 0", v)
	}
}
