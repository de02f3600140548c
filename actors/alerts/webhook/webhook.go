// Package webhook pushes licd's new and cleared alerts to a URL the administrator
// configured (licd -alerts-webhook URL): one JSON POST per change, in order, retried with
// exponential back-off, signed with HMAC-SHA256 so that the receiver can trust it.
//
// The request body is
//
//	{"server":"HOST","sentAt":"2030-03-01T09:30:00Z","event":"new","alert":{...}}
//
// (alert as in the status JSON, event "new" or "cleared"), with the headers
//
//	Content-Type: application/json
//	X-Licd-Event: new
//	X-Licd-Signature: sha256=HEX
//
// where HEX is the lower-case hex HMAC-SHA256 of the exact body bytes under the secret
// (-alerts-webhook-secret-file); a receiver recomputes it and compares in constant time,
// and rejects an old sentAt to refuse replays. Without a secret the signature header is left
// out. A 2xx answer is delivery; anything else (or no answer within the timeout) is retried
// after 1 s, 2 s, 4 s, ... up to a minute between tries, at most MaxAttempts times, then the
// change is dropped and counted. Changes queue in memory (at most 1,024; more are dropped
// and counted): alerts are re-evaluated after a restart, and the list is always available
// from the status and the API.
package webhook

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/licd/licd/actors/alerts"
)

// SignatureHeader carries "sha256=" and the hex HMAC-SHA256 of the body.
const SignatureHeader = "X-Licd-Signature"

// Config configures a Webhook. Zero durations and counts take the defaults.
type Config struct {
	URL    string
	Secret []byte // HMAC key; nil: requests are not signed
	Server string // the server's host name, sent in every body
	Logger *zap.Logger
	Now    func() time.Time
	// Client makes the requests (default: an http.Client with a 10 s timeout).
	Client *http.Client
	// MinBackoff and MaxBackoff bound the wait between tries (default 1 s and 1 minute);
	// MaxAttempts is how many tries a change gets (default 10).
	MinBackoff, MaxBackoff time.Duration
	MaxAttempts            int
}

// Payload is the JSON body of one POST.
type Payload struct {
	Server string       `json:"server"`
	SentAt time.Time    `json:"sentAt"`
	Event  string       `json:"event"`
	Alert  alerts.Alert `json:"alert"`
}

// Counters are the webhook's figures.
type Counters struct {
	Sent    uint64 `json:"sent"`    // changes delivered (2xx)
	Retries uint64 `json:"retries"` // tries that failed and were retried
	Failed  uint64 `json:"failed"`  // changes given up after MaxAttempts
	Dropped uint64 `json:"dropped"` // changes dropped because the queue was full
}

// Webhook delivers changes from one goroutine, which Close stops.
type Webhook struct {
	cfg     Config
	ch      chan alerts.Change
	stop    chan struct{}
	done    chan struct{}
	once    sync.Once
	sent    atomic.Uint64
	retries atomic.Uint64
	failed  atomic.Uint64
	dropped atomic.Uint64
}

// queueLen bounds the changes waiting to be delivered.
const queueLen = 1024

// New checks the URL and starts the sender.
func New(cfg Config) (*Webhook, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("alerts webhook URL %q: write an http:// or https:// URL with a host", cfg.URL)
	}
	if cfg.Logger == nil {
		cfg.Logger = zap.NewNop()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Client == nil {
		cfg.Client = &http.Client{Timeout: 10 * time.Second}
	}
	if cfg.MinBackoff <= 0 {
		cfg.MinBackoff = time.Second
	}
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = time.Minute
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = 10
	}
	w := &Webhook{cfg: cfg, ch: make(chan alerts.Change, queueLen), stop: make(chan struct{}), done: make(chan struct{})}
	go w.run()
	return w, nil
}

// Notify queues changes; it never blocks.
func (w *Webhook) Notify(changes []alerts.Change) {
	for _, c := range changes {
		select {
		case w.ch <- c:
		default:
			w.dropped.Add(1)
		}
	}
}

// Counters returns the webhook's figures.
func (w *Webhook) Counters() Counters {
	return Counters{Sent: w.sent.Load(), Retries: w.retries.Load(), Failed: w.failed.Load(), Dropped: w.dropped.Load()}
}

// Close stops the sender (a delivery in progress is abandoned); safe to call twice.
func (w *Webhook) Close() {
	w.once.Do(func() { close(w.stop) })
	<-w.done
}

func (w *Webhook) run() {
	defer close(w.done)
	for {
		select {
		case <-w.stop:
			return
		case c := <-w.ch:
			w.deliver(c)
		}
	}
}

func (w *Webhook) deliver(c alerts.Change) {
	wait := w.cfg.MinBackoff
	for attempt := 1; ; attempt++ {
		err := w.post(c)
		if err == nil {
			w.sent.Add(1)
			return
		}
		if attempt >= w.cfg.MaxAttempts {
			w.failed.Add(1)
			w.cfg.Logger.Warn("alerts webhook: change not delivered; giving up", zap.String("alert", c.Alert.ID),
				zap.String("event", c.Event), zap.Int("attempts", attempt), zap.Error(err))
			return
		}
		w.retries.Add(1)
		w.cfg.Logger.Info("alerts webhook: delivery failed; retrying", zap.String("alert", c.Alert.ID), zap.Duration("in", wait), zap.Error(err))
		t := time.NewTimer(wait)
		select {
		case <-w.stop:
			t.Stop()
			return
		case <-t.C:
		}
		wait = min(2*wait, w.cfg.MaxBackoff)
	}
}

func (w *Webhook) post(c alerts.Change) error {
	body, err := json.Marshal(Payload{Server: w.cfg.Server, SentAt: w.cfg.Now().UTC(), Event: c.Event, Alert: c.Alert})
	if err != nil {
		return fmt.Errorf("encode: %w", err)
	}
	req, err := http.NewRequest(http.MethodPost, w.cfg.URL, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "licd-alerts")
	req.Header.Set("X-Licd-Event", c.Event)
	if len(w.cfg.Secret) > 0 {
		req.Header.Set(SignatureHeader, Sign(w.cfg.Secret, body))
	}
	resp, err := w.cfg.Client.Do(req)
	if err != nil {
		return fmt.Errorf("post to %s: %w", w.cfg.URL, err)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("post to %s: answered %s", w.cfg.URL, resp.Status)
	}
	return nil
}

// Sign is the signature header's value for body: "sha256=" and the hex HMAC-SHA256.
func Sign(secret, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// Verify reports whether header is body's signature under secret (constant time).
func Verify(secret, body []byte, header string) bool {
	return hmac.Equal([]byte(header), []byte(Sign(secret, body)))
}
