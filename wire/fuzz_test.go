package wire

import (
	"bytes"
	"errors"
	"io"
	"reflect"
	"testing"
	"testing/iotest"
)

type fuzzFrame struct {
	t    MsgType
	id   uint32
	body []byte
}

// readAll reads frames until an error; the payloads are copied because they live only until
// the next call.
func readAll(r io.Reader, maxFrame int) ([]fuzzFrame, error) {
	fr := NewFrameReader(r, maxFrame)
	var out []fuzzFrame
	for {
		f, err := fr.Next()
		if err != nil {
			return out, err
		}
		out = append(out, fuzzFrame{f.Type, f.ReqID, append([]byte(nil), f.Payload...)})
	}
}

// FuzzFrameReader feeds arbitrary bytes, whole and split at every byte (as nats' parser fuzz
// does): the reader must not panic, must find the same frames either way, and every payload
// that decodes must re-encode to a stable canonical form.
func FuzzFrameReader(f *testing.F) {
	var stream []byte
	for i, m := range sampleMessages() {
		stream = AppendFrame(stream, uint32(i), m)
		f.Add(AppendFrame(nil, uint32(i), m))
	}
	f.Add(stream)
	f.Add([]byte{0, 0, 0, 5, 7, 0, 0, 0, 1})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, data []byte) {
		whole, errWhole := readAll(bytes.NewReader(data), 4096)
		split, errSplit := readAll(iotest.OneByteReader(bytes.NewReader(data)), 4096)
		if !reflect.DeepEqual(whole, split) {
			t.Fatalf("split reads found other frames: %d vs %d", len(whole), len(split))
		}
		var we1, we2 *Error
		if errors.As(errWhole, &we1) != errors.As(errSplit, &we2) {
			t.Fatalf("split reads ended differently: %v vs %v", errWhole, errSplit)
		}
		for _, fr := range whole {
			m := NewMessage(fr.t)
			if m == nil {
				continue
			}
			if err := m.Decode(fr.body); err != nil {
				var we *Error
				if !errors.As(err, &we) || (we.Code != CodeProtocol && we.Code != CodeBadRequest && we.Code != CodeBadName) {
					t.Fatalf("%v decode error is not a CodeProtocol, CodeBadRequest or CodeBadName *Error: %v", fr.t, err)
				}
				continue
			}
			once := m.AppendTo(nil)
			again := NewMessage(fr.t)
			if err := again.Decode(once); err != nil {
				t.Fatalf("%v: re-encoded message does not decode: %v", fr.t, err)
			}
			if twice := again.AppendTo(nil); !bytes.Equal(once, twice) {
				t.Fatalf("%v: encoding not stable:\n%x\n%x", fr.t, once, twice)
			}
		}
	})
}
