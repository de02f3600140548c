package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// `licd cluster init` makes a 0600 secret that -cluster-secret-file reads, and never
// overwrites one; the -cluster flags refuse a group that cannot work.
func TestClusterInitAndFlags(t *testing.T) {
	dir := t.TempDir()
	secret := filepath.Join(dir, "cluster.secret")
	var out, errb bytes.Buffer
	if code := clusterCommand([]string{"init", "-secret-file", secret}, &out, &errb); code != 0 {
		t.Fatalf("cluster init: exit %d: %s", code, errb.String())
	}
	fi, err := os.Stat(secret)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("the secret file: %v, mode %v", err, fi.Mode())
	}
	if code := clusterCommand([]string{"init", "-secret-file", secret}, &out, &errb); code == 0 {
		t.Fatal("cluster init overwrote an existing secret")
	}
	ok := clusterOptions{id: 2, peers: "1=a:7100, 2=b:7100,3=c:7100", secretFile: secret}
	cc, err := ok.config("")
	if err != nil || len(cc.Peers) != 3 || cc.Peers[2] != "b:7100" || len(cc.Secret) != 32 {
		t.Fatalf("a good configuration: %+v, %v", cc, err)
	}
	for _, c := range []struct {
		o    clusterOptions
		want string
	}{
		{clusterOptions{peers: "1=a:1,2=b:1,3=c:1", secretFile: secret}, "-cluster-id"},
		{clusterOptions{id: 4, peers: "1=a:1,2=b:1,3=c:1", secretFile: secret}, "must list this node"},
		{clusterOptions{id: 1, peers: "1=a:1,2=b:1", secretFile: secret}, "odd number"},
		{clusterOptions{id: 1, peers: "1=a:1,1=b:1,3=c:1", secretFile: secret}, "twice"},
		{clusterOptions{id: 1, peers: "1=a,2=b:1,3=c:1", secretFile: secret}, "1=a"},
		{clusterOptions{id: 1, peers: "1=a:1,2=b:1,3=c:1"}, "-cluster-secret-file"},
	} {
		if _, err := c.o.config(""); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v, want an error about %q", c.o, err, c.want)
		}
	}
	short := filepath.Join(dir, "short.secret")
	if err := os.WriteFile(short, []byte("abcd\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := (&clusterOptions{id: 1, peers: "1=a:1,2=b:1,3=c:1", secretFile: short}).config(""); err == nil {
		t.Fatal("a 2-byte secret was accepted")
	}
}
