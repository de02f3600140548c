package daemon

import (
	"encoding/json"
	"fmt"
	"time"

	"go.uber.org/zap"

	"github.com/licd/licd/storage"
)

// auditFeature is the event stream the audit log is kept in: "@" never starts a feature
// name, so it cannot mix with a feature's user/device events.
const auditFeature = "@audit"

// AuditEntry is one state change or security event: who, when, from where, what, result.
type AuditEntry struct {
	Time   time.Time `json:"time"`
	Who    string    `json:"who"`
	From   string    `json:"from"`
	Action string    `json:"action"`
	Target string    `json:"target,omitempty"`
	Result string    `json:"result"` // "ok", "denied", "failed", "locked"
	Detail string    `json:"detail,omitempty"`
}

// Audit records an entry. A failure to record is logged, never a reason to fail the change
// (which has already happened).
func (d *Daemon) Audit(e AuditEntry) {
	if e.Time.IsZero() {
		e.Time = d.now()
	}
	text, _ := json.Marshal(e)
	b := storage.NewBatch()
	b.AppendEvent(&storage.Event{Feature: auditFeature, Time: e.Time.UnixNano(), Kind: e.Action, Text: string(text)})
	if err := d.store.Commit(b); err != nil {
		d.log.Warn("audit entry not stored", zap.String("action", e.Action), zap.Error(err))
	}
}

// AuditLog returns the newest entries (at most limit) at or after since, newest first.
// It keeps only the last limit entries while it reads, so a long log costs no more
// memory than the page asked for.
func (d *Daemon) AuditLog(since time.Time, limit int) ([]AuditEntry, error) {
	if limit <= 0 {
		return nil, nil
	}
	ring := make([]AuditEntry, 0, min(limit, 1024))
	next := 0 // where the next entry goes once the ring is full
	err := d.store.Events(auditFeature, func(ev *storage.Event) error {
		if ev.Time < since.UnixNano() {
			return nil
		}
		var e AuditEntry
		if err := json.Unmarshal([]byte(ev.Text), &e); err != nil {
			return fmt.Errorf("audit entry damaged: %w", err)
		}
		if len(ring) < limit {
			ring = append(ring, e)
			return nil
		}
		ring[next] = e
		next = (next + 1) % limit
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read the audit log: %w", err)
	}
	out := make([]AuditEntry, 0, len(ring))
	for i := len(ring) - 1; i >= 0; i-- {
		out = append(out, ring[(next+i)%len(ring)])
	}
	return out, nil
}

// PruneAudit deletes the entries older than the retention with one range delete.
func (d *Daemon) PruneAudit(retention time.Duration) error {
	b := storage.NewBatch()
	b.DeleteEventsBefore(auditFeature, d.now().Add(-retention).UnixNano())
	return d.store.Commit(b)
}

// changesState tells the wire admin requests that change the server (and are audited)
// from the ones that only read.
func changesState(op string, args []byte) bool {
	switch op {
	case "users.list", "groups.list", "service.query", "burst.query", "alerts", "alerts.counters", "history.series", "history.csv", "fulfil.entitlements", "fulfil.installed", "renewal.list":
		return false
	case "udadmin":
		var req UDAdminRequest
		_ = json.Unmarshal(args, &req)
		return req.Op == "delete"
	}
	return true
}

func auditResult(err error) string {
	if err != nil {
		return "failed"
	}
	return "ok"
}

func auditDetail(err error) string {
	if err != nil {
		return err.Error()
	}
	return ""
}
