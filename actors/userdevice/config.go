package userdevice

import (
	"fmt"
	"time"
)

// Kind says whether a license is held by a user or by a device. The values are stored on
// disk (storage.UDLicense.Kind): never renumber them.
type Kind uint8

const (
	KindUser   Kind = 1
	KindDevice Kind = 2
)

func (k Kind) String() string {
	switch k {
	case KindUser:
		return "user"
	case KindDevice:
		return "device"
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// Model is the license model of a feature ("License types").
type Model uint8

const (
	// ModelUserDevice assigns a user or a device license, whichever covers the connections
	// with fewer licenses ("User/device license").
	ModelUserDevice Model = iota + 1
	// ModelPerUser licenses only users; devices are ignored ("Per user license").
	ModelPerUser
	// ModelPerDevice licenses only devices; users are ignored ("Per device license").
	ModelPerDevice
	// ModelNamedUser checks a license out to a user for Config.NamedUserPeriod, not tied to a
	// device ("Named user license (legacy)").
	ModelNamedUser
)

func (m Model) String() string {
	switch m {
	case ModelUserDevice:
		return "user/device"
	case ModelPerUser:
		return "per user"
	case ModelPerDevice:
		return "per device"
	case ModelNamedUser:
		return "named user"
	}
	return fmt.Sprintf("model(%d)", uint8(m))
}

// Case is how user or device names are case-folded before they are compared.
type Case uint8

const (
	CaseUnchanged Case = iota // names are compared as given
	CaseLower                 // names are folded to lower case
	CaseUpper                 // names are folded to upper case
)

// Config holds the settings of user/device licensing. The zero value is not useful: start
// from DefaultConfig.
type Config struct {
	// UseDomain keeps "user@domain" whole. By default the domain is truncated so that
	// abc@eng.com and abc@citrite.com are the same user ("Disable the domain name truncation",
	// registry value UDUseDomain).
	UseDomain bool
	// UserCase and DeviceCase fold names before comparison.
	UserCase, DeviceCase Case
	// MaxNameBytes is the longest accepted user or device name, in bytes.
	MaxNameBytes int
	// Lease is the license assignment period ("License assignment period": 90 days).
	Lease time.Duration
	// FastInterval and SlowInterval are the optimization intervals below and from
	// SlowThreshold live connections ("License optimization": 5 s, 5 min, 5000).
	FastInterval, SlowInterval time.Duration
	SlowThreshold              int
	// NamedUserPeriod is how long a named user license stays checked out ("Named user
	// license (legacy)" calls it "a preconfigured period" without a value; licd uses the
	// assignment period).
	NamedUserPeriod time.Duration
	// EventCapacity bounds the in-memory event ring of each feature (udadmin -events).
	EventCapacity int
}

// DefaultConfig returns the manual's settings.
func DefaultConfig() Config {
	return Config{
		UserCase:        CaseUnchanged,
		DeviceCase:      CaseUnchanged,
		MaxNameBytes:    256,
		Lease:           90 * 24 * time.Hour,
		FastInterval:    5 * time.Second,
		SlowInterval:    5 * time.Minute,
		SlowThreshold:   5000,
		NamedUserPeriod: 90 * 24 * time.Hour,
		EventCapacity:   4096,
	}
}

// withDefaults fills settings left at zero so that a partly filled Config still works.
func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if c.MaxNameBytes <= 0 {
		c.MaxNameBytes = d.MaxNameBytes
	}
	if c.Lease <= 0 {
		c.Lease = d.Lease
	}
	if c.FastInterval <= 0 {
		c.FastInterval = d.FastInterval
	}
	if c.SlowInterval <= 0 {
		c.SlowInterval = d.SlowInterval
	}
	if c.SlowThreshold <= 0 {
		c.SlowThreshold = d.SlowThreshold
	}
	if c.NamedUserPeriod <= 0 {
		c.NamedUserPeriod = d.NamedUserPeriod
	}
	if c.EventCapacity <= 0 {
		c.EventCapacity = d.EventCapacity
	}
	return c
}
