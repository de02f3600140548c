package license

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"syscall"
)

// MaxFileBytes bounds a license file and the options file. Citrix license files are a few
// KiB (one signed line per feature and CSS date); 4 MiB holds thousands of lines, and a
// larger file in the license directory is a mistake (a copied log, a disk image) that must
// not exhaust the server's memory.
const MaxFileBytes = 4 << 20

// RefusedError is ReadRegularFile's refusal of a path that is not a regular file of at most
// the maximum size: a directory, a FIFO, a device, a symbolic link that leads nowhere, or a
// file that is too large.
type RefusedError struct {
	Path   string
	Reason string // what the path is, without the path
}

func (e *RefusedError) Error() string { return e.Path + ": " + e.Reason }

// ReadRegularFile reads path, which must be a regular file (a symbolic link to one is
// followed) of at most max bytes; anything else is a *RefusedError. Reading never blocks:
// a FIFO or device is refused before it is opened, and the file is opened non-blocking and
// checked again once open, so one swapped in between the check and the open is refused too.
// A missing file gives an error wrapping fs.ErrNotExist (a dangling symbolic link is a
// refusal, not a missing file).
func ReadRegularFile(path string, max int64) ([]byte, error) {
	lfi, err := os.Lstat(path)
	if err != nil {
		return nil, err
	}
	fi := lfi
	if lfi.Mode()&fs.ModeSymlink != 0 {
		if fi, err = os.Stat(path); err != nil {
			target, _ := os.Readlink(path)
			why := err
			if pe := (*fs.PathError)(nil); errors.As(err, &pe) {
				why = pe.Err
			}
			return nil, &RefusedError{path, fmt.Sprintf("a symbolic link to %s, which cannot be opened (%v)", target, why)}
		}
	}
	if err := checkRegular(path, fi, max); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK|syscall.O_NOCTTY, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if fi, err = f.Stat(); err != nil {
		return nil, err
	}
	if err := checkRegular(path, fi, max); err != nil {
		return nil, err
	}
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > max {
		return nil, tooLarge(path, int64(len(data)), max)
	}
	return data, nil
}

func checkRegular(path string, fi fs.FileInfo, max int64) error {
	if !fi.Mode().IsRegular() {
		return &RefusedError{path, describeMode(fi.Mode()) + ", not a regular file"}
	}
	if fi.Size() > max {
		return tooLarge(path, fi.Size(), max)
	}
	return nil
}

func tooLarge(path string, size, max int64) *RefusedError {
	return &RefusedError{path, fmt.Sprintf("%d bytes or more, over the %d-byte limit of a license or options file", size, max)}
}

func describeMode(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe (FIFO)"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a block device"
	}
	return "a special file (mode " + m.String() + ")"
}
