package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/licd/licd/actors/daemon"
)

// clusterOptions are the -cluster flags (doc/HA.md): a node's id, the group's members, its
// peer port and the shared secret.
type clusterOptions struct {
	enabled       bool
	id            uint64
	peers         string
	peerPort      int
	secretFile    string
	tick          time.Duration
	electionTicks int
}

func clusterFlags(fs *flag.FlagSet, o *clusterOptions) {
	fs.BoolVar(&o.enabled, "cluster", false, "run as a node of a replicated group (doc/HA.md); needs -cluster-id, -cluster-peers and -cluster-secret-file")
	fs.Uint64Var(&o.id, "cluster-id", 0, "this node's id in the group (1, 2, 3, ...)")
	fs.StringVar(&o.peers, "cluster-peers", "", `the group's members' peer addresses, this node's included: "1=hostA:27100,2=hostB:27100,3=hostC:27100"`)
	fs.IntVar(&o.peerPort, "cluster-peer-port", 0, "port the peer traffic listens on (0: the port of this node's entry in -cluster-peers)")
	fs.StringVar(&o.secretFile, "cluster-secret-file", "", "file holding the group's shared secret (make it with `licd cluster init`; the same on every node)")
	fs.DurationVar(&o.tick, "cluster-tick", 100*time.Millisecond, "Raft's clock tick: heartbeats every tick, elections after -cluster-election-ticks without a leader")
	fs.IntVar(&o.electionTicks, "cluster-election-ticks", 10, "ticks without a leader before a follower calls an election (randomized up to twice that)")
}

// config checks the flags and reads the secret.
func (o *clusterOptions) config(listenHost string) (daemon.ClusterConfig, error) {
	cc := daemon.ClusterConfig{ID: o.id, Peers: map[uint64]string{}, Tick: o.tick, ElectionTicks: o.electionTicks}
	if o.id == 0 {
		return cc, errors.New("-cluster needs -cluster-id (this node's id, 1 or more)")
	}
	for _, p := range strings.Split(o.peers, ",") {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		idS, addr, ok := strings.Cut(p, "=")
		id, err := strconv.ParseUint(idS, 10, 64)
		if !ok || err != nil || id == 0 {
			return cc, fmt.Errorf("-cluster-peers: %q is not id=host:port (ids are 1 or more)", p)
		}
		if _, _, err := net.SplitHostPort(addr); err != nil {
			return cc, fmt.Errorf("-cluster-peers: %q: %w", p, err)
		}
		if _, dup := cc.Peers[id]; dup {
			return cc, fmt.Errorf("-cluster-peers: node %d is listed twice", id)
		}
		cc.Peers[id] = addr
	}
	if cc.Peers[o.id] == "" {
		return cc, fmt.Errorf("-cluster-peers must list this node (id %d) too, with the address the others reach it on", o.id)
	}
	if len(cc.Peers)%2 == 0 {
		return cc, fmt.Errorf("-cluster-peers lists %d nodes: use an odd number (3 or 5), an even one tolerates no more failures than one fewer", len(cc.Peers))
	}
	if o.peerPort != 0 {
		cc.PeerListen = net.JoinHostPort(listenHost, strconv.Itoa(o.peerPort))
	}
	if o.secretFile == "" {
		return cc, errors.New("-cluster needs -cluster-secret-file (make one with `licd cluster init -secret-file FILE` and copy it to every node)")
	}
	b, err := os.ReadFile(o.secretFile)
	if err != nil {
		return cc, fmt.Errorf("read the cluster secret: %w", err)
	}
	if cc.Secret, err = hex.DecodeString(strings.TrimSpace(string(b))); err != nil || len(cc.Secret) < 16 {
		return cc, fmt.Errorf("the cluster secret in %s is not at least 16 hex-encoded bytes: make one with `licd cluster init`", o.secretFile)
	}
	return cc, nil
}

// clusterCommand is `licd cluster init -secret-file FILE`: it makes the group's shared secret.
func clusterCommand(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "init" {
		fmt.Fprintln(stderr, "usage: licd cluster init -secret-file FILE")
		return 2
	}
	fs := flag.NewFlagSet("licd cluster init", flag.ContinueOnError)
	fs.SetOutput(stderr)
	file := fs.String("secret-file", "cluster.secret", "where to write the group's shared secret (copy it to every node, mode 0600)")
	if err := fs.Parse(args[1:]); err != nil {
		return 2
	}
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		fmt.Fprintln(stderr, "licd:", err)
		return 1
	}
	f, err := os.OpenFile(*file, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		fmt.Fprintln(stderr, "licd: cluster init:", err, "(an existing secret is never overwritten)")
		return 1
	}
	if _, err := fmt.Fprintln(f, hex.EncodeToString(secret)); err != nil {
		_ = f.Close()
		fmt.Fprintln(stderr, "licd:", err)
		return 1
	}
	if err := f.Close(); err != nil {
		fmt.Fprintln(stderr, "licd:", err)
		return 1
	}
	fmt.Fprintf(stdout, "wrote the cluster secret to %s: copy it to every node (mode 0600) and start each with -cluster -cluster-secret-file %s\n", *file, *file)
	return 0
}

// peerList formats the members for the start-up banner.
func peerList(cc daemon.ClusterConfig) string {
	ids := make([]uint64, 0, len(cc.Peers))
	for id := range cc.Peers {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	var parts []string
	for _, id := range ids {
		parts = append(parts, fmt.Sprintf("%d=%s", id, cc.Peers[id]))
	}
	return strings.Join(parts, ",")
}

// runCluster serves as a cluster node until a signal or an lmdown on the leader.
func runCluster(cfg daemon.Config, o clusterOptions, portsFile string, sig <-chan os.Signal, log *zap.Logger, stdout, stderr io.Writer,
	apiOpt apiOptions, hostname string, metricsListen *metricsListener) int {
	cc, err := o.config(cfg.ListenHost)
	if err != nil {
		fmt.Fprintln(stderr, "licd:", err)
		return 2
	}
	// The leader serves the admin API and the metrics, as it serves the products; a node
	// starts them when it becomes leader and stops them when it steps down.
	cc.OnLead = func(d *daemon.Daemon) func() {
		if err := metricsListen.start(d, log); err != nil {
			log.Error("cannot serve metrics", zap.Error(err))
		}
		api, err := startAPI(d, cfg, apiOpt, hostname, log, stdout)
		if err != nil {
			log.Error("cannot serve the admin API", zap.Error(err))
		}
		return func() {
			if api != nil {
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				_ = api.Shutdown(ctx)
				cancel()
			}
			metricsListen.stop()
		}
	}
	c, err := daemon.StartCluster(cfg, cc)
	if err != nil {
		fmt.Fprintln(stderr, "licd:", err)
		return 1
	}
	fmt.Fprintf(stdout, "licd %s cluster node %d of %s\n", daemon.Version, cc.ID, peerList(cc))
	fmt.Fprintf(stdout, "  license-manager port  %d\n  vendor daemon port    %d\n  data directory        %s\n", c.LMAddr().Port, c.VendorAddr().Port, cfg.DataDir)
	if portsFile != "" {
		ports := map[string]int{"lm": c.LMAddr().Port, "vendor": c.VendorAddr().Port, "pid": os.Getpid()}
		if err := writePortsMap(portsFile, ports); err != nil {
			fmt.Fprintln(stderr, "licd:", err)
			c.Shutdown()
			return 1
		}
	}
	select {
	case s := <-sig:
		log.Info("signal received; shutting down", zap.String("signal", s.String()))
	case <-c.Done():
		log.Info("shut down by lmdown")
	}
	c.Shutdown()
	fmt.Fprintln(stdout, "licd: stopped; everything is persisted in", cfg.DataDir)
	return 0
}
