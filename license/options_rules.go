package license

import "fmt"

// OptRuleKind is what an access rule of the options file does.
type OptRuleKind uint8

// Access rule kinds; INCLUDEALL and EXCLUDEALL are OptInclude and OptExclude with AllFeatures.
const (
	OptInclude OptRuleKind = iota + 1
	OptExclude
	OptMax
	OptReserve
)

func (k OptRuleKind) String() string {
	switch k {
	case OptInclude:
		return "INCLUDE"
	case OptExclude:
		return "EXCLUDE"
	case OptMax:
		return "MAX"
	case OptReserve:
		return "RESERVE"
	}
	return fmt.Sprintf("OptRuleKind(%d)", uint8(k))
}

// OptTargetType is who a rule names: the type field of INCLUDE, EXCLUDE, MAX and RESERVE.
type OptTargetType uint8

// Rule target types. OptInternet and OptProject are parsed and kept, but a Gate does not
// enforce them: it is not told the client's address or project.
const (
	OptUser OptTargetType = iota + 1
	OptHost
	OptDisplay
	OptGroup     // a GROUP of users
	OptHostGroup // a HOST_GROUP of hosts
	OptInternet
	OptProject
)

var optTargetNames = [...]string{
	OptUser:      "USER",
	OptHost:      "HOST",
	OptDisplay:   "DISPLAY",
	OptGroup:     "GROUP",
	OptHostGroup: "HOST_GROUP",
	OptInternet:  "INTERNET",
	OptProject:   "PROJECT",
}

func (t OptTargetType) String() string {
	if int(t) < len(optTargetNames) && optTargetNames[t] != "" {
		return optTargetNames[t]
	}
	return fmt.Sprintf("OptTargetType(%d)", uint8(t))
}

// parseOptTarget reads a type field; USER_GROUP is FlexNet's alias for GROUP.
func parseOptTarget(s string) (OptTargetType, bool) {
	switch optUpper(s) {
	case "USER":
		return OptUser, true
	case "HOST":
		return OptHost, true
	case "DISPLAY":
		return OptDisplay, true
	case "GROUP", "USER_GROUP":
		return OptGroup, true
	case "HOST_GROUP":
		return OptHostGroup, true
	case "INTERNET":
		return OptInternet, true
	case "PROJECT":
		return OptProject, true
	}
	return 0, false
}

// OptQualifier is the ":keyword=value" after a feature name, which narrows a rule to the
// licenses of the feature with that attribute (f1:VERSION=2.0). Keyword is upper-cased;
// an empty Keyword means the rule has none.
type OptQualifier struct {
	Keyword, Value string
}

// OptRule is one INCLUDE, INCLUDEALL, EXCLUDE, EXCLUDEALL, MAX or RESERVE line.
type OptRule struct {
	Kind        OptRuleKind
	AllFeatures bool   // INCLUDEALL, EXCLUDEALL
	Feature     string // empty with AllFeatures
	Qualifier   OptQualifier
	Count       int // MAX and RESERVE
	Type        OptTargetType
	Name        string // the user, host, display or group; a group as its GROUP line first spells it
	Text        string // the line as written, blanks collapsed: what a denial quotes
	File        string
	Line        int
}

// allUsers reports a MAX ... USER ALL_USERS line: a limit for each user separately.
func (r *OptRule) allUsers() bool {
	return r.Kind == OptMax && r.Type == OptUser && optUpper(r.Name) == "ALL_USERS"
}

// appliesTo reports whether the rule is about feature at all (qualifiers aside).
func (r *OptRule) appliesTo(feature string) bool {
	return r.AllFeatures || r.Feature == feature
}
