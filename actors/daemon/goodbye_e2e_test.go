package daemon_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/licd/licd/license"
	"github.com/licd/licd/storage"
	"github.com/licd/licd/wire"
)

// An acknowledged goodbye is durable: kill -9 right after the last goodbye is acknowledged,
// and after the restart nothing is held by the sessions that said goodbye.
func TestAcknowledgedGoodbyeSurvivesSIGKILL(t *testing.T) {
	const (
		rounds   = 4
		products = 16
		each     = 6
	)
	f := newFixture(t)
	f.issue("ccs.lic", license.LineSpec{Feature: "XDT_PLT_CCS", Count: 10_000}, license.LineSpec{Feature: "MPS_ENT_CCU", Count: 10_000},
		license.LineSpec{Feature: "XDT_PLT_UD", Count: 10_000})
	// A slow disk widens the window between the session's end and its features' releases.
	s := f.start("-test-commit-delay", "3ms")
	for round := range rounds {
		var cs []*wire.Client
		for i := range products {
			c, err := wire.Dial(ctx(t), []string{s.VendorAddr()}, wire.ClientOptions{
				ClientID: fmt.Sprintf("bye-r%d-p%d", round, i), Product: "XDT", Host: fmt.Sprintf("ddc%d", i),
				RequestTimeout: 10 * time.Second, ReconnectMin: time.Hour})
			if err != nil {
				t.Fatal(err)
			}
			for j := range each {
				feature := []string{"XDT_PLT_CCS", "MPS_ENT_CCU", "XDT_PLT_UD"}[j%3]
				if _, err := c.Checkout(ctx(t), wire.Checkout{Feature: feature, User: fmt.Sprintf("u%d-%d", i, j), Device: fmt.Sprintf("d%d-%d-%d", round, i, j)}); err != nil {
					t.Fatal(err)
				}
			}
			cs = append(cs, c)
		}
		var wg sync.WaitGroup
		for _, c := range cs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := c.Shutdown(ctx(t)); err != nil {
					t.Errorf("goodbye: %v", err)
				}
			}()
		}
		wg.Wait()
		s.Kill() // at once after the last acknowledgement
		for _, c := range cs {
			_ = c.Close()
		}
		rctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		if err := s.Restart(rctx); err != nil {
			cancel()
			t.Fatal(err)
		}
		cancel()
		watch := dial(t, s, "WATCH")
		for _, feature := range []string{"XDT_PLT_CCS", "MPS_ENT_CCU"} {
			if n := featureStatus(t, watch, feature).InUse; n != 0 {
				t.Fatalf("round %d: %d licenses of %s held after acknowledged goodbyes and kill -9, want 0", round, n, feature)
			}
		}
		_ = watch.Shutdown(ctx(t))
	}
	// User/device connections are not in the status (it lists assignments): read the store.
	if err := s.Stop(20 * time.Second); err != nil {
		t.Fatal(err)
	}
	st, err := storage.Open(filepath.Join(s.DataDir(), "db"), storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var left []string
	if err := st.ForEachGrant(func(g *storage.Grant) error {
		if g.Feature != "CITRIX" {
			left = append(left, fmt.Sprintf("%s handle %d of session %d", g.Feature, g.Handle, g.Session))
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(left) > 0 {
		t.Fatalf("%d grants survive acknowledged goodbyes: %v", len(left), left)
	}
}
