package console

import (
	"encoding/json"
	nethttp "net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
)

// languages are the catalogues embedded, English first; i18n.js must list the same.
func languages(files map[string][]byte) []string {
	out := []string{"en"}
	for name := range files {
		if l, ok := strings.CutPrefix(name, "i18n/"); ok && l != "en.json" {
			out = append(out, strings.TrimSuffix(l, ".json"))
		}
	}
	sort.Strings(out[1:])
	return out
}

func catalogue(t *testing.T, files map[string][]byte, lang string) map[string]string {
	t.Helper()
	var c map[string]string
	if err := json.Unmarshal(files["i18n/"+lang+".json"], &c); err != nil {
		t.Fatalf("catalogue %s: %v", lang, err)
	}
	return c
}

var paramRE = regexp.MustCompile(`\{\w+\}`)

func params(s string) []string {
	p := paramRE.FindAllString(s, -1)
	sort.Strings(p)
	return p
}

// TestCataloguesAgree: every language has exactly the English catalogue's keys, each text
// with the same {parameters}, none empty; the translations are real (most texts differ
// from the English); every key the pages ask for literally, t('key'), is in the catalogue;
// every alert kind has a title and a body template.
func TestCataloguesAgree(t *testing.T) {
	files, err := Files()
	if err != nil {
		t.Fatal(err)
	}
	en := catalogue(t, files, "en")
	langs := languages(files)
	for _, lang := range langs[1:] {
		c := catalogue(t, files, lang)
		same := 0
		for k, v := range en {
			tr, ok := c[k]
			if !ok {
				t.Errorf("%s: %q is missing", lang, k)
				continue
			}
			if strings.TrimSpace(tr) == "" {
				t.Errorf("%s: %q is empty", lang, k)
			}
			if !slices.Equal(params(v), params(tr)) {
				t.Errorf("%s: %q has parameters %v, English %v", lang, k, params(tr), params(v))
			}
			if tr == v {
				same++
			}
		}
		for k := range c {
			if _, ok := en[k]; !ok {
				t.Errorf("%s: %q is not an English key", lang, k)
			}
		}
		if same*5 > len(en) {
			t.Errorf("%s: %d of %d texts are the English ones: translate them", lang, same, len(en))
		}
	}
	used := regexp.MustCompile(`\bt\('([^']+)'`)
	for name, b := range files {
		if !strings.HasSuffix(name, ".js") {
			continue
		}
		for _, m := range used.FindAllStringSubmatch(string(b), -1) {
			if _, ok := en[m[1]]; !ok {
				t.Errorf("%s asks for %q, which the catalogue lacks", name, m[1])
			}
		}
	}
	// Every alert kind the bell knows (app.js's FIX) has a title and a body template.
	fix := regexp.MustCompile(`(?s)const FIX = \{(.*?)\};`).FindStringSubmatch(string(files["js/app.js"]))
	if fix == nil {
		t.Fatal("app.js has no FIX table of alert kinds")
	}
	kinds := regexp.MustCompile(`'([a-z-]+)':`).FindAllStringSubmatch(fix[1], -1)
	if len(kinds) < 14 {
		t.Errorf("app.js's FIX lists %d alert kinds, want the 14 of actors/alerts", len(kinds))
	}
	for _, k := range kinds {
		for _, key := range []string{"alert." + k[1], "alertBody." + k[1]} {
			if _, ok := en[key]; !ok {
				t.Errorf("the alert kind %s has no %q in the catalogue", k[1], key)
			}
		}
	}
	m := regexp.MustCompile(`export const LANGS = \[([^\]]*)\];`).FindStringSubmatch(string(files["js/i18n.js"]))
	if m == nil {
		t.Fatal("i18n.js has no LANGS")
	}
	var listed []string
	for _, q := range strings.Split(m[1], ",") {
		listed = append(listed, strings.Trim(strings.TrimSpace(q), "'"))
	}
	sort.Strings(listed[1:])
	if !slices.Equal(listed, langs) {
		t.Errorf("i18n.js lists the languages %v, the catalogues are %v", listed, langs)
	}
}

// TestServes: the page at /, assets under /console/ with the strict CSP and an ETag that
// revalidates; nothing else.
func TestServes(t *testing.T) {
	srv := httptest.NewServer(Handler())
	defer srv.Close()
	get := func(path string, hdr ...string) *nethttp.Response {
		req, _ := nethttp.NewRequest("GET", srv.URL+path, nil)
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		res, err := nethttp.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res
	}
	res := get("/")
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") || res.Header.Get("Content-Security-Policy") != CSP {
		t.Fatalf("GET /: %d %v", res.StatusCode, res.Header)
	}
	res = get("/console/js/app.js")
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/javascript") {
		t.Fatalf("app.js: %d %v", res.StatusCode, res.Header)
	}
	if res = get("/console/js/app.js", "If-None-Match", res.Header.Get("ETag")); res.StatusCode != 304 {
		t.Fatalf("app.js revalidated: %d", res.StatusCode)
	}
	for _, p := range []string{"/console/", "/console/nope.js", "/console/../console.go", "/elsewhere"} {
		if res := get(p); res.StatusCode != 404 {
			t.Errorf("GET %s: %d, want 404", p, res.StatusCode)
		}
	}
}

// TestFirstPageWeight: the page, its stylesheet, the modules the log-in and the dashboard
// load and one catalogue stay under 300 KB ("Pages load fast on a slow link").
func TestFirstPageWeight(t *testing.T) {
	files, err := Files()
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, f := range []string{"index.html", "console.css", "favicon.svg", "js/app.js", "js/dom.js", "js/i18n.js", "js/api.js", "js/ui.js", "js/pages/dashboard.js", "i18n/en.json"} {
		b, ok := files[f]
		if !ok {
			t.Fatalf("%s is not embedded", f)
		}
		total += len(b)
	}
	if total > 300*1024 {
		t.Fatalf("the first page weighs %d bytes, more than 300 KB", total)
	}
	t.Logf("first page: %d bytes", total)
}
