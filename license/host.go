package license

import (
	"fmt"
	"net"
	"os"
	"slices"
	"strings"
)

// HostIdentity is what a license file can be bound to on this machine ("SERVER Line": "the
// binding identifier (also known as the host name) of the License Server"; "ether: The MAC
// address of the appliance on which the License Server is running").
type HostIdentity struct {
	Hostname string
	// MACs are normalised like NormalizeMAC: 12 lower-case hex digits without separators
	// ("0123456789ab"), sorted, without duplicates.
	MACs []string
}

// ThisHost returns the host name and the MAC addresses of this machine's interfaces
// (loopback and interfaces without a 6-byte hardware address are skipped).
func ThisHost() (HostIdentity, error) {
	name, err := os.Hostname()
	if err != nil {
		return HostIdentity{}, fmt.Errorf("read this machine's host name: %w", err)
	}
	ifaces, err := net.Interfaces()
	if err != nil {
		return HostIdentity{}, fmt.Errorf("list this machine's network interfaces for its MAC addresses: %w", err)
	}
	h := HostIdentity{Hostname: name}
	for _, ifc := range ifaces {
		if ifc.Flags&net.FlagLoopback != 0 || len(ifc.HardwareAddr) != 6 {
			continue
		}
		if mac, ok := NormalizeMAC(ifc.HardwareAddr.String()); ok && mac != "000000000000" {
			h.MACs = append(h.MACs, mac)
		}
	}
	slices.Sort(h.MACs)
	h.MACs = slices.Compact(h.MACs)
	return h, nil
}

// NormalizeMAC accepts a MAC address as 12 hex digits, optionally separated into pairs by
// ":" or "-" ("00:1A:2b:3c:4d:5e", "00-1a-2b-3c-4d-5e", "001a2b3c4d5e"), and returns it as 12
// lower-case hex digits, the form FLEXlm writes an ether host ID in.
func NormalizeMAC(s string) (string, bool) {
	if len(s) == 17 {
		sep := s[2]
		if sep != ':' && sep != '-' {
			return "", false
		}
		var b strings.Builder
		for i := 0; i < 17; i++ {
			if i%3 == 2 {
				if s[i] != sep {
					return "", false
				}
				continue
			}
			b.WriteByte(s[i])
		}
		s = b.String()
	}
	if len(s) != 12 {
		return "", false
	}
	s = strings.ToLower(s)
	for i := 0; i < 12; i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return "", false
		}
	}
	return s, true
}

// Matches reports whether a SERVER line binds its file to this host, and why not when it does
// not. The binding is the SERVER line's host ID:
//   - HOSTNAME=name matches this machine's host name, compared case-sensitively, as written;
//   - a MAC address ("ether") matches any MAC address of this machine;
//   - ANY (FLEXlm's "any host"; Citrix files never use it) matches every host.
//
// The first field ("this_host" in Citrix files, or a host name in other vendors' files) only
// tells clients where to find the server and is not checked: "this_host" means whatever host
// reads the file.
func (h HostIdentity) Matches(s ServerLine) (bool, string) {
	switch {
	case strings.EqualFold(s.HostID, "ANY"):
		return true, ""
	case s.HostName != "":
		if s.HostName == h.Hostname {
			return true, ""
		}
		return false, fmt.Sprintf("the SERVER line binds the file to host name %q but this license server's host name is %q (compared case-sensitively); "+
			"get a license file allocated to %q, or run licd on %q", s.HostName, h.Hostname, h.Hostname, s.HostName)
	case s.Ether != "":
		if slices.Contains(h.MACs, s.Ether) {
			return true, ""
		}
		return false, fmt.Sprintf("the SERVER line binds the file to MAC address %s, which is not one of this machine's (%s); "+
			"get a license file allocated to one of this machine's MAC addresses", s.Ether, h.macList())
	default:
		return false, fmt.Sprintf("the SERVER line's host ID %q is not one licd can check (HOSTNAME=name, a MAC address, or ANY); "+
			"get a license file bound to this server's host name %q", s.HostID, h.Hostname)
	}
}

// matchesHostIDAttr checks a HOSTID= attribute of a line: a space-separated list of host IDs,
// any of which may match.
func (h HostIdentity) matchesHostIDAttr(v string) (bool, string) {
	var reasons []string
	for _, id := range strings.Fields(v) {
		s := ServerLine{HostID: id}
		if k, name, ok := strings.Cut(id, "="); ok && strings.EqualFold(k, "HOSTNAME") {
			s.HostName = name
		} else if mac, ok := NormalizeMAC(id); ok {
			s.Ether = mac
		}
		ok, why := h.Matches(s)
		if ok {
			return true, ""
		}
		reasons = append(reasons, why)
	}
	if len(reasons) == 0 {
		return false, "HOSTID= is empty"
	}
	return false, strings.ReplaceAll(strings.Join(reasons, "; or "), "SERVER line", "HOSTID attribute")
}

func (h HostIdentity) macList() string {
	if len(h.MACs) == 0 {
		return "none found"
	}
	return strings.Join(h.MACs, ", ")
}
