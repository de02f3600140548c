package license

import (
	"strings"
)

// setting parses licd's own keywords for the server settings the manual keeps in the registry
// (see the keyword list in options.go). It reports whether kw was one of them.
func (p *optParser) setting(l optLine, kw string, args []string) bool {
	switch kw {
	case "UDUSEDOMAIN":
		// "Disable the domain name truncation": "0 The domain field is truncated. (default)
		// 1 The domain field is not truncated."
		if len(args) == 1 {
			switch args[0] {
			case "0":
				p.o.UDUseDomain = false
				return true
			case "1":
				p.o.UDUseDomain = true
				return true
			}
		}
		p.errorf(l, "write UDUseDomain 0 to truncate user@domain to user (the default) or UDUseDomain 1 to keep the domain",
			"UDUseDomain takes 0 or 1, found %q; the line is skipped", strings.Join(args, " "))
	case "UDUSERNAMECASE":
		p.nameCase(l, "UDUserNameCase", args, &p.o.UserCase)
	case "UDDEVICENAMECASE":
		p.nameCase(l, "UDDeviceNameCase", args, &p.o.DeviceCase)
	case "CEILOPTIN":
		p.ceilOptIn(l, args)
	case "CALLHOME", "CALL_HOME":
		p.switchArg(l, "CALLHOME", args, func(on bool) { p.o.CallHome = &on })
	case "CEIP":
		p.switchArg(l, "CEIP", args, func(on bool) { p.o.CEIP = &on })
	default:
		return false
	}
	return true
}

// nameCase parses UDUserNameCase and UDDeviceNameCase: "0=nochange; 1=tolower; 2=toupper"
// ("Citrix Licensing Call Home data elements").
func (p *optParser) nameCase(l optLine, kw string, args []string, c *NameCase) {
	if len(args) == 1 {
		switch optUpper(args[0]) {
		case "0", "NOCHANGE":
			*c = CaseUnchanged
			return
		case "1", "TOLOWER":
			*c = CaseLower
			return
		case "2", "TOUPPER":
			*c = CaseUpper
			return
		}
	}
	p.errorf(l, "write "+kw+" 0 (no change), 1 (lower case) or 2 (upper case)",
		"%s takes 0, 1 or 2, found %q; the line is skipped", kw, strings.Join(args, " "))
}

// ceilOptIn parses the data-collection choice with the values of the installer's CEILOPTIN
// ("Use the Windows command line to install licensing": "DIAGNOSTIC - Call Home",
// "Unidentified - CEIP", NONE; ANON appears in the manual's sample command). Call Home and
// CEIP are one choice in the Licensing Manager ("Share usage statistics"), so each value sets
// both.
func (p *optParser) ceilOptIn(l optLine, args []string) {
	if len(args) == 1 {
		callHome, ceip, ok := false, false, true
		switch optUpper(args[0]) {
		case "DIAGNOSTIC":
			callHome = true
		case "UNIDENTIFIED", "ANON":
			ceip = true
		case "NONE":
		default:
			ok = false
		}
		if ok {
			p.o.CallHome, p.o.CEIP = &callHome, &ceip
			return
		}
	}
	p.errorf(l, "write CEILOPTIN DIAGNOSTIC (Call Home), CEILOPTIN UNIDENTIFIED (CEIP) or CEILOPTIN NONE",
		"CEILOPTIN takes DIAGNOSTIC, UNIDENTIFIED or NONE, found %q; the line is skipped", strings.Join(args, " "))
}

// NormalizeUser is the user name as the server counts it. Unless UDUseDomain is set, the
// domain is cut off so that jack@eng.com and jack@corp.com are one user ("User/device
// license": "The license server truncates domains by default"; "Disable the domain name
// truncation"); then UserCase folds the case. A nil *Options applies the defaults.
func (o *Options) NormalizeUser(name string) string {
	if o == nil || !o.UDUseDomain {
		// A name that is all domain ("@corp.com") is kept: an empty user would merge strangers.
		if u, ok := TrimUserDomain(name); ok {
			name = u
		}
	}
	if o == nil {
		return name
	}
	return o.UserCase.apply(name)
}

// NormalizeDevice is the device name as the server counts it: DeviceCase folds the case
// (UDDeviceNameCase). Devices have no domain to truncate. A nil *Options changes nothing.
func (o *Options) NormalizeDevice(name string) string {
	if o == nil {
		return name
	}
	return o.DeviceCase.apply(name)
}

func (c NameCase) apply(s string) string {
	switch c {
	case CaseLower:
		return strings.ToLower(s)
	case CaseUpper:
		return strings.ToUpper(s)
	}
	return s
}

// NoLogStatus is the OptFileNoLogStatus value that Call Home and CEIP report ("Citrix
// Licensing Call Home data elements": "0x1 bit set, checkins are not logged (no log in)",
// "0x2 bit set, checkouts aren't logged (no log out)").
func (o *Options) NoLogStatus() int {
	if o == nil {
		return 0
	}
	s := 0
	if o.NoLogIn {
		s |= 0x1
	}
	if o.NoLogOut {
		s |= 0x2
	}
	return s
}
