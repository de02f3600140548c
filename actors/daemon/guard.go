package daemon

import (
	"bufio"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/licd/licd/wire"
)

// ProductSecurity says who may use the product port and how much of it one address may
// take. The zero value is FLEXlm-like: anyone who reaches the port may say hello, with the
// default limits; README "Security" gives the recommended setup.
type ProductSecurity struct {
	// SecretsFile lists product credentials, one "CLIENT-ID SECRET" a line ("*" as the
	// client id matches every product; '#' starts a comment). When set, a hello must carry
	// its product's secret (wire.Hello.Credential) unless a verified client certificate
	// already authenticated the connection.
	SecretsFile string
	// TLSCert and TLSKey (PEM files) switch TLS on for the product port: a client that
	// starts with a TLS handshake gets TLS, on the same port (PROTOCOL.md "TLS").
	TLSCert, TLSKey string
	// ClientCA (a PEM file), with TLS on, asks for client certificates signed by it
	// (mutual TLS); a verified certificate authenticates the product.
	ClientCA string
	// RequireTLS refuses plain connections from other hosts; loopback stays plain for the
	// local utilities.
	RequireTLS bool
	// HelloRate and HelloBurst bound hellos per second from one address (default 20/s,
	// bursts of 200): a flood of hellos cannot drain the start-up pool.
	HelloRate  float64
	HelloBurst int
	// MaxSessionsPerAddr bounds the sessions (connected or lingering) of one address
	// (default 1,000; -1 for no bound).
	MaxSessionsPerAddr int
	// IdleLinger is the linger of a lost session that never checked out more than its
	// start-up license (default 1 minute, never more than Linger).
	IdleLinger time.Duration
	// StrictLoopback treats loopback clients like other hosts' (the hello and session
	// limits, RequireTLS); off by default, as the local utilities and licbench's fleets
	// connect from there.
	StrictLoopback bool
}

func (p *ProductSecurity) helloRate() (rate.Limit, int) {
	r, b := p.HelloRate, p.HelloBurst
	if r <= 0 {
		r = 20
	}
	if b <= 0 {
		b = 200
	}
	return rate.Limit(r), b
}

func (p *ProductSecurity) maxSessionsPerAddr() int {
	switch {
	case p.MaxSessionsPerAddr < 0:
		return 0
	case p.MaxSessionsPerAddr == 0:
		return 1000
	}
	return p.MaxSessionsPerAddr
}

// helloLimiter keeps one token bucket per address. Hellos are rare next to checkouts, so a
// mutex here is off the hot path; idle buckets are dropped so the map stays bounded.
type helloLimiter struct {
	mu      sync.Mutex
	every   rate.Limit
	burst   int
	buckets map[string]*rate.Limiter
	swept   time.Time
}

const maxHelloBuckets = 100_000

func (l *helloLimiter) allow(addr string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.buckets == nil {
		l.buckets = map[string]*rate.Limiter{}
	}
	if len(l.buckets) >= maxHelloBuckets || now.Sub(l.swept) > time.Minute {
		// A full bucket is the same as no bucket: forget those.
		for a, b := range l.buckets {
			if b.TokensAt(now) >= float64(l.burst) {
				delete(l.buckets, a)
			}
		}
		l.swept = now
		if len(l.buckets) >= maxHelloBuckets {
			return false // more hot addresses than we keep: refuse until some cool down
		}
	}
	b := l.buckets[addr]
	if b == nil {
		b = rate.NewLimiter(l.every, l.burst)
		l.buckets[addr] = b
	}
	return b.AllowN(now, 1)
}

// credentials are the product secrets of ProductSecurity.SecretsFile, kept as hashes.
type credentials struct {
	byClient map[string][32]byte
	any      *[32]byte
}

// maxSecretsFile bounds what is read of the secrets file.
const maxSecretsFile = 1 << 20

func loadCredentials(path string) (*credentials, error) {
	if path == "" {
		return nil, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("product secrets file: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("product secrets file: %w", err)
	}
	if !st.Mode().IsRegular() || st.Size() > maxSecretsFile {
		return nil, fmt.Errorf("product secrets file %s: not a regular file of at most %d bytes", path, maxSecretsFile)
	}
	if st.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("product secrets file %s: mode %v lets other users read it; chmod 600 it", path, st.Mode().Perm())
	}
	c := &credentials{byClient: map[string][32]byte{}}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		id, secret, ok := strings.Cut(line, " ")
		secret = strings.TrimSpace(secret)
		if !ok || secret == "" {
			return nil, fmt.Errorf("product secrets file %s line %d: want \"CLIENT-ID SECRET\"", path, n)
		}
		sum := sha256.Sum256([]byte(secret))
		if id == "*" {
			c.any = &sum
		} else {
			c.byClient[id] = sum
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("product secrets file %s: %w", path, err)
	}
	if len(c.byClient) == 0 && c.any == nil {
		return nil, fmt.Errorf("product secrets file %s lists no secret; add \"CLIENT-ID SECRET\" lines or drop the option", path)
	}
	return c, nil
}

// check compares in constant time; a product with no secret of its own needs the "*" one.
func (c *credentials) check(clientID string, credential []byte) bool {
	want, ok := c.byClient[clientID]
	if !ok {
		if c.any == nil {
			return false
		}
		want = *c.any
	}
	got := sha256.Sum256(credential)
	return subtle.ConstantTimeCompare(got[:], want[:]) == 1
}

// productTLS builds the product port's TLS configuration, or nil when TLS is off.
func productTLS(p ProductSecurity) (*tls.Config, error) {
	if p.TLSCert == "" && p.TLSKey == "" {
		if p.RequireTLS || p.ClientCA != "" {
			return nil, fmt.Errorf("product TLS: -product-tls-cert and -product-tls-key are needed for -product-require-tls and -product-client-ca")
		}
		return nil, nil
	}
	cert, err := tls.LoadX509KeyPair(p.TLSCert, p.TLSKey)
	if err != nil {
		return nil, fmt.Errorf("product TLS certificate: %w", err)
	}
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	if p.ClientCA != "" {
		pem, err := os.ReadFile(p.ClientCA)
		if err != nil {
			return nil, fmt.Errorf("product client CA: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("product client CA %s holds no PEM certificate", p.ClientCA)
		}
		// A client certificate is asked for, and verified when given; a product without
		// one may still authenticate with its secret.
		cfg.ClientCAs, cfg.ClientAuth = pool, tls.VerifyClientCertIfGiven
	}
	return cfg, nil
}

// prefixConn gives back the bytes read to tell TLS from plain before the rest.
type prefixConn struct {
	net.Conn
	prefix []byte
}

func (p *prefixConn) Read(b []byte) (int, error) {
	if len(p.prefix) > 0 {
		n := copy(b, p.prefix)
		p.prefix = p.prefix[n:]
		return n, nil
	}
	return p.Conn.Read(b)
}

// remoteIP is the address a connection comes from, without its port.
func remoteIP(a net.Addr) string {
	if ta, ok := a.(*net.TCPAddr); ok {
		return ta.IP.String()
	}
	host, _, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	return host
}

// handshakeTimeout bounds each step of a product connection's opening: the first byte, the
// TLS handshake, the protocol handshake. A stranger holds a goroutine and a descriptor no
// longer than this.
const handshakeTimeout = 10 * time.Second

// tlsRequiredDetail is what a plain connection from another host is told when the product
// port requires TLS.
const tlsRequiredDetail = "this license server accepts only TLS connections from other hosts; configure the product client with TLS (PROTOCOL.md \"TLS\")"

// startTLS runs acceptTLS with the daemon's product TLS configuration.
func (d *Daemon) startTLS(nc net.Conn, local bool) (_ net.Conn, plainRefused bool, err error) {
	return acceptTLS(nc, d.productTLS, d.cfg.Product, local)
}

// acceptTLS tells a TLS client from a plain one by the first byte and runs the TLS
// handshake (with cfg, the product port's configuration) for the former. plainRefused
// reports a plain connection from another host when p requires TLS: the caller says why
// before closing it. A cluster follower opens its product connections this way too, so
// that its Redirect travels as the daemon's answers would.
func acceptTLS(nc net.Conn, cfg *tls.Config, p ProductSecurity, local bool) (_ net.Conn, plainRefused bool, err error) {
	_ = nc.SetReadDeadline(time.Now().Add(handshakeTimeout))
	first := make([]byte, 1)
	if _, err := io.ReadFull(nc, first); err != nil {
		return nil, false, fmt.Errorf("first byte: %w", err)
	}
	pc := &prefixConn{Conn: nc, prefix: first}
	if first[0] != wire.TLSRecordHandshake || cfg == nil {
		return pc, p.RequireTLS && (!local || p.StrictLoopback), nil
	}
	tc := tls.Server(pc, cfg)
	_ = tc.SetDeadline(time.Now().Add(handshakeTimeout))
	if err := tc.Handshake(); err != nil {
		return nil, false, fmt.Errorf("TLS handshake: %w", err)
	}
	return tc, false, nil
}
