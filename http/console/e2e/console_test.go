package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/licd/licd/license"
	"github.com/licd/licd/wire"
)

const newPassword = "console password 1"

// adminFiles are two products' licenses: XDT_PLT_CCS (10, permanent) and XDT_ENT_UD (5,
// expiring in 20 days: the bell's red alert).
var adminFiles = map[string]func(func(...license.LineSpec) string) string{
	"products.lic": func(issue func(...license.LineSpec) string) string {
		return issue(license.LineSpec{Feature: "XDT_PLT_CCS", Count: 10},
			license.LineSpec{Feature: "XDT_ENT_UD", Count: 5, Expiry: time.Now().AddDate(0, 0, 20)})
	},
}

// adminServer starts licd with adminFiles, sampling the historical use every second.
func adminServer(t *testing.T, args ...string) *server {
	return newServer(t, adminFiles).start(append([]string{"-history-interval", "1s"}, args...)...)
}

// logIn opens the console, logs in with the first start's one-time password and changes
// it, as a new administrator does ("Administrator and User roles"), and closes the "what's
// new" modal of the first visit.
func logIn(t *testing.T, b *browserSession) {
	b.do("open the console", chromedp.Navigate(b.s.base+"/"), chromedp.WaitVisible(chromedp.ID("login-name")))
	b.shot("login")
	b.do("log in with the one-time password",
		chromedp.SendKeys(chromedp.ID("login-name"), "admin"),
		chromedp.SendKeys(chromedp.ID("login-password"), b.s.initialPassword()),
		chromedp.Click(chromedp.ID("login-submit")),
		chromedp.WaitVisible(chromedp.ID("pw-new")))
	b.shot("password-change")
	b.do("change the one-time password",
		chromedp.SendKeys(chromedp.ID("pw-new"), newPassword),
		chromedp.SendKeys(chromedp.ID("pw-again"), newPassword),
		chromedp.Click(chromedp.ID("pw-submit")),
		chromedp.WaitVisible(chromedp.ID("whatsnew-close")))
	b.shot("whats-new")
	b.do("close what's new", chromedp.Click(chromedp.ID("whatsnew-close")), chromedp.WaitVisible(chromedp.ID("usage")))
}

// logInByKeyboard is logIn with the keyboard alone: the log-in form has the focus, Tab
// moves from the name to the password, Enter submits; then the password change and the
// "what's new" modal the same way.
func logInByKeyboard(t *testing.T, b *browserSession) {
	b.do("open the console", chromedp.Navigate(b.s.base+"/"), chromedp.WaitVisible(chromedp.ID("login-name")))
	b.wait("the focus on the account name", `document.activeElement.id === 'login-name'`)
	b.shot("login")
	b.do("type the name", chromedp.KeyEvent("admin"), chromedp.KeyEvent(kb.Tab))
	b.wait("the focus on the password", `document.activeElement.id === 'login-password'`)
	b.do("log in with the one-time password", chromedp.KeyEvent(b.s.initialPassword()), chromedp.KeyEvent(kb.Enter),
		chromedp.WaitVisible(chromedp.ID("pw-new")))
	b.wait("the focus on the new password", `document.activeElement.id === 'pw-new'`)
	b.shot("password-change")
	b.do("type the new password", chromedp.KeyEvent(newPassword), chromedp.KeyEvent(kb.Tab))
	b.wait("the focus on the repeated password", `document.activeElement.id === 'pw-again'`)
	b.do("change the one-time password", chromedp.KeyEvent(newPassword), chromedp.KeyEvent(kb.Enter), chromedp.WaitVisible(chromedp.ID("whatsnew-close")))
	b.shot("whats-new")
	b.tabTo("#whatsnew-close")
	b.do("close what's new", chromedp.KeyEvent(kb.Enter), chromedp.WaitVisible(chromedp.ID("usage")), chromedp.WaitNotVisible(chromedp.ID("whatsnew")))
}

// TestConsoleLoginAndDashboard: the first log-in with the one-time password and its change,
// with the keyboard alone;
// the title bar (version, host drop-down, "Hello, admin"); the Dashboard counts what a real
// product holds, a row is reached with Tab, shows its focus and opens to its pools with
// Enter and Space (a dash for a pool without a license type, the chevron turned right); the bell shows the red expiry alert linking to
// Update Licenses; the access code path says it is not configured; "what's new" comes once
// per version; log off.
func TestConsoleLoginAndDashboard(t *testing.T) {
	s := adminServer(t)
	// A product server holds 3 licenses of XDT_PLT_CCS through the wire protocol.
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c, err := wire.Dial(ctx, []string{s.srv.Addr()}, wire.ClientOptions{ClientID: "console-ddc", Product: "XDT", Host: "ddc-1.example.com",
		Edition: "PLT", Model: "CCS", VersionDate: 20240101, RequestTimeout: 20 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, u := range []string{"alice", "bob", "carol"} {
		if _, err := c.Checkout(ctx, wire.Checkout{Feature: "XDT_PLT_CCS", User: u, Device: u + "-pc", ClientHost: u + "-pc"}); err != nil {
			t.Fatal(err)
		}
	}

	b := newBrowser(t, s, 1280, 800)
	logInByKeyboard(t, b)
	b.waitText(`tr[data-feature="XDT_PLT_CCS"] .inuse`, "3/10")
	if got := b.text(`tr[data-feature="XDT_PLT_CCS"] .avail`); got != "7 (70%)" {
		t.Errorf("available: %q, want 7 (70%%)", got)
	}
	if got := b.text("#hello"); got != "Hello, admin" {
		t.Errorf("title bar: %q", got)
	}
	if got := b.text("#server-version"); got == "" {
		t.Error("the title bar shows no server version")
	}
	b.shot("dashboard")
	// The keyboard alone reaches the row's button, which shows that it has the focus, and
	// opens it (Enter), closes it and opens it again (Space).
	const expand = `tr[data-feature="XDT_PLT_CCS"] button.expand`
	b.tabTo(expand)
	if style := eval[string](b, `(() => { const s = getComputedStyle(document.activeElement); return s.outlineStyle + ' ' + s.outlineWidth + ' | ' + s.boxShadow; })()`); strings.HasPrefix(style, "none") || strings.HasPrefix(style, "0px") || strings.Contains(style, " 0px |") {
		t.Errorf("the focused expand button shows no focus: %s", style)
	}
	b.do("open the row with Enter", chromedp.KeyEvent(kb.Enter), chromedp.WaitVisible(chromedp.ID("pools-XDT_PLT_CCS")))
	b.do("close it with Space", chromedp.KeyEvent(" "), chromedp.WaitNotVisible(chromedp.ID("pools-XDT_PLT_CCS")))
	b.do("open it again with Space", chromedp.KeyEvent(" "), chromedp.WaitVisible(chromedp.ID("pools-XDT_PLT_CCS")))
	row := b.text(`#pools-XDT_PLT_CCS tbody tr`)
	for _, want := range []string{"2099.1231", "10", "3", "7", "Permanent"} {
		if !contains(row, want) {
			t.Errorf("pool row %q lacks %q", row, want)
		}
	}
	// The pool's license type: its file has no LT=, so a dash, not an empty cell.
	if got := b.text(`#pools-XDT_PLT_CCS tbody tr td:last-child`); got != "—" {
		t.Errorf("the type of a pool without LT=: %q, want —", got)
	}
	// The chevron points down on the open row and right on a closed one, once it has
	// turned (no stray half-turned glyph in the screenshot).
	b.wait("the chevron to stop turning", `document.getAnimations().length === 0`)
	if got := eval[string](b, `getComputedStyle(document.querySelector('`+expand+` svg')).transform`); got != "none" {
		t.Errorf("the open row's chevron is turned: %s", got)
	}
	if got := eval[string](b, `getComputedStyle(document.querySelector('tr[data-feature="XDT_ENT_UD"] button.expand svg')).transform`); !strings.Contains(got, "-1, 1") {
		t.Errorf("the closed row's chevron does not point right: %s", got)
	}
	if got := eval[string](b, `document.querySelector('`+expand+` svg path').getAttribute('d')`); got != "M6 9l6 6 6-6" {
		t.Errorf("the chevron is not the downward one: %s", got)
	}
	b.shot("dashboard-expanded")
	b.do("open the host drop-down", chromedp.Click(chromedp.CSS("#host-menu summary")), chromedp.WaitVisible(chromedp.CSS(".hostinfo")))
	if got := b.text(".hostinfo"); !contains(got, "IPv4") || !contains(got, "127.0.0.1") {
		t.Errorf("host drop-down: %q", got)
	}
	b.shot("host-menu")
	b.do("close the host drop-down", chromedp.Click(chromedp.CSS("#host-menu summary")))

	// The bell: XDT_ENT_UD expires in 20 days, a red alert that links to Update Licenses.
	b.wait("the bell's count", `document.getElementById('bell-count') && !document.getElementById('bell-count').hidden`)
	b.do("open the bell", chromedp.Click(chromedp.ID("bell")), chromedp.WaitVisible(chromedp.ID("alerts-panel")))
	b.wait("the red expiry alert", `document.querySelector('#alerts-panel li.alert.red[data-kind="license-expiring"] a[href="#/update"]')`)
	// Its sentence is the catalogue's template filled with the API's fields, not the API's
	// English message.
	if got := b.text(`#alerts-panel li.alert.red[data-kind="license-expiring"] .detail`); !strings.HasPrefix(got, "The licenses of XDT_ENT_UD") || !strings.Contains(got, "days left)") {
		t.Errorf("the expiry alert's sentence: %q", got)
	}
	b.shot("notifications")
	b.do("follow the alert", chromedp.Click(chromedp.CSS(`#alerts-panel li.alert.red[data-kind="license-expiring"] a`)), chromedp.WaitVisible(chromedp.ID("renewals-check")))

	// This server has no fulfilment service: the license access code path says so.
	b.goTo("install", "access-code")
	b.do("license access code", chromedp.SendKeys(chromedp.ID("access-code"), "ABCD-1234"), chromedp.Click(chromedp.ID("code-display")),
		chromedp.WaitVisible(chromedp.ID("code-not-configured")))
	b.shot("install-access-code-not-configured")

	// "What's new" does not come again for this version.
	b.do("reload", chromedp.Navigate(s.base+"/#/dashboard"), chromedp.WaitVisible(chromedp.ID("usage")))
	if eval[bool](b, `document.getElementById('whatsnew').open`) {
		t.Error("what's new shown twice for the same version")
	}
	b.do("log off", chromedp.Click(chromedp.ID("logout")), chromedp.WaitVisible(chromedp.ID("login-name")))
	b.shot("logged-off")
}

func contains(s, sub string) bool {
	return len(sub) == 0 || (len(s) >= len(sub) && indexOf(s, sub) >= 0)
}

func indexOf(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return i
		}
	}
	return -1
}
