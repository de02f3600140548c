package daemon

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/licd/licd/wire"
)

// A follower whose product port requires TLS even from loopback (-product-strict-loopback)
// answers a plain product as the daemon would: a protocol error saying TLS is required, in
// plain text, not a Redirect.
func TestClusterFollowerRefusesPlainWhenTLSRequired(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	c := &Cluster{cfg: Config{Product: ProductSecurity{RequireTLS: true, StrictLoopback: true}}, productTLS: &tls.Config{},
		log: zap.NewNop()}
	c.wg.Add(1)
	go func() {
		nc, err := l.Accept()
		if err != nil {
			c.wg.Done()
			return
		}
		c.redirect(nc)
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	rc, err := wire.DialRaw(ctx, l.Addr().String(), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	_ = rc.SetDeadline(time.Now().Add(5 * time.Second))
	var res wire.QueryResult
	err = rc.Request(&wire.Query{Kind: "status"}, &res)
	var re *wire.RedirectError
	if err == nil || errors.As(err, &re) || !strings.Contains(err.Error(), "TLS") {
		t.Fatalf("a plain status query to a follower requiring TLS: %v, want a protocol error saying TLS is required", err)
	}
	_ = rc.Close()
	c.wg.Wait() // the follower lets go of the connection once the product closes it
}
