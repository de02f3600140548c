package main

import (
	"debug/buildinfo"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/licd/licd/wire"
)

// runLmver is "Display versions of binaries (lmver)": `lmver` or `lmver lmdiag` (any
// utility: they are all this binary) prints lmutil's version; `lmver PATH` (or the name of
// a program on the PATH, such as licd) reads the version a Go binary was built with.
func runLmver(e *env, args []string) int {
	o, err := e.parse(nil, args)
	if err != nil {
		return e.usageError(err)
	}
	if o.help() {
		return e.printHelp()
	}
	if len(o.args) > 1 {
		return e.usageError(fmt.Errorf("lmver: give one binary, not %q", strings.Join(o.args, " ")))
	}
	fmt.Fprintln(e.stdout, banner("lmver"))
	if len(o.args) == 0 || findUtility(o.args[0]) != nil || o.args[0] == "lmutil" {
		name := "lmutil"
		if len(o.args) == 1 {
			name = o.args[0]
		}
		fmt.Fprintf(e.stdout, "%s: licd %s build %s %s\n", name, version, build, platform())
		return 0
	}
	path := o.args[0]
	if found := daemonBinary(path); found != "" {
		path = found
	} else if _, err := os.Stat(path); err != nil {
		if found, lerr := exec.LookPath(path); lerr == nil {
			path = found
		} else {
			return e.fail(&wire.Error{Code: wire.CodeBadRequest, Detail: fmt.Sprintf("no binary %q: give its path or the name of a program on the PATH", path)})
		}
	}
	info, err := buildinfo.ReadFile(path)
	if err != nil {
		return e.fail(&wire.Error{Code: wire.CodeBadRequest, Detail: fmt.Sprintf("%s: no version information: %v (lmver reads Go binaries such as licd and licgen)", path, err)})
	}
	v := info.Main.Version
	for _, s := range info.Settings {
		if s.Key == "vcs.revision" && len(s.Value) >= 12 {
			v += " revision " + s.Value[:12]
		}
	}
	fmt.Fprintf(e.stdout, "%s: %s %s, %s\n", path, info.Path, v, info.GoVersion)
	return 0
}

// daemonBinary finds the licd binary for `lmver licd`, `lmver lmgrd` and `lmver CITRIX`
// (the manual's lmver names the license manager and the vendor daemon; licd is both):
// beside this lmutil (make build and make install put them together), else on the PATH.
// It returns "" for other names, or when there is no licd to be found.
func daemonBinary(name string) string {
	switch name {
	case "licd", "lmgrd", "CITRIX":
	default:
		return ""
	}
	if self, err := os.Executable(); err == nil {
		if p := filepath.Join(filepath.Dir(self), "licd"); isFile(p) {
			return p
		}
	}
	if p, err := exec.LookPath("licd"); err == nil {
		return p
	}
	return ""
}

func isFile(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular()
}
