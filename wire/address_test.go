package wire

import (
	"strings"
	"testing"
)

// "Universal arguments": -c takes port@host and @host; host:port and host are accepted too.
func TestParseAddressForms(t *testing.T) {
	for in, want := range map[string]string{
		"27000@licsrv":         "licsrv:27000",
		"7279@licsrv.corp.com": "licsrv.corp.com:7279",
		"@localhost":           "localhost:27000",
		"@10.0.0.5":            "10.0.0.5:27000",
		"licsrv:7279":          "licsrv:7279",
		"licsrv":               "licsrv:27000",
		"[::1]:7279":           "[::1]:7279",
		"::1":                  "[::1]:27000",
		"27000@[fe80::1]":      "[fe80::1]:27000",
		"  27000@licsrv ":      "licsrv:27000",
		"lic_srv-2":            "lic_srv-2:27000",
	} {
		got, err := ParseAddress(in)
		if err != nil || got != want {
			t.Errorf("ParseAddress(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

func TestParseAddressRejectsBadFormsClearly(t *testing.T) {
	for in, why := range map[string]string{
		"":             "empty",
		"abc@licsrv":   "not a number",
		"0@licsrv":     "not a number from 1 to 65535",
		"70000@licsrv": "65535",
		"27000@":       "no host",
		"1@2@3":        "more than one @",
		"licsrv:":      "port",
		":27000":       "no host",
		"lic srv":      "space",
		"lic/srv":      "not allowed",
		"a;b":          "separator",
	} {
		_, err := ParseAddress(in)
		if err == nil {
			t.Errorf("ParseAddress(%q) accepted", in)
			continue
		}
		if !strings.Contains(err.Error(), why) || !strings.Contains(err.Error(), "port@host") {
			t.Errorf("ParseAddress(%q) error %q does not say %q and the accepted forms", in, err, why)
		}
	}
}

func TestParseAddressListKeepsOrder(t *testing.T) {
	got, err := ParseAddressList("27000@a;@b,c:7279")
	if err != nil || strings.Join(got, " ") != "a:27000 b:27000 c:7279" {
		t.Fatalf("list = %v, %v", got, err)
	}
	if _, err := ParseAddressList(" ; "); err == nil {
		t.Fatal("empty list accepted")
	}
}
