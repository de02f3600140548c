package license

import (
	"strconv"
	"strings"
)

// VendorString is the VENDOR_STRING attribute of a line, "Text string defined by Citrix"
// ("License file format"): ";LT=Retail;GP=720;CL=VDS,VDA;SA=0" split at ";" into fields.
type VendorString struct {
	Raw    string // the value as written
	Fields []Attr // non-empty ";"-separated parts in order; a part without "=" has Value ""
}

// ParseVendorString splits a VENDOR_STRING value into fields.
func ParseVendorString(raw string) VendorString {
	vs := VendorString{Raw: raw}
	for _, part := range strings.Split(raw, ";") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		k, v, _ := strings.Cut(part, "=")
		vs.Fields = append(vs.Fields, Attr{Key: strings.TrimSpace(k), Value: strings.TrimSpace(v)})
	}
	return vs
}

// Get returns the value of the first field with the key, compared case-insensitively
// (other vendors write "gp=14" where Citrix writes "GP=720").
func (v VendorString) Get(key string) (string, bool) {
	for _, f := range v.Fields {
		if strings.EqualFold(f.Key, key) {
			return f.Value, true
		}
	}
	return "", false
}

func (v VendorString) getInt(keys ...string) (int, bool) {
	for _, k := range keys {
		if s, ok := v.Get(k); ok {
			n, err := strconv.Atoi(s)
			return n, err == nil
		}
	}
	return 0, false
}

// CL returns the comma-separated CL field (the product codes the license covers, e.g.
// VDS, VDA, VDE, VDP).
func (v VendorString) CL() []string {
	s, ok := v.Get("CL")
	if !ok || s == "" {
		return nil
	}
	parts := strings.Split(s, ",")
	for i := range parts {
		parts[i] = strings.TrimSpace(parts[i])
	}
	return parts
}

// LT returns the license type: "Retail", "RetailS", "SYS" (the start-up license, shown as
// "System" in the console), "Eval", ...
func (v VendorString) LT() string { s, _ := v.Get("LT"); return s }

// GP returns the grace period in hours (720 = the 30 days of "License caching mode").
func (v VendorString) GP() (int, bool) { return v.getInt("GP") }

// PSL returns the PSL field.
func (v VendorString) PSL() (int, bool) { return v.getInt("PSL") }

// SA reports the SA (Subscription Advantage) flag: "1" is true.
func (v VendorString) SA() bool { s, _ := v.Get("SA"); return s == "1" }

// ODP returns the ODP field.
func (v VendorString) ODP() (int, bool) { return v.getInt("ODP") }

// NUDurMin returns the named-user minimum duration in minutes (NUDURMIN, written NURMIN in
// some of the manual's examples).
func (v VendorString) NUDurMin() (int, bool) { return v.getInt("NUDURMIN", "NURMIN") }

// NUDurMax returns the named-user maximum duration in minutes (NUDURMAX or NURMAX).
func (v VendorString) NUDurMax() (int, bool) { return v.getInt("NUDURMAX", "NURMAX") }

// AP returns the AP field ("ADMIN/INT/14").
func (v VendorString) AP() string { s, _ := v.Get("AP"); return s }
