package bench

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sort"
	"sync"
	"time"
)

// ScrapeMetrics is the Options.Scrape value that scrapes a self-started licd's own
// Prometheus endpoint: licd is started with -metrics-listen on a free loopback port.
const ScrapeMetrics = "metrics"

// DefaultScrapeInterval is the "a status scrape every 100 ms".
const DefaultScrapeInterval = 100 * time.Millisecond

// scraper GETs a URL every interval while the primary phase runs, as a monitoring system
// scraping the server would (issue 10: the admin surface must cost ccu-churn less than 5%).
// With rounds > 0 it alternates: the primary phase is cut into 2×rounds windows of equal
// length, without scrapes then with, and the operations completed in each are counted, so
// that the same run, the same connections and the same server state measure both.
type scraper struct {
	url      string
	interval time.Duration
	rounds   int

	mu        sync.Mutex
	latencies []time.Duration
	failures  int
	firstErr  string
	bytes     int64
	windows   []scrapeWindow
}

type scrapeWindow struct {
	scraping bool
	ops      int64
	seconds  float64
	cpu      float64 // the server's CPU seconds (-1: unknown)
}

// run scrapes until ctx ends. With rounds, the windows are counted from rec's operations;
// it returns when the phase (length d) is over or ctx ends.
// cpu reads the server's CPU seconds so far (-1: unknown).
func (s *scraper) run(ctx context.Context, rec *Recorder, d time.Duration, cpu func() float64) {
	client := &http.Client{Timeout: 10 * time.Second}
	if s.rounds <= 0 || d <= 0 {
		s.scrape(ctx, client, ctx.Done())
		return
	}
	// The windows fill 95% of the phase: the scraper starts a moment after the load, and a
	// window cut short by the phase's end would not be comparable.
	window := d * 95 / 100 / time.Duration(2*s.rounds)
	for i := 0; i < 2*s.rounds && ctx.Err() == nil; i++ {
		on := i%2 == 1
		ops0, _, _ := rec.Counts()
		t0, cpu0 := time.Now(), cpu()
		wctx, cancel := context.WithTimeout(ctx, window)
		if on {
			s.scrape(wctx, client, wctx.Done())
		} else {
			<-wctx.Done()
		}
		cancel()
		if ctx.Err() != nil {
			break // the phase ended early: a partial window is not comparable
		}
		ops1, _, _ := rec.Counts()
		w := scrapeWindow{scraping: on, ops: ops1 - ops0, seconds: time.Since(t0).Seconds(), cpu: -1}
		if cpu1 := cpu(); cpu0 >= 0 && cpu1 >= 0 {
			w.cpu = cpu1 - cpu0
		}
		s.mu.Lock()
		s.windows = append(s.windows, w)
		s.mu.Unlock()
	}
}

// scrape GETs the URL every interval (the next one starts an interval after the last
// started, or at once when a scrape took longer) until done.
func (s *scraper) scrape(ctx context.Context, client *http.Client, done <-chan struct{}) {
	t := time.NewTicker(s.interval)
	defer t.Stop()
	for {
		s.once(ctx, client)
		select {
		case <-done:
			return
		case <-t.C:
		}
	}
}

func (s *scraper) once(ctx context.Context, client *http.Client) {
	t0 := time.Now()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.url, nil)
	var n int64
	if err == nil {
		var resp *http.Response
		if resp, err = client.Do(req); err == nil {
			n, err = io.Copy(io.Discard, resp.Body)
			_ = resp.Body.Close()
			if err == nil && resp.StatusCode != http.StatusOK {
				err = fmt.Errorf("%s answered %s", s.url, resp.Status)
			}
		}
	}
	if ctx.Err() != nil {
		return // cut off by the end of the window or phase: not the server's doing
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		s.failures++
		if s.firstErr == "" {
			s.firstErr = err.Error()
		}
		return
	}
	s.latencies = append(s.latencies, time.Since(t0))
	s.bytes += n
}

// startScrape starts the scraper, if any, for a primary phase of length d whose operations
// rec counts; the function it returns ends it.
func (e *Env) startScrape(rec *Recorder, d time.Duration) (stop func()) {
	s := e.scraper
	if s == nil {
		return func() {}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.run(ctx, rec, d, e.serverCPU)
	}()
	return func() { cancel(); <-done }
}

// report adds the scrapes' figures to the result, and with rounds the throughput with and
// without scrapes and their ratio, as a check against the target (less than 5%
// lost).
func (s *scraper) report(r *Result) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r.addFact("scrapes of "+s.url+" every "+s.interval.String(), float64(len(s.latencies)), "scrapes")
	r.addFact("scrape failures", float64(s.failures), "scrapes")
	if s.firstErr != "" {
		r.Notes = append(r.Notes, "first scrape failure: "+s.firstErr)
	}
	if len(s.latencies) > 0 {
		sort.Slice(s.latencies, func(i, j int) bool { return s.latencies[i] < s.latencies[j] })
		q := func(p float64) float64 {
			return float64(s.latencies[int(p*float64(len(s.latencies)-1))]) / float64(time.Millisecond)
		}
		r.addFact("scrape latency p50", q(0.5), "ms")
		r.addFact("scrape latency p99", q(0.99), "ms")
		r.addFact("scrape size", float64(s.bytes)/float64(len(s.latencies)), "bytes")
	}
	if s.rounds <= 0 {
		return
	}
	var on, off scrapeWindow
	var ratios []float64
	knownCPU := true
	for i, w := range s.windows {
		acc := &off
		if w.scraping {
			acc = &on
		}
		acc.ops += w.ops
		acc.seconds += w.seconds
		acc.cpu += w.cpu
		knownCPU = knownCPU && w.cpu >= 0
		if prev := s.windows[max(i-1, 0)]; w.scraping && i > 0 && prev.ops > 0 && w.seconds > 0 {
			ratios = append(ratios, (float64(w.ops)/w.seconds)/(float64(prev.ops)/prev.seconds))
		}
	}
	if on.seconds == 0 || off.seconds == 0 {
		r.Notes = append(r.Notes, "the phase ended before a window with and one without scrapes were complete: no comparison")
		return
	}
	withRate, withoutRate := float64(on.ops)/on.seconds, float64(off.ops)/off.seconds
	ratio := withRate / withoutRate
	sorted := append([]float64(nil), ratios...)
	sort.Float64s(sorted)
	median := ratio
	if n := len(sorted); n%2 == 1 {
		median = sorted[n/2]
	} else if n > 0 {
		median = (sorted[len(sorted)/2-1] + sorted[len(sorted)/2]) / 2
	}
	r.addFact("ops/s without scrapes", withoutRate, "ops/s")
	r.addFact("ops/s with a scrape every "+s.interval.String(), withRate, "ops/s")
	r.addFact("throughput with scrapes, per mille of that without", 1000*ratio, "‰")
	r.addFact("median of the rounds' ratios, per mille", 1000*median, "‰")
	per := make([]string, len(ratios))
	for i, x := range ratios {
		per[i] = fmt.Sprintf("%.3f", x)
	}
	r.Notes = append(r.Notes, fmt.Sprintf("scrape comparison: %d rounds of %.1fs without, then %.1fs with scrapes of %s; ratio of all windows %.3f, median of the rounds %.3f; with/without per round: %v",
		len(ratios), off.seconds/float64(max(len(s.windows)-len(ratios), 1)), on.seconds/float64(max(len(ratios), 1)), s.url, ratio, median, per))
	if knownCPU && on.ops > 0 && off.ops > 0 {
		// The server's CPU per operation is what a scrape adds to each checkout's cost; on a
		// machine whose cores other processes share it varies far less than throughput.
		withCPU, withoutCPU := on.cpu/float64(on.ops)*1e6, off.cpu/float64(off.ops)*1e6
		r.addFact("server CPU per op without scrapes, ns", withoutCPU*1000, "ns")
		r.addFact("server CPU per op with scrapes, ns", withCPU*1000, "ns")
		r.addFact("server CPU per op with scrapes, per mille of that without", 1000*withCPU/withoutCPU, "‰")
	}
	r.Checks = append(r.Checks, atLeast("throughput with a scrape every "+s.interval.String()+" / without (issue 10: < 5% lost)", ratio, 0.95, "%.3f"))
}
