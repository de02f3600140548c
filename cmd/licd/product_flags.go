package main

import (
	"flag"

	"github.com/licd/licd/actors/daemon"
)

// productFlags are the product port's security settings (README "Security").
func productFlags(fs *flag.FlagSet, p *daemon.ProductSecurity) {
	fs.StringVar(&p.SecretsFile, "product-secrets", "", `file of product credentials, "CLIENT-ID SECRET" a line ("*" for any product); when set, every hello must carry its secret`)
	fs.StringVar(&p.TLSCert, "product-tls-cert", "", "PEM certificate for TLS on the product ports (with -product-tls-key)")
	fs.StringVar(&p.TLSKey, "product-tls-key", "", "PEM private key for TLS on the product ports")
	fs.StringVar(&p.ClientCA, "product-client-ca", "", "PEM CA whose client certificates authenticate products (mutual TLS)")
	fs.BoolVar(&p.RequireTLS, "product-require-tls", false, "refuse plain connections from other hosts (loopback utilities stay plain)")
	fs.Float64Var(&p.HelloRate, "product-hello-rate", 20, "hellos per second one address may send (bursts of -product-hello-burst)")
	fs.IntVar(&p.HelloBurst, "product-hello-burst", 200, "burst of hellos one address may send at once")
	fs.IntVar(&p.MaxSessionsPerAddr, "max-sessions-per-addr", 1000, "product sessions (connected or lingering) one address may hold (-1: no bound)")
	fs.DurationVar(&p.IdleLinger, "idle-linger", 0, "linger of a lost session that held nothing but its start-up license (default: 1 minute, at most -linger)")
	fs.BoolVar(&p.StrictLoopback, "product-strict-loopback", false, "treat loopback clients like other hosts' (hello and session limits, -product-require-tls)")
}
