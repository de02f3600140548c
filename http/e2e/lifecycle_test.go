package e2e

import (
	"archive/zip"
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/licd/licd/license"
	"github.com/licd/licd/wire"
)

// The routes beside the Dashboard's, through the API a monitoring system and the console
// use: Prometheus scrapes /metrics with a read token and sees what products hold; an
// administrator makes a support bundle and downloads it, and no secret of the server is in
// it ("Support Bundle"); the data-sharing status says nothing leaves the machine when no
// program is on; a renewal check without a fulfilment service is a 409 that says so.
func TestLifecycleRoutes(t *testing.T) {
	f := newFixture(t, false)
	f.writeLicense("ccs.lic", f.issue(license.LineSpec{Feature: "XDT_PLT_CCS", Count: 10}))
	e := f.start()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := wire.Dial(ctx, []string{e.srv.Addr()}, wire.ClientOptions{ClientID: "metrics-ddc", Product: "XDT", Host: "ddc-m.example.com"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for i := range 3 {
		u := "u" + strconv.Itoa(i)
		if _, err := c.Checkout(ctx, wire.Checkout{Feature: "XDT_PLT_CCS", User: u, ClientHost: u + ".example.com", VersionDate: 20240101}); err != nil {
			t.Fatal(err)
		}
	}
	admin := e.admin()
	secret, _ := e.token(admin, "prometheus", "read")
	reader := &caller{name: "read token", token: secret}

	if r := e.do(nil, "GET", "/metrics", "", nil); r.status != 401 {
		t.Errorf("anonymous /metrics: %s, want 401", r)
	}
	r := e.do(reader, "GET", "/metrics", "", nil)
	if r.status != 200 {
		t.Fatalf("/metrics with a read token: %s", r)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(bytes.NewReader(r.body))
	if err != nil {
		t.Fatalf("the scrape is not Prometheus text: %v", err)
	}
	inUse := 0.0
	for _, m := range families["licd_pool_in_use_licenses"].GetMetric() {
		for _, l := range m.GetLabel() {
			if l.GetName() == "feature" && l.GetValue() == "XDT_PLT_CCS" {
				inUse += m.GetGauge().GetValue()
			}
		}
	}
	if inUse != 3 {
		t.Errorf("licd_pool_in_use_licenses of XDT_PLT_CCS = %v, want the 3 held", inUse)
	}

	var made struct {
		Name, Download string
		Size           int64
	}
	r = e.json(admin, "POST", "/api/v1/support-bundles", nil)
	e.ok(r, &made)
	if strings.Contains(string(r.body), f.dataDir()) {
		t.Errorf("the answer names where the server keeps its files: %s", r.body)
	}
	if r := e.json(reader, "POST", "/api/v1/support-bundles", nil); r.status != 403 {
		t.Errorf("a read token made a support bundle: %s", r)
	}
	dl := e.do(admin, "GET", made.Download, "", nil)
	if dl.status != 200 || int64(len(dl.body)) != made.Size {
		t.Fatalf("download %s: %d, %d bytes of %d", made.Download, dl.status, len(dl.body), made.Size)
	}
	zr, err := zip.NewReader(bytes.NewReader(dl.body), int64(len(dl.body)))
	if err != nil {
		t.Fatalf("the support bundle is not a zip: %v", err)
	}
	token, err := os.ReadFile(filepath.Join(f.dataDir(), "admin.token"))
	if err != nil {
		t.Fatal(err)
	}
	secrets := map[string]string{"the admin token": strings.TrimSpace(string(token)), "the API token": secret}
	for _, zf := range zr.File {
		rc, err := zf.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(rc)
		_ = rc.Close()
		for what, s := range secrets {
			if bytes.Contains(b, []byte(s)) {
				t.Errorf("%s is in the support bundle's %s", what, zf.Name)
			}
		}
	}
	if r := e.do(admin, "GET", "/api/v1/support-bundles/..%2Fadmin.token", "", nil); r.status != 400 && r.status != 404 {
		t.Errorf("a path outside the bundles: %s", r)
	}

	var tele struct {
		Sends bool `json:"sends"`
	}
	e.ok(e.do(reader, "GET", "/api/v1/telemetry", "", nil), &tele)
	if tele.Sends {
		t.Error("the data-sharing status says data leaves the machine with no program on and no endpoint")
	}
	e.wantProblem(e.json(admin, "POST", "/api/v1/renewals/check", nil), 409, "conflict")
}
