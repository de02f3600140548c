// Package console is the Licensing Manager web console ("Citrix Licensing Manager"): static
// HTML, CSS and JavaScript modules embedded in the licd binary and served by the admin API's
// router, at / (the page) and under /console/ (its assets). The console is a client of
// /api/v1 and of nothing else: every page reads and writes through the API, so the console
// and the API cannot disagree. It has no build step and no third-party code.
package console

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime"
	nethttp "net/http"
	"path"
	"strings"
	"time"
)

//go:embed static
var static embed.FS

// Prefix is where the console's assets are served.
const Prefix = "/console/"

// CSP is the console's Content-Security-Policy: everything from the server's own origin
// and nothing else (no inline script or style, no other host, no framing).
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
	"font-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// asset is one embedded file, read once at start.
type asset struct {
	body  []byte
	etag  string
	ctype string
}

// Handler serves the console. GET / is index.html; GET /console/NAME is an asset. Answers
// carry an ETag and "no-cache", so a browser revalidates and an upgraded licd is seen at
// once.
func Handler() nethttp.Handler {
	assets, err := load()
	if err != nil {
		panic(err) // the embedded tree is part of the binary: a defect every test catches
	}
	return nethttp.HandlerFunc(func(w nethttp.ResponseWriter, r *nethttp.Request) {
		name := "index.html"
		if r.URL.Path != "/" {
			rest, ok := strings.CutPrefix(r.URL.Path, Prefix)
			if !ok || rest == "" || path.Clean("/"+rest) != "/"+rest {
				nethttp.NotFound(w, r)
				return
			}
			name = rest
		}
		a, ok := assets[name]
		if !ok {
			nethttp.NotFound(w, r)
			return
		}
		h := w.Header()
		h.Set("Content-Security-Policy", CSP)
		h.Set("Content-Type", a.ctype)
		h.Set("Cache-Control", "no-cache")
		h.Set("ETag", a.etag)
		nethttp.ServeContent(w, r, name, time.Time{}, bytes.NewReader(a.body))
	})
}

// Files lists the embedded files by their path under /console/ (index.html included), for
// the tests.
func Files() (map[string][]byte, error) {
	assets, err := load()
	if err != nil {
		return nil, err
	}
	out := make(map[string][]byte, len(assets))
	for k, a := range assets {
		out[k] = a.body
	}
	return out, nil
}

func load() (map[string]asset, error) {
	out := map[string]asset{}
	err := fs.WalkDir(static, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := static.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		ct := mime.TypeByExtension(path.Ext(p))
		switch path.Ext(p) {
		case ".js":
			ct = "text/javascript; charset=utf-8"
		case ".json":
			ct = "application/json; charset=utf-8"
		case ".svg":
			ct = "image/svg+xml"
		case ".css":
			ct = "text/css; charset=utf-8"
		case ".html":
			ct = "text/html; charset=utf-8"
		}
		if ct == "" {
			return fmt.Errorf("console: no content type for %s", p)
		}
		out[strings.TrimPrefix(p, "static/")] = asset{body: b, etag: `"` + hex.EncodeToString(sum[:8]) + `"`, ctype: ct}
		return nil
	})
	return out, err
}
