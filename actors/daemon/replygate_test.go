package daemon

import (
	"testing"
	"time"
)

// The gate serves waiters in arrival order, but a connection that already has an answer
// admitted waits for its next turn: a client that piles up requests it never reads cannot
// take every turn from the others (lmstat among them).
func TestReplyGateOneAnswerPerConnectionInOrder(t *testing.T) {
	g := newReplyGate(100, 1)
	hog, other := &connWriter{done: make(chan struct{})}, &connWriter{done: make(chan struct{})}
	enter := func(w *connWriter) chan bool {
		ch := make(chan bool, 1)
		go func() { ok, _ := g.enter(w, 5*time.Second, func() {}); ch <- ok }()
		return ch
	}
	first := enter(hog)
	if !<-first {
		t.Fatal("the first request was not admitted on an empty gate")
	}
	g.built(hog, 60) // hog's answer is built and waits to be written
	second := enter(hog)
	time.Sleep(50 * time.Millisecond) // let the hog's second request queue first
	third := enter(other)
	select {
	case ok := <-third:
		if !ok {
			t.Fatal("the other connection's request was refused")
		}
	case <-second:
		t.Fatal("the hog's second request was admitted while its first answer was unwritten")
	case <-time.After(3 * time.Second):
		t.Fatal("the other connection waited behind the hog's queued request")
	}
	g.built(other, 50)
	select {
	case <-second:
		t.Fatal("admitted while its first answer is unwritten and the budget is used up")
	case <-time.After(100 * time.Millisecond):
	}
	g.finished(hog, 60) // the hog's first answer is written
	if !<-second {
		t.Fatal("the hog's second request was not admitted once there was room")
	}
}

// A waiter gives up when the gate stays full past its timeout (busy), calling evict while it
// waits; a closed connection's waiter gives up at once.
func TestReplyGateBusyAndClosed(t *testing.T) {
	g := newReplyGate(10, 1)
	a := &connWriter{done: make(chan struct{})}
	if ok, _ := g.enter(a, time.Second, func() {}); !ok {
		t.Fatal("not admitted on an empty gate")
	}
	g.built(a, 20)
	evicted := 0
	b := &connWriter{done: make(chan struct{})}
	ok, busy := g.enter(b, 2*stallEvict/3, func() { evicted++ })
	if ok || !busy || evicted == 0 {
		t.Fatalf("ok=%v busy=%v evicted=%d, want refused as busy after trying to evict", ok, busy, evicted)
	}
	c := &connWriter{done: make(chan struct{})}
	close(c.done)
	if ok, busy := g.enter(c, time.Second, func() {}); ok || busy {
		t.Fatalf("a closed connection's request: ok=%v busy=%v, want dropped", ok, busy)
	}
	if len(g.queue) != 0 {
		t.Fatalf("%d waiters left in the queue", len(g.queue))
	}
}
