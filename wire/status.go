package wire

import "time"

// Status is the JSON the server puts in QueryResult for Query{Kind: "status"}: what lmstat
// prints and licbench checks. Feature, Detail of the query narrow it.
type Status struct {
	ServerHost string          `json:"serverHost"`
	LMPort     int             `json:"lmPort"`
	VendorPort int             `json:"vendorPort"`
	Version    string          `json:"version"`
	Vendor     string          `json:"vendor"` // "CITRIX"
	VendorUp   bool            `json:"vendorUp"`
	Files      []string        `json:"files"` // license files served
	Features   []FeatureStatus `json:"features"`
	Sessions   []SessionStatus `json:"sessions,omitempty"`
	Now        time.Time       `json:"now"`
	// Alerts are the server's alerts (package actors/alerts) in the full status only, most
	// severe first; lmstat prints them as a short note after the features.
	Alerts []Alert `json:"alerts,omitempty"`
	// Uploads is the usage data programs' state and the last upload (full status only;
	// actors/telemetry/SCHEMA.md); lmstat -s prints it.
	Uploads *UploadStatus `json:"uploads,omitempty"`
	// Cluster is the replicated group this server leads (doc/HA.md); nil on a single server.
	// lmstat prints every member, "(MASTER)" on the leader, as FLEXlm prints a triad.
	Cluster *ClusterStatus `json:"cluster,omitempty"`
}

// ClusterStatus is a licd cluster as its leader sees it.
type ClusterStatus struct {
	Node    uint64          `json:"node"`    // the answering node (the leader)
	Leader  uint64          `json:"leader"`  // its id
	Term    uint64          `json:"term"`    // the Raft term
	Commit  uint64          `json:"commit"`  // the last committed log index
	Applied uint64          `json:"applied"` // the last index applied to the leader's store
	Members []ClusterMember `json:"members"`
}

// ClusterMember is one node of the group.
type ClusterMember struct {
	ID       uint64 `json:"id"`
	PeerAddr string `json:"peerAddr"`
	Leader   bool   `json:"leader"`
	Active   bool   `json:"active"` // heard from within the last election timeout
	Match    uint64 `json:"match"`  // the last log index known to be on it
	Lag      uint64 `json:"lag"`    // log entries it is behind the leader
}

// UploadStatus is what lmstat -s shows of the usage data uploads ("Upload information").
type UploadStatus struct {
	Choice     string    `json:"choice"`   // callhome, ceip or none
	Programs   []string  `json:"programs"` // the programs that run
	Automatic  bool      `json:"automatic"`
	Sends      bool      `json:"sends"`
	Why        string    `json:"why"`
	LastResult string    `json:"lastResult,omitempty"` // one line: when, success or the error
	LastOK     bool      `json:"lastOk,omitempty"`
	LastUpload time.Time `json:"lastSuccess,omitzero"`
	Overdue    bool      `json:"overdue,omitempty"` // more than 90 days since the last success
}

// Alert is one condition an administrator should act on ("Important notifications of license
// availability, expiration, and other conditions": the Licensing Manager's bell). Its ID is
// stable while the condition lasts, so that a client can tell a new alert from one it has
// seen; FirstSeen survives restarts.
type Alert struct {
	ID        string    `json:"id"`       // kind/subject, e.g. "license-expiring/XDT_PLT_UD/20301231/ab12cd34"
	Kind      string    `json:"kind"`     // one of the alerts.Kind constants
	Severity  string    `json:"severity"` // "critical", "warning" or "info"
	Subject   string    `json:"subject"`  // the feature, pool, file:line or certificate concerned
	Message   string    `json:"message"`  // what is the matter, in a sentence
	Action    string    `json:"action"`   // what to do about it
	FirstSeen time.Time `json:"firstSeen"`
	Since     time.Time `json:"since,omitzero"` // when the condition began (overdraft first use, burst start)
	Until     time.Time `json:"until,omitzero"` // the deadline (expiry, end of burst, overdraft purchase by)
	DaysLeft  *int      `json:"daysLeft,omitempty"`
}

// FeatureStatus is one feature's usage ("Users of FEATURE: (Total of N licenses issued;
// Total of M licenses in use)").
type FeatureStatus struct {
	Feature        string `json:"feature"`
	Model          string `json:"model"`
	Issued         int    `json:"issued"`
	InUse          int    `json:"inUse"`
	Overdraft      int    `json:"overdraft"`
	OverdraftInUse int    `json:"overdraftInUse"`
	// PeakInUse is the highest InUse since the historical-usage sampler last read it
	// ("Historical Use"); filled only for the sampler's query.
	PeakInUse int              `json:"peakInUse,omitempty"`
	Pools     []PoolStatus     `json:"pools,omitempty"`
	Checkouts []CheckoutStatus `json:"checkouts,omitempty"` // with Query.Detail
	// Reserved is the licenses RESERVE lines of the options file keep and nobody they name
	// holds yet: not in InUse (really used), which lmstat's text adds them to as FLEXlm does
	// ("N RESERVATIONs for GROUP name"). Reservations are those lines.
	Reserved     int                 `json:"reserved,omitempty"`
	Reservations []ReservationStatus `json:"reservations,omitempty"`
	OptimizedAt  time.Time           `json:"optimizedAt,omitzero"`
}

// PoolStatus is one license pool (one INCREMENT line, or lines merged by the server).
type PoolStatus struct {
	ID           string `json:"id"`
	Version      string `json:"version"` // the CSS date as in the license file, "2022.1201"
	Expiry       string `json:"expiry"`  // "01-dec-2022" or "permanent"
	Count        int    `json:"count"`
	Overdraft    int    `json:"overdraft"`
	InUse        int    `json:"inUse"`
	PeakInUse    int    `json:"peakInUse,omitempty"` // as FeatureStatus.PeakInUse
	VendorString string `json:"vendorString,omitempty"`
	DupGroup     string `json:"dupGroup,omitempty"`
	// Signs and Issuers are the SIGN= and ISSUER= of the pool's lines, for lmdiag's
	// FEATURE:KEY=... and FEATURE:ISSUER=... selections ("lmdiag").
	Signs   []string `json:"signs,omitempty"`
	Issuers []string `json:"issuers,omitempty"`
	Pending bool     `json:"pending,omitempty"` // START date in the future
	Start   string   `json:"start,omitempty"`
	// License burst mode ("License burst mode"): Retail pools only. Armed: a burst would
	// start when the pool is full; Active: connections are unlimited until BurstUntil.
	Retail        bool      `json:"retail,omitempty"`
	BurstArmed    bool      `json:"burstArmed,omitempty"`
	BurstActive   bool      `json:"burstActive,omitempty"`
	BurstStarted  time.Time `json:"burstStarted,omitzero"`
	BurstUntil    time.Time `json:"burstUntil,omitzero"`
	BurstDaysLeft int       `json:"burstDaysLeft,omitempty"`
}

// CheckoutStatus is one checked-out license, as lmstat -a lists it
// ("user host display (vVERSION) (server/port handle), start DATE").
type CheckoutStatus struct {
	Product  string    `json:"product"`
	User     string    `json:"user"`
	Host     string    `json:"host"`
	Display  string    `json:"display"`
	Device   string    `json:"device,omitempty"`
	Version  string    `json:"version"`
	Handle   uint64    `json:"handle"`
	Start    time.Time `json:"start"`
	Sessions int       `json:"sessions"` // connections sharing it
	PoolID   string    `json:"poolId"`
	// Units is the licenses the checkout takes (per socket: the host's CPU sockets); lmstat
	// ends the line with ", N licenses" when it is more than one, as FLEXlm does.
	Units int `json:"units,omitempty"`
	// Session is the product session holding it; Lost says that session's heartbeats stopped
	// and the license is held for its reconcile ("License caching mode").
	Session uint64 `json:"session,omitempty"`
	Lost    bool   `json:"lost,omitempty"`
}

// ReservationStatus is one RESERVE line of the options file for the feature: Count licenses
// kept for Type Name (USER, HOST, DISPLAY, GROUP, HOST_GROUP), of which Used are held by
// those it names. Count-Used stay reserved.
type ReservationStatus struct {
	Count int    `json:"count"`
	Used  int    `json:"used"`
	Type  string `json:"type"`
	Name  string `json:"name"`
}

// SessionStatus is one connected product server.
type SessionStatus struct {
	ID            uint64    `json:"id"`
	Product       string    `json:"product"`
	Host          string    `json:"host"`
	Edition       string    `json:"edition"`
	Model         string    `json:"model"`
	Connected     time.Time `json:"connected"`
	LastHeartbeat time.Time `json:"lastHeartbeat"`
	Lost          bool      `json:"lost,omitempty"` // heartbeats stopped; its checkouts await reconcile
}
