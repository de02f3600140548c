package license

import (
	"fmt"
	"time"
)

// Names fixed by the manual.
const (
	// CitrixVendor is the vendor daemon name of every Citrix line ("VENDOR Line").
	CitrixVendor = "CITRIX"
	// StartupFeature is the feature of the "Citrix Start-up license" (lmstat: "CITRIX" v2038.0101).
	StartupFeature = "CITRIX"
	// DiagnosticsFeature is the feature of the "Citrix License Server Diagnostics License".
	DiagnosticsFeature = "CTXLSDIAG"
)

// Attr is one attribute of a line in file order: KEY=value, or a bare word (Value "").
// Quoted values are stored without their quotes, whitespace runs inside them collapsed to one
// space and trimmed, so a value does not depend on how the line was wrapped.
type Attr struct{ Key, Value string }

// SupersedeRef names a line switched off by SUPERSEDE_SIGN: its feature and its signature
// (normalised like Line.Sign).
type SupersedeRef struct{ Feature, Sign string }

// Line is one INCREMENT or FEATURE line ("INCREMENT Lines").
type Line struct {
	File    string // the file's name as given to Parse
	LineNo  int    // first physical line of the logical line
	EndLine int    // last physical line of the logical line

	Keyword string // "INCREMENT" or "FEATURE"
	Feature string
	Vendor  string
	Version string  // the version field as written ("2022.1201", "1.0")
	CSS     CSSDate // the version field parsed when it is YYYY.MMDD, else 0

	Expiry    time.Time // UTC midnight of the last usable day; zero when Permanent
	Permanent bool
	Count     int  // purchased licenses
	Uncounted bool // "uncounted" or 0 (other vendors' node-locked lines)

	VendorString VendorString
	Overdraft    int    // OVERDRAFT=
	DupGroup     string // DUP_GROUP=
	Issued       time.Time
	Start        time.Time
	Issuer       string
	Notice       string
	SN           string
	HostID       string // HOSTID= on the line itself (other vendors' node-locked lines)

	Sign          string // normalised: upper-case 4-hex groups separated by single spaces
	Supersede     []string
	SupersedeSign []SupersedeRef

	Attrs []Attr // every attribute in file order, SIGN and unknown ones included
}

// Where returns "file:line" for messages.
func (l *Line) Where() string { return fmt.Sprintf("%s:%d", l.File, l.LineNo) }

// Expired reports whether the line is past the end of its expiry day at now.
func (l *Line) Expired(now time.Time) bool { return Expired(l.Expiry, l.Permanent, now) }

// Pending reports whether the line's START date is still in the future at now ("Licenses
// with a future start date are not displayed in the License Server inventory until the actual
// start date").
func (l *Line) Pending(now time.Time) bool { return !l.Start.IsZero() && now.Before(l.Start) }

// Attr returns the value of the first attribute with the key (compared case-insensitively).
func (l *Line) Attr(key string) (string, bool) {
	for _, a := range l.Attrs {
		if equalFoldASCII(a.Key, key) {
			return a.Value, true
		}
	}
	return "", false
}

// ServerLine is a SERVER line ("SERVER Line"): SERVER this_host HOSTNAME=name, SERVER
// this_host ether, or another vendor's SERVER host hostid [port].
type ServerLine struct {
	LineNo   int
	Host     string // first field: "this_host" or a host name (informational, see Matches)
	HostID   string // the binding identifier as written: "HOSTNAME=x", "0123456789ab", "ANY"
	HostName string // set for HOSTNAME=x
	Ether    string // set for a MAC address, normalised (see NormalizeMAC)
	Port     int    // 0 when not given
	Attrs    []Attr // anything after the binding identifier
}

// VendorLine is a VENDOR (or DAEMON) line: VENDOR name [path] [[OPTIONS=]file] [[PORT=]port].
type VendorLine struct {
	LineNo  int
	Name    string
	Path    string
	Options string
	Port    int
}

// FriendlyName is a "#CITRIXTERM FEATURE 2.0 <FEATURE> <LANG> <name>|<model>" comment, which
// "the License Server [uses] to translate license FEATURES ... to Citrix product names".
type FriendlyName struct{ Feature, Lang, Name, ModelText string }

// Error is a problem in a license file, at a line, with a hint for the person who has to fix
// it.
type Error struct {
	File string
	Line int
	Msg  string
	Hint string
}

func (e *Error) Error() string {
	s := e.File
	if e.Line > 0 {
		s = fmt.Sprintf("%s:%d", e.File, e.Line)
	}
	s += ": " + e.Msg
	if e.Hint != "" {
		s += "; " + e.Hint
	}
	return s
}

// File is one parsed license file. Lines with errors are left out of Lines and described in
// Errors; every other line is kept.
type File struct {
	Path      string
	Servers   []ServerLine
	Vendors   []VendorLine
	UseServer bool
	Lines     []*Line
	Friendly  []FriendlyName
	Errors    []*Error
}

func equalFoldASCII(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'a' <= x && x <= 'z' {
			x -= 'a' - 'A'
		}
		if 'a' <= y && y <= 'z' {
			y -= 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}
