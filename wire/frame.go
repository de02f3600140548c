package wire

import (
	"encoding/binary"
	"errors"
	"io"
	"strconv"
)

// ProtocolVersion is the newest protocol version this package speaks. The history is
// append-only and documented in PROTOCOL.md "Version history"; a server accepts every
// version in [1, ProtocolVersion].
const ProtocolVersion uint16 = 1

// DefaultMaxFrame is the largest frame body (type, request id and payload) a peer accepts
// unless configured otherwise. A larger frame is a protocol error and closes the connection.
const DefaultMaxFrame = 1 << 20

// MaxReplyFrame is the largest frame a client accepts from the server. Requests stay within
// DefaultMaxFrame, but answers grow with the server: a status of 10,000 product sessions
// is about 2 MB. The server is trusted this far; a larger answer is still refused.
const MaxReplyFrame = 256 << 20

// FrameHeaderSize is the size of the frame header: body length (4), type (1), request id (4).
const FrameHeaderSize = 9

// frameBodyMin is the smallest legal body: the type and the request id.
const frameBodyMin = 5

// MsgType numbers a message kind on the wire. Append-only: never renumber or reuse one.
type MsgType uint8

// The message types. PROTOCOL.md "Messages" documents each one's fields.
const (
	TypeHello           MsgType = 1
	TypeHelloOK         MsgType = 2
	TypeHeartbeat       MsgType = 3
	TypeHeartbeatAck    MsgType = 4
	TypeCheckout        MsgType = 5
	TypeGrant           MsgType = 6
	TypeDenial          MsgType = 7
	TypeCheckoutBatch   MsgType = 8
	TypeBatchResult     MsgType = 9
	TypeCheckin         MsgType = 10
	TypeCheckinDevice   MsgType = 11
	TypeAck             MsgType = 12
	TypeReconcile       MsgType = 13
	TypeReconcileResult MsgType = 14
	TypeQuery           MsgType = 15
	TypeQueryResult     MsgType = 16
	TypeAdmin           MsgType = 17
	TypeAdminResult     MsgType = 18
	TypeLocate          MsgType = 19
	TypeLocateResult    MsgType = 20
	TypeProtocolError   MsgType = 21
	TypeGoodbye         MsgType = 22 // protocol version 1, added before the first release
	TypeUserIdle        MsgType = 23 // protocol version 1, added before the first release
	TypeRedirect        MsgType = 24 // protocol version 1, appended: a cluster follower names the leader
)

var typeNames = [...]string{
	TypeHello: "hello", TypeHelloOK: "hello-ok", TypeHeartbeat: "heartbeat",
	TypeHeartbeatAck: "heartbeat-ack", TypeCheckout: "checkout", TypeGrant: "grant",
	TypeDenial: "denial", TypeCheckoutBatch: "checkout-batch", TypeBatchResult: "batch-result",
	TypeCheckin: "checkin", TypeCheckinDevice: "checkin-device", TypeAck: "ack",
	TypeReconcile: "reconcile", TypeReconcileResult: "reconcile-result", TypeQuery: "query",
	TypeQueryResult: "query-result", TypeAdmin: "admin", TypeAdminResult: "admin-result",
	TypeLocate: "locate", TypeLocateResult: "locate-result", TypeProtocolError: "protocol-error",
	TypeGoodbye: "goodbye", TypeUserIdle: "user-idle", TypeRedirect: "redirect",
}

func (t MsgType) String() string {
	if int(t) < len(typeNames) && typeNames[t] != "" {
		return typeNames[t]
	}
	return "type-" + strconv.Itoa(int(t))
}

// Message is one protocol message. Decode resets every field, so one struct can be reused
// for every frame of its type; slices and byte strings reuse their capacity.
type Message interface {
	Type() MsgType
	AppendTo(b []byte) []byte
	Decode(p []byte) error
}

// NewMessage returns a new zero message of type t, or nil if t is unknown to this version.
func NewMessage(t MsgType) Message {
	switch t {
	case TypeHello:
		return new(Hello)
	case TypeHelloOK:
		return new(HelloOK)
	case TypeHeartbeat:
		return new(Heartbeat)
	case TypeHeartbeatAck:
		return new(HeartbeatAck)
	case TypeCheckout:
		return new(Checkout)
	case TypeGrant:
		return new(Grant)
	case TypeDenial:
		return new(Denial)
	case TypeCheckoutBatch:
		return new(CheckoutBatch)
	case TypeBatchResult:
		return new(BatchResult)
	case TypeCheckin:
		return new(Checkin)
	case TypeCheckinDevice:
		return new(CheckinDevice)
	case TypeAck:
		return new(Ack)
	case TypeReconcile:
		return new(Reconcile)
	case TypeReconcileResult:
		return new(ReconcileResult)
	case TypeQuery:
		return new(Query)
	case TypeQueryResult:
		return new(QueryResult)
	case TypeAdmin:
		return new(Admin)
	case TypeAdminResult:
		return new(AdminResult)
	case TypeLocate:
		return new(Locate)
	case TypeLocateResult:
		return new(LocateResult)
	case TypeProtocolError:
		return new(ProtocolError)
	case TypeGoodbye:
		return new(Goodbye)
	case TypeUserIdle:
		return new(UserIdle)
	case TypeRedirect:
		return new(Redirect)
	}
	return nil
}

// Frame is one frame as read: its type, request id and undecoded payload.
type Frame struct {
	Type    MsgType
	ReqID   uint32
	Payload []byte
}

// Decode decodes the frame's payload into m, checking that m is of the frame's type.
func (f Frame) Decode(m Message) error {
	if m.Type() != f.Type {
		return Errorf(CodeProtocol, "expected a "+m.Type().String()+" frame, got "+f.Type.String())
	}
	return m.Decode(f.Payload)
}

// AppendFrame appends the frame carrying m with request id reqID to dst. The caller checks
// the size against the peer's limit when m may be large (batches, reconcile, JSON).
func AppendFrame(dst []byte, reqID uint32, m Message) []byte {
	start := len(dst)
	dst = append(dst, 0, 0, 0, 0, byte(m.Type()), 0, 0, 0, 0)
	binary.BigEndian.PutUint32(dst[start+5:], reqID)
	dst = m.AppendTo(dst)
	binary.BigEndian.PutUint32(dst[start:], uint32(len(dst)-start-4))
	return dst
}

// FrameReader splits a byte stream into frames. It buffers reads itself so that a frame's
// payload is a slice of its buffer: no copy, no allocation per frame.
type FrameReader struct {
	r        io.Reader
	maxFrame int
	buf      []byte
	start    int // first unread byte
	end      int // end of buffered bytes
	frames   uint64
	err      error
}

// A FrameReader's buffer starts small, because a server holds one per product connection
// and most connections are quiet (10,000 idle connections would otherwise hold 320 MiB),
// and grows to frameReaderBuffer the first time a read fills it: a busy, pipelining
// connection then gets many small frames per read system call. A larger frame grows the
// buffer only as its bytes arrive, never to what the length prefix declares: a peer that
// announces a megabyte and sends ten bytes costs ten bytes, not a megabyte. Once such a
// frame is consumed the buffer drops back to frameReaderBuffer.
const (
	frameReaderInitial = 2 << 10
	frameReaderBuffer  = 32 << 10
)

// NewFrameReader reads frames from r; a frame body larger than maxFrame (DefaultMaxFrame
// when maxFrame <= 0) is a protocol error.
func NewFrameReader(r io.Reader, maxFrame int) *FrameReader {
	if maxFrame <= 0 {
		maxFrame = DefaultMaxFrame
	}
	return &FrameReader{r: r, maxFrame: maxFrame, buf: make([]byte, frameReaderInitial)}
}

// SetMaxFrame changes the largest frame body accepted from the next frame on (a server
// allows small frames until the peer's hello, larger ones after).
func (fr *FrameReader) SetMaxFrame(n int) {
	if n <= 0 {
		n = DefaultMaxFrame
	}
	fr.maxFrame = n
}

// MaxFrame is the largest frame body currently accepted.
func (fr *FrameReader) MaxFrame() int { return fr.maxFrame }

// Buffered is the number of bytes read from the connection but not yet returned as frames.
// A server that flushes its replies when Buffered is zero batches replies to pipelined
// requests into few writes. Called from the underlying reader's Read, a non-zero Buffered
// means the reader waits for the rest of a frame it has started.
func (fr *FrameReader) Buffered() int { return fr.end - fr.start }

// Frames is the number of frames returned so far: with Buffered, it tells an underlying
// reader which frame it is waiting for.
func (fr *FrameReader) Frames() uint64 { return fr.frames }

// Next returns the next frame. The payload is valid until the next call. An oversized or
// malformed frame is an *Error with CodeProtocol; io.EOF means the peer closed cleanly
// between frames, io.ErrUnexpectedEOF that it closed in the middle of one.
func (fr *FrameReader) Next() (Frame, error) {
	if fr.start == fr.end && len(fr.buf) > frameReaderBuffer {
		// The large frame that grew the buffer is done: do not keep its memory.
		fr.buf, fr.start, fr.end = make([]byte, frameReaderBuffer), 0, 0
	}
	if err := fr.fill(FrameHeaderSize); err != nil {
		return Frame{}, err
	}
	h := fr.buf[fr.start:]
	n := int(binary.BigEndian.Uint32(h))
	if n < frameBodyMin {
		fr.err = Errorf(CodeProtocol, "frame body length "+strconv.Itoa(n)+" is shorter than the 5-byte type and request id")
		return Frame{}, fr.err
	}
	if n > fr.maxFrame {
		fr.err = Errorf(CodeProtocol, "frame body of "+strconv.Itoa(n)+" bytes exceeds the limit of "+strconv.Itoa(fr.maxFrame)+"; split the request (smaller batches)")
		return Frame{}, fr.err
	}
	if err := fr.fill(4 + n); err != nil {
		return Frame{}, err
	}
	h = fr.buf[fr.start:]
	f := Frame{
		Type:    MsgType(h[4]),
		ReqID:   binary.BigEndian.Uint32(h[5:]),
		Payload: h[FrameHeaderSize : 4+n : 4+n],
	}
	fr.start += 4 + n
	fr.frames++
	return f, nil
}

// fill makes at least n bytes available from fr.start. The buffer grows, up to n, only when
// it is full of the frame's bytes: by doubling, so a frame costs about what it sent.
func (fr *FrameReader) fill(n int) error {
	empty := 0
	for fr.end-fr.start < n {
		if fr.err != nil {
			if errors.Is(fr.err, io.EOF) && fr.end > fr.start {
				return io.ErrUnexpectedEOF // the peer closed in the middle of a frame
			}
			return fr.err
		}
		if fr.start+n > len(fr.buf) && fr.start > 0 {
			fr.end = copy(fr.buf, fr.buf[fr.start:fr.end]) // make room at the end
			fr.start = 0
		}
		if fr.end == len(fr.buf) { // full, and the frame is larger than the buffer
			nb := make([]byte, min(n, max(2*len(fr.buf), frameReaderBuffer)))
			fr.end = copy(nb, fr.buf[fr.start:fr.end])
			fr.start = 0
			fr.buf = nb
		}
		k, err := fr.r.Read(fr.buf[fr.end:])
		filled := k > 0 && fr.end+k == len(fr.buf)
		fr.end += k
		if filled && len(fr.buf) < frameReaderBuffer {
			nb := make([]byte, min(2*len(fr.buf), frameReaderBuffer))
			fr.end = copy(nb, fr.buf[fr.start:fr.end])
			fr.start = 0
			fr.buf = nb
		}
		if err != nil {
			fr.err = err
		} else if k == 0 {
			if empty++; empty > 100 {
				fr.err = io.ErrNoProgress
			}
		}
	}
	return nil
}
