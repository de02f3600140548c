package wire

// Reconcile, queries, administration and connection-level messages.

// Hold is one license a product holds when it states its holdings in a Reconcile.
type Hold struct {
	Feature     string
	User        string
	Device      string
	ClientHost  string
	Display     string
	VersionDate uint32
	Sockets     uint16
	Since       int64  // unix seconds when it was granted
	Handle      uint64 // the server's handle if the server granted it; 0 if granted in caching mode
}

func (h *Hold) appendTo(b []byte) []byte {
	b = appendString(b, h.Feature)
	b = appendString(b, h.User)
	b = appendString(b, h.Device)
	b = appendString(b, h.ClientHost)
	b = appendString(b, h.Display)
	b = appendUint(b, uint64(h.VersionDate))
	b = appendUint(b, uint64(h.Sockets))
	b = appendInt(b, h.Since)
	return appendUint(b, h.Handle)
}

func (h *Hold) decode(d *decoder) {
	h.Feature = d.name(h.Feature, "feature", CodeBadRequest)
	h.User = d.name(h.User, "user", CodeBadName)
	h.Device = d.name(h.Device, "device", CodeBadName)
	h.ClientHost = d.name(h.ClientHost, "client host", CodeBadName)
	h.Display = d.name(h.Display, "display", CodeBadRequest)
	h.VersionDate = d.u32()
	h.Sockets = d.u16()
	h.Since = d.i64()
	h.Handle = d.u64()
}

// MaxReconcileHolds is the most holds one Reconcile frame may carry (PROTOCOL.md "Limits");
// the client splits larger holdings over several frames.
const MaxReconcileHolds = 4096

// Reconcile is sent by a product back from License caching mode after its Hello: every
// license it holds ("License caching mode example": "connections are reconciled"). The
// holdings are complete: the server releases checkouts of this ClientID that no Reconcile of
// the session lists. A large holding spans several frames, all but the last with More set.
// Answered by ReconcileResult with an item per hold, in order.
type Reconcile struct {
	Holds []Hold
	More  bool // further Reconcile frames follow; release the unlisted only after the last
}

func (*Reconcile) Type() MsgType { return TypeReconcile }

func (m *Reconcile) AppendTo(b []byte) []byte {
	b = appendUint(b, uint64(len(m.Holds)))
	for i := range m.Holds {
		var at int
		b, at = beginElement(b)
		b = m.Holds[i].appendTo(b)
		b = endElement(b, at)
	}
	return appendBool(b, m.More)
}

func (m *Reconcile) Decode(p []byte) error {
	d := decoder{p: p, msg: "reconcile"}
	m.Holds = grow(m.Holds, d.limitedCount("holds", MaxReconcileHolds))
	for i := range m.Holds {
		e := d.element()
		m.Holds[i].decode(&e)
		d.adoptRecord(&e, i)
	}
	m.More = d.bool()
	return d.finish()
}

// ReconcileResult answers Reconcile: per hold, the server's grant (possibly a new handle) or
// why it could not take the hold over.
type ReconcileResult struct{ Items []BatchItem }

func (*ReconcileResult) Type() MsgType              { return TypeReconcileResult }
func (m *ReconcileResult) AppendTo(b []byte) []byte { return appendBatchItems(b, m.Items) }
func (m *ReconcileResult) Decode(p []byte) error {
	d := decoder{p: p, msg: "reconcile-result"}
	m.Items = decodeBatchItems(&d, m.Items)
	return d.finish()
}

// Query kinds.
const (
	QueryStatus    = "status"    // QueryResult.JSON is a Status
	QueryInventory = "inventory" // QueryResult.JSON is a list of InventoryItem
	QueryAlerts    = "alerts"    // QueryResult.JSON is a list of Alert, most severe first
)

// Query asks for the server's state; it needs no session (lmstat). Answered by QueryResult.
type Query struct {
	Kind    string
	Feature string // "" = every feature
	Detail  bool   // include per-checkout detail (lmstat -a)
}

func (*Query) Type() MsgType { return TypeQuery }

func (m *Query) AppendTo(b []byte) []byte {
	b = appendString(b, m.Kind)
	b = appendString(b, m.Feature)
	return appendBool(b, m.Detail)
}

func (m *Query) Decode(p []byte) error {
	d := decoder{p: p, msg: "query"}
	m.Kind = d.name(m.Kind, "kind", CodeBadRequest)
	m.Feature = d.name(m.Feature, "feature", CodeBadRequest)
	m.Detail = d.bool()
	return d.finish()
}

// QueryResult carries the answer as JSON.
type QueryResult struct{ JSON []byte }

func (*QueryResult) Type() MsgType              { return TypeQueryResult }
func (m *QueryResult) AppendTo(b []byte) []byte { return appendBytes(b, m.JSON) }
func (m *QueryResult) Decode(p []byte) error {
	d := decoder{p: p, msg: "query-result"}
	m.JSON = d.bytes(m.JSON)
	return d.finish()
}

// Admin is an administrative command (lmreread, lmdown, udadmin ...); it needs no session
// but the server's local admin token. Answered by AdminResult or Denial.
type Admin struct {
	Token string
	Op    string // named by the daemon: "reread", "shutdown", "udadmin", ...
	Args  []byte // JSON
}

func (*Admin) Type() MsgType { return TypeAdmin }

func (m *Admin) AppendTo(b []byte) []byte {
	b = appendString(b, m.Token)
	b = appendString(b, m.Op)
	return appendBytes(b, m.Args)
}

func (m *Admin) Decode(p []byte) error {
	d := decoder{p: p, msg: "admin"}
	m.Token = d.name(m.Token, "token", CodeBadRequest)
	m.Op = d.name(m.Op, "op", CodeBadRequest)
	m.Args = d.bytes(m.Args)
	return d.finish()
}

// AdminResult carries an admin command's answer as JSON.
type AdminResult struct{ JSON []byte }

func (*AdminResult) Type() MsgType              { return TypeAdminResult }
func (m *AdminResult) AppendTo(b []byte) []byte { return appendBytes(b, m.JSON) }
func (m *AdminResult) Decode(p []byte) error {
	d := decoder{p: p, msg: "admin-result"}
	m.JSON = d.bytes(m.JSON)
	return d.finish()
}

// Locate asks the license-manager port (27000) where the vendor daemon listens, as a
// FLEXlm client asks lmgrd. Answered by LocateResult.
type Locate struct{}

func (*Locate) Type() MsgType            { return TypeLocate }
func (*Locate) AppendTo(b []byte) []byte { return b }
func (*Locate) Decode([]byte) error      { return nil }

// LocateResult names the vendor daemon's host and port ("Citrix vendor daemon": 7279 by
// default).
type LocateResult struct {
	Host       string
	VendorPort uint16
}

func (*LocateResult) Type() MsgType { return TypeLocateResult }

func (m *LocateResult) AppendTo(b []byte) []byte {
	return appendUint(appendString(b, m.Host), uint64(m.VendorPort))
}

func (m *LocateResult) Decode(p []byte) error {
	d := decoder{p: p, msg: "locate-result"}
	m.Host = d.str(m.Host)
	m.VendorPort = d.u16()
	return d.finish()
}

// ProtocolError is the last frame a server sends before it closes a connection: malformed
// input, an unsupported request before the session, or shutdown (CodeShuttingDown).
// Its request id is 0.
type ProtocolError struct {
	Code   Code
	Detail string
}

func (*ProtocolError) Type() MsgType { return TypeProtocolError }

func (m *ProtocolError) AppendTo(b []byte) []byte {
	return appendString(appendInt(b, int64(m.Code)), m.Detail)
}

func (m *ProtocolError) Decode(p []byte) error {
	d := decoder{p: p, msg: "protocol-error"}
	m.Code = d.code()
	m.Detail = d.str(m.Detail)
	return d.finish()
}

// Err is the protocol error as an *Error.
func (m *ProtocolError) Err() error { return &Error{Code: m.Code, Detail: m.Detail} }

// Goodbye ends a session cleanly: the product is stopping, so everything its session holds
// (the start-up license included) is released at once instead of lingering for a reconnect.
// Answered by Ack; the client then closes the connection.
type Goodbye struct{}

func (*Goodbye) Type() MsgType            { return TypeGoodbye }
func (*Goodbye) AppendTo(b []byte) []byte { return b }
func (*Goodbye) Decode(p []byte) error    { return nil }

// UserIdle is the product saying that the user of a checkout has been idle for IdleSeconds
// (0: active again), for the options file's TIMEOUT: a checkout inactive longer than its
// feature's timeout is checked in ("INACTIVE"). Answered by Ack: Released is 1 when the
// report made the checkout due and it was checked in (durably), 0 otherwise. Only the
// session holding the handle may report on it (CodeNotHolder).
type UserIdle struct {
	Handle      uint64
	IdleSeconds uint64
}

func (*UserIdle) Type() MsgType { return TypeUserIdle }

func (m *UserIdle) AppendTo(b []byte) []byte {
	return appendUint(appendUint(b, m.Handle), m.IdleSeconds)
}

func (m *UserIdle) Decode(p []byte) error {
	d := decoder{p: p, msg: "user-idle"}
	m.Handle = d.u64()
	m.IdleSeconds = d.u64()
	return d.finish()
}

// Redirect is a cluster follower's answer to a request only the leader serves (PROTOCOL.md
// "Redirect (type 24)"): Addr is the leader's license-manager address (host:port; "" while no
// leader is known), Leader its node id (0: none), Detail a sentence for a person. The server
// closes the connection after it.
type Redirect struct {
	Addr   string
	Leader uint64
	Detail string
}

func (*Redirect) Type() MsgType { return TypeRedirect }

func (m *Redirect) AppendTo(b []byte) []byte {
	return appendString(appendUint(appendString(b, m.Addr), m.Leader), m.Detail)
}

func (m *Redirect) Decode(p []byte) error {
	d := decoder{p: p, msg: "redirect"}
	m.Addr = d.str(m.Addr)
	m.Leader = d.u64()
	m.Detail = d.str(m.Detail)
	return d.finish()
}

// RedirectError is the error a request answered by Redirect returns: the server is a cluster
// follower and Addr ("" when unknown) is the leader. The client follows it when it connects.
type RedirectError struct{ Redirect }

func (e *RedirectError) Error() string {
	if e.Addr == "" {
		return "this license server is a cluster follower and knows no leader yet (" + e.Detail + ")"
	}
	return "this license server is a cluster follower; the leader is " + e.Addr
}
