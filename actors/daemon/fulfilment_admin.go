package daemon

import (
	"bytes"
	"encoding/json"

	"github.com/licd/licd/wire"
)

// FulfilmentArgs are the arguments of the fulfilment admin requests (lmutil lminstall and
// lmrenew): fulfil.entitlements {code}, fulfil.install {code, entitlement, quantity},
// fulfil.return {allocation}, fulfil.installed {}, renewal.check {}, renewal.list {},
// renewal.install {sn}.
type FulfilmentArgs struct {
	Code        string `json:"code,omitempty"`
	Entitlement string `json:"entitlement,omitempty"`
	Quantity    int    `json:"quantity,omitempty"`
	Allocation  string `json:"allocation,omitempty"`
	SN          string `json:"sn,omitempty"`
}

// fulfilmentOp serves the fulfilment admin requests.
func (d *Daemon) fulfilmentOp(op string, args []byte) (any, error) {
	var a FulfilmentArgs
	if len(args) > 0 {
		dec := json.NewDecoder(bytes.NewReader(args))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&a); err != nil {
			return nil, wire.Errorf(wire.CodeBadRequest, op+" arguments: "+err.Error())
		}
	}
	switch op {
	case "fulfil.entitlements":
		return d.AccessCodeEntitlements(a.Code)
	case "fulfil.install":
		return d.InstallByAccessCode(a.Code, a.Entitlement, a.Quantity)
	case "fulfil.return":
		return d.ReturnAllocation(a.Allocation)
	case "fulfil.installed":
		return d.CodeInstalls()
	case "renewal.check":
		return d.CheckRenewals()
	case "renewal.list":
		return d.Renewals()
	case "renewal.install":
		return d.InstallRenewal(a.SN)
	}
	return nil, wire.Errorf(wire.CodeBadRequest, "unknown fulfilment operation "+op)
}
