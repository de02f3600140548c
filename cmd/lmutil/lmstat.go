package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"syscall"
	"time"

	"github.com/licd/licd/wire"
)

var lmstatOptions = map[string]optKind{
	"-a": noValue, "-f": mayValue, "-i": mayValue, "-s": mayValue, "-S": mayValue,
	"-h": needsValue, "-json": noValue, "-v": noValue,
}

// lmstatView is what lmstat was asked to show.
type lmstatView struct {
	servers   bool   // License server status, files, vendor daemon status
	features  bool   // Feature usage info
	table     bool   // -i
	sessions  bool   // -S: the product servers
	uploads   bool   // -s: the usage data uploads too
	feature   string // -f/-i feature
	handle    uint64 // -h
	hasHandle bool
}

// runLmstat is "Determine licensing status (lmstat)".
func runLmstat(e *env, args []string) int {
	o, err := e.parse(lmstatOptions, args)
	if err != nil {
		return e.usageError(err)
	}
	switch {
	case o.help():
		return e.printHelp()
	case o.has("-v"):
		fmt.Fprintln(e.stdout, banner("lmutil")) // FLEXlm's -v starts "lmutil - ", as every utility's banner
		fmt.Fprintln(e.stdout, versionLine("lmstat"))
		return 0
	}
	v, err := lmstatViewOf(o)
	if err != nil {
		return e.usageError(err)
	}
	timeout, err := timeoutOption(o)
	if err != nil {
		return e.usageError(err)
	}
	targets, err := e.targets(o)
	if err != nil {
		return e.fail(err)
	}
	if s := o.val("-s"); s != "" {
		if targets = filterTargets(targets, s); len(targets) == 0 {
			return e.fail(&wire.Error{Code: codeNoLicenseFile, Detail: fmt.Sprintf("-s %s: no server of the -c list is %s", s, s)})
		}
	}
	results := make([]statusResult, len(targets))
	for i, t := range targets {
		results[i] = fetchStatus(t, v, timeout)
	}
	if o.has("-json") {
		return e.writeStatusJSON(results)
	}
	return e.writeStatusText(results, v)
}

func lmstatViewOf(o *options) (lmstatView, error) {
	v := lmstatView{feature: o.val("-f"), uploads: o.has("-s")}
	switch {
	case o.has("-i"):
		v.table, v.feature = true, o.val("-i")
	case o.has("-a") || o.has("-all"):
		v.servers, v.features = true, true
	case o.has("-f"):
		v.features = true
	case o.has("-h"):
		v.features = true
	default:
		v.servers = true
	}
	if o.has("-S") && !v.table {
		if s := o.val("-S"); s != "" && s != "CITRIX" {
			return v, fmt.Errorf("lmstat: -S %s: licd's only vendor daemon is CITRIX", s)
		}
		v.servers, v.features, v.sessions = true, true, true
	}
	if h := o.val("-h"); h != "" {
		n, err := strconv.ParseUint(h, 10, 64)
		if err != nil || n == 0 {
			return v, fmt.Errorf("lmstat: -h %s: a license handle is a positive number, as lmstat -a shows it after the port", h)
		}
		v.handle, v.hasHandle = n, true
	}
	return v, nil
}

func filterTargets(ts []target, host string) []target {
	var out []target
	for _, t := range ts {
		if t.Host == host || t.Spec() == host {
			out = append(out, t)
		}
	}
	return out
}

// statusResult is one server's answer, or why there is none.
type statusResult struct {
	target    target
	status    *wire.Status
	err       *wire.Error
	errno     syscall.Errno // of a failed connection, when the system gave one
	errnoText string
	// follower is set (and status and err are nil) when the server is a cluster node that
	// follows: it answered with a Redirect to the leader (doc/HA.md).
	follower *wire.RedirectError
}

func fetchStatus(t target, v lmstatView, timeout time.Duration) statusResult {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	r := statusResult{target: t}
	c, err := dial(ctx, t, timeout)
	if err != nil {
		r.err = asFailure(err)
		var de *dialError
		if errors.As(err, &de) {
			r.errno, r.errnoText = de.errno, de.text
		}
		return r
	}
	defer c.Close()
	st, err := c.status(v.feature, v.features || v.hasHandle)
	if re := (*wire.RedirectError)(nil); errors.As(err, &re) {
		r.follower = re
		return r
	}
	if err != nil {
		r.err = asFailure(err)
		if v.feature != "" && !served(c, v.feature) {
			r.err = &wire.Error{Code: wire.CodeNoSuchFeature, Detail: fmt.Sprintf("%s is not served by %s; lmstat -i lists the features it serves", v.feature, t.Spec())}
		}
		return r
	}
	r.status = st
	return r
}

// statusJSON is lmstat --json: one entry per server, its status or its failure.
type statusJSON struct {
	Servers []serverJSON `json:"servers"`
}

type serverJSON struct {
	Server string       `json:"server"`
	Status *wire.Status `json:"status,omitempty"`
	Error  *errorJSON   `json:"error,omitempty"`
	// Follower: a cluster node that follows, and the leader it names (doc/HA.md).
	Follower *wire.Redirect `json:"follower,omitempty"`
}

type errorJSON struct {
	Code   int    `json:"code"`
	Text   string `json:"text"`
	Detail string `json:"detail,omitempty"`
}

func (e *env) writeStatusJSON(results []statusResult) int {
	var out statusJSON
	exit := 0
	for _, r := range results {
		s := serverJSON{Server: r.target.Spec(), Status: r.status}
		if r.follower != nil {
			s.Follower = &r.follower.Redirect
		}
		if r.err != nil {
			s.Error = &errorJSON{Code: int(r.err.Code), Text: codeText(r.err.Code), Detail: r.err.Detail}
			exit = exitStatus(r.err)
		}
		out.Servers = append(out.Servers, s)
	}
	b, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		return e.fail(err)
	}
	fmt.Fprintln(e.stdout, string(b))
	return exit
}

// served reports whether the server's inventory has the feature, to tell "no such feature"
// apart from other failures of a feature's status.
func served(c *serverConn, feature string) bool {
	var res wire.QueryResult
	if err := c.call(&wire.Query{Kind: "inventory"}, &res); err != nil {
		return true // cannot tell: keep the server's answer
	}
	var items []wire.InventoryItem
	if err := json.Unmarshal(res.JSON, &items); err != nil {
		return true
	}
	for _, it := range items {
		if it.Feature == feature {
			return true
		}
	}
	return false
}
