package license

// OptionsTemplate is the commented options file licd writes as CITRIX.opt on first start,
// as the manual's install does ("Options file"): every keyword licd acts on, with an example
// line commented out. An administrator uncomments what they need and runs lmreread.
// TestOptionsTemplate checks that every keyword of OptionsKeywords is in it and that each
// example parses cleanly once uncommented.
const OptionsTemplate = `# CITRIX.opt: the options file of the CITRIX vendor daemon (licd).
# Every line below is commented out: the server runs on its defaults. Uncomment a line,
# change the names, and run "lmreread -c @localhost" (no restart, no session dropped).
# lmreread and the vendor debug log report a line that licd cannot use, with its number.
#
# --- Who may use what ("Options file") ---
# Groups of users or of hosts, used by the rules below (USER_GROUP is the same as GROUP):
# GROUP helpdesk ann ben cat
# USER_GROUP contractors dan eve
# HOST_GROUP lab ws01 ws02 ws03
# GROUPCASEINSENSITIVE ON
#
# Allow only, or refuse, a user, host, group or IP address one feature, or every feature:
# INCLUDE XDT_PLT_CCS GROUP helpdesk
# EXCLUDE XDT_PLT_CCS USER mallory
# INCLUDEALL HOST_GROUP lab
# EXCLUDEALL INTERNET 10.9.*.*
#
# At most N licenses of a feature for a user, host or group:
# MAX 5 XDT_PLT_CCS GROUP contractors
#
# Keep N licenses of a feature for a user, host or group (others cannot take them):
# RESERVE 2 XDT_PLT_CCS GROUP helpdesk
#
# Check in a feature's licenses when the product's session has been idle this many seconds:
# TIMEOUT XDT_PLT_CCS 7200
# TIMEOUTALL 7200
#
# --- Logs ---
# The vendor debug log (default DATA/CITRIX.log); "+" appends instead of starting anew:
# DEBUGLOG +CITRIX.log
# The report log: every checkout, checkin and denial as JSON lines (REPORTLOG.md):
# REPORTLOG +report.log
# Leave checkins (IN), checkouts (OUT) or denials (DENIED) out of the debug log:
# NOLOG IN
#
# --- User/device licensing ("User/device license") ---
# Keep user@domain whole instead of cutting the domain off (the default truncates):
# UDUseDomain 1
# Fold user and device names: 0 as given, 1 to lower case, 2 to upper case:
# UDUserNameCase 1
# UDDeviceNameCase 1
#
# --- Data collection ("Citrix Licensing data collection programs") ---
# Which programs run: CEILOPTIN DIAGNOSTIC (Call Home), UNIDENTIFIED (CEIP) or NONE:
# CEILOPTIN NONE
# CALLHOME OFF
# CEIP OFF
`

// OptionsKeywords are the options-file keywords licd acts on (the template lists each).
var OptionsKeywords = []string{
	"GROUP", "USER_GROUP", "HOST_GROUP", "GROUPCASEINSENSITIVE", "INCLUDE", "EXCLUDE",
	"INCLUDEALL", "EXCLUDEALL", "MAX", "RESERVE", "TIMEOUT", "TIMEOUTALL", "DEBUGLOG",
	"REPORTLOG", "NOLOG", "UDUseDomain", "UDUserNameCase", "UDDeviceNameCase", "CEILOPTIN",
	"CALLHOME", "CEIP",
}
