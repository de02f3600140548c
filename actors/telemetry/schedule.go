package telemetry

import (
	"fmt"
	"time"
)

// Upload timing ("Reporting options": "The first upload occurs approximately five minutes
// after the License Server first starts or restarts and the next uploads occur once a day
// thereafter ... If an upload fails, another attempt is made in 24 hours"; "Upload
// information": "For successful uploads, allow five minutes between uploads").
const (
	DefaultFirst     = 5 * time.Minute
	DefaultInterval  = 24 * time.Hour
	DefaultMinManual = 5 * time.Minute
	// MaxBackoff is the most a run of failures stretches the retry interval.
	MaxBackoff = 4
)

// ScheduleConfig sets the schedule's times; zero values are the defaults above.
type ScheduleConfig struct {
	First, Interval, MinManual time.Duration
	// Jitter is the most added at random to a retry (default Interval/24: an hour a day),
	// so that servers that failed together do not retry together.
	Jitter time.Duration
	// Rand returns a number in [0, 1) (default: no jitter); tests pass a fixed one.
	Rand func() float64
}

func (c ScheduleConfig) withDefaults() ScheduleConfig {
	if c.First <= 0 {
		c.First = DefaultFirst
	}
	if c.Interval <= 0 {
		c.Interval = DefaultInterval
	}
	if c.MinManual <= 0 {
		c.MinManual = DefaultMinManual
	}
	if c.Jitter <= 0 {
		c.Jitter = c.Interval / 24
	}
	if c.Rand == nil {
		c.Rand = func() float64 { return 0 }
	}
	return c
}

// Schedule is when the next run is due. It does no I/O and reads no clock: the daemon
// asks Next, runs at that time and reports with Done.
type Schedule struct {
	cfg        ScheduleConfig
	next       time.Time
	failures   int
	lastManual time.Time
}

// NewSchedule starts a schedule at start: the first run is First later.
func NewSchedule(cfg ScheduleConfig, start time.Time) *Schedule {
	cfg = cfg.withDefaults()
	return &Schedule{cfg: cfg, next: start.Add(cfg.First)}
}

// Next is when the next run is due.
func (s *Schedule) Next() time.Time { return s.next }

// Failures is the number of failed runs since the last success.
func (s *Schedule) Failures() int { return s.failures }

// Done records a run that ended at now. A success (or a run that sent nothing) schedules
// the next run an Interval later; a failure retries an Interval later, stretched after the
// second failure in a row (x2, x4 at most) and with jitter added.
func (s *Schedule) Done(now time.Time, ok bool) {
	if ok {
		s.failures = 0
		s.next = now.Add(s.cfg.Interval)
		return
	}
	s.failures++
	s.next = now.Add(s.RetryDelay(s.failures))
}

// RetryDelay is the wait after the n-th failure in a row, jitter included.
func (s *Schedule) RetryDelay(n int) time.Duration {
	mult := 1
	for i := 2; i < n && mult < MaxBackoff; i++ {
		mult *= 2
	}
	return time.Duration(mult)*s.cfg.Interval + time.Duration(s.cfg.Rand()*float64(s.cfg.Jitter))
}

// TooSoonError refuses an "Upload now" within MinManual of the previous one.
type TooSoonError struct{ Wait time.Duration }

func (e *TooSoonError) Error() string {
	return fmt.Sprintf("an upload was requested less than five minutes ago: try again in %s", e.Wait.Round(time.Second))
}

// UploadNow admits an "Upload now" at now, at most one per MinManual.
func (s *Schedule) UploadNow(now time.Time) error {
	if !s.lastManual.IsZero() {
		if wait := s.lastManual.Add(s.cfg.MinManual).Sub(now); wait > 0 {
			return &TooSoonError{Wait: wait}
		}
	}
	s.lastManual = now
	return nil
}

// ComplianceWindow is how old the last successful upload may be ("Citrix Licensing
// Telemetry": "To remain compliant, the number of days since the last successful upload
// must not be greater than 90 days").
const ComplianceWindow = 90 * 24 * time.Hour

// ComplianceOverdue reports whether the compliance rule is broken at now: the last
// successful upload (or, when there was none, the time the programs were switched on) is
// more than ComplianceWindow old. days is its age in whole days.
func ComplianceOverdue(now, lastSuccess, onSince time.Time) (overdue bool, days int) {
	ref := lastSuccess
	if ref.IsZero() {
		ref = onSince
	}
	if ref.IsZero() {
		return false, 0
	}
	age := now.Sub(ref)
	return age > ComplianceWindow, int(age / (24 * time.Hour))
}
