package main

import (
	"bytes"
	"strings"
	"testing"
)

// -metrics-listen serves without authentication, so it takes loopback addresses only, and
// says what to write instead of anything else.
func TestMetricsListenTakesLoopbackOnly(t *testing.T) {
	for _, tc := range []struct {
		arg, want, err string
	}{
		{arg: "127.0.0.1:9279", want: "127.0.0.1:9279"},
		{arg: "localhost:9279", want: "127.0.0.1:9279"},
		{arg: "[::1]:9279", want: "[::1]:9279"},
		{arg: "127.0.0.1:-1", want: "127.0.0.1:0"},
		{arg: "0.0.0.0:9279", err: "not a loopback address"},
		{arg: ":9279", err: "not a loopback address"},
		{arg: "192.168.1.10:9279", err: "not a loopback address"},
		{arg: "[::]:9279", err: "not a loopback address"},
		{arg: "example.com:9279", err: "not a loopback address"},
		{arg: "127.0.0.1:0", err: "no default port"},
		{arg: "127.0.0.1:70000", err: "from 1 to 65535"},
		{arg: "127.0.0.1", err: "not HOST:PORT"},
	} {
		var m metricsListener
		err := m.Set(tc.arg)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: got %v, want an error saying %q", tc.arg, err, tc.err)
			}
			continue
		}
		if err != nil || m.String() != tc.want {
			t.Errorf("%s: got %q, %v; want %q", tc.arg, m.String(), err, tc.want)
		}
	}
}

// licd refuses a non-loopback -metrics-listen before it starts anything.
func TestLicdRefusesPublicMetricsListen(t *testing.T) {
	var out, errOut bytes.Buffer
	code := run([]string{"-data", t.TempDir(), "-metrics-listen", "0.0.0.0:9279"}, &out, &errOut)
	if code != 2 || !strings.Contains(errOut.String(), "not a loopback address") || !strings.Contains(errOut.String(), "-metrics-listen") {
		t.Fatalf("exit %d, stderr:\n%s", code, errOut.String())
	}
}
