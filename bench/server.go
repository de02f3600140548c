package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// BuildLicd builds cmd/licd (and the other commands when more is given, e.g. "lmutil") from
// the module at moduleDir into outDir and returns the licd binary's path.
func BuildLicd(moduleDir, outDir string, more ...string) (string, error) {
	pkgs := []string{"./cmd/licd"}
	for _, m := range more {
		pkgs = append(pkgs, "./cmd/"+m)
	}
	args := append([]string{"build", "-o", outDir + string(os.PathSeparator)}, pkgs...)
	cmd := exec.Command("go", args...)
	cmd.Dir = moduleDir
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build %v: %w\n%s", pkgs, err, out)
	}
	return filepath.Join(outDir, "licd"), nil
}

// ServerOptions starts a real licd process.
type ServerOptions struct {
	Binary   string   // path of the licd binary
	DataDir  string   // its data directory (kept across restarts of the same Server)
	Hostname string   // -hostname (license files must be bound to it)
	Trust    []string // vendor public keys to trust
	Args     []string // more flags, e.g. -linger 2s
}

// Server is a licd process started by StartServer.
type Server struct {
	opt        ServerOptions
	cmd        *exec.Cmd
	LMPort     int
	VendorPort int
	// MetricsPort is the -metrics-listen port from the ports file (0: none).
	MetricsPort int
	mu          sync.Mutex
	out         bytes.Buffer
	exited      chan struct{}
}

// StartServer starts licd on 127.0.0.1 with free ports and waits until it serves.
func StartServer(ctx context.Context, opt ServerOptions) (*Server, error) {
	s := &Server{opt: opt}
	return s, s.start(ctx)
}

func (s *Server) start(ctx context.Context) error {
	ports := filepath.Join(s.opt.DataDir, "ports.json")
	_ = os.Remove(ports)
	if err := os.MkdirAll(s.opt.DataDir, 0o755); err != nil {
		return err
	}
	args := []string{"-data", s.opt.DataDir, "-listen", "127.0.0.1", "-lm-port", "-1", "-vendor-port", "-1",
		"-ports-file", ports, "-demo=false", "-log-level", "warn",
		// No admin API unless a test asks for it (Args "-api-port", "-1" wins: the last
		// flag counts): 8083 is one port for every test, and its 4096-bit key takes seconds.
		"-api-port", "0"}
	if s.opt.Hostname != "" {
		args = append(args, "-hostname", s.opt.Hostname)
	}
	for _, k := range s.opt.Trust {
		args = append(args, "-trust", k)
	}
	args = append(args, s.opt.Args...)
	s.cmd = exec.Command(s.opt.Binary, args...)
	// Its locator file (cmd/internal/locate) beside the data directory, not in the user's
	// runtime directory where every test's server would overwrite the last one's.
	s.cmd.Env = append(os.Environ(), "LICD_RUNTIME_DIR="+filepath.Clean(s.opt.DataDir)+".run")
	s.cmd.Stdout = &lockedWriter{s: s}
	s.cmd.Stderr = &lockedWriter{s: s}
	if err := s.cmd.Start(); err != nil {
		return fmt.Errorf("start licd: %w", err)
	}
	s.exited = make(chan struct{})
	go func() { _ = s.cmd.Wait(); close(s.exited) }()
	for {
		b, err := os.ReadFile(ports)
		if err == nil {
			var p struct{ LM, Vendor, Metrics int }
			if err := json.Unmarshal(b, &p); err != nil {
				return fmt.Errorf("read %s: %w", ports, err)
			}
			s.LMPort, s.VendorPort, s.MetricsPort = p.LM, p.Vendor, p.Metrics
			return nil
		}
		select {
		case <-s.exited:
			return fmt.Errorf("licd exited before serving: %s\n%s", s.cmd.ProcessState, s.Output())
		case <-ctx.Done():
			s.Kill()
			return fmt.Errorf("licd did not start serving: %w\n%s", ctx.Err(), s.Output())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

type lockedWriter struct{ s *Server }

func (w *lockedWriter) Write(p []byte) (int, error) {
	w.s.mu.Lock()
	defer w.s.mu.Unlock()
	return w.s.out.Write(p)
}

// Output is everything the process printed so far.
func (s *Server) Output() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.out.String()
}

// Addr is the license-manager address in the -c port@host form.
func (s *Server) Addr() string { return strconv.Itoa(s.LMPort) + "@127.0.0.1" }

// VendorAddr is the vendor daemon's address in the -c port@host form.
func (s *Server) VendorAddr() string { return strconv.Itoa(s.VendorPort) + "@127.0.0.1" }

// Pid is the process id.
func (s *Server) Pid() int { return s.cmd.Process.Pid }

// DataDir is the server's data directory.
func (s *Server) DataDir() string { return s.opt.DataDir }

// Kill ends the process with SIGKILL, as a crash would, and waits for it.
func (s *Server) Kill() {
	_ = s.cmd.Process.Signal(syscall.SIGKILL)
	<-s.exited
}

// Stop asks the process to shut down (SIGTERM) and waits up to timeout.
func (s *Server) Stop(timeout time.Duration) error {
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
		if s.cmd.ProcessState != nil && !s.cmd.ProcessState.Success() {
			return fmt.Errorf("licd exited with %s\n%s", s.cmd.ProcessState, s.Output())
		}
		return nil
	case <-time.After(timeout):
		s.Kill()
		return errors.New("licd did not stop within " + timeout.String())
	}
}

// Exited is closed when the process has ended.
func (s *Server) Exited() <-chan struct{} { return s.exited }

// Restart starts the process again on the same data directory (new ports).
func (s *Server) Restart(ctx context.Context) error { return s.start(ctx) }

// RestartSamePorts starts the process again on the same data directory and the ports it
// had, as an administrator restarting the service would; products reconnect to it.
func (s *Server) RestartSamePorts(ctx context.Context) error {
	saved := s.opt.Args
	s.opt.Args = append(append([]string(nil), saved...), "-lm-port", strconv.Itoa(s.LMPort), "-vendor-port", strconv.Itoa(s.VendorPort))
	err := s.start(ctx)
	s.opt.Args = saved
	return err
}
