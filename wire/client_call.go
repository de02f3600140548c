package wire

import (
	"context"
	"errors"
	"strconv"
	"time"
)

// callKind says what the reader does with a reply besides handing it to the caller.
type callKind uint8

const (
	kindPlain    callKind = iota
	kindCheckout          // record the grant as held (or return it if the caller gave up)
	kindBatch             // the same per granted item
)

// call is one request in flight. Calls are pooled: the reply slots, the channel and the
// timer are reused, so a checkout allocates next to nothing.
type call struct {
	id        uint32
	kind      callKind
	abandoned bool // the caller gave up; guarded by the connection's mu
	req       Message
	reply     Message // where the reader decodes the expected reply
	denial    Denial
	err       error
	ch        chan struct{}
	timer     *time.Timer

	// Reusable request and reply slots for the frequent requests.
	checkout Checkout
	batchReq CheckoutBatch
	checkin  Checkin
	grant    Grant
	batch    BatchResult
	ack      Ack
}

func newCall() *call {
	t := time.NewTimer(time.Hour)
	t.Stop()
	return &call{ch: make(chan struct{}, 1), timer: t}
}

func (c *Client) getCall(kind callKind) *call {
	cl := c.calls.Get().(*call)
	cl.kind = kind
	return cl
}

func (c *Client) putCall(cl *call) {
	cl.req, cl.reply, cl.err = nil, nil, nil
	cl.batchReq.Items = nil // the caller's slice
	if cap(cl.batch.Items) > 1024 {
		cl.batch.Items = nil
	}
	c.calls.Put(cl)
}

// do sends cl's request on cn and waits for its reply. abandoned reports that the caller
// gave up (its context ended) and cl now belongs to the reader. A request unanswered for
// RequestTimeout ends the connection: "If a Citrix product server loses its connection to the
// License Server, or the License Server does not respond in a timely manner, the product
// enters a License caching mode" ("Citrix licensing technical overview").
func (c *Client) do(ctx context.Context, cn *clientConn, cl *call) (abandoned bool, err error) {
	select {
	case c.sem <- struct{}{}:
	case <-ctx.Done():
		return false, ctx.Err()
	}
	defer func() { <-c.sem }()
	if err := cn.send(cl.req, cl); err != nil {
		return false, err
	}
	cl.timer.Reset(c.opt.RequestTimeout)
	select {
	case <-cl.ch:
	case <-ctx.Done():
		cl.timer.Stop() // before abandoning: an abandoned call may be reused at once
		if cn.abandon(cl) {
			return true, ctx.Err()
		}
		<-cl.ch // the reply is being delivered right now
	case <-cl.timer.C:
		cn.fail(errors.New("no reply to a " + cl.req.Type().String() + " request within " + c.opt.RequestTimeout.String()))
		<-cl.ch // failed (connection lost) or answered in the meantime
	}
	cl.timer.Stop()
	if cl.err != nil {
		return false, cl.err
	}
	return false, cl.denial.Err()
}

// delivered runs on the reader goroutine for every reply matched to a call, before the
// caller sees it, so that a grant is recorded as held before the connection can be lost and
// a reconcile can list the holdings.
func (c *Client) delivered(cn *clientConn, cl *call, abandoned bool) {
	if cl.denial.Code == OK {
		switch cl.kind {
		case kindCheckout:
			if abandoned {
				_ = cn.send(&Checkin{Handle: cl.grant.Handle}, nil) // nobody will use it
			} else {
				cl.grant.Handle = c.recordGrant(&cl.checkout, &cl.grant)
			}
		case kindBatch:
			giveBack := abandoned
			if n, want := len(cl.batch.Items), len(cl.batchReq.Items); n != want && !abandoned {
				cl.err = Errorf(CodeProtocol, "the server answered a batch of "+strconv.Itoa(want)+
					" checkouts with "+strconv.Itoa(n)+" results")
				giveBack = true // the caller cannot tell which grant is which: return them all
			}
			for i := range cl.batch.Items {
				it := &cl.batch.Items[i]
				if it.Denied.Code != OK {
					continue
				}
				if giveBack {
					_ = cn.send(&Checkin{Handle: it.Grant.Handle}, nil)
				} else {
					it.Grant.Handle = c.recordGrant(&cl.batchReq.Items[i], &it.Grant)
				}
			}
		}
	}
	if abandoned {
		c.putCall(cl)
		return
	}
	cl.ch <- struct{}{}
}
