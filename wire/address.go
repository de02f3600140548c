package wire

import (
	"fmt"
	"net"
	"strconv"
	"strings"
)

// The manual's default ports.
const (
	DefaultLMPort     = 27000 // the license manager ("-c 27000@host")
	DefaultVendorPort = 7279  // "Citrix vendor daemon": "uses TCP/IP port 7279"
)

// ParseAddress turns a license-server address as administrators write it into host:port.
// Accepted forms ("Universal arguments", -c): "27000@host", "@host" (port 27000), "host:port",
// "[v6]:port", "host" and a bare IPv6 address (port 27000).
func ParseAddress(s string) (hostport string, err error) {
	orig := s
	s = strings.TrimSpace(s)
	bad := func(why string) (string, error) {
		return "", fmt.Errorf("wire: license server address %q: %s; write port@host (27000@licserver), @host, host:port or host", orig, why)
	}
	if s == "" {
		return bad("empty")
	}
	if strings.ContainsAny(s, " \t\r\n;,") {
		return bad("contains a space or separator; give one address at a time")
	}
	if at := strings.IndexByte(s, '@'); at >= 0 {
		portText, host := s[:at], s[at+1:]
		if strings.IndexByte(host, '@') >= 0 {
			return bad("more than one @")
		}
		port := DefaultLMPort
		if portText != "" {
			p, err := parsePort(portText)
			if err != nil {
				return bad(err.Error())
			}
			port = p
		}
		if host == "" {
			return bad("no host after @")
		}
		host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
		if err := checkHost(host); err != nil {
			return bad(err.Error())
		}
		return net.JoinHostPort(host, strconv.Itoa(port)), nil
	}
	if ip := net.ParseIP(s); ip != nil && strings.Contains(s, ":") {
		return net.JoinHostPort(s, strconv.Itoa(DefaultLMPort)), nil // bare IPv6
	}
	if strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]") {
		host := s[1 : len(s)-1]
		if net.ParseIP(host) == nil {
			return bad("not an IPv6 address in brackets")
		}
		return net.JoinHostPort(host, strconv.Itoa(DefaultLMPort)), nil
	}
	if strings.Contains(s, ":") {
		host, portText, err := net.SplitHostPort(s)
		if err != nil {
			return bad("not host:port")
		}
		port, err := parsePort(portText)
		if err != nil {
			return bad(err.Error())
		}
		if host == "" {
			return bad("no host before the port")
		}
		if err := checkHost(host); err != nil {
			return bad(err.Error())
		}
		return net.JoinHostPort(host, strconv.Itoa(port)), nil
	}
	if err := checkHost(s); err != nil {
		return bad(err.Error())
	}
	return net.JoinHostPort(s, strconv.Itoa(DefaultLMPort)), nil
}

// ParseAddressList parses several addresses separated by ';' or ',' (a -c list) in order.
func ParseAddressList(s string) ([]string, error) {
	var out []string
	for _, part := range strings.FieldsFunc(s, func(r rune) bool { return r == ';' || r == ',' }) {
		a, err := ParseAddress(part)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("wire: license server address list %q is empty; write port@host (27000@licserver)", s)
	}
	return out, nil
}

func parsePort(s string) (int, error) {
	p, err := strconv.Atoi(s)
	if err != nil || p < 1 || p > 65535 {
		return 0, fmt.Errorf("port %q is not a number from 1 to 65535", s)
	}
	return p, nil
}

func checkHost(h string) error {
	if net.ParseIP(h) != nil {
		return nil
	}
	if len(h) > 253 {
		return fmt.Errorf("host name longer than 253 characters")
	}
	for _, r := range h {
		ok := r == '-' || r == '.' || r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z'
		if !ok {
			return fmt.Errorf("host %q has the character %q, not allowed in a host name", h, r)
		}
	}
	return nil
}
