package daemon

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/licd/licd/storage"
	"github.com/licd/licd/wire"
)

// The console roles ("Administrator and User roles"): an Administrator can use the
// Licensing Manager and change the server (add and remove users, ports, licenses); a User
// "cannot log into Citrix Licensing Manager" and has read-only access.
const (
	RoleAdmin = "admin"
	RoleUser  = "user"
)

// AccountArgs is the body of the users.* admin requests (lmutil lmusers, the counterpart of
// CtxManageUserAndGroup). Password is only read by users.add; it travels on the local admin
// channel and is stored only as a slow hash.
type AccountArgs struct {
	Name     string `json:"name,omitempty"`
	Role     string `json:"role,omitempty"`
	Password string `json:"password,omitempty"`
}

// AccountInfo is an account as the admin requests answer it: never its password hash.
type AccountInfo struct {
	Name    string    `json:"name"`
	Role    string    `json:"role"`
	Created time.Time `json:"created"`
}

// AccountList answers users.list; AccountRemoved answers users.remove.
type AccountList struct {
	Accounts []AccountInfo `json:"accounts"`
}

type AccountRemoved struct {
	Removed string `json:"removed"`
}

// ServiceState answers service.enable, service.disable and service.query: whether the
// License Management Service (electronic reporting of basic licensing data) is enabled
// ("Using the command line to enable or disable the License Management Service"). It
// "operates automatically", so it is enabled until switched off (Default: never switched).
type ServiceState struct {
	Enabled bool      `json:"enabled"`
	Default bool      `json:"default,omitempty"`
	Changed time.Time `json:"changed,omitzero"`
}

// serviceSetting is the settings key of the License Management Service switch.
const serviceSetting = "service/license-management"

// accountsMu serialises the read-check-write of account changes, so that two concurrent
// requests cannot both add the same name or both remove one of the last two administrators.
var accountsMu sync.Mutex

// accountsOp serves the console-account and service-switch admin requests (the
// counterparts of CtxManageUserAndGroup and of ctx_license_management_service).
func (d *Daemon) accountsOp(op string, args []byte) (any, error) {
	var a AccountArgs
	if len(args) > 0 && strings.HasPrefix(op, "users.") {
		if err := json.Unmarshal(args, &a); err != nil {
			return nil, wire.Errorf(wire.CodeBadRequest, fmt.Sprintf("%s: the request is not valid JSON: %v", op, err))
		}
	}
	accountsMu.Lock()
	defer accountsMu.Unlock()
	switch op {
	case "users.list":
		return d.listAccounts()
	case "users.add":
		return d.addAccount(a)
	case "users.role":
		return d.setRole(a)
	case "users.remove":
		return d.removeAccount(a)
	case "service.enable":
		return d.setService(true)
	case "service.disable":
		return d.setService(false)
	case "service.query":
		return d.serviceState()
	}
	return nil, wire.Errorf(wire.CodeBadRequest, fmt.Sprintf("unknown admin operation %q", op))
}

func (d *Daemon) listAccounts() (*AccountList, error) {
	accts, err := d.store.Accounts()
	if err != nil {
		return nil, fmt.Errorf("read the accounts: %w", err)
	}
	out := &AccountList{Accounts: []AccountInfo{}}
	for _, a := range accts {
		out.Accounts = append(out.Accounts, info(a))
	}
	return out, nil
}

func info(a storage.Account) AccountInfo {
	return AccountInfo{Name: a.Name, Role: a.Role, Created: time.Unix(0, a.Created).UTC()}
}

func (d *Daemon) addAccount(a AccountArgs) (*AccountInfo, error) {
	name, err := accountName(a.Name)
	if err != nil {
		return nil, err
	}
	role, err := parseRole(a.Role)
	if err != nil {
		return nil, err
	}
	if existing, _, err := d.findAccount(name); err != nil {
		return nil, err
	} else if existing != nil {
		return nil, wire.Errorf(wire.CodeBadRequest, fmt.Sprintf("an account %q already exists; change its role with lmusers -setrole, or remove it first", existing.Name))
	}
	if err := checkPassword(a.Password); err != nil {
		return nil, err
	}
	hash, err := HashPassword(a.Password)
	if err != nil {
		return nil, err
	}
	acct := storage.Account{Name: name, Role: role, PasswordHash: hash, Created: d.now().UnixNano()}
	if err := d.putAccount(&acct); err != nil {
		return nil, err
	}
	i := info(acct)
	return &i, nil
}

func (d *Daemon) setRole(a AccountArgs) (*AccountInfo, error) {
	role, err := parseRole(a.Role)
	if err != nil {
		return nil, err
	}
	acct, all, err := d.mustFindAccount(a.Name)
	if err != nil {
		return nil, err
	}
	if acct.Role == RoleAdmin && role != RoleAdmin && admins(all) == 1 {
		return nil, lastAdmin(acct.Name)
	}
	acct.Role = role
	if err := d.putAccount(acct); err != nil {
		return nil, err
	}
	i := info(*acct)
	return &i, nil
}

func (d *Daemon) removeAccount(a AccountArgs) (*AccountRemoved, error) {
	acct, all, err := d.mustFindAccount(a.Name)
	if err != nil {
		return nil, err
	}
	if acct.Role == RoleAdmin && admins(all) == 1 {
		return nil, lastAdmin(acct.Name)
	}
	b := storage.NewBatch()
	b.DeleteAccount(acct.Name)
	if err := d.store.Commit(b); err != nil {
		return nil, fmt.Errorf("remove account %q: %w", acct.Name, err)
	}
	return &AccountRemoved{Removed: acct.Name}, nil
}

func (d *Daemon) putAccount(a *storage.Account) error {
	b := storage.NewBatch()
	b.PutAccount(a)
	if err := d.store.Commit(b); err != nil {
		return fmt.Errorf("store account %q: %w", a.Name, err)
	}
	return nil
}

// findAccount looks an account up by name, case-insensitively as Windows account names
// compare ("domain\username"), and returns every account too.
func (d *Daemon) findAccount(name string) (*storage.Account, []storage.Account, error) {
	all, err := d.store.Accounts()
	if err != nil {
		return nil, nil, fmt.Errorf("read the accounts: %w", err)
	}
	for i := range all {
		if all[i].Name == name {
			return &all[i], all, nil
		}
	}
	for i := range all {
		if strings.EqualFold(all[i].Name, name) {
			return &all[i], all, nil
		}
	}
	return nil, all, nil
}

func (d *Daemon) mustFindAccount(name string) (*storage.Account, []storage.Account, error) {
	name, err := accountName(name)
	if err != nil {
		return nil, nil, err
	}
	acct, all, err := d.findAccount(name)
	if err != nil {
		return nil, nil, err
	}
	if acct == nil {
		return nil, nil, wire.Errorf(wire.CodeBadRequest, fmt.Sprintf("no account %q; lmusers -list shows the accounts", name))
	}
	return acct, all, nil
}

func admins(all []storage.Account) int {
	n := 0
	for _, a := range all {
		if a.Role == RoleAdmin {
			n++
		}
	}
	return n
}

func lastAdmin(name string) error {
	return wire.Errorf(wire.CodeBadRequest, fmt.Sprintf("%q is the last administrator: the console would have nobody to add and remove users; add another administrator first", name))
}

// maxAccountName bounds an account name (Windows allows 256 characters for domain\user).
const maxAccountName = 256

func accountName(s string) (string, error) {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return "", wire.Errorf(wire.CodeBadRequest, "no account name: give one, such as DOMAIN\\username")
	case len(s) > maxAccountName:
		return "", wire.Errorf(wire.CodeBadRequest, fmt.Sprintf("account name of %d bytes is longer than %d", len(s), maxAccountName))
	case !utf8.ValidString(s):
		return "", wire.Errorf(wire.CodeBadRequest, "account name is not valid UTF-8")
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return "", wire.Errorf(wire.CodeBadRequest, fmt.Sprintf("account name %q contains a control character", s))
		}
	}
	return s, nil
}

// parseRole accepts the manual's role names ("admin/user", Administrator and User).
func parseRole(s string) (string, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "admin", "administrator":
		return RoleAdmin, nil
	case "user":
		return RoleUser, nil
	case "admingroup", "usergroup":
		return "", wire.Errorf(wire.CodeBadRequest, fmt.Sprintf("role %q is a group's: add a group (lmusers -useradd NAME -Role %s -members a,b); an account's role is admin or user", s, s))
	}
	return "", wire.Errorf(wire.CodeBadRequest, fmt.Sprintf("role %q: use admin (Administrator) or user (User)", s))
}

// minPassword is the shortest password accepted.
const minPassword = 8

func checkPassword(p string) error {
	if utf8.RuneCountInString(p) < minPassword {
		return wire.Errorf(wire.CodeBadRequest, "the password is shorter than "+strconv.Itoa(minPassword)+" characters")
	}
	return nil
}

func (d *Daemon) serviceState() (*ServiceState, error) {
	v, ok, err := d.store.Setting(serviceSetting)
	if err != nil {
		return nil, fmt.Errorf("read the License Management Service setting: %w", err)
	}
	if !ok {
		return &ServiceState{Enabled: true, Default: true}, nil
	}
	var st ServiceState
	if err := json.Unmarshal(v, &st); err != nil {
		return nil, fmt.Errorf("the stored License Management Service setting is not valid: %w", err)
	}
	return &st, nil
}

func (d *Daemon) setService(enabled bool) (*ServiceState, error) {
	st := ServiceState{Enabled: enabled, Changed: d.now().UTC()}
	v, err := json.Marshal(st)
	if err != nil {
		return nil, err
	}
	b := storage.NewBatch()
	b.PutSetting(serviceSetting, v)
	if err := d.store.Commit(b); err != nil {
		return nil, fmt.Errorf("store the License Management Service setting: %w", err)
	}
	return &st, nil
}
