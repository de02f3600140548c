package daemon

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	"go.uber.org/zap"

	"github.com/licd/licd/license"
	"github.com/licd/licd/storage"
	"github.com/licd/licd/wire"
)

// Backup and restore for disaster recovery (manual, "Disaster recovery backup and
// redundancy": keep backup copies of the license files and have a backup License Server
// ready; doc/HA.md "Backup and restore"). A backup is a directory:
//
//	db/               the store: a Pebble checkpoint (storage.Store.Checkpoint), taken online
//	MyFiles/*.lic     the license files
//	MyFiles/CITRIX.opt  the options file, under the name a plain licd reads
//	keys/             the vendor key pair of the data directory
//	trusted/          the other vendor public keys the server trusted (-trust)
//	admin.token       the utilities' admin token
//	settings.json     the settings as the API shows them (the store holds the settings)
//	licd.toml         the configuration file licd was started with, when there was one
//	licd-backup.json  the manifest: version, times, server id, every file's size and SHA-256
//
// The manifest is written last, so a backup that was interrupted has none and restore
// refuses it. The directory is 0700 and every file 0600: a backup holds the vendor's
// private key, the admin token and user and device names.

// BackupManifestFile is the manifest's name in a backup directory.
const BackupManifestFile = "licd-backup.json"

// backupFormat is the layout of a backup directory this licd writes and reads.
const backupFormat = 1

// BackupFile is one file of a backup.
type BackupFile struct {
	Path   string `json:"path"` // slash-separated, relative to the backup directory
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// BackupManifest describes a backup (licd-backup.json).
type BackupManifest struct {
	Format  int    `json:"format"`
	Version string `json:"licd_version"`
	Schema  uint64 `json:"schema"`
	// Began is when the backup began: every grant acknowledged before it is in the copy,
	// and no grant checked in before it.
	Began    time.Time `json:"began"`
	Finished time.Time `json:"finished"`
	// ServerID is the install id of the data directory (GET /api/v1/server).
	ServerID string `json:"server_id"`
	// Hostname is the host name the server served as: the license files are bound to it, and
	// the server restored from the backup must serve as it too.
	Hostname    string `json:"hostname,omitempty"`
	DataDir     string `json:"data_dir"`
	LicenseDir  string `json:"license_dir"`
	OptionsFile string `json:"options_file"`
	// TrustedKeys are the -trust vendor public keys the server was started with, where they
	// were; the backup holds copies in trusted/.
	TrustedKeys []string     `json:"trusted_keys,omitempty"`
	Files       []BackupFile `json:"files"`
}

// BackupInfo answers a backup request.
type BackupInfo struct {
	Dir      string          `json:"dir"`
	Files    int             `json:"files"`
	Bytes    int64           `json:"bytes"`
	Took     string          `json:"took"`
	Manifest *BackupManifest `json:"manifest"`
}

// backupSource is what a backup copies: a running daemon's (Daemon.Backup) or a stopped
// server's data directory (BackupOffline).
type backupSource struct {
	store                            *storage.Store
	dataDir, licenseDir, optionsFile string
	configFile, hostname, serverID   string
	trustedKeys                      []string
	settings                         any // written to settings.json when not nil
	now                              func() time.Time
	log                              *zap.Logger
}

// Backup makes an online, consistent backup of the server into dir (absolute; it must not
// exist, or be an empty directory): the store as of the moment the backup began, the
// license files, the options file, the keys, the admin token and the settings. Checkouts
// go on meanwhile: the store's copy is a Pebble checkpoint, which holds up no commit. One
// backup runs at a time. The API's POST /api/v1/backups and `licd backup` call it.
func (d *Daemon) Backup(dir string) (*BackupInfo, error) {
	if !d.backupMu.TryLock() {
		return nil, adminErr(KindConflict, "a backup is being made already: wait for it to finish, then try again")
	}
	defer d.backupMu.Unlock()
	id, err := d.installID()
	if err != nil {
		return nil, err
	}
	settings, err := d.Settings()
	if err != nil {
		return nil, fmt.Errorf("backup: read the settings: %w", err)
	}
	src := backupSource{store: d.store, dataDir: d.cfg.DataDir, licenseDir: d.cfg.licenseDir(), optionsFile: d.cfg.optionsFile(),
		configFile: d.cfg.ConfigFile, trustedKeys: d.cfg.TrustedKeys, hostname: d.hostname, serverID: id, settings: settings, now: d.now, log: d.log}
	return writeBackup(src, dir)
}

// OfflineBackup names a stopped server's data directory and where to back it up.
type OfflineBackup struct {
	DataDir, LicenseDir, OptionsFile, To string
	// Hostname is the host name the server serves as (its -hostname, else its machine's).
	Hostname string
	Logger   *zap.Logger
}

// BackupOffline backs up the data directory of a server that is not running (its store is
// opened, copied and closed). A live store is refused: back it up through the server.
func BackupOffline(o OfflineBackup) (*BackupInfo, error) {
	log := o.Logger
	if log == nil {
		log = zap.NewNop()
	}
	cfg := Config{DataDir: o.DataDir, LicenseDir: o.LicenseDir, OptionsFile: o.OptionsFile}
	db := filepath.Join(o.DataDir, "db")
	if pid, held, err := storage.LockHolder(db); err != nil {
		return nil, err
	} else if held {
		return nil, fmt.Errorf("backup: licd (process %d) is running on %s: back it up through it (licd backup -to DIR -data %s finds it by its locator; or give -server PORT@localhost)", pid, o.DataDir, o.DataDir)
	}
	if _, err := os.Stat(filepath.Join(db, storage.StateFile)); err != nil {
		return nil, fmt.Errorf("backup: %s holds no licd store (%v): give the data directory of a licd server with -data", o.DataDir, err)
	}
	st, err := storage.Open(db, storage.Options{Logger: log})
	if err != nil {
		return nil, fmt.Errorf("backup: open the store of %s: %w", o.DataDir, err)
	}
	defer st.Close()
	id, _, err := st.Setting(installIDSetting)
	if err != nil {
		return nil, fmt.Errorf("backup: read the install id: %w", err)
	}
	src := backupSource{store: st, dataDir: o.DataDir, licenseDir: cfg.licenseDir(), optionsFile: cfg.optionsFile(),
		hostname: o.Hostname, serverID: string(id), now: time.Now, log: log}
	return writeBackup(src, o.To)
}

func writeBackup(src backupSource, dir string) (_ *BackupInfo, err error) {
	if !filepath.IsAbs(dir) {
		return nil, wire.Errorf(wire.CodeBadRequest, fmt.Sprintf("backup: %q is not an absolute path: give the backup directory's full path", dir))
	}
	dir = filepath.Clean(dir)
	db := filepath.Join(src.dataDir, "db")
	if dir == db || strings.HasPrefix(dir, db+string(filepath.Separator)) {
		return nil, adminErr(KindInvalid, "backup: %s is inside the store's own directory %s: give a directory elsewhere, best on another disk", dir, db)
	}
	created, err := makeBackupDir(dir)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			removeBackup(dir, created)
		}
	}()
	began := src.now().UTC()
	start := time.Now()
	if err := src.store.Checkpoint(filepath.Join(dir, "db")); err != nil {
		return nil, fmt.Errorf("backup into %s: %w", dir, err)
	}
	if err := copyLicenseDir(src, dir); err != nil {
		return nil, err
	}
	if err := copyMatching(filepath.Join(src.dataDir, KeysDir), filepath.Join(dir, KeysDir), func(string) bool { return true }); err != nil {
		return nil, err
	}
	if err := copyIfExists(filepath.Join(src.dataDir, TokenFile), filepath.Join(dir, TokenFile)); err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	for i, k := range src.trustedKeys {
		if err := copyIfExists(k, filepath.Join(dir, trustedName(i, k))); err != nil {
			return nil, fmt.Errorf("backup: %w", err)
		}
	}
	if src.configFile != "" {
		if err := copyIfExists(src.configFile, filepath.Join(dir, "licd.toml")); err != nil {
			return nil, fmt.Errorf("backup: %w", err)
		}
	}
	if src.settings != nil {
		b, err := json.MarshalIndent(src.settings, "", "  ")
		if err != nil {
			return nil, fmt.Errorf("backup: encode the settings: %w", err)
		}
		if err := writePrivate(filepath.Join(dir, "settings.json"), append(b, '\n')); err != nil {
			return nil, fmt.Errorf("backup: write the settings into %s: %w", dir, err)
		}
	}
	files, err := sumTree(dir)
	if err != nil {
		return nil, err
	}
	m := &BackupManifest{Format: backupFormat, Version: Version, Schema: storage.SchemaVersion, Began: began,
		Finished: src.now().UTC(), ServerID: src.serverID, Hostname: src.hostname, DataDir: src.dataDir,
		LicenseDir: src.licenseDir, OptionsFile: src.optionsFile, TrustedKeys: src.trustedKeys, Files: files}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("backup: encode the manifest: %w", err)
	}
	// Last, and atomically: a backup without its manifest is incomplete.
	path := filepath.Join(dir, BackupManifestFile)
	if err := writePrivate(path, append(b, '\n')); err != nil {
		return nil, fmt.Errorf("backup: write %s: %w", path, err)
	}
	if err := syncDirs(dir); err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	info := &BackupInfo{Dir: dir, Files: len(files), Took: time.Since(start).Round(time.Millisecond).String(), Manifest: m}
	for _, f := range files {
		info.Bytes += f.Size
	}
	src.log.Info("backup made", zap.String("dir", dir), zap.Int("files", info.Files), zap.Int64("bytes", info.Bytes), zap.String("took", info.Took))
	return info, nil
}

// trustedName is where the i-th -trust key is kept in a backup.
func trustedName(i int, path string) string {
	return filepath.Join("trusted", fmt.Sprintf("%d-%s", i+1, filepath.Base(path)))
}

// makeBackupDir creates dir 0700 (its missing parents too), or takes an existing empty one
// (made 0700). It reports whether it created dir.
func makeBackupDir(dir string) (created bool, err error) {
	fi, err := os.Lstat(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		if err := os.MkdirAll(filepath.Dir(dir), 0o700); err != nil {
			return false, fmt.Errorf("backup: create %s: %w%s", filepath.Dir(dir), err, writableHint(err))
		}
		if err := os.Mkdir(dir, 0o700); err != nil {
			return false, fmt.Errorf("backup: create %s: %w%s", dir, err, writableHint(err))
		}
		return true, os.Chmod(dir, 0o700)
	case err != nil:
		return false, fmt.Errorf("backup: check %s: %w", dir, err)
	case !fi.IsDir():
		return false, adminErr(KindConflict, "backup: %s exists and is not a directory: give a new directory for the backup", dir)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return false, fmt.Errorf("backup: read %s: %w", dir, err)
	}
	if len(entries) > 0 {
		return false, adminErr(KindConflict, "backup: %s is not empty (it holds %s): a backup never overwrites anything; give a new or empty directory", dir, entries[0].Name())
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return false, fmt.Errorf("backup: make %s private: %w", dir, err)
	}
	return false, nil
}

// writableHint says who must be able to write the backup directory when licd cannot.
func writableHint(err error) string {
	if errors.Is(err, fs.ErrPermission) || errors.Is(err, syscall.EROFS) {
		return "; the server process writes the backup, so its user must be able to write there (with the shipped systemd unit, only /var/lib/licd is writable unless a ReadWritePaths= line adds the directory)"
	}
	return ""
}

// removeBackup undoes a failed backup: the directory it created, or what it put in one that
// was empty.
func removeBackup(dir string, created bool) {
	if created {
		_ = os.RemoveAll(dir)
		return
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		_ = os.RemoveAll(filepath.Join(dir, e.Name()))
	}
}

// copyLicenseDir copies the license files and the options file (as MyFiles/CITRIX.opt, the
// name a plain licd reads).
func copyLicenseDir(src backupSource, dir string) error {
	isLicense := func(name string) bool { return strings.HasSuffix(strings.ToLower(name), ".lic") }
	if err := copyMatching(src.licenseDir, filepath.Join(dir, "MyFiles"), isLicense); err != nil {
		return err
	}
	if err := copyIfExists(src.optionsFile, filepath.Join(dir, "MyFiles", "CITRIX.opt")); err != nil {
		return fmt.Errorf("backup: the options file: %w", err)
	}
	return nil
}

// copyMatching copies the regular files of from whose names keep accepts into to (0700).
func copyMatching(from, to string, keep func(string) bool) error {
	entries, err := os.ReadDir(from)
	if err != nil {
		return fmt.Errorf("backup: read %s: %w", from, err)
	}
	if err := os.MkdirAll(to, 0o700); err != nil {
		return fmt.Errorf("backup: create %s: %w", to, err)
	}
	for _, e := range entries {
		if !keep(e.Name()) {
			continue
		}
		p := filepath.Join(from, e.Name())
		fi, err := os.Stat(p)
		if err != nil || !fi.Mode().IsRegular() || fi.Size() > license.MaxFileBytes {
			continue // not a file licd reads
		}
		if _, err := copyPrivate(p, filepath.Join(to, e.Name()), ""); err != nil {
			return fmt.Errorf("backup: %w", err)
		}
	}
	return nil
}

func copyIfExists(from, to string) error {
	if _, err := os.Stat(from); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(to), 0o700); err != nil {
		return fmt.Errorf("create %s: %w", filepath.Dir(to), err)
	}
	_, err := copyPrivate(from, to, "")
	return err
}

// copyPrivate copies a regular file into a new file 0600, synced, and returns the SHA-256 of
// what it copied. With want set, a copy whose checksum differs is removed and refused.
func copyPrivate(from, to, want string) (string, error) {
	in, err := os.Open(from)
	if err != nil {
		return "", fmt.Errorf("read %s: %w", from, err)
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", fmt.Errorf("create %s: %w", to, err)
	}
	h := sha256.New()
	_, err = io.Copy(io.MultiWriter(out, h), in)
	if err == nil {
		err = out.Chmod(0o600)
	}
	if err == nil {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(to)
		return "", fmt.Errorf("copy %s to %s: %w", from, to, err)
	}
	sum := hex.EncodeToString(h.Sum(nil))
	if want != "" && sum != want {
		_ = os.Remove(to)
		return sum, errChecksum
	}
	return sum, nil
}

var errChecksum = errors.New("checksum mismatch")

func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}

// syncDirs syncs every directory under dir, dir last: the files' names are durable.
func syncDirs(dir string) error {
	var dirs []string
	err := filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err == nil && e.IsDir() {
			dirs = append(dirs, p)
		}
		return err
	})
	if err != nil {
		return err
	}
	for i := len(dirs) - 1; i >= 0; i-- {
		if err := syncDir(dirs[i]); err != nil {
			return err
		}
	}
	return nil
}

// sumTree lists every file of the backup in dir (listTree) with its size and SHA-256, in
// path order.
func sumTree(dir string) ([]BackupFile, error) {
	paths, err := listTree(dir)
	if err != nil {
		return nil, err
	}
	out := make([]BackupFile, 0, len(paths))
	for _, rel := range paths {
		p := filepath.Join(dir, filepath.FromSlash(rel))
		sum, n, err := sumFile(p)
		if err != nil {
			return nil, fmt.Errorf("backup: checksum %s: %w", p, err)
		}
		out = append(out, BackupFile{Path: rel, Size: n, SHA256: sum})
	}
	return out, nil
}

func sumFile(path string) (string, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return "", 0, err
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

// listTree lists the regular files under dir but the manifest, slash-separated, in path
// order; anything else but a directory (a link, a device) is refused: a backup holds files.
func listTree(dir string) ([]string, error) {
	var out []string
	err := filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		if e.IsDir() || rel == BackupManifestFile {
			return nil
		}
		if !e.Type().IsRegular() {
			return fmt.Errorf("%s is not a regular file: a licd backup holds files and directories only", p)
		}
		out = append(out, filepath.ToSlash(rel))
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list the backup %s: %w", dir, err)
	}
	sort.Strings(out)
	return out, nil
}

// backupOp serves the "backup" admin request: {"dir": "/absolute/path"}.
func (d *Daemon) backupOp(args []byte) (any, error) {
	var a struct {
		Dir string `json:"dir"`
	}
	if err := json.Unmarshal(args, &a); err != nil || a.Dir == "" {
		return nil, wire.Errorf(wire.CodeBadRequest, `backup arguments: give {"dir": "/absolute/path/of/a/new/directory"}`)
	}
	return d.Backup(a.Dir)
}
