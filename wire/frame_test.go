package wire

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

func TestFrameReaderReassemblesFramesSplitAtEveryByte(t *testing.T) {
	var stream []byte
	for i, m := range sampleMessages() {
		stream = AppendFrame(stream, uint32(100+i), m)
	}
	fr := NewFrameReader(iotest.OneByteReader(bytes.NewReader(stream)), 0)
	n := 0
	for {
		f, err := fr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("frame %d: %v", n, err)
		}
		if f.ReqID != uint32(100+n) {
			t.Fatalf("frame %d has request id %d", n, f.ReqID)
		}
		n++
	}
	if n != len(sampleMessages()) {
		t.Fatalf("read %d frames, want %d", n, len(sampleMessages()))
	}
}

func TestFrameReaderHandlesFramesLargerThanItsBuffer(t *testing.T) {
	big := &QueryResult{JSON: bytes.Repeat([]byte("j"), 3*frameReaderBuffer)}
	stream := AppendFrame(nil, 1, &Ack{Released: 1})
	stream = AppendFrame(stream, 2, big)
	stream = AppendFrame(stream, 3, &Ack{Released: 2})
	fr := NewFrameReader(bytes.NewReader(stream), 0)
	for want := uint32(1); want <= 3; want++ {
		f, err := fr.Next()
		if err != nil || f.ReqID != want {
			t.Fatalf("frame %d: %+v %v", want, f.ReqID, err)
		}
		if want == 2 {
			var q QueryResult
			if err := f.Decode(&q); err != nil || !bytes.Equal(q.JSON, big.JSON) {
				t.Fatalf("big frame decoded badly: %v", err)
			}
		}
	}
}

func TestOversizedFrameIsAProtocolErrorThatSaysWhatToDo(t *testing.T) {
	stream := AppendFrame(nil, 1, &QueryResult{JSON: make([]byte, 2000)})
	fr := NewFrameReader(bytes.NewReader(stream), 1024)
	_, err := fr.Next()
	var we *Error
	if !errors.As(err, &we) || we.Code != CodeProtocol || !strings.Contains(we.Detail, "exceeds the limit of 1024") {
		t.Fatalf("oversized frame: %v", err)
	}
	// The reader stays failed: the connection must be closed.
	if _, err2 := fr.Next(); !errors.As(err2, &we) {
		t.Fatalf("after an oversized frame: %v", err2)
	}
}

func TestFrameShorterThanItsHeaderIsAProtocolError(t *testing.T) {
	var b [9]byte
	binary.BigEndian.PutUint32(b[:], 3)
	_, err := NewFrameReader(bytes.NewReader(b[:]), 0).Next()
	var we *Error
	if !errors.As(err, &we) || we.Code != CodeProtocol {
		t.Fatalf("3-byte body: %v", err)
	}
}

func TestPeerClosingMidFrameIsUnexpectedEOF(t *testing.T) {
	stream := AppendFrame(nil, 1, &Checkout{Feature: "MPS_ENT_CCU"})
	_, err := NewFrameReader(bytes.NewReader(stream[:len(stream)-2]), 0).Next()
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("cut frame: %v, want unexpected EOF", err)
	}
}

func TestBufferedCountsUnreadBytes(t *testing.T) {
	stream := AppendFrame(nil, 1, &Ack{})
	stream = AppendFrame(stream, 2, &Ack{})
	fr := NewFrameReader(bytes.NewReader(stream), 0)
	if _, err := fr.Next(); err != nil {
		t.Fatal(err)
	}
	if fr.Buffered() == 0 {
		t.Fatal("a second frame was read but Buffered is 0")
	}
	if _, err := fr.Next(); err != nil {
		t.Fatal(err)
	}
	if fr.Buffered() != 0 {
		t.Fatalf("Buffered = %d after the last frame", fr.Buffered())
	}
}

func TestFrameDecodeRefusesAnotherType(t *testing.T) {
	f := Frame{Type: TypeDenial, Payload: (&Denial{}).AppendTo(nil)}
	if err := f.Decode(&Grant{}); err == nil {
		t.Fatal("a denial frame decoded as a grant")
	}
}

func TestMsgTypeNames(t *testing.T) {
	if TypeCheckoutBatch.String() != "checkout-batch" || MsgType(200).String() != "type-200" {
		t.Fatalf("names: %v %v", TypeCheckoutBatch, MsgType(200))
	}
}
