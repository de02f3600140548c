package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/licd/licd/actors/daemon"
	"github.com/licd/licd/cmd/internal/locate"
	"github.com/licd/licd/storage"
	"github.com/licd/licd/wire"
)

// The disaster-recovery subcommands (doc/HA.md "Backup and restore"; manual, "Disaster
// recovery backup and redundancy"):
//
//	licd backup -to DIR [-data DATA] [-server PORT@HOST]   online, while the server serves
//	licd restore -from DIR -data NEWDATA                   then: licd -data NEWDATA

// subcommand runs `licd backup` or `licd restore`; ok is false for any other first argument.
func subcommand(args []string, stdout, stderr io.Writer) (code int, ok bool) {
	if len(args) == 0 {
		return 0, false
	}
	switch args[0] {
	case "backup":
		return runBackup(args[1:], stdout, stderr, os.Getenv), true
	case "restore":
		return runRestore(args[1:], stdout, stderr), true
	case "cluster":
		return clusterCommand(args[1:], stdout, stderr), true
	}
	return 0, false
}

func runBackup(args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	fs := flag.NewFlagSet("licd backup", flag.ContinueOnError)
	fs.SetOutput(stderr)
	to := fs.String("to", "", "directory to write the backup into (new, or empty); keep it on another disk or machine")
	data := fs.String("data", "", "the server's data directory (default $LICD_DATA, else licd-data)")
	server := fs.String("server", "", "the running server's license-manager address, PORT@HOST on this host (default: found from the data directory's locator)")
	timeout := fs.Duration("t", 30*time.Minute, "how long to wait for the server to make the backup")
	licenseDir := fs.String("c", "", "a stopped server's license directory, when not DATA/MyFiles (a running server knows its own)")
	options := fs.String("options", "", "a stopped server's options file, when not LICENSEDIR/CITRIX.opt")
	hostname := fs.String("hostname", "", "the host name a stopped server serves as, when not this machine's (a running server knows its own)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: licd backup -to DIR [-data DATA] [-server PORT@HOST]")
		fmt.Fprintln(stderr, "Makes a consistent copy of a license server (store, license files, options file, keys, admin token, settings) while it serves; a stopped server's data directory is copied directly.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return parseExit(err)
	}
	if *to == "" || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "licd backup: give the backup directory with -to DIR (and nothing else after the flags)")
		return 2
	}
	dest, err := filepath.Abs(*to)
	if err != nil {
		fmt.Fprintln(stderr, "licd backup:", err)
		return 1
	}
	dataDir := *data
	if dataDir == "" {
		dataDir = getenv("LICD_DATA")
	}
	if dataDir == "" {
		dataDir = "licd-data"
	}
	if dataDir, err = filepath.Abs(dataDir); err != nil {
		fmt.Fprintln(stderr, "licd backup:", err)
		return 1
	}
	addr := *server
	if addr == "" {
		if s, ok := locate.ForDataDir(getenv, dataDir); ok {
			addr = strconv.Itoa(s.LMPort) + "@127.0.0.1"
		}
	}
	var info *daemon.BackupInfo
	if addr == "" {
		if pid, held, err := storage.LockHolder(filepath.Join(dataDir, "db")); err == nil && held {
			fmt.Fprintf(stderr, "licd backup: licd (process %d) runs on %s but no locator names its port: give its license-manager port with -server PORT@localhost\n", pid, dataDir)
			return 1
		}
		// No server runs on it: copy the stopped server's data directory directly.
		host := *hostname
		if host == "" {
			host, _ = os.Hostname()
		}
		info, err = daemon.BackupOffline(daemon.OfflineBackup{DataDir: dataDir, LicenseDir: *licenseDir, OptionsFile: *options, To: dest, Hostname: host})
	} else {
		info, err = backupOnline(addr, dataDir, dest, *timeout)
	}
	if err != nil {
		fmt.Fprintln(stderr, "licd backup:", err)
		return 1
	}
	m := info.Manifest
	fmt.Fprintf(stdout, "licd backup: wrote %s: %d files, %d bytes, in %s\n", info.Dir, info.Files, info.Bytes, info.Took)
	fmt.Fprintf(stdout, "  server %s (install id %s), licd %s, store as of %s\n", orDash(m.Hostname), orDash(m.ServerID), m.Version, m.Began.Format(time.RFC3339Nano))
	fmt.Fprintln(stdout, "  it holds the vendor's private key, the admin token and user and device names: keep it private, and off this machine")
	fmt.Fprintf(stdout, "  restore: licd restore -from %s -data NEWDIR, then licd -data NEWDIR\n", info.Dir)
	return 0
}

// parseExit is a subcommand's exit code for a flag error: 0 when help was asked for.
func parseExit(err error) int {
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	return 2
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// backupOnline asks the server at addr for a backup with the admin request "backup", with
// the admin token of its data directory (the utilities' way: local callers only).
func backupOnline(addr, dataDir, dest string, timeout time.Duration) (*daemon.BackupInfo, error) {
	tok, err := os.ReadFile(filepath.Join(dataDir, daemon.TokenFile))
	if err != nil {
		return nil, fmt.Errorf("read the admin token: %w; run licd backup as the user licd runs as, with -data naming its data directory", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	rc, err := wire.DialRaw(ctx, addr, 10*time.Second)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	if err := rc.SetDeadline(time.Now().Add(timeout)); err != nil {
		return nil, err
	}
	args, err := json.Marshal(map[string]string{"dir": dest})
	if err != nil {
		return nil, err
	}
	var res wire.AdminResult
	if err := rc.Request(&wire.Admin{Token: strings.TrimSpace(string(tok)), Op: "backup", Args: args}, &res); err != nil {
		var we *wire.Error
		if errors.As(err, &we) {
			return nil, fmt.Errorf("the server at %s refused: %s", addr, we.Detail)
		}
		return nil, fmt.Errorf("the server at %s: %w", addr, err)
	}
	var info daemon.BackupInfo
	if err := json.Unmarshal(res.JSON, &info); err != nil || info.Manifest == nil {
		return nil, fmt.Errorf("the server at %s answered the backup with something this licd does not understand (%v): are both the same version?", addr, err)
	}
	return &info, nil
}

func runRestore(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("licd restore", flag.ContinueOnError)
	fs.SetOutput(stderr)
	from := fs.String("from", "", "the backup directory (written by licd backup -to)")
	data := fs.String("data", "", "the data directory to create (it must not exist, or be empty)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: licd restore -from BACKUPDIR -data NEWDATADIR")
		fmt.Fprintln(stderr, "Verifies a backup (every file's SHA-256) and makes a data directory of it that licd -data starts from; never overwrites one.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return parseExit(err)
	}
	if *from == "" || *data == "" || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "licd restore: give the backup with -from DIR and the new data directory with -data DIR")
		return 2
	}
	rep, err := daemon.Restore(*from, *data)
	if err != nil {
		fmt.Fprintln(stderr, "licd:", err)
		return 1
	}
	m := rep.Manifest
	fmt.Fprintf(stdout, "licd restore: %s verified (%d files) and restored into %s\n", *from, len(m.Files), rep.DataDir)
	fmt.Fprintf(stdout, "  the backup of %s (install id %s) made by licd %s, store as of %s\n", orDash(m.Hostname), orDash(m.ServerID), m.Version, m.Began.Format(time.RFC3339Nano))
	for _, n := range rep.Notes {
		fmt.Fprintln(stdout, "  note:", n)
	}
	fmt.Fprintf(stdout, "  start it: licd -data %s\n", rep.DataDir)
	return 0
}
