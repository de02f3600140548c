package daemon

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/licd/licd/license"
)

// License files ("Install licenses", "Delete license files"): list them with a verdict per
// line, install an uploaded file after checking it, delete one without stopping the server.
// Every change is applied by a reread, which keeps every session and held license.

// LineVerdict is what the server made of one license line.
type LineVerdict struct {
	Line    int    `json:"line"`
	Feature string `json:"feature,omitempty"`
	// Verdict is "active", "pending" (START in the future), "expired", "superseded" or
	// "rejected" (Reason says why).
	Verdict string `json:"verdict"`
	Reason  string `json:"reason,omitempty"`
}

// LicenseFile is one file of the license directory.
type LicenseFile struct {
	Name  string        `json:"name"`
	Size  int64         `json:"size"`
	Lines []LineVerdict `json:"lines"`
	// Problem is set when the file as a whole was not loaded.
	Problem string `json:"problem,omitempty"`
}

// UploadResult says what installing a file changed, as lmreread reports it.
type UploadResult struct {
	File     string        `json:"file"`
	Replaced bool          `json:"replaced"`
	Lines    []LineVerdict `json:"lines"`
	Reread   ReadReport    `json:"reread"`
}

// filesMu serialises changes of the license directory through the service.
var filesMu sync.Mutex

// LicenseFiles lists the license files with the verdicts of the inventory in force.
func (d *Daemon) LicenseFiles() ([]LicenseFile, error) {
	inv := d.engine.Inventory()
	names, err := d.licenseFileNames()
	if err != nil {
		return nil, err
	}
	out := []LicenseFile{}
	for _, n := range names {
		lf := LicenseFile{Name: n, Lines: []LineVerdict{}}
		if fi, err := os.Stat(filepath.Join(d.cfg.licenseDir(), n)); err == nil {
			lf.Size = fi.Size()
		}
		if inv != nil {
			lf.Lines, lf.Problem = verdictsOf(inv, n)
		}
		out = append(out, lf)
	}
	return out, nil
}

func (d *Daemon) licenseFileNames() ([]string, error) {
	entries, err := os.ReadDir(d.cfg.licenseDir())
	if err != nil {
		return nil, fmt.Errorf("read the license directory: %w", err)
	}
	var names []string
	for _, e := range entries {
		if strings.HasSuffix(strings.ToLower(e.Name()), ".lic") {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	return names, nil
}

// verdictsOf gives the verdict of every line of the file named name in inv.
func verdictsOf(inv *license.Inventory, name string) ([]LineVerdict, string) {
	out := []LineVerdict{}
	ours := func(path string) bool { return filepath.Base(path) == name }
	for _, p := range inv.Pools {
		for _, l := range p.Lines {
			if ours(l.File) {
				out = append(out, LineVerdict{Line: l.LineNo, Feature: l.Feature, Verdict: "active"})
			}
		}
	}
	for _, set := range []struct {
		lines   []*license.Line
		verdict string
	}{{inv.Pending, "pending"}, {inv.Expired, "expired"}, {inv.Superseded, "superseded"}} {
		for _, l := range set.lines {
			if ours(l.File) {
				v := LineVerdict{Line: l.LineNo, Feature: l.Feature, Verdict: set.verdict}
				if set.verdict == "pending" {
					v.Reason = "starts on " + l.Start.Format("2006-01-02")
				}
				out = append(out, v)
			}
		}
	}
	problem := ""
	for _, r := range inv.Rejected {
		if !ours(r.File) {
			continue
		}
		if r.Line == 0 {
			problem = r.Reason
			continue
		}
		out = append(out, LineVerdict{Line: r.Line, Feature: r.Feature, Verdict: "rejected", Reason: r.Reason})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Line < out[j].Line })
	return out, problem
}

// checkFileName accepts a plain name ending in ".lic", as the license directory holds.
func checkFileName(name string) error {
	switch {
	case name == "" || len(name) > 200:
		return adminErr(KindInvalid, "a license file name has 1 to 200 characters")
	case !strings.HasSuffix(name, ".lic"):
		return adminErr(KindInvalid, "license file %q: the name must end in .lic (lower case), as the license server reads only those", name)
	case strings.ContainsAny(name, `/\`) || strings.HasPrefix(name, ".") || name != filepath.Base(name):
		return adminErr(KindInvalid, "license file %q: give a plain file name, without a directory", name)
	}
	for _, r := range name {
		if r < 0x20 || r == 0x7f {
			return adminErr(KindInvalid, "license file name %q contains a control character", name)
		}
	}
	return nil
}

// InstallLicenseFile checks an uploaded license file with the installed ones and the
// trusted keys and installs it only when at least one of its lines loads; a file of the
// same name is replaced only when replace is set. Nothing is written when it is refused.
func (d *Daemon) InstallLicenseFile(name string, content []byte, replace bool) (*UploadResult, error) {
	if err := checkUpload(name, content); err != nil {
		return nil, err
	}
	filesMu.Lock()
	defer filesMu.Unlock()
	dst := filepath.Join(d.cfg.licenseDir(), name)
	_, statErr := os.Lstat(dst)
	exists := statErr == nil
	if exists && !replace {
		return nil, adminErr(KindConflict, "a license file %q is installed already: upload with replace=true to replace it, or give the file another name", name)
	}
	verdicts, err := d.dryRun(name, content)
	if err != nil {
		return nil, err
	}
	if !installable(verdicts) {
		return nil, &AdminError{Kind: KindInvalid, Details: verdicts,
			Msg: fmt.Sprintf("license file %q was not installed: none of its lines can be used (see the verdict of each line); fix or download the file again", name)}
	}
	if err := d.replicateFile(licenseFileKey+name, content); err != nil {
		return nil, fmt.Errorf("install license file %q: %w", name, err)
	}
	if err := writePrivate(dst, content); err != nil {
		return nil, fmt.Errorf("install license file %q: %w", name, err)
	}
	rep, err := d.Reload()
	if err != nil {
		return nil, err
	}
	res := &UploadResult{File: name, Replaced: exists, Reread: rep}
	res.Lines, _ = verdictsOf(d.engine.Inventory(), name)
	return res, nil
}

// checkUpload checks an uploaded file's name and size.
func checkUpload(name string, content []byte) error {
	if err := checkFileName(name); err != nil {
		return err
	}
	if len(content) > license.MaxFileBytes {
		return adminErr(KindInvalid, "license file %q has %d bytes, more than the %d a license file may have", name, len(content), license.MaxFileBytes)
	}
	return nil
}

// UploadPreview is what installing a license file would do ("Install licenses": the
// console shows it before Import).
type UploadPreview struct {
	File string `json:"file"`
	// Exists says a file of that name is installed: the upload must then ask to replace it.
	Exists bool `json:"exists"`
	// Installable says at least one line would load (active or pending): the upload would
	// be accepted.
	Installable bool          `json:"installable"`
	Lines       []LineVerdict `json:"lines"`
}

// PreviewLicenseFile checks a license file as InstallLicenseFile does and tells the verdict
// of each of its lines, without installing anything.
func (d *Daemon) PreviewLicenseFile(name string, content []byte) (*UploadPreview, error) {
	if err := checkUpload(name, content); err != nil {
		return nil, err
	}
	filesMu.Lock()
	defer filesMu.Unlock()
	_, statErr := os.Lstat(filepath.Join(d.cfg.licenseDir(), name))
	verdicts, err := d.dryRun(name, content)
	if err != nil {
		return nil, err
	}
	return &UploadPreview{File: name, Exists: statErr == nil, Installable: installable(verdicts), Lines: verdicts}, nil
}

// installable tells whether a file with these verdicts would be installed: at least one of
// its lines loads, now or at its start date.
func installable(verdicts []LineVerdict) bool {
	for _, v := range verdicts {
		if v.Verdict == "active" || v.Verdict == "pending" {
			return true
		}
	}
	return false
}

// dryRun loads the license directory as it would be with content installed as name, in a
// private temporary directory, and returns the verdicts of that file's lines.
func (d *Daemon) dryRun(name string, content []byte) ([]LineVerdict, error) {
	tmp, err := os.MkdirTemp(d.cfg.DataDir, ".upload-")
	if err != nil {
		return nil, fmt.Errorf("check the uploaded file: %w", err)
	}
	defer os.RemoveAll(tmp)
	cand := filepath.Join(tmp, name)
	if err := os.WriteFile(cand, content, 0o600); err != nil {
		return nil, fmt.Errorf("check the uploaded file: %w", err)
	}
	names, err := d.licenseFileNames()
	if err != nil {
		return nil, err
	}
	paths := []string{}
	for _, n := range names {
		if n != name && strings.HasSuffix(n, ".lic") {
			paths = append(paths, filepath.Join(d.cfg.licenseDir(), n))
		}
	}
	paths = append(paths, cand)
	lo, err := d.loadOptions()
	if err != nil {
		return nil, err
	}
	inv, err := license.LoadFiles(paths, lo)
	if err != nil {
		return nil, fmt.Errorf("check the uploaded file: %w", err)
	}
	v, problem := verdictsOf(inv, name)
	if problem != "" && len(v) == 0 {
		return nil, adminErr(KindInvalid, "license file %q: %s", name, problem)
	}
	if len(v) == 0 {
		return nil, adminErr(KindInvalid, "license file %q has no license line (INCREMENT or FEATURE)", name)
	}
	return v, nil
}

// DeleteLicenseFile removes a license file and rereads ("Delete license files", without
// stopping the service). The start-up license and the options file are never deleted
// ("Never delete the options file (citrix.opt) or startup license (citrix_startup.lic)").
func (d *Daemon) DeleteLicenseFile(name string) (*ReadReport, error) {
	if err := checkFileName(name); err != nil {
		return nil, err
	}
	if strings.EqualFold(name, "citrix_startup.lic") {
		return nil, adminErr(KindConflict, "the start-up license citrix_startup.lic is never deleted: the license server needs it")
	}
	filesMu.Lock()
	defer filesMu.Unlock()
	path := filepath.Join(d.cfg.licenseDir(), name)
	if _, err := os.Lstat(path); err == nil {
		if err := d.replicateFile(licenseFileKey+name, nil); err != nil { // a tombstone
			return nil, fmt.Errorf("delete license file %q: %w", name, err)
		}
	}
	if err := os.Remove(path); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, adminErr(KindNotFound, "no license file %q; GET /api/v1/license-files lists them", name)
		}
		return nil, fmt.Errorf("delete license file %q: %w", name, err)
	}
	rep, err := d.Reload()
	if err != nil {
		return nil, err
	}
	return &rep, nil
}

// OptionsFile is the options file's text and what the server makes of it.
type OptionsFile struct {
	Path     string   `json:"path"`
	Exists   bool     `json:"exists"`
	Text     string   `json:"text"`
	Errors   []string `json:"errors"`
	Warnings []string `json:"warnings"`
}

// ReadOptionsFile returns the options file in force.
func (d *Daemon) ReadOptionsFile() (*OptionsFile, error) {
	path := d.cfg.optionsFile()
	b, err := license.ReadRegularFile(path, license.MaxFileBytes)
	if errors.Is(err, os.ErrNotExist) {
		return &OptionsFile{Path: filepath.Base(path), Errors: []string{}, Warnings: []string{}}, nil
	}
	if err != nil {
		return nil, adminErr(KindConflict, "the options file cannot be read: %v", err)
	}
	out, err := validateOptions(filepath.Base(path), b)
	if err != nil {
		return nil, err
	}
	out.Exists = true
	return out, nil
}

// ValidateOptions checks an options file's text without applying it.
func (d *Daemon) ValidateOptions(text []byte) (*OptionsFile, error) {
	return validateOptions(filepath.Base(d.cfg.optionsFile()), text)
}

func validateOptions(name string, text []byte) (*OptionsFile, error) {
	if len(text) > license.MaxFileBytes {
		return nil, adminErr(KindInvalid, "the options file has %d bytes, more than %d", len(text), license.MaxFileBytes)
	}
	o, err := license.ParseOptions(name, bytes.NewReader(text))
	if err != nil {
		return nil, adminErr(KindInvalid, "the options file cannot be read: %v", err)
	}
	out := &OptionsFile{Path: name, Text: string(text), Errors: []string{}, Warnings: []string{}}
	for _, e := range o.Errors {
		out.Errors = append(out.Errors, e.Error())
	}
	for _, w := range o.Warnings {
		out.Warnings = append(out.Warnings, w.Error())
	}
	return out, nil
}

// ReplaceOptionsFile installs a new options file when it has no errors (warnings are
// reported) and rereads.
func (d *Daemon) ReplaceOptionsFile(text []byte) (*OptionsFile, *ReadReport, error) {
	v, err := d.ValidateOptions(text)
	if err != nil {
		return nil, nil, err
	}
	if len(v.Errors) > 0 {
		return nil, nil, &AdminError{Kind: KindInvalid, Details: v,
			Msg: fmt.Sprintf("the options file was not replaced: it has %d errors (listed); fix them and send it again", len(v.Errors))}
	}
	filesMu.Lock()
	defer filesMu.Unlock()
	if err := d.replicateFile(optionsFileKey, text); err != nil {
		return nil, nil, fmt.Errorf("write the options file: %w", err)
	}
	if err := writePrivate(d.cfg.optionsFile(), text); err != nil {
		return nil, nil, fmt.Errorf("write the options file: %w", err)
	}
	rep, err := d.Reload()
	if err != nil {
		return nil, nil, err
	}
	v.Exists = true
	return v, &rep, nil
}

// Burst switches License burst mode or tells its state (burst.enable/disable/query).
func (d *Daemon) Burst(on *bool) (*BurstMode, error) {
	if on == nil {
		return d.burstOp("burst.query")
	}
	return d.burstOp(map[bool]string{true: "burst.enable", false: "burst.disable"}[*on])
}
