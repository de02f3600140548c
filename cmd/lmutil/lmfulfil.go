package main

import (
	"errors"
	"fmt"
	"strconv"
	"time"
)

// The vendor fulfilment service through the server (actors/daemon fulfilment.go): lminstall
// installs licenses by license access code ("Install licenses", "Use license access code")
// and returns them ("Return allocations"); lmrenew checks for and installs Customer Success
// Services renewals ("Check for and install Customer Success Services renewal licenses",
// "Update licenses"). Both are local admin requests, like lmreread.

// fulfilTimeout is these commands' default time-out: the server calls the vendor's service.
const fulfilTimeout = 2 * time.Minute

type entitlements struct {
	Code         string `json:"code"`
	Customer     string `json:"customer"`
	Entitlements []struct {
		ID        string `json:"id"`
		Feature   string `json:"feature"`
		Quantity  int    `json:"quantity"`
		Available int    `json:"available"`
		Allocated int    `json:"allocated"`
		CSS       string `json:"css"`
		Expiry    string `json:"expiry"`
	} `json:"entitlements"`
}

type codeInstall struct {
	Allocation string     `json:"allocation"`
	Code       string     `json:"code"`
	Feature    string     `json:"feature"`
	Quantity   int        `json:"quantity"`
	CSS        string     `json:"css"`
	File       string     `json:"file"`
	Installed  time.Time  `json:"installed"`
	Returned   *time.Time `json:"returned"`
}

type renewalState struct {
	Action      string    `json:"action"`
	LastOK      time.Time `json:"last_check"`
	LastAttempt time.Time `json:"last_attempt"`
	LastError   string    `json:"last_error"`
	NextCheck   time.Time `json:"next_check"`
	Available   []struct {
		SN           string `json:"sn"`
		Feature      string `json:"feature"`
		Quantity     int    `json:"quantity"`
		CSS          string `json:"css"`
		InstalledCSS string `json:"installed_css"`
	} `json:"available"`
	Installed []struct {
		SN      string    `json:"sn"`
		Feature string    `json:"feature"`
		CSS     string    `json:"css"`
		Was     string    `json:"was"`
		File    string    `json:"file"`
		At      time.Time `json:"at"`
	} `json:"installed"`
	Failed map[string]string `json:"failed"`
}

func (e *env) fulfilRequest(o *options, op string, args, out any) error {
	if !o.has("-t") {
		o.set["-t"], o.vals["-t"] = true, strconv.Itoa(int(fulfilTimeout/time.Second))
	}
	return e.adminRequest(o, op, args, out)
}

// runLminstall is `lminstall -code CODE [-list | [-entitlement ID|FEATURE] [-qty N]]`,
// `lminstall -return ALLOCATION` and `lminstall -installed`.
func runLminstall(e *env, args []string) int {
	own := map[string]optKind{"-code": needsValue, "-list": noValue, "-entitlement": needsValue, "-qty": needsValue,
		"-return": needsValue, "-installed": noValue, "--json": noValue}
	o, err := e.parse(own, args)
	if err != nil {
		return e.usageError(err)
	}
	if o.help() {
		return e.printHelp()
	}
	if len(o.args) > 0 {
		return e.usageError(fmt.Errorf("lminstall: unexpected argument %q", o.args[0]))
	}
	modes := 0
	for _, k := range []string{"-code", "-return", "-installed"} {
		if o.has(k) {
			modes++
		}
	}
	if modes != 1 {
		return e.usageError(errors.New("lminstall: give one of -code CODE, -return ALLOCATION or -installed"))
	}
	jsonOut := o.has("--json")
	switch {
	case o.has("-installed"):
		var list []codeInstall
		if err := e.fulfilRequest(o, "fulfil.installed", nil, &list); err != nil {
			return e.fail(err)
		}
		if jsonOut {
			return e.printJSON(list)
		}
		if len(list) == 0 {
			fmt.Fprintln(e.stdout, "No licenses were installed by license access code.")
		}
		for _, r := range list {
			state := "installed " + r.Installed.Local().Format("2006-01-02 15:04")
			if r.Returned != nil {
				state = "returned " + r.Returned.Local().Format("2006-01-02 15:04")
			}
			fmt.Fprintf(e.stdout, "%s  %-20s %6d  CSS %s  %s  (%s, code %s)\n", r.Allocation, r.Feature, r.Quantity, r.CSS, r.File, state, r.Code)
		}
		return 0
	case o.has("-return"):
		var r codeInstall
		if err := e.fulfilRequest(o, "fulfil.return", map[string]any{"allocation": o.val("-return")}, &r); err != nil {
			return e.fail(err)
		}
		if jsonOut {
			return e.printJSON(r)
		}
		fmt.Fprintf(e.stdout, "Returned allocation %s: %d %s are back with access code %s; %s was deleted.\n", r.Allocation, r.Quantity, r.Feature, r.Code, r.File)
		return 0
	}
	code := o.val("-code")
	if o.has("-list") {
		if o.has("-qty") || o.has("-entitlement") {
			return e.usageError(errors.New("lminstall: -list shows the entitlements; leave out -qty and -entitlement"))
		}
		var ents entitlements
		if err := e.fulfilRequest(o, "fulfil.entitlements", map[string]any{"code": code}, &ents); err != nil {
			return e.fail(err)
		}
		if jsonOut {
			return e.printJSON(ents)
		}
		fmt.Fprintf(e.stdout, "License entitlements of access code %s\n", ents.Code)
		fmt.Fprintf(e.stdout, "%-4s %-24s %10s %10s %10s  %-9s  %s\n", "ID", "Feature", "Quantity", "Available", "Allocated", "CSS Date", "Expiry Date")
		for _, x := range ents.Entitlements {
			fmt.Fprintf(e.stdout, "%-4s %-24s %10d %10d %10d  %-9s  %s\n", x.ID, x.Feature, x.Quantity, x.Available, x.Allocated, x.CSS, x.Expiry)
		}
		return 0
	}
	args2 := map[string]any{"code": code, "entitlement": o.val("-entitlement")}
	if q := o.val("-qty"); q != "" {
		n, err := strconv.Atoi(q)
		if err != nil || n < 1 {
			return e.usageError(fmt.Errorf("lminstall: -qty %s: give a number of licenses from 1 (leave -qty out to install all that are available)", q))
		}
		args2["quantity"] = n
	}
	var r codeInstall
	if err := e.fulfilRequest(o, "fulfil.install", args2, &r); err != nil {
		return e.fail(err)
	}
	if jsonOut {
		return e.printJSON(r)
	}
	fmt.Fprintf(e.stdout, "Installed %d %s (CSS %s) from access code %s as %s; allocation %s.\n", r.Quantity, r.Feature, r.CSS, r.Code, r.File, r.Allocation)
	return 0
}

// runLmrenew is `lmrenew -check | -list | -install [SN]`.
func runLmrenew(e *env, args []string) int {
	own := map[string]optKind{"-check": noValue, "-list": noValue, "-install": mayValue, "--json": noValue}
	o, err := e.parse(own, args)
	if err != nil {
		return e.usageError(err)
	}
	if o.help() {
		return e.printHelp()
	}
	n := 0
	for _, k := range []string{"-check", "-list", "-install"} {
		if o.has(k) {
			n++
		}
	}
	if n != 1 || len(o.args) > 0 {
		return e.usageError(errors.New("lmrenew: give one of -check, -list or -install [SN]"))
	}
	var st renewalState
	var rerr error
	switch {
	case o.has("-check"):
		rerr = e.fulfilRequest(o, "renewal.check", nil, &st)
	case o.has("-list"):
		rerr = e.fulfilRequest(o, "renewal.list", nil, &st)
	default:
		rerr = e.fulfilRequest(o, "renewal.install", map[string]any{"sn": o.val("-install")}, &st)
	}
	if rerr != nil {
		return e.fail(rerr)
	}
	if o.has("--json") {
		return e.printJSON(st)
	}
	fmt.Fprintf(e.stdout, "Customer Success Services renewals (action: %s)\n", st.Action)
	if !st.LastOK.IsZero() {
		fmt.Fprintf(e.stdout, "  last check  %s\n", st.LastOK.Local().Format("2006-01-02 15:04"))
	}
	if st.LastError != "" {
		fmt.Fprintf(e.stdout, "  last failed %s: %s\n", st.LastAttempt.Local().Format("2006-01-02 15:04"), st.LastError)
	}
	if !st.NextCheck.IsZero() {
		fmt.Fprintf(e.stdout, "  next check  %s\n", st.NextCheck.Local().Format("2006-01-02 15:04"))
	}
	fmt.Fprintln(e.stdout, "\nCustomer Success Services renewal licenses available:")
	if len(st.Available) == 0 {
		fmt.Fprintln(e.stdout, "  none")
	}
	for _, a := range st.Available {
		line := fmt.Sprintf("  %-24s %6d  CSS %s (installed %s)  SN %s", a.Feature, a.Quantity, a.CSS, a.InstalledCSS, a.SN)
		if why := st.Failed[a.SN]; why != "" {
			line += "  not installed: " + why
		}
		fmt.Fprintln(e.stdout, line)
	}
	fmt.Fprintln(e.stdout, "\nCustomer Success Services renewal licenses installed in the last 30 days:")
	if len(st.Installed) == 0 {
		fmt.Fprintln(e.stdout, "  No renewal licenses were installed")
	}
	for _, r := range st.Installed {
		fmt.Fprintf(e.stdout, "  %-24s CSS %s (was %s)  %s  %s  SN %s\n", r.Feature, r.CSS, r.Was, r.File, r.At.Local().Format("2006-01-02 15:04"), r.SN)
	}
	return 0
}
