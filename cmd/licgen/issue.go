package main

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/licd/licd/license"
)

// defaultVendorString is what a Citrix retail line carries ("License file format" examples).
const defaultVendorString = ";LT=Retail;GP=720;SA=0"

func issue(args []string, stdout io.Writer) error {
	fs := newFlags("issue")
	var (
		keyPath   = fs.String("key", "", "vendor.key to sign with")
		host      = fs.String("host", "", "License Server host name (SERVER this_host HOSTNAME=...)")
		ether     = fs.String("ether", "", "License Server MAC address (SERVER this_host <MAC>)")
		feature   = fs.String("feature", "", "feature PRODUCT_EDITION_MODEL, e.g. XDT_PLT_UD")
		count     = fs.Int("count", 0, "number of licenses")
		css       = fs.String("css", "", "Customer Success Services date YYYY.MMDD (default: the issue date)")
		expires   = fs.String("expires", "permanent", "expiry date dd-mmm-yyyy, or permanent")
		start     = fs.String("start", "", "start date dd-mmm-yyyy")
		overdraft = fs.Int("overdraft", -1, "OVERDRAFT licenses (default: 10% for models with overdraft)")
		vstring   = fs.String("vendor-string", defaultVendorString, "VENDOR_STRING")
		dupGroup  = fs.String("dup-group", "V", "DUP_GROUP")
		notice    = fs.String("notice", "", "NOTICE (the customer's company name)")
		sn        = fs.String("sn", "", "SN (serial number)")
		issued    = fs.String("issued", "", "ISSUED date dd-mmm-yyyy (default: today)")
		out       = fs.String("o", "", "write to this file instead of standard output")
	)
	rest, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usagef("unexpected argument %q; issue makes one INCREMENT line per invocation from flags", rest[0])
	}
	switch {
	case *keyPath == "":
		return usagef("-key is required: give the vendor.key that `licgen keygen` wrote")
	case *host == "" && *ether == "":
		return usagef("give -host NAME or -ether MAC: a license file is bound to one License Server")
	case *host != "" && *ether != "":
		return usagef("give -host or -ether, not both")
	case *feature == "":
		return usagef("-feature is required, e.g. -feature XDT_PLT_UD")
	case *count <= 0:
		return usagef("-count must be a positive number of licenses (got %d)", *count)
	}
	ls := license.LineSpec{Feature: *feature, Count: *count, Overdraft: *overdraft, VendorString: *vstring,
		DupGroup: *dupGroup, Notice: *notice, SN: *sn}
	now := clock().UTC()
	ls.Issued = time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	if *issued != "" {
		if ls.Issued, err = parseDay("-issued", *issued); err != nil {
			return err
		}
	}
	ls.CSS = license.CSSDateOf(ls.Issued)
	if *css != "" {
		if ls.CSS, err = license.ParseCSSDate(*css); err != nil {
			return usagef("-css: %v", err)
		}
	}
	t, perm, err := license.ParseDate(*expires)
	if err != nil {
		return usagef("-expires: %v", err)
	}
	ls.Expiry, ls.Permanent = t, perm
	if *start != "" {
		if ls.Start, err = parseDay("-start", *start); err != nil {
			return err
		}
	}
	priv, err := license.ReadPrivateKey(*keyPath)
	if err != nil {
		return err
	}
	text, err := license.IssueFile(license.IssueSpec{HostName: *host, Ether: *ether, Lines: []license.LineSpec{ls}}, priv)
	if err != nil {
		return err
	}
	return output(*out, text, stdout)
}

func startup(args []string, stdout io.Writer) error {
	fs := newFlags("startup")
	keyPath := fs.String("key", "", "vendor.key to sign with")
	host := fs.String("host", "", "License Server host name")
	out := fs.String("o", "", "write to this file instead of standard output")
	rest, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	switch {
	case len(rest) > 0:
		return usagef("unexpected argument %q", rest[0])
	case *keyPath == "":
		return usagef("-key is required: give the vendor.key that `licgen keygen` wrote")
	case *host == "":
		return usagef("-host is required: the start-up license is bound to the License Server's host name")
	}
	priv, err := license.ReadPrivateKey(*keyPath)
	if err != nil {
		return err
	}
	text, err := license.StartupLicenseFile(*host, priv)
	if err != nil {
		return err
	}
	return output(*out, text, stdout)
}

func parseDay(flagName, s string) (time.Time, error) {
	t, perm, err := license.ParseDate(s)
	if err == nil && perm {
		err = fmt.Errorf("%q is not a calendar date", s)
	}
	if err != nil {
		return time.Time{}, usagef("%s: %v", flagName, err)
	}
	return t, nil
}

// output writes text to the file, or to stdout when path is "".
func output(path, text string, stdout io.Writer) error {
	if path == "" {
		_, err := io.WriteString(stdout, text)
		return err
	}
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		return fmt.Errorf("write license file: %w", err)
	}
	return nil
}
