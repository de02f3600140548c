package http

import (
	_ "embed"
	"encoding/json"
	"fmt"
)

// lifecycleRoutes are the routes of what happens to licenses over time and what the server
// reports about itself: install by license access code and renewals ("Install licenses",
// "Update licenses"), the usage data programs ("Citrix Licensing data collection
// programs"), the support bundle ("Support Bundle") and the Prometheus metrics. They are
// part of the one route table (init appends them), so the router, the authorisation, the
// audit, the auth matrix and the OpenAPI test cover them; openapi_lifecycle.json documents
// them and is merged into the served document.
var lifecycleRoutes = []Route{
	{Method: "GET", Pattern: "/metrics", Role: User, Summary: "Prometheus metrics (scrape with a read token)", handle: (*api).metrics},

	{Method: "GET", Pattern: "/api/v1/fulfilment/entitlements", Role: Admin, Summary: "The entitlements of a license access code (?code=), from the fulfilment service", handle: (*api).entitlements},
	{Method: "GET", Pattern: "/api/v1/fulfilment/installs", Role: User, Summary: "License files installed by license access code", handle: (*api).codeInstalls},
	{Method: "POST", Pattern: "/api/v1/fulfilment/installs", Role: Admin, Action: "fulfilment.install", Summary: "Allocate licenses of an access code to this server and install the file (verified like an upload)", handle: (*api).installByCode},
	{Method: "POST", Pattern: "/api/v1/fulfilment/installs/{allocation}/return", Example: "/api/v1/fulfilment/installs/no-such-allocation/return", Role: Admin, Action: "fulfilment.return", Summary: "Return an allocation: its license file is removed and the licenses go back to the entitlement", handle: (*api).returnAllocation},
	{Method: "GET", Pattern: "/api/v1/renewals", Role: User, Summary: "The renewal check: its action, last and next run, renewals available and installed in the last 30 days", handle: (*api).renewals},
	{Method: "POST", Pattern: "/api/v1/renewals/check", Role: Admin, Action: "renewal.check", Summary: "Check for Customer Success Services renewals now", handle: (*api).checkRenewals},
	{Method: "POST", Pattern: "/api/v1/renewals/{sn}/install", Example: "/api/v1/renewals/NO-SUCH-SN/install", Role: Admin, Action: "renewal.install", Summary: "Download and install an available renewal", handle: (*api).installRenewal},

	{Method: "GET", Pattern: "/api/v1/telemetry", Role: User, Summary: "The data-sharing choice, the programs that run, what leaves the machine, the last upload", handle: (*api).telemetryStatus},
	{Method: "GET", Pattern: "/api/v1/telemetry/bundles", Role: Admin, Summary: "The usage data bundles written, newest first", handle: (*api).telemetryBundles},
	{Method: "GET", Pattern: "/api/v1/telemetry/bundles/{name}", Example: "/api/v1/telemetry/bundles/upload_usage_none.zip", Role: Admin, Summary: "A bundle's manifest and reports, as they would be sent", handle: (*api).telemetryBundle},
	{Method: "POST", Pattern: "/api/v1/telemetry/upload", Role: Admin, Action: "telemetry.upload", Summary: "Write fresh bundles and upload them now (at most every five minutes)", handle: (*api).telemetryUpload},

	{Method: "POST", Pattern: "/api/v1/support-bundles", Role: Admin, Action: "support-bundle.create", Summary: "Make a support bundle (never a secret in it)", handle: (*api).createSupportBundle},
	{Method: "GET", Pattern: "/api/v1/support-bundles/{name}", Example: "/api/v1/support-bundles/supportbundle_none.zip", Role: Admin, Summary: "Download a support bundle made by POST /api/v1/support-bundles", handle: (*api).downloadSupportBundle},
}

//go:embed openapi_lifecycle.json
var lifecycleDoc []byte

func init() {
	routes = append(routes, lifecycleRoutes...)
	merged, err := mergeOpenAPIPaths(openapiDoc, lifecycleDoc)
	if err != nil {
		panic(fmt.Sprintf("http: openapi_lifecycle.json: %v", err)) // a build defect, caught by every test
	}
	openapiDoc = merged
}

// mergeOpenAPIPaths adds the paths and component schemas of more to doc.
func mergeOpenAPIPaths(doc, more []byte) ([]byte, error) {
	var d, m map[string]json.RawMessage
	if err := json.Unmarshal(doc, &d); err != nil {
		return nil, err
	}
	if err := json.Unmarshal(more, &m); err != nil {
		return nil, err
	}
	for _, key := range []string{"paths"} {
		var dst, src map[string]json.RawMessage
		if err := json.Unmarshal(d[key], &dst); err != nil {
			return nil, err
		}
		if err := json.Unmarshal(m[key], &src); err != nil {
			return nil, err
		}
		for k, v := range src {
			if _, dup := dst[k]; dup {
				return nil, fmt.Errorf("path %s is documented twice", k)
			}
			dst[k] = v
		}
		b, err := json.Marshal(dst)
		if err != nil {
			return nil, err
		}
		d[key] = b
	}
	return json.MarshalIndent(d, "", "  ")
}
