package bench

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/licd/licd/license"
	"github.com/licd/licd/wire"
)

// dialParallelism bounds the product connections being set up at once.
const dialParallelism = 64

// Env is what a scenario drives the server through: the parameters, the server's
// addresses, the product fleet and the result being filled.
type Env struct {
	P     Params
	Addrs []string
	// RunID prefixes every client id, host, user and device name of this run, so that runs
	// against a shared server do not meet each other's licenses.
	RunID string

	Progress io.Writer // nil: no progress line
	terminal bool

	scenario  string
	result    *Result
	serverPid int // 0: unknown
	profiler  *profiler
	scraper   *scraper // licbench -scrape: a monitoring system's scrapes during the primary phase

	mu       sync.Mutex
	fleets   []*Fleet
	statusMu sync.Mutex // guards status
	status   *statusConn
	lost     atomic.Int64 // products that lost the server (heartbeats, resets)
	dialled  atomic.Int64
	counted  bool        // countSessions ran
	tls      *tls.Config // products connect over TLS (licbench -tls)
}

// Fleet is a set of simulated product servers, one wire client (one connection) each.
type Fleet struct {
	Clients []*wire.Client
	Model   string
}

// DialFleet connects n product servers licensed by feature (PRODUCT_EDITION_MODEL: the
// fleet presents that product, edition and model in its start-up checkout) as a "connect"
// phase: each one connects, handshakes and checks out its start-up license. A product that
// cannot connect is an error of the phase; the fleet holds those that did.
func (e *Env) DialFleet(ctx context.Context, n int, feature string) (*Fleet, error) {
	product, edition, model, ok := license.SplitFeature(feature)
	if !ok {
		return nil, fmt.Errorf("feature %q is not PRODUCT_EDITION_MODEL (for example XDT_PLT_CCS)", feature)
	}
	f := &Fleet{Model: model}
	e.mu.Lock()
	fleetNo := len(e.fleets)
	e.mu.Unlock()
	clients := make([]*wire.Client, n)
	e.result.Connections.Wanted += n
	e.Drive(ctx, Load{Name: "connect " + strings.ToLower(model), Workers: dialParallelism, Ops: int64(n), RequestsPerOp: 1,
		Op: func(ctx context.Context, _ int, seq int64, _ *Recorder) error {
			// Unique per run and fleet: a second session of one ClientID takes the first over.
			c, err := wire.Dial(ctx, e.Addrs, e.clientOptions(fmt.Sprintf("p%d%s%05d", fleetNo, strings.ToLower(model), seq), product, edition, model))
			if err != nil {
				return fmt.Errorf("product %d of %d could not connect: %w", seq+1, n, err)
			}
			clients[seq] = c
			e.dialled.Add(1)
			return nil
		}})
	for _, c := range clients {
		if c != nil {
			f.Clients = append(f.Clients, c)
		}
	}
	e.mu.Lock()
	e.fleets = append(e.fleets, f)
	e.mu.Unlock()
	if len(f.Clients) == 0 {
		return nil, fmt.Errorf("no product server could connect to %v: %s", e.Addrs, strings.Join(e.result.Phases[len(e.result.Phases)-1].ErrorSamples, "; "))
	}
	return f, ctx.Err()
}

func (e *Env) clientOptions(name, product, edition, model string) wire.ClientOptions {
	return wire.ClientOptions{
		ClientID: e.RunID + "-" + name, Product: product, Edition: edition, Model: model,
		Host: e.RunID + "-" + name, VersionDate: e.P.VersionDate, Heartbeat: e.P.Heartbeat,
		DialTimeout: 30 * time.Second, RequestTimeout: time.Minute,
		Logger: e.lossLogger(), TLS: e.tls,
	}
}

// lossLogger counts the product's warnings that it lost the server (a missed heartbeat, a
// reset connection: the client then enters License caching mode) and keeps the first few
// warnings' text, with their reasons, for the report.
func (e *Env) lossLogger() *zap.Logger {
	enc := zap.NewProductionEncoderConfig()
	enc.TimeKey, enc.LevelKey, enc.CallerKey = "", "", ""
	core := zapcore.NewCore(zapcore.NewConsoleEncoder(enc), zapcore.AddSync(warnSink{e}), zap.WarnLevel)
	return zap.New(core, zap.Hooks(func(en zapcore.Entry) error {
		if strings.Contains(en.Message, "lost") {
			e.lost.Add(1)
		}
		return nil
	}))
}

// warnSink keeps the first distinct warnings of the products' clients.
type warnSink struct{ e *Env }

func (w warnSink) Write(p []byte) (int, error) {
	msg := strings.TrimSpace(string(p))
	e := w.e
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.result.Connections.Warnings) < maxErrorSamples {
		e.result.Connections.Warnings = append(e.result.Connections.Warnings, msg)
	}
	return len(p), nil
}

// connected counts the products connected now (not in License caching mode).
func (e *Env) connected() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	n := 0
	for _, f := range e.fleets {
		for _, c := range f.Clients {
			if on, _ := c.CachingMode(); !on {
				n++
			}
		}
	}
	return n
}

// closeFleets ends every product session the way a product stops cleanly (goodbye), so
// that a shared server gets its licenses and start-up licenses back at once.
func (e *Env) closeFleets() {
	e.mu.Lock()
	fleets := e.fleets
	e.fleets = nil
	e.mu.Unlock()
	e.statusMu.Lock()
	st := e.status
	e.status = nil
	e.statusMu.Unlock()
	var all []*wire.Client
	for _, f := range fleets {
		all = append(all, f.Clients...)
	}
	var wg sync.WaitGroup
	sem := make(chan struct{}, dialParallelism)
	for _, c := range all {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			_ = c.Shutdown(ctx)
		}()
	}
	wg.Wait()
	if st != nil {
		st.close()
	}
}

// FeatureStatus finds one feature in a status answer.
func FeatureStatus(s *wire.Status, feature string) (wire.FeatureStatus, bool) {
	for _, f := range s.Features {
		if f.Feature == feature {
			return f, true
		}
	}
	return wire.FeatureStatus{}, false
}

// countSessions fills the result's connection figures: products connected now, products
// that lost the server during the run, and this run's sessions as the server lists them.
func (e *Env) countSessions(ctx context.Context) {
	e.counted = true
	c := &e.result.Connections
	c.Held = e.connected()
	c.Lost = int(e.lost.Load())
	c.ServerSessions = -1
	st, err := e.Status(ctx, e.P.Feature)
	if err != nil {
		st, err = e.Status(ctx, "")
	}
	if err != nil {
		e.result.Notes = append(e.result.Notes, "the server's sessions could not be counted: "+err.Error())
		return
	}
	c.ServerSessions = 0
	for _, s := range st.Sessions {
		if strings.HasPrefix(s.Host, e.RunID+"-p") {
			c.ServerSessions++
			if s.Lost {
				c.ServerLost++
			}
		}
	}
}

func (e *Env) serverCPU() float64 {
	if e.serverPid == 0 {
		return -1
	}
	ps, err := ReadProcStats(e.serverPid)
	if err != nil {
		return -1
	}
	return ps.CPUSeconds
}

// names makes n names "RUNID-prefixNNNNN" once, so that hot loops do not format strings.
func (e *Env) names(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = e.RunID + "-" + prefix + strconv.Itoa(i)
	}
	return out
}
