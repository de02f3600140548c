package wire

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"
)

// ClientOptions configures a Client: who the product is and how it talks to the server.
type ClientOptions struct {
	ClientID    string // stable identity of this product server; default Host/Product_Edition_Model
	Product     string // required
	Host        string // default os.Hostname()
	Edition     string
	Model       string
	VersionDate uint32 // product version date, yyyymmdd
	// Heartbeat is the heartbeat interval; default 5 minutes ("License caching mode": the
	// product and the License Server exchange heartbeats "every five minutes").
	Heartbeat      time.Duration
	DialTimeout    time.Duration // per address and handshake; default 5s
	RequestTimeout time.Duration // a request unanswered this long counts as a lost server; default 30s
	// CachingPeriod is how long the product licenses itself without the server; default 30
	// days ("License caching mode": "It is typically 30 days").
	CachingPeriod time.Duration
	Now           func() time.Time // default time.Now; drives caching mode and heartbeat silence
	Logger        *zap.Logger      // default: no logging
	MaxInFlight   int              // requests in flight on the connection; default 4096

	HeartbeatGrace time.Duration // silence after which the server counts as lost; default 2 heartbeats
	ReconnectMin   time.Duration // first reconnect delay; default 1s, doubling per failure
	ReconnectMax   time.Duration // longest reconnect delay; default 1 minute
	MaxFrame       int           // largest frame sent or accepted; default DefaultMaxFrame

	// Credential is the product's shared secret, for a server that authenticates products
	// (PROTOCOL.md "Product authentication"); nil when it does not.
	Credential []byte
	// TLS, when set, wraps every connection in TLS (PROTOCOL.md "TLS"): set RootCAs to trust
	// the server's certificate and Certificates for mutual TLS.
	TLS *tls.Config
}

func (o *ClientOptions) setDefaults() error {
	if o.Product == "" {
		return errors.New("wire: ClientOptions.Product is empty; name the product (for example \"XDT\")")
	}
	if o.Host == "" {
		h, err := os.Hostname()
		if err != nil {
			return fmt.Errorf("wire: ClientOptions.Host is empty and the host name is unknown: %w", err)
		}
		o.Host = h
	}
	if o.ClientID == "" {
		o.ClientID = o.Host + "/" + o.Product + "_" + o.Edition + "_" + o.Model
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&o.Heartbeat, 5*time.Minute)
	def(&o.DialTimeout, 5*time.Second)
	def(&o.RequestTimeout, 30*time.Second)
	def(&o.CachingPeriod, 30*24*time.Hour)
	def(&o.HeartbeatGrace, 2*o.Heartbeat)
	def(&o.ReconnectMin, time.Second)
	def(&o.ReconnectMax, time.Minute)
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = zap.NewNop()
	}
	if o.MaxInFlight <= 0 {
		o.MaxInFlight = 4096
	}
	if o.MaxFrame <= 0 {
		o.MaxFrame = DefaultMaxFrame
	}
	return nil
}

// Client is what a product server embeds: one session with the license server, many
// requests in flight from many goroutines, heartbeats, and License caching mode when the
// server cannot be reached. It is safe for concurrent use.
type Client struct {
	opt      ClientOptions
	addrs    []string
	log      *zap.Logger
	maxFrame int
	sem      chan struct{} // MaxInFlight slots
	calls    sync.Pool
	conn     atomic.Pointer[clientConn] // nil while cut off from the server
	ctx      context.Context            // cancelled by Close
	cancel   context.CancelFunc
	wg       sync.WaitGroup // the reconnect loop

	hmu          sync.Mutex // guards everything below
	session      HelloOK
	inventory    map[string][]InventoryItem
	caching      bool
	cachingSince time.Time
	holds        map[uint64]holding // by the caller's handle
	byDevice     map[deviceKey][]uint64
	held         map[string]int // licenses held per feature
	nextLocal    uint64
	gen          uint64      // connection generation, for reconcile rounds
	reconciling  *clientConn // the connection being reconciled, not yet live
	reconnecting bool
	closed       bool
}

// Dial connects to the first license server in addrs that answers (any form ParseAddress
// takes), performs the start-up checkout (Hello), and keeps the session alive: it heartbeats,
// answers the server's heartbeats, and switches to License caching mode and reconnects when
// the server is lost. If no server answers, the error is an *Error with CodeCannotConnect.
func Dial(ctx context.Context, addrs []string, opt ClientOptions) (*Client, error) {
	if err := opt.setDefaults(); err != nil {
		return nil, err
	}
	if len(addrs) == 0 {
		return nil, errors.New("wire: Dial: no license server address; give at least one, for example 27000@licserver")
	}
	c := &Client{
		opt: opt, log: opt.Logger, maxFrame: opt.MaxFrame,
		sem:       make(chan struct{}, opt.MaxInFlight),
		holds:     make(map[uint64]holding),
		byDevice:  make(map[deviceKey][]uint64),
		held:      make(map[string]int),
		inventory: make(map[string][]InventoryItem),
	}
	for _, a := range addrs {
		hp, err := ParseAddress(a)
		if err != nil {
			return nil, err
		}
		c.addrs = append(c.addrs, hp)
	}
	c.calls.New = func() any { return newCall() }
	// Dial's ctx bounds the first connection only; c.ctx lives until Close.
	c.ctx, c.cancel = context.WithCancel(context.Background())
	if err := c.connect(ctx); err != nil {
		c.cancel()
		return nil, err
	}
	return c, nil
}

// Session is the server's answer to the start-up checkout (the latest one after a
// reconnect). Its Inventory must not be modified.
func (c *Client) Session() HelloOK {
	c.hmu.Lock()
	defer c.hmu.Unlock()
	return c.session
}

// Checkout checks out one license. A denial is an *Error with the server's Code. In License
// caching mode the client grants from its cached inventory (Grant.Cached).
func (c *Client) Checkout(ctx context.Context, req Checkout) (Grant, error) {
	for attempt := 0; ; attempt++ {
		if g, handled, err := c.cacheCheckout(&req); handled {
			return g, err
		}
		cn := c.conn.Load()
		if cn == nil || attempt == 3 {
			return Grant{}, c.unavailable()
		}
		cl := c.getCall(kindCheckout)
		cl.checkout = req
		cl.req, cl.reply = &cl.checkout, &cl.grant
		abandoned, err := c.do(ctx, cn, cl)
		if abandoned {
			return Grant{}, err
		}
		g := cl.grant
		c.putCall(cl)
		if err == nil {
			return g, nil
		}
		if !errors.Is(err, errConnLost) {
			return Grant{}, err
		}
		// The server was lost before it answered: caching mode has begun; ask the cache.
	}
}

// CheckoutBatch checks out many licenses in one frame (the manual's checkoutBatch): one
// result per request, in order; a denied item does not fail the others.
func (c *Client) CheckoutBatch(ctx context.Context, reqs []Checkout) ([]BatchItem, error) {
	if len(reqs) == 0 {
		return nil, nil
	}
	if len(reqs) > MaxBatch {
		return nil, Errorf(CodeBadRequest, "a batch of "+strconv.Itoa(len(reqs))+" checkouts exceeds the limit of "+strconv.Itoa(MaxBatch)+"; split it into smaller batches")
	}
	for attempt := 0; ; attempt++ {
		if items, handled := c.cacheCheckoutBatch(reqs); handled {
			return items, nil
		}
		cn := c.conn.Load()
		if cn == nil || attempt == 3 {
			return nil, c.unavailable()
		}
		cl := c.getCall(kindBatch)
		cl.batchReq.Items = reqs
		cl.req, cl.reply = &cl.batchReq, &cl.batch
		abandoned, err := c.do(ctx, cn, cl)
		if abandoned {
			return nil, err
		}
		var items []BatchItem
		if err == nil {
			items = append(items, cl.batch.Items...)
		}
		c.putCall(cl)
		if err == nil {
			return items, nil
		}
		if !errors.Is(err, errConnLost) {
			return nil, err
		}
	}
}

// Checkin returns the license with handle (a Grant's Handle, also one granted in caching
// mode). Unknown handles are an *Error with CodeUnknownHandle.
func (c *Client) Checkin(ctx context.Context, handle uint64) error {
	cn, server, held, err := c.releaseHandle(handle)
	if err != nil || cn == nil {
		return err
	}
	cl := c.getCall(kindPlain)
	cl.checkin = Checkin{Handle: server}
	cl.req, cl.reply = &cl.checkin, &cl.ack
	abandoned, err := c.do(ctx, cn, cl)
	if !abandoned {
		c.putCall(cl)
	}
	if err != nil && held && errors.Is(err, errConnLost) {
		return nil // the server learns of it at the reconcile, which will not list it
	}
	return err
}

// CheckinDevice returns every license this product holds for device of feature and reports
// how many were released.
func (c *Client) CheckinDevice(ctx context.Context, feature, device string) (int, error) {
	local, sendIt, cn, server := c.releaseDevice(feature, device)
	for _, h := range server {
		_ = cn.send(&Checkin{Handle: h}, nil)
	}
	if !sendIt {
		return local, nil
	}
	if cn == nil {
		return 0, c.unavailable()
	}
	cl := c.getCall(kindPlain)
	req := &CheckinDevice{Feature: feature, Device: device}
	cl.req, cl.reply = req, &cl.ack
	abandoned, err := c.do(ctx, cn, cl)
	n := int(cl.ack.Released)
	if !abandoned {
		c.putCall(cl)
	}
	if err != nil {
		if errors.Is(err, errConnLost) {
			return local, nil
		}
		return 0, err
	}
	return n, nil
}

// Query asks the server (Query.Kind "status" or "inventory") and returns the JSON answer.
// Queries need the server: in caching mode they fail with CodeCannotConnect.
func (c *Client) Query(ctx context.Context, q Query) ([]byte, error) {
	var res QueryResult
	if err := c.request(ctx, &q, &res); err != nil {
		return nil, err
	}
	return res.JSON, nil
}

// Status is the server's status (what lmstat prints) for feature, or every feature if "".
func (c *Client) Status(ctx context.Context, feature string) (*Status, error) {
	b, err := c.Query(ctx, Query{Kind: QueryStatus, Feature: feature, Detail: true})
	if err != nil {
		return nil, err
	}
	st := new(Status)
	if err := json.Unmarshal(b, st); err != nil {
		return nil, fmt.Errorf("wire: the server's status answer is not valid JSON: %w", err)
	}
	return st, nil
}

// Admin runs an administrative op with the server's admin token. args is sent as JSON
// ([]byte and json.RawMessage as they are, nil as nothing); the answer is decoded into out
// unless out is nil.
func (c *Client) Admin(ctx context.Context, token, op string, args, out any) error {
	req, err := adminRequest(token, op, args)
	if err != nil {
		return err
	}
	var res AdminResult
	if err := c.request(ctx, req, &res); err != nil {
		return err
	}
	return decodeAdminResult(op, res.JSON, out)
}

func adminRequest(token, op string, args any) (*Admin, error) {
	req := &Admin{Token: token, Op: op}
	switch a := args.(type) {
	case nil:
	case []byte:
		req.Args = a
	case json.RawMessage:
		req.Args = a
	default:
		b, err := json.Marshal(a)
		if err != nil {
			return nil, fmt.Errorf("wire: admin %s: arguments cannot be encoded as JSON: %w", op, err)
		}
		req.Args = b
	}
	return req, nil
}

func decodeAdminResult(op string, b []byte, out any) error {
	if out == nil || len(b) == 0 {
		return nil
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("wire: admin %s: the server's answer does not decode: %w", op, err)
	}
	return nil
}

// request is a plain round trip that needs the server.
func (c *Client) request(ctx context.Context, req, reply Message) error {
	cn := c.conn.Load()
	if cn == nil {
		return c.unavailable()
	}
	cl := c.getCall(kindPlain)
	cl.req, cl.reply = req, reply
	abandoned, err := c.do(ctx, cn, cl)
	if !abandoned {
		c.putCall(cl)
	}
	if errors.Is(err, errConnLost) {
		return &Error{Code: CodeCannotConnect, Detail: err.Error()}
	}
	return err
}

// Shutdown is the product stopping cleanly: it tells the server goodbye, so that everything
// this session holds (the start-up license included) is released at once, then closes.
// Use Close instead when the licenses should stay held for a reconnect (a restart that will
// reconcile). In caching mode there is no server to tell: Shutdown just closes.
func (c *Client) Shutdown(ctx context.Context) error {
	if cn := c.conn.Load(); cn != nil {
		var ack Ack
		err := c.roundTrip(ctx, cn, &Goodbye{}, &ack)
		if err == nil {
			c.hmu.Lock()
			clear(c.holds)
			clear(c.byDevice)
			c.hmu.Unlock()
		}
		if cerr := c.Close(); err == nil {
			err = cerr
		}
		return err
	}
	return c.Close()
}

// Close ends the session: it closes the connection and stops heartbeats and reconnection.
// Licenses still held stay with the server until this ClientID connects again (its first
// reconcile releases them). Close is safe to call twice.
func (c *Client) Close() error {
	c.hmu.Lock()
	if c.closed {
		c.hmu.Unlock()
		return nil
	}
	c.closed = true
	cn := c.conn.Swap(nil)
	c.hmu.Unlock()
	c.cancel()
	if cn != nil {
		cn.close(errors.New("the client was closed"))
	}
	c.wg.Wait()
	return nil
}

// unavailable is the error when neither the server nor caching mode can answer.
func (c *Client) unavailable() error {
	c.hmu.Lock()
	defer c.hmu.Unlock()
	return c.unavailableLocked()
}

func (c *Client) unavailableLocked() error {
	if c.closed {
		return Errorf(CodeCannotConnect, "the license client is closed")
	}
	return Errorf(CodeCannotConnect, fmt.Sprintf("not connected to the license server %v; "+
		"check that licd runs there and that the network lets the port through", c.addrs))
}

func (c *Client) now() time.Time { return c.opt.Now() }

// Alerts is the server's alerts, most severe first (Query{Kind: QueryAlerts}).
func (c *Client) Alerts(ctx context.Context) ([]Alert, error) {
	b, err := c.Query(ctx, Query{Kind: QueryAlerts})
	if err != nil {
		return nil, err
	}
	var out []Alert
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, fmt.Errorf("wire: the server's alerts answer is not valid JSON: %w", err)
	}
	return out, nil
}

// UserIdle tells the server that the user of handle (a Grant's Handle) has been idle for
// idleFor, or is active again (0), for the options file's TIMEOUT ("INACTIVE"). released
// reports that the server checked the license in because of it; the client then forgets the
// handle. In License caching mode, or for a license granted from the cache, there is no
// server to tell and nothing happens.
func (c *Client) UserIdle(ctx context.Context, handle uint64, idleFor time.Duration) (released bool, err error) {
	c.hmu.Lock()
	h, ok := c.holds[handle]
	caching := c.caching
	c.hmu.Unlock()
	if !ok {
		return false, Errorf(CodeUnknownHandle, fmt.Sprintf("handle %d is not held by this product server", handle))
	}
	if caching || h.server == 0 {
		return false, nil
	}
	cn := c.conn.Load()
	if cn == nil {
		return false, nil
	}
	var ack Ack
	if err := c.roundTrip(ctx, cn, &UserIdle{Handle: h.server, IdleSeconds: uint64(max(idleFor, 0) / time.Second)}, &ack); err != nil {
		if errors.Is(err, errConnLost) {
			return false, nil
		}
		return false, err
	}
	if ack.Released > 0 {
		c.hmu.Lock()
		c.removeHolding(handle)
		c.hmu.Unlock()
	}
	return ack.Released > 0, nil
}
