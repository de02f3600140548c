package bench

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// The scraper GETs the URL only in the windows with scrapes, counts the operations of each
// window, and reports the comparison and the scrapes' figures.
func TestScraperAlternatesAndCompares(t *testing.T) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		_, _ = w.Write([]byte("licd_up 1\n"))
	}))
	defer srv.Close()
	rec := NewRecorder()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { // a load that completes an operation every millisecond
		for ctx.Err() == nil {
			rec.Done(0, time.Microsecond, nil)
			time.Sleep(time.Millisecond)
		}
	}()
	s := &scraper{url: srv.URL, interval: 10 * time.Millisecond, rounds: 2}
	s.run(context.Background(), rec, 400*time.Millisecond, func() float64 { return -1 }) // 4 windows of 95 ms
	if len(s.windows) != 4 {
		t.Fatalf("%d windows, want 4: %+v", len(s.windows), s.windows)
	}
	for i, w := range s.windows {
		if w.scraping != (i%2 == 1) || w.ops == 0 {
			t.Fatalf("window %d: %+v (want scrapes in every second window, operations in each)", i, w)
		}
	}
	if n := hits.Load(); n < 4 || n > 40 {
		t.Fatalf("%d scrapes in 200 ms of scraping every 10 ms", n)
	}
	r := &Result{}
	s.report(r)
	if v, ok := r.Fact("ops/s without scrapes"); !ok || v <= 0 {
		t.Fatalf("no throughput without scrapes: %+v", r.Facts)
	}
	if v, ok := r.Fact("scrape failures"); !ok || v != 0 {
		t.Fatalf("scrape failures: %v %v", v, ok)
	}
	if len(r.Checks) != 1 || !strings.Contains(r.Checks[0].Name, "scrape") {
		t.Fatalf("checks: %+v", r.Checks)
	}
}

// A failing endpoint is counted and its first error noted, not hidden.
func TestScraperCountsFailures(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "no", http.StatusServiceUnavailable)
	}))
	defer srv.Close()
	s := &scraper{url: srv.URL, interval: 10 * time.Millisecond}
	ctx, cancel := context.WithTimeout(context.Background(), 55*time.Millisecond)
	defer cancel()
	s.run(ctx, NewRecorder(), 0, func() float64 { return -1 })
	r := &Result{}
	s.report(r)
	if v, _ := r.Fact("scrape failures"); v == 0 || len(r.Notes) == 0 || !strings.Contains(r.Notes[0], "503") {
		t.Fatalf("failures %v, notes %v", v, r.Notes)
	}
}
