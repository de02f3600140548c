package history

import (
	"fmt"
	"time"
)

// The manual's defaults ("Historical Use"): "The default retention period is one year";
// "Database usage snapshots are saved every 15 minutes".
const (
	DefaultRetention = 365 * 24 * time.Hour
	DefaultInterval  = 15 * time.Minute
	// MinRetention and MaxRetention bound what an administrator may set: less than a day
	// cannot hold one daily row, and ten years of 15-minute samples of hundreds of pools is
	// more than the store should carry.
	MinRetention = 24 * time.Hour
	MaxRetention = 10 * 366 * 24 * time.Hour
)

// ValidateRetention says what is wrong with a retention an administrator asked for.
func ValidateRetention(d time.Duration) error {
	if d < MinRetention || d > MaxRetention {
		return fmt.Errorf("history: a retention of %s is out of range: keep historical usage between 1 day and 10 years (for example 8760h for the default year)", d)
	}
	return nil
}

// Cutoff is the time before which samples have expired at now.
func Cutoff(now time.Time, retention time.Duration) time.Time { return now.Add(-retention) }

// NextSample is the first sampling instant after now: multiples of interval since the Unix
// epoch, so that samples fall on the quarter hours with the default interval.
func NextSample(now time.Time, interval time.Duration) time.Time {
	t := now.Truncate(interval)
	return t.Add(interval)
}
