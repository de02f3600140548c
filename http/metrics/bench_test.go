package metrics

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// BenchmarkScrape is one /metrics scrape of an idle in-process licd with the demo licenses,
// as Prometheus asks for it (gzip), through Handler; the sub-benchmarks split its cost.
func BenchmarkScrape(b *testing.B) {
	d := startDaemon(b)
	run := func(b *testing.B, h interface {
		ServeHTTP(w http.ResponseWriter, r *http.Request)
	}) {
		b.ReportAllocs()
		for b.Loop() {
			req := httptest.NewRequest("GET", "/metrics", nil)
			req.Header.Set("Accept-Encoding", "gzip")
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != 200 {
				b.Fatal(rec.Code)
			}
		}
	}
	b.Run("handler", func(b *testing.B) { run(b, Handler(d)) })
	b.Run("local-handler", func(b *testing.B) { run(b, LocalHandler(d)) })
	only := func(cs ...prometheus.Collector) *prometheus.Registry {
		reg := prometheus.NewRegistry()
		reg.MustRegister(cs...)
		return reg
	}
	b.Run("licd-collector-only", func(b *testing.B) {
		run(b, promhttp.HandlerFor(only(NewCollector(d)), promhttp.HandlerOpts{}))
	})
	b.Run("go-collector", func(b *testing.B) {
		run(b, promhttp.HandlerFor(only(collectors.NewGoCollector()), promhttp.HandlerOpts{}))
	})
	b.Run("process-collector", func(b *testing.B) {
		run(b, promhttp.HandlerFor(only(collectors.NewProcessCollector(collectors.ProcessCollectorOpts{})), promhttp.HandlerOpts{}))
	})
	b.Run("licd-collector-no-gzip", func(b *testing.B) {
		run(b, promhttp.HandlerFor(only(NewCollector(d)), promhttp.HandlerOpts{DisableCompression: true}))
	})
}
