package license

import "strings"

// TrimUserDomain drops the domain of "user@domain" ("User/device license": "The license
// server truncates domains by default", so abc@eng.com and abc@citrite.com are one user).
// The domain is what follows the last '@', so "a@b@corp.com" is the user "a@b" for the
// options file's rules and for licensing alike: one function, so that an options-file rule
// names the user the server counts. ok is false when nothing is left of the name (it was
// all domain, "@corp.com"); the caller decides, since an empty user would merge strangers.
func TrimUserDomain(name string) (user string, ok bool) {
	at := strings.LastIndexByte(name, '@')
	if at < 0 {
		return name, true
	}
	if strings.TrimSpace(name[:at]) == "" {
		return name, false
	}
	return name[:at], true
}
