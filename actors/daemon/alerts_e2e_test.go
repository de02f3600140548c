package daemon_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/licd/licd/actors/alerts"
	"github.com/licd/licd/actors/alerts/webhook"
	"github.com/licd/licd/license"
	"github.com/licd/licd/wire"
)

// receiver is a webhook endpoint on loopback that checks signatures, refuses its first
// post (so that the sender has to retry) and keeps what it accepted.
type receiver struct {
	mu       sync.Mutex
	secret   []byte
	posts    int
	bad      int
	accepted []webhook.Payload
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.posts++
	if !webhook.Verify(r.secret, body, req.Header.Get(webhook.SignatureHeader)) {
		r.bad++
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	if r.posts == 1 {
		http.Error(w, "not yet", http.StatusServiceUnavailable)
		return
	}
	var p webhook.Payload
	if err := json.Unmarshal(body, &p); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	r.accepted = append(r.accepted, p)
}

func (r *receiver) has(event, kind string) *webhook.Payload {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := range r.accepted {
		if r.accepted[i].Event == event && r.accepted[i].Alert.Kind == kind {
			p := r.accepted[i]
			return &p
		}
	}
	return nil
}

func findAlert(as []wire.Alert, kind string) *wire.Alert {
	for i := range as {
		if as[i].Kind == kind {
			return &as[i]
		}
	}
	return nil
}

// A license expiring in 20 days and an overdraft in use are alerts in the status, the
// alerts query and the admin request; they reach a real webhook receiver signed, after a
// refused first post was retried; their first-seen times survive a restart.
func TestAlertsWebhookAndRestart(t *testing.T) {
	f := newFixture(t)
	in20 := time.Now().UTC().Truncate(24*time.Hour).AddDate(0, 0, 20)
	f.issue("ccs.lic", license.LineSpec{Feature: "XDT_PLT_CCS", Count: 5, Expiry: in20, VendorString: ";LT=Retail;GP=720;SA=0"})
	f.issue("ud.lic", license.LineSpec{Feature: "XDT_PLT_UD", Count: 2, Overdraft: -1})
	secret := filepath.Join(f.dir, "webhook.secret")
	if err := os.WriteFile(secret, []byte("s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	rcv := &receiver{secret: []byte("s3cret")}
	srv := httptest.NewServer(rcv)
	defer srv.Close()
	args := []string{"-ud-optimize-fast", "100ms", "-alerts-interval", "200ms",
		"-alerts-webhook", srv.URL, "-alerts-webhook-secret-file", secret}
	s := f.start(args...)
	c := dial(t, s, "XDT")
	for _, u := range []string{"ann", "bob", "cid"} { // 3 users on 2 purchased: 1 overdraft
		if _, err := udCheckout(t, c, "XDT_PLT_UD", u, u+"-pc"); err != nil {
			t.Fatal(err)
		}
	}
	var as []wire.Alert
	eventually(t, 15*time.Second, "the expiry and overdraft alerts", func() bool {
		var err error
		if as, err = c.Alerts(ctx(t)); err != nil {
			t.Fatal(err)
		}
		return findAlert(as, alerts.KindLicenseExpiring) != nil && findAlert(as, alerts.KindOverdraftInUse) != nil
	})
	exp := findAlert(as, alerts.KindLicenseExpiring)
	if exp.Severity != alerts.Critical || exp.DaysLeft == nil || *exp.DaysLeft != 20 || exp.Action == "" {
		t.Fatalf("expiry alert %+v, want critical with 20 days left", exp)
	}
	over := findAlert(as, alerts.KindOverdraftInUse)
	if over.Severity != alerts.Warning || over.Since.IsZero() || !over.Until.Equal(over.Since.AddDate(0, 0, 30)) {
		t.Fatalf("overdraft alert %+v, want a warning since its first use, purchase within 30 days", over)
	}
	st, err := c.Status(ctx(t), "")
	if err != nil {
		t.Fatal(err)
	}
	if findAlert(st.Alerts, alerts.KindLicenseExpiring) == nil {
		t.Fatalf("the status has no expiry alert: %+v", st.Alerts)
	}
	var viaAdmin []wire.Alert
	if err := c.Admin(ctx(t), adminToken(t, f), "alerts", nil, &viaAdmin); err != nil {
		t.Fatal(err)
	}
	if findAlert(viaAdmin, alerts.KindOverdraftInUse) == nil {
		t.Fatalf("the admin request has no overdraft alert: %+v", viaAdmin)
	}
	eventually(t, 15*time.Second, "the webhook to receive both alerts", func() bool {
		return rcv.has("new", alerts.KindLicenseExpiring) != nil && rcv.has("new", alerts.KindOverdraftInUse) != nil
	})
	rcv.mu.Lock()
	posts, bad := rcv.posts, rcv.bad
	rcv.mu.Unlock()
	if bad != 0 || posts < 3 {
		t.Fatalf("%d posts, %d badly signed: want every post signed and the refused one retried", posts, bad)
	}
	if p := rcv.has("new", alerts.KindLicenseExpiring); p.Server != testHost || p.Alert.ID != exp.ID {
		t.Fatalf("webhook payload %+v", p)
	}

	// A restart keeps first-seen times and the overdraft's first use.
	_ = c.Close()
	if err := s.Stop(20 * time.Second); err != nil {
		t.Fatal(err)
	}
	s = f.start(args...)
	c = dial(t, s, "XDT")
	eventually(t, 15*time.Second, "the alerts after the restart", func() bool {
		var err error
		if as, err = c.Alerts(ctx(t)); err != nil {
			t.Fatal(err)
		}
		return findAlert(as, alerts.KindLicenseExpiring) != nil && findAlert(as, alerts.KindOverdraftInUse) != nil
	})
	if a := findAlert(as, alerts.KindLicenseExpiring); !a.FirstSeen.Equal(exp.FirstSeen) {
		t.Fatalf("after a restart the expiry alert was first seen %v, want %v", a.FirstSeen, exp.FirstSeen)
	}
	if a := findAlert(as, alerts.KindOverdraftInUse); !a.Since.Equal(over.Since) {
		t.Fatalf("after a restart the overdraft is in use since %v, want %v", a.Since, over.Since)
	}
}
