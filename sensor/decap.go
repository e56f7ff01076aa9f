package sensor

import (
	"encoding/binary"

	"github.com/gopacket/gopacket/layers"
)

// Decapsulation: the tunnels that carry mirrored traffic to a sensor (cloud
// traffic mirroring over VXLAN or GENEVE, remote SPAN over GRE/ERSPAN) and
// those met inside networks (IP-in-IP, 6in4, MPLS, gretap). The frame parser
// descends through them, at any depth up to maxDecapDepth, to the innermost
// IP packet: its addresses and ports become the flow, and each tunnel crossed
// is kept on the packet as a Tunnel, outermost first.

// TunnelKind names an encapsulation.
type TunnelKind uint8

// The encapsulations the parser descends into.
const (
	TunnelVXLAN  TunnelKind = iota + 1 // UDP 4789; ID is the VNI
	TunnelGENEVE                       // UDP 6081; ID is the VNI
	TunnelGRE                          // IP protocol 47 (incl. gretap); ID is the key, 0 without one
	TunnelERSPAN                       // GRE 0x88BE (type I, II) or 0x22EB (III); ID is the session id, 0 for type I
	TunnelIPIP                         // IP protocol 4 or 41 (IP-in-IP, 6in4, 4in6, 6in6); no ID
	TunnelMPLS                         // ethertype 0x8847/0x8848; ID is the bottom-of-stack label
)

var tunnelNames = [...]string{"", "vxlan", "geneve", "gre", "erspan", "ipip", "mpls"}

func (k TunnelKind) String() string {
	if int(k) < len(tunnelNames) && k != 0 {
		return tunnelNames[k]
	}
	return "unknown"
}

// Tunnel is one encapsulation a packet was carried in.
type Tunnel struct {
	Kind TunnelKind
	// ID tells tunnels of one kind apart: the VXLAN or GENEVE VNI, the GRE
	// key, the ERSPAN session id, the MPLS label nearest the payload (the
	// service label, which names the VPN; outer labels change hop by hop).
	ID uint32
}

// Bounds of decapsulation.
const (
	// maxDecapDepth bounds nested tunnels; past it the packet is dropped
	// (counted), so crafted nesting cannot make the walk unbounded.
	maxDecapDepth = 8
	// maxTunnelsKept bounds the tunnels recorded per packet; deeper ones
	// are decoded but only counted.
	maxTunnelsKept = 4
)

// Well-known ports of the UDP tunnels.
const (
	portVXLAN  = 4789
	portGENEVE = 6081
)

// EtherTypes and protocol numbers of tunnels, not all named by gopacket.
const (
	etherTransparentBridging = 0x6558 // Ethernet inside GRE or GENEVE
	etherERSPAN12            = 0x88be
	etherERSPAN3             = 0x22eb
	etherMPLSUnicast         = 0x8847
	etherMPLSMulticast       = 0x8848
)

// Counter names of decapsulation; the per-kind ones are built from
// CountDecapPrefix and CountDecapMalformedPrefix and the kind's name.
const (
	CountDecapPrefix          = "packet.decap."           // one per tunnel header crossed
	CountDecapMalformedPrefix = "packet.decap_malformed." // bad or truncated tunnel header
	CountDecapTooDeep         = "packet.decap_too_deep"   // more than maxDecapDepth tunnels
	CountDecapUnsupported     = "packet.decap_unsupported"
	CountTunnelsDeep          = "packet.tunnels_over_4" // decoded but not recorded on the packet
)

// The per-kind names, built once: the packet path must not concatenate.
var decapCounts, decapMalformedCounts = func() (ok, bad [len(tunnelNames)]string) {
	for k := 1; k < len(tunnelNames); k++ {
		ok[k] = CountDecapPrefix + tunnelNames[k]
		bad[k] = CountDecapMalformedPrefix + tunnelNames[k]
	}
	return ok, bad
}()

// enter records a tunnel header just validated; it reports false, counted,
// when the packet is nested too deep to follow.
func (fp *frameParser) enter(k TunnelKind, id uint32, p *Packet) bool {
	fp.depth++
	if fp.depth > maxDecapDepth {
		fp.counts.Inc(CountDecapTooDeep)
		return false
	}
	fp.counts.Inc(decapCounts[k])
	if int(p.NTunnel) < len(p.Tunnels) {
		p.Tunnels[p.NTunnel] = Tunnel{Kind: k, ID: id}
		p.NTunnel++
	} else {
		fp.counts.Inc(CountTunnelsDeep)
	}
	return true
}

func (fp *frameParser) malformed(k TunnelKind) parseResult {
	fp.counts.Inc(decapMalformedCounts[k])
	return parsedSkip
}

// ipPayload handles the payload of an IP packet whose protocol is proto:
// TCP is the result, tunnels are descended into, the rest is counted.
func (fp *frameParser) ipPayload(proto uint8, data []byte, p *Packet) parseResult {
	p.Proto = proto
	switch layers.IPProtocol(proto) {
	case layers.IPProtocolTCP:
		p.L4 = data
		return parsedTCP
	case layers.IPProtocolUDP:
		return fp.parseUDP(data, p)
	case layers.IPProtocolGRE:
		return fp.parseGRE(data, p)
	case layers.IPProtocolIPv4:
		if !fp.enter(TunnelIPIP, 0, p) {
			return parsedSkip
		}
		return fp.parseIPv4(data, p)
	case layers.IPProtocolIPv6:
		if !fp.enter(TunnelIPIP, 0, p) {
			return parsedSkip
		}
		return fp.parseIPv6(data, p)
	}
	fp.counts.Inc(CountPacketsNonTCP)
	return parsedSkip
}

// parseEthernet handles a whole Ethernet frame inside a tunnel.
func (fp *frameParser) parseEthernet(data []byte, p *Packet) parseResult {
	if len(data) < 14 {
		return fp.truncated()
	}
	return fp.parseEther(binary.BigEndian.Uint16(data[12:14]), data[14:], p)
}

// parseUDP descends into the UDP tunnels, by destination port; other UDP is
// not tracked.
func (fp *frameParser) parseUDP(data []byte, p *Packet) parseResult {
	if len(data) < 8 {
		return fp.truncated()
	}
	if n := int(binary.BigEndian.Uint16(data[4:6])); n >= 8 && n <= len(data) {
		data = data[:n]
	}
	switch binary.BigEndian.Uint16(data[2:4]) {
	case portVXLAN:
		return fp.parseVXLAN(data[8:], p)
	case portGENEVE:
		return fp.parseGENEVE(data[8:], p)
	}
	fp.counts.Inc(CountPacketsNonTCP)
	return parsedSkip
}

// parseVXLAN: RFC 7348, 8-byte header, the I flag says the VNI is valid.
func (fp *frameParser) parseVXLAN(data []byte, p *Packet) parseResult {
	if len(data) < 8 || data[0]&0x08 == 0 {
		return fp.malformed(TunnelVXLAN)
	}
	if !fp.enter(TunnelVXLAN, uint32(data[4])<<16|uint32(data[5])<<8|uint32(data[6]), p) {
		return parsedSkip
	}
	return fp.parseEthernet(data[8:], p)
}

// parseGENEVE: RFC 8926, 8-byte header plus options, version 0; the
// protocol type says what follows (Ethernet, or IP directly).
func (fp *frameParser) parseGENEVE(data []byte, p *Packet) parseResult {
	if len(data) < 8 || data[0]>>6 != 0 {
		return fp.malformed(TunnelGENEVE)
	}
	n := 8 + int(data[0]&0x3f)*4
	if n > len(data) {
		return fp.malformed(TunnelGENEVE)
	}
	if !fp.enter(TunnelGENEVE, uint32(data[4])<<16|uint32(data[5])<<8|uint32(data[6]), p) {
		return parsedSkip
	}
	proto := binary.BigEndian.Uint16(data[2:4])
	if proto == etherTransparentBridging {
		return fp.parseEthernet(data[n:], p)
	}
	return fp.parseEther(proto, data[n:], p)
}

// GRE header flag bits (RFC 2784, RFC 2890).
const (
	greChecksum = 0x8000
	greRouting  = 0x4000
	greKey      = 0x2000
	greSeq      = 0x1000
	greVersion  = 0x0007
)

// parseGRE handles GRE version 0 and what it carries: IP, MPLS, Ethernet
// (gretap) and ERSPAN.
func (fp *frameParser) parseGRE(data []byte, p *Packet) parseResult {
	if len(data) < 4 {
		return fp.malformed(TunnelGRE)
	}
	flags := binary.BigEndian.Uint16(data[0:2])
	if flags&greVersion != 0 || flags&greRouting != 0 {
		// Version 1 is PPTP's enhanced GRE; source routing is
		// deprecated (RFC 2784). Neither carries mirrored traffic.
		fp.counts.Inc(CountDecapUnsupported)
		return parsedSkip
	}
	n := 4
	if flags&greChecksum != 0 {
		n += 4
	}
	var key uint32
	if flags&greKey != 0 {
		if len(data) < n+4 {
			return fp.malformed(TunnelGRE)
		}
		key = binary.BigEndian.Uint32(data[n:])
		n += 4
	}
	seq := flags&greSeq != 0
	if seq {
		n += 4
	}
	if len(data) < n {
		return fp.malformed(TunnelGRE)
	}
	proto, inner := binary.BigEndian.Uint16(data[2:4]), data[n:]
	switch proto {
	case etherERSPAN12:
		if !seq {
			// Type I: no ERSPAN header, the mirrored frame follows GRE.
			if !fp.enter(TunnelERSPAN, 0, p) {
				return parsedSkip
			}
			return fp.parseEthernet(inner, p)
		}
		return fp.parseERSPAN2(inner, p)
	case etherERSPAN3:
		return fp.parseERSPAN3(inner, p)
	}
	if !fp.enter(TunnelGRE, key, p) {
		return parsedSkip
	}
	if proto == etherTransparentBridging {
		return fp.parseEthernet(inner, p)
	}
	return fp.parseEther(proto, inner, p)
}

// parseERSPAN2: 8-byte header, version 1, 10-bit session id.
func (fp *frameParser) parseERSPAN2(data []byte, p *Packet) parseResult {
	if len(data) < 8 || data[0]>>4 != 1 {
		return fp.malformed(TunnelERSPAN)
	}
	if !fp.enter(TunnelERSPAN, uint32(binary.BigEndian.Uint16(data[2:4])&0x3ff), p) {
		return parsedSkip
	}
	return fp.parseEthernet(data[8:], p)
}

// parseERSPAN3: 12-byte header, version 2, then an 8-byte platform-specific
// subheader when the O bit is set. The frame type says whether an Ethernet
// frame (0) or an IP packet (2) was mirrored.
func (fp *frameParser) parseERSPAN3(data []byte, p *Packet) parseResult {
	if len(data) < 12 || data[0]>>4 != 2 {
		return fp.malformed(TunnelERSPAN)
	}
	n := 12
	if data[11]&1 != 0 {
		n += 8
	}
	if len(data) < n {
		return fp.malformed(TunnelERSPAN)
	}
	ft := data[10] >> 2 & 0x1f
	if ft != 0 && ft != 2 {
		fp.counts.Inc(CountDecapUnsupported)
		return parsedSkip
	}
	if !fp.enter(TunnelERSPAN, uint32(binary.BigEndian.Uint16(data[2:4])&0x3ff), p) {
		return parsedSkip
	}
	if ft == 0 {
		return fp.parseEthernet(data[n:], p)
	}
	return fp.parseIPByVersion(data[n:], p)
}

// parseMPLS walks the label stack to its bottom and guesses the payload from
// its first nibble, as MPLS itself does not say: 4 is IPv4, 6 is IPv6, 0 is
// a pseudowire control word followed by an Ethernet frame (RFC 4385).
func (fp *frameParser) parseMPLS(data []byte, p *Packet) parseResult {
	var label uint32
	for {
		if len(data) < 4 {
			return fp.malformed(TunnelMPLS)
		}
		e := binary.BigEndian.Uint32(data)
		data = data[4:]
		if e&0x100 != 0 { // bottom of stack
			label = e >> 12
			break
		}
	}
	if !fp.enter(TunnelMPLS, label, p) {
		return parsedSkip
	}
	if len(data) > 0 && data[0]>>4 == 0 {
		if len(data) < 4 {
			return fp.truncated()
		}
		return fp.parseEthernet(data[4:], p)
	}
	return fp.parseIPByVersion(data, p)
}

// parseIPByVersion handles an IP packet whose version is known only from its
// first nibble.
func (fp *frameParser) parseIPByVersion(data []byte, p *Packet) parseResult {
	if len(data) < 1 {
		return fp.truncated()
	}
	switch data[0] >> 4 {
	case 4:
		return fp.parseIPv4(data, p)
	case 6:
		return fp.parseIPv6(data, p)
	}
	fp.counts.Inc(CountPacketsNonIP)
	return parsedSkip
}
