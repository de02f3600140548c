package http

import (
	"bytes"
	_ "embed"
	"fmt"
	nethttp "net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/licd/licd/actors/daemon"
	"github.com/licd/licd/wire"
)

//go:embed openapi.json
var openapiDoc []byte

func (a *api) healthz(w nethttp.ResponseWriter, r *nethttp.Request, _ *caller) {
	writeJSON(w, nethttp.StatusOK, map[string]string{"status": "alive"})
}

// readyz: the daemon restored its state and serves its ports (it is started before the API)
// and neither it nor the API is shutting down.
func (a *api) readyz(w nethttp.ResponseWriter, r *nethttp.Request, _ *caller) {
	select {
	case <-a.d.Done():
		writeProblem(w, nethttp.StatusServiceUnavailable, CodeUnavailable, "the license server is shutting down", nil)
		return
	default:
	}
	if !a.s.ready.Load() {
		writeProblem(w, nethttp.StatusServiceUnavailable, CodeUnavailable, "the API is not serving yet or is shutting down", nil)
		return
	}
	writeJSON(w, nethttp.StatusOK, map[string]string{"status": "ready"})
}

func (a *api) openapi(w nethttp.ResponseWriter, r *nethttp.Request, _ *caller) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-cache")
	_, _ = w.Write(openapiDoc)
}

// List is a page of a longer list.
type List[T any] struct {
	Items  []T `json:"items"`
	Total  int `json:"total"`
	Offset int `json:"offset"`
	Limit  int `json:"limit"`
}

const (
	defaultLimit = 100
	maxLimit     = 1000
)

// page reads offset and limit (default 100, at most 1000).
func page(w nethttp.ResponseWriter, r *nethttp.Request) (daemon.Page, bool) {
	p := daemon.Page{Limit: defaultLimit}
	for _, q := range []struct {
		name string
		dst  *int
		max  int
	}{{"offset", &p.Offset, 1 << 30}, {"limit", &p.Limit, maxLimit}} {
		v := r.URL.Query().Get(q.name)
		if v == "" {
			continue
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > q.max || (q.name == "limit" && n == 0) {
			writeProblem(w, nethttp.StatusBadRequest, CodeBadRequest, fmt.Sprintf("%s=%q: give a whole number from %d to %d", q.name, v, map[bool]int{true: 1}[q.name == "limit"], q.max), nil)
			return p, false
		}
		*q.dst = n
	}
	return p, true
}

func oneOf(w nethttp.ResponseWriter, r *nethttp.Request, name string, values ...string) (string, bool) {
	v := r.URL.Query().Get(name)
	for _, ok := range values {
		if v == ok {
			return v, true
		}
	}
	writeProblem(w, nethttp.StatusBadRequest, CodeBadRequest, fmt.Sprintf("%s=%q: use one of %q", name, v, values), nil)
	return "", false
}

func (a *api) server(w nethttp.ResponseWriter, r *nethttp.Request, _ *caller) {
	info, err := a.d.Info()
	if err != nil {
		writeError(a.log, w, r, err)
		return
	}
	writeJSON(w, nethttp.StatusOK, info)
}

// clusterView is GET /api/v1/cluster: "single" with no group, else the group as the
// leader (the only node that serves the API) sees it.
type clusterView struct {
	Mode string `json:"mode"` // single or cluster
	*wire.ClusterStatus
}

func (a *api) cluster(w nethttp.ResponseWriter, _ *nethttp.Request, _ *caller) {
	v := clusterView{Mode: "single", ClusterStatus: a.d.ClusterStatus()}
	if v.ClusterStatus != nil {
		v.Mode = "cluster"
	}
	writeJSON(w, nethttp.StatusOK, v)
}

func (a *api) reread(w nethttp.ResponseWriter, r *nethttp.Request, _ *caller) {
	rep, err := a.d.Reload()
	if err != nil {
		writeError(a.log, w, r, err)
		return
	}
	writeJSON(w, nethttp.StatusOK, rep)
}

func (a *api) inventory(w nethttp.ResponseWriter, r *nethttp.Request, _ *caller) {
	inv, err := a.d.Inventory()
	if err != nil {
		writeError(a.log, w, r, err)
		return
	}
	writeJSON(w, nethttp.StatusOK, map[string]any{"products": inv})
}

func (a *api) checkouts(w nethttp.ResponseWriter, r *nethttp.Request, _ *caller) {
	p, ok := page(w, r)
	if !ok {
		return
	}
	items, total, err := a.d.Checkouts(r.URL.Query().Get("feature"), r.URL.Query().Get("match"), p)
	if err != nil {
		writeError(a.log, w, r, err)
		return
	}
	writeJSON(w, nethttp.StatusOK, List[daemon.Checkout]{Items: items, Total: total, Offset: p.Offset, Limit: p.Limit})
}

func (a *api) productSessions(w nethttp.ResponseWriter, r *nethttp.Request, _ *caller) {
	p, ok := page(w, r)
	if !ok {
		return
	}
	state, ok := oneOf(w, r, "state", "", "connected", "lost")
	if !ok {
		return
	}
	items, total, err := a.d.ProductSessions(state, r.URL.Query().Get("match"), p)
	if err != nil {
		writeError(a.log, w, r, err)
		return
	}
	writeJSON(w, nethttp.StatusOK, map[string]any{"items": items, "total": total, "offset": p.Offset, "limit": p.Limit})
}

func (a *api) assignments(w nethttp.ResponseWriter, r *nethttp.Request, _ *caller) {
	p, ok := page(w, r)
	if !ok {
		return
	}
	kind, ok := oneOf(w, r, "kind", "", "user", "device")
	if !ok {
		return
	}
	items, total, err := a.d.Assignments(r.URL.Query().Get("feature"), kind, r.URL.Query().Get("match"), p)
	if err != nil {
		writeError(a.log, w, r, err)
		return
	}
	writeJSON(w, nethttp.StatusOK, List[daemon.Assignment]{Items: items, Total: total, Offset: p.Offset, Limit: p.Limit})
}

// releaseAssignment is udadmin -delete: the daemon applies the manual's limits on releases.
func (a *api) releaseAssignment(w nethttp.ResponseWriter, r *nethttp.Request, _ *caller) {
	req := daemon.UDAdminRequest{Op: "delete", Feature: chi.URLParam(r, "feature")}
	switch kind, name := chi.URLParam(r, "kind"), chi.URLParam(r, "name"); kind {
	case "user":
		req.User = name
	case "device":
		req.Device = name
	default:
		writeProblem(w, nethttp.StatusBadRequest, CodeBadRequest, fmt.Sprintf("kind %q: use user or device", kind), nil)
		return
	}
	res, err := a.d.UDAdmin(req)
	if err != nil {
		writeError(a.log, w, r, err)
		return
	}
	writeJSON(w, nethttp.StatusOK, map[string]any{"released": res.Released})
}

func (a *api) licenseFiles(w nethttp.ResponseWriter, r *nethttp.Request, _ *caller) {
	files, err := a.d.LicenseFiles()
	if err != nil {
		writeError(a.log, w, r, err)
		return
	}
	writeJSON(w, nethttp.StatusOK, map[string]any{"files": files})
}

// uploadLicenseFile installs an uploaded license file ("Install licenses"): it is checked
// with the installed files and the trusted keys before anything is written.
func (a *api) uploadLicenseFile(w nethttp.ResponseWriter, r *nethttp.Request, _ *caller) {
	up, err := decodeUpload(r.Header.Get("Content-Type"), r.Body)
	if err != nil {
		uploadProblem(w, r, err)
		return
	}
	noteAudit(r, up.Name, "")
	res, err := a.d.InstallLicenseFile(up.Name, up.Content, up.Replace)
	if err != nil {
		writeError(a.log, w, r, err)
		return
	}
	status := nethttp.StatusCreated
	if res.Replaced {
		status = nethttp.StatusOK
	}
	noteAudit(r, "", summarise(res))
	writeJSON(w, status, res)
}

// previewLicenseFile tells what an upload would do, line by line, and installs nothing:
// the console shows it before "Import" ("Install licenses").
func (a *api) previewLicenseFile(w nethttp.ResponseWriter, r *nethttp.Request, _ *caller) {
	up, err := decodeUpload(r.Header.Get("Content-Type"), r.Body)
	if err != nil {
		uploadProblem(w, r, err)
		return
	}
	p, err := a.d.PreviewLicenseFile(up.Name, up.Content)
	if err != nil {
		writeError(a.log, w, r, err)
		return
	}
	writeJSON(w, nethttp.StatusOK, p)
}

// summarise says in one line what an upload changed, for the audit log.
func summarise(res *daemon.UploadResult) string {
	counts := map[string]int{}
	for _, l := range res.Lines {
		counts[l.Verdict]++
	}
	var parts []string
	for _, v := range sortedNames(counts) {
		parts = append(parts, fmt.Sprintf("%d %s", counts[v], v))
	}
	s := "installed"
	if res.Replaced {
		s = "replaced"
	}
	return s + ": " + strings.Join(parts, ", ")
}

func (a *api) deleteLicenseFile(w nethttp.ResponseWriter, r *nethttp.Request, _ *caller) {
	rep, err := a.d.DeleteLicenseFile(chi.URLParam(r, "name"))
	if err != nil {
		writeError(a.log, w, r, err)
		return
	}
	writeJSON(w, nethttp.StatusOK, map[string]any{"deleted": chi.URLParam(r, "name"), "reread": rep})
}

func (a *api) optionsFile(w nethttp.ResponseWriter, r *nethttp.Request, _ *caller) {
	of, err := a.d.ReadOptionsFile()
	if err != nil {
		writeError(a.log, w, r, err)
		return
	}
	writeJSON(w, nethttp.StatusOK, of)
}

func (a *api) validateOptions(w nethttp.ResponseWriter, r *nethttp.Request, _ *caller) {
	text, ok := readBody(w, r, "text/plain", maxFileBody)
	if !ok {
		return
	}
	of, err := a.d.ValidateOptions(text)
	if err != nil {
		writeError(a.log, w, r, err)
		return
	}
	writeJSON(w, nethttp.StatusOK, map[string]any{"valid": len(of.Errors) == 0, "options": of})
}

func (a *api) replaceOptions(w nethttp.ResponseWriter, r *nethttp.Request, _ *caller) {
	text, ok := readBody(w, r, "text/plain", maxFileBody)
	if !ok {
		return
	}
	of, rep, err := a.d.ReplaceOptionsFile(text)
	if err != nil {
		writeError(a.log, w, r, err)
		return
	}
	noteAudit(r, of.Path, fmt.Sprintf("%d bytes, %d warnings", len(text), len(of.Warnings)))
	writeJSON(w, nethttp.StatusOK, map[string]any{"options": of, "reread": rep})
}

func (a *api) settings(w nethttp.ResponseWriter, r *nethttp.Request, _ *caller) {
	s, err := a.d.Settings()
	if err != nil {
		writeError(a.log, w, r, err)
		return
	}
	writeJSON(w, nethttp.StatusOK, map[string]any{"settings": s})
}

// putSettings changes the settings named in the body, all or none.
func (a *api) putSettings(w nethttp.ResponseWriter, r *nethttp.Request, c *caller) {
	up, ok := decodeSettings(w, r)
	if !ok {
		return
	}
	names := sortedNames(up)
	noteAudit(r, strings.Join(names, ","), settingsDetail(up))
	s, err := a.d.PutSettings(up, c.Name)
	if err != nil {
		writeError(a.log, w, r, err)
		return
	}
	writeJSON(w, nethttp.StatusOK, map[string]any{"settings": s, "changed": names})
}

func settingsDetail(up daemon.SettingsUpdate) string {
	var parts []string
	for _, n := range sortedNames(up) {
		parts = append(parts, fmt.Sprintf("%s=%v", n, up[n]))
	}
	return strings.Join(parts, " ")
}

// historyArgs reads the history filters of the query string.
func historyArgs(r *nethttp.Request) daemon.HistoryArgs {
	q := r.URL.Query()
	return daemon.HistoryArgs{ProductEdition: q.Get("product_edition"), Model: q.Get("model"), CSS: q.Get("css"),
		From: q.Get("from"), To: q.Get("to"), Step: q.Get("step")}
}

func (a *api) historySeries(w nethttp.ResponseWriter, r *nethttp.Request, _ *caller) {
	args := historyArgs(r)
	f, err := args.Filter()
	if err != nil {
		writeProblem(w, nethttp.StatusBadRequest, CodeBadRequest, err.Error(), nil)
		return
	}
	var step time.Duration
	if args.Step != "" {
		if step, err = time.ParseDuration(args.Step); err != nil || step < 0 {
			writeProblem(w, nethttp.StatusBadRequest, CodeBadRequest, fmt.Sprintf("step=%q: give a duration such as 1h or 24h", args.Step), nil)
			return
		}
	}
	s, err := a.d.HistorySeries(f, step)
	if err != nil {
		writeError(a.log, w, r, err)
		return
	}
	writeJSON(w, nethttp.StatusOK, s)
}

// historyCSV exports the daily CSV; it is built before anything is sent, so that a failure
// is a problem, not half a file.
func (a *api) historyCSV(w nethttp.ResponseWriter, r *nethttp.Request, _ *caller) {
	args := historyArgs(r)
	f, err := args.Filter()
	if err != nil {
		writeProblem(w, nethttp.StatusBadRequest, CodeBadRequest, err.Error(), nil)
		return
	}
	var b bytes.Buffer
	if err := a.d.ExportHistoryCSV(&b, f); err != nil {
		writeError(a.log, w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="licd-history.csv"`)
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Length", strconv.Itoa(b.Len()))
	_, _ = w.Write(b.Bytes())
}

// Retention is the body and answer of /api/v1/history/retention.
type Retention struct {
	Retention string `json:"retention"` // a Go duration: 8760h
	Seconds   int64  `json:"seconds,omitempty"`
}

func (a *api) historyRetention(w nethttp.ResponseWriter, r *nethttp.Request, _ *caller) {
	d := a.d.HistoryRetention()
	writeJSON(w, nethttp.StatusOK, Retention{Retention: d.String(), Seconds: int64(d / time.Second)})
}

func (a *api) putHistoryRetention(w nethttp.ResponseWriter, r *nethttp.Request, _ *caller) {
	var req Retention
	if !decodeJSON(w, r, &req) {
		return
	}
	d, err := time.ParseDuration(req.Retention)
	if err != nil {
		writeProblem(w, nethttp.StatusBadRequest, CodeBadRequest, fmt.Sprintf("retention %q: give a duration such as 8760h (a year) or 720h", req.Retention), nil)
		return
	}
	noteAudit(r, "", d.String())
	if err := a.d.SetHistoryRetention(d); err != nil {
		writeProblem(w, nethttp.StatusBadRequest, CodeBadRequest, err.Error(), nil)
		return
	}
	a.historyRetention(w, r, nil)
}

func (a *api) alerts(w nethttp.ResponseWriter, r *nethttp.Request, _ *caller) {
	al, err := a.d.Alerts()
	if err != nil {
		writeError(a.log, w, r, err)
		return
	}
	writeJSON(w, nethttp.StatusOK, map[string]any{"alerts": al})
}

func (a *api) audit(w nethttp.ResponseWriter, r *nethttp.Request, _ *caller) {
	limit := defaultLimit
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxLimit {
			writeProblem(w, nethttp.StatusBadRequest, CodeBadRequest, fmt.Sprintf("limit=%q: give a whole number from 1 to %d", v, maxLimit), nil)
			return
		}
		limit = n
	}
	var since time.Time
	if v := r.URL.Query().Get("since"); v != "" {
		var err error
		if since, err = time.Parse(time.RFC3339, v); err != nil {
			if since, err = time.Parse("2006-01-02", v); err != nil {
				writeProblem(w, nethttp.StatusBadRequest, CodeBadRequest, fmt.Sprintf("since=%q: give YYYY-MM-DD or an RFC 3339 time", v), nil)
				return
			}
		}
	}
	entries, err := a.d.AuditLog(since, limit)
	if err != nil {
		writeError(a.log, w, r, err)
		return
	}
	writeJSON(w, nethttp.StatusOK, map[string]any{"entries": entries})
}

func (a *api) accounts(w nethttp.ResponseWriter, r *nethttp.Request, _ *caller) {
	l, err := a.d.ListAccounts()
	if err != nil {
		writeError(a.log, w, r, err)
		return
	}
	writeJSON(w, nethttp.StatusOK, l)
}

// NewAccount is the body of POST /api/v1/accounts.
type NewAccount struct {
	Name     string `json:"name"`
	Role     string `json:"role"`
	Password string `json:"password"`
}

func (a *api) addAccount(w nethttp.ResponseWriter, r *nethttp.Request, _ *caller) {
	var req NewAccount
	if !decodeJSON(w, r, &req) {
		return
	}
	noteAudit(r, req.Name, "role "+req.Role)
	info, err := a.d.AddAccount(daemon.AccountArgs{Name: req.Name, Role: req.Role, Password: req.Password})
	if err != nil {
		writeError(a.log, w, r, err)
		return
	}
	writeJSON(w, nethttp.StatusCreated, info)
}

// AccountChange is the body of PATCH /api/v1/accounts/{name}: a new role, and/or a new
// password the account must change at its next login.
type AccountChange struct {
	Role     string `json:"role,omitempty"`
	Password string `json:"password,omitempty"`
}

func (a *api) changeAccount(w nethttp.ResponseWriter, r *nethttp.Request, _ *caller) {
	var req AccountChange
	if !decodeJSON(w, r, &req) {
		return
	}
	name := chi.URLParam(r, "name")
	if req.Role == "" && req.Password == "" {
		writeProblem(w, nethttp.StatusBadRequest, CodeBadRequest, "give a new role and/or password: {\"role\": \"admin\"|\"user\", \"password\": ...}", nil)
		return
	}
	var detail []string
	if req.Role != "" {
		detail = append(detail, "role "+req.Role)
	}
	if req.Password != "" {
		detail = append(detail, "password reset")
	}
	noteAudit(r, name, strings.Join(detail, ", "))
	if req.Role != "" {
		if _, err := a.d.SetAccountRole(daemon.AccountArgs{Name: name, Role: req.Role}); err != nil {
			writeError(a.log, w, r, err)
			return
		}
	}
	if req.Password != "" {
		if err := a.d.ChangePassword(name, "", req.Password, true); err != nil {
			writeError(a.log, w, r, err)
			return
		}
		a.sessions.removeAccount(name, "")
	}
	p, err := a.d.PrincipalOf(name)
	if err != nil || p == nil {
		writeError(a.log, w, r, fmt.Errorf("read account %q after its change: %w", name, err))
		return
	}
	writeJSON(w, nethttp.StatusOK, p)
}

func (a *api) removeAccount(w nethttp.ResponseWriter, r *nethttp.Request, _ *caller) {
	res, err := a.d.RemoveAccount(chi.URLParam(r, "name"))
	if err != nil {
		writeError(a.log, w, r, err)
		return
	}
	a.sessions.removeAccount(res.Removed, "")
	writeJSON(w, nethttp.StatusOK, res)
}

func (a *api) groups(w nethttp.ResponseWriter, r *nethttp.Request, _ *caller) {
	g, err := a.d.ListGroups()
	if err != nil {
		writeError(a.log, w, r, err)
		return
	}
	writeJSON(w, nethttp.StatusOK, map[string]any{"groups": g})
}

// GroupBody is the body of PUT /api/v1/groups/{name}.
type GroupBody struct {
	Role    string   `json:"role"`
	Members []string `json:"members"`
}

func (a *api) putGroup(w nethttp.ResponseWriter, r *nethttp.Request, _ *caller) {
	var req GroupBody
	if !decodeJSON(w, r, &req) {
		return
	}
	name := chi.URLParam(r, "name")
	noteAudit(r, name, "role "+req.Role+", members "+strings.Join(req.Members, ","))
	g, err := a.d.PutGroup(daemon.Group{Name: name, Role: req.Role, Members: req.Members})
	if err != nil {
		writeError(a.log, w, r, err)
		return
	}
	writeJSON(w, nethttp.StatusOK, g)
}

func (a *api) removeGroup(w nethttp.ResponseWriter, r *nethttp.Request, _ *caller) {
	if err := a.d.RemoveGroup(chi.URLParam(r, "name")); err != nil {
		writeError(a.log, w, r, err)
		return
	}
	w.WriteHeader(nethttp.StatusNoContent)
}

func (a *api) tokens(w nethttp.ResponseWriter, r *nethttp.Request, _ *caller) {
	t, err := a.d.ListTokens()
	if err != nil {
		writeError(a.log, w, r, err)
		return
	}
	writeJSON(w, nethttp.StatusOK, map[string]any{"tokens": t})
}

// NewTokenRequest is the body of POST /api/v1/tokens.
type NewTokenRequest struct {
	Name  string `json:"name"`
	Scope string `json:"scope"` // read or admin
}

func (a *api) createToken(w nethttp.ResponseWriter, r *nethttp.Request, c *caller) {
	var req NewTokenRequest
	if !decodeJSON(w, r, &req) {
		return
	}
	noteAudit(r, req.Name, "scope "+req.Scope)
	t, err := a.d.CreateToken(req.Name, req.Scope, c.Name)
	if err != nil {
		writeError(a.log, w, r, err)
		return
	}
	noteAudit(r, t.ID+" "+t.Name, "")
	writeJSON(w, nethttp.StatusCreated, t)
}

func (a *api) revokeToken(w nethttp.ResponseWriter, r *nethttp.Request, _ *caller) {
	if err := a.d.RevokeToken(chi.URLParam(r, "id")); err != nil {
		writeError(a.log, w, r, err)
		return
	}
	w.WriteHeader(nethttp.StatusNoContent)
}
