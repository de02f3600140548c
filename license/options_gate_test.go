package license

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// gateReq is one requester as the daemon hands it to a Gate.
type gateReq struct{ user, host, display string }

var (
	reqBob   = gateReq{"bob", "pc1", ":0"}
	reqAmy   = gateReq{"amy", "pc2", ":1"}
	reqCarl  = gateReq{"carl", "pc3", ":2"}
	reqKiosk = gateReq{"dora", "kiosk1", ":9"}
)

func gateAdmit(g *Gate, r gateReq, free, n int) error {
	return g.Admit(r.user, r.host, r.display, free, n)
}
func gateTook(g *Gate, r gateReq, n int)     { g.Took(r.user, r.host, r.display, n) }
func gateReturned(g *Gate, r gateReq, n int) { g.Returned(r.user, r.host, r.display, n) }

func parseGate(t *testing.T, text, feature string) *Gate {
	t.Helper()
	o := parseOpts(t, text)
	mustClean(t, o)
	return o.Gate(feature)
}

// reason is the GateReason of err, 0 when admitted; it fails on errors of another type.
func denialReason(t *testing.T, err error) GateReason {
	t.Helper()
	if err == nil {
		return 0
	}
	var d *GateDenial
	if !errors.As(err, &d) {
		t.Fatalf("Admit returned %T %v, want *GateDenial", err, err)
	}
	return d.Reason
}

func TestGateOpen(t *testing.T) {
	var none *Options
	g := none.Gate("f1")
	if !g.Open() || gateAdmit(g, reqBob, 0, 1) != nil {
		t.Error("a nil *Options must give an open gate")
	}
	gateTook(g, reqBob, 1) // must not panic
	gateReturned(g, reqBob, 1)
	var nilGate *Gate
	if !nilGate.Open() || gateAdmit(nilGate, reqBob, 0, 1) != nil {
		t.Error("a nil *Gate must be open")
	}
	gateTook(nilGate, reqBob, 1)
	gateReturned(nilGate, reqBob, 1)
	o := parseOpts(t, "EXCLUDE f1 USER bob\nTIMEOUTALL 60\n")
	if o.Gate("f1").Open() || !o.Gate("f2").Open() {
		t.Error("Open must be false only for features a rule is about")
	}
}

func TestGateExclude(t *testing.T) {
	tests := []struct {
		name, text string
		denied     []gateReq
		admitted   []gateReq
	}{
		{"USER", "EXCLUDE f1 USER bob", []gateReq{reqBob}, []gateReq{reqAmy}},
		{"HOST", "EXCLUDE f1 HOST pc2", []gateReq{reqAmy}, []gateReq{reqBob}},
		{"DISPLAY", "EXCLUDE f1 DISPLAY :2", []gateReq{reqCarl}, []gateReq{reqBob, reqAmy}},
		{"GROUP", "GROUP g bob amy\nEXCLUDE f1 GROUP g", []gateReq{reqBob, reqAmy}, []gateReq{reqCarl}},
		{"HOST_GROUP", "HOST_GROUP kiosks kiosk1 kiosk2\nEXCLUDE f1 HOST_GROUP kiosks", []gateReq{reqKiosk}, []gateReq{reqBob}},
		{"EXCLUDEALL", "EXCLUDEALL USER carl", []gateReq{reqCarl}, []gateReq{reqBob}},
		{"other feature", "EXCLUDE f2 USER bob", nil, []gateReq{reqBob}},
		{"case-sensitive by default", "EXCLUDE f1 USER Bob", nil, []gateReq{reqBob}},
		{"GROUPCASEINSENSITIVE user", "GROUPCASEINSENSITIVE ON\nEXCLUDE f1 USER Bob", []gateReq{reqBob}, []gateReq{reqAmy}},
		{"GROUPCASEINSENSITIVE group member", "GROUPCASEINSENSITIVE ON\nGROUP g BOB\nEXCLUDE f1 GROUP g", []gateReq{reqBob}, []gateReq{reqAmy}},
		{"GROUPCASEINSENSITIVE host", "GROUPCASEINSENSITIVE ON\nHOST_GROUP k KIOSK1\nEXCLUDE f1 HOST_GROUP k", []gateReq{reqKiosk}, []gateReq{reqBob}},
		{"domain truncated in the file too", "EXCLUDE f1 USER bob@corp.example", []gateReq{reqBob}, []gateReq{reqAmy}},
		{"domain kept with UDUseDomain 1", "UDUseDomain 1\nEXCLUDE f1 USER bob@corp.example", []gateReq{{"bob@corp.example", "pc1", ""}}, []gateReq{reqBob}},
		{"user case folded in the file too", "UDUserNameCase 1\nEXCLUDE f1 USER BOB", []gateReq{reqBob}, []gateReq{reqAmy}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := parseGate(t, tt.text+"\n", "f1")
			for _, r := range tt.denied {
				if got := denialReason(t, gateAdmit(g, r, 10, 1)); got != GateExcluded {
					t.Errorf("%v: %v, want excluded", r, got)
				}
				if got := denialReason(t, gateAdmit(g, r, 10, 0)); got != GateExcluded {
					t.Errorf("%v joining a license it holds: %v, want excluded", r, got)
				}
			}
			for _, r := range tt.admitted {
				if err := gateAdmit(g, r, 10, 1); err != nil {
					t.Errorf("%v: %v, want admitted", r, err)
				}
			}
		})
	}
}

func TestGateInclude(t *testing.T) {
	tests := []struct {
		name, text string
		admitted   []gateReq
		excluded   []gateReq
		notIncl    []gateReq
	}{
		{"only the included", "INCLUDE f1 USER bob", []gateReq{reqBob}, nil, []gateReq{reqAmy, reqCarl}},
		{"several lines add up", "INCLUDE f1 USER bob\nINCLUDE f1 HOST pc2", []gateReq{reqBob, reqAmy}, nil, []gateReq{reqCarl}},
		{"INCLUDEALL", "INCLUDEALL GROUP g\nGROUP g amy", []gateReq{reqAmy}, nil, []gateReq{reqBob}},
		{"INCLUDEALL and INCLUDE together", "INCLUDEALL USER amy\nINCLUDE f1 USER bob", []gateReq{reqAmy, reqBob}, nil, []gateReq{reqCarl}},
		{"INCLUDE for another feature", "INCLUDE f2 USER bob", []gateReq{reqAmy, reqBob}, nil, nil},
		{"EXCLUDE wins over INCLUDE", "INCLUDE f1 GROUP g\nGROUP g bob amy\nEXCLUDE f1 USER amy", []gateReq{reqBob}, []gateReq{reqAmy}, []gateReq{reqCarl}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := parseGate(t, tt.text+"\n", "f1")
			for _, r := range tt.admitted {
				if err := gateAdmit(g, r, 10, 1); err != nil {
					t.Errorf("%v: %v, want admitted", r, err)
				}
			}
			for _, r := range tt.excluded {
				if got := denialReason(t, gateAdmit(g, r, 10, 1)); got != GateExcluded {
					t.Errorf("%v: %v, want excluded", r, got)
				}
			}
			for _, r := range tt.notIncl {
				if got := denialReason(t, gateAdmit(g, r, 10, 1)); got != GateNotIncluded {
					t.Errorf("%v: %v, want not included", r, got)
				}
			}
		})
	}
}

func TestGateMax(t *testing.T) {
	type step struct {
		op   string // admit, took, returned
		who  gateReq
		n    int
		want GateReason // for admit
	}
	tests := []struct {
		name, text string
		steps      []step
	}{
		{"per user", "MAX 2 f1 USER bob", []step{
			{"admit", reqBob, 2, 0}, {"admit", reqBob, 3, GateMaxReached},
			{"took", reqBob, 2, 0},
			{"admit", reqBob, 1, GateMaxReached},
			{"admit", reqBob, 0, 0}, // joining a license bob holds takes nothing
			{"admit", reqAmy, 5, 0}, // others are not limited
			{"returned", reqBob, 1, 0},
			{"admit", reqBob, 1, 0},
		}},
		{"per host", "MAX 1 f1 HOST pc1", []step{
			{"took", reqBob, 1, 0},
			{"admit", gateReq{"eve", "pc1", ""}, 1, GateMaxReached},
			{"admit", reqAmy, 1, 0},
		}},
		{"a group counted together", "GROUP g bob amy\nMAX 2 f1 GROUP g", []step{
			{"took", reqBob, 1, 0}, {"took", reqAmy, 1, 0},
			{"admit", reqBob, 1, GateMaxReached}, {"admit", reqAmy, 1, GateMaxReached},
			{"admit", reqCarl, 1, 0},
			{"returned", reqBob, 1, 0},
			{"admit", reqAmy, 1, 0},
		}},
		{"MAX 0 shuts out", "MAX 0 f1 USER bob", []step{
			{"admit", reqBob, 1, GateMaxReached}, {"admit", reqAmy, 1, 0},
		}},
		{"ALL_USERS is per user", "MAX 1 f1 USER ALL_USERS", []step{
			{"took", reqBob, 1, 0},
			{"admit", reqBob, 1, GateMaxReached},
			{"admit", reqAmy, 1, 0},
			{"took", reqAmy, 1, 0},
			{"admit", reqAmy, 1, GateMaxReached},
			{"returned", reqBob, 1, 0},
			{"admit", reqBob, 1, 0},
		}},
		{"a user's own MAX line overrides ALL_USERS", "MAX 1 f1 USER ALL_USERS\nMAX 3 f1 USER bob", []step{
			{"took", reqBob, 2, 0},
			{"admit", reqBob, 1, 0},
			{"took", reqBob, 1, 0},
			{"admit", reqBob, 1, GateMaxReached},
		}},
		{"other features are not counted", "MAX 1 f2 USER bob", []step{
			{"took", reqBob, 5, 0}, {"admit", reqBob, 1, 0},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := parseGate(t, tt.text+"\n", "f1")
			for i, s := range tt.steps {
				switch s.op {
				case "took":
					gateTook(g, s.who, s.n)
				case "returned":
					gateReturned(g, s.who, s.n)
				default:
					if got := denialReason(t, gateAdmit(g, s.who, 100, s.n)); got != s.want {
						t.Errorf("step %d: %v asks %d: %v, want %v", i, s.who, s.n, got, s.want)
					}
				}
			}
		})
	}
}

func TestGateReserve(t *testing.T) {
	// Three licenses are kept for the help desk (bob and amy).
	const text = "GROUP helpdesk bob amy\nRESERVE 3 f1 GROUP helpdesk\n"
	tests := []struct {
		name       string
		heldByDesk int // licenses the help desk holds before the question
		who        gateReq
		free, n    int
		want       GateReason
	}{
		{"outsider, more than the reservation free", 0, reqCarl, 4, 1, 0},
		{"outsider, exactly the reservation free", 0, reqCarl, 3, 1, GateReserved},
		{"outsider, fewer than the reservation free", 0, reqCarl, 2, 1, GateReserved},
		{"outsider asks two, one beyond the reservation", 0, reqCarl, 4, 2, GateReserved},
		{"outsider asks two, two beyond", 0, reqCarl, 5, 2, 0},
		{"member, only reserved licenses free", 0, reqBob, 3, 1, 0},
		{"member takes all reserved at once", 0, reqAmy, 3, 3, 0},
		{"member's use fills the reservation first", 1, reqCarl, 3, 1, 0},
		{"two reserved still unused", 1, reqCarl, 2, 1, GateReserved},
		{"reservation all in use: no hold", 3, reqCarl, 1, 1, 0},
		{"members beyond their reservation", 5, reqCarl, 1, 1, 0},
		{"outsider joining a license it holds", 0, reqCarl, 0, 0, 0},
		{"no license free at all is the pool's answer", 0, reqCarl, 0, 1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := parseGate(t, text, "f1")
			gateTook(g, reqBob, tt.heldByDesk)
			if got := denialReason(t, gateAdmit(g, tt.who, tt.free, tt.n)); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}

	t.Run("a returned reservation is kept again", func(t *testing.T) {
		g := parseGate(t, text, "f1")
		gateTook(g, reqBob, 3)
		if gateAdmit(g, reqCarl, 1, 1) != nil {
			t.Fatal("reservation in use, outsider should be admitted")
		}
		gateReturned(g, reqBob, 1)
		if got := denialReason(t, gateAdmit(g, reqCarl, 1, 1)); got != GateReserved {
			t.Errorf("after a member returned one: %v, want reserved", got)
		}
	})
	t.Run("reservations of several lines add up", func(t *testing.T) {
		g := parseGate(t, "RESERVE 1 f1 USER bob\nRESERVE 2 f1 HOST pc2\n", "f1")
		if got := denialReason(t, gateAdmit(g, reqCarl, 3, 1)); got != GateReserved {
			t.Errorf("3 free, 3 reserved for others: %v", got)
		}
		if got := denialReason(t, gateAdmit(g, reqBob, 3, 1)); got != 0 { // bob is not pc2, but 1 is his
			t.Errorf("bob with 3 free, 2 reserved for pc2: %v", got)
		}
		if got := denialReason(t, gateAdmit(g, reqBob, 2, 1)); got != GateReserved {
			t.Errorf("bob with 2 free, both for pc2: %v", got)
		}
	})
	t.Run("overlapping reservations charge the first", func(t *testing.T) {
		// bob is in both; his license fills his own reservation, the group's stays whole.
		g := parseGate(t, "GROUP g bob amy\nRESERVE 1 f1 USER bob\nRESERVE 2 f1 GROUP g\n", "f1")
		gateTook(g, reqBob, 1)
		if got := denialReason(t, gateAdmit(g, reqCarl, 2, 1)); got != GateReserved {
			t.Errorf("2 free, group reservation of 2 unused: %v", got)
		}
		if got := denialReason(t, gateAdmit(g, reqCarl, 3, 1)); got != 0 {
			t.Errorf("3 free: %v", got)
		}
	})
}

// TestGateTookReturnedSymmetry: whatever is taken and given back, a gate whose licenses all
// came back answers like a fresh one.
func TestGateTookReturnedSymmetry(t *testing.T) {
	const text = `GROUP g bob amy
HOST_GROUP hg pc3 kiosk1
MAX 2 f1 GROUP g
MAX 3 f1 HOST_GROUP hg
MAX 1 f1 USER ALL_USERS
MAX 4 f1 USER amy
RESERVE 2 f1 USER bob
RESERVE 1 f1 HOST_GROUP hg
`
	fresh, g := parseGate(t, text, "f1"), parseGate(t, text, "f1")
	who := []gateReq{reqBob, reqAmy, reqCarl, reqKiosk}
	var held [4]int
	for i := 0; i < 200; i++ { // a fixed, irregular walk
		k, n := (i*7+i/3)%4, 1+i%3
		if i%5 < 3 {
			gateTook(g, who[k], n)
			held[k] += n
		} else if m := min(n, held[k]); m > 0 {
			gateReturned(g, who[k], m)
			held[k] -= m
		}
	}
	for k, n := range held {
		gateReturned(g, who[k], n)
	}
	for _, r := range who {
		for free := 0; free <= 5; free++ {
			for n := 0; n <= 3; n++ {
				if a, b := fmt.Sprint(gateAdmit(fresh, r, free, n)), fmt.Sprint(gateAdmit(g, r, free, n)); a != b {
					t.Errorf("%v free %d n %d: fresh gate says %s, used gate %s", r, free, n, a, b)
				}
			}
		}
	}
}

// TestGateExcessReturn: returning more than was taken (a bug elsewhere, or a reread) must
// not make room beyond the file's limits.
func TestGateExcessReturn(t *testing.T) {
	g := parseGate(t, "GROUP g bob amy\nMAX 2 f1 GROUP g\nRESERVE 1 f1 USER amy\n", "f1")
	gateReturned(g, reqBob, 10)
	gateReturned(g, reqAmy, 10)
	gateTook(g, reqBob, 2)
	if got := denialReason(t, gateAdmit(g, reqBob, 10, 1)); got != GateMaxReached {
		t.Errorf("MAX 2 for the group with 2 taken: %v", got)
	}
	if got := denialReason(t, gateAdmit(g, reqCarl, 1, 1)); got != GateReserved {
		t.Errorf("amy's reservation of 1 with 1 free: %v", got)
	}
	if got := denialReason(t, gateAdmit(g, reqCarl, 2, 1)); got != 0 {
		t.Errorf("amy's reservation of 1 with 2 free: %v, want admitted", got)
	}
}

func TestGateDenialNamesTheRule(t *testing.T) {
	o := parseOpts(t, "# site rules\nGROUP g bob\nMAX  1 f1   GROUP g\n")
	g := o.Gate("f1")
	gateTook(g, reqBob, 1)
	err := gateAdmit(g, reqBob, 10, 1)
	var d *GateDenial
	if !errors.As(err, &d) {
		t.Fatalf("err = %v", err)
	}
	if *d != (GateDenial{Reason: GateMaxReached, Feature: "f1", Rule: "MAX 1 f1 GROUP g", File: "test.opt", Line: 3}) {
		t.Errorf("denial = %+v", *d)
	}
	for _, want := range []string{"f1", `"MAX 1 f1 GROUP g"`, "test.opt:3", "limit"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Error() = %q, want it to contain %s", err.Error(), want)
		}
	}
}

func TestGateForQualifier(t *testing.T) {
	o := parseOpts(t, "EXCLUDE f1:VERSION=2.0 USER bob\nEXCLUDE f1 USER amy\n")
	isV := func(v string) func(OptQualifier) bool {
		return func(q OptQualifier) bool { return q.Keyword == "VERSION" && q.Value == v }
	}
	if denialReason(t, gateAdmit(o.GateFor("f1", isV("2.0")), reqBob, 10, 1)) != GateExcluded {
		t.Error("version 2.0 pool must exclude bob")
	}
	g1 := o.GateFor("f1", isV("1.0"))
	if gateAdmit(g1, reqBob, 10, 1) != nil || denialReason(t, gateAdmit(g1, reqAmy, 10, 1)) != GateExcluded {
		t.Error("version 1.0 pool must admit bob and still exclude amy")
	}
	if denialReason(t, gateAdmit(o.Gate("f1"), reqBob, 10, 1)) != GateExcluded {
		t.Error("Gate without a matcher applies qualified rules")
	}
}

// TestGateAdmitDoesNotAllocate: Admit is on the checkout hot path.
func TestGateAdmitDoesNotAllocate(t *testing.T) {
	for _, fold := range []string{"OFF", "ON"} {
		o := parseOpts(t, "GROUPCASEINSENSITIVE "+fold+`
GROUP g Bob amy
HOST_GROUP hg PC1
EXCLUDE f1 USER mallory
INCLUDE f1 GROUP g
INCLUDE f1 HOST_GROUP hg
MAX 5 f1 GROUP g
MAX 9 f1 USER ALL_USERS
RESERVE 2 f1 HOST_GROUP hg
`)
		g := o.Gate("f1")
		gateTook(g, reqAmy, 1)
		allocs := testing.AllocsPerRun(200, func() {
			if err := g.Admit("amy", "pc9", ":0", 10, 1); err != nil {
				t.Fatal(err)
			}
		})
		if allocs != 0 {
			t.Errorf("GROUPCASEINSENSITIVE %s: Admit allocates %v times", fold, allocs)
		}
	}
}

func BenchmarkGateAdmit(b *testing.B) {
	o, _ := ParseOptions("b.opt", strings.NewReader("GROUPCASEINSENSITIVE ON\nGROUP g bob amy\nEXCLUDE f1 USER x\nMAX 5 f1 GROUP g\nRESERVE 2 f1 USER carl\n"))
	g := o.Gate("f1")
	b.ReportAllocs()
	for b.Loop() {
		_ = g.Admit("Amy", "pc1", "", 10, 1)
	}
}
