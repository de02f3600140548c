package bench

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"
)

func TestEchoBaselineAnswers(t *testing.T) {
	rt, err := MeasureEcho(context.Background(), 4, 32, 200*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	if rt < 1000 {
		t.Fatalf("echo baseline %.0f round trips/s: loopback should do far more than 1,000/s", rt)
	}
}

func TestProcStatsOfThisProcess(t *testing.T) {
	ps, err := ReadProcStats(os.Getpid())
	if err != nil {
		t.Skip("no /proc here:", err)
	}
	if ps.PeakRSSBytes <= 0 || ps.RSSBytes <= 0 || ps.Threads <= 0 || ps.FDs <= 0 {
		t.Fatalf("implausible figures for a running test: %+v", ps)
	}
}

func TestFileLimitExplainsWhatToDo(t *testing.T) {
	if err := RaiseFileLimit(10); err != nil {
		t.Fatalf("10 connections must fit any machine: %v", err)
	}
	err := RaiseFileLimit(1 << 40)
	if err == nil {
		t.Fatal("a trillion connections fit?")
	}
	for _, want := range []string{"ulimit", "-products", "hard limit"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error does not mention %q: %v", want, err)
		}
	}
}
