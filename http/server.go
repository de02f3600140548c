package http

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	nethttp "net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-chi/chi/v5"
	"go.uber.org/zap"

	"github.com/licd/licd/actors/daemon"
)

// Options configure the API server.
type Options struct {
	Daemon *daemon.Daemon
	Log    *zap.Logger
	// DataDir holds the certificate (DATA/tls) and the first admin's password file.
	DataDir string
	// Hostname goes into the self-signed certificate.
	Hostname string
	// Host is the address to listen on ("" all interfaces), Port the port (-1 a free one).
	Host string
	Port int
	// PlainHTTP serves without TLS; it is refused unless Host is a loopback address.
	PlainHTTP bool
	// SessionIdle and SessionMax end a console session (defaults 30 minutes and 12 hours).
	SessionIdle, SessionMax time.Duration
	// LoginEvery and LoginBurst limit failed logins per account (burst failures, then one
	// more per LoginEvery; an address gets four times the burst). Defaults 1 minute, 5.
	LoginEvery time.Duration
	LoginBurst int
	// KeyBits is the self-signed certificate's RSA key size (default 4096).
	KeyBits int
	// AuditRetention is how long audit entries are kept (default a year); older ones are
	// deleted with a range delete at start and then regularly.
	AuditRetention time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Server is the running API server.
type Server struct {
	opt      Options
	srv      *nethttp.Server
	ln       net.Listener
	certs    *certStore
	router   chi.Router
	api      *api
	created  bool
	serveErr chan error
	ready    atomic.Bool
	stop     chan struct{} // ends the audit pruner
	stopOnce sync.Once
	pruned   chan struct{} // closed when it has ended
}

// Server timeouts and limits: every server has them ("timeouts on every server").
const (
	readHeaderTimeout = 10 * time.Second
	readTimeout       = time.Minute // a 4 MiB upload over a slow link
	writeTimeout      = time.Minute // a year of history as CSV
	idleTimeout       = 2 * time.Minute
)

// Start listens and serves the API; the certificate is made on the first start.
func Start(opt Options) (*Server, error) {
	if opt.Daemon == nil {
		return nil, errors.New("the API needs a daemon")
	}
	if opt.Log == nil {
		opt.Log = zap.NewNop()
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.SessionIdle <= 0 {
		opt.SessionIdle = 30 * time.Minute
	}
	if opt.SessionMax <= 0 {
		opt.SessionMax = 12 * time.Hour
	}
	if opt.LoginEvery <= 0 {
		opt.LoginEvery = time.Minute
	}
	if opt.LoginBurst <= 0 {
		opt.LoginBurst = 5
	}
	if opt.AuditRetention <= 0 {
		opt.AuditRetention = 365 * 24 * time.Hour
	}
	if opt.KeyBits == 0 {
		opt.KeyBits = DefaultKeyBits
	}
	if opt.PlainHTTP && !loopbackHost(opt.Host) {
		return nil, fmt.Errorf("plain HTTP (-api-http) is only served on a loopback address, not on %q: add -listen 127.0.0.1, or use HTTPS", opt.Host)
	}
	s := &Server{opt: opt, serveErr: make(chan error, 1), stop: make(chan struct{}), pruned: make(chan struct{})}
	port := opt.Port
	if port < 0 {
		port = 0
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(opt.Host, strconv.Itoa(port)))
	if err != nil {
		return nil, fmt.Errorf("listen on the Web Services for Licensing port %d: %w (choose another with -api-port, or -api-port 0 for no API)", port, err)
	}
	s.ln = ln
	if !opt.PlainHTTP {
		cs, created, err := loadOrCreateCert(opt.DataDir, opt.Hostname, opt.KeyBits, opt.Log)
		if err != nil {
			_ = ln.Close()
			return nil, err
		}
		s.certs, s.created = cs, created
		s.watchCertExpiry()
		// "Manually install a certificate": a certificate put in place is used at once on
		// a reread (lmreread, POST /api/v1/server/reread, a changed license directory).
		opt.Daemon.OnReread(func() { cs.reload(); s.watchCertExpiry() })
	}
	s.api = newAPI(s)
	s.router = s.api.router()
	s.srv = &nethttp.Server{
		Handler:           s.router,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderSize,
		ErrorLog:          zap.NewStdLog(opt.Log.Named("api")),
	}
	if s.certs != nil {
		s.srv.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12, GetCertificate: s.certs.get}
	}
	opt.Daemon.SetAPIPort(s.Port())
	go func() {
		var err error
		if s.certs != nil {
			err = s.srv.ServeTLS(ln, "", "")
		} else {
			err = s.srv.Serve(ln)
		}
		if !errors.Is(err, nethttp.ErrServerClosed) {
			s.serveErr <- err
		}
		close(s.serveErr)
	}()
	go s.pruneAudit()
	s.ready.Store(true)
	return s, nil
}

// pruneAudit deletes the audit entries older than the retention now and then every half
// retention (at least every second, at most every hour) until Shutdown.
func (s *Server) pruneAudit() {
	defer close(s.pruned)
	every := min(max(s.opt.AuditRetention/2, time.Second), time.Hour)
	for {
		if err := s.opt.Daemon.PruneAudit(s.opt.AuditRetention); err != nil {
			s.opt.Log.Warn("old audit entries not deleted", zap.Error(err))
		}
		t := time.NewTimer(every)
		select {
		case <-s.stop:
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// watchCertExpiry tells the alerts when the certificate in force expires.
func (s *Server) watchCertExpiry() {
	c := s.certs.cur.Load()
	if c == nil || len(c.Certificate) == 0 {
		return
	}
	if leaf, err := x509.ParseCertificate(c.Certificate[0]); err == nil {
		s.opt.Daemon.SetCertificate("web-services", leaf.NotAfter)
	}
}

// Port is the port the API listens on.
func (s *Server) Port() int { return s.ln.Addr().(*net.TCPAddr).Port }

// URL is the API's base address as a client on this machine reaches it.
func (s *Server) URL() string {
	scheme := "https"
	if s.certs == nil {
		scheme = "http"
	}
	host := s.opt.Host
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "localhost"
	}
	return scheme + "://" + net.JoinHostPort(host, strconv.Itoa(s.Port()))
}

// CertCreated tells whether this start made the self-signed certificate.
func (s *Server) CertCreated() bool { return s.created }

// CertFile is the certificate's path (empty with plain HTTP): clients trust it with
// curl --cacert.
func (s *Server) CertFile() string {
	if s.certs == nil {
		return ""
	}
	return s.certs.certPath
}

// Mount serves handler at pattern beside the API (package http/metrics mounts /metrics
// here); it does its own authentication.
func (s *Server) Mount(pattern string, handler nethttp.Handler) { s.router.Mount(pattern, handler) }

// Shutdown stops accepting, lets the requests in progress finish (until ctx ends) and
// closes the listener.
func (s *Server) Shutdown(ctx context.Context) error {
	s.ready.Store(false)
	s.stopOnce.Do(func() { close(s.stop) })
	<-s.pruned
	err := s.srv.Shutdown(ctx)
	if err != nil {
		_ = s.srv.Close()
	}
	return err
}

// Err reports the server's failure, if it stops serving on its own.
func (s *Server) Err() <-chan error { return s.serveErr }

func loopbackHost(h string) bool {
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}
