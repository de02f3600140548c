package locate

import (
	"os"
	"path/filepath"
	"testing"
)

func envOf(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestWriteFindRemove(t *testing.T) {
	run := filepath.Join(t.TempDir(), "run")
	env := envOf(map[string]string{"LICD_RUNTIME_DIR": run})
	path, err := Write(Server{DataDir: "/srv/licd", LMPort: 27000, VendorPort: 7279, PID: 42}, env)
	if err != nil {
		t.Fatal(err)
	}
	if got := Find(env, []int{27000}); len(got) == 0 || got[0] != "/srv/licd" {
		t.Errorf("Find = %v, want /srv/licd first", got)
	}
	Remove(path, 43) // another licd's: kept
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("a locator of another process was removed: %v", err)
	}
	Remove(path, 42)
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatalf("the locator outlived its server: %v", err)
	}
}

// A runtime directory others can write (a /tmp name anyone could have taken first) is
// neither written nor believed.
func TestSharedDirectoryIsNotTrusted(t *testing.T) {
	run := filepath.Join(t.TempDir(), "run")
	if err := os.Mkdir(run, 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(run, 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(run, fileName), []byte(`{"data":"/attacker","lm":27000}`), 0o644); err != nil {
		t.Fatal(err)
	}
	env := envOf(map[string]string{"LICD_RUNTIME_DIR": run})
	for _, d := range Find(env, []int{27000}) {
		if d == "/attacker" {
			t.Fatal("a locator in a world-writable directory was believed")
		}
	}
	if _, err := Write(Server{DataDir: "/srv/licd", PID: 1}, env); err == nil {
		t.Fatal("licd wrote its locator into a world-writable directory")
	}
}

func TestConfigDataDir(t *testing.T) {
	p := filepath.Join(t.TempDir(), "licd.toml")
	if err := os.WriteFile(p, []byte("# data = \"/no\"\nlm-port = 1\ndata = \"/var/lib/licd\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if got := configDataDir(p); got != "/var/lib/licd" {
		t.Errorf("configDataDir = %q", got)
	}
}
