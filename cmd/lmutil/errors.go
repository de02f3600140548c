package main

import (
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/licd/licd/wire"
)

// codeNoLicenseFile is FLEXlm's -1, "Cannot find license file.": the utilities' answer to a
// -c that names no readable license file and no server address. It is a utility-side code,
// never sent on the wire.
const codeNoLicenseFile wire.Code = -1

// codeText is the catalogue text of c, including the utility-side codes.
func codeText(c wire.Code) string {
	if c == codeNoLicenseFile {
		return "Cannot find license file."
	}
	return c.Text()
}

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
	if h := hint(f.Code); h != "" {
		fmt.Fprintln(e.stderr, h)
	}
	return exitStatus(f)
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
