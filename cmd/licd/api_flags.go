package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"time"

	"go.uber.org/zap"

	"github.com/licd/licd/actors/daemon"
	licdhttp "github.com/licd/licd/http"
)

// apiOptions are the flags of the Web Services for Licensing port (the HTTPS admin API).
type apiOptions struct {
	plainHTTP               bool
	sessionIdle, sessionMax time.Duration
	auditRetention          time.Duration
}

// apiFlags registers the API's flags; the port is a setting (api_port) with this flag as
// its default.
func apiFlags(fs *flag.FlagSet, cfg *daemon.Config, o *apiOptions) {
	fs.IntVar(&cfg.Settings.APIPort, "api-port", 8083, "Web Services for Licensing port: the HTTPS admin API and console (-1: any free port, 0: no API)")
	fs.BoolVar(&o.plainHTTP, "api-http", false, "serve the API over plain HTTP instead of HTTPS (only on a loopback -listen address)")
	fs.DurationVar(&o.sessionIdle, "api-session-idle", 30*time.Minute, "a console session ends after this long without a request")
	fs.DurationVar(&o.sessionMax, "api-session-max", 12*time.Hour, "a console session ends this long after its login")
	fs.DurationVar(&o.auditRetention, "audit-retention", 365*24*time.Hour, "how long the audit log of the API's changes and logins is kept")
}

// startAPI starts the API when its port is not 0; on a first start it makes the admin
// account with a one-time password, printed here once and kept in a 0600 file.
func startAPI(d *daemon.Daemon, cfg daemon.Config, o apiOptions, hostname string, log *zap.Logger, stdout io.Writer) (*licdhttp.Server, error) {
	port := d.APIPort()
	if port == 0 {
		return nil, nil
	}
	srv, err := licdhttp.Start(licdhttp.Options{Daemon: d, Log: log, DataDir: cfg.DataDir, Hostname: hostname,
		Host: cfg.ListenHost, Port: port, PlainHTTP: o.plainHTTP, SessionIdle: o.sessionIdle, SessionMax: o.sessionMax, AuditRetention: o.auditRetention})
	if err != nil {
		return nil, err
	}
	fa, err := d.EnsureFirstAdmin()
	if err != nil {
		_ = srv.Shutdown(context.Background())
		return nil, err
	}
	printAPI(stdout, srv, fa)
	return srv, nil
}

func printAPI(w io.Writer, srv *licdhttp.Server, fa *daemon.FirstAdmin) {
	fmt.Fprintf(w, "  console               %s/   (the Licensing Manager: open it in a browser)\n", srv.URL())
	fmt.Fprintf(w, "  web services (API)    %s/api/v1   (OpenAPI: %s/api/v1/openapi.json)\n", srv.URL(), srv.URL())
	if cert := srv.CertFile(); cert != "" {
		made := ""
		if srv.CertCreated() {
			made = " (self-signed, made now)"
		}
		fmt.Fprintf(w, "  API certificate       %s%s: curl --cacert %s ...\n", cert, made, cert)
	}
	if fa != nil {
		fmt.Fprintf(w, "  first login           account %q, one-time password %s (also in %s, 0600);\n", fa.Name, fa.Password, fa.File)
		fmt.Fprintf(w, "                        it must be changed at the first login: see README \"Web Services for Licensing\"\n")
	}
}
