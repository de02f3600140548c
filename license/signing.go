package license

import (
	"bytes"
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// The reasons a line does not verify. VerifyLine wraps them with the line's place and what to
// do; test for them with errors.Is.
var (
	ErrUnsigned           = errors.New("the line has no SIGN= attribute")
	ErrMalformedSignature = errors.New("the SIGN= value is not an Ed25519 signature (128 hex digits)")
	ErrBadSignature       = errors.New("the signature does not match the line: it was changed after signing, or signed with another key")
	ErrNoPublicKey        = errors.New("no vendor public key is configured")
)

// canonicalHeader versions the canonical form; a new form gets a new header.
const canonicalHeader = "licd-license-v1\n"

// CanonicalForm returns the bytes a line's signature covers (documented in SIGNING.md):
// a header, then one line each for keyword, feature, vendor, version, expiry ("permanent" or
// dd-mmm-yyyy) and count ("uncounted" or the number), then every attribute in file order
// except SIGN, as KEY<TAB>VALUE. SUPERSEDE_SIGN is signed content like any attribute.
// Values are exact but their whitespace runs are single spaces (as the parser stores
// them), so re-wrapping a line or changing its indentation keeps its signature valid, while
// changing any value, attribute name, or the order of attributes breaks it.
func CanonicalForm(l *Line) []byte {
	var b bytes.Buffer
	b.Grow(256)
	b.WriteString(canonicalHeader)
	for _, f := range [...]string{
		strings.ToUpper(l.Keyword), l.Feature, l.Vendor, l.Version,
		formatExpiry(l.Expiry, l.Permanent), formatCount(l),
	} {
		b.WriteString(collapseSpace(f))
		b.WriteByte('\n')
	}
	for _, a := range l.Attrs {
		if equalFoldASCII(a.Key, "SIGN") {
			continue
		}
		b.WriteString(collapseSpace(a.Key))
		b.WriteByte('\t')
		b.WriteString(collapseSpace(a.Value))
		b.WriteByte('\n')
	}
	return b.Bytes()
}

func formatCount(l *Line) string {
	if l.Uncounted {
		return "uncounted"
	}
	return strconv.Itoa(l.Count)
}

// SignLine signs a line and returns the signature the way the manual writes one: upper-case
// hex in groups of four separated by spaces ("SIGN="0885 F320 ..."). Set it as l.Sign and
// write the line with FormatLine.
func SignLine(priv ed25519.PrivateKey, l *Line) string {
	sig := ed25519.Sign(priv, CanonicalForm(l))
	return NormalizeSign(hex.EncodeToString(sig))
}

// VerifyLine checks a line's SIGN= against the vendor's public keys; any key may match (so a
// vendor can rotate keys). The error wraps ErrUnsigned, ErrMalformedSignature,
// ErrBadSignature or ErrNoPublicKey and says where the line is and what to do.
func VerifyLine(keys []ed25519.PublicKey, l *Line) error {
	where := fmt.Sprintf("%s:%d: %s", l.File, l.LineNo, l.Feature)
	if l.Sign == "" {
		return fmt.Errorf("%s: %w; sign the file with `licgen sign -key vendor.key` or get a signed file from the vendor", where, ErrUnsigned)
	}
	sig, err := hex.DecodeString(strings.ReplaceAll(l.Sign, " ", ""))
	if err != nil || len(sig) != ed25519.SignatureSize {
		return fmt.Errorf("%s: %w; got %q; the line was signed by another licensing system or damaged, get a licd-signed file from the vendor", where, ErrMalformedSignature, abbreviate(l.Sign, 40))
	}
	if len(keys) == 0 {
		return fmt.Errorf("%s: %w; configure the vendor's public key (vendor.pub)", where, ErrNoPublicKey)
	}
	msg := CanonicalForm(l)
	for _, k := range keys {
		if len(k) == ed25519.PublicKeySize && ed25519.Verify(k, msg, sig) {
			return nil
		}
	}
	return fmt.Errorf("%s: %w; do not edit license files (\"License file format\"), download the file again", where, ErrBadSignature)
}

func abbreviate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
