// Command lmutil is licd's FLEXlm-style administration utilities in one binary, busybox
// style ("Display the list of licensing utilities (lmutil)"): `lmutil` alone lists the
// utilities, `lmutil lmstat -a -c 27000@localhost` runs one, and the same binary called
// through a link named after a utility (`lmstat`, `lmdiag`, ... as `make build` makes them)
// runs that utility. Each utility talks to a running licd over the product protocol's
// status and admin requests (wire/PROTOCOL.md).
//
// Exit status is FLEXlm's: 0 on success, the error number modulo 256 on failure (-15,
// cannot connect, exits 241); usage errors exit 2.
package main

import (
	"fmt"
	"github.com/licd/licd/cmd/internal/locate"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

func main() {
	os.Exit(run(filepath.Base(os.Args[0]), os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// utility is one of the commands lmutil runs.
type utility struct {
	name    string
	aliases []string // other names it answers to (the manual's Windows tool names)
	usage   string   // the one-line synopsis lmutil lists
	run     func(e *env, args []string) int
}

// utilities is the table of commands, in the order lmutil lists them.
var utilities []utility

func init() {
	utilities = []utility{
		{name: "lmstat", usage: "lmstat [-a] [-c license_file_list] [-f [feature]] [-i [feature]] [-s [server]] [-S [CITRIX]] [-t timeout] [-h handle] [--json] [-v]", run: runLmstat},
		{name: "lmdiag", usage: "lmdiag [-c license_file_list] [-n] [feature[:keyword=value]]", run: runLmdiag},
		{name: "lmdown", usage: "lmdown [-c license_file_list] [-vendor CITRIX] [-q] [-all]", run: runLmdown},
		{name: "lmhostid", usage: "lmhostid [-ether | -internet | -hostname]", run: runLmhostid},
		{name: "lmreread", usage: "lmreread [-c license_file_list] [-all] [-vendor CITRIX]", run: runLmreread},
		{name: "lmcksum", usage: "lmcksum [-c license_file_list] [feature]", run: runLmcksum},
		{name: "lmver", usage: "lmver [binary]", run: runLmver},
		{name: "udadmin", usage: "udadmin [-f feature] [-user name] [-device name] [-a] [-delete | -events | -list [-times]]", run: runUdadmin},
		{name: "lmusers", aliases: []string{"CtxManageUserAndGroup"}, usage: "lmusers -list | -useradd name -role admin|user | -useradd name -Role adminGroup|userGroup [-members a,b] | -setrole name -role admin|user | -userdel name", run: runLmusers},
		{name: "lminstall", usage: "lminstall -code CODE [-list | [-entitlement ID|FEATURE] [-qty N]] | -return ALLOCATION | -installed [--json]", run: runLminstall},
		{name: "lmrenew", usage: "lmrenew -check | -list | -install [SN] [--json]", run: runLmrenew},
		{name: "lmservice", aliases: []string{"ctx_license_management_service"}, usage: "lmservice -enable | -disable | -query", run: runLmservice},
		{name: "telemetry", usage: "telemetry [-status | -list | -show bundle | -upload] [--json]", run: runTelemetry},
		{name: "supportbundle", usage: "supportbundle [-o file.zip]", run: runSupportbundle},
	}
}

// env is what a utility runs with: its streams and where to find the server's data
// directory. Tests run utilities in-process with their own env.
type env struct {
	name           string // the utility's name as invoked, for messages
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
	now            func() time.Time
	verbose        bool // -verbose: "Displays a longer description for all errors found"
	// locate names the data directories of the licd servers running on this host (their
	// locator files, the system configuration), those serving one of ports first; nil in
	// tests that must not see the host's servers.
	locate func(ports []int) []string
}

// run runs the utility called name (the program's base name, or "lmutil" followed by a
// utility in args) and returns the exit status.
func run(name string, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	e := &env{stdin: stdin, stdout: stdout, stderr: stderr, getenv: os.Getenv, now: time.Now,
		locate: func(ports []int) []string { return locate.Find(os.Getenv, ports) }}
	return e.dispatch(name, args)
}

func (e *env) dispatch(name string, args []string) int {
	name = strings.TrimSuffix(strings.TrimSuffix(name, ".exe"), ".EXE")
	if u := findUtility(name); u != nil {
		e.name = u.name
		return u.run(e, args)
	}
	// Called as lmutil (or under a name that is no utility's): the first argument names
	// the utility ("lmutil other_command").
	e.name = "lmutil"
	if len(args) == 0 {
		listUtilities(e.stdout)
		return 0
	}
	switch args[0] {
	case "-help", "--help", "-h", "-?", "help":
		listUtilities(e.stdout)
		return 0
	case "-v", "--version", "-version":
		return e.dispatch("lmver", nil)
	}
	u := findUtility(args[0])
	if u == nil {
		fmt.Fprintf(e.stderr, "lmutil: %q is not a licensing utility; the utilities are: %s\n", args[0], strings.Join(utilityNames(), ", "))
		return exitUsage
	}
	e.name = u.name
	return u.run(e, args[1:])
}

func findUtility(name string) *utility {
	for i := range utilities {
		u := &utilities[i]
		if strings.EqualFold(name, u.name) || slices.ContainsFunc(u.aliases, func(a string) bool { return strings.EqualFold(a, name) }) {
			return u
		}
	}
	return nil
}

func utilityNames() []string {
	names := make([]string, len(utilities))
	for i, u := range utilities {
		names[i] = u.name
	}
	return names
}

// listUtilities is what lmutil alone prints ("The lmutil command displays a list of
// licensing utilities when used standalone").
func listUtilities(w io.Writer) {
	fmt.Fprintln(w, banner("lmutil"))
	for i, u := range utilities {
		lead := "       "
		if i == 0 {
			lead = "usage: "
		}
		fmt.Fprintf(w, "%slmutil %s\n", lead, u.usage)
	}
	fmt.Fprintln(w, "\nEach utility also runs by its own name (a link to lmutil named lmstat, lmdiag, ...).")
	fmt.Fprintln(w, "lmutil UTILITY -help describes one utility.")
}
