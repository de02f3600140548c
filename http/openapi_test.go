package http

import (
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestOpenAPIDocumentDescribesEveryRoute: the embedded OpenAPI 3.1 document is valid in
// structure and describes exactly the route table: a route missing from the document (or
// a documented operation that is not served) fails, as does a role or security that
// differs from the table's.
func TestOpenAPIDocumentDescribesEveryRoute(t *testing.T) {
	var doc map[string]any
	if err := json.Unmarshal(openapiDoc, &doc); err != nil {
		t.Fatalf("openapi.json is not JSON: %v", err)
	}
	if doc["openapi"] != "3.1.0" {
		t.Errorf("openapi = %v, want 3.1.0", doc["openapi"])
	}
	info, _ := doc["info"].(map[string]any)
	if info == nil || info["title"] == "" || info["version"] == "" {
		t.Errorf("info needs a title and a version: %v", info)
	}
	paths, _ := doc["paths"].(map[string]any)
	served := map[string]bool{}
	for _, rt := range Routes() {
		key := strings.ToLower(rt.Method) + " " + rt.Pattern
		served[key] = true
		item, _ := paths[rt.Pattern].(map[string]any)
		op, _ := item[strings.ToLower(rt.Method)].(map[string]any)
		if op == nil {
			t.Errorf("route %s %s is missing from openapi.json", rt.Method, rt.Pattern)
			continue
		}
		if op["x-licd-role"] != rt.Role.String() {
			t.Errorf("%s: x-licd-role %v, the route table says %s", key, op["x-licd-role"], rt.Role)
		}
		sec, _ := op["security"].([]any)
		if (rt.Role == Anonymous) != (len(sec) == 0) {
			t.Errorf("%s: security %v does not match role %s", key, sec, rt.Role)
		}
		resp, _ := op["responses"].(map[string]any)
		if len(resp) == 0 {
			t.Errorf("%s has no responses", key)
		}
		if rt.Role != Anonymous && (resp["401"] == nil || resp["403"] == nil) {
			t.Errorf("%s: an authenticated route documents 401 and 403", key)
		}
		if op["operationId"] == nil || op["summary"] == nil {
			t.Errorf("%s needs an operationId and a summary", key)
		}
		// Every path parameter is declared.
		var declared []string
		params, _ := op["parameters"].([]any)
		for _, p := range params {
			pm := p.(map[string]any)
			if pm["in"] == "path" {
				declared = append(declared, pm["name"].(string))
			}
		}
		for _, m := range regexp.MustCompile(`\{(\w+)\}`).FindAllStringSubmatch(rt.Pattern, -1) {
			if !slices.Contains(declared, m[1]) {
				t.Errorf("%s: path parameter %s is not declared", key, m[1])
			}
		}
	}
	ids := map[string]bool{}
	for p, item := range paths {
		for m, op := range item.(map[string]any) {
			if !served[m+" "+p] {
				t.Errorf("openapi.json documents %s %s, which is not a route", strings.ToUpper(m), p)
			}
			id := op.(map[string]any)["operationId"].(string)
			if ids[id] {
				t.Errorf("operationId %s twice", id)
			}
			ids[id] = true
		}
	}
	// Every $ref resolves.
	comps, _ := doc["components"].(map[string]any)
	schemas, _ := comps["schemas"].(map[string]any)
	for _, m := range regexp.MustCompile(`"\$ref":\s*"#/components/schemas/([^"]+)"`).FindAllStringSubmatch(string(openapiDoc), -1) {
		if schemas[m[1]] == nil {
			t.Errorf("$ref to the undefined schema %s", m[1])
		}
	}
	if sch, _ := comps["securitySchemes"].(map[string]any); sch["session"] == nil || sch["token"] == nil {
		t.Errorf("security schemes session and token missing: %v", sch)
	}
}

// TestRouteTable: every route has a summary and a handler, no two share a method and
// pattern, every change is audited unless it changes nothing (validation), and only the
// session's own routes are open during a forced password change.
func TestRouteTable(t *testing.T) {
	seen := map[string]bool{}
	// Checks that change nothing: the options file's validation and the license file's
	// preview ("Install licenses").
	checksOnly := map[string]bool{"/api/v1/options-file/validate": true, "/api/v1/license-files/preview": true}
	for _, rt := range routes {
		key := rt.Method + " " + rt.Pattern
		if seen[key] {
			t.Errorf("%s twice", key)
		}
		seen[key] = true
		if rt.handle == nil || rt.Summary == "" {
			t.Errorf("%s needs a handler and a summary", key)
		}
		if rt.ChangesState() && rt.Action == "" && !checksOnly[rt.Pattern] {
			t.Errorf("%s changes state but has no audit action", key)
		}
		if rt.DuringPasswordChange && !strings.HasPrefix(rt.Pattern, "/api/v1/session") {
			t.Errorf("%s is open to an account that must change its password", key)
		}
		if strings.Contains(rt.Pattern, "{") && rt.Example == "" {
			t.Errorf("%s needs an example path for the tests", key)
		}
	}
}
