package main

import (
	"fmt"
	"io"
	"path/filepath"

	"github.com/licd/licd/license"
)

func keygen(args []string, stdout io.Writer) error {
	fs := newFlags("keygen")
	out := fs.String("out", "", "directory for vendor.key and vendor.pub")
	rest, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usagef("unexpected argument %q", rest[0])
	}
	if *out == "" {
		return usagef("-out is required: give the directory for vendor.key and vendor.pub, e.g. -out keys")
	}
	pub, priv, err := license.GenerateKey()
	if err != nil {
		return err
	}
	if err := license.WriteKeyPair(*out, pub, priv); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s (keep it secret) and %s (give it to licd)\n",
		filepath.Join(*out, license.PrivateKeyFile), filepath.Join(*out, license.PublicKeyFile))
	return nil
}
