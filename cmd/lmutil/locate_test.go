package main

import (
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/licd/licd/license"
)

// The manual types the admin utilities on the server's host as they are, from any directory
// ("lmreread -c @localhost"): lmreread finds the server's data directory (its admin token)
// through the locator licd writes when it serves, with neither -data nor LICD_DATA; when no
// locator names the server, the error says what to set.
func TestAdminUtilitiesFindTheServerFromAnyDirectory(t *testing.T) {
	s := startServer(t, map[string][]license.LineSpec{"ccs.lic": {{Feature: "XDT_PLT_CCS", Count: 10, CSS: 20300101, Permanent: true}}})
	elsewhere := t.TempDir()
	lmreread := func(runtimeDir string) (string, int) {
		cmd := exec.Command(bins.lmutil, "lmreread", "-c", strconv.Itoa(s.LMPort)+"@localhost")
		cmd.Dir = elsewhere
		cmd.Env = []string{"PATH=/usr/bin:/bin", "LICD_RUNTIME_DIR=" + runtimeDir}
		out, err := cmd.CombinedOutput()
		if ee, ok := err.(*exec.ExitError); ok {
			return string(out), ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return string(out), 0
	}
	// bench.StartServer gives licd the runtime directory DATA.run.
	if out, code := lmreread(filepath.Clean(s.data) + ".run"); code != 0 || !strings.Contains(out, "reread") {
		t.Errorf("lmreread from another directory, with the locator: exit %d\n%s", code, out)
	}
	out, code := lmreread(t.TempDir())
	if code == 0 || !strings.Contains(out, "-data DIR (or LICD_DATA)") {
		t.Errorf("lmreread with no locator: exit %d, want a failure that says what to set\n%s", code, out)
	}
}
