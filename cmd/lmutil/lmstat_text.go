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
// parse lmstat's text keep working. With several servers it is FLEXlm's redundant-server
// report: every server's status line first ("host: license server UP (MASTER) v..." or
// "host: Cannot connect ..."), then the vendor daemon and the features; tools that stop at
// the first "Vendor daemon status" line have then read every server's state. The exit
// status says whether any server answered.
func (e *env) writeStatusText(results []statusResult, v lmstatView) int {
	w := e.stdout
	if v.table {
		// "lmstat -i" reads the license lines, as FLEXlm's says first.
		fmt.Fprint(w, iNote)
	} else {
		fmt.Fprintln(w, banner("lmutil"))
		fmt.Fprintf(w, "Flexible License Manager status on %s\n\n", statusTime(e.now()))
	}
	var up []statusResult
	var firstErr *wire.Error
	for _, r := range results {
		if r.err != nil {
			if firstErr == nil {
				firstErr = r.err
			}
			e.explain(r.err.Code)
			continue
		}
		if r.status != nil {
			up = append(up, r)
		}
	}
	switch {
	case v.table:
		for _, r := range up {
			writeIncrementTable(w, r.status)
		}
	case v.servers:
		writeServerLines(w, results)
	default:
		for _, r := range results {
			if r.err != nil {
				writeFailureLine(w, "Error getting status: ", r.err)
				fmt.Fprintln(w)
			}
		}
	}
	exit := 0
	if len(up) == 0 && firstErr != nil {
		exit = exitStatus(firstErr)
	}
	if v.table {
		return exit
	}
	for _, r := range up {
		if v.servers {
			writeVendor(w, r.status)
		}
		if v.uploads {
			writeUploads(w, r.status)
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

// iNote is what FLEXlm's lmstat -i prints before its table.
const iNote = `NOTE: lmstat -i does not give information from the server,
      but only reads the license file.  For this reason,
      lmstat -a is recommended instead.

`

// writeServerLines is the head of the report: "License server status:" with every server
// of the list, the license files of the first that answered, and one line per server: "UP
// (MASTER)" for a server that answered (each licd serves its own features: it is its own
// master, as FlexNet 11 prints the serving node), FLEXlm's "Cannot connect" for the others.
// Servers are named as -c names them, in every line that names them (the manual's
// "License server status: 27000@localhost" ... "localhost: license server UP v11.15.0"):
// tools match the "UP" line's host against the status line's.
func writeServerLines(w io.Writer, results []statusResult) {
	specs := make([]string, len(results))
	for i, r := range results {
		specs[i] = r.target.Spec()
	}
	fmt.Fprintf(w, "License server status: %s\n", strings.Join(specs, ","))
	first := results[0]
	for _, r := range results {
		if r.status != nil {
			first = r
			break
		}
	}
	files := filesOrSpec(first.target)
	if first.status != nil && len(first.status.Files) > 0 {
		files = strings.Join(first.status.Files, ":")
	}
	fmt.Fprintf(w, "    License file(s) on %s: %s:\n\n", first.target.Host, files)
	version := version // a follower does not say; the leader's answer does, if it was asked
	for _, r := range results {
		if r.status != nil {
			version = r.status.Version
		}
	}
	for _, r := range results {
		switch {
		case r.err != nil:
			fmt.Fprintf(w, "%s: %s\n", r.target.Host, downText(r))
		case r.follower != nil:
			// A cluster follower: up, but the leader is the master (FLEXlm's triad shape).
			fmt.Fprintf(w, "%s: license server UP %s\n", r.target.Host, version)
		default:
			fmt.Fprintf(w, "%s: license server UP (MASTER) %s\n", r.target.Host, r.status.Version)
		}
	}
	fmt.Fprintln(w)
}

// downText is a server that could not be asked, in FLEXlm's shape: the error, its minor
// number and the system's errno and text, `Cannot connect to license server system.
// (-15,570:111 "Connection refused")`; a failure that is not a connection's is written as
// the utilities write failures.
func downText(r statusResult) string {
	if r.err.Code != wire.CodeCannotConnect {
		return failureText(r.err)
	}
	text := r.errnoText
	if text == "" {
		text = r.err.Detail
	}
	return fmt.Sprintf("%s (%d,%d:%d %q)", codeText(r.err.Code), int(r.err.Code), connectMinor, int(r.errno), text)
}

// connectMinor is FLEXlm's minor error number of a failed connection to the server.
const connectMinor = 570

func filesOrSpec(t target) string {
	if len(t.Files) > 0 {
		return strings.Join(t.Files, ":")
	}
	return t.Spec()
}

// writeVendor is the vendor daemon's block.
func writeVendor(w io.Writer, st *wire.Status) {
	fmt.Fprintf(w, "Vendor daemon status (on %s):\n\n", st.ServerHost)
	if !st.VendorUp {
		// FLEXlm's line for a vendor daemon lmdown -vendor stopped.
		fmt.Fprintf(w, "  %s: The desired vendor daemon is down. (-97,121)\n\n", vendorName(st))
		return
	}
	fmt.Fprintf(w, "  %s: UP %s\n\n", vendorName(st), st.Version)
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
	// Reserved licenses count as in use, as FLEXlm counts them: the header is then the sum
	// of the lines below it (--json keeps the two apart).
	inUse := fs.InUse + fs.Reserved
	fmt.Fprintf(w, "Users of %s:  (Total of %d %s issued;  Total of %d %s in use)\n\n",
		fs.Feature, fs.Issued, plural(fs.Issued), inUse, plural(inUse))
	if inUse == 0 && len(fs.Checkouts) == 0 {
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
	overdraftShown, reservationsShown := false, fs.Reserved == 0
	for i, p := range fs.Pools {
		last := i == len(fs.Pools)-1
		if !allPools && p.InUse == 0 && len(byPool[p.ID]) == 0 && (reservationsShown || !last) {
			continue
		}
		writePool(w, fs, &p)
		if fs.Overdraft > 0 && !overdraftShown {
			// "License overdraft": the overdraft in use is reported apart from the count.
			fmt.Fprintf(w, "  overdraft: %d %s issued, %d in use\n", fs.Overdraft, plural(fs.Overdraft), fs.OverdraftInUse)
			overdraftShown = true
		}
		writeBurst(w, &p)
		fmt.Fprintln(w)
		if !reservationsShown {
			writeReservations(w, t, fs)
			reservationsShown = true
		}
		writeCheckouts(w, t, st, fs, byPool[p.ID])
	}
	writeCheckouts(w, t, st, fs, loose)
}

// writeBurst says when a pool is in license burst mode ("License burst mode": 15 days of
// unlimited connections once a Retail pool is full), so that lmstat shows why it counts more
// in use than issued. FLEXlm has no such line; its shape ("  burst mode: ...") is one that
// lmstat parsers skip, as they skip the overdraft line.
func writeBurst(w io.Writer, p *wire.PoolStatus) {
	if !p.BurstActive {
		return
	}
	fmt.Fprintf(w, "  burst mode: started %s, connections unlimited until %s (%d %s left)\n",
		checkoutTime(p.BurstStarted), checkoutTime(p.BurstUntil), p.BurstDaysLeft, pluralDays(p.BurstDaysLeft))
}

func pluralDays(n int) string {
	if n == 1 {
		return "day"
	}
	return "days"
}

// writeReservations is the options file's RESERVE lines whose licenses nobody they name
// holds yet, as FLEXlm shows them:
//
//	2 RESERVATIONs for GROUP helpdesk (localhost/27000)
func writeReservations(w io.Writer, t target, fs *wire.FeatureStatus) {
	shown := false
	for _, r := range fs.Reservations {
		n := r.Count - r.Used
		if n <= 0 {
			continue
		}
		word := "RESERVATIONs"
		if n == 1 {
			word = "RESERVATION"
		}
		fmt.Fprintf(w, "\t%d %s for %s %s (%s/%d)\n", n, word, r.Type, r.Name, t.Host, t.Port)
		shown = true
	}
	if shown {
		fmt.Fprintln(w)
	}
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
		line := fmt.Sprintf("    %s (v%s) (%s/%d %d), start %s", checkoutParty(&c), checkoutVersion(fs, &c), t.Host, st.LMPort, c.Handle, checkoutTime(c.Start))
		if c.Units > 1 {
			// Per socket (and any multi-unit) checkouts, as FLEXlm ends them.
			line += fmt.Sprintf(", %d licenses", c.Units)
		}
		if c.Lost {
			// After the fields parsers read, as FLEXlm puts its "(linger: ...)".
			line += "  (lost: the product's heartbeats stopped; held for its reconcile)"
		}
		fmt.Fprintln(w, line)
	}
	fmt.Fprintln(w)
}

// checkoutParty is "user host display [device]". A concurrent checkout names the product's
// user, the product server's host and its display, then the device holding the license
// when it is another name (the manual's "XDT DDCAux-0001.citrix.com XDT 00001E3A"). A
// user/device license names the user or device it is assigned to.
func checkoutParty(c *wire.CheckoutStatus) string {
	switch {
	case c.Product == "user" && c.PoolID == "":
		return field(c.User) + " - user"
	case c.Product == "device" && c.PoolID == "":
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

// writeUploads is lmstat -s's note on the usage data uploads ("Upload information": the
// last upload and its result; the 90-day compliance rule).
func writeUploads(w io.Writer, st *wire.Status) {
	u := st.Uploads
	if u == nil {
		return
	}
	programs := "none"
	if len(u.Programs) > 0 {
		programs = strings.Join(u.Programs, ", ")
	}
	fmt.Fprintf(w, "Usage data: programs %s (choice %s); %s\n", programs, u.Choice, u.Why)
	last := "never"
	if !u.LastUpload.IsZero() {
		last = u.LastUpload.Local().Format("2006-01-02 15:04")
	}
	fmt.Fprintf(w, "  last successful upload: %s\n", last)
	if u.LastResult != "" {
		fmt.Fprintf(w, "  last upload result: %s\n", u.LastResult)
	}
	if u.Overdue {
		fmt.Fprintln(w, "  WARNING: no successful upload for more than 90 days (compliance)")
	}
	fmt.Fprintln(w)
}
