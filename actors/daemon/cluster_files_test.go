package daemon

import (
	"crypto/ed25519"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/licd/licd/license"
)

// A license file and an options file installed through the API on the leader reach every
// node's license directory: the node that leads next serves them, and a deletion follows.
func TestClusterReplicatesInstalledLicenseFiles(t *testing.T) {
	pub, priv, err := license.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	keys := filepath.Join(dir, "keys")
	if err := license.WriteKeyPair(keys, pub, priv); err != nil {
		t.Fatal(err)
	}
	peers := map[uint64]string{}
	for id := uint64(1); id <= 3; id++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		peers[id] = l.Addr().String()
		_ = l.Close()
	}
	nodes := map[uint64]*Cluster{}
	for id := uint64(1); id <= 3; id++ {
		cfg := Config{DataDir: filepath.Join(dir, fmt.Sprint("n", id)), Hostname: "grp", ListenHost: "127.0.0.1", LMPort: -1,
			VendorPort: -1, TrustedKeys: []string{filepath.Join(keys, license.PublicKeyFile)}, Logger: zaptest.NewLogger(t).Named(fmt.Sprint(id))}
		c, err := StartCluster(cfg, ClusterConfig{ID: id, Peers: peers, Secret: []byte(strings.Repeat("s", 32)), Tick: 20 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		nodes[id] = c
		t.Cleanup(c.Shutdown) // after a failure; the test stops them in order
	}
	leader := func(not uint64) (uint64, *Daemon) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
			for id, c := range nodes {
				if d := c.Daemon(); d != nil && id != not {
					return id, d
				}
			}
		}
		t.Fatal("no leader serves")
		return 0, nil
	}
	first, d := leader(0)
	if _, err := d.InstallLicenseFile("added.lic", issue(t, priv, "XDT_PLT_CCS", 7), false); err != nil {
		t.Fatal(err)
	}
	opts := []byte("MAX 3 XDT_PLT_CCS USER alice\n")
	if _, _, err := d.ReplaceOptionsFile(opts); err != nil {
		t.Fatal(err)
	}
	nodes[first].Shutdown()
	delete(nodes, first)
	second, d2 := leader(first)
	if inv := d2.Engine().Inventory(); inv == nil || !hasFeature(inv, "XDT_PLT_CCS") {
		t.Fatalf("node %d leads without the license file installed on node %d", second, first)
	}
	if got, err := os.ReadFile(d2.cfg.optionsFile()); err != nil || string(got) != string(opts) {
		t.Fatalf("node %d's options file: %q, %v", second, got, err)
	}
	if _, err := d2.DeleteLicenseFile("added.lic"); err != nil {
		t.Fatal(err)
	}
	nodes[second].Shutdown()
	delete(nodes, second)
	// One node of three cannot lead alone; bring the first back (it catches up) and check that
	// the deletion reached whoever leads now.
	cfg := Config{DataDir: filepath.Join(dir, fmt.Sprint("n", first)), Hostname: "grp", ListenHost: "127.0.0.1", LMPort: -1,
		VendorPort: -1, TrustedKeys: []string{filepath.Join(keys, license.PublicKeyFile)}, Logger: zaptest.NewLogger(t).Named("back")}
	c, err := StartCluster(cfg, ClusterConfig{ID: first, Peers: peers, Secret: []byte(strings.Repeat("s", 32)), Tick: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	nodes[first] = c
	last, d3 := leader(second)
	if inv := d3.Engine().Inventory(); inv != nil && hasFeature(inv, "XDT_PLT_CCS") {
		t.Fatal("a license file deleted on the leader is still served by the next")
	}
	// The leader first: a leader left without its majority stops its daemon slowly (its
	// feature actors' status requests time out).
	nodes[last].Shutdown()
	for _, c := range nodes {
		c.Shutdown()
	}
}

func issue(t *testing.T, priv ed25519.PrivateKey, feature string, count int) []byte {
	t.Helper()
	text, err := license.IssueFile(license.IssueSpec{HostName: "grp", Lines: []license.LineSpec{{Feature: feature, Count: count,
		CSS: 20991231, Permanent: true, DupGroup: "V"}}}, priv)
	if err != nil {
		t.Fatal(err)
	}
	return []byte(text)
}

func hasFeature(inv *license.Inventory, feature string) bool {
	for _, f := range inv.Features() {
		if f == feature {
			return true
		}
	}
	return false
}
