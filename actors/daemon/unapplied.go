package daemon

import (
	"fmt"
	"sort"

	"github.com/licd/licd/actors/idle"
	"github.com/licd/licd/license"
)

// unappliedWarnings lists what the options file and the license files say that licd parses
// but does not act on yet: an administrator must not believe a rule is in force when it is
// not (issue 12: "never silent"). lmreread's answer and the admin results carry them.
//
// VENDOR_STRING NURMIN/NURMAX (NUDURMIN/NUDURMAX) bound the named-user period of named-user
// features (actors feature_ud.go); on the lines of other models, which the manual's examples
// carry them on too, they mean nothing and are not reported: the inventory has nothing left
// to report today.
func unappliedWarnings(opts *license.Options, _ *license.Inventory) []string {
	var out []string
	if opts != nil {
		// TIMEOUT and TIMEOUTALL are applied (actors feature_idle.go), with FLEXlm's minimum:
		// a shorter one is raised, and says so; on user/device features they do nothing.
		if opts.TimeoutAll > 0 && opts.TimeoutAll < idle.Minimum {
			out = append(out, fmt.Sprintf("warning: %s: TIMEOUTALL %d is below the minimum of %d seconds: %d applies", opts.Path, int(opts.TimeoutAll.Seconds()), int(idle.Minimum.Seconds()), int(idle.Minimum.Seconds())))
		}
		features := make([]string, 0, len(opts.Timeouts))
		for f := range opts.Timeouts {
			features = append(features, f)
		}
		sort.Strings(features)
		for _, f := range features {
			if d := opts.Timeouts[f]; d < idle.Minimum {
				out = append(out, fmt.Sprintf("warning: %s: TIMEOUT %s %d is below the minimum of %d seconds: %d applies", opts.Path, f, int(d.Seconds()), int(idle.Minimum.Seconds()), int(idle.Minimum.Seconds())))
			}
			if m, err := license.ModelOfFeature(f); err == nil && m.HasOverdraft() {
				out = append(out, fmt.Sprintf("warning: %s: TIMEOUT %s has no effect: user/device licenses are assigned for the license assignment period, not checked out", opts.Path, f))
			}
		}
		if opts.NoLogQueued {
			out = append(out, fmt.Sprintf("warning: %s: NOLOG QUEUED has no effect: licd does not queue requests", opts.Path))
		}
	}
	return out
}
