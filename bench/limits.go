package bench

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// fdsPerRun is what a licbench process needs besides its product connections: the Go
// runtime, the baselines' files, the status connection, logs.
const fdsPerRun = 64

// FileLimit is this process's soft RLIMIT_NOFILE.
func FileLimit() (uint64, error) {
	var r syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &r); err != nil {
		return 0, err
	}
	return r.Cur, nil
}

// RaiseFileLimit makes room for conns connections in this process, and in a licd it starts
// (a child inherits the limit set here with setrlimit). It raises the soft limit up to the
// hard one; when even the hard limit is too low it says how to raise it. Each side of a
// loopback connection costs one descriptor in its own process: licbench holds conns, a
// self-started licd as many again.
func RaiseFileLimit(conns int) error {
	need := uint64(conns + fdsPerRun)
	var r syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &r); err != nil {
		return fmt.Errorf("read the open-file limit: %w", err)
	}
	if r.Cur < r.Max {
		r.Cur = r.Max // as high as an unprivileged process may go: licd gets the same
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &r); err != nil {
			return fmt.Errorf("raise the open-file limit to %d: %w", r.Max, err)
		}
	}
	if r.Cur >= need {
		return nil
	}
	return fmt.Errorf("this run holds %d product connections and needs about %d open files in licbench "+
		"and as many in licd, but this machine allows %d per process (hard limit). "+
		"Raise it (as root: `ulimit -Hn %d` in the shell that starts licbench, or nofile in "+
		"/etc/security/limits.conf) or ask for fewer connections (-products)", conns, need, r.Max, need)
}

// CheckPortRange says whether the machine has enough ephemeral ports for conns loopback
// connections to one server port (the kernel picks a different local port for each).
func CheckPortRange(conns int) error {
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return nil // not Linux, or not readable: let the dials speak for themselves
	}
	f := strings.Fields(string(b))
	if len(f) != 2 {
		return nil
	}
	lo, _ := strconv.Atoi(f[0])
	hi, _ := strconv.Atoi(f[1])
	if have := hi - lo + 1; conns > have {
		return fmt.Errorf("this run opens %d connections to one port, but the machine has only %d ephemeral ports (%d-%d); "+
			"widen net.ipv4.ip_local_port_range (sysctl) or ask for fewer connections (-products)", conns, have, lo, hi)
	}
	return nil
}
