package daemon

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/licd/licd/actors/history"
	"github.com/licd/licd/wire"
)

// HistoryConfig configures historical usage ("Historical Use").
type HistoryConfig struct {
	// Interval is the time between samples of every pool (default 15 minutes: "Database
	// usage snapshots are saved every 15 minutes"). Tests use a few milliseconds.
	Interval time.Duration
	// Retention is the retention until an administrator sets one (default one year).
	Retention time.Duration
}

// startSampler starts the goroutine that samples every pool each interval. It is owned by
// the daemon: Shutdown stops it, and waits for it, before the actors stop.
func (d *Daemon) startSampler() {
	interval := d.cfg.History.Interval
	if interval <= 0 {
		interval = history.DefaultInterval
	}
	d.samplerStop, d.samplerDone = make(chan struct{}), make(chan struct{})
	go func() {
		defer close(d.samplerDone)
		for {
			now := d.now()
			wait := history.NextSample(now, interval).Sub(now)
			t := time.NewTimer(wait)
			select {
			case <-d.samplerStop:
				t.Stop()
				return
			case <-t.C:
			}
			if err := d.sampleHistory(); err != nil {
				d.log.Warn("historical usage sample not taken", zap.Error(err))
			}
		}
	}()
}

// stopSampler stops the sampler and waits for it; safe when it never started.
func (d *Daemon) stopSampler() {
	if d.samplerStop == nil {
		return
	}
	close(d.samplerStop)
	<-d.samplerDone
}

// sampleHistory takes one sample of every pool: the features' status through the same
// messages as lmstat's, with the peak since the previous sample, and the inventory in
// force.
func (d *Daemon) sampleHistory() error {
	features, err := d.engine.SampleStatus(statusTimeout)
	if err != nil {
		return err
	}
	obs := history.Observe(features, d.engine.Inventory())
	d.historySamples.Add(1)
	return d.history.record(d.now(), obs)
}

// HistorySeries answers a chart query: the samples of the pools f matches, one point per
// step (0: every sample).
func (d *Daemon) HistorySeries(f history.Filter, step time.Duration) (history.Series, error) {
	return d.history.series(f, step)
}

// ExportHistoryCSV writes the daily CSV of the pools f matches ("Export historical usage
// data").
func (d *Daemon) ExportHistoryCSV(w io.Writer, f history.Filter) error {
	return d.history.export(w, f)
}

// HistoryRetention is how long samples are kept.
func (d *Daemon) HistoryRetention() time.Duration { return d.history.Retention() }

// SetHistoryRetention changes how long samples are kept (persisted; samples older than it
// are deleted at once).
func (d *Daemon) SetHistoryRetention(r time.Duration) error {
	return d.history.setRetention(r, d.now())
}

// HistoryArgs are the arguments of the history.csv and history.series admin requests.
type HistoryArgs struct {
	ProductEdition string `json:"productEdition,omitempty"`
	Model          string `json:"model,omitempty"`
	CSS            string `json:"css,omitempty"`  // YYYY.MMDD or YYYYMMDD
	From           string `json:"from,omitempty"` // YYYY-MM-DD (UTC) or RFC 3339
	To             string `json:"to,omitempty"`   // excluded; a date means the end of that day
	Step           string `json:"step,omitempty"` // a Go duration, series only
	// Retention is a Go duration (history.retention); empty only reads it.
	Retention string `json:"retention,omitempty"`
}

// Filter parses the arguments into a filter.
func (a *HistoryArgs) Filter() (history.Filter, error) {
	f := history.Filter{ProductEdition: a.ProductEdition, Model: a.Model}
	if a.CSS != "" {
		s := strings.ReplaceAll(a.CSS, ".", "")
		var v uint32
		if _, err := fmt.Sscanf(s, "%d", &v); err != nil || len(s) != 8 {
			return f, fmt.Errorf("history: CSS date %q: give it as YYYY.MMDD (2024.0101)", a.CSS)
		}
		f.CSS = v
	}
	var err error
	if f.From, err = parseDay(a.From, false); err != nil {
		return f, err
	}
	if f.To, err = parseDay(a.To, true); err != nil {
		return f, err
	}
	return f, f.Validate()
}

// parseDay reads YYYY-MM-DD (UTC; the end of the day when end) or RFC 3339.
func parseDay(s string, end bool) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse("2006-01-02", s); err == nil {
		if end {
			t = t.AddDate(0, 0, 1)
		}
		return t, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("history: date %q: give YYYY-MM-DD or an RFC 3339 time", s)
	}
	return t, nil
}

// historyOp serves the history admin requests of the utilities (the same calls the HTTP
// API makes).
func (d *Daemon) historyOp(op string, args []byte) (any, error) {
	var a HistoryArgs
	if len(args) > 0 {
		if err := json.Unmarshal(args, &a); err != nil {
			return nil, wire.Errorf(wire.CodeBadRequest, "history arguments: "+err.Error())
		}
	}
	switch op {
	case "history.retention":
		if a.Retention != "" {
			r, err := time.ParseDuration(a.Retention)
			if err == nil {
				err = d.SetHistoryRetention(r)
			} else {
				err = fmt.Errorf("history: retention %q: give a duration such as 8760h", a.Retention)
			}
			if err != nil {
				return nil, badRequest(err)
			}
		}
		r := d.HistoryRetention()
		return map[string]any{"retention": r.String(), "seconds": int64(r / time.Second)}, nil
	case "history.csv", "history.series":
		f, err := a.Filter()
		if err != nil {
			return nil, badRequest(err)
		}
		if op == "history.series" {
			var step time.Duration
			if a.Step != "" {
				if step, err = time.ParseDuration(a.Step); err != nil {
					return nil, badRequest(fmt.Errorf("history: step %q: give a duration such as 1h", a.Step))
				}
			}
			s, err := d.HistorySeries(f, step)
			if err != nil {
				return nil, badRequest(err)
			}
			return s, nil
		}
		var b strings.Builder
		if err := d.ExportHistoryCSV(&b, f); err != nil {
			return nil, badRequest(err)
		}
		return map[string]string{"csv": b.String()}, nil
	}
	return nil, wire.Errorf(wire.CodeBadRequest, "unknown history operation "+op)
}

// badRequest keeps wire errors and store failures as they are and makes the rest (bad
// arguments) a bad request.
func badRequest(err error) error {
	var we *wire.Error
	if errors.As(err, &we) || !strings.HasPrefix(err.Error(), "history:") {
		return err
	}
	return wire.Errorf(wire.CodeBadRequest, err.Error())
}
