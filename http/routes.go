package http

import (
	nethttp "net/http"
)

// Role is what a route requires of its caller ("Administrator and User roles"): nothing, an
// authenticated account or token of any role (the manual's User reads), or an
// Administrator (every change).
type Role int

const (
	Anonymous Role = iota
	User
	Admin
)

func (r Role) String() string {
	return [...]string{"anonymous", "user", "admin"}[r]
}

// Route is one entry of the API's route table. The table is data: the router, the
// authorisation, the audit, the auth-matrix test and the OpenAPI test are all made from it,
// so a route cannot escape any of them.
type Route struct {
	Method  string
	Pattern string
	Role    Role
	Summary string
	// Action names the change in the audit log ("license-file.upload"); empty for reads.
	Action string
	// DuringPasswordChange lets an account that must change its password call the route
	// (only the session's own routes).
	DuringPasswordChange bool
	// SessionOnly routes act on the caller's console session: an API token is refused.
	SessionOnly bool
	// Example is the pattern with its parameters filled in, for tests.
	Example string
	handle  handlerFunc
}

// handlerFunc serves one route for an authorised caller (nil on anonymous routes).
type handlerFunc func(a *api, w nethttp.ResponseWriter, r *nethttp.Request, p *caller)

// ChangesState tells whether the route changes something (a method other than GET/HEAD):
// such routes need the CSRF token with a session cookie and are audited.
func (rt Route) ChangesState() bool {
	return rt.Method != nethttp.MethodGet && rt.Method != nethttp.MethodHead
}

// routes is the API ("Web Services for Licensing", the server side of the "Citrix Licensing
// Manager"). Paths under /api/v1 are versioned; /healthz and /readyz are the probes.
// The Prometheus /metrics endpoint is mounted by package http/metrics (see Server.Mount).
var routes = []Route{
	// Probes and the description of the API.
	{Method: "GET", Pattern: "/healthz", Role: Anonymous, Summary: "Liveness: the process serves HTTP", handle: (*api).healthz},
	{Method: "GET", Pattern: "/readyz", Role: Anonymous, Summary: "Readiness: state restored and every listener up", handle: (*api).readyz},
	{Method: "GET", Pattern: "/api/v1/openapi.json", Role: Anonymous, Summary: "This API's OpenAPI 3.1 document", handle: (*api).openapi},

	// The console session ("Account").
	{Method: "POST", Pattern: "/api/v1/session", Role: Anonymous, Action: "session.login", Summary: "Log in with an account name and password; sets the session cookie and returns the CSRF token", handle: (*api).login},
	{Method: "GET", Pattern: "/api/v1/session", Role: User, DuringPasswordChange: true, Summary: "Who the caller is, its role, and the session's CSRF token", handle: (*api).whoami},
	{Method: "DELETE", Pattern: "/api/v1/session", Role: User, DuringPasswordChange: true, SessionOnly: true, Action: "session.logout", Summary: "Log out: the session ends", handle: (*api).logout},
	{Method: "POST", Pattern: "/api/v1/session/password", Role: User, DuringPasswordChange: true, SessionOnly: true, Action: "account.password", Summary: "Change the caller's own password (required after the first login)", handle: (*api).changePassword},

	// Server ("System information"), inventory ("Dashboard"), usage ("Usage and Statistics").
	{Method: "GET", Pattern: "/api/v1/server", Role: User, Summary: "Version, host name, addresses, ports, uptime, install id, data directory health", handle: (*api).server},
	{Method: "GET", Pattern: "/api/v1/cluster", Role: User, Summary: "The replicated group (doc/HA.md): members, leader, term, commit and applied index, each member's lag; mode single on a single server", handle: (*api).cluster},
	{Method: "POST", Pattern: "/api/v1/server/reread", Role: Admin, Action: "server.reread", Summary: "Reread the license files and the options file (lmreread); reloads the API's certificate", handle: (*api).reread},
	{Method: "GET", Pattern: "/api/v1/inventory", Role: User, Summary: "Per product-edition and model: in use, installed, available, with the license pools", handle: (*api).inventory},
	{Method: "GET", Pattern: "/api/v1/checkouts", Role: User, Summary: "The checkouts of a feature (or all), paged and filtered", handle: (*api).checkouts},
	{Method: "GET", Pattern: "/api/v1/product-sessions", Role: User, Summary: "The product servers' sessions (connected or lost), paged and filtered", handle: (*api).productSessions},
	{Method: "GET", Pattern: "/api/v1/assignments", Role: User, Summary: "User and device assignments of user/device features, paged and filtered", handle: (*api).assignments},
	{Method: "DELETE", Pattern: "/api/v1/assignments/{feature}/{kind}/{name}", Example: "/api/v1/assignments/NO_SUCH_FEATURE/user/nobody", Role: Admin, Action: "assignment.release", Summary: "Release a user's or device's license (udadmin -delete)", handle: (*api).releaseAssignment},

	// License files ("Install licenses", "Delete license files") and the options file.
	{Method: "GET", Pattern: "/api/v1/license-files", Role: User, Summary: "The license files with the verdict of every line", handle: (*api).licenseFiles},
	{Method: "POST", Pattern: "/api/v1/license-files", Role: Admin, Action: "license-file.upload", Summary: "Upload a license file (multipart field \"file\"; \"replace\"=true to replace one of the same name)", handle: (*api).uploadLicenseFile},
	{Method: "POST", Pattern: "/api/v1/license-files/preview", Role: Admin, Summary: "Check a license file (multipart, as the upload) and tell what installing it would do, without installing it", handle: (*api).previewLicenseFile},
	{Method: "DELETE", Pattern: "/api/v1/license-files/{name}", Example: "/api/v1/license-files/no-such-file.lic", Role: Admin, Action: "license-file.delete", Summary: "Delete a license file without stopping the server", handle: (*api).deleteLicenseFile},
	{Method: "GET", Pattern: "/api/v1/options-file", Role: User, Summary: "The options file and what the server makes of it", handle: (*api).optionsFile},
	{Method: "POST", Pattern: "/api/v1/options-file/validate", Role: Admin, Summary: "Check an options file (text/plain) without applying it", handle: (*api).validateOptions},
	{Method: "PUT", Pattern: "/api/v1/options-file", Role: Admin, Action: "options-file.replace", Summary: "Replace the options file (text/plain) when it has no errors, and reread", handle: (*api).replaceOptions},

	// Settings ("Server configuration").
	{Method: "GET", Pattern: "/api/v1/settings", Role: User, Summary: "Every setting with its value, where it comes from and when it applies", handle: (*api).settings},
	{Method: "PUT", Pattern: "/api/v1/settings", Role: Admin, Action: "settings.change", Summary: "Change some settings ({\"name\": value, ...}); all valid or none changed", handle: (*api).putSettings},

	// Historical use ("Historical Use", "Export historical usage data").
	{Method: "GET", Pattern: "/api/v1/history/series", Role: User, Summary: "Usage samples of the matching pools as a time series", handle: (*api).historySeries},
	{Method: "GET", Pattern: "/api/v1/history/export.csv", Role: User, Summary: "Daily CSV of the matching pools (one row per pool per day)", handle: (*api).historyCSV},
	{Method: "GET", Pattern: "/api/v1/history/retention", Role: User, Summary: "How long usage samples are kept", handle: (*api).historyRetention},
	{Method: "PUT", Pattern: "/api/v1/history/retention", Role: Admin, Action: "history.retention", Summary: "Change how long usage samples are kept (older ones are deleted at once)", handle: (*api).putHistoryRetention},

	// Alerts and the audit log.
	{Method: "GET", Pattern: "/api/v1/alerts", Role: User, Summary: "The server's alerts, most severe first", handle: (*api).alerts},
	{Method: "GET", Pattern: "/api/v1/audit", Role: Admin, Summary: "The audit log, newest first", handle: (*api).audit},

	// Accounts, groups and API tokens ("Account", "Administrator and User roles").
	{Method: "GET", Pattern: "/api/v1/accounts", Role: Admin, Summary: "The accounts", handle: (*api).accounts},
	{Method: "POST", Pattern: "/api/v1/accounts", Role: Admin, Action: "account.add", Summary: "Add an account", handle: (*api).addAccount},
	{Method: "PATCH", Pattern: "/api/v1/accounts/{name}", Example: "/api/v1/accounts/nobody", Role: Admin, Action: "account.change", Summary: "Change an account's role, or reset its password (to be changed at its next login)", handle: (*api).changeAccount},
	{Method: "DELETE", Pattern: "/api/v1/accounts/{name}", Example: "/api/v1/accounts/nobody", Role: Admin, Action: "account.remove", Summary: "Remove an account", handle: (*api).removeAccount},
	{Method: "GET", Pattern: "/api/v1/groups", Role: Admin, Summary: "The groups of accounts", handle: (*api).groups},
	{Method: "PUT", Pattern: "/api/v1/groups/{name}", Example: "/api/v1/groups/nogroup", Role: Admin, Action: "group.put", Summary: "Create or replace a group", handle: (*api).putGroup},
	{Method: "DELETE", Pattern: "/api/v1/groups/{name}", Example: "/api/v1/groups/nogroup", Role: Admin, Action: "group.remove", Summary: "Remove a group (its members stay)", handle: (*api).removeGroup},
	{Method: "GET", Pattern: "/api/v1/tokens", Role: Admin, Summary: "The API tokens (never their secrets)", handle: (*api).tokens},
	{Method: "POST", Pattern: "/api/v1/tokens", Role: Admin, Action: "token.create", Summary: "Create an API token (read or admin scope); its secret is shown once", handle: (*api).createToken},
	{Method: "DELETE", Pattern: "/api/v1/tokens/{id}", Example: "/api/v1/tokens/000000000000", Role: Admin, Action: "token.revoke", Summary: "Revoke an API token: it stops working at once", handle: (*api).revokeToken},
}

// RouteInfo is a route as the tests and documentation see it.
type RouteInfo struct {
	Method, Pattern, Example, Summary, Action string
	Role                                      Role
	DuringPasswordChange, SessionOnly         bool
}

// Routes lists the API's routes, in the table's order.
func Routes() []RouteInfo {
	out := make([]RouteInfo, 0, len(routes))
	for _, r := range routes {
		ex := r.Example
		if ex == "" {
			ex = r.Pattern
		}
		out = append(out, RouteInfo{Method: r.Method, Pattern: r.Pattern, Example: ex, Summary: r.Summary, Action: r.Action,
			Role: r.Role, DuringPasswordChange: r.DuringPasswordChange, SessionOnly: r.SessionOnly})
	}
	return out
}
