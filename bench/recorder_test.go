package bench

import (
	"errors"
	"testing"
	"time"

	"github.com/licd/licd/wire"
)

func TestRecorderPercentilesDenialsAndErrors(t *testing.T) {
	r := NewRecorder()
	for i := 1; i <= 1000; i++ { // 1..1000 ms, spread over workers
		r.Done(i, time.Duration(i)*time.Millisecond, nil)
	}
	r.Done(1, time.Millisecond, &wire.Error{Code: wire.CodeLicensedNumberReached})
	r.Done(2, time.Millisecond, wire.Errorf(wire.CodeLicensedNumberReached, "all 10 in use"))
	r.Done(3, time.Millisecond, errors.New("connection reset"))
	r.Done(4, time.Millisecond, errors.New("connection reset"))

	ops, den, errs := r.Counts()
	if ops != 1004 || den != 2 || errs != 2 {
		t.Fatalf("counts = %d ops, %d denials, %d errors; want 1004, 2, 2", ops, den, errs)
	}
	l := r.Latencies()[OpSeries]
	if l.Count != 1002 { // denials are answers and count; errors do not
		t.Errorf("latency count %d, want 1002", l.Count)
	}
	near := func(name string, got, want float64) {
		if got < want*0.99 || got > want*1.01 {
			t.Errorf("%s = %.3f ms, want about %.0f ms", name, got, want)
		}
	}
	near("p50", l.P50, 499)
	near("p99", l.P99, 990)
	near("max", l.Max, 1000)
	d := r.Denials()
	if len(d) != 1 || d["-4 "+wire.CodeLicensedNumberReached.Text()] != 2 {
		t.Errorf("denials by reason = %v", d)
	}
	if s := r.ErrorSamples(); len(s) != 1 || s[0] != "connection reset" {
		t.Errorf("error samples = %q, want one distinct sample", s)
	}
}

func TestGroup(t *testing.T) {
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 1234567: "1,234,567", -45000: "-45,000"} {
		if got := group(n); got != want {
			t.Errorf("group(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestUDPopulationSharesKiosksFiveUsersEach(t *testing.T) {
	e := &Env{RunID: "t"}
	pop := newUDPopulation(e, 1000)
	users := map[string]int{}
	for i := range 1000 {
		users[pop.device(i)]++
	}
	kiosks, own := 0, 0
	for d, n := range users {
		switch {
		case d[:3] == "t-k":
			kiosks++
			if n != kioskUsers {
				t.Errorf("kiosk %s has %d users, want %d", d, n, kioskUsers)
			}
		case n == 1:
			own++
		}
	}
	if kiosks != 1000/25 || own != 800 {
		t.Errorf("%d kiosks and %d own devices, want 40 and 800", kiosks, own)
	}
}
