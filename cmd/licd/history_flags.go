package main

import (
	"flag"

	"github.com/licd/licd/actors/daemon"
	"github.com/licd/licd/actors/history"
)

// historyFlags configure historical usage ("Historical Use").
func historyFlags(fs *flag.FlagSet, h *daemon.HistoryConfig) {
	fs.DurationVar(&h.Interval, "history-interval", history.DefaultInterval, "time between historical usage samples of every pool (the manual's 15 minutes; smaller values for tests)")
	fs.DurationVar(&h.Retention, "history-retention", history.DefaultRetention, "historical usage retention until an administrator sets one (persisted; history.retention)")
}
