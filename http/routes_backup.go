package http

import (
	_ "embed"
	"fmt"
	nethttp "net/http"
	"path/filepath"
)

// backupRoutes: the online backup for disaster recovery (manual, "Disaster recovery backup
// and redundancy"; doc/HA.md "Backup and restore"). The handler decodes and authorises; the
// daemon's Backup, which `licd backup` calls through the admin request too, does the work.
// openapi_backup.json documents the route and is merged into the served document.
var backupRoutes = []Route{
	{Method: "POST", Pattern: "/api/v1/backups", Role: Admin, Action: "backup.create", Summary: "Make an online, consistent backup of the server (store, license files, options file, keys, settings) into a new directory on the server", handle: (*api).createBackup},
}

//go:embed openapi_backup.json
var backupDoc []byte

func init() {
	routes = append(routes, backupRoutes...)
	merged, err := mergeOpenAPIPaths(openapiDoc, backupDoc)
	if err != nil {
		panic(fmt.Sprintf("http: openapi_backup.json: %v", err)) // a build defect, caught by every test
	}
	openapiDoc = merged
}

// BackupRequest is the body of POST /api/v1/backups.
type BackupRequest struct {
	// Dir is the backup directory on the server: an absolute path that does not exist yet,
	// or an empty directory. Best on another disk, or a mounted network share.
	Dir string `json:"dir"`
}

func (a *api) createBackup(w nethttp.ResponseWriter, r *nethttp.Request, _ *caller) {
	var req BackupRequest
	if !decodeJSON(w, r, &req) {
		return
	}
	if req.Dir == "" || !filepath.IsAbs(req.Dir) {
		writeProblem(w, nethttp.StatusBadRequest, CodeBadRequest, `give {"dir": "/absolute/path"}: a new or empty directory on the server for the backup`, nil)
		return
	}
	noteAudit(r, req.Dir, "")
	a.answer(w, r, nethttp.StatusCreated)(a.d.Backup(req.Dir))
}
