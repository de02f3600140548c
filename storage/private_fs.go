package storage

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/cockroachdb/pebble/v2/vfs"
)

// The store holds user and device names: its directory is 0700 and its files 0600,
// whatever the umask (Pebble creates files 0666 less the umask).
const (
	privateDirMode  os.FileMode = 0o700
	privateFileMode os.FileMode = 0o600
)

// privateFS is the real disk with every directory Pebble makes 0700 and every file it
// creates 0600. The mode is set right after creation, inside a directory that is already
// 0700, so no other user can open the file in between.
type privateFS struct{ vfs.FS }

func (p privateFS) Create(name string, c vfs.DiskWriteCategory) (vfs.File, error) {
	return private(p.FS.Create(name, c))(name)
}

func (p privateFS) OpenReadWrite(name string, c vfs.DiskWriteCategory, opts ...vfs.OpenOption) (vfs.File, error) {
	return private(p.FS.OpenReadWrite(name, c, opts...))(name)
}

func (p privateFS) ReuseForWrite(oldname, newname string, c vfs.DiskWriteCategory) (vfs.File, error) {
	return private(p.FS.ReuseForWrite(oldname, newname, c))(newname)
}

func (p privateFS) Lock(name string) (io.Closer, error) {
	l, err := p.FS.Lock(name)
	if err == nil {
		err = os.Chmod(name, privateFileMode)
	}
	return l, err
}

func (p privateFS) MkdirAll(dir string, _ os.FileMode) error {
	if err := p.FS.MkdirAll(dir, privateDirMode); err != nil {
		return err
	}
	return os.Chmod(dir, privateDirMode)
}

func (p privateFS) Unwrap() vfs.FS { return p.FS }

func private(f vfs.File, err error) func(name string) (vfs.File, error) {
	return func(name string) (vfs.File, error) {
		if err != nil {
			return nil, err
		}
		if err := os.Chmod(name, privateFileMode); err != nil {
			_ = f.Close()
			return nil, fmt.Errorf("storage: make %s private: %w", name, err)
		}
		return f, nil
	}
}

// makePrivate sets dir to 0700 and the regular files directly in it to 0600: a store
// written by an earlier licd, or copied in from a backup, may be readable by everyone.
func makePrivate(dir string) error {
	if err := os.Chmod(dir, privateDirMode); err != nil {
		return fmt.Errorf("storage: make the data directory %s private: %w", dir, err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("storage: list %s: %w", dir, err)
	}
	for _, e := range entries {
		if e.Type().IsRegular() {
			if err := os.Chmod(filepath.Join(dir, e.Name()), privateFileMode); err != nil {
				return fmt.Errorf("storage: make %s private: %w", filepath.Join(dir, e.Name()), err)
			}
		}
	}
	return nil
}
