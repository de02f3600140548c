package license

import (
	"fmt"
	"strings"
)

// Model is the license model of a feature: how its licenses are consumed ("License types").
type Model uint8

// The license models. The numeric values are stable: they may be persisted.
const (
	ModelUnknown Model = iota
	ModelConcurrent
	ModelUserDevice
	ModelPerUser
	ModelPerDevice
	ModelPerSocket
	ModelNamedUser
	ModelServer
)

// modelInfo is one row of the model table.
type modelInfo struct {
	name      string
	overdraft bool // "License overdraft": only user/device, user and device licenses carry it
}

var modelTable = [...]modelInfo{
	ModelUnknown:    {"unknown", false},
	ModelConcurrent: {"concurrent", false},
	ModelUserDevice: {"user/device", true},
	ModelPerUser:    {"per-user", true},
	ModelPerDevice:  {"per-device", true},
	ModelPerSocket:  {"per-socket", false},
	ModelNamedUser:  {"named-user", true},
	ModelServer:     {"server", false},
}

// modelCodes is THE table from the model code (the last "_" part of PRODUCT_EDITION_MODEL)
// to a model. CCU, CCS, UD and SYS/SRV are Citrix's codes as the manual shows them; SSERVER
// appears in the manual's CBR_100_SSERVER example. USR, DEV, SKT and NU are licd's own codes
// for the per-user, per-device, per-socket and named-user models of "License types", which the
// manual describes without naming a code.
var modelCodes = map[string]Model{
	"CCU":     ModelConcurrent, // concurrent user
	"CCS":     ModelConcurrent, // concurrent system
	"UD":      ModelUserDevice,
	"USR":     ModelPerUser,
	"DEV":     ModelPerDevice,
	"SKT":     ModelPerSocket,
	"NU":      ModelNamedUser,
	"SYS":     ModelServer,
	"SRV":     ModelServer,
	"SSERVER": ModelServer,
}

// systemFeatures are the built-in features that carry no model code ("Citrix Start-up
// license", "Citrix License Server Diagnostics License"); the console lists both as Server.
var systemFeatures = map[string]bool{
	StartupFeature:     true,
	DiagnosticsFeature: true,
}

// String returns the model's name as the console and lmstat show it.
func (m Model) String() string {
	if int(m) < len(modelTable) {
		return modelTable[m].name
	}
	return fmt.Sprintf("model(%d)", uint8(m))
}

// HasOverdraft reports whether lines of this model carry the 10% overdraft: "Concurrent
// licenses and server licenses do not contain the overdraft feature" ("License overdraft").
func (m Model) HasOverdraft() bool {
	return int(m) < len(modelTable) && modelTable[m].overdraft
}

// ModelOfFeature returns the license model named by a feature's model code.
func ModelOfFeature(feature string) (Model, error) {
	if systemFeatures[feature] {
		return ModelServer, nil
	}
	_, _, code, ok := SplitFeature(feature)
	if !ok {
		return ModelUnknown, fmt.Errorf("feature %q is not of the form PRODUCT_EDITION_MODEL; the last part must be a license model code such as CCU, CCS or UD", feature)
	}
	m, ok := modelCodes[code]
	if !ok {
		return ModelUnknown, fmt.Errorf("feature %q: unknown license model code %q; known codes are %s", feature, code, knownModelCodes())
	}
	return m, nil
}

func knownModelCodes() string {
	return "CCU, CCS (concurrent), UD (user/device), USR (per-user), DEV (per-device), SKT (per-socket), NU (named user), SYS, SRV, SSERVER (server)"
}

// SplitFeature splits PRODUCT_EDITION_MODEL at its first and last underscore. The product is
// the part before the first "_", the model code the part after the last, and the edition
// everything between (editions never contain "_" in the manual, but products of other
// vendors might, so the edition keeps them). ok is false without two underscores or with an
// empty part.
func SplitFeature(feature string) (product, edition, modelCode string, ok bool) {
	first := strings.IndexByte(feature, '_')
	last := strings.LastIndexByte(feature, '_')
	if first < 0 || first == last {
		return "", "", "", false
	}
	product, edition, modelCode = feature[:first], feature[first+1:last], feature[last+1:]
	if product == "" || edition == "" || modelCode == "" {
		return "", "", "", false
	}
	return product, edition, modelCode, true
}

// FeatureName joins product, edition and model code into PRODUCT_EDITION_MODEL.
func FeatureName(product, edition, modelCode string) string {
	return product + "_" + edition + "_" + modelCode
}
