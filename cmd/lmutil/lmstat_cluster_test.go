package main

import (
	"bytes"
	"regexp"
	"testing"

	"github.com/licd/licd/wire"
)

// A licd cluster given as a triad (-c 27000@a,27000@b,27000@c) prints FLEXlm's triad head:
// every node UP, "(MASTER)" on the leader only, a down node as FLEXlm prints one; the
// parsers' regular expression reads each line.
func TestLmstatPrintsTheClusterAsATriad(t *testing.T) {
	results := []statusResult{
		{target: target{Host: "lic-a", Port: 27000}, follower: &wire.RedirectError{Redirect: wire.Redirect{Addr: "lic-b:27000", Leader: 2}}},
		{target: target{Host: "lic-b", Port: 27000}, status: &wire.Status{Version: "v0.1.0", Files: []string{"/data/MyFiles/a.lic"},
			Cluster: &wire.ClusterStatus{Node: 2, Leader: 2}}},
		{target: target{Host: "lic-c", Port: 27000}, err: &wire.Error{Code: wire.CodeCannotConnect, Detail: "connection refused"}},
	}
	var out bytes.Buffer
	writeServerLines(&out, results)
	up := regexp.MustCompile(`(?m)^\s*([\w.\-]+): license server UP( \(MASTER\))? (v[\d.]+)$`)
	m := up.FindAllStringSubmatch(out.String(), -1)
	if len(m) != 2 || m[0][1] != "lic-a" || m[0][2] != "" || m[1][1] != "lic-b" || m[1][2] != " (MASTER)" {
		t.Fatalf("want lic-a UP and lic-b UP (MASTER):\n%s", out.String())
	}
	if !regexp.MustCompile(`(?m)^License server status: 27000@lic-a,27000@lic-b,27000@lic-c$`).MatchString(out.String()) ||
		!regexp.MustCompile(`(?m)^lic-c: Cannot connect to license server system\.`).MatchString(out.String()) ||
		!regexp.MustCompile(`(?m)^    License file\(s\) on lic-b: /data/MyFiles/a.lic:$`).MatchString(out.String()) {
		t.Fatalf("not FLEXlm's triad head:\n%s", out.String())
	}
}
