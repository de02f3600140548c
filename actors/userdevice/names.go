package userdevice

import (
	"github.com/licd/licd/license"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// NormalizeUser returns the name under which a user is licensed: the domain of
// "user@domain" is dropped unless UseDomain ("User/device license": abc@eng.com and
// abc@citrite.com are the same user; "Disable the domain name truncation"), then the name is
// case-folded. Spaces inside a name are kept: "John Smith" is a valid user (LIC-3506).
func (c Config) NormalizeUser(name string) (string, error) {
	if err := c.check("user", name); err != nil {
		return "", err
	}
	if !c.UseDomain {
		user, ok := license.TrimUserDomain(name)
		if !ok {
			return "", &NameError{Role: "user", Name: display(""), Reason: "is empty once the @domain part is dropped"}
		}
		name = user
	}
	return fold(name, c.UserCase), nil
}

// NormalizeDevice returns the name under which a device is licensed: checked and
// case-folded, never truncated.
func (c Config) NormalizeDevice(name string) (string, error) {
	if err := c.check("device", name); err != nil {
		return "", err
	}
	return fold(name, c.DeviceCase), nil
}

func (c Config) check(role, name string) error {
	max := c.MaxNameBytes
	if max <= 0 {
		max = DefaultConfig().MaxNameBytes
	}
	switch {
	case strings.TrimSpace(name) == "":
		return &NameError{Role: role, Name: name, Reason: "is empty"}
	case len(name) > max:
		return &NameError{Role: role, Name: display(name), Reason: "is " + strconv.Itoa(len(name)) + " bytes long, more than the limit of " + strconv.Itoa(max)}
	case !utf8.ValidString(name):
		return &NameError{Role: role, Name: display(name), Reason: "is not valid UTF-8"}
	case strings.IndexFunc(name, unicode.IsControl) >= 0:
		// Names appear one per line in udadmin and the debug log: a newline would forge lines.
		return &NameError{Role: role, Name: display(name), Reason: "contains a control character"}
	}
	return nil
}

func fold(name string, c Case) string {
	switch c {
	case CaseLower:
		return strings.ToLower(name)
	case CaseUpper:
		return strings.ToUpper(name)
	}
	return name
}

// display shortens a rejected name so that an error message stays readable.
func display(name string) string {
	const keep = 64
	if len(name) <= keep {
		return name
	}
	return name[:keep] + "..."
}
