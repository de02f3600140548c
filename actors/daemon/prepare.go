package daemon

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/licd/licd/license"
)

// Files of a data directory.
const (
	TokenFile   = "admin.token"
	KeysDir     = "keys"
	StartupFile = "citrix_startup.lic"
	DemoFile    = "demo.lic"
)

// PrepareOptions says where a data directory is and whether to add the demo licenses.
type PrepareOptions struct {
	DataDir, LicenseDir, Hostname string
	// Demo adds demo.lic: an evaluation license for one sample product in each model.
	Demo bool
	// OptionsFile is where the options file is (default LicenseDir/CITRIX.opt); on first
	// start a commented template is written there when there is none.
	OptionsFile string
	Now         time.Time
}

// Layout is what Prepare found or created, for licd to print.
type Layout struct {
	DataDir, LicenseDir, Hostname string
	PublicKey, PrivateKey         string
	Token                         string
	TokenPath                     string
	Created                       []string
	// Warnings are what Prepare fixed that an administrator should know about (a data
	// directory or admin token others could read).
	Warnings []string
}

// Prepare makes a data directory ready: the vendor key pair (a demo key for licenses this
// server issues to itself), the admin token utilities present for local admin requests, the
// license directory with the built-in start-up licenses ("Citrix Start-up license", "Citrix
// License Server Diagnostics License") and, on request, the demo license file. Existing
// files are never overwritten.
func Prepare(o PrepareOptions) (Layout, error) {
	lay := Layout{DataDir: o.DataDir, LicenseDir: o.LicenseDir, Hostname: o.Hostname}
	if lay.LicenseDir == "" {
		lay.LicenseDir = filepath.Join(o.DataDir, "MyFiles")
	}
	if lay.Hostname == "" {
		h, err := os.Hostname()
		if err != nil {
			return lay, fmt.Errorf("find this machine's host name: %w (pass -hostname)", err)
		}
		lay.Hostname = h
	}
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	// The data directory holds the store and CITRIX.log (user and device names), the keys
	// and the admin token: only licd's account may read it, whatever the umask; one an
	// earlier licd left open is closed.
	for _, dir := range []string{o.DataDir, filepath.Join(o.DataDir, KeysDir)} {
		if err := privateDir(dir, &lay); err != nil {
			return lay, err
		}
	}
	if err := os.MkdirAll(lay.LicenseDir, 0o755); err != nil {
		return lay, fmt.Errorf("create %s: %w", lay.LicenseDir, err)
	}
	keyDir := filepath.Join(o.DataDir, KeysDir)
	lay.PublicKey, lay.PrivateKey = filepath.Join(keyDir, "vendor.pub"), filepath.Join(keyDir, "vendor.key")
	if _, err := os.Stat(lay.PrivateKey); errors.Is(err, os.ErrNotExist) {
		pub, priv, err := license.GenerateKey()
		if err != nil {
			return lay, err
		}
		if err := license.WriteKeyPair(keyDir, pub, priv); err != nil {
			return lay, fmt.Errorf("write the demo vendor key: %w", err)
		}
		lay.Created = append(lay.Created, lay.PrivateKey, lay.PublicKey)
	}
	lay.TokenPath = filepath.Join(o.DataDir, TokenFile)
	tok, err := os.ReadFile(lay.TokenPath)
	if errors.Is(err, os.ErrNotExist) {
		b := make([]byte, 24)
		if _, err := rand.Read(b); err != nil {
			return lay, err
		}
		tok = []byte(hex.EncodeToString(b))
		if err := os.WriteFile(lay.TokenPath, append(tok, '\n'), 0o600); err != nil {
			return lay, fmt.Errorf("write the admin token: %w", err)
		}
		lay.Created = append(lay.Created, lay.TokenPath)
	} else if err != nil {
		return lay, fmt.Errorf("read the admin token: %w", err)
	} else if err := privateFile(lay.TokenPath, &lay); err != nil {
		return lay, err
	}
	lay.Token = strings.TrimSpace(string(tok))

	priv, err := license.ReadPrivateKey(lay.PrivateKey)
	if err != nil {
		return lay, err
	}
	startup := filepath.Join(lay.LicenseDir, StartupFile)
	if _, err := os.Stat(startup); errors.Is(err, os.ErrNotExist) {
		text, err := license.StartupLicenseFile(lay.Hostname, priv)
		if err != nil {
			return lay, err
		}
		if err := os.WriteFile(startup, []byte(text), 0o644); err != nil {
			return lay, fmt.Errorf("write the start-up license: %w", err)
		}
		lay.Created = append(lay.Created, startup)
		// First start: a commented options file, as the manual's install leaves one, listing
		// every keyword licd acts on (license.OptionsTemplate). Never again: an administrator
		// who deletes it means it.
		opt := o.OptionsFile
		if opt == "" {
			opt = filepath.Join(lay.LicenseDir, "CITRIX.opt")
		}
		if _, err := os.Stat(opt); errors.Is(err, os.ErrNotExist) {
			if err := os.WriteFile(opt, []byte(license.OptionsTemplate), 0o644); err != nil {
				return lay, fmt.Errorf("write the options file template: %w", err)
			}
			lay.Created = append(lay.Created, opt)
		}
	}
	if o.Demo {
		demo := filepath.Join(lay.LicenseDir, DemoFile)
		if _, err := os.Stat(demo); errors.Is(err, os.ErrNotExist) {
			text, err := demoLicense(lay.Hostname, priv, o.Now)
			if err != nil {
				return lay, err
			}
			if err := os.WriteFile(demo, []byte(text), 0o644); err != nil {
				return lay, fmt.Errorf("write the demo license: %w", err)
			}
			lay.Created = append(lay.Created, demo)
		}
	}
	return lay, nil
}

// demoLicense is an evaluation license for one sample product in each model: Citrix
// Virtual Apps and Desktops Premium concurrent (XDT_PLT_CCS) and user/device (XDT_PLT_UD),
// expiring 90 days from now ("Evaluation licenses").
func demoLicense(host string, priv []byte, now time.Time) (string, error) {
	exp := now.AddDate(0, 0, 90).UTC().Truncate(24 * time.Hour)
	css := license.CSSDate(uint32(exp.Year()*10000 + int(exp.Month())*100 + exp.Day()))
	spec := license.IssueSpec{HostName: host, Lines: []license.LineSpec{
		{Feature: "XDT_PLT_CCS", Count: 100, CSS: css, Expiry: exp, Overdraft: -1,
			VendorString: ";LT=Eval;GP=720;CL=VDS,VDA,VDE,VDP;SA=0;ODP=0", Notice: "licd demo evaluation", SN: "DEMO-CCS", Issued: now.UTC().Truncate(24 * time.Hour), DupGroup: "V"},
		{Feature: "XDT_PLT_UD", Count: 100, CSS: css, Expiry: exp, Overdraft: -1,
			VendorString: ";LT=Eval;GP=720;CL=VDS,VDA,VDE,VDP;SA=0;ODP=0", Notice: "licd demo evaluation", SN: "DEMO-UD", Issued: now.UTC().Truncate(24 * time.Hour), DupGroup: "V"},
	}}
	return license.IssueFile(spec, priv)
}

// privateDir creates dir 0700, or makes an existing one 0700 with a warning.
func privateDir(dir string, lay *Layout) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	return privateFile(dir, lay)
}

// privateFile takes away group and other access to path (a file 0600, a directory 0700),
// with a warning, when it has any: an admin.token anyone can read lets anyone run lmdown
// and the other admin requests.
func privateFile(path string, lay *Layout) error {
	fi, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("check the mode of %s: %w", path, err)
	}
	if fi.Mode().Perm()&0o077 == 0 {
		return nil
	}
	want := os.FileMode(0o600)
	if fi.IsDir() {
		want = 0o700
	}
	if err := os.Chmod(path, want); err != nil {
		return fmt.Errorf("%s is readable by other users (mode %v) and cannot be made private: %w; run chmod %o %s", path, fi.Mode().Perm(), err, want, path)
	}
	lay.Warnings = append(lay.Warnings, fmt.Sprintf("%s was accessible to other users (mode %v); made it %v", path, fi.Mode().Perm(), want))
	return nil
}
