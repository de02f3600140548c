package main

import (
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/licd/licd/wire"
)

// codeNoLicenseFile is FLEXlm's -1, "Cannot find license file.": the utilities' answer to a
// -c that names no readable license file and no server address.
const codeNoLicenseFile = wire.CodeNoLicenseFile

// codeText is the catalogue text of c.
func codeText(c wire.Code) string { return c.Text() }

// asFailure turns any error into a coded failure: a denial or a connection failure keeps
// its code, anything else is an internal error.
func asFailure(err error) *wire.Error {
	var we *wire.Error
	if errors.As(err, &we) {
		return we
	}
	return &wire.Error{Code: wire.CodeInternal, Detail: err.Error()}
}

// failureText is a failure as FLEXlm writes it, "Text (code)", followed by what licd knows
// about where and what to do.
func failureText(f *wire.Error) string {
	s := codeText(f.Code) + " (" + strconv.Itoa(int(f.Code)) + ")"
	if f.Detail != "" {
		s += " " + f.Detail
	}
	return s
}

// exitStatus is FLEXlm's exit status for a failure: the error number modulo 256.
func exitStatus(f *wire.Error) int {
	if f == nil || f.Code == wire.OK {
		return 0
	}
	return f.Code.ExitStatus()
}

// fail prints "util: failure" on stderr, with hints for the codes a person can act on, and
// returns the exit status.
func (e *env) fail(err error) int {
	f := asFailure(err)
	fmt.Fprintf(e.stderr, "%s: %s\n", e.name, failureText(f))
	e.explain(f.Code)
	return exitStatus(f)
}

// explain prints what to do about a failure and, with -verbose, the longer description.
func (e *env) explain(c wire.Code) {
	if h := hint(c); h != "" {
		fmt.Fprintln(e.stderr, h)
	}
	if d := longDescription[c]; e.verbose && d != "" {
		fmt.Fprintln(e.stderr, d)
	}
}

// longDescription is -verbose's "longer description" of the failures a person meets.
var longDescription = map[wire.Code]string{
	wire.CodeCannotConnect: "The utility opened a TCP connection to the address and expected licd's greeting. " +
		"\"connection refused\" means nothing listens on that port: licd is not running, or listens on another port " +
		"(licd prints its ports when it starts; the defaults are 27000 and 7279). A time-out means a firewall or a wrong host. " +
		"A closed connection before the greeting means another program owns the port.",
	wire.CodeNotLocal: "Requests that change the server or show its users (lmreread, lmdown, udadmin, lmusers, lmservice) " +
		"are accepted only from the server's own machine, through a loopback address (127.0.0.1, ::1, localhost).",
	wire.CodeNotAuthorized: "licd writes a random admin token into its data directory (admin.token, readable only by " +
		"the user that runs licd) and accepts admin requests only with it. lmutil reads it from -data DIR, $LICD_DATA, " +
		"the data directory above a -c license file, or ./licd-data.",
	wire.CodeDisabled: "lmdown is disabled by default (\"Stop daemons (lmdown)\"); start licd with -allow-lmdown to permit it, " +
		"or stop licd with SIGTERM (Ctrl-C, systemctl stop).",
	codeNoLicenseFile: "-c takes license server addresses (port@host, @host, host:port, host) and license files or " +
		"directories, several separated by \";\". A path that does not exist is not tried as a host name.",
	wire.CodeNoSuchFeature: "The server serves no license of this feature: lmstat -i lists what it serves; a license " +
		"file copied into its license directory is served after lmreread (or within seconds, when licd notices it).",
	wire.CodeLicensedNumberReached: "Every license of the feature is in use. lmstat -a -f FEATURE shows who holds them.",
}

// hint says what to do about the failures a person can fix.
func hint(c wire.Code) string {
	switch c {
	case wire.CodeCannotConnect:
		return "Is licd running there? Start it (make run, or licd -data DIR), or give its address with -c port@host."
	case wire.CodeNotLocal:
		return "Run this command on the license server itself (-c @localhost): the server accepts it only from its own machine."
	case wire.CodeNotAuthorized:
		return "Run it as the user that runs licd, with -data DIR (or LICD_DATA) naming the server's data directory."
	case wire.CodeDisabled:
		return "The server's administrator has switched this off; see licd -help."
	case codeNoLicenseFile:
		return "Give -c port@host (27000@licserver), @host, or the path of a license file or directory."
	}
	return ""
}

// writeFailureLine writes a failure on w without a hint (for lines inside a report).
func writeFailureLine(w io.Writer, prefix string, f *wire.Error) {
	fmt.Fprintf(w, "%s%s\n", prefix, failureText(f))
}
