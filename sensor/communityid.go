package sensor

import (
	"bytes"
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"net/netip"
)

// IANA protocol numbers that carry ports (or, for ICMP, port equivalents) in
// the Community ID hash.
const (
	protoICMP   = 1
	protoTCP    = 6
	protoUDP    = 17
	protoICMPv6 = 58
	protoSCTP   = 132
)

// CommunityID returns the Community ID v1 string of a flow:
//
//	"1:" + base64(SHA1(seed ‖ saddr ‖ daddr ‖ proto ‖ 0x00 ‖ sport ‖ dport))
//
// with the endpoints ordered so that the smaller (address, port) comes first,
// so both directions of a flow hash alike. For ICMP and ICMPv6, SrcPort holds
// the type and DstPort the code; as the spec requires, request/reply types are
// mapped to their counterpart so both halves of an exchange share one ID, and
// one-way messages keep their orientation. Protocols without ports hash the
// addresses and protocol only.
//
// See https://github.com/corelight/community-id-spec.
func CommunityID(k FlowKey, seed uint16) string {
	// seed(2) + 2×16 address bytes + proto(1) + pad(1) + 2×port(2) = 40.
	var buf [40]byte
	binary.BigEndian.PutUint16(buf[0:2], seed)

	sport, dport := k.SrcPort, k.DstPort
	hasPorts, oneWay := true, false
	switch k.Proto {
	case protoTCP, protoUDP, protoSCTP:
	case protoICMP:
		sport, dport, oneWay = icmpPorts(icmp4Counterpart, k.SrcPort, k.DstPort)
	case protoICMPv6:
		sport, dport, oneWay = icmpPorts(icmp6Counterpart, k.SrcPort, k.DstPort)
	default:
		hasPorts = false
		sport, dport = 0, 0
	}

	var sa, da [16]byte
	sb, db := addrBytes(&sa, k.SrcIP), addrBytes(&da, k.DstIP)
	if !oneWay && !lessEndpoint(sb, db, sport, dport) {
		sb, db = db, sb
		sport, dport = dport, sport
	}

	n := 2
	n += copy(buf[n:], sb)
	n += copy(buf[n:], db)
	buf[n] = k.Proto
	buf[n+1] = 0
	n += 2
	if hasPorts {
		binary.BigEndian.PutUint16(buf[n:], sport)
		binary.BigEndian.PutUint16(buf[n+2:], dport)
		n += 4
	}

	sum := sha1.Sum(buf[:n])
	var out [2 + 28]byte // base64 of 20 bytes is 28 characters
	out[0], out[1] = '1', ':'
	base64.StdEncoding.Encode(out[2:], sum[:])
	return string(out[:])
}

// addrBytes returns the address in network byte order: 4 bytes for IPv4, 16
// for IPv6. An invalid address hashes as zero length, which keeps the function
// total without inventing an address.
func addrBytes(dst *[16]byte, a netip.Addr) []byte {
	switch {
	case a.Is4():
		b := a.As4()
		copy(dst[:], b[:])
		return dst[:4]
	case a.Is6():
		*dst = a.As16()
		return dst[:]
	}
	return dst[:0]
}

// lessEndpoint reports whether (a, ap) sorts before or equal to (b, bp);
// equal endpoints keep their order, as in the reference implementation.
func lessEndpoint(a, b []byte, ap, bp uint16) bool {
	c := bytes.Compare(a, b)
	return c < 0 || (c == 0 && ap <= bp)
}

// icmpPorts maps an ICMP type and code to the port pair the spec hashes.
func icmpPorts(counterpart map[uint16]uint16, typ, code uint16) (sport, dport uint16, oneWay bool) {
	if c, ok := counterpart[typ]; ok {
		return typ, c, false
	}
	return typ, code, true
}

// ICMP request/reply pairs, from the spec's reference implementation (itself
// from Zeek's ICMP4_counterpart/ICMP6_counterpart).
var (
	icmp4Counterpart = map[uint16]uint16{
		8: 0, 0: 8, // echo
		13: 14, 14: 13, // timestamp
		15: 16, 16: 15, // information
		10: 9,          // router solicitation → advertisement (one entry only, as in the spec)
		17: 18, 18: 17, // address mask
	}
	icmp6Counterpart = map[uint16]uint16{
		128: 129, 129: 128, // echo
		133: 134, 134: 133, // router solicitation/advertisement
		135: 136, 136: 135, // neighbor solicitation/advertisement
		130: 131, 131: 130, // MLD query/report
		139: 140, 140: 139, // node information (who-are-you)
		144: 145, 145: 144, // home agent address discovery
	}
)
