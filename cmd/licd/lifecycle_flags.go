package main

import (
	"flag"
	"time"

	"github.com/licd/licd/actors/daemon"
)

// lifecycleFlags are the alerts' settings (package actors/alerts, webhook in
// actors/alerts/webhook).
func lifecycleFlags(fs *flag.FlagSet, cfg *daemon.Config) {
	fs.StringVar(&cfg.Alerts.WebhookURL, "alerts-webhook", "", "URL that receives a signed JSON POST for every new and cleared alert (retried with back-off)")
	fs.StringVar(&cfg.Alerts.WebhookSecretFile, "alerts-webhook-secret-file", "", "file holding the HMAC-SHA256 secret that signs the webhook's posts (X-Licd-Signature)")
	fs.DurationVar(&cfg.Alerts.Interval, "alerts-interval", time.Minute, "how often alerts are evaluated for the webhook when nobody asks")
}
