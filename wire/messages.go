package wire

// The session and checkout messages. Fields are encoded in declaration order (PROTOCOL.md
// "Messages"); a later version may only append fields.

// Hello is the start-up checkout: the first request of a product's session ("License request
// process", product start-up phase: "The product checks out a startup license"). It is
// answered by HelloOK or Denial.
type Hello struct {
	ClientID         string // stable identity of the product server across reconnects
	Product          string
	Host             string
	Edition          string
	Model            string
	VersionDate      uint32 // product version date, yyyymmdd
	HeartbeatSeconds uint32 // the interval the product proposes; 0 = the server's default
	// SessionToken is the token of the HelloOK that opened this product's session, sent when
	// the product reconnects: only it adopts the session (and its licenses). Empty for a new
	// session.
	SessionToken []byte
	// Credential is the product's shared secret when the server requires one (PROTOCOL.md
	// "Product authentication"); empty otherwise.
	Credential []byte
}

func (*Hello) Type() MsgType { return TypeHello }

func (m *Hello) AppendTo(b []byte) []byte {
	b = appendString(b, m.ClientID)
	b = appendString(b, m.Product)
	b = appendString(b, m.Host)
	b = appendString(b, m.Edition)
	b = appendString(b, m.Model)
	b = appendUint(b, uint64(m.VersionDate))
	b = appendUint(b, uint64(m.HeartbeatSeconds))
	b = appendBytes(b, m.SessionToken)
	return appendBytes(b, m.Credential)
}

func (m *Hello) Decode(p []byte) error {
	d := decoder{p: p, msg: "hello"}
	m.ClientID = d.name(m.ClientID, "client id", CodeBadRequest)
	m.Product = d.name(m.Product, "product", CodeBadRequest)
	m.Host = d.name(m.Host, "host", CodeBadRequest)
	m.Edition = d.name(m.Edition, "edition", CodeBadRequest)
	m.Model = d.name(m.Model, "model", CodeBadRequest)
	m.VersionDate = d.u32()
	m.HeartbeatSeconds = d.u32()
	m.SessionToken = d.bytes(m.SessionToken)
	m.Credential = d.bytes(m.Credential)
	return d.finish()
}

// HelloOK accepts a Hello. Inventory is the replica of the installed licenses the product
// keeps for License caching mode ("Citrix licensing technical overview": the product "stores
// a replica of the licensing information from the License Server").
type HelloOK struct {
	SessionID        uint64
	ServerHost       string
	ServerVersion    string
	HeartbeatSeconds uint32 // the interval both sides use
	StartupHandle    uint64 // the start-up license's checkout handle
	Inventory        []InventoryItem
	// SessionToken is a secret only this product knows: a reconnect's Hello must carry it to
	// adopt the session. The server keeps only its hash.
	SessionToken []byte
}

// InventoryItem is one feature as the server has it installed.
type InventoryItem struct {
	Feature   string
	Model     string // the license model, e.g. "CCU", "CCS", "UD", "USR", "DEV"
	CSS       uint32 // Customer Success Services date, yyyymmdd
	Installed uint32 // licenses installed (the count caching mode may grant up to)
	Expiry    int64  // unix seconds; 0 = permanent
	// GraceHours is the license caching mode's grace period for the feature: the vendor
	// string's GP= ("GP=720" is 30 days); 0 when the licenses do not say, and the client
	// applies ClientOptions.CachingPeriod.
	GraceHours uint32
}

func (*HelloOK) Type() MsgType { return TypeHelloOK }

func (m *HelloOK) AppendTo(b []byte) []byte {
	b = appendUint(b, m.SessionID)
	b = appendString(b, m.ServerHost)
	b = appendString(b, m.ServerVersion)
	b = appendUint(b, uint64(m.HeartbeatSeconds))
	b = appendUint(b, m.StartupHandle)
	b = appendUint(b, uint64(len(m.Inventory)))
	for i := range m.Inventory {
		it := &m.Inventory[i]
		var at int
		b, at = beginElement(b)
		b = appendString(b, it.Feature)
		b = appendString(b, it.Model)
		b = appendUint(b, uint64(it.CSS))
		b = appendUint(b, uint64(it.Installed))
		b = appendInt(b, it.Expiry)
		b = appendUint(b, uint64(it.GraceHours))
		b = endElement(b, at)
	}
	return appendBytes(b, m.SessionToken)
}

func (m *HelloOK) Decode(p []byte) error {
	d := decoder{p: p, msg: "hello-ok"}
	m.SessionID = d.u64()
	m.ServerHost = d.str(m.ServerHost)
	m.ServerVersion = d.str(m.ServerVersion)
	m.HeartbeatSeconds = d.u32()
	m.StartupHandle = d.u64()
	n := d.count()
	m.Inventory = grow(m.Inventory, n)
	for i := range m.Inventory {
		e := d.element()
		it := &m.Inventory[i]
		it.Feature = e.str(it.Feature)
		it.Model = e.str(it.Model)
		it.CSS = e.u32()
		it.Installed = e.u32()
		it.Expiry = e.i64()
		it.GraceHours = e.u32()
		d.adopt(&e)
	}
	m.SessionToken = d.bytes(m.SessionToken)
	return d.finish()
}

// Heartbeat is sent by either side every HeartbeatSeconds ("Citrix Start-up license": "Every
// five minutes the License Server and the product send a heartbeat message to each other");
// the receiver answers HeartbeatAck with the same request id and value.
type Heartbeat struct{ UnixNano int64 }

func (*Heartbeat) Type() MsgType              { return TypeHeartbeat }
func (m *Heartbeat) AppendTo(b []byte) []byte { return appendInt(b, m.UnixNano) }
func (m *Heartbeat) Decode(p []byte) error {
	d := decoder{p: p, msg: "heartbeat"}
	m.UnixNano = d.i64()
	return d.finish()
}

// HeartbeatAck answers a Heartbeat.
type HeartbeatAck struct{ UnixNano int64 }

func (*HeartbeatAck) Type() MsgType              { return TypeHeartbeatAck }
func (m *HeartbeatAck) AppendTo(b []byte) []byte { return appendInt(b, m.UnixNano) }
func (m *HeartbeatAck) Decode(p []byte) error {
	d := decoder{p: p, msg: "heartbeat-ack"}
	m.UnixNano = d.i64()
	return d.finish()
}

// Checkout asks for one license ("License request process", user connection phase). An
// empty Feature means Product_Edition_Model (see FeatureName). Answered by Grant or Denial.
type Checkout struct {
	Feature     string
	Product     string
	Edition     string
	Model       string
	User        string
	Device      string
	ClientHost  string
	Display     string
	VersionDate uint32 // product version date, yyyymmdd, checked against the CSS date
	Sockets     uint16 // for per-socket models; 0 otherwise
}

// FeatureName is the feature the checkout asks for: Feature, or Product_Edition_Model.
func (m *Checkout) FeatureName() string {
	if m.Feature != "" {
		return m.Feature
	}
	return m.Product + "_" + m.Edition + "_" + m.Model
}

func (*Checkout) Type() MsgType { return TypeCheckout }

func (m *Checkout) AppendTo(b []byte) []byte {
	b = appendString(b, m.Feature)
	b = appendString(b, m.Product)
	b = appendString(b, m.Edition)
	b = appendString(b, m.Model)
	b = appendString(b, m.User)
	b = appendString(b, m.Device)
	b = appendString(b, m.ClientHost)
	b = appendString(b, m.Display)
	b = appendUint(b, uint64(m.VersionDate))
	return appendUint(b, uint64(m.Sockets))
}

func (m *Checkout) Decode(p []byte) error {
	d := decoder{p: p, msg: "checkout"}
	m.decode(&d)
	return d.finish()
}

func (m *Checkout) decode(d *decoder) {
	m.Feature = d.name(m.Feature, "feature", CodeBadRequest)
	m.Product = d.name(m.Product, "product", CodeBadRequest)
	m.Edition = d.name(m.Edition, "edition", CodeBadRequest)
	m.Model = d.name(m.Model, "model", CodeBadRequest)
	m.User = d.name(m.User, "user", CodeBadName)
	m.Device = d.name(m.Device, "device", CodeBadName)
	m.ClientHost = d.name(m.ClientHost, "client host", CodeBadName)
	m.Display = d.name(m.Display, "display", CodeBadRequest)
	m.VersionDate = d.u32()
	m.Sockets = d.u16()
}

// Grant is a checked-out license.
type Grant struct {
	Handle   uint64 // what Checkin takes; "-h" of the utilities
	Feature  string
	PoolID   string
	CSS      uint32
	Shared   bool   // an existing license of the same user or device was shared
	Assigned string // user/device model: "user" or "device"; "" for other models
	Cached   bool   // granted by the client itself in License caching mode
}

func (*Grant) Type() MsgType { return TypeGrant }

func (m *Grant) AppendTo(b []byte) []byte {
	b = appendUint(b, m.Handle)
	b = appendString(b, m.Feature)
	b = appendString(b, m.PoolID)
	b = appendUint(b, uint64(m.CSS))
	b = appendBool(b, m.Shared)
	b = appendString(b, m.Assigned)
	return appendBool(b, m.Cached)
}

func (m *Grant) Decode(p []byte) error {
	d := decoder{p: p, msg: "grant"}
	m.decode(&d)
	return d.finish()
}

func (m *Grant) decode(d *decoder) {
	m.Handle = d.u64()
	m.Feature = d.str(m.Feature)
	m.PoolID = d.str(m.PoolID)
	m.CSS = d.u32()
	m.Shared = d.bool()
	m.Assigned = d.str(m.Assigned)
	m.Cached = d.bool()
}

// Denial answers any request that failed: the result code and what to do about it.
type Denial struct {
	Code   Code
	Detail string
}

func (*Denial) Type() MsgType { return TypeDenial }

func (m *Denial) AppendTo(b []byte) []byte {
	b = appendInt(b, int64(m.Code))
	return appendString(b, m.Detail)
}

func (m *Denial) Decode(p []byte) error {
	d := decoder{p: p, msg: "denial"}
	m.decode(&d)
	return d.finish()
}

func (m *Denial) decode(d *decoder) {
	m.Code = d.code()
	m.Detail = d.str(m.Detail)
}

// Err is the denial as an error, nil when Code is OK.
func (m *Denial) Err() error {
	if m.Code == OK {
		return nil
	}
	return &Error{Code: m.Code, Detail: m.Detail}
}

// MaxBatch is the most checkouts one CheckoutBatch may carry (PROTOCOL.md "Limits"): the
// server answers a larger one with Denial{CodeBadRequest} before doing any of its work.
const MaxBatch = 1000

// CheckoutBatch is many checkouts in one frame (the manual's checkoutBatch), answered by one
// BatchResult with an item per checkout, in order; at most MaxBatch of them.
type CheckoutBatch struct{ Items []Checkout }

func (*CheckoutBatch) Type() MsgType { return TypeCheckoutBatch }

func (m *CheckoutBatch) AppendTo(b []byte) []byte {
	b = appendUint(b, uint64(len(m.Items)))
	for i := range m.Items {
		var at int
		b, at = beginElement(b)
		b = m.Items[i].AppendTo(b)
		b = endElement(b, at)
	}
	return b
}

func (m *CheckoutBatch) Decode(p []byte) error {
	d := decoder{p: p, msg: "checkout-batch"}
	m.Items = grow(m.Items, d.limitedCount("checkouts", MaxBatch))
	for i := range m.Items {
		e := d.element()
		m.Items[i].decode(&e)
		d.adoptRecord(&e, i)
	}
	return d.finish()
}

// BatchItem is one checkout's outcome: Denied.Code == OK means Grant is valid.
type BatchItem struct {
	Grant  Grant
	Denied Denial
}

func appendBatchItems(b []byte, items []BatchItem) []byte {
	b = appendUint(b, uint64(len(items)))
	for i := range items {
		var at int
		b, at = beginElement(b)
		// The outcome code first, then whichever half applies.
		b = appendInt(b, int64(items[i].Denied.Code))
		if items[i].Denied.Code == OK {
			b = items[i].Grant.AppendTo(b)
		} else {
			b = appendString(b, items[i].Denied.Detail)
		}
		b = endElement(b, at)
	}
	return b
}

func decodeBatchItems(d *decoder, items []BatchItem) []BatchItem {
	items = grow(items, d.count())
	for i := range items {
		e := d.element()
		it := &items[i]
		it.Denied.Code = e.code()
		if it.Denied.Code == OK {
			it.Denied.Detail = ""
			it.Grant.decode(&e)
		} else {
			it.Grant = Grant{}
			it.Denied.Detail = e.str(it.Denied.Detail)
		}
		d.adopt(&e)
	}
	return items
}

// BatchResult answers CheckoutBatch.
type BatchResult struct{ Items []BatchItem }

func (*BatchResult) Type() MsgType              { return TypeBatchResult }
func (m *BatchResult) AppendTo(b []byte) []byte { return appendBatchItems(b, m.Items) }
func (m *BatchResult) Decode(p []byte) error {
	d := decoder{p: p, msg: "batch-result"}
	m.Items = decodeBatchItems(&d, m.Items)
	return d.finish()
}

// Checkin returns one license by handle ("Check out and Check in"). Answered by Ack
// (Released 1) or Denial (CodeUnknownHandle).
type Checkin struct{ Handle uint64 }

func (*Checkin) Type() MsgType              { return TypeCheckin }
func (m *Checkin) AppendTo(b []byte) []byte { return appendUint(b, m.Handle) }
func (m *Checkin) Decode(p []byte) error {
	d := decoder{p: p, msg: "checkin"}
	m.Handle = d.u64()
	return d.finish()
}

// CheckinDevice returns every license this session holds for a device of a feature.
type CheckinDevice struct{ Feature, Device string }

func (*CheckinDevice) Type() MsgType { return TypeCheckinDevice }
func (m *CheckinDevice) AppendTo(b []byte) []byte {
	return appendString(appendString(b, m.Feature), m.Device)
}
func (m *CheckinDevice) Decode(p []byte) error {
	d := decoder{p: p, msg: "checkin-device"}
	m.Feature = d.name(m.Feature, "feature", CodeBadRequest)
	m.Device = d.name(m.Device, "device", CodeBadName)
	return d.finish()
}

// Ack answers Checkin and CheckinDevice: how many licenses were released.
type Ack struct{ Released uint32 }

func (*Ack) Type() MsgType              { return TypeAck }
func (m *Ack) AppendTo(b []byte) []byte { return appendUint(b, uint64(m.Released)) }
func (m *Ack) Decode(p []byte) error {
	d := decoder{p: p, msg: "ack"}
	m.Released = d.u32()
	return d.finish()
}
