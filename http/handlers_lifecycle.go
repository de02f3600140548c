package http

import (
	"errors"
	"io"
	nethttp "net/http"

	"github.com/go-chi/chi/v5"

	"github.com/licd/licd/actors/daemon"
)

func (a *api) metrics(w nethttp.ResponseWriter, r *nethttp.Request, _ *caller) {
	a.metricsHandler.ServeHTTP(w, r)
}

func (a *api) entitlements(w nethttp.ResponseWriter, r *nethttp.Request, _ *caller) {
	code := r.URL.Query().Get("code")
	if code == "" {
		writeProblem(w, nethttp.StatusBadRequest, CodeBadRequest, "give the license access code: ?code=...", nil)
		return
	}
	a.answer(w, r, nethttp.StatusOK)(a.d.AccessCodeEntitlements(code))
}

func (a *api) codeInstalls(w nethttp.ResponseWriter, r *nethttp.Request, _ *caller) {
	ins, err := a.d.CodeInstalls()
	a.answer(w, r, nethttp.StatusOK)(map[string]any{"installs": ins}, err)
}

// CodeInstallRequest is the body of POST /api/v1/fulfilment/installs ("Use license access
// code": allocate part or all of an entitlement to this server).
type CodeInstallRequest struct {
	Code        string `json:"code"`
	Entitlement string `json:"entitlement,omitempty"` // its id or feature; may be left out when the code has one
	Quantity    int    `json:"quantity,omitempty"`    // 0: all that is left
}

func (a *api) installByCode(w nethttp.ResponseWriter, r *nethttp.Request, _ *caller) {
	var req CodeInstallRequest
	if !decodeJSON(w, r, &req) {
		return
	}
	if req.Code == "" || req.Quantity < 0 {
		writeProblem(w, nethttp.StatusBadRequest, CodeBadRequest, "give {\"code\": ..., \"entitlement\": ..., \"quantity\": N} with N 0 (all that is left) or more", nil)
		return
	}
	noteAudit(r, req.Code, req.Entitlement)
	a.answer(w, r, nethttp.StatusCreated)(a.d.InstallByAccessCode(req.Code, req.Entitlement, req.Quantity))
}

func (a *api) returnAllocation(w nethttp.ResponseWriter, r *nethttp.Request, _ *caller) {
	a.answer(w, r, nethttp.StatusOK)(a.d.ReturnAllocation(chi.URLParam(r, "allocation")))
}

func (a *api) renewals(w nethttp.ResponseWriter, r *nethttp.Request, _ *caller) {
	a.answer(w, r, nethttp.StatusOK)(a.d.Renewals())
}

func (a *api) checkRenewals(w nethttp.ResponseWriter, r *nethttp.Request, _ *caller) {
	a.answer(w, r, nethttp.StatusOK)(a.d.CheckRenewals())
}

func (a *api) installRenewal(w nethttp.ResponseWriter, r *nethttp.Request, _ *caller) {
	a.answer(w, r, nethttp.StatusOK)(a.d.InstallRenewal(chi.URLParam(r, "sn")))
}

func (a *api) telemetryStatus(w nethttp.ResponseWriter, r *nethttp.Request, _ *caller) {
	a.answer(w, r, nethttp.StatusOK)(a.d.TelemetryStatus())
}

func (a *api) telemetryBundles(w nethttp.ResponseWriter, r *nethttp.Request, _ *caller) {
	bs, err := a.d.Bundles()
	a.answer(w, r, nethttp.StatusOK)(map[string]any{"bundles": bs}, err)
}

func (a *api) telemetryBundle(w nethttp.ResponseWriter, r *nethttp.Request, _ *caller) {
	a.answer(w, r, nethttp.StatusOK)(a.d.ReadBundle(chi.URLParam(r, "name")))
}

func (a *api) telemetryUpload(w nethttp.ResponseWriter, r *nethttp.Request, _ *caller) {
	a.answer(w, r, nethttp.StatusOK)(a.d.UploadNow())
}

// SupportBundle is the answer of POST /api/v1/support-bundles: what to download.
type SupportBundle struct {
	Name     string `json:"name"`
	Size     int64  `json:"size"`
	SHA256   string `json:"sha256"`
	Took     string `json:"took"`
	Download string `json:"download"`
}

func (a *api) createSupportBundle(w nethttp.ResponseWriter, r *nethttp.Request, _ *caller) {
	info, err := a.d.SupportBundleFile()
	if err != nil {
		writeError(a.log, w, r, err)
		return
	}
	noteAudit(r, info.Name, "")
	// The answer names the bundle, never where the server keeps it.
	writeJSON(w, nethttp.StatusCreated, SupportBundle{Name: info.Name, Size: info.Size, SHA256: info.SHA256, Took: info.Took,
		Download: "/api/v1/support-bundles/" + info.Name})
}

func (a *api) downloadSupportBundle(w nethttp.ResponseWriter, r *nethttp.Request, _ *caller) {
	name := chi.URLParam(r, "name")
	f, err := a.d.OpenSupportBundle(name)
	if err != nil {
		writeError(a.log, w, r, err)
		return
	}
	defer f.Close()
	w.Header().Set("Content-Type", "application/zip")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	w.WriteHeader(nethttp.StatusOK)
	_, _ = io.Copy(w, f)
}

// answer writes a daemon method's result with the status, or its error as a problem. A
// fulfilment service that is not configured is a 409 (configure it first); one that could
// not be reached or trusted a 502, with what to do: neither is the server's fault.
func (a *api) answer(w nethttp.ResponseWriter, r *nethttp.Request, status int) func(v any, err error) {
	return func(v any, err error) {
		var fe *daemon.FulfilmentError
		switch {
		case errors.As(err, &fe) && fe.Reason == daemon.FulfilNotConfigured:
			writeProblem(w, nethttp.StatusConflict, CodeConflict, fe.Error(), fe)
		case errors.As(err, &fe):
			writeProblem(w, nethttp.StatusBadGateway, CodeUnavailable, fe.Error(), fe)
		case err != nil:
			writeError(a.log, w, r, err)
		default:
			writeJSON(w, status, v)
		}
	}
}
