package storage

import (
	"errors"
	"fmt"

	"go.uber.org/zap"
)

// DefaultDiskReserve is the free space below which the store refuses writes: more than a
// memtable (memTableBytes) so that Pebble's flush of it, the WAL and the manifest always fit.
// Pebble cannot continue after a failed WAL write (its commit pipeline stops), so a write is
// refused while it is still safe rather than attempted on a disk that may fill up under it.
const DefaultDiskReserve = 2 * memTableBytes

// ErrDiskFull is wrapped by a write refused because the disk holding the store has less
// free space than the reserve. Nothing was written, the store stays usable, and writes
// succeed again as soon as there is space.
var ErrDiskFull = errors.New("storage: the disk holding the data directory is full")

// roomToWrite refuses a write while the disk has less free space than the reserve, and
// logs once when the disk fills and once when space returns (not once per refused write).
// A file system that cannot report its usage is not checked.
func (s *Store) roomToWrite() error {
	u, err := s.fs.GetDiskUsage(s.dir)
	if err != nil || u.AvailBytes >= s.reserve {
		if err == nil && s.full.CompareAndSwap(true, false) {
			s.log.Warn("disk space is back; writes resume", zap.String("dir", s.dir), zap.Uint64("free_bytes", u.AvailBytes))
		}
		return nil
	}
	if s.full.CompareAndSwap(false, true) {
		s.log.Error("the disk holding the data directory is full: every grant is denied until there is space (nothing is lost; licd resumes by itself)",
			zap.String("dir", s.dir), zap.Uint64("free_bytes", u.AvailBytes), zap.Uint64("reserve_bytes", s.reserve))
	}
	return fullError(s.dir, u.AvailBytes, s.reserve)
}

func fullError(dir string, free, reserve uint64) error {
	return fmt.Errorf("%w: %d bytes free for %s, below the %d-byte reserve licd keeps so that its store never runs out of space mid-write; free space on that disk", ErrDiskFull, free, dir, reserve)
}
