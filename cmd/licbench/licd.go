package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/licd/licd/bench"
)

// findLicd finds the licd binary to start: the one given, else licd next to this licbench
// (bin/ after make build), else one built now from the licd module in the current
// directory. cleanup removes a binary built here.
func findLicd(given string, stderr io.Writer) (bin string, cleanup func(), err error) {
	none := func() {}
	if given != "" {
		if _, err := os.Stat(given); err != nil {
			return "", none, fmt.Errorf("-licd %s: %w", given, err)
		}
		return given, none, nil
	}
	if exe, err := os.Executable(); err == nil {
		next := filepath.Join(filepath.Dir(exe), "licd")
		if st, err := os.Stat(next); err == nil && !st.IsDir() {
			return next, none, nil
		}
	}
	if mod, ok := moduleRoot(); ok {
		dir, err := os.MkdirTemp("", "licbench-licd-*")
		if err != nil {
			return "", none, err
		}
		fmt.Fprintln(stderr, "licbench: building licd from", mod)
		bin, err := bench.BuildLicd(mod, dir)
		if err != nil {
			_ = os.RemoveAll(dir)
			return "", none, err
		}
		return bin, func() { _ = os.RemoveAll(dir) }, nil
	}
	return "", none, errors.New("no licd binary: run `make build` (licbench then finds bin/licd), give -licd PATH, " +
		"run from the licd source tree, or aim at a running server with -c port@host")
}

// moduleRoot finds the licd module's directory from the current one upwards.
func moduleRoot() (string, bool) {
	dir, err := os.Getwd()
	if err != nil {
		return "", false
	}
	for {
		b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil {
			return dir, bytes.HasPrefix(bytes.TrimSpace(b), []byte("module github.com/licd/licd"))
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", false
		}
		dir = parent
	}
}
