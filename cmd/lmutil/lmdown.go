package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/licd/licd/wire"
)

// runLmdown is "Stop daemons (lmdown)": it asks the servers to shut down, which licd allows
// only when started with -allow-lmdown ("The lmdown command is disabled by default"), from
// its own machine, with its admin token.
func runLmdown(e *env, args []string) int {
	o, err := e.parse(map[string]optKind{"-q": noValue, "-vendor": needsValue}, args)
	if err != nil {
		return e.usageError(err)
	}
	if o.help() {
		return e.printHelp()
	}
	if v := o.val("-vendor"); o.has("-vendor") && v != "CITRIX" {
		return e.usageError(fmt.Errorf("lmdown: -vendor %s: licd's only vendor daemon is CITRIX", v))
	}
	timeout, err := timeoutOption(o)
	if err != nil {
		return e.usageError(err)
	}
	targets, err := e.targets(o)
	if err != nil {
		return e.fail(err)
	}
	token, err := e.adminToken(o, targets)
	if err != nil {
		return e.fail(err)
	}
	// "-q: Do not prompt or print a header"; "-q is implied with -all".
	quiet := o.has("-q") || o.has("-all")
	if !quiet {
		fmt.Fprintln(e.stdout, banner("lmdown"))
		fmt.Fprintf(e.stdout, "%-22s%s\n", "Port@Host", "Vendors")
		for i, t := range targets {
			fmt.Fprintf(e.stdout, "%-22s%s\n", strconv.Itoa(i+1)+") "+t.Spec(), "CITRIX")
		}
		fmt.Fprintln(e.stdout)
	}
	chosen := targets
	if len(targets) > 1 && !o.has("-all") {
		// "If lmdown encounters more than one server and you didn't specify the -all
		// argument, the command displays a choice of License Servers to shut down."
		if chosen = e.chooseTargets(targets); chosen == nil {
			fmt.Fprintln(e.stdout, "Nothing shut down.")
			return 0
		}
	} else if !quiet {
		if !yes(e.ask("Are you sure? [y/n]: ")) {
			fmt.Fprintln(e.stdout, "Nothing shut down.")
			return 0
		}
	}
	exit := 0
	for _, t := range chosen {
		if o.has("-vendor") {
			// "-vendor name: Shuts down only this vendor daemon. The License Manager daemon
			// continues running"; lmreread -vendor CITRIX starts it again.
			if err := stopVendor(t, token, timeout); err != nil {
				exit = e.fail(err)
				continue
			}
			if !quiet {
				fmt.Fprintf(e.stdout, "\tShut down the CITRIX vendor daemon at %s (lmreread -vendor CITRIX starts it again)\n", t.Spec())
			}
			continue
		}
		if err := shutdown(t, token, timeout); err != nil {
			exit = e.fail(err)
			continue
		}
		if !quiet {
			fmt.Fprintf(e.stdout, "\tShut down licd at %s\n", t.Spec())
		}
	}
	return exit
}

// chooseTargets asks which of several servers to shut down: numbers, or "a" for all.
func (e *env) chooseTargets(ts []target) []target {
	answer := e.ask(fmt.Sprintf("Shut down which license servers? (1-%d separated by spaces, a for all, or n): ", len(ts)))
	if strings.EqualFold(answer, "a") {
		return ts
	}
	var out []target
	for _, f := range strings.Fields(answer) {
		n, err := strconv.Atoi(f)
		if err == nil && n >= 1 && n <= len(ts) {
			out = append(out, ts[n-1])
		}
	}
	return out
}

// stopVendor asks one server to stop its vendor daemon only; the server answers first.
func stopVendor(t target, token string, timeout time.Duration) error {
	return adminCall(t, token, "shutdown", map[string]string{"vendor": "CITRIX"}, nil, timeout)
}

// shutdown asks one server to stop and waits (within timeout) until it is down: it has
// closed the connection and no longer accepts new ones. The server may close the connection
// before its answer arrives: that is success too, once it no longer accepts connections.
func shutdown(t target, token string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	c, err := dial(ctx, t, timeout)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.admin(token, "shutdown", nil, nil); err != nil && asFailure(err).Code != wire.CodeCannotConnect {
		return err // a denial: not allowed, not authorised, not local
	}
	deadline := time.Now().Add(timeout)
	_ = c.nc.SetDeadline(deadline)
	for {
		if _, err := c.fr.Next(); err != nil {
			break
		}
	}
	for time.Now().Before(deadline) {
		probe, err := dial(ctx, t, time.Second)
		if err != nil {
			return nil
		}
		probe.Close()
		time.Sleep(50 * time.Millisecond) // closing its listeners is the server's first step
	}
	return &wire.Error{Code: wire.CodeInternal, Detail: fmt.Sprintf("%s accepted the shutdown but still accepts connections after %s", t.Spec(), timeout)}
}
