package main

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/licd/licd/license"
)

// The entitlement store's rules ("Manage Licenses on citrix.com"): allocate part or all,
// never more than is available; a return puts licenses back; a renewal lookup offers a later
// CSS date only to the host holding the allocation; the file issued is signed and carries
// the allocation as SN.
func TestFulfilmentStoreRules(t *testing.T) {
	now := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	st, _ := loadStore(filepath.Join(t.TempDir(), "none.json"))
	if _, err := st.addEntitlement("LA-1234", "Example Inc", entitlement{Feature: "XDT_PLT_UD", Quantity: 10, CSS: "2027.0101", Expiry: "permanent", VendorString: ";LT=Retail;GP=720;SA=0", Overdraft: -1}); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []entitlement{{Feature: "NOPE", Quantity: 1, CSS: "2027.0101", Expiry: "permanent"},
		{Feature: "XDT_PLT_UD", Quantity: 0, CSS: "2027.0101", Expiry: "permanent"},
		{Feature: "XDT_PLT_UD", Quantity: 1, CSS: "2027.13", Expiry: "permanent"},
		{Feature: "XDT_PLT_UD", Quantity: 1, CSS: "2027.0101", Expiry: "someday"},
		{Feature: "XDT_PLT_UD", Quantity: 1, CSS: "2027.0101", Expiry: "permanent", VendorString: `a"b`}} {
		if _, err := st.addEntitlement("LA-1234", "", bad); err == nil {
			t.Errorf("entitlement %+v accepted", bad)
		}
	}
	if _, err := st.allocate("LA-1234", "1", "host-a", 11, now); err == nil {
		t.Fatal("11 of 10 allocated")
	}
	a1, err := st.allocate("LA-1234", "1", "host-a", 4, now)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.allocate("LA-1234", "1", "host-b", 7, now); err == nil {
		t.Fatal("7 more allocated with 6 left")
	}
	a2, err := st.allocate("LA-1234", "1", "host-b", 6, now)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ code, ent, host string }{{"LA-9999", "1", "h"}, {"LA-1234", "2", "h"}, {"LA-1234", "1", "bad host"}, {"x", "1", "h"}} {
		if _, err := st.allocate(c.code, c.ent, c.host, 1, now); err == nil {
			t.Errorf("allocation %+v accepted", c)
		}
	}
	if _, err := st.returnAllocation("LA-1234", a2.ID, now); err != nil {
		t.Fatal(err)
	}
	if _, err := st.returnAllocation("LA-1234", a2.ID, now); err == nil {
		t.Fatal("returned twice")
	}
	if avail, _ := st.available("LA-1234", st.Codes["LA-1234"].Entitlements[0]); avail != 6 {
		t.Fatalf("available after the return: %d, want 6", avail)
	}
	if _, err := st.licenseFile(a2.ID, nil, now); err == nil {
		t.Fatal("a returned allocation's file issued")
	}
	// Renewals: none until the CSS date moves; then only for host-a's line.
	lines := []installedLine{{SN: a1.ID, Feature: "XDT_PLT_UD", CSS: "2027.0101"}, {SN: "OTHER-SN", Feature: "XDT_PLT_UD", CSS: "2020.0101"}}
	if offers, err := st.renewals("host-a", lines); err != nil || len(offers) != 0 {
		t.Fatalf("offers before a renewal: %+v %v", offers, err)
	}
	if _, err := st.renew("LA-1234", "1", "2026.0101"); err == nil {
		t.Fatal("a renewal moved the CSS date back")
	}
	if _, err := st.renew("LA-1234", "1", "2028.0101"); err != nil {
		t.Fatal(err)
	}
	offers, err := st.renewals("host-a", lines)
	if err != nil || len(offers) != 1 || offers[0].SN != a1.ID || offers[0].CSS != "2028.0101" || offers[0].Quantity != 4 {
		t.Fatalf("offers after the renewal: %+v %v", offers, err)
	}
	if offers, _ := st.renewals("host-b", lines); len(offers) != 0 {
		t.Fatalf("another host is offered host-a's renewal: %+v", offers)
	}
	pub, priv, _ := license.GenerateKey()
	text, err := st.licenseFile(a1.ID, priv, now)
	if err != nil {
		t.Fatal(err)
	}
	f, err := license.Parse("x.lic", strings.NewReader(text))
	if err != nil || len(f.Lines) != 1 {
		t.Fatalf("issued file: %v %+v", err, f)
	}
	l := f.Lines[0]
	if l.SN != a1.ID || l.Count != 4 || l.CSS.String() != "2028.0101" || l.Notice != "Example Inc" {
		t.Fatalf("issued line: %+v", l)
	}
	if err := license.VerifyLine([]ed25519.PublicKey{pub}, l); err != nil {
		t.Fatalf("issued line does not verify: %v", err)
	}
}

// The HTTP API validates what it is sent and answers with the documented shapes.
func TestFulfilmentAPI(t *testing.T) {
	dir := t.TempDir()
	_, priv, _ := license.GenerateKey()
	store := &storeFile{path: filepath.Join(dir, "store.json")}
	if err := store.update(func(st *fulfilStore) (bool, error) {
		_, err := st.addEntitlement("LA-0001", "", entitlement{Feature: "XDT_PLT_CCS", Quantity: 5, CSS: "2027.0101", Expiry: "permanent", Overdraft: -1})
		return err == nil, err
	}); err != nil {
		t.Fatal(err)
	}
	f := &fulfilment{store: store, priv: priv, now: time.Now, log: zap.NewNop()}
	srv := httptest.NewServer(f.handler())
	defer srv.Close()
	do := func(method, path, body string) (int, map[string]any) {
		req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var m map[string]any
		var buf bytes.Buffer
		_, _ = buf.ReadFrom(resp.Body)
		_ = json.Unmarshal(buf.Bytes(), &m)
		return resp.StatusCode, m
	}
	if code, m := do("GET", "/v1/entitlements/LA-0001", ""); code != 200 || len(m["entitlements"].([]any)) != 1 {
		t.Fatalf("entitlements: %d %v", code, m)
	}
	for _, c := range []struct {
		method, path, body string
		status             int
	}{
		{"GET", "/v1/entitlements/nope!", "", 400},
		{"GET", "/v1/entitlements/LA-0002", "", 404},
		{"POST", "/v1/entitlements/LA-0001/allocations", `{"entitlement":"1","host":"h","quantity":6}`, 409},
		{"POST", "/v1/entitlements/LA-0001/allocations", `{"entitlement":"1","host":"h","quantity":0}`, 400},
		{"POST", "/v1/entitlements/LA-0001/allocations", `{"entitlement":"1","host":"h","quantity":1,"extra":1}`, 400},
		{"POST", "/v1/entitlements/LA-0001/allocations", `{"entitlement":"1","host":"h","quantity":1}{}`, 400},
		{"POST", "/v1/entitlements/LA-0001/allocations", `{"entitlement":"1","host":"h","quantity":1,"pad":"` + strings.Repeat("x", maxRequestBody) + `"}`, 413},
		{"GET", "/v1/allocations/zzzz/license", "", 400},
		{"GET", "/v1/allocations/0123456789abcdef/license", "", 404},
		{"POST", "/v1/renewals", `{"host":"h","installed":[{"sn":"x","feature":"F","css":"bad"}]}`, 400},
	} {
		if code, m := do(c.method, c.path, c.body); code != c.status || m["error"] == "" {
			t.Errorf("%s %s: %d %v, want %d with an error", c.method, c.path, code, m, c.status)
		}
	}
	code, m := do("POST", "/v1/entitlements/LA-0001/allocations", `{"entitlement":"1","host":"h","quantity":5}`)
	if code != 201 {
		t.Fatalf("allocate: %d %v", code, m)
	}
	id := m["id"].(string)
	if code, _ := do("GET", "/v1/allocations/"+id+"/license", ""); code != 200 {
		t.Fatalf("download: %d", code)
	}
	if code, m := do("DELETE", "/v1/entitlements/LA-0001/allocations/"+id, ""); code != 200 || m["returned"] == nil {
		t.Fatalf("return: %d %v", code, m)
	}
	if code, _ := do("GET", "/v1/allocations/"+id+"/license", ""); code != 410 {
		t.Fatalf("download of a returned allocation: %d, want 410", code)
	}
}

// FuzzFulfilmentAPI sends the service arbitrary paths and bodies: it never answers 500 and
// its store stays readable.
func FuzzFulfilmentAPI(f *testing.F) {
	f.Add("POST", "/v1/entitlements/LA-0001/allocations", `{"entitlement":"1","host":"h","quantity":2}`)
	f.Add("POST", "/v1/renewals", `{"host":"h","installed":[{"sn":"0123456789abcdef","feature":"XDT_PLT_CCS","css":"2026.0101"}]}`)
	f.Add("DELETE", "/v1/entitlements/LA-0001/allocations/0123456789abcdef", "")
	f.Add("GET", "/v1/allocations/0123456789abcdef/license", "")
	f.Add("GET", "/v1/entitlements/%00", "")
	dir := f.TempDir()
	_, priv, _ := license.GenerateKey()
	store := &storeFile{path: filepath.Join(dir, "store.json")}
	if err := store.update(func(st *fulfilStore) (bool, error) {
		_, err := st.addEntitlement("LA-0001", "", entitlement{Feature: "XDT_PLT_CCS", Quantity: 5, CSS: "2027.0101", Expiry: "permanent", Overdraft: -1})
		return err == nil, err
	}); err != nil {
		f.Fatal(err)
	}
	h := (&fulfilment{store: store, priv: priv, now: time.Now, log: zap.NewNop()}).handler()
	f.Fuzz(func(t *testing.T, method, path, body string) {
		if len(path) == 0 || path[0] != '/' || strings.ContainsAny(path, " \r\n\t") {
			return
		}
		req, err := http.NewRequest(method, "http://fulfil"+path, strings.NewReader(body))
		if err != nil {
			return
		}
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("%s %s %q: %d %s", method, path, body, rec.Code, rec.Body.String())
		}
		if err := store.read(func(*fulfilStore) error { return nil }); err != nil {
			t.Fatalf("store unreadable after %s %s: %v", method, path, err)
		}
	})
}
