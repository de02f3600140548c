// Package locate is how the utilities find a running licd on their host without being told
// its data directory: licd writes a small locator file at a well-known per-host place when it
// serves, and removes it when it stops; lmutil reads it (and the system-wide configuration
// file) when neither -data nor LICD_DATA is given, as the manual's examples are typed
// ("lmreread -c @localhost" from any directory).
package locate

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// Server is what a locator file says about the licd that wrote it.
type Server struct {
	DataDir    string `json:"data"`
	LMPort     int    `json:"lm"`
	VendorPort int    `json:"vendor"`
	PID        int    `json:"pid"`
}

// fileName is the locator's name in each directory Dirs lists.
const fileName = "licd.json"

// SystemConfig is the service's configuration file (make install puts it there); its data
// key names the data directory.
const SystemConfig = "/etc/licd/licd.toml"

// Dirs are the places a locator may be, most specific first: $LICD_RUNTIME_DIR (tests, or
// an administrator's choice), /run/licd (the systemd unit's RuntimeDirectory), then the
// user's runtime directory ($XDG_RUNTIME_DIR/licd, else the temporary directory's
// licd-UID).
func Dirs(getenv func(string) string) []string {
	if d := getenv("LICD_RUNTIME_DIR"); d != "" {
		return []string{d}
	}
	dirs := []string{"/run/licd"}
	if d := getenv("XDG_RUNTIME_DIR"); d != "" {
		dirs = append(dirs, filepath.Join(d, "licd"))
	}
	return append(dirs, filepath.Join(os.TempDir(), "licd-"+strconv.Itoa(os.Getuid())))
}

// Write records s in the first of Dirs licd can write (creating a private directory in the
// user's runtime place) and returns the file's path, for Remove.
func Write(s Server, getenv func(string) string) (string, error) {
	b, err := json.Marshal(s)
	if err != nil {
		return "", err
	}
	var firstErr error
	for _, d := range Dirs(getenv) {
		if d == "/run/licd" {
			if fi, err := os.Stat(d); err != nil || !fi.IsDir() {
				continue // only when a service manager made it
			}
		} else if err := os.MkdirAll(d, 0o700); err != nil {
			firstErr = cmp(firstErr, err)
			continue
		} else if !private(d) {
			firstErr = cmp(firstErr, fmt.Errorf("%s is not a private directory of this user", d))
			continue
		}
		path := filepath.Join(d, fileName)
		tmp := path + ".tmp"
		if err := os.WriteFile(tmp, b, 0o600); err != nil {
			firstErr = cmp(firstErr, err)
			continue
		}
		if err := os.Rename(tmp, path); err != nil {
			firstErr = cmp(firstErr, err)
			continue
		}
		return path, nil
	}
	if firstErr == nil {
		firstErr = errors.New("no runtime directory")
	}
	return "", fmt.Errorf("write the locator the utilities read: %w", firstErr)
}

func cmp(first, err error) error {
	if first == nil {
		return err
	}
	return first
}

// Remove deletes the locator at path if it still names this process (another licd may have
// started since and written its own).
func Remove(path string, pid int) {
	if s, err := read(path); err == nil && s.PID == pid {
		_ = os.Remove(path)
	}
}

// Find returns the data directories the locators and the system configuration name, those
// of a server whose license-manager port is among ports first (any, when ports is empty).
func Find(getenv func(string) string, ports []int) []string {
	var match, other []string
	for _, d := range Dirs(getenv) {
		if d != "/run/licd" && !private(d) {
			continue // in a shared temporary directory anyone could have made it
		}
		s, err := read(filepath.Join(d, fileName))
		if err != nil || s.DataDir == "" {
			continue
		}
		if len(ports) == 0 || contains(ports, s.LMPort) {
			match = append(match, s.DataDir)
		} else {
			other = append(other, s.DataDir)
		}
	}
	if d := configDataDir(SystemConfig); d != "" {
		other = append(other, d)
	}
	return append(match, other...)
}

func contains(xs []int, x int) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

func read(path string) (Server, error) {
	var s Server
	b, err := os.ReadFile(path)
	if err != nil {
		return s, err
	}
	return s, json.Unmarshal(b, &s)
}

// configDataDir reads the data key of a licd configuration file: a line `data = "DIR"`.
// The utilities need that one key only, so they do not carry a TOML parser.
func configDataDir(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	for _, l := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(strings.TrimSpace(l), "=")
		if !ok || strings.TrimSpace(k) != "data" {
			continue
		}
		if s, err := strconv.Unquote(strings.TrimSpace(v)); err == nil {
			return s
		}
	}
	return ""
}

// private reports whether d is a real directory (not a link) of this user that nobody else
// can write: /tmp/licd-UID is a name anyone could take first.
func private(d string) bool {
	fi, err := os.Lstat(d)
	if err != nil || !fi.IsDir() || fi.Mode().Perm()&0o022 != 0 {
		return false
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	return ok && int(st.Uid) == os.Getuid()
}

// ForDataDir returns the locator of the licd serving dataDir on this host, if one is
// running (its process exists): how `licd backup -data DIR` finds the server's port.
func ForDataDir(getenv func(string) string, dataDir string) (Server, bool) {
	want, err := filepath.Abs(dataDir)
	if err != nil {
		return Server{}, false
	}
	for _, d := range Dirs(getenv) {
		if d != "/run/licd" && !private(d) {
			continue
		}
		s, err := read(filepath.Join(d, fileName))
		if err != nil || filepath.Clean(s.DataDir) != want || s.LMPort <= 0 {
			continue
		}
		if s.PID > 0 && syscall.Kill(s.PID, 0) == syscall.ESRCH {
			continue // a locator a killed licd left behind
		}
		return s, true
	}
	return Server{}, false
}
