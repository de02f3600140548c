package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"time"
)

// FulfilmentOptions starts a real `licgen serve`: the vendor's fulfilment service that
// licd's -fulfilment-url points at ("Use license access code", renewals).
type FulfilmentOptions struct {
	Binary string // path of the licgen binary
	Key    string // the vendor private key it signs the license files with
	Store  string // its entitlement store (licgen entitle, licgen renew)
	Dir    string // where it writes its self-signed certificate and its ready file
}

// Fulfilment is a licgen serve process started by StartFulfilment.
type Fulfilment struct {
	URL    string // https://127.0.0.1:PORT
	CA     string // its certificate (PEM), for licd's -fulfilment-ca
	cmd    *exec.Cmd
	mu     sync.Mutex
	out    []byte
	exited chan struct{}
}

// StartFulfilment starts licgen serve on a free loopback port and waits until it serves.
func StartFulfilment(ctx context.Context, opt FulfilmentOptions) (*Fulfilment, error) {
	ready := filepath.Join(opt.Dir, "fulfilment-ready.json")
	f := &Fulfilment{CA: filepath.Join(opt.Dir, "fulfilment-ca.pem"), exited: make(chan struct{})}
	f.cmd = exec.Command(opt.Binary, "serve", "-key", opt.Key, "-store", opt.Store, "-addr", "127.0.0.1:0",
		"-tls-cert-out", f.CA, "-ready-file", ready)
	f.cmd.Stdout, f.cmd.Stderr = f, f
	if err := f.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start licgen serve: %w", err)
	}
	go func() { _ = f.cmd.Wait(); close(f.exited) }()
	for {
		if b, err := os.ReadFile(ready); err == nil {
			var r struct{ URL string }
			if json.Unmarshal(b, &r) == nil && r.URL != "" {
				f.URL = r.URL
				return f, nil
			}
		}
		select {
		case <-f.exited:
			return nil, fmt.Errorf("licgen serve exited: %s", f.Output())
		case <-ctx.Done():
			_ = f.cmd.Process.Kill()
			<-f.exited
			return nil, fmt.Errorf("licgen serve not ready: %w\n%s", ctx.Err(), f.Output())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// Write collects what the process prints.
func (f *Fulfilment) Write(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.out = append(f.out, p...)
	return len(p), nil
}

// Output is everything the process printed so far.
func (f *Fulfilment) Output() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return string(f.out)
}

// Stop ends the process with SIGTERM and waits for it; after timeout it kills it and says
// that it did not stop.
func (f *Fulfilment) Stop(timeout time.Duration) error {
	_ = f.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-f.exited:
		return nil
	case <-time.After(timeout):
		_ = f.cmd.Process.Kill()
		<-f.exited
		return fmt.Errorf("licgen serve did not stop on SIGTERM: %s", f.Output())
	}
}
