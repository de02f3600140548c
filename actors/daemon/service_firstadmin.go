package daemon

import (
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/licd/licd/storage"
)

// InitialPasswordFile is where the first start writes the generated password of the
// "admin" account (0600); it is removed once that password has been changed.
const InitialPasswordFile = "initial-admin-password"

// FirstAdmin is the account made on a first start without accounts.
type FirstAdmin struct {
	Name, Password, File string
}

// EnsureFirstAdmin creates the "admin" account with a random one-time password when no
// account exists yet, so that a new server can be administered at all; the first login
// must change the password. It returns nil when accounts already exist.
func (d *Daemon) EnsureFirstAdmin() (*FirstAdmin, error) {
	accountsMu.Lock()
	defer accountsMu.Unlock()
	accts, err := d.store.Accounts()
	if err != nil {
		return nil, fmt.Errorf("read the accounts: %w", err)
	}
	if len(accts) > 0 {
		return nil, nil
	}
	pw := rand.Text() // 26 base32 characters, 130 bits
	h, err := HashPassword(pw)
	if err != nil {
		return nil, err
	}
	fa := &FirstAdmin{Name: "admin", Password: pw, File: filepath.Join(d.cfg.DataDir, InitialPasswordFile)}
	if err := writePrivate(fa.File, []byte(pw+"\n")); err != nil {
		return nil, fmt.Errorf("write the initial admin password: %w", err)
	}
	b := storage.NewBatch()
	b.PutAccount(&storage.Account{Name: fa.Name, Role: RoleAdmin, PasswordHash: h, Created: d.now().UnixNano()})
	putJSONSetting(b, accountStateKey(fa.Name), accountState{MustChange: true})
	if err := d.store.Commit(b); err != nil {
		return nil, fmt.Errorf("store the admin account: %w", err)
	}
	return fa, nil
}

// forgetInitialPassword removes the first start's password file once it no longer works.
func (d *Daemon) forgetInitialPassword() {
	if d.cfg.DataDir == "" {
		return
	}
	if err := os.Remove(filepath.Join(d.cfg.DataDir, InitialPasswordFile)); err != nil && !errors.Is(err, os.ErrNotExist) {
		d.log.Warn("remove the initial admin password file: " + err.Error())
	}
}

// writePrivate writes a 0600 file atomically and durably (synced before the rename).
func writePrivate(path string, b []byte) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	_ = f.Chmod(0o600) // whatever the umask
	if _, err := f.Write(b); err != nil {
		_ = f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		_ = f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
