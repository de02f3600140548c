package daemon

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/licd/licd/storage"
)

// RestoreReport is what Restore did and what the administrator must still do.
type RestoreReport struct {
	DataDir  string
	Manifest *BackupManifest
	// Notes say what differs from the server the backup was made of (the license
	// directory, the configuration file, the host name the license files need).
	Notes []string
}

// Restore makes dataDir a data directory a plain `licd -data dataDir` starts from, out of the
// backup in from (doc/HA.md "Backup and restore"; manual, "Disaster recovery backup and
// redundancy"). It verifies the backup first: its manifest, and every file's size and
// SHA-256 (a file changed, missing or added after the backup was made is refused). It
// refuses a data directory a licd is running on, and one that is not empty: it never
// overwrites anything. The files are copied into a new directory beside dataDir, checked
// again as they are copied, synced, and renamed into place, so an interrupted restore
// leaves no half data directory.
func Restore(from, dataDir string) (*RestoreReport, error) {
	from, err := filepath.Abs(from)
	if err != nil {
		return nil, fmt.Errorf("restore: %w", err)
	}
	dataDir, err = filepath.Abs(dataDir)
	if err != nil {
		return nil, fmt.Errorf("restore: %w", err)
	}
	m, err := ReadBackupManifest(from)
	if err != nil {
		return nil, err
	}
	if err := checkRestoreTarget(dataDir); err != nil {
		return nil, err
	}
	// Every file of the backup directory must be one the manifest lists.
	listed := make(map[string]BackupFile, len(m.Files))
	for _, f := range m.Files {
		if !filepath.IsLocal(filepath.FromSlash(f.Path)) || f.Path == BackupManifestFile {
			return nil, fmt.Errorf("restore: the manifest %s names %q, which is not a file of a backup: the manifest was changed after the backup was made; restore from another backup", filepath.Join(from, BackupManifestFile), f.Path)
		}
		listed[f.Path] = f
	}
	present, err := listTree(from)
	if err != nil {
		return nil, fmt.Errorf("restore: %w", err)
	}
	for _, p := range present {
		if _, ok := listed[p]; !ok {
			return nil, fmt.Errorf("restore: %s is in the backup %s but not in its manifest: it was added after the backup was made; remove it if you know what it is, or restore from another backup", p, from)
		}
		delete(listed, p)
	}
	for p := range listed {
		return nil, fmt.Errorf("restore: %s is missing from the backup %s (its manifest lists it): the backup is incomplete or damaged; restore from another backup", p, from)
	}

	staging := fmt.Sprintf("%s.restoring-%d", dataDir, os.Getpid())
	if err := os.MkdirAll(filepath.Dir(dataDir), 0o755); err != nil {
		return nil, fmt.Errorf("restore: create %s: %w", filepath.Dir(dataDir), err)
	}
	_ = os.RemoveAll(staging)
	if err := os.Mkdir(staging, 0o700); err != nil {
		return nil, fmt.Errorf("restore: create %s: %w", staging, err)
	}
	done := false
	defer func() {
		if !done {
			_ = os.RemoveAll(staging)
		}
	}()
	dirs := map[string]bool{staging: true}
	for _, f := range m.Files {
		to := filepath.Join(staging, filepath.FromSlash(f.Path))
		if err := os.MkdirAll(filepath.Dir(to), 0o700); err != nil {
			return nil, fmt.Errorf("restore: create %s: %w", filepath.Dir(to), err)
		}
		dirs[filepath.Dir(to)] = true
		if _, err := copyPrivate(filepath.Join(from, filepath.FromSlash(f.Path)), to, f.SHA256); errors.Is(err, errChecksum) {
			return nil, fmt.Errorf("restore: %s in the backup %s does not match its SHA-256 in %s: the backup was changed or damaged after it was made; nothing was restored; restore from another backup", f.Path, from, BackupManifestFile)
		} else if err != nil {
			return nil, fmt.Errorf("restore: %w", err)
		}
	}
	for d := range dirs {
		if err := syncDir(d); err != nil {
			return nil, fmt.Errorf("restore: %w", err)
		}
	}
	// The target is absent or an empty directory (checked above): take its place.
	if err := checkRestoreTarget(dataDir); err != nil {
		return nil, err
	}
	if _, err := os.Stat(dataDir); err == nil {
		if err := os.Remove(dataDir); err != nil {
			return nil, fmt.Errorf("restore: replace the empty directory %s: %w", dataDir, err)
		}
	}
	if err := os.Rename(staging, dataDir); err != nil {
		return nil, fmt.Errorf("restore: move %s to %s: %w", staging, dataDir, err)
	}
	done = true
	if err := syncDir(filepath.Dir(dataDir)); err != nil {
		return nil, fmt.Errorf("restore: %w", err)
	}
	return &RestoreReport{DataDir: dataDir, Manifest: m, Notes: restoreNotes(m, dataDir)}, nil
}

// ReadBackupManifest reads and checks a backup's manifest.
func ReadBackupManifest(from string) (*BackupManifest, error) {
	path := filepath.Join(from, BackupManifestFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("restore: %s is not a complete licd backup: it has no %s (a backup that was interrupted has none); give the directory `licd backup -to` wrote, or take a new backup", from, BackupManifestFile)
	}
	if err != nil {
		return nil, fmt.Errorf("restore: read %s: %w", path, err)
	}
	var m BackupManifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("restore: %s is damaged (%v); restore from another backup", path, err)
	}
	if m.Format != backupFormat {
		return nil, fmt.Errorf("restore: %s is a backup of format %d, this licd (%s) reads format %d: restore it with the licd that made it (%s)", from, m.Format, Version, backupFormat, m.Version)
	}
	if m.Schema > storage.SchemaVersion {
		return nil, fmt.Errorf("restore: %s was made by a newer licd (%s, store schema %d; this licd reads up to %d): restore it with that version", from, m.Version, m.Schema, storage.SchemaVersion)
	}
	return &m, nil
}

// checkRestoreTarget refuses a data directory a licd runs on, or one that is not empty.
func checkRestoreTarget(dataDir string) error {
	fi, err := os.Lstat(dataDir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("restore: check %s: %w", dataDir, err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("restore: %s exists and is not a directory: give a new directory with -data", dataDir)
	}
	if pid, held, err := storage.LockHolder(filepath.Join(dataDir, "db")); err != nil {
		return err
	} else if held {
		return fmt.Errorf("restore: licd (process %d) is running on %s: restore never overwrites a live server's data; restore into a new directory (-data NEWDIR) and start licd there, or stop that licd and move %s aside first", pid, dataDir, dataDir)
	}
	entries, err := os.ReadDir(dataDir)
	if err != nil {
		return fmt.Errorf("restore: read %s: %w", dataDir, err)
	}
	if len(entries) > 0 {
		return fmt.Errorf("restore: %s is not empty (it holds %s): restore never overwrites a data directory; restore into a new directory, or move this one aside (mv %s %s.old) and run restore again", dataDir, entries[0].Name(), dataDir, dataDir)
	}
	return nil
}

func restoreNotes(m *BackupManifest, dataDir string) []string {
	var notes []string
	if m.Hostname != "" {
		notes = append(notes, fmt.Sprintf("the license files are bound to the host name %q: run the restored server on a machine of that name, or start it with -hostname %s, and make it the only server of that name on the network (manual, \"Disaster recovery backup and redundancy\")", m.Hostname, m.Hostname))
	}
	if def := filepath.Join(m.DataDir, "MyFiles"); m.LicenseDir != "" && m.LicenseDir != def {
		notes = append(notes, fmt.Sprintf("the server kept its license files in %s; they are restored into %s, which licd reads unless -c names another directory", m.LicenseDir, filepath.Join(dataDir, "MyFiles")))
	}
	if base := filepath.Base(m.OptionsFile); m.OptionsFile != "" && base != "CITRIX.opt" {
		notes = append(notes, fmt.Sprintf("the options file %s is restored as %s, the name licd reads by default", m.OptionsFile, filepath.Join(dataDir, "MyFiles", "CITRIX.opt")))
	}
	if len(m.TrustedKeys) > 0 {
		flags := make([]string, len(m.TrustedKeys))
		for i, k := range m.TrustedKeys {
			flags[i] = "-trust " + filepath.Join(dataDir, trustedName(i, k))
		}
		notes = append(notes, fmt.Sprintf("the server trusted %d more vendor keys (%s): start licd with %s (or keep the -trust lines of its configuration file)", len(m.TrustedKeys), strings.Join(m.TrustedKeys, ", "), strings.Join(flags, " ")))
	}
	for _, f := range m.Files {
		if f.Path == "licd.toml" {
			notes = append(notes, fmt.Sprintf("the configuration file the server ran with is %s: start licd with -config %s to use it (check its data key names %s)", filepath.Join(dataDir, "licd.toml"), filepath.Join(dataDir, "licd.toml"), dataDir))
		}
	}
	return notes
}
