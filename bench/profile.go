package bench

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"
)

// profiler fetches a self-started licd's pprof profiles (licd -pprof) around the primary
// phase: a CPU profile while it runs and the allocation profile when it ends.
type profiler struct {
	addr     string // host:port of licd's pprof listener
	dir      string
	scenario string
	wg       sync.WaitGroup
	mu       sync.Mutex
	files    []string
	errs     []string
}

// freeLoopbackAddr picks a free port on 127.0.0.1 for licd's pprof listener.
func freeLoopbackAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// startProfile begins a CPU profile of about the phase's length (capped at a minute).
func (e *Env) startProfile(phase time.Duration) {
	p := e.profiler
	if p == nil {
		return
	}
	secs := int(phase.Round(time.Second) / time.Second)
	if secs <= 0 {
		secs = 5
	}
	secs = min(secs, 60)
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		p.fetch("profile?seconds="+strconv.Itoa(secs), p.scenario+"-cpu.pprof", time.Duration(secs+30)*time.Second)
	}()
}

// finishProfile waits for the CPU profile and takes the allocation and heap profiles.
func (e *Env) finishProfile() {
	p := e.profiler
	if p == nil {
		return
	}
	p.wg.Wait()
	p.fetch("allocs", p.scenario+"-allocs.pprof", time.Minute)
	p.fetch("heap", p.scenario+"-heap.pprof", time.Minute)
	p.fetch("goroutine", p.scenario+"-goroutine.pprof", time.Minute)
}

func (p *profiler) fetch(what, file string, timeout time.Duration) {
	err := func() error {
		cl := http.Client{Timeout: timeout}
		resp, err := cl.Get("http://" + p.addr + "/debug/pprof/" + what)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
			return fmt.Errorf("%s: %s", resp.Status, b)
		}
		path := filepath.Join(p.dir, file)
		f, err := os.Create(path)
		if err != nil {
			return err
		}
		if _, err := io.Copy(f, resp.Body); err != nil {
			f.Close()
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
		p.mu.Lock()
		p.files = append(p.files, path)
		p.mu.Unlock()
		return nil
	}()
	if err != nil {
		p.mu.Lock()
		p.errs = append(p.errs, fmt.Sprintf("profile %s: %v", what, err))
		p.mu.Unlock()
	}
}
