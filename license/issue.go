package license

import (
	"crypto/ed25519"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// IssueSpec describes a license file to issue: its binding and its INCREMENT lines.
type IssueSpec struct {
	HostName string // SERVER this_host HOSTNAME=<HostName>; or
	Ether    string // SERVER this_host <MAC address>
	Lines    []LineSpec
}

// LineSpec describes one INCREMENT line.
type LineSpec struct {
	Feature   string  // PRODUCT_EDITION_MODEL, or CITRIX / CTXLSDIAG
	Count     int     // purchased licenses, > 0
	CSS       CSSDate // required
	Expiry    time.Time
	Permanent bool // exactly one of Expiry and Permanent
	Start     time.Time
	// Overdraft is OVERDRAFT=; -1 asks for the default: 10% of Count rounded up for models
	// with overdraft ("License overdraft"), 0 for the others.
	Overdraft    int
	VendorString string
	Notice       string
	SN           string
	Issued       time.Time
	DupGroup     string
	Issuer       string // ISSUER=, the license's issuer (lmdiag FEATURE:ISSUER=...)
}

// DefaultOverdraft is the overdraft a line of the model gets by default: "an additional 10%
// of extra licenses beyond the purchased quantity" for user/device, user and device licenses,
// rounded up; none for the others ("License overdraft").
func DefaultOverdraft(m Model, count int) int {
	if !m.HasOverdraft() || count <= 0 {
		return 0
	}
	return (count + 9) / 10
}

// IssueFile returns the text of a signed license file: a SERVER line binding it to the host,
// VENDOR CITRIX, USE_SERVER, and one signed INCREMENT line per LineSpec. It is what
// `licgen issue` prints.
func IssueFile(spec IssueSpec, priv ed25519.PrivateKey) (string, error) {
	return issueText(spec, priv, nil, "# Issued by licgen. Do not edit: any change makes the license lines unusable (\"License file format\").")
}

// The start-up licenses: "Citrix Start-up license" and "Citrix License Server Diagnostics
// License", as lmstat lists them ("CITRIX" v2038.0101, vendor_string: ;LT=SYS;GP=720;SA=0).
const (
	StartupCount        = 10000
	StartupCSS          = CSSDate(20380101)
	StartupVendorString = ";LT=SYS;GP=720;SA=0"
	// StartupFileName is the start-up license file's name ("citrix_startup.lic").
	StartupFileName = "citrix_startup.lic"
)

// StartupLicenseFile returns the text of citrix_startup.lic for a host: SERVER this_host
// HOSTNAME=<hostname>, VENDOR CITRIX, USE_SERVER, and INCREMENT lines for CITRIX (the start-up
// license products hold while they are connected) and CTXLSDIAG (diagnostics), each 10000
// licenses, permanent, CSS 2038.0101, signed, with their #CITRIXTERM friendly names. "The
// startup license file does not affect your license count": it is a pool of its own.
func StartupLicenseFile(hostname string, priv ed25519.PrivateKey) (string, error) {
	spec := IssueSpec{HostName: hostname}
	for _, f := range []string{StartupFeature, DiagnosticsFeature} {
		spec.Lines = append(spec.Lines, LineSpec{Feature: f, Count: StartupCount, CSS: StartupCSS, Permanent: true,
			VendorString: StartupVendorString})
	}
	friendly := []FriendlyName{
		{Feature: StartupFeature, Lang: "EN", Name: "Citrix Start-up License", ModelText: "Server"},
		{Feature: DiagnosticsFeature, Lang: "EN", Name: "Citrix License Server Diagnostics License", ModelText: "Server"},
	}
	return issueText(spec, priv, friendly, "# "+StartupFileName+": the start-up licenses of this License Server. Do not edit (\"Citrix Start-up license\").")
}

func issueText(spec IssueSpec, priv ed25519.PrivateKey, friendly []FriendlyName, header string) (string, error) {
	if len(priv) != ed25519.PrivateKeySize {
		return "", fmt.Errorf("issue license file: no Ed25519 private key; read one with ReadPrivateKey (licgen keygen makes one)")
	}
	var b strings.Builder
	b.WriteString("# This file is in UTF-8 format.\n")
	b.WriteString(header + "\n")
	switch {
	case spec.HostName != "" && spec.Ether != "":
		return "", fmt.Errorf("issue license file: give a host name or a MAC address to bind the file to, not both")
	case spec.HostName != "":
		if !validName(spec.HostName) {
			return "", fmt.Errorf("issue license file: host name %q has characters a host name cannot have", spec.HostName)
		}
		b.WriteString("SERVER this_host HOSTNAME=" + spec.HostName + "\n")
	case spec.Ether != "":
		mac, ok := NormalizeMAC(spec.Ether)
		if !ok {
			return "", fmt.Errorf("issue license file: %q is not a MAC address (12 hex digits, optionally in pairs separated by : or -)", spec.Ether)
		}
		b.WriteString("SERVER this_host " + mac + "\n")
	default:
		return "", fmt.Errorf("issue license file: give the License Server's host name or MAC address; a file is bound to one server (\"SERVER Line\")")
	}
	b.WriteString("VENDOR " + CitrixVendor + "\nUSE_SERVER\n")
	if len(spec.Lines) == 0 {
		return "", fmt.Errorf("issue license file: no INCREMENT lines to issue")
	}
	for i, ls := range spec.Lines {
		l, err := buildLine(ls)
		if err != nil {
			return "", fmt.Errorf("issue license file: line %d (%s): %w", i+1, ls.Feature, err)
		}
		l.Sign = SignLine(priv, l)
		b.WriteString(FormatLine(l) + "\n")
	}
	if len(friendly) > 0 {
		b.WriteString("#\n#[English]\n")
		for _, fn := range friendly {
			fmt.Fprintf(&b, "#CITRIXTERM FEATURE 2.0 %s %s %s|%s\n", fn.Feature, fn.Lang, fn.Name, fn.ModelText)
		}
	}
	return b.String(), nil
}

// buildLine turns a LineSpec into an unsigned line, checking it the way the parser would.
func buildLine(ls LineSpec) (*Line, error) {
	model, err := ModelOfFeature(ls.Feature)
	if err != nil {
		return nil, err
	}
	if ls.Count <= 0 {
		return nil, fmt.Errorf("count %d: a line needs at least one license", ls.Count)
	}
	if ls.CSS == 0 {
		return nil, fmt.Errorf("no CSS date: give the Customer Success Services date YYYY.MMDD (the order date when the license has none)")
	}
	if ls.Permanent == !ls.Expiry.IsZero() {
		return nil, fmt.Errorf("give an expiry date or permanent, exactly one of them")
	}
	if !ls.Permanent && !ls.Start.IsZero() && ls.Start.After(ls.Expiry) {
		return nil, fmt.Errorf("start date %s is after the expiry date %s", FormatDate(ls.Start), FormatDate(ls.Expiry))
	}
	overdraft := ls.Overdraft
	switch {
	case overdraft == -1:
		overdraft = DefaultOverdraft(model, ls.Count)
	case overdraft < -1:
		return nil, fmt.Errorf("overdraft %d: give a number of licenses, or -1 for the default", overdraft)
	case overdraft > 0 && !model.HasOverdraft():
		return nil, fmt.Errorf("overdraft %d on a %s license: \"Concurrent licenses and server licenses do not contain the overdraft feature\" (\"License overdraft\")", overdraft, model)
	}
	for name, v := range map[string]string{"vendor string": ls.VendorString, "notice": ls.Notice, "serial number": ls.SN, "DUP_GROUP": ls.DupGroup, "issuer": ls.Issuer} {
		if strings.ContainsAny(v, "\"\n\r\t{}\\") {
			return nil, fmt.Errorf("%s %q: quotes, braces, backslashes and control characters cannot be written in a license file", name, v)
		}
	}
	l := &Line{Keyword: "INCREMENT", Feature: ls.Feature, Vendor: CitrixVendor, Version: ls.CSS.String(), CSS: ls.CSS,
		Expiry: ls.Expiry, Permanent: ls.Permanent, Count: ls.Count}
	if !ls.Permanent {
		y, m, d := ls.Expiry.Date()
		l.Expiry = time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	}
	add := func(key, value string) {
		if value != "" {
			l.Attrs = append(l.Attrs, Attr{Key: key, Value: value})
		}
	}
	add("VENDOR_STRING", ls.VendorString)
	if overdraft > 0 {
		add("OVERDRAFT", strconv.Itoa(overdraft))
	}
	add("DUP_GROUP", ls.DupGroup)
	if !ls.Issued.IsZero() {
		add("ISSUED", FormatDate(ls.Issued))
	}
	add("NOTICE", ls.Notice)
	add("ISSUER", ls.Issuer)
	add("SN", ls.SN)
	if !ls.Start.IsZero() {
		add("START", FormatDate(ls.Start))
	}
	if errs := interpretAttrs(l); len(errs) > 0 {
		return nil, fmt.Errorf("%s", errs[0].msg)
	}
	return l, nil
}
