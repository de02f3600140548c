package daemon

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/licd/licd/storage"
	"github.com/licd/licd/wire"
)

// Group is a named set of local accounts with a role ("Account": "You can add the User and
// Group accounts with specific roles"). A member has the group's role when it is higher
// than its own; a group cannot log in.
type Group struct {
	Name    string    `json:"name"`
	Role    string    `json:"role"`
	Members []string  `json:"members"`
	Created time.Time `json:"created"`
}

func groupKey(name string) string { return "group/" + name }

// ListGroups lists the groups by name.
func (d *Daemon) ListGroups() ([]Group, error) {
	accountsMu.Lock()
	defer accountsMu.Unlock()
	return d.groups()
}

func (d *Daemon) groups() ([]Group, error) {
	raw, err := d.store.Settings("group/")
	if err != nil {
		return nil, fmt.Errorf("read the groups: %w", err)
	}
	out := []Group{}
	for _, k := range sortedKeys(raw) {
		var g Group
		if err := decodeJSONSetting(k, raw[k], &g); err != nil {
			return nil, err
		}
		out = append(out, g)
	}
	return out, nil
}

// PutGroup creates or replaces a group; every member must be an existing account.
func (d *Daemon) PutGroup(g Group) (*Group, error) {
	accountsMu.Lock()
	defer accountsMu.Unlock()
	name, err := accountName(g.Name)
	if err != nil {
		return nil, err
	}
	role, err := parseRole(g.Role)
	if err != nil {
		return nil, err
	}
	if acct, _, err := d.findAccount(name); err != nil {
		return nil, err
	} else if acct != nil {
		return nil, wire.Errorf(wire.CodeBadRequest, fmt.Sprintf("%q is an account: give the group another name", name))
	}
	members := []string{}
	for _, m := range g.Members {
		acct, _, err := d.mustFindAccount(m)
		if err != nil {
			return nil, err
		}
		if !slices.Contains(members, acct.Name) {
			members = append(members, acct.Name)
		}
	}
	out := Group{Name: name, Role: role, Members: members, Created: d.now().UTC()}
	var old Group
	if ok, err := getJSONSetting(d.store, groupKey(name), &old); err != nil {
		return nil, err
	} else if ok {
		out.Created = old.Created
		if old.Role == RoleAdmin && role != RoleAdmin {
			if err := d.keepsAnAdmin(name); err != nil {
				return nil, err
			}
		}
	}
	b := storage.NewBatch()
	putJSONSetting(b, groupKey(name), out)
	if err := d.store.Commit(b); err != nil {
		return nil, fmt.Errorf("store group %q: %w", name, err)
	}
	return &out, nil
}

// RemoveGroup removes a group (its members stay accounts).
func (d *Daemon) RemoveGroup(name string) error {
	accountsMu.Lock()
	defer accountsMu.Unlock()
	var g Group
	ok, err := getJSONSetting(d.store, groupKey(strings.TrimSpace(name)), &g)
	if err != nil {
		return err
	}
	if !ok {
		return wire.Errorf(wire.CodeBadRequest, fmt.Sprintf("no group %q", name))
	}
	if g.Role == RoleAdmin {
		if err := d.keepsAnAdmin(g.Name); err != nil {
			return err
		}
	}
	b := storage.NewBatch()
	b.DeleteSetting(groupKey(g.Name))
	if err := d.store.Commit(b); err != nil {
		return fmt.Errorf("remove group %q: %w", g.Name, err)
	}
	return nil
}

// keepsAnAdmin refuses a group change that would leave no account an administrator.
func (d *Daemon) keepsAnAdmin(group string) error {
	accts, err := d.store.Accounts()
	if err != nil {
		return err
	}
	if admins(accts) == 0 {
		return wire.Errorf(wire.CodeBadRequest, fmt.Sprintf("the group %q holds the only administrators: give an account the admin role first", group))
	}
	return nil
}

// groupsOp is the groups' admin requests (`lmusers -useradd NAME -Role adminGroup`, the
// counterpart of `CtxManageUserAndGroup.exe -useradd "domain\\username" -Role
// "adminGroup/userGroup"`), through the same functions as the API's.
func (d *Daemon) groupsOp(op string, args []byte) (any, error) {
	var g Group
	if len(args) > 0 {
		if err := json.Unmarshal(args, &g); err != nil {
			return nil, wire.Errorf(wire.CodeBadRequest, fmt.Sprintf("%s: the request is not valid JSON: %v", op, err))
		}
	}
	switch op {
	case "groups.list":
		gs, err := d.ListGroups()
		return map[string][]Group{"groups": gs}, err
	case "groups.put":
		return d.PutGroup(g)
	default: // groups.remove
		if err := d.RemoveGroup(g.Name); err != nil {
			return nil, err
		}
		return map[string]string{"removed": g.Name}, nil
	}
}
