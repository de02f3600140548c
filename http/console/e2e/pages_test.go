package e2e

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/licd/licd/license"
)

// setSelect chooses a value of a <select> as a person does (the change event fires).
func (b *browserSession) setSelect(id, value string) {
	b.t.Helper()
	eval[bool](b, fmt.Sprintf(`(() => { const s = document.getElementById(%q); s.value = %q; s.dispatchEvent(new Event('change')); return s.value === %q; })()`, id, value, value))
}

func (b *browserSession) goTo(page, waitID string) {
	b.t.Helper()
	b.do("go to "+page, chromedp.Navigate(b.s.base+"/#/"+page), chromedp.WaitVisible(chromedp.ID(waitID)))
}

// TestConsolePages, against a real fulfilment service (licgen serve) and a real upload
// endpoint: Install Licenses (a license access code's entitlement shown and 4 of its
// licenses installed; a good file previewed and imported; both pools on the Dashboard; a
// bad file refused with the line-numbered reason), Historical Use (the chart, the CSV
// export equal to the API's, the retention changed), Settings (burst mode off, the proxy set
// and cleared, a double-byte account and group whose members are edited before the group is
// deleted, a token, the data-sharing choice, Upload now and its result), Update Licenses (a
// renewal found, installed and listed), Product Information, the six languages with the
// bell in French, a narrow screen, and the User-role account refused with the double-byte
// name shown.
func TestConsolePages(t *testing.T) {
	s := newServer(t, adminFiles)
	const code = "LA-0001-CONSOLE"
	vendor, store := s.fulfilment(code, "XDT_PLT_UD", 10)
	up := newUploads(t)
	s.start("-history-interval", "1s", "-fulfilment-url", vendor.URL, "-fulfilment-ca", vendor.CA, "-renewal-action", "notify",
		"-telemetry-url", up.srv.URL+"/upload", "-telemetry-ca", up.ca, "-telemetry-min-upload-now", "1s")
	b := newBrowser(t, s, 1280, 800)
	logIn(t, b)
	api := s.login("admin", newPassword)
	dir := t.TempDir()

	// Install Licenses: use a downloaded license file.
	good := filepath.Join(dir, "advanced.lic")
	if err := os.WriteFile(good, []byte(s.issue(license.LineSpec{Feature: "XDT_ADV_CCU", Count: 4})), 0o644); err != nil {
		t.Fatal(err)
	}
	// Install Licenses by license access code, from the real fulfilment service: the
	// entitlement, 4 of its 10 licenses installed, 6 left.
	entitlement := `#code-out tr[data-feature="XDT_PLT_UD"]`
	b.goTo("install", "access-code")
	b.do("license access code", chromedp.SendKeys(chromedp.ID("access-code"), code), chromedp.Click(chromedp.ID("code-display")),
		chromedp.WaitVisible(chromedp.CSS(entitlement)))
	if got := b.text(entitlement); !strings.Contains(got, "10 / 10") || !strings.Contains(got, "2027.0101") {
		t.Errorf("the entitlement: %q", got)
	}
	b.shot("install-access-code")
	eval[string](b, `document.querySelector('`+entitlement+` input[type=number]').value = '4'`)
	b.do("install 4 licenses", chromedp.Click(chromedp.CSS(entitlement+` button.code-install`)), chromedp.WaitVisible(chromedp.ID("code-installed")))
	b.waitText(entitlement, "6 / 10")
	b.shot("install-access-code-installed")
	b.do("choose the file", chromedp.Click(chromedp.ID("method-file")), chromedp.SetUploadFiles(chromedp.ID("license-file"), []string{good}),
		chromedp.Click(chromedp.ID("file-check")), chromedp.WaitVisible(chromedp.CSS(`#preview-lines tr[data-verdict="added"]`)))
	b.shot("install-preview")
	b.do("import it", chromedp.Click(chromedp.ID("file-import")), chromedp.WaitVisible(chromedp.ID("import-done")))
	if got := b.text("#import-lines"); !strings.Contains(got, "XDT_ADV_CCU") || !strings.Contains(got, "Added") {
		t.Errorf("after the import: %q", got)
	}
	b.shot("install-imported")

	// A bad file: its line's count was changed after signing, so the signature fails.
	text := s.issue(license.LineSpec{Feature: "XDT_STD_CCU", Count: 2})
	bad := filepath.Join(dir, "tampered.lic")
	lines := strings.Split(text, "\n")
	lineNo := 0
	for i, l := range lines {
		if strings.HasPrefix(l, "INCREMENT XDT_STD_CCU") {
			lines[i] = strings.Replace(l, " 2 ", " 200 ", 1)
			lineNo = i + 1
		}
	}
	if lineNo == 0 {
		t.Fatalf("no INCREMENT line in %s", text)
	}
	if err := os.WriteFile(bad, []byte(strings.Join(lines, "\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	b.do("import a tampered file", chromedp.SetUploadFiles(chromedp.ID("license-file"), []string{bad}), chromedp.Click(chromedp.ID("file-import")),
		chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`#import-lines tr[data-verdict="rejected"][data-line="%d"]`, lineNo))))
	if got := b.text(fmt.Sprintf(`#import-lines tr[data-line="%d"]`, lineNo)); !strings.Contains(got, fmt.Sprintf("line %d", lineNo)) || !strings.Contains(got, "Rejected") {
		t.Errorf("the rejected line: %q", got)
	}
	if b.text("#file-out .error") == "" {
		t.Error("no error shown for the refused file")
	}
	b.shot("install-rejected")
	b.goTo("dashboard", "usage")
	b.waitText(`tr[data-feature="XDT_ADV_CCU"] .inuse`, "0/4")
	// The 4 licenses of the access code, and the user/device overdraft the API counts in.
	var inv struct {
		Products []struct {
			Feature   string
			Installed int
			Pools     []struct{ Purchased int }
		}
	}
	api.json("GET", "/api/v1/inventory", nil, &inv)
	listed := false
	for _, p := range inv.Products {
		if p.Feature == "XDT_PLT_UD" {
			listed = true
			if len(p.Pools) != 1 || p.Pools[0].Purchased != 4 {
				t.Errorf("the API's XDT_PLT_UD pools: %+v", p.Pools)
			}
			b.waitText(`tr[data-feature="XDT_PLT_UD"] .inuse`, fmt.Sprintf("0/%d", p.Installed))
		}
	}
	if !listed {
		t.Error("the access code's XDT_PLT_UD is not in the API's inventory")
	}
	if eval[bool](b, `!!document.querySelector('tr[data-feature="XDT_STD_CCU"]')`) {
		t.Error("the refused file's feature is on the Dashboard")
	}

	// Historical Use: samples every second; the chart and the CSV export.
	time.Sleep(2 * time.Second)
	b.goTo("history", "hist-export")
	b.do("show", chromedp.Click(chromedp.ID("hist-show")))
	b.wait("the chart", `document.querySelector('#hist-chart svg polyline.inuse')`)
	b.shot("history")
	href := eval[string](b, `document.getElementById('hist-export').getAttribute('href')`)
	b.do("export", chromedp.Click(chromedp.ID("hist-export")))
	csvPath := filepath.Join(b.downloads, "licd-history.csv")
	deadline := time.Now().Add(20 * time.Second)
	var got []byte
	for {
		var err error
		if got, err = os.ReadFile(csvPath); err == nil && len(got) > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no CSV downloaded to %s", b.downloads)
		}
		time.Sleep(100 * time.Millisecond)
	}
	u, _ := url.Parse(href)
	want := api.do("GET", u.Path+"?"+u.RawQuery, nil)
	if string(got) != string(want) {
		t.Errorf("the exported CSV differs from the API's:\n%s\n---\n%s", got, want)
	}
	if !strings.Contains(string(got), "XDT_PLT") {
		t.Errorf("the CSV has no XDT_PLT row:\n%s", got)
	}

	// The retention: Change to 30 days.
	b.do("change the retention", chromedp.Click(chromedp.ID("retention-change")), chromedp.WaitVisible(chromedp.ID("retention-save")))
	b.setSelect(eval[string](b, `document.querySelector('#retention select').id`), "720h")
	b.do("save the retention", chromedp.Click(chromedp.ID("retention-save")), chromedp.WaitVisible(chromedp.ID("retention-change")))
	var ret struct{ Retention string }
	api.json("GET", "/api/v1/history/retention", nil, &ret)
	if ret.Retention != "720h0m0s" {
		t.Errorf("retention after Change: %s", ret.Retention)
	}
	b.shot("history-retention")

	// Settings > Server Configuration: burst mode off.
	b.goTo("settings/server", "burst-mode")
	b.do("burst mode off", chromedp.Click(chromedp.ID("burst-mode")))
	settingIs := func(name string, want any) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			var st struct {
				Settings map[string]struct{ Value any }
			}
			api.json("GET", "/api/v1/settings", nil, &st)
			if fmt.Sprint(st.Settings[name].Value) == fmt.Sprint(want) {
				return
			}
			if time.Now().After(deadline) {
				b.shot("failed-setting-" + name)
				t.Fatalf("setting %s is %v, want %v", name, st.Settings[name].Value, want)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	settingIs("burst_mode", false)

	// The proxy: set, shown from the API after a reload, then cleared again (the tests of
	// the fulfilment service and the upload need none).
	const proxyURL = "http://proxy.example.com:3128"
	b.do("edit the proxy", chromedp.Click(chromedp.ID("proxy-edit")), chromedp.SendKeys(chromedp.ID("proxy-input"), "proxy.example.com:3128"),
		chromedp.Click(chromedp.ID("proxy-save")), chromedp.WaitVisible(chromedp.ID("proxy-edit")))
	settingIs("proxy", proxyURL)
	b.goTo("settings/server", "proxy-text")
	b.waitText("#proxy-text", proxyURL)
	b.shot("settings-server")
	b.do("edit the proxy again", chromedp.Click(chromedp.ID("proxy-edit")), chromedp.WaitVisible(chromedp.ID("proxy-input")))
	if got := eval[string](b, `document.getElementById('proxy-input').value`); got != proxyURL {
		t.Errorf("the proxy's input holds %q, want %q", got, proxyURL)
	}
	eval[string](b, `document.getElementById('proxy-input').value = ''`)
	b.do("clear the proxy", chromedp.Click(chromedp.ID("proxy-save")), chromedp.WaitVisible(chromedp.ID("proxy-edit")))
	settingIs("proxy", "")
	if got := b.text("#proxy-text"); strings.Contains(got, "proxy.example.com") {
		t.Errorf("the proxy is still shown after it was cleared: %q", got)
	}
	b.do("generate a support bundle", chromedp.Click(chromedp.ID("bundle-generate")), chromedp.WaitVisible(chromedp.ID("bundle-link")))

	// Settings > Account: a double-byte account name round-trips (LIC-2032); a token.
	const userName = "利用者"
	b.goTo("settings/account", "add-name")
	b.do("add a user", chromedp.SendKeys(chromedp.ID("add-name"), userName), chromedp.SendKeys(chromedp.ID("add-password"), "user password 1"),
		chromedp.Click(chromedp.ID("add-submit")), chromedp.WaitVisible(chromedp.CSS(`tr[data-account="`+userName+`"]`)))
	var accts struct{ Accounts []struct{ Name, Role string } }
	api.json("GET", "/api/v1/accounts", nil, &accts)
	found := false
	for _, a := range accts.Accounts {
		found = found || (a.Name == userName && a.Role == "user")
	}
	if !found {
		t.Errorf("the API's accounts lack %s (user): %+v", userName, accts)
	}
	// A group with a double-byte name: made with one member, then members added and
	// removed after its creation, then deleted; each step as the API has it.
	const groupName = "技術グループ"
	groupRow := `tr[data-account="` + groupName + `"]`
	groupMembers := func() ([]string, bool) {
		var gs struct {
			Groups []struct {
				Name, Role string
				Members    []string
			}
		}
		api.json("GET", "/api/v1/groups", nil, &gs)
		for _, g := range gs.Groups {
			if g.Name == groupName {
				slices.Sort(g.Members)
				return g.Members, true
			}
		}
		return nil, false
	}
	membersAre := func(want ...string) {
		t.Helper()
		b.wait("the group's members", fmt.Sprintf(`(document.querySelector('%s .members')||{}).textContent === %q`, groupRow, " ("+strings.Join(want, ", ")+")"))
		got, ok := groupMembers()
		slices.Sort(want)
		if !ok || !slices.Equal(got, want) {
			t.Errorf("the API's members of %s: %v (exists %v), want %v", groupName, got, ok, want)
		}
	}
	b.setSelect("add-kind", "group")
	b.do("add a group", chromedp.SendKeys(chromedp.ID("add-name"), groupName), chromedp.SendKeys(chromedp.ID("add-members"), userName),
		chromedp.Click(chromedp.ID("add-submit")), chromedp.WaitVisible(chromedp.CSS(groupRow)))
	membersAre(userName)
	b.do("add admin to the group", chromedp.Click(chromedp.CSS(groupRow+` button.members-edit`)),
		chromedp.Click(chromedp.CSS(groupRow+` input[data-member="admin"]`)))
	b.shot("settings-group-members")
	b.do("save the members", chromedp.Click(chromedp.CSS(groupRow+` button.members-save`)))
	membersAre("admin", userName)
	b.do("take "+userName+" out of the group", chromedp.Click(chromedp.CSS(groupRow+` button.members-edit`)),
		chromedp.Click(chromedp.CSS(groupRow+` input[data-member="`+userName+`"]`)), chromedp.Click(chromedp.CSS(groupRow+` button.members-save`)))
	membersAre("admin")
	b.do("delete the group", chromedp.Click(chromedp.CSS(groupRow+` button.danger`)), chromedp.WaitNotPresent(chromedp.CSS(groupRow)))
	if _, ok := groupMembers(); ok {
		t.Errorf("the group %s is still in the API after its deletion", groupName)
	}
	b.do("create a token", chromedp.SendKeys(chromedp.ID("token-name"), "monitoring"), chromedp.Click(chromedp.ID("token-create")),
		chromedp.WaitVisible(chromedp.ID("token-secret")))
	b.shot("settings-account")
	// Usage and Statistics: the data-sharing choice changed and shown again after a
	// reload; "Upload now" sends the bundles to the endpoint, and the page shows the result.
	b.goTo("settings/usage", "upload-now")
	b.do("choose CEIP", chromedp.Click(chromedp.ID("sharing-ceip")))
	settingIs("data_sharing_program", "ceip")
	b.goTo("settings/usage", "upload-now")
	if !eval[bool](b, `document.getElementById('sharing-ceip').checked`) {
		t.Error("the data-sharing choice is not CEIP after a reload")
	}
	b.do("upload now", chromedp.Click(chromedp.ID("upload-now")), chromedp.WaitVisible(chromedp.CSS(`#upload-result[data-ok="true"]`)))
	sent := up.bundles()
	if len(sent) == 0 {
		t.Error("upload now: the endpoint received nothing")
	}
	if got := b.text("#upload-result"); !strings.Contains(got, fmt.Sprintf("%d bundles sent to %s", len(sent), up.srv.URL)) {
		t.Errorf("the last upload's result: %q (the endpoint received %v)", got, sent)
	}
	if got := b.text("#upload-last"); strings.Contains(got, "not available") {
		t.Errorf("the last successful upload: %q", got)
	}
	b.shot("settings-usage")

	// Update Licenses: the vendor renews the entitlement; the check finds the renewal,
	// "Download and Install" installs it, and it is listed among the last 30 days'.
	s.licgen("renew", "-store", store, "-code", code, "-css", "2028.0101")
	b.goTo("update", "renewals-check")
	b.do("check for renewals", chromedp.Click(chromedp.ID("renewals-check")), chromedp.WaitVisible(chromedp.CSS(`#renewals-available tr[data-feature="XDT_PLT_UD"]`)))
	if got := b.text(`#renewals-available tr[data-feature="XDT_PLT_UD"]`); !strings.Contains(got, "2028.0101") {
		t.Errorf("the renewal available: %q", got)
	}
	b.shot("update-available")
	b.do("download and install", chromedp.Click(chromedp.CSS(`#renewals-available tr[data-feature="XDT_PLT_UD"] button.renewal-install`)),
		chromedp.WaitVisible(chromedp.CSS(`#renewals-installed tr[data-feature="XDT_PLT_UD"]`)))
	if got := b.text(`#renewals-installed tr[data-feature="XDT_PLT_UD"]`); !strings.Contains(got, "2028.0101") {
		t.Errorf("the renewal installed: %q", got)
	}
	var ren struct{ Installed []struct{ Feature string } }
	api.json("GET", "/api/v1/renewals", nil, &ren)
	if len(ren.Installed) != 1 || ren.Installed[0].Feature != "XDT_PLT_UD" {
		t.Errorf("the API's renewals installed: %+v", ren.Installed)
	}
	b.shot("update")
	b.goTo("product", "product-versions")
	if got := b.text("#product-versions"); !strings.Contains(got, "go1.") {
		t.Errorf("product information: %q", got)
	}
	b.shot("product")

	// The six languages ("Language"), set in Server Configuration for every user.
	nav := map[string]string{"zh-CN": "仪表板", "fr": "Tableau de bord", "de": "Dashboard", "ja": "ダッシュボード", "es": "Panel", "en": "Dashboard"}
	for _, lang := range []string{"zh-CN", "fr", "de", "ja", "es", "en"} {
		b.goTo("settings/server", "console-language")
		b.setSelect("console-language", lang)
		b.wait("the language "+lang, fmt.Sprintf(`document.documentElement.lang === %q && document.querySelector('#tabs a[data-page="dashboard"]').textContent === %q`, lang, nav[lang]))
		settingIs("console_language", lang)
		b.goTo("dashboard", "usage")
		b.wait("the dashboard", `document.querySelector('tr[data-feature="XDT_PLT_CCS"]')`)
		b.shot("dashboard-" + lang)
		if lang == "fr" {
			// The bell in French: the alert's title and its sentence from the catalogue.
			b.do("open the bell", chromedp.Click(chromedp.ID("bell")), chromedp.WaitVisible(chromedp.CSS(`#alerts-panel li[data-kind="license-expiring"]`)))
			alert := `#alerts-panel li[data-kind="license-expiring"]`
			if got := b.text(alert + " strong"); !strings.HasPrefix(got, "Des licences expirent dans") {
				t.Errorf("the alert's title in French: %q", got)
			}
			if got := b.text(alert + " .detail"); !strings.HasPrefix(got, "Les licences de XDT_ENT_UD") || !strings.Contains(got, "expirent le") || strings.Contains(got, "expire on") {
				t.Errorf("the alert's sentence in French: %q", got)
			}
			b.shot("notifications-fr")
			b.do("close the bell", chromedp.KeyEvent(kb.Escape), chromedp.WaitNotVisible(chromedp.ID("alerts-panel")))
		}
	}

	// A narrow screen.
	b.do("narrow screen", chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := chromedp.Call(ctx, emulation.SetDeviceMetricsOverride, emulation.SetDeviceMetricsOverrideParams{Width: 390, Height: 844, DeviceScaleFactor: 1, Mobile: true})
		return err
	}))
	b.shot("dashboard-narrow")

	// The User role cannot use the console, and is told so.
	b.do("log off", chromedp.Click(chromedp.ID("logout")), chromedp.WaitVisible(chromedp.ID("login-name")))
	b.do("log in as a User", chromedp.SendKeys(chromedp.ID("login-name"), userName), chromedp.SendKeys(chromedp.ID("login-password"), "user password 1"),
		chromedp.Click(chromedp.ID("login-submit")), chromedp.WaitVisible(chromedp.ID("refused")))
	if got := b.text("#refused"); !strings.Contains(got, userName) || !strings.Contains(got, "User role") {
		t.Errorf("the refusal: %q", got)
	}
	if eval[bool](b, `!document.getElementById('titlebar').hidden`) {
		t.Error("a User-role account sees the console's title bar")
	}
	b.shot("user-refused")
	b.do("the User logs off", chromedp.Click(chromedp.ID("refused-logout")), chromedp.WaitVisible(chromedp.ID("login-name")))
}
