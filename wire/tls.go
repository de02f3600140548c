package wire

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"time"
)

// TLSRecordHandshake is the first byte of every TLS connection (a handshake record). The
// protocol's own greeting starts with 'L', so a server tells the two apart from one byte
// and serves both on one port (PROTOCOL.md "TLS").
const TLSRecordHandshake = 0x16

// wrapTLS runs the TLS handshake on nc when cfg is set; addr's host is the server name to
// verify unless cfg names one.
func wrapTLS(ctx context.Context, nc net.Conn, addr string, cfg *tls.Config, timeout time.Duration) (net.Conn, error) {
	if cfg == nil {
		return nc, nil
	}
	c := cfg.Clone()
	if c.ServerName == "" {
		if host, _, err := net.SplitHostPort(addr); err == nil {
			c.ServerName = host
		}
	}
	tc := tls.Client(nc, c)
	hctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if err := tc.HandshakeContext(hctx); err != nil {
		_ = nc.Close()
		return nil, fmt.Errorf("TLS handshake with %s: %w (does the server have TLS on, and do you trust its certificate?)", addr, err)
	}
	return tc, nil
}
