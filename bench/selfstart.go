package bench

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/licd/licd/license"
)

// benchHost is the host name a self-started licd serves as and its licenses are bound to.
const benchHost = "licbench"

// startOwnServer starts licd on a fresh data directory under workDir with the scenario's
// licenses, signed by a key made for the run and trusted with -trust.
func startOwnServer(ctx context.Context, binary, workDir string, sc *Scenario, p Params, extra []string) (*Server, string, error) {
	dir, err := os.MkdirTemp(workDir, "licbench-"+sc.Name+"-*")
	if err != nil {
		return nil, "", fmt.Errorf("make the server's data directory in %s: %w (choose another with -workdir)", workDir, err)
	}
	fail := func(err error) (*Server, string, error) {
		_ = os.RemoveAll(dir)
		return nil, "", err
	}
	pub, priv, err := license.GenerateKey()
	if err != nil {
		return fail(err)
	}
	keys := filepath.Join(dir, "bench-keys")
	if err := license.WriteKeyPair(keys, pub, priv); err != nil {
		return fail(err)
	}
	text, err := license.IssueFile(license.IssueSpec{HostName: benchHost, Lines: licenseLines(sc, p)}, priv)
	if err != nil {
		return fail(fmt.Errorf("issue the %s licenses: %w", sc.Name, err))
	}
	data := filepath.Join(dir, "data")
	if err := os.MkdirAll(filepath.Join(data, "MyFiles"), 0o755); err != nil {
		return fail(err)
	}
	if err := os.WriteFile(filepath.Join(data, "MyFiles", "bench.lic"), []byte(text), 0o644); err != nil {
		return fail(err)
	}
	args := []string{"-heartbeat", p.Heartbeat.String()}
	if sc.ServerArgs != nil {
		args = append(args, sc.ServerArgs(p)...)
	}
	args = append(args, extra...)
	sctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	s, err := StartServer(sctx, ServerOptions{Binary: binary, DataDir: data, Hostname: benchHost,
		Trust: []string{filepath.Join(keys, license.PublicKeyFile)}, Args: args})
	if err != nil {
		return fail(err)
	}
	return s, dir, nil
}
