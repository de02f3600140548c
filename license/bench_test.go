package license

import (
	"bytes"
	"crypto/ed25519"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// tenThousandIncrements is a license file with 10,000 INCREMENT lines shaped like the
// manual's (three physical lines each, quoted NOTICE and a 32-group signature).
func tenThousandIncrements() []byte {
	var b bytes.Buffer
	b.WriteString("SERVER this_host HOSTNAME=licsrv\nVENDOR CITRIX\nUSE_SERVER\n")
	sign := "0885 F320 0AE2 EE72 68A4 92FC 86C2 3648 A2CF 346D A88F BD44 D790 1830 7535 553C " +
		"B774 DE8C 1F5D A5D3 D5F6 D078 217B B05D A14C 2893 7756 ACF5 0885 F320 0AE2 EE72"
	for i := 0; i < 10000; i++ {
		fmt.Fprintf(&b, "INCREMENT XDT_P%04d_UD CITRIX 2022.1201 01-dec-2030 %d \\\n"+
			"\tVENDOR_STRING=;LT=Retail;GP=720;CL=VDS,VDA;SA=0;ODP=0 OVERDRAFT=10 DUP_GROUP=V \\\n"+
			"\tISSUED=18-dec-2022 NOTICE=\"Citrix Systems Inc.\" SN=LA-%d SIGN=\"%s\"\n", i, 100+i, i, sign)
	}
	return b.Bytes()
}

// BenchmarkParse10kIncrements: parsing a file of 10,000 INCREMENT lines (target: well under
// one second per file).
func BenchmarkParse10kIncrements(b *testing.B) {
	data := tenThousandIncrements()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		f := parseBytes("bench.lic", data)
		if len(f.Lines) != 10000 || len(f.Errors) != 0 {
			b.Fatalf("%d lines, %d errors", len(f.Lines), len(f.Errors))
		}
	}
}

// BenchmarkVerifyLine: one Ed25519 verification of a line (the cost per line of a reread).
func BenchmarkVerifyLine(b *testing.B) {
	pub, priv := testKey(1)
	f := parseBytes("bench.lic", tenThousandIncrements()[:2000])
	l := f.Lines[0]
	l.Sign = SignLine(priv, l)
	for b.Loop() {
		if err := VerifyLine([]ed25519.PublicKey{pub}, l); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLoad10kSigned: loading a directory with one file of 10,000 signed INCREMENT lines
// (parse, verify every signature, pool), what a reread of such a server costs.
func BenchmarkLoad10kSigned(b *testing.B) {
	pub, priv := testKey(1)
	f := parseBytes("bench.lic", tenThousandIncrements())
	var text strings.Builder
	text.WriteString("SERVER this_host HOSTNAME=licsrv\nVENDOR CITRIX\n")
	for _, l := range f.Lines {
		l.Sign = SignLine(priv, l)
		text.WriteString(FormatLine(l) + "\n")
	}
	dir := b.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "big.lic"), []byte(text.String()), 0o644); err != nil {
		b.Fatal(err)
	}
	opt := LoadOptions{Host: HostIdentity{Hostname: "licsrv"}, Keys: []ed25519.PublicKey{pub}, Now: time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC)}
	for b.Loop() {
		inv, err := LoadDir(dir, opt)
		if err != nil || len(inv.Pools) != 10000 {
			b.Fatalf("%v: %d pools, rejected %v", err, len(inv.Pools), len(inv.Rejected))
		}
	}
}
