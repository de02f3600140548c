package license

import (
	"crypto/ed25519"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// testKey is a fixed key so that test output is reproducible.
func testKey(seed byte) (ed25519.PublicKey, ed25519.PrivateKey) {
	priv := ed25519.NewKeyFromSeed(bytesOf(seed, ed25519.SeedSize))
	return priv.Public().(ed25519.PublicKey), priv
}

func bytesOf(b byte, n int) []byte {
	s := make([]byte, n)
	for i := range s {
		s[i] = b
	}
	return s
}

// signText parses text holding one line, signs it and returns the formatted signed line.
func signText(t *testing.T, priv ed25519.PrivateKey, text string) string {
	t.Helper()
	f := mustParse(t, text)
	if len(f.Errors) > 0 || len(f.Lines) != 1 {
		t.Fatalf("parse %q: %d lines, %v", text, len(f.Lines), f.Errors)
	}
	l := f.Lines[0]
	l.Sign = SignLine(priv, l)
	return FormatLine(l)
}

func parseOne(t *testing.T, text string) *Line {
	t.Helper()
	f := mustParse(t, text)
	if len(f.Errors) > 0 || len(f.Lines) != 1 {
		t.Fatalf("parse %q: %d lines, %v", text, len(f.Lines), f.Errors)
	}
	return f.Lines[0]
}

const manualLine = `INCREMENT XDT_PLT_CCS CITRIX 2022.1201 01-dec-2022 5 \
  VENDOR_STRING=;LT=RetailS;GP=720;PSL=10;CL=VDS,VDA,VDE,VDP,SaaS;SA=0;ODP=0 \
  OVERDRAFT=1 DUP_GROUP=V ISSUED=18-dec-2005 NOTICE="Citrix \
  Systems Inc." SN=RetailSSaaS SUPERSEDE_SIGN={"XDT_PLT_CCS:0A0B 0C0D"}`

// TestSignatureSurvivesRewrapping: "All this information is encrypted using a digital
// signature" ("License file"); how the line is wrapped and indented is not information.
func TestSignatureSurvivesRewrapping(t *testing.T) {
	pub, priv := testKey(1)
	signed := signText(t, priv, manualLine)
	l := parseOne(t, signed)
	if err := VerifyLine([]ed25519.PublicKey{pub}, l); err != nil {
		t.Fatalf("freshly signed line does not verify: %v\n%s", err, signed)
	}
	if n := len(strings.Fields(l.Sign)); n != 32 {
		t.Errorf("signature has %d groups of 4 hex digits, want 32: %q", n, l.Sign)
	}
	oneLine := strings.Join(strings.Fields(strings.ReplaceAll(signed, "\\\n", " ")), " ")
	variants := map[string]string{
		"one physical line":       oneLine,
		"CRLF line ends":          strings.ReplaceAll(signed, "\n", "\r\n"),
		"spaces instead of tabs":  strings.ReplaceAll(signed, "\t", "    "),
		"wrapped after each word": strings.ReplaceAll(oneLine, " ", " \\\n  "),
		"signature re-grouped":    strings.Replace(oneLine, `SIGN="`, `SIGN="  `, 1),
		"signature lower case":    strings.Replace(oneLine, l.Sign, strings.ToLower(l.Sign), 1),
		"extra blanks in NOTICE":  strings.Replace(oneLine, `"Citrix Systems Inc."`, `"Citrix   Systems  Inc. "`, 1),
		"unquoted plain value":    strings.Replace(oneLine, `DUP_GROUP=V`, `DUP_GROUP="V"`, 1),
		"trailing comment":        oneLine + " # downloaded 2022",
	}
	for name, text := range variants {
		if text == signed || (text == oneLine && name != "one physical line") {
			t.Fatalf("%s: variant did not change the text", name)
		}
		if err := VerifyLine([]ed25519.PublicKey{pub}, parseOne(t, text)); err != nil {
			t.Errorf("%s: signature no longer verifies: %v\n%s", name, err, text)
		}
	}
}

// TestAnyValueChangeBreaksSignature: every field and attribute is signed content.
func TestAnyValueChangeBreaksSignature(t *testing.T) {
	pub, priv := testKey(1)
	oneLine := strings.Join(strings.Fields(strings.ReplaceAll(signText(t, priv, manualLine), "\\\n", " ")), " ")
	changes := [][2]string{
		{"XDT_PLT_CCS CITRIX", "XDT_ENT_CCS CITRIX"},
		{"INCREMENT", "FEATURE"},
		{" CITRIX ", " CITRIY "},
		{"2022.1201", "2023.1201"},
		{"01-dec-2022", "01-dec-2032"},
		{"01-dec-2022", "permanent"},
		{" 5 ", " 50 "},
		{" 5 ", " uncounted "},
		{"GP=720", "GP=721"},
		{"OVERDRAFT=1", "OVERDRAFT=100"},
		{"DUP_GROUP=V", "DUP_GROUP=W"},
		{"ISSUED=18-dec-2005", "ISSUED=18-dec-2006"},
		{"Citrix Systems Inc.", "Citrix Systems Inc"},
		{"SN=RetailSSaaS", "SN=RetailSSaaT"},
		{"XDT_PLT_CCS:0A0B 0C0D", "XDT_PLT_CCS:0A0B 0C0E"}, // SUPERSEDE_SIGN is signed content
		{"OVERDRAFT=1 ", "OVERDRAFT=1 START=01-jan-2030 "},
		{"OVERDRAFT=1 ", ""},
		{"OVERDRAFT=1 DUP_GROUP=V", "DUP_GROUP=V OVERDRAFT=1"},
		{"DUP_GROUP=V", "dup_group=V"},
	}
	for _, c := range changes {
		text := strings.Replace(oneLine, c[0], c[1], 1)
		if text == oneLine {
			t.Fatalf("change %q did not apply", c)
		}
		err := VerifyLine([]ed25519.PublicKey{pub}, parseOne(t, text))
		if !errors.Is(err, ErrBadSignature) {
			t.Errorf("changing %q to %q: got %v, want ErrBadSignature", c[0], c[1], err)
		}
	}
}

func TestVerifyErrors(t *testing.T) {
	pub, priv := testKey(1)
	other, _ := testKey(2)
	signed := parseOne(t, signText(t, priv, manualLine))
	unsigned := parseOne(t, manualLine)
	flex := parseOne(t, manualLine+` SIGN="1B19 C213 7517 CC62 756F 864C 9C93 06FC E1DE B5D5 D793"`)
	placeholder := parseOne(t, manualLine+` SIGN="..."`)
	tests := []struct {
		name string
		keys []ed25519.PublicKey
		l    *Line
		want error
	}{
		{"good", []ed25519.PublicKey{pub}, signed, nil},
		{"second key matches (rotation)", []ed25519.PublicKey{other, pub}, signed, nil},
		{"other key", []ed25519.PublicKey{other}, signed, ErrBadSignature},
		{"unsigned", []ed25519.PublicKey{pub}, unsigned, ErrUnsigned},
		{"FlexNet signature", []ed25519.PublicKey{pub}, flex, ErrMalformedSignature},
		{"placeholder", []ed25519.PublicKey{pub}, placeholder, ErrMalformedSignature},
		{"no keys", nil, signed, ErrNoPublicKey},
	}
	for _, tt := range tests {
		err := VerifyLine(tt.keys, tt.l)
		if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
			t.Errorf("%s: got %v, want %v", tt.name, err, tt.want)
		}
		if err != nil && !strings.HasPrefix(err.Error(), "test.lic:1: XDT_PLT_CCS: ") {
			t.Errorf("%s: error does not say where: %v", tt.name, err)
		}
	}
}

func TestFormatLineWraps(t *testing.T) {
	_, priv := testKey(1)
	signed := signText(t, priv, manualLine)
	for i, line := range strings.Split(signed, "\n") {
		if len(strings.TrimLeft(line, "\t")) > formatWidth {
			t.Errorf("physical line %d is %d long: %q", i+1, len(line), line)
		}
		if i > 0 && !strings.HasPrefix(line, "\t") {
			t.Errorf("continuation line %d is not indented: %q", i+1, line)
		}
	}
	if !strings.HasPrefix(signed, "INCREMENT XDT_PLT_CCS CITRIX 2022.1201 01-dec-2022 5 ") {
		t.Errorf("first line: %q", signed)
	}
	if !strings.Contains(signed, `SUPERSEDE_SIGN={"XDT_PLT_CCS:0A0B 0C0D"}`) {
		t.Errorf("SUPERSEDE_SIGN not written in braces:\n%s", signed)
	}
}

func TestKeyFiles(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "keys")
	pub, priv, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	if err := WriteKeyPair(dir, pub, priv); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(filepath.Join(dir, PrivateKeyFile))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("vendor.key mode: %v %v", st.Mode(), err)
	}
	gotPriv, err := ReadPrivateKey(filepath.Join(dir, PrivateKeyFile))
	if err != nil || !gotPriv.Equal(priv) {
		t.Fatalf("ReadPrivateKey: %v", err)
	}
	gotPub, err := ReadPublicKey(filepath.Join(dir, PublicKeyFile))
	if err != nil || !gotPub.Equal(pub) {
		t.Fatalf("ReadPublicKey: %v", err)
	}
	if err := WriteKeyPair(dir, pub, priv); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Errorf("overwriting a key: %v", err)
	}
	// two keys in one file, and files given together
	both := filepath.Join(t.TempDir(), "both.pub")
	a, _ := os.ReadFile(filepath.Join(dir, PublicKeyFile))
	dir2 := filepath.Join(t.TempDir(), "k2")
	pub2, priv2, _ := GenerateKey()
	if err := WriteKeyPair(dir2, pub2, priv2); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(filepath.Join(dir2, PublicKeyFile))
	os.WriteFile(both, append(a, b...), 0o644)
	keys, err := ReadPublicKeys(both, filepath.Join(dir2, PublicKeyFile))
	if err != nil || len(keys) != 3 || !keys[1].Equal(pub2) {
		t.Errorf("ReadPublicKeys: %d keys, %v", len(keys), err)
	}
	// wrong files say what to give instead
	if _, err := ReadPublicKeys(filepath.Join(dir, PrivateKeyFile)); err == nil || !strings.Contains(err.Error(), "vendor.pub") {
		t.Errorf("private key as public: %v", err)
	}
	if _, err := ReadPrivateKey(filepath.Join(dir, PublicKeyFile)); err == nil || !strings.Contains(err.Error(), "vendor.key") {
		t.Errorf("public key as private: %v", err)
	}
	if _, err := ReadPrivateKey(filepath.Join(dir, "missing")); err == nil {
		t.Error("missing file read")
	}
}

// TestOpenSSLKeys: keys made by OpenSSL work (SIGNING.md promises the standard encodings).
func TestOpenSSLKeys(t *testing.T) {
	priv, err := ReadPrivateKey(filepath.Join("testdata", "keys", "openssl_ed25519.key"))
	if err != nil {
		t.Fatal(err)
	}
	pub, err := ReadPublicKey(filepath.Join("testdata", "keys", "openssl_ed25519.pub"))
	if err != nil {
		t.Fatal(err)
	}
	if !pub.Equal(priv.Public()) {
		t.Fatal("the OpenSSL public key is not the private key's")
	}
	l := parseOne(t, signText(t, priv, manualLine))
	if err := VerifyLine([]ed25519.PublicKey{pub}, l); err != nil {
		t.Error(err)
	}
}
