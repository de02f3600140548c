package wire

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"testing"
	"testing/iotest"
)

// A quiet connection keeps a small read buffer; a busy one grows it for many frames per read.
func TestFrameReaderBufferGrowsOnlyWhenBusy(t *testing.T) {
	one := AppendFrame(nil, 1, &Heartbeat{UnixNano: 42})
	quiet := NewFrameReader(bytes.NewReader(one), 0)
	if _, err := quiet.Next(); err != nil {
		t.Fatal(err)
	}
	if len(quiet.buf) != frameReaderInitial {
		t.Fatalf("a single small frame grew the buffer to %d bytes", len(quiet.buf))
	}

	var stream []byte
	for i := range 5000 {
		stream = AppendFrame(stream, uint32(i+1), &Checkout{Feature: "XDT_PLT_CCS", User: "user", Device: "device"})
	}
	busy := NewFrameReader(bytes.NewReader(stream), 0)
	for i := range 5000 {
		f, err := busy.Next()
		if err != nil || f.ReqID != uint32(i+1) {
			t.Fatalf("frame %d: %+v %v", i, f, err)
		}
	}
	if len(busy.buf) != frameReaderBuffer {
		t.Fatalf("a busy stream left the buffer at %d bytes, want %d", len(busy.buf), frameReaderBuffer)
	}
}

// A length prefix is a claim, not a fact: the buffer grows with the bytes that arrive, not
// to the size a peer declares (a slowloris connection announcing a megabyte and sending a
// hundred bytes must cost a hundred bytes), and drops back after a large frame.
func TestFrameReaderBufferFollowsArrivedBytes(t *testing.T) {
	declared := binary.BigEndian.AppendUint32(nil, 1<<20)
	declared = append(declared, byte(TypeCheckoutBatch), 0, 0, 0, 1)
	declared = append(declared, make([]byte, 100)...)
	fr := NewFrameReader(bytes.NewReader(declared), 0)
	if _, err := fr.Next(); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("a cut frame gave %v, want io.ErrUnexpectedEOF", err)
	}
	if len(fr.buf) > frameReaderBuffer {
		t.Fatalf("110 bytes of a frame declaring 1 MiB grew the buffer to %d bytes", len(fr.buf))
	}

	big := AppendFrame(nil, 1, &QueryResult{JSON: make([]byte, 300<<10)})
	small := AppendFrame(nil, 2, &Heartbeat{UnixNano: 1})
	fr = NewFrameReader(iotest.HalfReader(bytes.NewReader(append(big, small...))), 0)
	if f, err := fr.Next(); err != nil || len(f.Payload) < 300<<10 {
		t.Fatalf("large frame: %v", err)
	}
	if f, err := fr.Next(); err != nil || f.ReqID != 2 {
		t.Fatalf("frame after the large one: %+v %v", f, err)
	}
	if len(fr.buf) > frameReaderBuffer {
		t.Fatalf("the buffer kept %d bytes after the large frame was consumed", len(fr.buf))
	}
}
