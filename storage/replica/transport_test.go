package replica

import (
	"bufio"
	"bytes"
	"net"
	"testing"
	"time"

	pb "go.etcd.io/raft/v3/raftpb"
	"go.uber.org/zap/zaptest"
	"google.golang.org/protobuf/proto"
)

// After the handshake every frame must carry its MAC in sequence: a frame altered on the
// way, or replayed, ends the connection before raft sees it, and a message under another
// node's id is refused.
func TestTransportRefusesAlteredReplayedAndSpoofedFrames(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addrs := map[uint64]string{1: ln.Addr().String(), 2: "127.0.0.1:1", 3: "127.0.0.1:1"}
	got := make(chan *pb.Message, 16)
	srv := newTransport(1, testSecret, ln, addrs, zaptest.NewLogger(t))
	srv.step = func(m *pb.Message) { got <- m }
	srv.report = func(uint64, bool, bool) {}
	srv.wg.Add(1)
	go srv.accept()
	t.Cleanup(srv.close)

	cli := newTransport(2, testSecret, nil, map[uint64]string{1: addrs[1]}, zaptest.NewLogger(t))
	msg := func(from uint64, commit uint64) *pb.Message {
		return &pb.Message{Type: pb.MsgHeartbeat.Enum(), From: proto.Uint64(from), To: proto.Uint64(1), Commit: proto.Uint64(commit)}
	}
	// send writes frames on a fresh connection, frame i under sequence number seq(i); alter
	// changes the encoded bytes of one.
	inOrder := func(i int) uint64 { return uint64(i) }
	send := func(frames []*pb.Message, seq func(int) uint64, alter func(i int, b []byte)) {
		t.Helper()
		c, key, err := cli.dial(cli.peers[1])
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		for i, m := range frames {
			var raw bytes.Buffer
			w := bufio.NewWriter(&raw)
			var scratch bytes.Buffer
			if err := writeFrame(w, &scratch, key, seq(i), m); err != nil {
				t.Fatal(err)
			}
			_ = w.Flush()
			b := raw.Bytes()
			if alter != nil {
				alter(i, b)
			}
			if _, err := c.Write(b); err != nil {
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	expect := func(commits ...uint64) {
		t.Helper()
		for _, want := range commits {
			select {
			case m := <-got:
				if m.GetCommit() != want {
					t.Fatalf("raft got commit %d, want %d", m.GetCommit(), want)
				}
			case <-time.After(2 * time.Second):
				t.Fatalf("raft did not get commit %d", want)
			}
		}
		select {
		case m := <-got:
			t.Fatalf("raft got a message it should not have: commit %d", m.GetCommit())
		case <-time.After(100 * time.Millisecond):
		}
	}

	send([]*pb.Message{msg(2, 1), msg(2, 2)}, inOrder, nil)
	expect(1, 2)
	send([]*pb.Message{msg(2, 3), msg(2, 4), msg(2, 5)}, inOrder, func(i int, b []byte) {
		if i == 1 {
			b[len(b)-40] ^= 1 // a payload byte
		}
	})
	expect(3)
	m0 := msg(2, 6)
	replay := func(i int) uint64 { return []uint64{0, 0, 1}[i] } // frame 0 sent again as is
	send([]*pb.Message{m0, m0, msg(2, 7)}, replay, nil)
	expect(6)
	send([]*pb.Message{msg(3, 8)}, inOrder, nil) // node 2's connection speaking as node 3
	expect()
}
