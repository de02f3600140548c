package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/licd/licd/bench"
)

// What `make run` does on a new checkout: licd creates its data directory with the
// start-up licenses, a demo vendor key and the demo license, prints where everything is,
// serves, and stops cleanly on SIGTERM; a second start finds everything in place.
func TestFirstRunCreatesDataDirAndServes(t *testing.T) {
	bin, err := bench.BuildLicd("../..", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(t.TempDir(), "licd-data")
	run := func() string {
		ports := filepath.Join(t.TempDir(), "ports.json")
		var out bytes.Buffer
		cmd := exec.Command(bin, "-data", data, "-listen", "127.0.0.1", "-lm-port", "-1", "-vendor-port", "-1", "-ports-file", ports, "-hostname", "first-run-host", "-api-port", "-1")
		cmd.Env = append(os.Environ(), "LICD_RUNTIME_DIR="+t.TempDir())
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(30 * time.Second)
		for {
			if _, err := os.Stat(ports); err == nil {
				break
			}
			if time.Now().After(deadline) {
				_ = cmd.Process.Kill()
				t.Fatalf("licd did not serve:\n%s", out.String())
			}
			time.Sleep(20 * time.Millisecond)
		}
		_ = cmd.Process.Signal(syscall.SIGTERM)
		if err := cmd.Wait(); err != nil {
			t.Fatalf("licd did not stop cleanly: %v\n%s", err, out.String())
		}
		return out.String()
	}
	first := run()
	for _, want := range []string{
		"created", "citrix_startup.lic", "demo.lic", "vendor.key", "admin.token",
		"CITRIX ", "CTXLSDIAG", "10000 installed", "XDT_PLT_CCS", "XDT_PLT_UD", "stopped",
		"console               https://127.0.0.1:", "web services (API)    https://127.0.0.1:", "/api/v1/openapi.json", "tls/api.crt (self-signed, made now)",
		`first login           account "admin", one-time password `, "initial-admin-password",
	} {
		if !strings.Contains(first, want) {
			t.Errorf("first run output lacks %q:\n%s", want, first)
		}
	}
	for _, f := range []string{"MyFiles/citrix_startup.lic", "MyFiles/demo.lic", "MyFiles/CITRIX.opt", "keys/vendor.pub", "keys/vendor.key", "admin.token", "db", "CITRIX.log",
		"tls/api.crt", "tls/api.key", "initial-admin-password"} {
		if _, err := os.Stat(filepath.Join(data, f)); err != nil {
			t.Errorf("%s missing after the first run: %v", f, err)
		}
	}
	if second := run(); strings.Contains(second, "created") || !strings.Contains(second, "XDT_PLT_UD") ||
		strings.Contains(second, "first login") || strings.Contains(second, "made now") || !strings.Contains(second, "web services (API)") {
		t.Errorf("second run should reuse the data directory:\n%s", second)
	}
}
