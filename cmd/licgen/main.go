// Command licgen is the vendor's side of licd's license files: it makes Ed25519 key pairs,
// issues signed license files, signs hand-written ones, verifies signatures and shows the
// parsed structure of any FLEXlm-style license file. Run `licgen -help` for the commands.
package main

import (
	"os"
	"time"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// clock is the time licgen issues licenses at; tests replace it.
var clock = time.Now
