package license

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"sort"
	"time"
)

// The options file ("Options file", "Licensing elements"): the CITRIX.opt that the vendor
// daemon reads at start and on every lmreread. It "defines licensing behavior—the number of
// licenses a product server can use, the location of the System Logs, logging levels, and
// other user-defined customizations", and "the Customer Experience Improvement Program (CEIP)
// and Call Home configurations are stored in this file".
//
// Keywords licd understands (one per logical line; keywords and types are case-insensitive;
// a line starting with '#' is a comment; a line ending in '\' continues on the next; a
// double-quoted field may hold spaces):
//
// The FLEXlm keywords, with the meaning public FlexNet end-user documentation gives them:
//
//	INCLUDE    feature[:kw=value] type name   only the included may use the feature
//	INCLUDEALL type name                      INCLUDE for every feature
//	EXCLUDE    feature[:kw=value] type name   the excluded may not use the feature (wins over INCLUDE)
//	EXCLUDEALL type name                      EXCLUDE for every feature
//	MAX        num feature[:kw=value] type name   at most num licenses to that user/host/group (a group together)
//	RESERVE    num feature[:kw=value] type name   num licenses kept for the user/host/group
//	GROUP      name user...                   a user group; repeated lines add members (USER_GROUP is an alias)
//	HOST_GROUP name host...                   a host group; repeated lines add members
//	GROUPCASEINSENSITIVE ON|OFF               ON: user, host and group names match without case (default OFF)
//	TIMEOUT    feature seconds                an idle license of the feature is taken back after seconds
//	TIMEOUTALL seconds                        TIMEOUT for every feature
//	NOLOG      IN|OUT|DENIED|QUEUED           the debug log leaves out that kind of event
//	DEBUGLOG   [+]path                        where the vendor debug log goes; '+' appends instead of overwriting
//	REPORTLOG  [+]path                        where the report log goes; '+' appends
//
// type is USER, HOST, DISPLAY, GROUP or HOST_GROUP (INTERNET and PROJECT are kept but not
// enforced: the gate does not see client addresses or projects). MAX accepts USER ALL_USERS:
// every user separately, unless that user has a MAX line of their own for the feature.
//
// licd's own keywords for the settings the manual keeps in the registry, named after the
// manual so that an administrator finds them there:
//
//	UDUseDomain 0|1            "Disable the domain name truncation": 0 (default) truncates
//	                           user@domain to user; 1 keeps the domain
//	UDUserNameCase 0|1|2       user name case folding for user/device licensing: 0 no change
//	                           (default), 1 lower, 2 upper (also NOCHANGE, TOLOWER, TOUPPER)
//	UDDeviceNameCase 0|1|2     the same for device names
//	CEILOPTIN DIAGNOSTIC|UNIDENTIFIED|ANON|NONE
//	                           the data-collection choice, as the installer's CEILOPTIN takes it:
//	                           DIAGNOSTIC is Call Home, UNIDENTIFIED (or ANON) is CEIP, NONE is neither
//	CALLHOME ON|OFF            Call Home alone ("Citrix Licensing Call Home"; CALL_HOME also works)
//	CEIP ON|OFF                CEIP alone ("Citrix Licensing Customer Experience Improvement Program")
//
// Unknown keywords are warnings, never failures; a malformed line of a known keyword is an
// error that skips that line while the rest of the file loads, so that one typo does not take
// every rule away on an lmreread.

// OptionsIssue is one finding about one line of an options file: a warning (the line was
// ignored or only partly applies) or an error (the line was skipped).
type OptionsIssue struct {
	File string
	Line int
	Msg  string // what is wrong
	Hint string // what to do about it
}

// Error reads "file:line: msg; hint".
func (i OptionsIssue) Error() string {
	if i.Hint == "" {
		return fmt.Sprintf("%s:%d: %s", i.File, i.Line, i.Msg)
	}
	return fmt.Sprintf("%s:%d: %s; %s", i.File, i.Line, i.Msg, i.Hint)
}

// NameCase is how user or device names are case-folded for user/device licensing, with the
// manual's numbering ("Citrix Licensing Call Home data elements": UDUserNameCase and
// UDDeviceNameCase, "0=nochange; 1=tolower; 2=toupper").
type NameCase uint8

// Name case foldings.
const (
	CaseUnchanged NameCase = 0
	CaseLower     NameCase = 1
	CaseUpper     NameCase = 2
)

func (c NameCase) String() string {
	switch c {
	case CaseUnchanged:
		return "NOCHANGE"
	case CaseLower:
		return "TOLOWER"
	case CaseUpper:
		return "TOUPPER"
	}
	return fmt.Sprintf("NameCase(%d)", uint8(c))
}

// Options is a parsed options file. It is read-only once ParseOptions returns: Gates and the
// daemon share it.
type Options struct {
	Path string // the file as named to ParseOptions or LoadOptionsFile

	// NOLOG IN|OUT|DENIED|QUEUED: kinds of events the debug log leaves out.
	NoLogIn, NoLogOut, NoLogDenied, NoLogQueued bool

	// DEBUGLOG and REPORTLOG paths as written, without the leading '+' that asks to append;
	// the Append flags keep it. Empty when the file does not say.
	DebugLog, ReportLog             string
	DebugLogAppend, ReportLogAppend bool

	// TIMEOUTALL and TIMEOUT feature seconds; zero TimeoutAll means none. See Timeout.
	TimeoutAll time.Duration
	Timeouts   map[string]time.Duration

	// Server settings the manual keeps in the registry, accepted here as licd's keywords.
	UDUseDomain          bool // "Disable the domain name truncation": false truncates user@domain
	UserCase, DeviceCase NameCase
	CallHome, CEIP       *bool // the data-collection choice; nil when the file does not say

	// GROUPCASEINSENSITIVE ON.
	GroupCaseInsensitive bool

	// Rules are the INCLUDE(ALL), EXCLUDE(ALL), MAX and RESERVE lines that loaded, in file
	// order, with their groups known to exist.
	Rules []OptRule
	// Groups and HostGroups map a group name, as first written, to its members in file order.
	Groups, HostGroups map[string][]string

	Warnings []OptionsIssue // lines ignored or only partly applied; the rest loaded
	Errors   []OptionsIssue // malformed lines of known keywords, each skipped; the rest loaded
}

// LoadOptionsFile reads and parses the options file at path. A missing file is not an error:
// the server runs without options, as it would with an empty file. The error is only for a
// file that exists but cannot be read: like a license file, it must be a regular file of at
// most MaxFileBytes, read without blocking (ReadRegularFile).
func LoadOptionsFile(path string) (*Options, error) {
	data, err := ReadRegularFile(path, MaxFileBytes)
	if errors.Is(err, fs.ErrNotExist) {
		return &Options{Path: path}, nil
	}
	if re := (*RefusedError)(nil); errors.As(err, &re) {
		return nil, fmt.Errorf("options file %s is not read: it is %s; put a regular options file there, or remove it", path, re.Reason)
	}
	if err != nil {
		return nil, fmt.Errorf("options file %s: %w (check that the file is readable by the license server)", path, err)
	}
	return ParseOptions(path, bytes.NewReader(data))
}

// ParseOptions parses an options file read from r; name is used for Path and in every issue.
// The error is only for reading r: what is wrong with lines is in Warnings and Errors.
func ParseOptions(name string, r io.Reader) (*Options, error) {
	lines, err := readOptionLines(r)
	if err != nil {
		return nil, fmt.Errorf("options file %s: %w", name, err)
	}
	p := optParser{o: &Options{Path: name}}
	for _, l := range lines {
		p.line(l)
	}
	p.resolveRules()
	sortIssues(p.o.Warnings)
	sortIssues(p.o.Errors)
	return p.o, nil
}

// sortIssues orders issues by line: rules are checked after the whole file is read (a group
// may be defined below its use), so their errors would otherwise come last.
func sortIssues(s []OptionsIssue) {
	sort.SliceStable(s, func(i, j int) bool { return s[i].Line < s[j].Line })
}

// Timeout is the idle timeout for feature: its TIMEOUT line, else TIMEOUTALL; ok is false
// when neither applies. A nil *Options has none.
func (o *Options) Timeout(feature string) (d time.Duration, ok bool) {
	if o == nil {
		return 0, false
	}
	if d, ok := o.Timeouts[feature]; ok {
		return d, true
	}
	return o.TimeoutAll, o.TimeoutAll > 0
}
