package actors

import "github.com/licd/licd/wire"

// Sink receives the replies for one product connection. The connection's writer implements
// it: Reply appends the frame to the connection's outgoing buffer and wakes its writer
// goroutine, so an actor (or the storage committer) never waits for a socket.
type Sink interface {
	Reply(reqID uint32, m wire.Message)
}

// replyDenial sends a denial for one request.
func sendDenial(s Sink, reqID uint32, e *wire.Error) {
	if s == nil {
		return
	}
	s.Reply(reqID, &wire.Denial{Code: e.Code, Detail: e.Detail})
}

// SinkFunc adapts a function to a Sink (used for requests that come from inside licd, such
// as lmdiag's test checkout or a reconcile).
type SinkFunc func(reqID uint32, m wire.Message)

// Reply implements Sink.
func (f SinkFunc) Reply(reqID uint32, m wire.Message) { f(reqID, m) }
