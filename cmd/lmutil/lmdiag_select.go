package main

import (
	"fmt"
	"sort"
	"strings"

	"github.com/licd/licd/wire"
)

// lineSelector is lmdiag's operand, feature[:keyword=value] ("If a license file contains
// multiple lines for a particular feature, the result is limited to the line containing
// the text value").
type lineSelector struct {
	feature, keyword, value string
}

// selectorKeywords are the manual's keywords: "VERSION, HOSTID, EXPDATE, KEY,
// VENDOR_STRING, ISSUER".
var selectorKeywords = []string{"VERSION", "HOSTID", "EXPDATE", "KEY", "VENDOR_STRING", "ISSUER"}

func parseSelector(s string) (lineSelector, error) {
	feature, rest, hasKeyword := strings.Cut(s, ":")
	sel := lineSelector{feature: feature}
	if feature == "" {
		return sel, fmt.Errorf("lmdiag: %q names no feature; write FEATURE or FEATURE:KEYWORD=value", s)
	}
	if !hasKeyword {
		return sel, nil
	}
	k, v, ok := strings.Cut(rest, "=")
	k = strings.ToUpper(k)
	known := false
	for _, kw := range selectorKeywords {
		known = known || kw == k
	}
	if !ok || !known || v == "" {
		return sel, fmt.Errorf("lmdiag: %q: write FEATURE:KEYWORD=value with KEYWORD one of %s", s, strings.Join(selectorKeywords, ", "))
	}
	sel.keyword, sel.value = k, v
	return sel, nil
}

// chosenPool is one license line lmdiag diagnoses.
type chosenPool struct {
	feature wire.FeatureStatus
	pool    wire.PoolStatus
}

// choose returns the pools to diagnose: every feature's ("If no feature is specified,
// lmdiag operates on all features"), or the named feature's lines that match the keyword.
func (sel lineSelector) choose(st *wire.Status) ([]chosenPool, error) {
	features := append([]wire.FeatureStatus(nil), st.Features...)
	sort.SliceStable(features, func(i, j int) bool { return features[i].Feature < features[j].Feature })
	var out []chosenPool
	found := false
	for _, fs := range features {
		if sel.feature != "" && fs.Feature != sel.feature {
			continue
		}
		found = true
		for _, p := range fs.Pools {
			ok, err := sel.matches(st, p)
			if err != nil {
				return nil, err
			}
			if ok {
				out = append(out, chosenPool{feature: fs, pool: p})
			}
		}
	}
	switch {
	case sel.feature != "" && !found:
		return nil, &wire.Error{Code: wire.CodeNoSuchFeature, Detail: fmt.Sprintf("%s is not served by this license server; lmstat -i lists the features it serves", sel.feature)}
	case len(out) == 0 && sel.keyword != "":
		return nil, &wire.Error{Code: wire.CodeNoSuchFeature, Detail: fmt.Sprintf("no license line of %s has %s=%s; lmstat -i lists its lines", sel.feature, sel.keyword, sel.value)}
	}
	return out, nil
}

func (sel lineSelector) matches(st *wire.Status, p wire.PoolStatus) (bool, error) {
	switch sel.keyword {
	case "":
		return true, nil
	case "VERSION":
		return p.Version == sel.value, nil
	case "EXPDATE":
		return strings.EqualFold(expiryText(p.Expiry), sel.value), nil
	case "VENDOR_STRING":
		return p.VendorString == sel.value, nil
	case "KEY":
		// licd's license key is the line's SIGN= (Ed25519): the text given is matched
		// against it with or without its spaces, in any case, whole or as its beginning.
		want := strings.ToUpper(strings.ReplaceAll(sel.value, " ", ""))
		for _, sg := range p.Signs {
			if strings.HasPrefix(strings.ReplaceAll(sg, " ", ""), want) {
				return true, nil
			}
		}
		return false, nil
	case "ISSUER":
		for _, is := range p.Issuers {
			if strings.EqualFold(is, sel.value) {
				return true, nil
			}
		}
		return false, nil
	case "HOSTID":
		// Every line a server serves is bound to the server's host ("SERVER Line").
		v := strings.TrimPrefix(strings.TrimPrefix(sel.value, "HOSTNAME="), "hostname=")
		return v == st.ServerHost, nil
	}
	return false, &wire.Error{Code: wire.CodeBadRequest, Detail: fmt.Sprintf("lmdiag cannot select lines by %s: the server's status does not carry it; select by VERSION, EXPDATE, HOSTID, KEY, ISSUER or VENDOR_STRING", sel.keyword)}
}
