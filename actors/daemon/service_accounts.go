package daemon

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/licd/licd/storage"
	"github.com/licd/licd/wire"
)

// The admin service's accounts: the same functions serve lmusers (the wire admin requests)
// and the HTTPS API ("Account", "Administrator and User roles").

// ListAccounts lists the console accounts, without their password hashes.
func (d *Daemon) ListAccounts() (*AccountList, error) {
	accountsMu.Lock()
	defer accountsMu.Unlock()
	return d.listAccounts()
}

// AddAccount adds an account (lmusers -add).
func (d *Daemon) AddAccount(a AccountArgs) (*AccountInfo, error) {
	accountsMu.Lock()
	defer accountsMu.Unlock()
	return d.addAccount(a)
}

// SetAccountRole changes an account's role (lmusers -setrole); the last administrator stays.
func (d *Daemon) SetAccountRole(a AccountArgs) (*AccountInfo, error) {
	accountsMu.Lock()
	defer accountsMu.Unlock()
	return d.setRole(a)
}

// RemoveAccount removes an account (lmusers -remove) and its group memberships.
func (d *Daemon) RemoveAccount(name string) (*AccountRemoved, error) {
	accountsMu.Lock()
	defer accountsMu.Unlock()
	res, err := d.removeAccount(AccountArgs{Name: name})
	if err != nil {
		return nil, err
	}
	b := storage.NewBatch()
	b.DeleteSetting(accountStateKey(res.Removed))
	groups, err := d.groups()
	if err != nil {
		return nil, err
	}
	for _, g := range groups {
		if i := slices.Index(g.Members, res.Removed); i >= 0 {
			g.Members = slices.Delete(g.Members, i, i+1)
			putJSONSetting(b, groupKey(g.Name), g)
		}
	}
	if err := d.store.Commit(b); err != nil {
		return nil, fmt.Errorf("remove account %q: %w", res.Removed, err)
	}
	return res, nil
}

// Principal is who an authenticated request acts as.
type Principal struct {
	Name string `json:"name"`
	// Role is the effective role: the account's, or Administrator when a group the
	// account belongs to has that role.
	Role string `json:"role"`
	// MustChangePassword is set for an account whose password was generated (the first
	// start's admin) or reset: it may do nothing but change it.
	MustChangePassword bool `json:"must_change_password,omitempty"`
}

// ErrBadCredentials is the one answer to a wrong account name or a wrong password, so that
// a caller cannot tell which accounts exist.
var ErrBadCredentials = errors.New("the account name or the password is wrong")

// accountState is what the API keeps about an account beyond storage.Account.
type accountState struct {
	MustChange bool `json:"must_change,omitempty"`
}

func accountStateKey(name string) string { return "account-state/" + name }

// Authenticate checks a name and password. An account still on a legacy PBKDF2 hash gets an
// argon2id hash of the same password now that it is known.
func (d *Daemon) Authenticate(name, password string) (*Principal, error) {
	accountsMu.Lock()
	defer accountsMu.Unlock()
	acct, _, err := d.findAccount(strings.TrimSpace(name))
	if err != nil {
		return nil, err
	}
	if acct == nil {
		// The same work as a real check, so that timing does not tell the names.
		_ = VerifyPassword(dummyHash(), password)
		return nil, ErrBadCredentials
	}
	if !VerifyPassword(acct.PasswordHash, password) {
		return nil, ErrBadCredentials
	}
	if NeedsRehash(acct.PasswordHash) {
		if h, err := HashPassword(password); err == nil {
			acct.PasswordHash = h
			if err := d.putAccount(acct); err != nil {
				return nil, err
			}
		}
	}
	return d.principal(acct)
}

// PrincipalOf is the current principal of an account (its role may have changed since a
// session began); nil when the account is gone.
func (d *Daemon) PrincipalOf(name string) (*Principal, error) {
	accountsMu.Lock()
	defer accountsMu.Unlock()
	acct, _, err := d.findAccount(name)
	if err != nil || acct == nil {
		return nil, err
	}
	return d.principal(acct)
}

func (d *Daemon) principal(acct *storage.Account) (*Principal, error) {
	p := &Principal{Name: acct.Name, Role: acct.Role}
	var st accountState
	if _, err := getJSONSetting(d.store, accountStateKey(acct.Name), &st); err != nil {
		return nil, err
	}
	p.MustChangePassword = st.MustChange
	if p.Role != RoleAdmin {
		groups, err := d.groups()
		if err != nil {
			return nil, err
		}
		for _, g := range groups {
			if g.Role == RoleAdmin && slices.Contains(g.Members, acct.Name) {
				p.Role = RoleAdmin
			}
		}
	}
	return p, nil
}

// ChangePassword sets an account's password. The account's own change needs its current
// password (old); an administrator's reset of another account passes reset and marks the
// new password as one to change at the next login.
func (d *Daemon) ChangePassword(name, old, newPassword string, reset bool) error {
	accountsMu.Lock()
	defer accountsMu.Unlock()
	acct, _, err := d.mustFindAccount(name)
	if err != nil {
		return err
	}
	if !reset && !VerifyPassword(acct.PasswordHash, old) {
		return wire.Errorf(wire.CodeNotAuthorized, "the current password is wrong")
	}
	if err := checkPassword(newPassword); err != nil {
		return err
	}
	if !reset && newPassword == old {
		return wire.Errorf(wire.CodeBadRequest, "the new password is the current one: choose another")
	}
	h, err := HashPassword(newPassword)
	if err != nil {
		return err
	}
	acct.PasswordHash = h
	b := storage.NewBatch()
	b.PutAccount(acct)
	if reset {
		putJSONSetting(b, accountStateKey(acct.Name), accountState{MustChange: true})
	} else {
		b.DeleteSetting(accountStateKey(acct.Name))
	}
	if err := d.store.Commit(b); err != nil {
		return fmt.Errorf("store the password of %q: %w", acct.Name, err)
	}
	if !reset && acct.Name == "admin" {
		d.forgetInitialPassword()
	}
	return nil
}

var dummy struct {
	hash []byte
}

func dummyHash() []byte {
	if dummy.hash == nil {
		dummy.hash, _ = HashPassword("not an account's password")
	}
	return dummy.hash
}

func putJSONSetting(b *storage.Batch, key string, v any) {
	raw, _ := json.Marshal(v) // the callers' types always marshal
	b.PutSetting(key, raw)
}

func getJSONSetting(st *storage.Store, key string, v any) (bool, error) {
	raw, ok, err := st.Setting(key)
	if err != nil || !ok {
		return false, err
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return false, fmt.Errorf("the stored setting %s is damaged (%v): restore the data directory from a backup", key, err)
	}
	return true, nil
}

func decodeJSONSetting(key string, raw []byte, v any) error {
	if err := json.Unmarshal(raw, v); err != nil {
		return fmt.Errorf("the stored setting %s is damaged (%v): restore the data directory from a backup", key, err)
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
