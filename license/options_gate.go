package license

import (
	"fmt"
	"unicode"
	"unicode/utf8"
)

// GateReason is why a Gate refused a checkout. Each maps to one FLEXlm status the wire
// catalogue has (-38, -39, -87 and licd's reservation code).
type GateReason uint8

// Gate refusals.
const (
	GateExcluded    GateReason = iota + 1 // an EXCLUDE or EXCLUDEALL line names the requester
	GateNotIncluded                       // INCLUDE or INCLUDEALL lines exist and none names the requester
	GateMaxReached                        // a MAX line's limit would be passed
	GateReserved                          // the free licenses are held by RESERVE lines for others
)

func (r GateReason) String() string {
	switch r {
	case GateExcluded:
		return "excluded"
	case GateNotIncluded:
		return "not included"
	case GateMaxReached:
		return "MAX reached"
	case GateReserved:
		return "reserved for others"
	}
	return fmt.Sprintf("GateReason(%d)", uint8(r))
}

// GateDenial is a Gate's refusal: the reason and the options file line that caused it.
type GateDenial struct {
	Reason  GateReason
	Feature string
	Rule    string // the rule as written
	File    string
	Line    int
}

func (d *GateDenial) Error() string {
	var what string
	switch d.Reason {
	case GateExcluded:
		what = "the options file excludes this user or host"
	case GateNotIncluded:
		what = "this user or host is not on the options file's INCLUDE list, which starts with"
	case GateMaxReached:
		what = "the options file's limit is reached"
	case GateReserved:
		what = "the free licenses are reserved for others by"
	default:
		what = "refused by"
	}
	return fmt.Sprintf("feature %s: %s: %q (%s:%d)", d.Feature, what, d.Rule, d.File, d.Line)
}

// Gate applies the options file's access rules to one feature: EXCLUDE, INCLUDE, MAX and
// RESERVE with their ALL forms. It is a pure state machine owned by one actor (no locks):
// Admit asks, Took and Returned keep the counts of what is in use per rule. Names reach it
// already normalized (NormalizeUser); the rules' user names are normalized the same way.
//
// After an lmreread the new Options give new Gates with empty counts: feed them every
// checkout still held with Took.
type Gate struct {
	feature  string
	fold     bool // GROUPCASEINSENSITIVE ON
	excludes []gateMatch
	includes []gateMatch
	maxes    []gateMax
	reserves []gateReserve
	// The requester's names folded to lower case when fold is set; reused so that Admit
	// does not allocate.
	user, host, display []byte
}

// gateField is the requester's name a rule looks at.
type gateField uint8

const (
	gateOnUser gateField = iota
	gateOnHost
	gateOnDisplay
)

// gateMatch is a rule with its names resolved into a set (a group's members, or one name).
type gateMatch struct {
	rule  *OptRule
	on    gateField
	names map[string]struct{}
}

type gateMax struct {
	gateMatch
	used int
	// MAX ... USER ALL_USERS: each user separately, except those with a MAX line of their own.
	allUsers bool
	perUser  map[string]int
	own      map[string]struct{}
}

type gateReserve struct {
	gateMatch
	used int // licenses held by requesters charged to this reservation
}

// Gate is the options file's gate for feature, with every rule about the feature whatever
// its :keyword=value qualifier says. A nil *Options gives an open gate.
func (o *Options) Gate(feature string) *Gate { return o.GateFor(feature, nil) }

// GateFor is Gate for one pool of the feature: a rule with a qualifier (f1:VERSION=2.0)
// applies only when match says the pool has that attribute; a nil match applies them all.
func (o *Options) GateFor(feature string, match func(OptQualifier) bool) *Gate {
	g := &Gate{feature: feature}
	if o == nil {
		return g
	}
	g.fold = o.GroupCaseInsensitive
	b := gateBuilder{o: o, fold: g.fold, sets: map[string]map[string]struct{}{}}
	var ownMax map[string]struct{} // users with a MAX USER line of their own
	for i := range o.Rules {
		r := &o.Rules[i]
		if !r.appliesTo(feature) || r.Type == OptInternet || r.Type == OptProject {
			continue
		}
		if r.Qualifier.Keyword != "" && match != nil && !match(r.Qualifier) {
			continue
		}
		m := gateMatch{rule: r}
		if !r.allUsers() {
			m.on, m.names = b.resolve(r)
		}
		switch r.Kind {
		case OptExclude:
			g.excludes = append(g.excludes, m)
		case OptInclude:
			g.includes = append(g.includes, m)
		case OptMax:
			mx := gateMax{gateMatch: m, allUsers: r.allUsers()}
			if mx.allUsers {
				mx.perUser = map[string]int{}
			} else if r.Type == OptUser {
				if ownMax == nil {
					ownMax = map[string]struct{}{}
				}
				for n := range m.names {
					ownMax[n] = struct{}{}
				}
			}
			g.maxes = append(g.maxes, mx)
		case OptReserve:
			g.reserves = append(g.reserves, gateReserve{gateMatch: m})
		}
	}
	for i := range g.maxes {
		if g.maxes[i].allUsers {
			g.maxes[i].own = ownMax
		}
	}
	return g
}

// gateBuilder turns rule names into name sets, sharing one set per group.
type gateBuilder struct {
	o    *Options
	fold bool
	sets map[string]map[string]struct{}
}

func (b *gateBuilder) resolve(r *OptRule) (gateField, map[string]struct{}) {
	switch r.Type {
	case OptUser:
		return gateOnUser, map[string]struct{}{b.userKey(r.Name): {}}
	case OptHost:
		return gateOnHost, map[string]struct{}{b.key(r.Name): {}}
	case OptDisplay:
		return gateOnDisplay, map[string]struct{}{b.key(r.Name): {}}
	case OptGroup:
		return gateOnUser, b.group("u:"+r.Name, b.o.Groups[r.Name], b.userKey)
	case OptHostGroup:
		return gateOnHost, b.group("h:"+r.Name, b.o.HostGroups[r.Name], b.key)
	}
	return gateOnUser, nil
}

func (b *gateBuilder) group(id string, members []string, key func(string) string) map[string]struct{} {
	if s, ok := b.sets[id]; ok {
		return s
	}
	s := make(map[string]struct{}, len(members))
	for _, m := range members {
		s[key(m)] = struct{}{}
	}
	b.sets[id] = s
	return s
}

// userKey normalizes a user name of the file as requesters' names are (domain truncation,
// case), so that "USER jack@corp.com" meets the requester "jack".
func (b *gateBuilder) userKey(s string) string { return b.key(b.o.NormalizeUser(s)) }

func (b *gateBuilder) key(s string) string {
	if b.fold {
		return string(optFold(nil, s))
	}
	return s
}

// optFold appends s in lower case to dst, the same way for the file's names and the
// requesters', without allocating when dst has room.
func optFold(dst []byte, s string) []byte {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			dst = append(dst, c)
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		dst = utf8.AppendRune(dst, unicode.ToLower(r))
		i += size
	}
	return dst
}

// Open reports that no rule applies to the feature: the caller may skip the gate.
func (g *Gate) Open() bool {
	return g == nil || len(g.excludes)+len(g.includes)+len(g.maxes)+len(g.reserves) == 0
}

// prepare folds the requester's names for a case-insensitive gate.
func (g *Gate) prepare(user, host, display string) {
	if g.fold {
		g.user = optFold(g.user[:0], user)
		g.host = optFold(g.host[:0], host)
		g.display = optFold(g.display[:0], display)
	}
}

// has reports whether m names the requester given to the last prepare.
func (g *Gate) has(m *gateMatch, user, host, display string) bool {
	raw, folded := user, g.user
	switch m.on {
	case gateOnHost:
		raw, folded = host, g.host
	case gateOnDisplay:
		raw, folded = display, g.display
	}
	var ok bool
	if g.fold {
		_, ok = m.names[string(folded)]
	} else {
		_, ok = m.names[raw]
	}
	return ok
}

// maxUsed is what MAX line m counts for the requester, and whether m applies to it.
func (g *Gate) maxUsed(m *gateMax, user, host, display string) (int, bool) {
	if !m.allUsers {
		return m.used, g.has(&m.gateMatch, user, host, display)
	}
	if g.fold {
		if _, own := m.own[string(g.user)]; own {
			return 0, false
		}
		return m.perUser[string(g.user)], true
	}
	if _, own := m.own[user]; own {
		return 0, false
	}
	return m.perUser[user], true
}

// Admit says whether n licenses of the feature may go to this requester when free licenses
// of it are free: nil, or a *GateDenial naming the rule. n is 0 when the checkout joins a
// license the requester already holds: EXCLUDE and INCLUDE still apply, MAX and RESERVE do
// not (nothing more is taken). It does not allocate when it admits.
//
// The rules, as FlexNet documents them ("Rules of Precedence in Options Files", MAX, RESERVE):
// EXCLUDE is checked first and wins over INCLUDE; once a feature has an INCLUDE (or there is
// an INCLUDEALL), only those named may use it; a MAX line limits the named user, host or
// group (a group counted together); RESERVE keeps licenses for the named: someone else may
// take n only if n licenses remain free beyond the reservations not yet in use. Whether
// enough licenses are free at all is the pool's question, not the gate's.
func (g *Gate) Admit(user, host, display string, free, n int) error {
	if g.Open() {
		return nil
	}
	g.prepare(user, host, display)
	for i := range g.excludes {
		if g.has(&g.excludes[i], user, host, display) {
			return g.deny(GateExcluded, g.excludes[i].rule)
		}
	}
	if len(g.includes) > 0 {
		in := false
		for i := range g.includes {
			if g.has(&g.includes[i], user, host, display) {
				in = true
				break
			}
		}
		if !in {
			return g.deny(GateNotIncluded, g.includes[0].rule)
		}
	}
	if n <= 0 {
		return nil
	}
	for i := range g.maxes {
		m := &g.maxes[i]
		if used, applies := g.maxUsed(m, user, host, display); applies && used+n > m.rule.Count {
			return g.deny(GateMaxReached, m.rule)
		}
	}
	if len(g.reserves) > 0 && n <= free {
		others := 0 // reservations not in use that belong to someone else
		var first *OptRule
		for i := range g.reserves {
			r := &g.reserves[i]
			if g.has(&r.gateMatch, user, host, display) {
				continue // a member may use its own reservation
			}
			if unused := r.rule.Count - r.used; unused > 0 {
				others += unused
				if first == nil {
					first = r.rule
				}
			}
		}
		if others > 0 && n > free-others {
			return g.deny(GateReserved, first)
		}
	}
	return nil
}

func (g *Gate) deny(reason GateReason, r *OptRule) error {
	return &GateDenial{Reason: reason, Feature: g.feature, Rule: r.Text, File: r.File, Line: r.Line}
}

// Took counts n licenses of the feature taken by the requester. A member of a reservation
// takes from it first: the licenses are charged to the first RESERVE line (in file order)
// that names the requester, and what passes the reservation's size comes from the common
// stock. Counting the requester's licenses, not which license it got, keeps Took and
// Returned symmetric and lets a member's later checkouts fill a reservation another member
// gave back.
func (g *Gate) Took(user, host, display string, n int) {
	if n > 0 {
		g.count(user, host, display, n)
	}
}

// Returned counts n licenses given back by the requester; it undoes Took exactly.
func (g *Gate) Returned(user, host, display string, n int) {
	if n > 0 {
		g.count(user, host, display, -n)
	}
}

func (g *Gate) count(user, host, display string, delta int) {
	if g == nil || len(g.maxes)+len(g.reserves) == 0 {
		return
	}
	g.prepare(user, host, display)
	for i := range g.maxes {
		m := &g.maxes[i]
		if !m.allUsers {
			if g.has(&m.gateMatch, user, host, display) {
				m.used = max(0, m.used+delta)
			}
			continue
		}
		key := user
		if g.fold {
			key = string(g.user)
		}
		if _, own := m.own[key]; own {
			continue
		}
		if v := m.perUser[key] + delta; v > 0 {
			m.perUser[key] = v
		} else {
			delete(m.perUser, key)
		}
	}
	for i := range g.reserves {
		r := &g.reserves[i]
		if g.has(&r.gateMatch, user, host, display) {
			r.used = max(0, r.used+delta)
			break
		}
	}
}

// String describes the gate for logs: the feature and how many rules of each kind apply.
func (g *Gate) String() string {
	if g.Open() {
		return "open"
	}
	return fmt.Sprintf("%s: %d EXCLUDE, %d INCLUDE, %d MAX, %d RESERVE", g.feature, len(g.excludes), len(g.includes), len(g.maxes), len(g.reserves))
}
