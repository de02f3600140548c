package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/licd/licd/license"
	"github.com/licd/licd/wire"
)

const lmdiagRule = "-----------------------------------------------------"

// runLmdiag is "Diagnose checkout problems (lmdiag)": for each feature (or the one named),
// the license details and a real test checkout through the protocol, with the reason when
// it fails; and a check of each port the server listens on.
func runLmdiag(e *env, args []string) int {
	o, err := e.parse(map[string]optKind{"-n": noValue}, args)
	if err != nil {
		return e.usageError(err)
	}
	if o.help() {
		return e.printHelp()
	}
	if len(o.args) > 1 {
		return e.usageError(fmt.Errorf("lmdiag: give at most one feature[:KEYWORD=value], not %q", strings.Join(o.args, " ")))
	}
	var sel lineSelector
	if len(o.args) == 1 {
		if sel, err = parseSelector(o.args[0]); err != nil {
			return e.usageError(err)
		}
	}
	timeout, err := timeoutOption(o)
	if err != nil {
		return e.usageError(err)
	}
	targets, err := e.targets(o)
	if err != nil {
		return e.fail(err)
	}
	fmt.Fprintln(e.stdout, banner("lmdiag"))
	fmt.Fprintf(e.stdout, "License server diagnostics on %s\n", statusTime(e.now()))
	exit := 0
	for _, t := range targets {
		d := &diagnosis{e: e, t: t, sel: sel, interactive: !o.has("-n"), timeout: timeout}
		if status := d.run(); status != 0 && exit == 0 {
			exit = status
		}
	}
	return exit
}

// diagnosis is lmdiag's run against one server.
type diagnosis struct {
	e           *env
	t           target
	sel         lineSelector
	interactive bool
	timeout     time.Duration
}

func (d *diagnosis) run() int {
	w := d.e.stdout
	fmt.Fprintf(w, "\n%s\nLicense server: %s", lmdiagRule, d.t.Spec())
	if len(d.t.Files) > 0 {
		fmt.Fprintf(w, " (from %s)", strings.Join(d.t.Files, ", "))
	}
	fmt.Fprintf(w, "\n%s\n", lmdiagRule)
	ctx, cancel := context.WithTimeout(context.Background(), d.timeout)
	defer cancel()
	c, err := dial(ctx, d.t, d.timeout)
	if err != nil {
		f := asFailure(err)
		writeFailureLine(w, fmt.Sprintf("Port %d on %s: ", d.t.Port, d.t.Host), f)
		d.scanPorts()
		return exitStatus(f)
	}
	defer c.Close()
	st, err := c.status("", false)
	if err != nil {
		return d.e.fail(err)
	}
	d.checkPorts(c, st)
	pools, err := d.sel.choose(st)
	if err == nil && len(d.t.Files) > 0 {
		pools, err = d.inFiles(pools)
	}
	if err != nil {
		writeFailureLine(w, "", asFailure(err))
		return exitStatus(asFailure(err))
	}
	p, err := openProbe(ctx, d.t, d.timeout)
	if err != nil {
		f := asFailure(err)
		writeFailureLine(w, "No test checkout is possible: ", f)
		return exitStatus(f)
	}
	defer p.Close()
	exit := 0
	for _, cp := range pools {
		if status := d.diagnosePool(p, st, cp); status != 0 && exit == 0 {
			exit = status
		}
	}
	return exit
}

// checkPorts reports each port the server listens on ("lmdiag lists each TCP/IP port
// number that is listening"): the license-manager port, where it says the vendor daemon is,
// and the vendor daemon port.
func (d *diagnosis) checkPorts(c *serverConn, st *wire.Status) {
	w := d.e.stdout
	fmt.Fprintf(w, "Port %d on %s: listening: licd %s on %s\n", d.t.Port, d.t.Host, st.Version, st.ServerHost)
	if d.t.Port != st.LMPort && d.t.Port != st.VendorPort {
		fmt.Fprintf(w, "  note: the server says its license-manager port is %d and its vendor daemon port %d\n", st.LMPort, st.VendorPort)
	}
	var loc wire.LocateResult
	if err := c.call(&wire.Locate{}, &loc); err != nil {
		writeFailureLine(w, "  the license manager does not say where the vendor daemon is: ", asFailure(err))
	} else if int(loc.VendorPort) != st.VendorPort {
		fmt.Fprintf(w, "  the license manager points to vendor daemon port %d, but the status says %d\n", loc.VendorPort, st.VendorPort)
	}
	for _, port := range []int{st.LMPort, st.VendorPort} {
		if port == d.t.Port {
			continue
		}
		role := "license-manager port"
		if port == st.VendorPort {
			role = vendorName(st) + " vendor daemon port"
		}
		other := target{Host: d.t.Host, Port: port}
		ctx, cancel := context.WithTimeout(context.Background(), d.timeout)
		oc, err := dial(ctx, other, d.timeout)
		cancel()
		if err != nil {
			writeFailureLine(w, fmt.Sprintf("Port %d on %s (%s): ", port, d.t.Host, role), asFailure(err))
			continue
		}
		oc.Close()
		fmt.Fprintf(w, "Port %d on %s: listening: %s\n", port, d.t.Host, role)
	}
}

// scanPorts looks for licd on the usual ports when the given one does not answer: "It
// detects if the port number in the license file is incorrect". Interactive runs ask
// first; -n scans without asking.
func (d *diagnosis) scanPorts() {
	w := d.e.stdout
	if d.interactive {
		if !yes(d.e.ask(fmt.Sprintf("Would you like to look for the license server on the usual ports of %s (27000-27009, 7279)? [y/n]: ", d.t.Host))) {
			return
		}
	}
	found := scanPorts(d.t.Host, usualPorts, d.t.Port, d.timeout)
	if len(found) == 0 {
		fmt.Fprintf(w, "No licd answers on the usual ports of %s: is it running, and is a firewall in the way?\n", d.t.Host)
		return
	}
	for _, port := range found {
		fmt.Fprintf(w, "Port %d on %s: listening: a licd answers here; use -c %d@%s", port, d.t.Host, port, d.t.Host)
		if len(d.t.Files) > 0 {
			fmt.Fprintf(w, " or correct the port on the SERVER line of %s", strings.Join(d.t.Files, ", "))
		}
		fmt.Fprintln(w)
	}
}

// diagnosePool prints one license line's details and the result of a test checkout:
//
//	"XDT_PLT_CCS" v2018.1201, vendor: CITRIX, expiry: 01-dec-2018
//	  License server: licserver
//	  floating license, 200000 licenses, expires: 01-dec-2018
//
//	This license can be checked out
func (d *diagnosis) diagnosePool(p *probe, st *wire.Status, cp chosenPool) int {
	w := d.e.stdout
	pool := cp.pool
	fmt.Fprintf(w, "\n%q v%s, vendor: %s, expiry: %s\n", cp.feature.Feature, pool.Version, vendorName(st), expiryText(pool.Expiry))
	fmt.Fprintf(w, "  License server: %s\n", st.ServerHost)
	fmt.Fprintf(w, "  floating license, %s model, %d %s", cp.feature.Model, pool.Count, plural(pool.Count))
	if pool.Overdraft > 0 {
		fmt.Fprintf(w, " + %d overdraft", pool.Overdraft)
	}
	if pool.Start != "" {
		fmt.Fprintf(w, ", starts: %s", pool.Start)
	}
	fmt.Fprintf(w, ", expires: %s\n", expiryText(pool.Expiry))
	if pool.VendorString != "" {
		fmt.Fprintf(w, "  vendor_string: %s\n", pool.VendorString)
	}
	fmt.Fprintln(w)
	if isUserDevice(cp.feature.Model) {
		return d.reportUserDevice(cp.feature)
	}
	if err := p.try(cp.feature.Feature, pool); err != nil {
		f := asFailure(err)
		fmt.Fprintln(w, "This license cannot be checked out because:")
		writeFailureLine(w, "", f)
		fmt.Fprintln(w, lmdiagRule)
		return exitStatus(f)
	}
	fmt.Fprintln(w, "This license can be checked out")
	fmt.Fprintln(w, lmdiagRule)
	return 0
}

// reportUserDevice answers for a user/device-family license without a test checkout: a
// checkout would assign a license to lmdiag for 90 days ("License assignment period").
func (d *diagnosis) reportUserDevice(fs wire.FeatureStatus) int {
	w := d.e.stdout
	free := fs.Issued - fs.InUse
	switch {
	case free > 0:
		fmt.Fprintf(w, "A new user or device can be licensed: %d of %d licenses are free (no test checkout: it would assign a license for 90 days)\n", free, fs.Issued)
	default:
		fmt.Fprintf(w, "No new user or device can be licensed: all %d licenses are assigned; users and devices that hold one can still connect\n", fs.Issued)
	}
	fmt.Fprintln(w, lmdiagRule)
	if free <= 0 {
		return wire.CodeLicensedNumberReached.ExitStatus()
	}
	return 0
}

// isUserDevice reports the models whose licenses are assigned to a user or device for the
// lease ("License assignment period") rather than held while in use.
func isUserDevice(model string) bool {
	switch model {
	case license.ModelUserDevice.String(), license.ModelPerUser.String(), license.ModelPerDevice.String(), license.ModelNamedUser.String():
		return true
	}
	return wire.IsUserDeviceModel(model)
}

func expiryText(e string) string {
	if e == "" {
		return "permanent"
	}
	return e
}

// thisHost is the client host lmdiag's checkouts name.
func thisHost() string {
	h, err := os.Hostname()
	if err != nil || h == "" {
		return "localhost"
	}
	return h
}

// inFiles keeps the pools of the lines of the license files -c named ("lmdiag -c
// license_file_list": the diagnosis is of that file's licenses, not of everything the
// server serves): a pool is kept when one of its lines has the signature of a line of the
// files.
func (d *diagnosis) inFiles(pools []chosenPool) ([]chosenPool, error) {
	signs := map[string]bool{}
	for _, path := range d.t.Files {
		f, err := license.ParseFile(path)
		if err != nil {
			return nil, &wire.Error{Code: wire.CodeNoLicenseFile, Detail: fmt.Sprintf("%s: %v", path, err)}
		}
		for _, l := range f.Lines {
			if l.Sign != "" {
				signs[l.Sign] = true
			}
		}
	}
	var out []chosenPool
	for _, cp := range pools {
		for _, sg := range cp.pool.Signs {
			if signs[sg] {
				out = append(out, cp)
				break
			}
		}
	}
	if len(out) == 0 {
		return nil, &wire.Error{Code: wire.CodeNoSuchFeature, Detail: fmt.Sprintf("the server serves no license line of %s%s; lmstat -i lists what it serves",
			strings.Join(d.t.Files, ", "), selText(d.sel))}
	}
	return out, nil
}

func selText(sel lineSelector) string {
	if sel.feature == "" {
		return ""
	}
	return " for " + sel.feature
}
