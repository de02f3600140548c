package main

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/licd/licd/license"
	"github.com/licd/licd/wire"
)

// target is one license server a -c list names.
type target struct {
	Host  string   // as written (or from a SERVER line); "localhost" for this_host
	Port  int      // the license-manager port
	Files []string // the license files that named it, when -c listed files
}

// Spec is the target in the port@host form lmstat prints ("License server status:
// 27000@localhost").
func (t target) Spec() string { return strconv.Itoa(t.Port) + "@" + t.Host }

// Addr is host:port for dialing.
func (t target) Addr() string { return net.JoinHostPort(t.Host, strconv.Itoa(t.Port)) }

// licenseFileEnv are the variables FLEXlm reads when -c is not given, vendor's first.
var licenseFileEnv = []string{"CITRIX_LICENSE_FILE", "LM_LICENSE_FILE"}

// targets resolves the -c argument ("Universal arguments": -c @localhost, @host, port@host,
// a path, or license files separated by semicolons) into the servers it names, in order and
// without duplicates. Without -c the license-file variables are read, then @localhost.
func (e *env) targets(o *options) ([]target, error) {
	spec := o.val("-c")
	if !o.has("-c") {
		for _, v := range licenseFileEnv {
			if s := e.getenv(v); s != "" {
				spec = s
				break
			}
		}
		if spec == "" {
			spec = "@localhost"
		}
	}
	return resolveTargets(spec)
}

func resolveTargets(spec string) ([]target, error) {
	var out []target
	add := func(t target) {
		for i := range out {
			if out[i].Host == t.Host && out[i].Port == t.Port {
				out[i].Files = append(out[i].Files, t.Files...)
				return
			}
		}
		out = append(out, t)
	}
	parts := strings.FieldsFunc(spec, func(r rune) bool { return r == ';' || r == ',' })
	if len(parts) == 0 {
		return nil, &wire.Error{Code: codeNoLicenseFile, Detail: "-c is empty"}
	}
	var elems []string
	for _, p := range parts {
		elems = append(elems, splitColons(strings.Trim(strings.TrimSpace(p), `"`))...)
	}
	for _, p := range elems {
		ts, err := resolvePart(p)
		if err != nil {
			return nil, err
		}
		for _, t := range ts {
			add(t)
		}
	}
	return out, nil
}

// splitColons splits a list written with FLEXlm's Unix separator, ":"
// ("27000@a:27000@b:/opt/licenses/x.lic"), and keeps an element whole when its colons are
// not separators: host:port, an IPv6 address, an existing path, a Windows drive (C:\...).
func splitColons(p string) []string {
	if !strings.Contains(p, ":") {
		return []string{p}
	}
	if _, err := os.Stat(p); err == nil {
		return []string{p}
	}
	pieces := strings.Split(p, ":")
	for _, piece := range pieces {
		if piece == "" {
			return []string{p}
		}
		if strings.Contains(piece, "@") || strings.ContainsAny(piece, `/\`) {
			continue
		}
		if _, err := os.Stat(piece); err == nil {
			continue
		}
		return []string{p} // host:port and the like
	}
	return pieces
}

// resolvePart resolves one element of a -c list: an existing path is read as license files,
// anything else must be an address.
func resolvePart(p string) ([]target, error) {
	if fi, err := os.Stat(p); err == nil {
		if fi.IsDir() {
			return dirTargets(p)
		}
		return fileTargets(p)
	}
	if looksLikePath(p) {
		return nil, &wire.Error{Code: codeNoLicenseFile, Detail: fmt.Sprintf("-c %s: no such license file or directory", p)}
	}
	hostport, err := wire.ParseAddress(p)
	if err != nil {
		return nil, &wire.Error{Code: codeNoLicenseFile, Detail: fmt.Sprintf("-c %s: not a license file and not a server address: %v", p, strings.TrimPrefix(err.Error(), "wire: "))}
	}
	host, portText, _ := net.SplitHostPort(hostport)
	port, _ := strconv.Atoi(portText)
	return []target{{Host: host, Port: port}}, nil
}

func looksLikePath(p string) bool {
	if strings.ContainsAny(p, `/\`) {
		return true
	}
	ext := strings.ToLower(filepath.Ext(p))
	return ext == ".lic" || ext == ".dat"
}

// dirTargets reads the license files of a directory ("If you specify the path without a
// license file name, the command applies to all the license files in the directory").
func dirTargets(dir string) ([]target, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, &wire.Error{Code: codeNoLicenseFile, Detail: fmt.Sprintf("-c %s: %v", dir, err)}
	}
	var out []target
	for _, en := range entries {
		if en.IsDir() || !strings.HasSuffix(en.Name(), ".lic") {
			continue
		}
		ts, err := fileTargets(filepath.Join(dir, en.Name()))
		if err != nil {
			return nil, err
		}
		out = append(out, ts...)
	}
	if len(out) == 0 {
		return nil, &wire.Error{Code: codeNoLicenseFile, Detail: fmt.Sprintf("-c %s: the directory has no license files (*.lic)", dir)}
	}
	return out, nil
}

// fileTargets reads the SERVER lines of a license file: they name the server that serves it
// ("SERVER Line"). this_host is the machine the file is on; a line without a port means 27000.
func fileTargets(path string) ([]target, error) {
	f, err := license.ParseFile(path)
	if err != nil {
		return nil, &wire.Error{Code: codeNoLicenseFile, Detail: fmt.Sprintf("-c %s: %v", path, err)}
	}
	if len(f.Servers) == 0 {
		return nil, &wire.Error{Code: codeNoLicenseFile, Detail: fmt.Sprintf("-c %s: the file has no SERVER line naming its license server; give -c port@host instead", path)}
	}
	var out []target
	for _, s := range f.Servers {
		host := s.Host
		if host == "" || strings.EqualFold(host, "this_host") {
			host = "localhost"
		}
		port := s.Port
		if port == 0 {
			port = wire.DefaultLMPort
		}
		t := target{Host: host, Port: port, Files: []string{path}}
		if !slices.ContainsFunc(out, func(o target) bool { return o.Host == t.Host && o.Port == t.Port }) {
			out = append(out, t)
		}
	}
	return out, nil
}
