package main

import (
	"context"
	"fmt"
	"io"
	"time"
)

// rereadReport is the server's answer to a reread (actors/daemon.ReadReport).
type rereadReport struct {
	Files    []string `json:"files"`
	Added    []string `json:"added"`
	Updated  []string `json:"updated"`
	Removed  []string `json:"removed"`
	Pending  []string `json:"pending"`
	Expired  []string `json:"expired"`
	Rejected []struct {
		File    string
		Line    int
		Feature string
		Reason  string
	} `json:"rejected"`
	Options []string `json:"options"`
}

// runLmreread is "Reread license and options files (lmreread)": the server rereads its
// license files and options file without dropping any session, and lmreread reports what
// changed. "You cannot use lmreread remotely; run it locally on the License Server": the
// server refuses a remote caller and one without its admin token.
func runLmreread(e *env, args []string) int {
	o, err := e.parse(map[string]optKind{"-vendor": needsValue}, args)
	if err != nil {
		return e.usageError(err)
	}
	if o.help() {
		return e.printHelp()
	}
	if v := o.val("-vendor"); o.has("-vendor") && v != "CITRIX" {
		return e.usageError(fmt.Errorf("lmreread: -vendor %s: licd's only vendor daemon is CITRIX", v))
	}
	timeout, err := timeoutOption(o)
	if err != nil {
		return e.usageError(err)
	}
	targets, err := e.targets(o)
	if err != nil {
		return e.fail(err)
	}
	if !o.has("-all") {
		// "-all: If more than one lmgrd is specified, this argument instructs all License
		// Manager daemons to reread"; without it, the first.
		targets = targets[:1]
	}
	token, err := e.adminToken(o, targets)
	if err != nil {
		return e.fail(err)
	}
	fmt.Fprintln(e.stdout, banner("lmreread"))
	exit := 0
	for _, t := range targets {
		rep, err := reread(t, token, o.has("-vendor"), timeout)
		if err != nil {
			exit = e.fail(err)
			continue
		}
		fmt.Fprintf(e.stdout, "lmreread successful: %s\n", t.Spec())
		writeRereadReport(e.stdout, rep)
	}
	return exit
}

// reread asks one server to reread its files; with vendor ("lmreread -vendor CITRIX"),
// also to start its vendor daemon again after lmdown -vendor.
func reread(t target, token string, vendor bool, timeout time.Duration) (*rereadReport, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	c, err := dial(ctx, t, timeout)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	rep := new(rereadReport)
	var args any
	if vendor {
		args = map[string]string{"vendor": "CITRIX"}
	}
	if err := c.admin(token, "reread", args, rep); err != nil {
		return nil, err
	}
	return rep, nil
}

// writeRereadReport lists what the reread found and changed.
func writeRereadReport(w io.Writer, r *rereadReport) {
	list := func(title string, items []string) {
		if len(items) == 0 {
			return
		}
		fmt.Fprintf(w, "  %s:\n", title)
		for _, s := range items {
			fmt.Fprintf(w, "    %s\n", s)
		}
	}
	fmt.Fprintf(w, "  license files: %d\n", len(r.Files))
	for _, f := range r.Files {
		fmt.Fprintf(w, "    %s\n", f)
	}
	if len(r.Added)+len(r.Updated)+len(r.Removed) == 0 {
		fmt.Fprintln(w, "  features: no change")
	}
	list("features added", r.Added)
	list("features updated", r.Updated)
	list("features removed", r.Removed)
	list("lines not yet started", r.Pending)
	list("lines expired", r.Expired)
	if len(r.Rejected) > 0 {
		fmt.Fprintln(w, "  lines rejected:")
		for _, x := range r.Rejected {
			where := x.File
			if x.Line > 0 {
				where = fmt.Sprintf("%s:%d", x.File, x.Line)
			}
			if x.Feature != "" {
				where += " " + x.Feature
			}
			fmt.Fprintf(w, "    %s: %s\n", where, x.Reason)
		}
	}
	list("options file", r.Options)
}
