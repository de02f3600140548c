package userdevice

import (
	"errors"
	"fmt"
)

// Sentinels for errors.Is. The concrete errors are *NameError and *LimitError.
var (
	// ErrBadName: a user or device name is empty, too long or not valid UTF-8 (the
	// integrator answers wire.CodeBadName).
	ErrBadName = errors.New("bad user or device name")
	// ErrLicensedNumberReached: every installed license, overdraft included, is in use.
	ErrLicensedNumberReached = errors.New("licensed number of users already reached")
	// ErrUnknownName: udadmin asked to release a user or device the feature does not hold.
	ErrUnknownName = errors.New("no such user or device")
)

// NameError says which name was rejected and why.
type NameError struct {
	Role   string // "user" or "device"
	Name   string // the name as received (possibly truncated for display)
	Reason string
}

func (e *NameError) Error() string {
	return fmt.Sprintf("%s name %q %s; send a non-empty UTF-8 name without control characters", e.Role, e.Name, e.Reason)
}

// Is makes errors.Is(err, ErrBadName) true.
func (e *NameError) Is(target error) bool { return target == ErrBadName }

// LimitError is a connection refused because it needs a new license and the installed count
// (purchased + overdraft, "License overdraft") is used up.
type LimitError struct {
	Feature              string
	InUse                int
	Purchased, Overdraft int
}

func (e *LimitError) Error() string {
	return fmt.Sprintf("feature %q: all %d licenses are in use (%d purchased + %d overdraft); "+
		"release users or devices that left (udadmin -delete) or install more licenses",
		e.Feature, e.InUse, e.Purchased, e.Overdraft)
}

// Is makes errors.Is(err, ErrLicensedNumberReached) true.
func (e *LimitError) Is(target error) bool { return target == ErrLicensedNumberReached }
