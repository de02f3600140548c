package main

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/licd/licd/wire"
)

// writeStatusText prints lmstat's report in the shape of FLEXlm's, line for line, as the
// manual's "Determine licensing status (lmstat)" example shows it, so that the tools that
// parse lmstat's text keep working.
func (e *env) writeStatusText(results []statusResult, v lmstatView) int {
	w := e.stdout
	fmt.Fprintln(w, banner("lmutil"))
	fmt.Fprintf(w, "Flexible License Manager status on %s\n\n", statusTime(e.now()))
	exit := 0
	for _, r := range results {
		if r.err != nil {
			exit = exitStatus(r.err)
			writeDown(w, r, v)
			e.explain(r.err.Code)
			continue
		}
		if v.table {
			writeIncrementTable(w, r.status)
			continue
		}
		if v.servers {
			writeServers(w, r.target, r.status)
		}
		if v.features {
			found := writeFeatures(w, r.target, r.status, v)
			if v.hasHandle && !found {
				f := &wire.Error{Code: wire.CodeUnknownHandle, Detail: fmt.Sprintf("no checkout on %s has license handle %d; lmstat -a lists the handles", r.target.Spec(), v.handle)}
				writeFailureLine(e.stderr, "lmstat: ", f)
				exit = exitStatus(f)
			}
		}
		if v.sessions {
			writeSessions(w, r.status)
		}
	}
	return exit
}

// writeDown is a server that could not be asked: FLEXlm's "host: Cannot connect to license
// server system. (-15,...)" in the place of its "license server UP" line.
func writeDown(w io.Writer, r statusResult, v lmstatView) {
	if !v.servers {
		writeFailureLine(w, "Error getting status: ", r.err)
		fmt.Fprintln(w)
		return
	}
	fmt.Fprintf(w, "License server status: %s\n", r.target.Spec())
	fmt.Fprintf(w, "    License file(s) on %s: %s:\n\n", r.target.Host, filesOrSpec(r.target))
	writeFailureLine(w, r.target.Host+": ", r.err)
	fmt.Fprintln(w)
}

func filesOrSpec(t target) string {
	if len(t.Files) > 0 {
		return strings.Join(t.Files, ":")
	}
	return t.Spec()
}

// writeServers is the head of the report: the server, its license files, its vendor daemon.
// The server is named as -c names it, in every line that names it (the manual's
// "License server status: 27000@localhost" ... "localhost: license server UP v11.15.0"):
// tools match the "UP" line's host against the status line's.
func writeServers(w io.Writer, t target, st *wire.Status) {
	fmt.Fprintf(w, "License server status: %s\n", t.Spec())
	fmt.Fprintf(w, "    License file(s) on %s: %s:\n\n", t.Host, strings.Join(st.Files, ":"))
	fmt.Fprintf(w, "%s: license server UP %s\n\n", t.Host, st.Version)
	fmt.Fprintf(w, "Vendor daemon status (on %s):\n\n", st.ServerHost)
	state := "UP"
	if !st.VendorUp {
		state = "DOWN"
	}
	fmt.Fprintf(w, "  %s: %s %s\n\n", vendorName(st), state, st.Version)
}

func vendorName(st *wire.Status) string {
	if st.Vendor == "" {
		return "CITRIX"
	}
	return st.Vendor
}

// writeFeatures prints "Feature usage info" and returns whether the -h handle was found.
func writeFeatures(w io.Writer, t target, st *wire.Status, v lmstatView) (foundHandle bool) {
	if v.servers {
		fmt.Fprint(w, "Feature usage info:\n\n")
	}
	features := append([]wire.FeatureStatus(nil), st.Features...)
	sort.SliceStable(features, func(i, j int) bool { return features[i].Feature < features[j].Feature })
	for i := range features {
		fs := &features[i]
		if v.hasHandle {
			fs.Checkouts = withHandle(fs.Checkouts, v.handle)
			if len(fs.Checkouts) == 0 {
				continue
			}
			foundHandle = true
		}
		writeFeature(w, t, st, fs)
	}
	return foundHandle
}

func withHandle(cs []wire.CheckoutStatus, h uint64) []wire.CheckoutStatus {
	var out []wire.CheckoutStatus
	for _, c := range cs {
		if c.Handle == h {
			out = append(out, c)
		}
	}
	return out
}

// writeFeature prints one feature: "Users of FEATURE:  (Total of N licenses issued;  Total
// of M licenses in use)" and, when licenses are in use, each license pool's line and one
// line per license in use. Licenses shared by several connections show once: "The lmstat
// command displays only one use of the license, even if there are multiple connections
// sharing that license" (the server sends one entry per license).
func writeFeature(w io.Writer, t target, st *wire.Status, fs *wire.FeatureStatus) {
	fmt.Fprintf(w, "Users of %s:  (Total of %d %s issued;  Total of %d %s in use)\n\n",
		fs.Feature, fs.Issued, plural(fs.Issued), fs.InUse, plural(fs.InUse))
	if fs.InUse == 0 && len(fs.Checkouts) == 0 {
		return // the manual's CTXLSDIAG: nothing in use, nothing more
	}
	byPool := map[string][]wire.CheckoutStatus{}
	var loose []wire.CheckoutStatus // not tied to one pool (user/device licenses)
	known := map[string]bool{}
	for _, p := range fs.Pools {
		known[p.ID] = true
	}
	for _, c := range fs.Checkouts {
		if known[c.PoolID] {
			byPool[c.PoolID] = append(byPool[c.PoolID], c)
		} else {
			loose = append(loose, c)
		}
	}
	allPools := len(loose) > 0 || (len(fs.Checkouts) == 0 && !anyPoolInUse(fs.Pools))
	overdraftShown := false
	for _, p := range fs.Pools {
		if !allPools && p.InUse == 0 && len(byPool[p.ID]) == 0 {
			continue
		}
		writePool(w, fs, &p)
		if fs.Overdraft > 0 && !overdraftShown {
			// "License overdraft": the overdraft in use is reported apart from the count.
			fmt.Fprintf(w, "  overdraft: %d %s issued, %d in use\n", fs.Overdraft, plural(fs.Overdraft), fs.OverdraftInUse)
			overdraftShown = true
		}
		fmt.Fprintln(w)
		writeCheckouts(w, t, st, fs, byPool[p.ID])
	}
	writeCheckouts(w, t, st, fs, loose)
}

func anyPoolInUse(ps []wire.PoolStatus) bool {
	for _, p := range ps {
		if p.InUse > 0 {
			return true
		}
	}
	return false
}

// writePool is a license line as lmstat shows it:
//
//	"XDT_PLT_CCS" v2018.1201, vendor: CITRIX, expiry: 01-dec-2018
//	vendor_string: ;LT=Retail;GP=720;...
//	floating license
func writePool(w io.Writer, fs *wire.FeatureStatus, p *wire.PoolStatus) {
	expiry := p.Expiry
	if expiry == "" || expiry == "permanent" {
		expiry = "permanent(no expiration date)"
	}
	fmt.Fprintf(w, "  %q v%s, vendor: CITRIX, expiry: %s\n", fs.Feature, p.Version, expiry)
	if p.VendorString != "" {
		fmt.Fprintf(w, "  vendor_string: %s\n", p.VendorString)
	}
	if p.Pending && p.Start != "" {
		fmt.Fprintf(w, "  starts: %s (not usable before)\n", p.Start)
	}
	fmt.Fprintln(w, "  floating license")
}

// writeCheckouts prints one line per license in use, in the manual's breakdown: user, host,
// display, version, server/port and handle, checkout time.
//
//	XDT DDCAux-0001.citrix.com XDT 00001E3A (v2018.0518) (localhost/27000 534201), start Wed 5/9 15:17
func writeCheckouts(w io.Writer, t target, st *wire.Status, fs *wire.FeatureStatus, cs []wire.CheckoutStatus) {
	if len(cs) == 0 {
		return
	}
	sort.SliceStable(cs, func(i, j int) bool {
		if !cs[i].Start.Equal(cs[j].Start) {
			return cs[i].Start.Before(cs[j].Start)
		}
		return cs[i].Handle < cs[j].Handle
	})
	for _, c := range cs {
		fmt.Fprintf(w, "    %s (v%s) (%s/%d %d), start %s\n", checkoutParty(&c), checkoutVersion(fs, &c), t.Host, st.LMPort, c.Handle, checkoutTime(c.Start))
	}
	fmt.Fprintln(w)
}

// checkoutParty is "user host display [device]". A concurrent checkout names the product's
// user, the product server's host and its display, then the device holding the license
// when it is another name (the manual's "XDT DDCAux-0001.citrix.com XDT 00001E3A"). A
// user/device license names the user or device it is assigned to.
func checkoutParty(c *wire.CheckoutStatus) string {
	switch {
	case c.Product == "user" && c.Handle == 0:
		return field(c.User) + " - user"
	case c.Product == "device" && c.Handle == 0:
		return field(c.Device) + " " + field(c.Device) + " device"
	}
	user := c.User
	if user == "" {
		user = c.Product
	}
	display := c.Display
	if display == "" {
		display = c.Product
	}
	s := field(user) + " " + field(c.Host) + " " + field(display)
	if c.Device != "" && c.Device != user && c.Device != c.Host && c.Device != display {
		s += " " + c.Device
	}
	return s
}

// field keeps lmstat's columns countable: an empty value prints as "-".
func field(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// checkoutVersion is the product's version date; user/device licenses carry none and show
// the feature's newest license version.
func checkoutVersion(fs *wire.FeatureStatus, c *wire.CheckoutStatus) string {
	if c.Version != "" {
		return c.Version
	}
	newest := ""
	for _, p := range fs.Pools {
		if p.Version > newest {
			newest = p.Version
		}
	}
	if newest == "" {
		return "1.0"
	}
	return newest
}

func plural(n int) string {
	if n == 1 {
		return "license"
	}
	return "licenses"
}

// writeSessions is -S: the product servers connected to the CITRIX vendor daemon ("Lists
// all product servers using the features (product licenses) served by the Citrix vendor
// daemon").
func writeSessions(w io.Writer, st *wire.Status) {
	fmt.Fprintf(w, "Product servers using %s (%d):\n\n", vendorName(st), len(st.Sessions))
	for _, s := range st.Sessions {
		line := fmt.Sprintf("  %s %s", field(s.Product), field(s.Host))
		if s.Edition != "" || s.Model != "" {
			line += " " + field(s.Edition) + "/" + field(s.Model)
		}
		line += fmt.Sprintf(" (session %d), connected %s", s.ID, checkoutTime(s.Connected))
		if !s.LastHeartbeat.IsZero() {
			line += ", last heartbeat " + checkoutTime(s.LastHeartbeat)
		}
		if s.Lost {
			line += ", LOST: heartbeats stopped; its licenses are held for its reconcile"
		}
		fmt.Fprintln(w, line)
	}
	fmt.Fprintln(w)
}
