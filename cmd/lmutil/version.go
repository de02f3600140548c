package main

import (
	"runtime"
)

// version is licd's version, the same as the daemon's (actors/daemon.Version; a test keeps
// them equal). lmutil does not import the daemon so that it stays a small binary.
const version = "v0.1.0"

// build is the build number lmstat -v reports; release builds set it with
// -ldflags "-X main.build=N".
var build = "0"

// platform names the operating system and architecture as FLEXlm's -v does ("x64_lsb"):
// one word, e.g. linux_amd64.
func platform() string { return runtime.GOOS + "_" + runtime.GOARCH }

// banner is the first line every utility prints, in the place of FLEXlm's copyright line.
func banner(util string) string {
	return util + " - licd " + version + " license utilities (open source)"
}

// versionLine is what `lmstat -v` prints: "lmstat v11.14.0.1 build 188735 x64_lsb" in
// FLEXlm, the line monitoring tools read the utility's version from.
func versionLine(util string) string {
	return util + " " + version + " build " + build + " " + platform()
}
