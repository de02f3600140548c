package license

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Limits that keep counts and durations far from integer overflow when added up.
const (
	optMaxCount          = 1_000_000_000
	optMaxTimeoutSeconds = 1 << 31 // about 68 years
)

func optUpper(s string) string { return strings.ToUpper(s) }

// optGroupLine is one GROUP or HOST_GROUP line, merged into the group maps once the whole file
// is read: GROUPCASEINSENSITIVE may come after the groups it affects.
type optGroupLine struct {
	host    bool
	name    string
	members []string
}

type optParser struct {
	o      *Options
	groups []optGroupLine
	rules  []OptRule // waiting for their groups to be known
}

func (p *optParser) errorf(l optLine, hint, format string, args ...any) {
	p.o.Errors = append(p.o.Errors, OptionsIssue{File: p.o.Path, Line: l.line, Msg: fmt.Sprintf(format, args...), Hint: hint})
}

func (p *optParser) warnf(l optLine, hint, format string, args ...any) {
	p.o.Warnings = append(p.o.Warnings, OptionsIssue{File: p.o.Path, Line: l.line, Msg: fmt.Sprintf(format, args...), Hint: hint})
}

// optUnsupported are FlexNet keywords licd knows by name but does not implement: their lines
// are ignored with a warning that says so, rather than one that suggests a typo.
var optUnsupported = map[string]bool{
	"ACTIVATION_EXPIRY_DAYS": true, "ACTIVATION_LOWWATER": true, "AUTOMATIC_REREAD": true,
	"AUTO_ROLLOVER": true, "BORROW_LOWWATER": true, "DAEMON_SELECT_TIMEOUT": true,
	"EXCLUDE_BORROW": true, "EXCLUDE_ENTITLEMENT": true, "EXCLUDEALL_ENTITLEMENT": true,
	"FQDN_MATCHING": true, "INCLUDE_BORROW": true, "INCLUDE_ENTITLEMENT": true,
	"INCLUDEALL_ENTITLEMENT": true, "LINGER": true, "MAX_BORROW_HOURS": true,
	"MAX_OVERDRAFT": true,
}

func (p *optParser) line(l optLine) {
	text := strings.TrimSpace(l.text)
	if text == "" || text[0] == '#' {
		return
	}
	f, ok := optionsFields(text)
	if !ok {
		p.errorf(l, `close the quoted name with " on the same logical line`, "a double quote is not closed")
		return
	}
	if len(f) == 0 {
		return
	}
	kw, args := optUpper(f[0]), f[1:]
	switch kw {
	case "INCLUDE", "EXCLUDE":
		p.access(l, kw, args, false)
	case "INCLUDEALL", "EXCLUDEALL":
		p.access(l, kw, args, true)
	case "MAX", "RESERVE":
		p.counted(l, kw, args)
	case "GROUP", "USER_GROUP", "HOST_GROUP":
		p.group(l, kw, args)
	case "GROUPCASEINSENSITIVE":
		p.switchArg(l, kw, args, func(on bool) { p.o.GroupCaseInsensitive = on })
	case "TIMEOUT":
		p.timeout(l, args)
	case "TIMEOUTALL":
		p.timeoutAll(l, args)
	case "NOLOG":
		p.noLog(l, args)
	case "DEBUGLOG":
		p.logPath(l, kw, args, &p.o.DebugLog, &p.o.DebugLogAppend)
	case "REPORTLOG":
		p.logPath(l, kw, args, &p.o.ReportLog, &p.o.ReportLogAppend)
	default:
		if p.setting(l, kw, args) {
			return
		}
		if optUnsupported[kw] {
			p.warnf(l, "remove the line, or keep it for another license server", "licd does not support the FlexNet keyword %s; the line is ignored", kw)
			return
		}
		p.warnf(l, "check the spelling against the options file keywords licd documents", "unknown keyword %q; the line is ignored", f[0])
	}
}

// optCollapse is the line as a person wrote it, with runs of blanks made one: what a denial
// quotes back.
func optCollapse(s string) string { return strings.Join(strings.Fields(s), " ") }

// access parses INCLUDE/EXCLUDE feature type name and INCLUDEALL/EXCLUDEALL type name.
func (p *optParser) access(l optLine, kw string, args []string, all bool) {
	usage := kw + " feature[:keyword=value] type name, e.g. " + kw + " XDT_PLT_UD USER jack"
	want := 3
	if all {
		usage = kw + " type name, e.g. " + kw + " GROUP contractors"
		want = 2
	}
	if !p.fieldCount(l, kw, args, want, usage) {
		return
	}
	r := OptRule{Kind: OptInclude, AllFeatures: all, Text: optCollapse(l.text), File: p.o.Path, Line: l.line}
	if kw == "EXCLUDE" || kw == "EXCLUDEALL" {
		r.Kind = OptExclude
	}
	if !all {
		if !p.feature(l, args[0], &r) {
			return
		}
		args = args[1:]
	}
	if !p.target(l, args[0], args[1], &r) {
		return
	}
	p.rules = append(p.rules, r)
}

// counted parses MAX num feature type name and RESERVE num feature type name.
func (p *optParser) counted(l optLine, kw string, args []string) {
	usage := kw + " num feature[:keyword=value] type name, e.g. " + kw + " 5 XDT_PLT_UD GROUP eng"
	if !p.fieldCount(l, kw, args, 4, usage) {
		return
	}
	r := OptRule{Kind: OptMax, Text: optCollapse(l.text), File: p.o.Path, Line: l.line}
	least := 0 // MAX 0 is a way to say "none"
	if kw == "RESERVE" {
		r.Kind, least = OptReserve, 1
	}
	n, err := strconv.Atoi(args[0])
	if err != nil || n < least || n > optMaxCount {
		p.errorf(l, fmt.Sprintf("write a whole number from %d to %d; %s", least, optMaxCount, usage),
			"%s count %q is not a valid number of licenses; the line is skipped", kw, args[0])
		return
	}
	r.Count = n
	if !p.feature(l, args[1], &r) || !p.target(l, args[2], args[3], &r) {
		return
	}
	p.rules = append(p.rules, r)
}

// fieldCount reports whether args has exactly want fields, and says what is wrong otherwise.
func (p *optParser) fieldCount(l optLine, kw string, args []string, want int, usage string) bool {
	switch {
	case len(args) < want:
		p.errorf(l, "write "+usage, "%s has %d of its %d fields; the line is skipped", kw, len(args), want)
		return false
	case len(args) > want:
		p.errorf(l, `a line names one user, host or group: list several in a GROUP or HOST_GROUP, and quote a name with blanks ("John Smith")`,
			"%s has %d fields, %d expected; the line is skipped", kw, len(args), want)
		return false
	}
	return true
}

// feature parses feature[:keyword=value] into r.
func (p *optParser) feature(l optLine, spec string, r *OptRule) bool {
	name, qual, hasQual := strings.Cut(spec, ":")
	if name == "" {
		p.errorf(l, "write the feature name as the license file spells it", "the feature name is empty; the line is skipped")
		return false
	}
	r.Feature = name
	if !hasQual {
		return true
	}
	k, v, ok := strings.Cut(qual, "=")
	if !ok || k == "" || v == "" {
		p.errorf(l, "write feature:keyword=value, e.g. XDT_PLT_UD:VERSION=2024.1201", "feature qualifier %q is not keyword=value; the line is skipped", qual)
		return false
	}
	r.Qualifier = OptQualifier{Keyword: optUpper(k), Value: v}
	return true
}

// target parses the type and name fields into r.
func (p *optParser) target(l optLine, typ, name string, r *OptRule) bool {
	t, ok := parseOptTarget(typ)
	if !ok {
		p.errorf(l, "use USER, HOST, DISPLAY, GROUP or HOST_GROUP", "unknown type %q; the line is skipped", typ)
		return false
	}
	if name == "" {
		p.errorf(l, "write the "+t.String()+" name after the type", "the %s name is empty; the line is skipped", t)
		return false
	}
	r.Type, r.Name = t, name
	return true
}

func (p *optParser) group(l optLine, kw string, args []string) {
	if len(args) < 2 {
		p.errorf(l, "write "+kw+" name member..., e.g. "+kw+" eng jack jill", "%s needs a name and at least one member; the line is skipped", kw)
		return
	}
	for _, m := range args[1:] {
		if m == "" {
			p.errorf(l, "remove the empty quotes", "%s %s has an empty member name; the line is skipped", kw, args[0])
			return
		}
	}
	p.groups = append(p.groups, optGroupLine{host: kw == "HOST_GROUP", name: args[0], members: args[1:]})
}

func (p *optParser) timeout(l optLine, args []string) {
	if len(args) != 2 {
		p.errorf(l, "write TIMEOUT feature seconds, e.g. TIMEOUT XDT_PLT_UD 3600", "TIMEOUT has %d fields, 2 expected; the line is skipped", len(args))
		return
	}
	var r OptRule
	if !p.feature(l, args[0], &r) {
		return
	}
	d, ok := p.seconds(l, "TIMEOUT", args[1])
	if !ok {
		return
	}
	if r.Qualifier.Keyword != "" {
		p.warnf(l, "drop the :keyword=value part", "licd applies TIMEOUT to every license of %s; the qualifier %s=%s is ignored", r.Feature, r.Qualifier.Keyword, r.Qualifier.Value)
	}
	if p.o.Timeouts == nil {
		p.o.Timeouts = make(map[string]time.Duration)
	}
	p.o.Timeouts[r.Feature] = d
}

func (p *optParser) timeoutAll(l optLine, args []string) {
	if len(args) != 1 {
		p.errorf(l, "write TIMEOUTALL seconds, e.g. TIMEOUTALL 3600", "TIMEOUTALL has %d fields, 1 expected; the line is skipped", len(args))
		return
	}
	if d, ok := p.seconds(l, "TIMEOUTALL", args[0]); ok {
		p.o.TimeoutAll = d
	}
}

func (p *optParser) seconds(l optLine, kw, s string) (time.Duration, bool) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > optMaxTimeoutSeconds {
		p.errorf(l, "write a whole number of seconds, e.g. 3600 for an hour", "%s %q is not a number of seconds; the line is skipped", kw, s)
		return 0, false
	}
	return time.Duration(n) * time.Second, true
}

func (p *optParser) noLog(l optLine, args []string) {
	if len(args) == 0 {
		p.errorf(l, "write NOLOG IN, NOLOG OUT, NOLOG DENIED or NOLOG QUEUED", "NOLOG names no kind of event; the line is skipped")
		return
	}
	for _, a := range args {
		switch optUpper(a) {
		case "IN":
			p.o.NoLogIn = true
		case "OUT":
			p.o.NoLogOut = true
		case "DENIED":
			p.o.NoLogDenied = true
		case "QUEUED":
			p.o.NoLogQueued = true
		case "UNSUPPORTED", "UPGRADE", "DEQUEUED":
			p.warnf(l, "remove it", "licd's debug log has no %s events; NOLOG %s has no effect", optUpper(a), optUpper(a))
		default:
			p.errorf(l, "use IN, OUT, DENIED or QUEUED", "NOLOG %q is not a kind of event; it is skipped", a)
		}
	}
}

// logPath parses DEBUGLOG and REPORTLOG [+]path; "+ path" with a blank is accepted too.
func (p *optParser) logPath(l optLine, kw string, args []string, path *string, appendTo *bool) {
	add := false
	if len(args) == 2 && args[0] == "+" {
		add, args = true, args[1:]
	}
	if len(args) != 1 {
		p.errorf(l, `write `+kw+` +path (append) or `+kw+` path (overwrite); quote a path with blanks: `+kw+` +"C:\Program Files\Citrix\Licensing\LS\Logs\CITRIX.log"`,
			"%s takes one path, found %d fields; the line is skipped", kw, len(args))
		return
	}
	s := args[0]
	if strings.HasPrefix(s, "+") {
		add, s = true, s[1:]
	}
	if s == "" {
		p.errorf(l, "write the path of the log file", "%s has no path; the line is skipped", kw)
		return
	}
	*path, *appendTo = s, add
}

// switchArg parses keyword ON|OFF (also 1|0, TRUE|FALSE, YES|NO).
func (p *optParser) switchArg(l optLine, kw string, args []string, set func(bool)) {
	if len(args) == 1 {
		if on, ok := parseOptSwitch(args[0]); ok {
			set(on)
			return
		}
	}
	p.errorf(l, "write "+kw+" ON or "+kw+" OFF", "%s takes ON or OFF, found %q; the line is skipped", kw, strings.Join(args, " "))
}

func parseOptSwitch(s string) (on, ok bool) {
	switch optUpper(s) {
	case "ON", "1", "TRUE", "YES":
		return true, true
	case "OFF", "0", "FALSE", "NO":
		return false, true
	}
	return false, false
}

// resolveRules merges the group lines and keeps the rules whose groups exist. With
// GROUPCASEINSENSITIVE ON, group names match without case too: GROUP Eng and GROUP eng are one
// group, under the name first written.
func (p *optParser) resolveRules() {
	fold := p.o.GroupCaseInsensitive
	key := func(s string) string {
		if fold {
			return strings.ToLower(s)
		}
		return s
	}
	users, hosts := map[string]string{}, map[string]string{} // key -> name as first written
	for _, g := range p.groups {
		into, canon := &p.o.Groups, users
		if g.host {
			into, canon = &p.o.HostGroups, hosts
		}
		if *into == nil {
			*into = make(map[string][]string)
		}
		name, seen := canon[key(g.name)]
		if !seen {
			name = g.name
			canon[key(g.name)] = name
		}
		(*into)[name] = append((*into)[name], g.members...)
	}
	for _, r := range p.rules {
		l := optLine{line: r.Line}
		switch r.Type {
		case OptGroup, OptHostGroup:
			own, other, otherKw := users, hosts, "HOST_GROUP"
			if r.Type == OptHostGroup {
				own, other, otherKw = hosts, users, "GROUP"
			}
			name, ok := own[key(r.Name)]
			if !ok {
				hint := fmt.Sprintf("define it with a %s %s line, or correct the name", r.Type, r.Name)
				if _, isOther := other[key(r.Name)]; isOther {
					hint = fmt.Sprintf("%s is a %s: write %s %s", r.Name, otherKw, otherKw, r.Name)
				} else if r.Type == OptGroup && optUpper(r.Name) == "ALL_GROUPS" {
					hint = "licd has no ALL_GROUPS: write one line per group"
				}
				p.errorf(l, hint, "%s %s is not defined; the %s line is skipped", r.Type, r.Name, r.Kind)
				continue
			}
			r.Name = name
		case OptInternet, OptProject:
			p.warnf(l, "restrict by USER, HOST, DISPLAY, GROUP or HOST_GROUP instead",
				"licd keeps %s rules but does not enforce them: products do not send it the client's %s", r.Type, optUpperWord(r.Type))
		}
		if r.Kind != OptMax && r.Type == OptUser && optUpper(r.Name) == "ALL_USERS" {
			p.warnf(l, "to limit every user, write MAX num feature USER ALL_USERS",
				"ALL_USERS means every user only on a MAX line; this %s names a user called %s", r.Kind, r.Name)
		}
		p.o.Rules = append(p.o.Rules, r)
	}
}

func optUpperWord(t OptTargetType) string {
	if t == OptInternet {
		return "IP address"
	}
	return "project"
}
