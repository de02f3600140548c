package telemetry

import (
	"fmt"
	"slices"
	"strings"
)

// Program is one data collection program ("Citrix Licensing data collection programs").
type Program string

// The programs. Their names are written in bundles and manifests: never rename one.
const (
	// CallHome shares configuration and identifiable usage, user/device data included
	// ("Citrix Licensing Call Home"); names are scrambled when PrivacySetting is on.
	CallHome Program = "callhome"
	// CEIP shares configuration and non-identifiable usage: no names, no host identifiers
	// ("Citrix Licensing Customer Experience Improvement Program").
	CEIP Program = "ceip"
	// Events are the license expiry, renewal and burst-mode events ("Citrix License Server
	// Event data"); they ride with Call Home.
	Events Program = "events"
	// Telemetry is the licence compliance data ("Citrix Licensing Telemetry"): users,
	// devices and the host name always scrambled.
	Telemetry Program = "telemetry"
)

// AllPrograms lists the programs in the order they are documented.
var AllPrograms = []Program{CallHome, CEIP, Events, Telemetry}

// Choice is the data-sharing choice of the options file (CEILOPTIN, CALLHOME, CEIP) and
// of the data_sharing_program setting: Call Home, CEIP or none ("Share usage statistics":
// one of the two programs, or "None of the above").
type Choice string

// The choices.
const (
	ChoiceNone     Choice = "none"
	ChoiceCallHome Choice = "callhome"
	ChoiceCEIP     Choice = "ceip"
)

// ParseChoice reads a choice as the setting and the API give it.
func ParseChoice(s string) (Choice, error) {
	switch c := Choice(strings.ToLower(strings.TrimSpace(s))); c {
	case ChoiceNone, ChoiceCallHome, ChoiceCEIP:
		return c, nil
	case "diagnostic":
		return ChoiceCallHome, nil
	case "unidentified", "anon":
		return ChoiceCEIP, nil
	}
	return "", fmt.Errorf("data-sharing program %q: use callhome, ceip or none", s)
}

// ChoiceFromOptions is the choice an options file makes with CEILOPTIN, CALLHOME and CEIP
// (license.Options.CallHome, CEIP; nil when the file does not say): Call Home wins over
// CEIP when both are on, as Call Home carries everything CEIP does. ok is false when the
// file says nothing.
func ChoiceFromOptions(callHome, ceip *bool) (c Choice, ok bool) {
	switch {
	case callHome == nil && ceip == nil:
		return "", false
	case callHome != nil && *callHome:
		return ChoiceCallHome, true
	case ceip != nil && *ceip:
		return ChoiceCEIP, true
	}
	return ChoiceNone, true
}

// Plan is what runs: the programs a choice switches on and whether their bundles are
// uploaded (the License Management Service) or only written for manual reporting.
type Plan struct {
	Choice   Choice    `json:"choice"`
	Programs []Program `json:"programs"`
	// Automatic is the License Management Service switch ("lmservice -enable"): on, the
	// bundles are uploaded; off, they are written for manual upload and nothing is sent.
	Automatic bool `json:"automatic"`
	// Privacy is PrivacySetting: Call Home's names scrambled too.
	Privacy bool `json:"privacy"`
}

// NewPlan is the plan of a choice. "none" runs no program: nothing is sent at all, and
// only the compliance bundle is written, for an operator who reports by hand. Call Home
// and CEIP each bring Telemetry (the compliance data) with them; Events ride with Call Home.
func NewPlan(c Choice, automatic, privacy bool) Plan {
	p := Plan{Choice: c, Automatic: automatic, Privacy: privacy}
	switch c {
	case ChoiceCallHome:
		p.Programs = []Program{CallHome, Events, Telemetry}
	case ChoiceCEIP:
		p.Programs = []Program{CEIP, Telemetry}
	}
	return p
}

// On reports whether a program runs.
func (p Plan) On(pr Program) bool { return slices.Contains(p.Programs, pr) }

// Sends reports whether anything leaves the machine: a program is on and the License
// Management Service uploads.
func (p Plan) Sends() bool { return p.Automatic && len(p.Programs) > 0 }

// UsagePrograms are the programs whose reports go in the usage bundle (all but Telemetry,
// whose report is the compliance bundle).
func (p Plan) UsagePrograms() []Program {
	var out []Program
	for _, pr := range p.Programs {
		if pr != Telemetry {
			out = append(out, pr)
		}
	}
	return out
}
