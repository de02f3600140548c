package actors

import (
	"time"

	"go.uber.org/zap"

	"github.com/licd/licd/actors/burst"
	"github.com/licd/licd/license"
	"github.com/licd/licd/wire"
)

// License burst mode in the feature actors: the calendar is package burst's, the state is a
// setting per pool ("burst/<pool id>") written in the batch of the decision that changed it,
// so it survives restarts and kill -9 with the grant that started it.

// SetBurst switches License burst mode on or off for every feature (the administrator's
// setting, "License burst mode": "To disable the License burst mode feature, use the
// Citrix Licensing Manager").
type SetBurst struct{ Off bool }

// BurstSetting is the setting that records the administrator's choice ("on"/"off").
const BurstSetting = "burst-mode"

func burstKey(poolID string) string { return "burst/" + poolID }

// retailLines counts a pool's Retail lines (LT=Retail or RetailS in the vendor string).
func retailLines(p *license.Pool) int {
	n := 0
	for _, l := range p.Lines {
		if burst.IsRetail(l.VendorString.LT()) {
			n++
		}
	}
	return n
}

// storedBurst is a pool's persisted burst state (the zero state when none, or unreadable:
// a damaged record must not stop the feature; it is logged and the pool starts armed).
func storedBurst(env *Env, poolID string) burst.State {
	b, ok, err := env.Store.Setting(burstKey(poolID))
	if err != nil || !ok {
		return burst.State{}
	}
	st, err := burst.Decode(b)
	if err != nil {
		env.Log.Warn("burst mode state unreadable; the pool starts armed", zap.String("pool", poolID), zap.Error(err))
		return burst.State{}
	}
	return st
}

// burstOff reads the administrator's setting (on by default).
func burstOff(env *Env) bool {
	b, ok, err := env.Store.Setting(BurstSetting)
	return err == nil && ok && string(b) == "off"
}

// putBurst persists a pool's state with the current batch and tells the logs.
func putBurst(env *Env, pl *pipeline, feature, poolID string, st burst.State, now time.Time) {
	pl.batch().PutSetting(burstKey(poolID), st.Encode())
	switch {
	case st.Active(now) && st.Started.Equal(now):
		env.Log.Warn("license burst mode started: connections are unlimited for 15 days; buy licenses or reduce use",
			zap.String("feature", feature), zap.String("pool", poolID), zap.Time("until", st.Until))
		env.Debug.Info(now, "License burst mode started for "+feature+" (pool "+poolID+") until "+st.Until.UTC().Format(time.RFC3339))
	case !st.EndedByInstall.IsZero() && st.EndedByInstall.Equal(now):
		env.Log.Info("license burst mode ended by a license install; re-armed", zap.String("feature", feature), zap.String("pool", poolID))
		env.Debug.Info(now, "License burst mode for "+feature+" (pool "+poolID+") ended: licenses were installed")
	}
}

// burstStatus fills a pool's status with its burst mode ("lmstat" shows a line for it).
func burstStatus(ps *wire.PoolStatus, st burst.State, retail int, now time.Time) {
	ps.Retail = retail > 0
	ps.BurstArmed = st.Armed(retail)
	if st.Used || !st.EndedByInstall.IsZero() {
		ps.BurstStarted, ps.BurstUntil = st.Started, st.Until
		ps.BurstActive = st.Active(now)
		ps.BurstDaysLeft = st.DaysLeft(now)
	}
}
