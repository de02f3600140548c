package main

import (
	"fmt"
	"strings"
)

// universalHelp describes the "Universal arguments".
const universalHelp = `Universal arguments:
  -c list     license servers: @localhost, @host, port@host (27000@licserver), host:port,
              a license file or a directory of them (their SERVER lines name the server),
              several separated by ";". Default: $CITRIX_LICENSE_FILE, $LM_LICENSE_FILE,
              then @localhost.
  -all        all servers of the list, all information
  -t timeout  connection and request time-out, seconds (default 10)
  -data DIR   the server's data directory, where its admin token is (default $LICD_DATA,
              then that of the licd serving -c on this host, then ./licd-data); only for
              the commands an administrator runs on the server
  -verbose    longer descriptions of errors
  -help       this text`

// helpTexts are each utility's -help, after its synopsis.
var helpTexts = map[string]string{
	"lmstat": `Displays the status of a license server ("Determine licensing status (lmstat)").
  -a            all information: servers, vendor daemon, every feature and its checkouts
  -f [feature]  the checkouts of one feature, or of all
  -i [feature]  the INCREMENT lines (Feature Version #licenses Expires Vendor), one or all
  -s [server]   the license files and status of the servers, or of one
  -S [CITRIX]   the features of the CITRIX vendor daemon and the product servers using them
  -h handle     only the checkout with this license handle
  --json        the same status as JSON (for tools; the text stays FLEXlm's shape)
  -v            lmstat's version
Exit status: 0, or the error number modulo 256 (cannot connect, -15: 241).`,
	"lmdiag": `Diagnoses license checkout problems ("Diagnose checkout problems (lmdiag)"): checks that
the server's ports answer, then shows each feature's license details and makes a real test
checkout (and checkin), with the reason when it fails.
  feature                    only this feature
  feature:KEYWORD=value      only its lines whose KEYWORD has this value; KEYWORD is one of
                             VERSION, HOSTID, EXPDATE, KEY, VENDOR_STRING, ISSUER
  -n                         never prompt (without it, lmdiag asks before scanning other
                             ports when the server does not answer)
User/device licenses are assigned for 90 days by a checkout ("License assignment period"),
so lmdiag reports their capacity without checking one out.`,
	"lmdown": `Shuts down the license server ("Stop daemons (lmdown)"). licd allows it only when started
with -allow-lmdown, and only from the server's machine with its admin token.
  -q             do not prompt or print a header (otherwise: "Are you sure? [y/n]: ")
  -all           every server of the list; implies -q
  -vendor CITRIX the vendor daemon only: licd serves it and the license manager in one
                 process, so both stop`,
	"lmhostid": `Reports this machine's host IDs, the binding identifiers license files are bound to
("Checks the license server binding information (lmhostid)").
  -ether     the MAC addresses (the default), several where there are several
  -internet  the IPv4 addresses
  -hostname  the host name (case-sensitive: it must match the license file exactly)`,
	"lmreread": `Makes the server reread its license files and options file ("Reread license and options
files (lmreread)") and reports what changed: features added, updated and removed, lines
rejected with their reasons, options-file warnings. Local only: run it on the server.
  -all           every server of the list
  -vendor CITRIX the Citrix vendor daemon (the only one licd has)`,
	"lminstall": `Installs licenses by license access code from the vendor's fulfilment service ("Install
licenses", "Use license access code"); the server must be started with -fulfilment-url.
Local only. The server allocates the licenses to itself, downloads the signed license file,
checks every line's signature and installs it as fulfil-ALLOCATION.lic, like an uploaded
file; when any of that fails nothing is installed and the allocation is given back.
  -code CODE          the license access code from the vendor's e-mail
  -list               with -code: its entitlements ("Display Licenses")
  -entitlement ID     with -code: which entitlement (its id or feature); needed when the
                      code has several
  -qty N              with -code: how many licenses to install (default: all available)
  -return ALLOCATION  delete the allocation's license file and give its licenses back
                      ("Return allocations")
  -installed          the licenses installed by access code, with their allocations
  --json              the answer as JSON
Default time-out 120 s (-t): the server calls the vendor's service.`,
	"lmrenew": `Checks for and installs Customer Success Services renewal licenses ("Check for and install
Customer Success Services renewal licenses", "Update licenses"). The server checks weekly by
itself unless the renewal action is manual; with the action auto it installs what it finds,
with notify it raises an alert. Local only.
  -check         check now ("Check for Available Renewals"); with the action auto, install
  -list          the renewals available and those installed in the last 30 days
  -install [SN]  install the renewal of this serial number, or every one available
                 ("Download and Install")
  --json         the answer as JSON
The action is the renewal_action setting (notify, auto, manual; licd -renewal-action), the
manual's SARenewalCheckOption (Notify, Install, Manual). Default time-out 120 s (-t).`,
	"lmcksum": `Prints a checksum for each license line, so that a line copied by hand can be compared
with the original (ck=NNN, the sum of the bytes the line's signature covers, modulo 256).
Lines that carry ck= are checked against it. Reads the -c license files, or the files a
local server serves.
  feature   only this feature's lines`,
	"lmver": `Displays version information for the licensing binaries ("Display versions of binaries
(lmver)"): lmver alone for lmutil; lmver lmdiag (or any utility) for this binary; lmver PATH
for another Go binary (licd, licgen).`,
	"udadmin": `Displays the licensed users and devices and releases licenses for users or devices
("Display or release licenses for users or devices (udadmin)"). User/device licenses only;
local only. Usage data is as of each feature's last optimization.
  -list            the users and devices with licenses
  -times           with -list: the time of each assignment
  -a               with -list: every feature, its version and counts
  -f feature       only this feature (with -list or -delete)
  -user name       with -delete: release this user's license
  -device name     with -delete: release this device's license
  -delete          release one user or device of one feature (-f and -user or -device)
  -events          the user/device events of each feature, in time order
  --json           -list as JSON
Release a license only for an employee who left or is on extended leave, or a device out
of service; releasing before the 90-day lease may violate the EULA.`,
	"lmusers": `Manages the accounts of the licensing console (the counterpart of CtxManageUserAndGroup,
"Administrator and User roles"): administrators can use the console and change the
server; users have read-only access. Passwords are read from the terminal (twice) or from
the first line of standard input, never from the command line. Local only.
  -list                      the accounts and their roles
  -useradd name -role R      add an account; R is admin or user
  -setrole name -role R      change an account's role
  -userdel name              remove an account
  --json                     -list as JSON`,
	"lmservice": `Switches the License Management Service, the electronic reporting of basic licensing
data, on or off ("Using the command line to enable or disable the License Management
Service"); kept in the server's settings. Local only.
  -enable    enable electronic reporting
  -disable   disable it (you agree to manual reporting)
  -query     show the current configuration, the data collection programs that run and
             the last upload`,
	"telemetry": `The usage data programs and their bundles ("Citrix Licensing data collection programs",
"Reporting options"; actors/telemetry/SCHEMA.md says what each holds). Local only.
  -status        the data-sharing choice, the programs that run, what leaves the machine,
                 the next run and the last upload's result (the default)
  -list          the bundles written to DATA/usage, newest first
  -show NAME     a bundle's manifest and reports, as they would be sent
  -upload        write fresh bundles and upload them now (at most every five minutes)
  --json         the answer as JSON`,
	"supportbundle": `Makes a support bundle on the server and downloads it ("Support Bundle": configuration
and effective settings, public certificates and keys, logs, the license directory and the
options file, user/device and session state, historical usage, the last usage bundles and
upload result, store statistics and a consistency check, versions). It never holds a
private key, the admin token, a password hash, an API token, the de-identification secret
or proxy credentials. Local only.
  -o FILE   where to write it (default: its name on the server, in this directory)`,
}

// printHelp prints a utility's -help and returns 0.
func (e *env) printHelp() int {
	u := findUtility(e.name)
	fmt.Fprintln(e.stdout, banner(e.name))
	fmt.Fprintln(e.stdout, "usage: "+u.usage)
	if len(u.aliases) > 0 {
		fmt.Fprintln(e.stdout, "       (also runs as "+strings.Join(u.aliases, ", ")+")")
	}
	fmt.Fprintln(e.stdout)
	fmt.Fprintln(e.stdout, helpTexts[u.name])
	if u.name != "lmhostid" && u.name != "lmver" {
		fmt.Fprintln(e.stdout)
		fmt.Fprintln(e.stdout, universalHelp)
	}
	return 0
}
