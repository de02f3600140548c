package daemon

import (
	"io"
	"path/filepath"
	"time"

	"go.uber.org/zap"

	"github.com/licd/licd/actors/userdevice"
)

// Version is licd's version as lmstat and the hello report it.
const Version = "v0.1.0"

// Config is everything a daemon is started with. Zero values mean the documented defaults.
type Config struct {
	// shared is set by a cluster node (cluster.go) for the daemon it runs while it leads: the
	// node's store and its ports, which outlive the daemon. nil on a single server.
	shared *sharedResources
	// DataDir holds the Pebble store, the keys, the admin token and (by default) the
	// license directory "MyFiles" and the logs.
	DataDir string
	// LicenseDir is where the *.lic files and the options file live (default DataDir/MyFiles).
	LicenseDir string
	// OptionsFile is the options file (default LicenseDir/CITRIX.opt, "Options file").
	OptionsFile string
	// TrustedKeys are the vendor public keys whose signatures are accepted, in addition to
	// DataDir/keys/vendor.pub.
	TrustedKeys []string
	// ListenHost is the address to bind (default all interfaces; tests use 127.0.0.1).
	ListenHost string
	// LMPort is the license-manager port (default 27000) and VendorPort the vendor daemon's
	// (default 7279); -1 picks a free port (tests).
	LMPort, VendorPort int
	// Hostname is the name license files must be bound to (default: this machine's).
	Hostname string
	// Heartbeat is the server heartbeat interval (default 5 minutes, "License caching mode").
	Heartbeat time.Duration
	// Linger is how long a lost product's licenses stay held (default 1 hour).
	Linger time.Duration
	// AllowShutdown lets lmdown stop the server (default off, as lmdown is disabled unless
	// configured).
	AllowShutdown bool
	// MaxFrame bounds a frame's size (default wire.DefaultMaxFrame).
	MaxFrame int
	// UD configures user/device licensing; zero fields take userdevice.DefaultConfig's.
	UD userdevice.Config
	// Logger is the operational log (default: a no-op logger).
	Logger *zap.Logger
	// DebugLog receives the vendor debug log (default DataDir/CITRIX.log).
	DebugLog io.Writer
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Test hooks, off in production: CommitDelay slows every durable write (a slow disk);
	// FaultInjection enables the "fault.panic" admin request that makes a feature actor
	// panic, to show that it restarts from its persisted state.
	CommitDelay    time.Duration
	FaultInjection bool
	// EventRetention is how long user/device events are kept for udadmin -events (default
	// 30 days).
	EventRetention time.Duration
	// DiskReserve is the free space on the data directory's disk below which grants are
	// denied and start-up is refused (default storage.DefaultDiskReserve, 64 MiB).
	DiskReserve uint64
	// WatchInterval is how often the license directory is checked for changes and the
	// clock for START and expiry dates (default 2 s).
	WatchInterval time.Duration

	// Product is who may use the product port and how much of it (README "Security").
	Product ProductSecurity
	// Limits holds what one connection, or all of them together, may cost the server.
	Limits Limits
	// History configures the historical usage sampler ("Historical Use").
	History HistoryConfig
	// Alerts configures the alerts' webhook and evaluation interval.
	Alerts AlertsConfig
	// Fulfilment is the vendor's fulfilment service: install by license access code and the
	// renewal check (fulfilment.go).
	Fulfilment FulfilmentConfig
	// ConfigFile is the configuration file licd was started with ("" none): a backup keeps a
	// copy of it.
	ConfigFile string
	// LogFile is the operational log's file, when it goes to one (for the support bundle).
	LogFile string
	// Telemetry configures the usage data uploads (actors/telemetry, telemetry.go).
	Telemetry TelemetryConfig

	// Settings are the defaults of the settings the admin API changes ("Server
	// configuration"); values stored through the API take precedence over them.
	Settings SettingDefaults
}

// SettingDefaults are the values of the API's settings given by flags (or a config file).
type SettingDefaults struct {
	// APIPort is the Web Services for Licensing port (8083; -1 a free port, 0 no API).
	APIPort int
	// Proxy is the proxy for outbound calls ("" none); RenewalAction what is done when a
	// renewal is available (notify, auto, manual); ConsoleLanguage the console's language.
	Proxy, RenewalAction, ConsoleLanguage string
	// Explicit names the settings given on the command line: the API reports their source
	// as "flag" rather than "default".
	Explicit map[string]bool
}

// Limits bound what clients can make the server hold, whatever they send. Zero values
// mean the defaults below.
type Limits struct {
	// HelloFrame is the largest frame accepted before a connection's hello (default 64 KiB):
	// utilities (Query, Admin, Locate) need no more, and a stranger cannot make the server
	// buffer a megabyte.
	HelloFrame int
	// FrameTimeout is how long a frame may take to arrive once its first byte has (default
	// 30 s): a peer trickling a frame byte by byte is closed.
	FrameTimeout time.Duration
	// IdleTimeout closes a connection that has not said hello and sends no request for this
	// long (default 2 minutes); a product's session has heartbeats instead.
	IdleTimeout time.Duration
	// WriteTimeout closes a connection whose replies make no progress for this long because
	// its peer does not read them (default 1 minute).
	WriteTimeout time.Duration
	// QueryBudget is how many bytes of replies may wait on one connection before a new query
	// or admin request is started on it (default 1 MiB), and QueriesPerConn how many of
	// them may run at once per connection (default 4).
	QueryBudget    int
	QueriesPerConn int
	// ReplyBudget bounds the query and admin answers of all connections together that are
	// built or waiting to be written (default 32 MiB); StatusBuilds bounds how many status
	// answers are built at once (default 2).
	ReplyBudget  int64
	StatusBuilds int
	// MaxConns is the number of product connections served at once (default: the
	// descriptor limit, RLIMIT_NOFILE, less what the store, the logs and UtilityReserve
	// need); UtilityReserve (default 30, as FLEXlm keeps for its utilities) more loopback
	// connections are then accepted for the utilities, which may not say hello.
	MaxConns       int
	UtilityReserve int
}

func (l Limits) withDefaults() Limits {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	defDur := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&l.HelloFrame, 64<<10)
	defDur(&l.FrameTimeout, 30*time.Second)
	defDur(&l.IdleTimeout, 2*time.Minute)
	defDur(&l.WriteTimeout, time.Minute)
	def(&l.QueryBudget, 1<<20)
	def(&l.QueriesPerConn, 4)
	if l.ReplyBudget <= 0 {
		l.ReplyBudget = 32 << 20
	}
	def(&l.StatusBuilds, 2)
	def(&l.UtilityReserve, 30)
	return l
}

func (c *Config) watchInterval() time.Duration {
	if c.WatchInterval > 0 {
		return c.WatchInterval
	}
	return 2 * time.Second
}

func (c *Config) licenseDir() string {
	if c.LicenseDir != "" {
		return c.LicenseDir
	}
	return filepath.Join(c.DataDir, "MyFiles")
}

func (c *Config) optionsFile() string {
	if c.OptionsFile != "" {
		return c.OptionsFile
	}
	return filepath.Join(c.licenseDir(), "CITRIX.opt")
}

func (c *Config) port(p, def int) int {
	switch {
	case p == 0:
		return def
	case p < 0:
		return 0
	}
	return p
}
