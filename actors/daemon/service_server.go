package daemon

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"sync"
	"syscall"
	"time"

	"github.com/licd/licd/storage"
)

// ServerInfo is the console's title bar and "System information": the server's identity,
// its addresses and ports, and whether its data directory is healthy.
type ServerInfo struct {
	Version    string         `json:"version"`
	Hostname   string         `json:"hostname"`
	Interfaces []NetInterface `json:"interfaces"`
	Ports      map[string]int `json:"ports"`
	Started    time.Time      `json:"started"`
	UptimeSec  int64          `json:"uptime_seconds"`
	InstallID  string         `json:"install_id"`
	DataDir    DataDirHealth  `json:"data_dir"`
	// Versions are those of licd and its parts ("Product information": "About this
	// release"): the Go runtime, the protocol and schema versions, the modules built in.
	Versions map[string]any `json:"versions"`
}

// NetInterface is one network interface with its Ethernet (MAC) and IPv4 addresses (the
// title bar's drop-down of the server's addresses, which license files may be bound to).
type NetInterface struct {
	Name     string   `json:"name"`
	Ethernet string   `json:"ethernet,omitempty"`
	IPv4     []string `json:"ipv4"`
}

// DataDirHealth says whether the data directory can take writes.
type DataDirHealth struct {
	OK           bool   `json:"ok"`
	FreeBytes    uint64 `json:"free_bytes"`
	ReserveBytes uint64 `json:"reserve_bytes"`
	Problem      string `json:"problem,omitempty"`
}

const installIDSetting = "install-id"

var installIDMu sync.Mutex

// Info gathers the server's information; the API adds its own port to Ports.
func (d *Daemon) Info() (*ServerInfo, error) {
	id, err := d.installID()
	if err != nil {
		return nil, err
	}
	now := d.now()
	info := &ServerInfo{Version: Version, Hostname: d.hostname, Interfaces: interfaces(), Started: d.started.UTC(),
		UptimeSec: int64(now.Sub(d.started) / time.Second), InstallID: id,
		Ports: map[string]int{"license_manager": d.LMAddr().Port, "vendor_daemon": d.VendorAddr().Port}}
	if p := d.apiPort.Load(); p > 0 {
		info.Ports["web_services"] = int(p)
	}
	info.DataDir = d.dataDirHealth()
	info.Versions = d.versions()
	return info, nil
}

// installID is a random id made once per data directory, kept in the store.
func (d *Daemon) installID() (string, error) {
	installIDMu.Lock()
	defer installIDMu.Unlock()
	v, ok, err := d.store.Setting(installIDSetting)
	if err != nil {
		return "", fmt.Errorf("read the install id: %w", err)
	}
	if ok {
		return string(v), nil
	}
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	id := hex.EncodeToString(b)
	batch := storage.NewBatch()
	batch.PutSetting(installIDSetting, []byte(id))
	if err := d.store.Commit(batch); err != nil {
		return "", fmt.Errorf("store the install id: %w", err)
	}
	return id, nil
}

func (d *Daemon) dataDirHealth() DataDirHealth {
	h := DataDirHealth{ReserveBytes: d.cfg.DiskReserve}
	if h.ReserveBytes == 0 {
		h.ReserveBytes = storage.DefaultDiskReserve
	}
	var st syscall.Statfs_t
	if err := syscall.Statfs(d.cfg.DataDir, &st); err != nil {
		h.Problem = "the data directory's disk cannot be read: " + err.Error()
		return h
	}
	h.FreeBytes = st.Bavail * uint64(st.Bsize)
	if h.FreeBytes < h.ReserveBytes {
		h.Problem = "the disk is below the free-space reserve: checkouts are denied until space is freed"
		return h
	}
	h.OK = true
	return h
}

func interfaces() []NetInterface {
	out := []NetInterface{}
	ifs, err := net.Interfaces()
	if err != nil {
		return out
	}
	for _, i := range ifs {
		if i.Flags&net.FlagUp == 0 {
			continue
		}
		ni := NetInterface{Name: i.Name, Ethernet: i.HardwareAddr.String(), IPv4: []string{}}
		addrs, _ := i.Addrs()
		for _, a := range addrs {
			if n, ok := a.(*net.IPNet); ok && n.IP.To4() != nil {
				ni.IPv4 = append(ni.IPv4, n.IP.String())
			}
		}
		out = append(out, ni)
	}
	return out
}

// rereadHooks run after every successful reread, outside the reread's lock.
type rereadHooks struct {
	mu  sync.Mutex
	fns []func()
}

// OnReread adds fn to what runs after each reread (lmreread, the API, a changed license
// directory): the API reloads its certificate there.
func (d *Daemon) OnReread(fn func()) {
	d.hooks.mu.Lock()
	d.hooks.fns = append(d.hooks.fns, fn)
	d.hooks.mu.Unlock()
}

func (d *Daemon) runRereadHooks() {
	d.hooks.mu.Lock()
	fns := append([]func(){}, d.hooks.fns...)
	d.hooks.mu.Unlock()
	for _, fn := range fns {
		fn()
	}
}
