package main

import (
	"bytes"
	"context"
	"errors"
	"net"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/licd/licd/bench"
)

// A licd that cannot start says why and exits non-zero, without a panic or a stack trace:
// the license-manager port is taken by another process, or a trusted vendor key cannot be
// read (both fail after the store is open, so what was started must be stopped again).
func TestStartFailureIsAMessageNotAPanic(t *testing.T) {
	bin, err := bench.BuildLicd("../..", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	busyPort := strconv.Itoa(busy.Addr().(*net.TCPAddr).Port)
	missingKey := filepath.Join(t.TempDir(), "no-such-vendor.pub")
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"port in use", []string{"-lm-port", busyPort}, "is another license server running?"},
		{"trusted key unreadable", []string{"-trust", missingKey}, "read the trusted vendor keys"},
		{"API port in use", []string{"-api-port", busyPort}, "choose another with -api-port"},
		{"plain HTTP off loopback", []string{"-api-port", "-1", "-api-http", "-listen", "0.0.0.0"}, "only served on a loopback address"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := filepath.Join(t.TempDir(), "data")
			args := append([]string{"-data", data, "-listen", "127.0.0.1", "-lm-port", "-1", "-vendor-port", "-1", "-hostname", "h", "-api-port", "0"}, tc.args...)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			var out bytes.Buffer
			cmd := exec.CommandContext(ctx, bin, args...)
			cmd.Stdout, cmd.Stderr = &out, &out
			err := cmd.Run()
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.ExitCode() != 1 {
				t.Fatalf("licd %v: got %v, want exit status 1\n%s", tc.args, err, out.String())
			}
			text := out.String()
			if strings.Contains(text, "panic") || strings.Contains(text, "goroutine ") {
				t.Errorf("licd panicked instead of reporting the failure:\n%s", text)
			}
			if !strings.Contains(text, "licd: ") || !strings.Contains(text, tc.want) {
				t.Errorf("output lacks the message %q:\n%s", tc.want, text)
			}
		})
	}
}
