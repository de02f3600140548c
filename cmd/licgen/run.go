package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// Exit statuses.
const (
	exitOK      = 0
	exitProblem = 1 // bad lines, parse errors, failed commands
	exitUsage   = 2 // wrong command line
)

const usage = `licgen: keys, license files and signatures for licd.

Usage:
  licgen keygen -out DIR
      Write a new Ed25519 key pair: DIR/vendor.key (secret, mode 0600) and DIR/vendor.pub.

  licgen issue -key vendor.key (-host NAME | -ether MAC) -feature F -count N
               [-css YYYY.MMDD] [-expires dd-mmm-yyyy|permanent] [-start dd-mmm-yyyy]
               [-overdraft N] [-vendor-string S] [-dup-group G] [-notice S] [-sn S]
               [-issued dd-mmm-yyyy] [-o file.lic]
      Print a signed license file with one INCREMENT line (one feature per invocation;
      concatenate the INCREMENT lines of several files, or use sign, for more).
      Defaults: -css the issue date, -expires permanent, -issued today, -dup-group V,
      -vendor-string ";LT=Retail;GP=720;SA=0", -overdraft 10% of the count rounded up for
      user/device (UD), per-user (USR), per-device (DEV) and named-user (NU) features, none
      for the others ("License overdraft").

  licgen startup -key vendor.key -host NAME [-o citrix_startup.lic]
      Print the start-up license file (CITRIX and CTXLSDIAG) for a License Server host.

  licgen sign -key vendor.key [-o out.lic] template.lic
      Sign every INCREMENT and FEATURE line of a hand-written file; comments, SERVER and
      VENDOR lines are kept. Prints to standard output unless -o is given.

  licgen verify -pub vendor.pub [-pub other.pub] file.lic...
      Check the signature of every line; one verdict a line. Exit status 1 when any line
      is bad or a file has errors.

  licgen inspect [--json] file...
      Show the parsed structure of any FLEXlm-style license file, signatures not checked.
      Exit status 1 when a file has errors.

  licgen entitle -store FILE -code CODE -feature F -count N [-customer NAME]
                 [-css YYYY.MMDD] [-expires dd-mmm-yyyy|permanent] [-vendor-string S]
                 [-overdraft N]
      Add an entitlement to a license access code in the fulfilment service's store.

  licgen renew -store FILE -code CODE [-entitlement ID] -css YYYY.MMDD
      Move an entitlement's CSS date forward (a Customer Success Services renewal).

  licgen serve -key vendor.key -store FILE [-addr HOST:PORT] [-tls-cert F -tls-key F |
               -tls-cert-out F] [-tls-hosts names] [-ready-file F]
      Serve the fulfilment API over HTTPS (cmd/licgen/FULFILMENT.md): entitlements by
      license access code, allocations to a License Server host, signed license files,
      renewal lookup. Stops on SIGTERM or Ctrl-C.

Exit status: 0 success, 1 a problem with a file or line, 2 a wrong command line.
`

// run is licgen without the process: tests call it in-process.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	cmd, rest := args[0], args[1:]
	var err error
	switch cmd {
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, usage)
		return exitOK
	case "keygen":
		err = keygen(rest, stdout)
	case "issue":
		err = issue(rest, stdout)
	case "startup":
		err = startup(rest, stdout)
	case "sign":
		err = sign(rest, stdout, stderr)
	case "verify":
		err = verify(rest, stdout)
	case "inspect":
		err = inspect(rest, stdout)
	case "entitle":
		err = entitle(rest, stdout)
	case "renew":
		err = renew(rest, stdout)
	case "serve":
		err = serve(rest, stdout, stderr)
	default:
		fmt.Fprintf(stderr, "licgen: unknown command %q; the commands are keygen, issue, startup, sign, verify, inspect, entitle, renew and serve\n\n%s", cmd, usage)
		return exitUsage
	}
	var ue usageError
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, flag.ErrHelp):
		fmt.Fprint(stdout, usage)
		return exitOK
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "licgen %s: %v\nRun `licgen -help` for the usage.\n", cmd, err)
		return exitUsage
	case errors.Is(err, errReported):
		return exitProblem
	default:
		fmt.Fprintf(stderr, "licgen %s: %v\n", cmd, err)
		return exitProblem
	}
}

// usageError is a wrong command line.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

// errReported means the problems were already printed, one per line.
var errReported = errors.New("problems reported")

// newFlags makes a flag set that reports errors as usage errors instead of printing.
func newFlags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

// parseFlags parses flags that may come before or after the file arguments.
func parseFlags(fs *flag.FlagSet, args []string) ([]string, error) {
	var files []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, usageError{err.Error()}
		}
		args = fs.Args()
		if len(args) == 0 {
			return files, nil
		}
		files = append(files, args[0])
		args = args[1:]
	}
}

// listFlag is a flag that may be given more than once.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(s string) error { *l = append(*l, s); return nil }
