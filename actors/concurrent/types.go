package concurrent

import (
	"github.com/licd/licd/actors/burst"

	"time"

	"github.com/licd/licd/wire"
)

// Model selects how a feature's licenses are counted.
type Model uint8

const (
	// ModelConcurrent: one unit per endpoint device, shared by all its sessions
	// ("Concurrent license").
	ModelConcurrent Model = iota
	// ModelPerSocket: a checkout consumes one unit per CPU socket of the host, and the same
	// host checking out again shares its units ("Per socket license").
	ModelPerSocket
)

// MaxSockets is the largest socket count a per-socket checkout may state (it is persisted as
// a 16-bit field).
const MaxSockets = 1<<16 - 1

// PoolSpec is one pool of the feature as the license files define it.
type PoolSpec struct {
	ID        string
	CSS       uint32    // Customer Success Services date, YYYYMMDD
	Count     int       // licenses (units) installed
	Expiry    time.Time // the last day the pool may be used; ignored when Permanent
	Permanent bool
	Start     time.Time // the first day the pool may be used; zero means no start date
	// RetailLines counts the pool's Retail license lines (LT=Retail...): burst mode is only
	// for them ("License burst mode").
	RetailLines int
	// Burst is the pool's burst mode as persisted; it applies when the pool is new to the
	// feature (a start or restart), an existing pool keeps its own.
	Burst burst.State
}

// Policy is the options file's say on a checkout (package license's *Gate in production).
// Admit is asked before a checkout is granted, with free the number of free units across the
// compatible pools and n the units the checkout would take (0 when it joins a license the
// device already holds). Took and Returned are called, with the identity of the checkout that
// took it, each time a license unit is taken from or given back to a pool, so that the two
// always balance.
type Policy interface {
	Admit(user, host, display string, free, n int) error
	Took(user, host, display string, n int)
	Returned(user, host, display string, n int)
}

// Config is the feature's behaviour.
type Config struct {
	Model  Model
	Policy Policy // nil: no options file, every user is admitted
	// MapPolicyError turns Policy.Admit's error into the denial sent to the product; nil maps
	// every error to CodeExcluded with the error's text as detail.
	MapPolicyError func(error) *wire.Error
	// BurstOff switches License burst mode off (the administrator's setting; on by default).
	BurstOff bool
}

// Request is one checkout as a product states it.
type Request struct {
	Session     uint64 // the product connection's session; see ReleaseSession
	Device      string // endpoint device id; per socket, empty means Host
	User        string
	Host        string
	Display     string
	Product     string
	VersionDate uint32 // the product's release date, YYYYMMDD
	Sockets     int    // per socket: the host's CPU sockets; ignored for concurrent licenses
}

// Grant is the result of a successful checkout.
type Grant struct {
	Handle uint64
	PoolID string
	CSS    uint32
	Shared bool // the checkout joined a license its device already held: no unit was taken
	Units  int  // the units of the license the checkout holds
	// BurstStarted: this checkout found the pool full and started its burst mode.
	BurstStarted bool
}

// Holder is one checkout held: what Holder returns and what Restore rebuilds from.
type Holder struct {
	Handle      uint64
	Session     uint64
	PoolID      string
	Device      string
	User        string
	Host        string
	Display     string
	Product     string
	VersionDate uint32
	Units       int
	Start       time.Time
}
