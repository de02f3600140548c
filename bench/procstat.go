package bench

import (
	"bufio"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
)

// clockTicks is USER_HZ, the unit of /proc/<pid>/stat's CPU times: 100 on every Linux
// architecture Go supports (the kernel fixes it for user space).
const clockTicks = 100

// ProcStats are a process's resource figures from /proc.
type ProcStats struct {
	Pid          int     `json:"pid"`
	CPUSeconds   float64 `json:"cpu_seconds"`    // user + system since the process started
	PeakRSSBytes int64   `json:"peak_rss_bytes"` // VmHWM
	RSSBytes     int64   `json:"rss_bytes"`      // VmRSS now
	Threads      int     `json:"threads"`
	FDs          int     `json:"fds,omitempty"`
}

// ReadProcStats reads /proc/<pid>/stat and /proc/<pid>/status (Linux).
func ReadProcStats(pid int) (ProcStats, error) {
	ps := ProcStats{Pid: pid}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return ps, fmt.Errorf("read the server's CPU time: %w (licbench reads /proc, so it must run on Linux on the server's machine)", err)
	}
	// The command name (field 2) may hold spaces; fields after the last ')' are fixed.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return ps, fmt.Errorf("/proc/%d/stat: unexpected format", pid)
	}
	f := strings.Fields(s[i+1:])
	// f[0] is field 3 (state); utime and stime are fields 14 and 15.
	if len(f) < 13 {
		return ps, fmt.Errorf("/proc/%d/stat: unexpected format", pid)
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	ps.CPUSeconds = float64(ut+st) / clockTicks

	fh, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return ps, err
	}
	defer fh.Close()
	sc := bufio.NewScanner(fh)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		fields := strings.Fields(v)
		if len(fields) == 0 {
			continue
		}
		n, _ := strconv.ParseInt(fields[0], 10, 64)
		switch k {
		case "VmHWM":
			ps.PeakRSSBytes = n * 1024
		case "VmRSS":
			ps.RSSBytes = n * 1024
		case "Threads":
			ps.Threads = int(n)
		}
	}
	if ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid)); err == nil {
		ps.FDs = len(ents)
	}
	return ps, nil
}

// Machine describes where a run happened.
type Machine struct {
	Cores       int    `json:"cores"`
	MemoryBytes int64  `json:"memory_bytes"`
	CPU         string `json:"cpu,omitempty"`
	Kernel      string `json:"kernel,omitempty"`
	GoVersion   string `json:"go"`
	FileLimit   uint64 `json:"file_limit"` // RLIMIT_NOFILE after licbench raised it
}

// ThisMachine reads the machine's cores, memory, CPU model and kernel.
func ThisMachine() Machine {
	m := Machine{Cores: runtime.NumCPU(), GoVersion: runtime.Version()}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if rest, ok := strings.CutPrefix(line, "MemTotal:"); ok {
				if f := strings.Fields(rest); len(f) > 0 {
					kb, _ := strconv.ParseInt(f[0], 10, 64)
					m.MemoryBytes = kb * 1024
				}
			}
		}
	}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	m.FileLimit, _ = FileLimit()
	return m
}

func (m Machine) String() string {
	return fmt.Sprintf("%d cores (%s), %.1f GiB memory, Linux %s, %s, open-file limit %d",
		m.Cores, m.CPU, float64(m.MemoryBytes)/(1<<30), m.Kernel, m.GoVersion, m.FileLimit)
}
