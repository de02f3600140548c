package e2e

import (
	"context"
	"net/url"
	"testing"
	"time"

	"github.com/licd/licd/license"
	"github.com/licd/licd/wire"
)

// TestUsage ("Usage and Statistics"): a product server's checkouts and session show
// through the API, paged and filtered; a user/device assignment is listed and released
// (udadmin -delete) by an administrator; the inventory counts what is in use.
func TestUsage(t *testing.T) {
	f := newFixture(t, true)
	f.writeLicense("a.lic", f.issue(license.LineSpec{Feature: "XDT_PLT_CCS", Count: 10}, license.LineSpec{Feature: "XDT_PLT_UD", Count: 5}))
	e := f.start("-ud-optimize-fast", "100ms")
	admin := e.admin()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c, err := wire.Dial(ctx, []string{e.srv.Addr()}, wire.ClientOptions{ClientID: "usage-ddc", Product: "XDT", Host: "ddc-1.example.com",
		Edition: "PLT", Model: "CCS", VersionDate: 20240101, RequestTimeout: 20 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, u := range []string{"alice", "bob", "carol"} {
		if _, err := c.Checkout(ctx, wire.Checkout{Feature: "XDT_PLT_CCS", User: u, Device: u + "-pc", ClientHost: u + "-pc"}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.Checkout(ctx, wire.Checkout{Feature: "XDT_PLT_UD", User: "dora", Device: "dora-pc", ClientHost: "dora-pc"}); err != nil {
		t.Fatal(err)
	}

	var page struct {
		Items []struct{ Feature, User, Host, Device string }
		Total int
	}
	e.ok(e.json(admin, "GET", "/api/v1/checkouts?feature=XDT_PLT_CCS&limit=2", nil), &page)
	if page.Total != 3 || len(page.Items) != 2 {
		t.Fatalf("checkouts page: %+v", page)
	}
	e.ok(e.json(admin, "GET", "/api/v1/checkouts?match=BOB", nil), &page)
	if page.Total != 1 || page.Items[0].User != "bob" {
		t.Fatalf("checkouts matching bob: %+v", page)
	}
	e.wantProblem(e.json(admin, "GET", "/api/v1/checkouts?limit=0", nil), 400, "bad-request")
	e.wantProblem(e.json(admin, "GET", "/api/v1/product-sessions?state=asleep", nil), 400, "bad-request")
	var sessions struct {
		Items []map[string]any
		Total int
	}
	e.ok(e.json(admin, "GET", "/api/v1/product-sessions?state=connected", nil), &sessions)
	if sessions.Total != 1 {
		t.Fatalf("product sessions: %+v", sessions)
	}
	var inv struct {
		Products []struct {
			Feature string
			InUse   int `json:"in_use"`
		}
	}
	e.ok(e.json(admin, "GET", "/api/v1/inventory", nil), &inv)
	inUse := map[string]int{}
	for _, p := range inv.Products {
		inUse[p.Feature] = p.InUse
	}
	if inUse["XDT_PLT_CCS"] != 3 {
		t.Fatalf("inventory in use: %v", inUse)
	}

	// The user/device assignment appears after the optimization, and is released.
	var asg struct {
		Items []struct{ Feature, Kind, Name string }
		Total int
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		e.ok(e.json(admin, "GET", "/api/v1/assignments?feature=XDT_PLT_UD&kind=user", nil), &asg)
		if asg.Total == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no user assignment: %+v", asg)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if asg.Items[0].Name != "dora" {
		t.Fatalf("assignment: %+v", asg)
	}
	r := e.json(admin, "DELETE", "/api/v1/assignments/XDT_PLT_UD/user/"+url.PathEscape("dora"), nil)
	var rel struct{ Released int }
	e.ok(r, &rel)
	if rel.Released != 1 {
		t.Fatalf("release: %s", r)
	}
	e.wantProblem(e.json(admin, "DELETE", "/api/v1/assignments/XDT_PLT_UD/robot/dora", nil), 400, "bad-request")
}
