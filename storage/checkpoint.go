package storage

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"

	"github.com/cockroachdb/pebble/v2"
)

// Checkpoint writes a consistent copy of the store, as it is at this instant, into dir,
// which must not exist (the manual's "Disaster recovery backup and redundancy"; SCHEMA.md
// "Backups"). It is Pebble's checkpoint: the sstables are hard-linked when dir is on the
// same file system (copied otherwise), the MANIFEST is cut at the current version and the
// WAL (short: the memtable is flushed first) is copied after a synced empty record, so every commit acknowledged before the call
// is in the copy. Writers are not held up: Pebble takes its mutex only to list the files.
// The copy carries its own StateFile with the running boot epoch, so Open accepts it as
// the store licd last wrote. dir is 0700 and its files 0600: a backup holds user and
// device names.
func (s *Store) Checkpoint(dir string) (err error) {
	if err := s.usable(); err != nil {
		return err
	}
	if _, err := os.Lstat(dir); err == nil {
		return fmt.Errorf("storage: checkpoint into %s: it exists already; give a directory that does not", dir)
	}
	defer recoverFatal(&err)
	// Flush the memtable first: the WAL holds every grant ever put and deleted since the
	// last flush (up to memTableBytes), the flushed table only what is live, so the copy
	// is small and the WAL the checkpoint copies is short.
	if err := s.db.Flush(); err != nil {
		return fmt.Errorf("storage: flush %s before a checkpoint: %w", s.dir, err)
	}
	if err := s.db.Checkpoint(dir, pebble.WithFlushedWAL()); err != nil {
		return fmt.Errorf("storage: checkpoint of %s into %s: %w", s.dir, dir, err)
	}
	// The epoch of this boot: every record in the copy was written in it or before.
	st := storeState{Schema: SchemaVersion, Epoch: s.eventSeq.Load() >> 32}
	if err := writeState(s.fs, dir, st); err != nil {
		return err
	}
	if _, isPrivate := s.fs.(privateFS); isPrivate {
		return makePrivate(dir)
	}
	return nil
}

// LockHolder reports whether a running licd (any process) holds the store in dir: Pebble
// keeps an exclusive POSIX lock on dir/LOCK while it is open. It only asks (F_GETLK) and
// never takes the lock or creates the file; pid is the holder's process id.
func LockHolder(dir string) (pid int, held bool, err error) {
	f, err := os.Open(filepath.Join(dir, "LOCK"))
	if errors.Is(err, os.ErrNotExist) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("storage: check whether %s is in use: %w", dir, err)
	}
	defer f.Close()
	lk := syscall.Flock_t{Type: syscall.F_WRLCK, Whence: 0, Start: 0, Len: 0}
	if err := syscall.FcntlFlock(f.Fd(), syscall.F_GETLK, &lk); err != nil {
		return 0, false, fmt.Errorf("storage: check whether %s is in use: %w", dir, err)
	}
	if lk.Type == syscall.F_UNLCK {
		return 0, false, nil
	}
	return int(lk.Pid), true, nil
}
