package main

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"time"

	"go.uber.org/zap"

	"github.com/licd/licd/actors/daemon"
	"github.com/licd/licd/http/metrics"
)

// metricsListener is the optional Prometheus endpoint of -metrics-listen: /metrics (package
// http/metrics) alone, unauthenticated, so only ever on a loopback address. The admin API
// serves the same metrics behind a read token on other addresses.
type metricsListener struct {
	host string // a loopback address; "" when not asked for
	port int    // 0: any free port (-1 on the command line)
	ln   net.Listener
	srv  *http.Server
	done chan struct{}
}

// metricsFlags registers -metrics-listen.
func metricsFlags(fs *flag.FlagSet) *metricsListener {
	m := &metricsListener{}
	fs.Var(m, "metrics-listen", "serve Prometheus metrics at http://ADDR/metrics without authentication, on a loopback address only (e.g. 127.0.0.1:9279; port -1: any free port, written to -ports-file as \"metrics\")")
	return m
}

func (m *metricsListener) String() string {
	if m == nil || m.host == "" {
		return ""
	}
	return net.JoinHostPort(m.host, strconv.Itoa(m.port))
}

// Set checks the address: a loopback host and a port, or -1 for any free port.
func (m *metricsListener) Set(v string) error {
	host, p, err := net.SplitHostPort(v)
	if err != nil {
		return fmt.Errorf("%q is not HOST:PORT: write a loopback address and a port, e.g. 127.0.0.1:9279", v)
	}
	if host == "localhost" {
		host = "127.0.0.1"
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("%q is not a loopback address: the metrics listener has no authentication, so it listens only on 127.0.0.1 or [::1]; "+
			"serve metrics to other hosts through the admin API's /metrics with a read token", v)
	}
	port, err := strconv.Atoi(p)
	switch {
	case err != nil || port < -1 || port > 65535:
		return fmt.Errorf("%q: the port must be a number from 1 to 65535, or -1 for any free port", v)
	case port == 0:
		return fmt.Errorf("%q: the metrics listener has no default port: give one (e.g. 127.0.0.1:9279), or -1 for any free port", v)
	case port < 0:
		port = 0
	}
	m.host, m.port = ip.String(), port
	return nil
}

// start listens and serves d's metrics when -metrics-listen was given.
func (m *metricsListener) start(d *daemon.Daemon, log *zap.Logger) error {
	if m.host == "" {
		return nil
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(m.host, strconv.Itoa(m.port)))
	if err != nil {
		return fmt.Errorf("listen for metrics on %s: %w (choose another port with -metrics-listen)", m, err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", metrics.LocalHandler(d))
	m.ln, m.done = ln, make(chan struct{})
	m.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second,
		WriteTimeout: 30 * time.Second, IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 16 << 10,
		ErrorLog: zap.NewStdLog(log.Named("metrics"))}
	go func() {
		defer close(m.done)
		if err := m.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("metrics listener", zap.Error(err))
		}
	}()
	log.Info("serving metrics", zap.String("url", "http://"+ln.Addr().String()+"/metrics"))
	return nil
}

// ports is what the ports file says about the listener: its port as "metrics", if serving.
func (m *metricsListener) ports() map[string]int {
	if m.ln == nil {
		return nil
	}
	return map[string]int{"metrics": m.ln.Addr().(*net.TCPAddr).Port}
}

// stop closes the listener and waits for its goroutine; idle connections are closed, a
// scrape in progress ends with the process.
func (m *metricsListener) stop() {
	if m.srv == nil {
		return
	}
	_ = m.srv.Close()
	<-m.done
}
