package main

import (
	"fmt"
	"io"

	"github.com/licd/licd/license"
)

// entitle adds an entitlement to a license access code in the store: what a vendor's order
// system does when a customer buys ("Use license access code": "enter the license access
// code provided by Citrix").
func entitle(args []string, stdout io.Writer) error {
	fs := newFlags("entitle")
	var (
		storePath = fs.String("store", "", "entitlement store file (made when missing)")
		code      = fs.String("code", "", "license access code")
		customer  = fs.String("customer", "", "the customer's company name (NOTICE= of the files issued)")
		feature   = fs.String("feature", "", "feature PRODUCT_EDITION_MODEL, e.g. XDT_PLT_UD")
		count     = fs.Int("count", 0, "number of licenses bought")
		css       = fs.String("css", "", "Customer Success Services date YYYY.MMDD (default: today)")
		expires   = fs.String("expires", "permanent", "expiry date dd-mmm-yyyy, or permanent")
		vstring   = fs.String("vendor-string", defaultVendorString, "VENDOR_STRING of the lines issued")
		overdraft = fs.Int("overdraft", -1, "OVERDRAFT of the lines issued (default: the model's)")
	)
	rest, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	switch {
	case len(rest) > 0:
		return usagef("unexpected argument %q", rest[0])
	case *storePath == "" || *code == "" || *feature == "":
		return usagef("-store, -code and -feature are required")
	case *overdraft < -1:
		return usagef("-overdraft %d: give a number of licenses, or -1 for the model's default", *overdraft)
	}
	if *css == "" {
		*css = cssOfToday()
	}
	var e *entitlement
	err = (&storeFile{path: *storePath}).update(func(st *fulfilStore) (bool, error) {
		var err error
		e, err = st.addEntitlement(*code, *customer, entitlement{Feature: *feature, Quantity: *count, CSS: *css, Expiry: *expires,
			VendorString: *vstring, Overdraft: *overdraft})
		return err == nil, err
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "access code %s: entitlement %s, %d x %s, CSS %s, expires %s\n", *code, e.ID, e.Quantity, e.Feature, e.CSS, e.Expiry)
	return nil
}

// renew moves an entitlement's CSS date forward: a Customer Success Services renewal, which
// the License Servers holding its allocations find at their next renewal check ("Check for
// and install Customer Success Services renewal licenses").
func renew(args []string, stdout io.Writer) error {
	fs := newFlags("renew")
	var (
		storePath = fs.String("store", "", "entitlement store file")
		code      = fs.String("code", "", "license access code")
		ent       = fs.String("entitlement", "1", "entitlement id within the code")
		css       = fs.String("css", "", "the new Customer Success Services date YYYY.MMDD")
	)
	rest, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	switch {
	case len(rest) > 0:
		return usagef("unexpected argument %q", rest[0])
	case *storePath == "" || *code == "" || *css == "":
		return usagef("-store, -code and -css are required")
	}
	var e *entitlement
	err = (&storeFile{path: *storePath}).update(func(st *fulfilStore) (bool, error) {
		var err error
		e, err = st.renew(*code, *ent, *css)
		return err == nil, err
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "access code %s: entitlement %s (%s) renewed to CSS %s\n", *code, e.ID, e.Feature, e.CSS)
	return nil
}

// cssOfToday is today's date as a CSS date (the default of a new entitlement).
func cssOfToday() string { return license.CSSDateOf(clock().UTC()).String() }
