package main

import (
	"fmt"
	"net"
	"strings"

	"github.com/licd/licd/license"
	"github.com/licd/licd/wire"
)

// runLmhostid is "Checks the license server binding information (lmhostid)": this
// machine's host IDs of one kind, several where there are several ("Citrix Licensing ...
// allows you to display multiple host IDs if there are more than one host").
func runLmhostid(e *env, args []string) int {
	own := map[string]optKind{"-ether": noValue, "-internet": noValue, "-hostname": noValue}
	o, err := e.parse(own, args)
	if err != nil {
		return e.usageError(err)
	}
	if o.help() {
		return e.printHelp()
	}
	kinds := 0
	for _, k := range []string{"-ether", "-internet", "-hostname"} {
		if o.has(k) {
			kinds++
		}
	}
	if kinds > 1 || len(o.args) > 0 {
		return e.usageError(fmt.Errorf("lmhostid: give one of -ether, -internet or -hostname"))
	}
	var ids []string
	var what string
	switch {
	case o.has("-hostname"):
		// "The parameter hostname is case-sensitive and must match your License Server
		// name exactly": printed as the system reports it.
		h, err := license.ThisHost()
		if err != nil {
			return e.fail(err)
		}
		ids, what = []string{"HOSTNAME=" + h.Hostname}, "host name"
	case o.has("-internet"):
		ips, err := internetIDs()
		if err != nil {
			return e.fail(err)
		}
		ids, what = ips, "IPv4 address"
	default: // -ether, FLEXlm's default
		h, err := license.ThisHost()
		if err != nil {
			return e.fail(err)
		}
		ids, what = h.MACs, "MAC address"
	}
	fmt.Fprintln(e.stdout, banner("lmhostid"))
	if len(ids) == 0 {
		return e.fail(&wire.Error{Code: wire.CodeInternal, Detail: fmt.Sprintf("this machine has no %s to bind licenses to; try lmhostid -hostname", what)})
	}
	fmt.Fprintf(e.stdout, "The host ID of this machine is %q\n", strings.Join(ids, " "))
	if len(ids) > 1 {
		fmt.Fprintf(e.stdout, "Only use ONE of the host IDs above (one %s each), not all of them.\n", what)
	}
	return 0
}

// internetIDs are this machine's IPv4 addresses outside loopback, as INTERNET=a.b.c.d.
func internetIDs() ([]string, error) {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return nil, fmt.Errorf("list this machine's addresses: %w", err)
	}
	var out []string
	for _, a := range addrs {
		ipn, ok := a.(*net.IPNet)
		if !ok || ipn.IP.IsLoopback() {
			continue
		}
		if v4 := ipn.IP.To4(); v4 != nil {
			out = append(out, "INTERNET="+v4.String())
		}
	}
	return out, nil
}
