package wire

import (
	"bytes"
	"testing"
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
