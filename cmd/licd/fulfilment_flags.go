package main

import (
	"flag"
	"fmt"
	"net/url"
	"time"

	"github.com/licd/licd/actors/daemon"
	"github.com/licd/licd/actors/renewal"
)

// fulfilmentFlags are the vendor fulfilment service's flags ("Install licenses" by license
// access code, "Check for and install Customer Success Services renewal licenses") and the
// settings they default ("Configure a proxy server", the renewal action).
func fulfilmentFlags(fs *flag.FlagSet, cfg *daemon.Config) {
	fs.StringVar(&cfg.Fulfilment.URL, "fulfilment-url", "", "the vendor's fulfilment service, https://HOST:PORT (licgen serve); empty: none")
	fs.StringVar(&cfg.Fulfilment.CAFile, "fulfilment-ca", "", "PEM certificates to trust for the fulfilment service besides the system's")
	fs.DurationVar(&cfg.Fulfilment.RenewalInterval, "renewal-interval", renewal.Weekly, "how often the renewal check runs (weekly)")
	fs.StringVar(&cfg.Settings.Proxy, "proxy", "", "proxy for outbound calls, http://host:port (the proxy setting's default)")
	fs.StringVar(&cfg.Settings.RenewalAction, "renewal-action", "notify", "when a renewal is available: notify, auto (install automatically) or manual (the setting's default)")
}

// checkFulfilmentFlags validates the flags and records which settings the command line gave.
func checkFulfilmentFlags(fs *flag.FlagSet, cfg *daemon.Config) error {
	if cfg.Settings.Explicit == nil {
		cfg.Settings.Explicit = map[string]bool{}
	}
	fs.Visit(func(f *flag.Flag) { cfg.Settings.Explicit[f.Name] = true })
	if u := cfg.Fulfilment.URL; u != "" {
		p, err := url.Parse(u)
		if err != nil || p.Scheme != "https" || p.Host == "" {
			return fmt.Errorf("-fulfilment-url %q: give https://HOST:PORT", u)
		}
	}
	if p := cfg.Settings.Proxy; p != "" {
		pu, err := url.Parse(p)
		if err != nil || (pu.Scheme != "http" && pu.Scheme != "https") || pu.Host == "" {
			return fmt.Errorf("-proxy %q: give http://host:port", p)
		}
	}
	a, err := renewal.ParseAction(cfg.Settings.RenewalAction)
	if err != nil {
		return fmt.Errorf("-renewal-action: %w", err)
	}
	cfg.Settings.RenewalAction = string(a)
	if cfg.Fulfilment.RenewalInterval < time.Second {
		return fmt.Errorf("-renewal-interval %s: give at least 1s", cfg.Fulfilment.RenewalInterval)
	}
	return nil
}
