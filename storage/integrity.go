package storage

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"
)

// StateFile is licd's own record of the store, kept in the store's directory but outside
// Pebble: the boot epoch licd last wrote. It goes wherever the directory goes (a backup, a
// directory moved aside), so it always describes the Pebble files next to it (SCHEMA.md,
// "Integrity").
const StateFile = "LICD-STATE"

// storeState is StateFile's content.
type storeState struct {
	Schema uint64 `json:"schema"`
	Epoch  uint64 `json:"epoch"` // the boot epoch Open last committed
}

// wayOut tells an administrator what to do with a store licd refuses.
func wayOut(dir string) string {
	return fmt.Sprintf("licd refuses to start on it rather than lose or resurrect licenses. Restore the data directory from a backup (manual, \"Disaster recovery backup and redundancy\"), or move %s aside to start with an empty store (the licenses in use and the user/device assignments are then forgotten)", dir)
}

// storeExists says whether dir holds a store licd wrote before: its StateFile, or any of
// Pebble's files (a store of a licd that predates StateFile). Pebble is then opened with
// ErrorIfNotExists: without its manifest marker Pebble would otherwise create an empty
// store over the old files and delete them.
func storeExists(fs vfs.FS, dir string) (storeState, bool, error) {
	var st storeState
	b, err := readAll(fs, fs.PathJoin(dir, StateFile))
	if err == nil {
		if err := json.Unmarshal(b, &st); err != nil {
			return st, true, fmt.Errorf("storage: %s is damaged (%v); %s", fs.PathJoin(dir, StateFile), err, wayOut(dir))
		}
		return st, true, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return st, false, fmt.Errorf("storage: read %s: %w", fs.PathJoin(dir, StateFile), err)
	}
	names, err := fs.List(dir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return st, false, fmt.Errorf("storage: list %s: %w", dir, err)
	}
	for _, n := range names {
		if strings.HasSuffix(n, ".sst") || strings.HasSuffix(n, ".log") || strings.HasPrefix(n, "MANIFEST-") {
			return st, true, nil
		}
	}
	return st, false, nil
}

// openError explains a failed pebble.Open of an existing store.
func openError(dir string, err error) error {
	if errors.Is(err, pebble.ErrDBDoesNotExist) {
		return fmt.Errorf("storage: the store in %s is damaged: its manifest (marker.manifest.*, MANIFEST-*) is missing, so what it holds cannot be found; %s", dir, wayOut(dir))
	}
	if pebble.IsCorruptionError(err) {
		return fmt.Errorf("storage: the store in %s is corrupt (%v); %s", dir, err, wayOut(dir))
	}
	return fmt.Errorf("storage: cannot open the data directory %s: %w; check that no other licd is using it and that the disk is readable", dir, err)
}

// verify reads every record once, so that a damaged block (its checksum fails) is found
// here, as a clear refusal to start, and not by an actor rebuilding its state. The blocks it
// reads stay in the cache for that rebuild.
func (s *Store) verify() (err error) {
	defer recoverFatal(&err)
	it, err := s.db.NewIter(nil)
	if err != nil {
		return fmt.Errorf("storage: cannot read %s: %w", s.dir, err)
	}
	for valid := it.First(); valid; valid = it.Next() {
		if _, err := it.ValueAndErr(); err != nil {
			break
		}
	}
	if err := it.Close(); err != nil {
		if pebble.IsCorruptionError(err) {
			return fmt.Errorf("storage: the store in %s is corrupt: %v; %s", s.dir, err, wayOut(s.dir))
		}
		return fmt.Errorf("storage: reading %s: %w", s.dir, err)
	}
	return nil
}

// checkEpoch compares the boot epoch in the store with the one StateFile recorded: an
// older epoch means files holding the latest writes are gone (a deleted WAL, an older copy
// of some files put back), and the store is refused.
func (s *Store) checkEpoch(st storeState) error {
	epoch, _, err := s.getUint(metaEpoch)
	if err != nil {
		return err
	}
	if epoch < st.Epoch {
		return fmt.Errorf("storage: the store in %s is older than what licd last wrote to it (start %d recorded in %s, the store holds start %d): some of its files were lost or replaced by older copies; %s",
			s.dir, st.Epoch, StateFile, epoch, wayOut(s.dir))
	}
	return nil
}

// writeState records the epoch just committed, atomically (a temporary file renamed over
// the old one, both synced).
func writeState(fs vfs.FS, dir string, st storeState) error {
	b, err := json.Marshal(st)
	if err != nil {
		return err
	}
	path := fs.PathJoin(dir, StateFile)
	if err := writeSynced(fs, path+".tmp", append(b, '\n')); err != nil {
		return fmt.Errorf("storage: write %s: %w", path, err)
	}
	if err := fs.Rename(path+".tmp", path); err != nil {
		return fmt.Errorf("storage: write %s: %w", path, err)
	}
	d, err := fs.OpenDir(dir)
	if err == nil {
		err = d.Sync()
		if cerr := d.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		return fmt.Errorf("storage: sync %s: %w", dir, err)
	}
	return nil
}

func writeSynced(fs vfs.FS, path string, b []byte) error {
	f, err := fs.Create(path, vfs.WriteCategoryUnspecified)
	if err != nil {
		return err
	}
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

func readAll(fs vfs.FS, path string) ([]byte, error) {
	f, err := fs.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, 1<<16))
}
