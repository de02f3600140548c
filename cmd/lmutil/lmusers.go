package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"golang.org/x/term"
)

// The JSON of the users.* admin requests (actors/daemon.AccountArgs, AccountInfo, ...).
type accountArgs struct {
	Name     string `json:"name,omitempty"`
	Role     string `json:"role,omitempty"`
	Password string `json:"password,omitempty"`
}

type accountInfo struct {
	Name    string    `json:"name"`
	Role    string    `json:"role"`
	Created time.Time `json:"created"`
}

var lmusersOptions = map[string]optKind{
	"-list": noValue, "-useradd": needsValue, "-setrole": needsValue, "-userdel": needsValue,
	"-role": needsValue, "-Role": needsValue, "-json": noValue, "-members": needsValue,
	"-password": needsValue, "-p": needsValue, // refused: see runLmusers
}

// runLmusers manages the console accounts ("Administrator and User roles"), the
// counterpart of `CtxManageUserAndGroup.exe -useradd "domain\username" -Role "admin/user"`.
func runLmusers(e *env, args []string) int {
	o, err := e.parse(lmusersOptions, args)
	if err != nil {
		return e.usageError(err)
	}
	if o.help() {
		return e.printHelp()
	}
	if o.has("-password") || o.has("-p") {
		return e.usageError(errors.New("lmusers: passwords are never taken from the command line (they would show in the process list and the shell history); lmusers asks for it, or reads the first line of standard input"))
	}
	role := o.val("-role")
	if role == "" {
		role = o.val("-Role")
	}
	ops := 0
	for _, k := range []string{"-list", "-useradd", "-setrole", "-userdel"} {
		if o.has(k) {
			ops++
		}
	}
	if ops != 1 || len(o.args) > 0 {
		return e.usageError(errors.New("lmusers: give one of -list, -useradd NAME -role ROLE, -setrole NAME -role ROLE or -userdel NAME"))
	}
	if (o.has("-useradd") || o.has("-setrole")) && role == "" {
		return e.usageError(errors.New("lmusers: give the role with -role admin (Administrator) or -role user (User)"))
	}
	groupRole := strings.EqualFold(role, "adminGroup") || strings.EqualFold(role, "userGroup")
	switch {
	case o.has("-list"):
		var res struct {
			Accounts []accountInfo `json:"accounts"`
			Groups   []groupInfo   `json:"groups"`
		}
		if err := e.adminRequest(o, "users.list", nil, &res); err != nil {
			return e.fail(err)
		}
		if err := e.adminRequest(o, "groups.list", nil, &res); err != nil {
			return e.fail(err)
		}
		if o.has("-json") {
			b, _ := json.MarshalIndent(res, "", "  ")
			fmt.Fprintln(e.stdout, string(b))
			return 0
		}
		writeAccounts(e.stdout, res.Accounts)
		writeGroups(e.stdout, res.Groups)
	case o.has("-useradd") && groupRole:
		// "Command to add a group: CtxManageUserAndGroup.exe -useradd "domain\username" -Role
		// "adminGroup/userGroup"": a group of local accounts, which has no password.
		g := groupInfo{Name: o.val("-useradd"), Role: strings.TrimSuffix(strings.ToLower(role), "group"), Members: []string{}}
		for _, m := range strings.Split(o.val("-members"), ",") {
			if m = strings.TrimSpace(m); m != "" {
				g.Members = append(g.Members, m)
			}
		}
		if err := e.adminRequest(o, "groups.put", g, &g); err != nil {
			return e.fail(err)
		}
		fmt.Fprintf(e.stdout, "Added the group %s with the %s role (%d members).\n", g.Name, roleTitle(g.Role), len(g.Members))
	case o.has("-useradd"):
		name := o.val("-useradd")
		password, err := e.readPassword(name)
		if err != nil {
			return e.usageError(err)
		}
		var a accountInfo
		if err := e.adminRequest(o, "users.add", accountArgs{Name: name, Role: role, Password: password}, &a); err != nil {
			return e.fail(err)
		}
		fmt.Fprintf(e.stdout, "Added %s with the %s role.\n", a.Name, roleTitle(a.Role))
	case o.has("-setrole"):
		var a accountInfo
		if err := e.adminRequest(o, "users.role", accountArgs{Name: o.val("-setrole"), Role: role}, &a); err != nil {
			return e.fail(err)
		}
		fmt.Fprintf(e.stdout, "%s now has the %s role.\n", a.Name, roleTitle(a.Role))
	case o.has("-userdel"):
		var res struct {
			Removed string `json:"removed"`
		}
		op := "users.remove"
		var groups struct {
			Groups []groupInfo `json:"groups"`
		}
		if err := e.adminRequest(o, "groups.list", nil, &groups); err != nil {
			return e.fail(err)
		}
		for _, g := range groups.Groups {
			if strings.EqualFold(g.Name, o.val("-userdel")) {
				op = "groups.remove" // a group's name: the group goes, its members stay
			}
		}
		if err := e.adminRequest(o, op, accountArgs{Name: o.val("-userdel")}, &res); err != nil {
			return e.fail(err)
		}
		fmt.Fprintf(e.stdout, "Removed %s.\n", res.Removed)
	}
	return 0
}

// groupInfo is the JSON of the groups.* admin requests (actors/daemon.Group).
type groupInfo struct {
	Name    string    `json:"name"`
	Role    string    `json:"role"`
	Members []string  `json:"members"`
	Created time.Time `json:"created"`
}

func writeGroups(w io.Writer, groups []groupInfo) {
	if len(groups) == 0 {
		return
	}
	fmt.Fprintf(w, "\n%-32s %-20s %s\n", "Group", "Role", "Members")
	for _, g := range groups {
		fmt.Fprintf(w, "%-32s %-20s %s\n", g.Name, roleTitle(g.Role)+" group", strings.Join(g.Members, ", "))
	}
}

// roleTitle is a role as the console shows it.
func roleTitle(r string) string {
	switch r {
	case "admin":
		return "Administrator"
	case "user":
		return "User"
	}
	return r
}

func writeAccounts(w io.Writer, accts []accountInfo) {
	if len(accts) == 0 {
		fmt.Fprintln(w, "No console accounts. Add one with lmusers -useradd NAME -role admin.")
		return
	}
	fmt.Fprintf(w, "%-32s %-14s %s\n", "Name", "Role", "Created")
	for _, a := range accts {
		fmt.Fprintf(w, "%-32s %-14s %s\n", a.Name, roleTitle(a.Role), a.Created.Local().Format("2006-01-02 15:04"))
	}
}

// readPassword asks for a new account's password on the terminal (twice, without echo),
// or reads the first line of standard input when it is not a terminal (scripts).
func (e *env) readPassword(name string) (string, error) {
	if f, ok := e.stdin.(*os.File); ok && e.stdinIsTerminal() {
		fmt.Fprintf(e.stderr, "Password for %s: ", name)
		p1, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(e.stderr)
		if err != nil {
			return "", fmt.Errorf("lmusers: read the password: %w", err)
		}
		fmt.Fprintf(e.stderr, "Password for %s again: ", name)
		p2, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(e.stderr)
		if err != nil {
			return "", fmt.Errorf("lmusers: read the password: %w", err)
		}
		if string(p1) != string(p2) {
			return "", errors.New("lmusers: the two passwords differ; nothing was changed")
		}
		return string(p1), nil
	}
	p := strings.TrimRight(readRawLine(e.stdin), "\r")
	if p == "" {
		return "", fmt.Errorf("lmusers: no password on standard input for %s; give it as the first line (echo it from a secret store, not from the command line)", name)
	}
	return p, nil
}
