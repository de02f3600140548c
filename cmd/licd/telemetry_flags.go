package main

import (
	"flag"
	"time"

	"github.com/licd/licd/actors/daemon"
	"github.com/licd/licd/actors/telemetry"
)

// telemetryFlags are the usage data upload's flags (actors/telemetry/SCHEMA.md).
func telemetryFlags(fs *flag.FlagSet, t *daemon.TelemetryConfig) {
	fs.StringVar(&t.URL, "telemetry-url", "", "HTTPS endpoint that receives the usage data bundles (none by default: nothing is sent)")
	fs.StringVar(&t.CAFile, "telemetry-ca", "", "PEM file of CA certificates trusted for -telemetry-url, besides the system's")
	fs.StringVar(&t.Proxy, "telemetry-proxy", "", "proxy for the uploads, http://host:port (default: the proxy setting)")
	fs.DurationVar(&t.First, "telemetry-first", telemetry.DefaultFirst, "time from start to the first usage data run (the manual's five minutes)")
	fs.DurationVar(&t.Interval, "telemetry-interval", telemetry.DefaultInterval, "time between usage data runs and before a retry (the manual's 24 hours; smaller for tests)")
	fs.DurationVar(&t.MinManual, "telemetry-min-upload-now", telemetry.DefaultMinManual, "least time between two \"upload now\" (test hook)")
	fs.IntVar(&t.Keep, "telemetry-keep", 14, "usage bundles of each kind kept in DATA/usage")
	fs.DurationVar(&t.Timeout, "telemetry-timeout", 2*time.Minute, "time limit of one upload")
}
