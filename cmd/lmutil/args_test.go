package main

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/licd/licd/wire"
)

// TestParseOptions: FLEXlm's option forms: optional values (-f [feature]), required ones
// (-c list), --name for -name, -? for -help.
func TestParseOptions(t *testing.T) {
	own := map[string]optKind{"-a": noValue, "-f": mayValue}
	for _, tc := range []struct {
		args []string
		set  []string
		vals map[string]string
		rest []string
	}{
		{[]string{"-a", "-c", "@localhost"}, []string{"-a", "-c"}, map[string]string{"-c": "@localhost"}, nil},
		{[]string{"-f", "-a"}, []string{"-f", "-a"}, map[string]string{}, nil},
		{[]string{"-f", "XDT_PLT_CCS", "extra"}, []string{"-f"}, map[string]string{"-f": "XDT_PLT_CCS"}, []string{"extra"}},
		{[]string{"--c=27000@h", "-?"}, []string{"-c", "-help"}, map[string]string{"-c": "27000@h"}, nil},
	} {
		o, err := parseOptions("x", own, tc.args)
		if err != nil {
			t.Errorf("%v: %v", tc.args, err)
			continue
		}
		for _, s := range tc.set {
			if !o.has(s) {
				t.Errorf("%v: %s not set", tc.args, s)
			}
		}
		if !reflect.DeepEqual(o.vals, tc.vals) || !reflect.DeepEqual(o.args, tc.rest) {
			t.Errorf("%v: values %v operands %v, want %v %v", tc.args, o.vals, o.args, tc.vals, tc.rest)
		}
	}
	for _, bad := range [][]string{{"-z"}, {"-c"}, {"-a=1"}} {
		if _, err := parseOptions("x", own, bad); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
}

// TestResolveTargets: -c as "Universal arguments" describes it: @localhost, @host,
// port@host, a path (the license files in a directory), files separated by semicolons;
// the files' SERVER lines name the server.
func TestResolveTargets(t *testing.T) {
	dir := t.TempDir()
	lic := filepath.Join(dir, "a.lic")
	if err := writeLicense(lic, productLines()[:1]); err != nil {
		t.Fatal(err)
	}
	withPort := filepath.Join(dir, "b.lic")
	if err := os.WriteFile(withPort, []byte("SERVER licserver HOSTNAME=x 27009\nVENDOR CITRIX\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		spec string
		want []target
	}{
		{"@localhost", []target{{Host: "localhost", Port: 27000}}},
		{"27001@licserver", []target{{Host: "licserver", Port: 27001}}},
		{"@a;27000@a;7279@b", []target{{Host: "a", Port: 27000}, {Host: "b", Port: 7279}}},
		{lic, []target{{Host: "localhost", Port: 27000, Files: []string{lic}}}},
		{`"` + withPort + `"`, []target{{Host: "licserver", Port: 27009, Files: []string{withPort}}}},
		{dir, []target{{Host: "localhost", Port: 27000, Files: []string{lic}}, {Host: "licserver", Port: 27009, Files: []string{withPort}}}},
		{lic + ";@localhost", []target{{Host: "localhost", Port: 27000, Files: []string{lic}}}},
	} {
		got, err := resolveTargets(tc.spec)
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("-c %s: %+v %v, want %+v", tc.spec, got, err, tc.want)
		}
	}
	for _, bad := range []string{";", filepath.Join(dir, "missing.lic"), "x/y", "27000@", t.TempDir()} {
		_, err := resolveTargets(bad)
		if f := asFailure(err); err == nil || f.Code != codeNoLicenseFile {
			t.Errorf("-c %q: %v, want Cannot find license file (-1)", bad, err)
		}
	}
}

// TestAdminTokenPlaces: the token is read from -data, else $LICD_DATA, else the data
// directory above the license directory -c names, else ./licd-data.
func TestAdminTokenPlaces(t *testing.T) {
	data := t.TempDir()
	if err := os.MkdirAll(filepath.Join(data, "MyFiles"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(data, tokenFile), []byte("tok123\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	e := &env{getenv: func(string) string { return "" }}
	fromC := []target{{Files: []string{filepath.Join(data, "MyFiles", "x.lic")}}}
	for _, tc := range []struct {
		name    string
		opts    *options
		env     string
		targets []target
	}{
		{"-data", &options{vals: map[string]string{"-data": data}}, "", nil},
		{"LICD_DATA", &options{vals: map[string]string{}}, data, nil},
		{"-c file", &options{vals: map[string]string{}}, "", fromC},
	} {
		e.getenv = func(k string) string {
			if k == "LICD_DATA" {
				return tc.env
			}
			return ""
		}
		if tok, err := e.adminToken(tc.opts, tc.targets); err != nil || tok != "tok123" {
			t.Errorf("%s: %q %v", tc.name, tok, err)
		}
	}
	e.getenv = func(string) string { return "" }
	_, err := e.adminToken(&options{vals: map[string]string{}}, nil)
	if f := asFailure(err); f.Code != wire.CodeNotAuthorized || !strings.Contains(f.Detail, filepath.Join(defaultDataDir, tokenFile)) {
		t.Errorf("no token anywhere: %v", err)
	}
}

// TestTimes: the checkout time as lmstat prints it ("start Wed 3/17 11:56"; FLEXlm does not
// pad the hour) and udadmin's timestamp.
func TestTimes(t *testing.T) {
	at := time.Date(2017, 10, 20, 8, 3, 7, 0, time.Local)
	if got := checkoutTime(at); got != "Fri 10/20 8:03" {
		t.Errorf("checkoutTime %q", got)
	}
	if got := statusTime(at); got != "Fri 10/20/2017 08:03" {
		t.Errorf("statusTime %q", got)
	}
	if got := ctime(time.Date(2017, 9, 4, 13, 41, 7, 0, time.Local)); got != "Mon Sep  4 13:41:07 2017" {
		t.Errorf("ctime %q", got)
	}
}

// TestUsageAge: "Usage data is N minutes old. Next update in M minutes.", from the oldest
// optimization and the nearest next one.
func TestUsageAge(t *testing.T) {
	now := time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)
	fs := []wire.UDFeature{
		{LastOptimization: now.Add(-3*time.Minute - 10*time.Second), NextOptimization: now.Add(11*time.Minute + time.Second)},
		{LastOptimization: now.Add(-time.Minute), NextOptimization: now.Add(15 * time.Minute)},
	}
	if old, next := usageAge(now, fs); old != 3 || next != 12 {
		t.Errorf("old %d next %d, want 3 and 12", old, next)
	}
	if old, next := usageAge(now, []wire.UDFeature{{LastOptimization: now, NextOptimization: now.Add(-time.Second)}}); old != 0 || next != 0 {
		t.Errorf("overdue: old %d next %d", old, next)
	}
}

// TestVerbose: -verbose adds the longer description of an error ("Universal arguments").
func TestVerbose(t *testing.T) {
	var plain, verbose bytes.Buffer
	(&env{name: "lmstat", stderr: &plain}).fail(&wire.Error{Code: wire.CodeCannotConnect})
	(&env{name: "lmstat", stderr: &verbose, verbose: true}).fail(&wire.Error{Code: wire.CodeCannotConnect})
	if strings.Contains(plain.String(), "connection refused") || !strings.Contains(verbose.String(), `"connection refused" means nothing listens on that port`) {
		t.Errorf("plain:\n%s\nverbose:\n%s", plain.String(), verbose.String())
	}
	r := runIn(t, "", "lmstat", "-verbose", "-c", "/no/such.lic")
	if !strings.Contains(r.stderr, "A path that does not exist is not tried as a host name.") {
		t.Errorf("lmstat -verbose: %s", r.stderr)
	}
}

// TestCheckoutParty: the fields of a checkout line, with "-" for an empty one so that the
// columns stay countable, the device after the display when it is another name, and a
// user/device license named by its user or device.
func TestCheckoutParty(t *testing.T) {
	for _, tc := range []struct {
		c    wire.CheckoutStatus
		want string
	}{
		{wire.CheckoutStatus{Product: "XDT", User: "XDT", Host: "DDCAux-0001.citrix.com", Display: "XDT", Device: "00001E3A", Handle: 1}, "XDT DDCAux-0001.citrix.com XDT 00001E3A"},
		{wire.CheckoutStatus{Product: "MPS", Host: "mps_server1", Handle: 203}, "MPS mps_server1 MPS"},
		{wire.CheckoutStatus{User: "u", Handle: 2}, "u - -"},
		{wire.CheckoutStatus{Product: "user", User: "u01.01"}, "u01.01 - user"},
		{wire.CheckoutStatus{Product: "device", Device: "D01", Host: "D01"}, "D01 D01 device"},
	} {
		if got := checkoutParty(&tc.c); got != tc.want {
			t.Errorf("%+v: %q, want %q", tc.c, got, tc.want)
		}
	}
}

// TestChooseTargets: "If lmdown encounters more than one server and you didn't specify the
// -all argument, the command displays a choice of License Servers to shut down."
func TestChooseTargets(t *testing.T) {
	ts := []target{{Host: "a", Port: 27000}, {Host: "b", Port: 27000}, {Host: "c", Port: 27000}}
	for answer, want := range map[string]int{"a\n": 3, "2\n": 1, "1 3\n": 2, "n\n": 0, "9\n": 0} {
		var out bytes.Buffer
		e := &env{stdin: strings.NewReader(answer), stdout: &out}
		if got := e.chooseTargets(ts); len(got) != want {
			t.Errorf("answer %q: %d servers, want %d", answer, len(got), want)
		}
		if !strings.Contains(out.String(), "Shut down which license servers? (1-3") {
			t.Errorf("no question: %q", out.String())
		}
	}
}
