package wire

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"
)

// TestMain fails the run when a client or test peer goroutine outlives the tests: Close must
// stop every goroutine a Client starts.
func TestMain(m *testing.M) {
	code := m.Run()
	if code == 0 {
		if leaked := waitForWireGoroutines(5 * time.Second); leaked != "" {
			fmt.Fprintf(os.Stderr, "leaked goroutines:\n%s\n", leaked)
			code = 1
		}
	}
	os.Exit(code)
}

func waitForWireGoroutines(limit time.Duration) string {
	deadline := time.Now().Add(limit)
	for {
		buf := make([]byte, 1<<20)
		buf = buf[:runtime.Stack(buf, true)]
		var leaked []string
		for _, g := range strings.Split(string(buf), "\n\n") {
			if strings.Contains(g, "licd/wire.(*clientConn)") || strings.Contains(g, "licd/wire.(*Client)") ||
				strings.Contains(g, "licd/wire.(*peerConn)") || strings.Contains(g, "licd/wire.(*testPeer)") {
				leaked = append(leaked, g)
			}
		}
		if len(leaked) == 0 {
			return ""
		}
		if time.Now().After(deadline) {
			return strings.Join(leaked, "\n\n")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
