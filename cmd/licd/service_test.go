package main

import (
	"bufio"
	"bytes"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/licd/licd/bench"
)

// serviceConfigArgs make the shipped configuration: `licd <these> -print-config`.
var serviceConfigArgs = []string{"-data", "/var/lib/licd", "-demo=false"}

var built struct {
	once sync.Once
	dir  string
	bin  string
	err  error
}

// buildLicd builds licd once for the tests of this file.
func buildLicd(t *testing.T) string {
	t.Helper()
	built.once.Do(func() {
		if built.dir, built.err = os.MkdirTemp("", "licd-service-test"); built.err == nil {
			built.bin, built.err = bench.BuildLicd("../..", built.dir)
		}
	})
	if built.err != nil {
		t.Fatal(built.err)
	}
	return built.bin
}

func runLicd(t *testing.T, bin string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var o, e bytes.Buffer
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = &o, &e
	cmd.Env = append(os.Environ(), "LICD_CONFIG=")
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return o.String(), e.String(), ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return o.String(), e.String(), 0
}

// The configuration file a service uses names every setting licd has, as -print-config
// prints it: a flag added without the file being regenerated fails here. Regenerate with
// `go run ./cmd/licd -data /var/lib/licd -demo=false -print-config > cmd/licd/deploy/licd.toml`.
func TestShippedConfigListsEverySetting(t *testing.T) {
	bin := buildLicd(t)
	want, _, code := runLicd(t, bin, append(serviceConfigArgs, "-print-config")...)
	if code != 0 {
		t.Fatalf("-print-config: exit %d", code)
	}
	got, err := os.ReadFile("deploy/licd.toml")
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Errorf("deploy/licd.toml is not what licd %s -print-config prints; regenerate it:\n%s", strings.Join(serviceConfigArgs, " "), want)
	}

	// The file is read back as the same settings; a flag on the command line wins.
	out, errOut, code := runLicd(t, bin, "-config", "deploy/licd.toml", "-lm-port", "5", "-print-config")
	if code != 0 {
		t.Fatalf("-config: exit %d: %s", code, errOut)
	}
	for _, line := range []string{`data = "/var/lib/licd"`, "demo = false", "lm-port = 5"} {
		if !strings.Contains(out, "\n"+line+"\n") {
			t.Errorf("settings from the file and the command line lack %q:\n%s", line, out)
		}
	}
}

// A configuration file with a mistake stops licd before it does anything, saying which
// line and what to write instead.
func TestConfigFileMistakesAreNamed(t *testing.T) {
	bin := buildLicd(t)
	dir := t.TempDir()
	for _, c := range []struct{ name, text, want string }{
		{"unknown", "data = \"x\"\nlm_port = 27000\n", `line 2: no setting "lm_port"`},
		{"bad value", "lm-port = \"many\"\n", "line 1: lm-port = \"many\" is not a valid value"},
		{"syntax", "data = \n", "line 1:"},
		{"list", "lm-port = [1, 2]\n", "takes one value, not a list"},
		{"table", "[server]\nlm-port = 1\n", "is a table"},
	} {
		path := filepath.Join(dir, c.name+".toml")
		if err := os.WriteFile(path, []byte(c.text), 0o600); err != nil {
			t.Fatal(err)
		}
		_, errOut, code := runLicd(t, bin, "-config", path, "-data", filepath.Join(dir, "data"))
		if code != 2 || !strings.Contains(errOut, c.want) || !strings.Contains(errOut, path) {
			t.Errorf("%s: exit %d, want 2 and %q:\n%s", c.name, code, c.want, errOut)
		}
		if _, err := os.Stat(filepath.Join(dir, "data")); err == nil {
			t.Fatalf("%s: licd created its data directory despite a bad configuration", c.name)
		}
	}
}

// The shipped systemd unit is hardened as the issue asks, and its command line, run with the
// shipped configuration (only the paths and ports moved to the test's), starts licd, which
// tells the service manager READY=1 through NOTIFY_SOCKET once it serves and STOPPING=1 when
// it stops.
func TestSystemdUnitStartsLicd(t *testing.T) {
	unit, err := os.ReadFile("deploy/licd.service")
	if err != nil {
		t.Fatal(err)
	}
	keys := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(unit))
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), "="); ok && !strings.HasPrefix(k, "#") {
			keys[k] = v
		}
	}
	for k, v := range map[string]string{"Type": "notify", "Restart": "on-failure", "NoNewPrivileges": "yes", "ProtectSystem": "strict", "User": "licd"} {
		if keys[k] != v {
			t.Errorf("unit: %s=%q, want %q", k, keys[k], v)
		}
	}
	if n, _ := strconv.Atoi(keys["LimitNOFILE"]); n < 10000+1000 {
		t.Errorf("unit: LimitNOFILE=%q does not leave room for 10,000 products", keys["LimitNOFILE"])
	}
	argv := strings.Fields(keys["ExecStart"])
	if len(argv) != 3 || filepath.Base(argv[0]) != "licd" || argv[1] != "-config" {
		t.Fatalf("unit: ExecStart=%q, want licd -config FILE", keys["ExecStart"])
	}

	cfg, err := os.ReadFile("deploy/licd.toml")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	text := strings.Replace(string(cfg), `data = "/var/lib/licd"`, "data = "+strconv.Quote(data), 1)
	text += "\nlisten = \"127.0.0.1\"\nlm-port = -1\nvendor-port = -1\nhostname = \"service-host\"\n"
	cfgPath := filepath.Join(dir, "licd.toml")
	if err := os.WriteFile(cfgPath, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}

	sock := filepath.Join(dir, "notify.sock")
	l, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	notes := make(chan string, 8)
	go func() {
		buf := make([]byte, 4096)
		for {
			n, _, err := l.ReadFromUnix(buf)
			if err != nil {
				close(notes)
				return
			}
			notes <- string(buf[:n])
		}
	}()

	var out bytes.Buffer
	cmd := exec.Command(buildLicd(t), argv[1], cfgPath)
	cmd.Env = append(os.Environ(), "NOTIFY_SOCKET="+sock, "LICD_CONFIG=", "LICD_RUNTIME_DIR="+dir)
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill() }()
	var ready string
	select {
	case ready = <-notes:
	case <-time.After(60 * time.Second):
		t.Fatalf("no READY=1 from licd:\n%s", out.String())
	}
	m := regexp.MustCompile(`(?m)^READY=1\nMAINPID=(\d+)\nSTATUS=serving on ports (\d+) and (\d+)$`).FindStringSubmatch(ready)
	if m == nil || m[1] != strconv.Itoa(cmd.Process.Pid) {
		t.Fatalf("readiness %q, want READY=1 with licd's pid %d and its ports", ready, cmd.Process.Pid)
	}
	c, err := net.DialTimeout("tcp", "127.0.0.1:"+m[2], 5*time.Second)
	if err != nil {
		t.Fatalf("READY=1 said port %s serves, but: %v", m[2], err)
	}
	_ = c.Close()
	if _, err := os.Stat(filepath.Join(data, "MyFiles", "demo.lic")); err == nil {
		t.Error("the service configuration (demo = false) still installed the demo license")
	}

	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case s := <-notes:
		if s != "STOPPING=1" {
			t.Errorf("at SIGTERM licd said %q, want STOPPING=1", s)
		}
	case <-time.After(60 * time.Second):
		t.Fatalf("no STOPPING=1 from licd:\n%s", out.String())
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("licd did not stop cleanly: %v\n%s", err, out.String())
	}
}

func TestMain(m *testing.M) {
	code := m.Run()
	if built.dir != "" {
		_ = os.RemoveAll(built.dir)
	}
	os.Exit(code)
}
