package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/licd/licd/wire"
)

// tokenFile is the admin token's name in the server's data directory (the daemon's
// daemon.TokenFile; a test keeps them equal).
const tokenFile = "admin.token"

// defaultDataDir is where `make run` keeps licd's data.
const defaultDataDir = "licd-data"

// adminToken reads the token that authorises admin requests ("You cannot use lmreread
// remotely; run it locally on the License Server"): the server wrote it into its data
// directory, readable only by the user that runs licd. The data directory is -data, else
// $LICD_DATA, else the parent of a license directory named by -c (DATA/MyFiles), else the
// data directory of the licd serving the target on this host (its locator file, or the
// system configuration /etc/licd/licd.toml: package cmd/internal/locate), else ./licd-data.
func (e *env) adminToken(o *options, targets []target) (string, error) {
	var dirs []string
	switch {
	case o.val("-data") != "":
		dirs = []string{o.val("-data")}
	case e.getenv("LICD_DATA") != "":
		dirs = []string{e.getenv("LICD_DATA")}
	default:
		for _, t := range targets {
			for _, f := range t.Files {
				dirs = append(dirs, filepath.Dir(filepath.Dir(f)))
			}
		}
		if e.locate != nil {
			var ports []int
			for _, t := range targets {
				ports = append(ports, t.Port)
			}
			dirs = append(dirs, e.locate(ports)...)
		}
		dirs = append(dirs, defaultDataDir)
	}
	var firstErr error
	for _, d := range dirs {
		path := filepath.Join(d, tokenFile)
		b, err := os.ReadFile(path)
		if err == nil {
			if tok := strings.TrimSpace(string(b)); tok != "" {
				return tok, nil
			}
			err = errors.New("the file is empty")
		}
		if firstErr == nil {
			firstErr = fmt.Errorf("cannot read the admin token %s: %v", path, unwrapPath(err))
		}
	}
	return "", &wire.Error{Code: wire.CodeNotAuthorized, Detail: firstErr.Error()}
}

func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
