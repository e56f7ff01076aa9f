package sensor

import (
	"encoding/binary"
	"net/netip"
	"time"

	"github.com/gopacket/gopacket/layers"
)

// Packet is one captured IP packet carrying TCP, reduced to what flow
// tracking needs. L4 points at the TCP header; it is owned by whoever filled
// the Packet (a reader's buffer or a batch) and valid until that owner reuses it.
type Packet struct {
	Frame  uint64 // 1-based frame number within Source
	Time   time.Time
	Source string
	Src    netip.Addr
	Dst    netip.Addr
	VLAN   [2]uint16 // outermost first
	NVLAN  uint8     // tags present (at most 2 kept; deeper ones are counted)
	// Tunnels lists the encapsulations the packet came through, outermost
	// first (at most maxTunnelsKept kept; deeper ones are counted). Src,
	// Dst and L4 are those of the innermost packet.
	Tunnels [maxTunnelsKept]Tunnel
	NTunnel uint8
	Proto   uint8 // IP protocol of L4
	L4      []byte
}

// Counter names for the packet path.
const (
	CountPacketsNonIP     = "packet.non_ip"
	CountPacketsNonTCP    = "packet.non_tcp"
	CountPacketsTruncated = "packet.truncated"
	CountPacketsMalformed = "packet.malformed"
	CountLinkUnsupported  = "packet.linktype_unsupported"
	CountVLANDeep         = "packet.vlan_over_2"
	CountFragments        = "packet.ipv4_fragment"
	CountFragmentErrors   = "packet.ipv4_fragment_error"
	CountIPv6Fragments    = "packet.ipv6_fragment"
	// CountIPv6FragmentErrors counts IPv6 fragments a receiver discards:
	// alone when not a multiple of 8 bytes before the last, past 64 KiB, a
	// first one without the whole header chain, or inside a rebuilt
	// datagram; with what was held of their datagram when they contradict
	// the others.
	CountIPv6FragmentErrors = "packet.ipv6_fragment_error"
	CountIPv6ExtHeaders     = "packet.ipv6_ext_header"
)

// parseResult says what parseFrame found.
type parseResult uint8

const (
	parsedTCP parseResult = iota
	parsedFragment
	parsedSkip // not TCP, or not IP: counted, nothing to do
)

// frameParser walks link, VLAN and IP headers by hand. The walk runs for every
// packet on the capture path, so it avoids gopacket's generic decoding; it
// also keeps each 802.1Q/802.1ad tag (gopacket's DecodingLayerParser keeps one
// Dot1Q layer, losing the outer tag of QinQ) and descends into tunnels at any
// depth (decap.go).
type frameParser struct {
	counts Counts
	// frag is the last fragment seen, for defrag.
	frag fragment
	// depth counts the tunnels entered for the current packet.
	depth int
}

// parse fills p.Src, p.Dst, p.VLAN, p.Tunnels, p.Proto and p.L4 from data of
// link type lt. VLAN tags of tunnelled frames follow the outer ones in p.VLAN.
func (fp *frameParser) parse(lt layers.LinkType, data []byte, p *Packet) parseResult {
	fp.depth = 0
	var etherType uint16
	switch lt {
	case layers.LinkTypeEthernet:
		if len(data) < 14 {
			return fp.truncated()
		}
		etherType = binary.BigEndian.Uint16(data[12:14])
		data = data[14:]
	case layers.LinkTypeLinuxSLL:
		if len(data) < 16 {
			return fp.truncated()
		}
		etherType = binary.BigEndian.Uint16(data[14:16])
		data = data[16:]
	case layers.LinkTypeLinuxSLL2:
		if len(data) < 20 {
			return fp.truncated()
		}
		etherType = binary.BigEndian.Uint16(data[0:2])
		data = data[20:]
	case layers.LinkTypeNull, layers.LinkTypeLoop:
		if len(data) < 4 {
			return fp.truncated()
		}
		// DLT_NULL stores the address family in the capturing host's byte
		// order, DLT_LOOP in network order; either way one of the two
		// readings is a small number.
		af := binary.LittleEndian.Uint32(data[:4])
		if af > 0xffff {
			af = binary.BigEndian.Uint32(data[:4])
		}
		switch af {
		case 2:
			etherType = uint16(layers.EthernetTypeIPv4)
		case 10, 24, 28, 30: // AF_INET6 on Linux, BSDs, macOS, FreeBSD
			etherType = uint16(layers.EthernetTypeIPv6)
		default:
			fp.counts.Inc(CountPacketsNonIP)
			return parsedSkip
		}
		data = data[4:]
	case layers.LinkTypeRaw, layers.LinkTypeIPv4, layers.LinkTypeIPv6, 12, 14:
		// 12 and 14 are DLT_RAW on OpenBSD and others.
		if len(data) < 1 {
			return fp.truncated()
		}
		switch data[0] >> 4 {
		case 4:
			etherType = uint16(layers.EthernetTypeIPv4)
		case 6:
			etherType = uint16(layers.EthernetTypeIPv6)
		default:
			fp.counts.Inc(CountPacketsNonIP)
			return parsedSkip
		}
	default:
		fp.counts.Inc(CountLinkUnsupported)
		return parsedSkip
	}
	return fp.parseEther(etherType, data, p)
}

func (fp *frameParser) truncated() parseResult {
	fp.counts.Inc(CountPacketsTruncated)
	return parsedSkip
}

func (fp *frameParser) parseEther(etherType uint16, data []byte, p *Packet) parseResult {
	for etherType == 0x8100 || etherType == 0x88a8 || etherType == 0x9100 {
		if len(data) < 4 {
			return fp.truncated()
		}
		if p.NVLAN < uint8(len(p.VLAN)) {
			p.VLAN[p.NVLAN] = binary.BigEndian.Uint16(data[0:2]) & 0x0fff
			p.NVLAN++
		} else {
			fp.counts.Inc(CountVLANDeep)
		}
		etherType = binary.BigEndian.Uint16(data[2:4])
		data = data[4:]
	}
	switch layers.EthernetType(etherType) {
	case layers.EthernetTypeIPv4:
		return fp.parseIPv4(data, p)
	case layers.EthernetTypeIPv6:
		return fp.parseIPv6(data, p)
	case etherMPLSUnicast, etherMPLSMulticast:
		return fp.parseMPLS(data, p)
	}
	fp.counts.Inc(CountPacketsNonIP)
	return parsedSkip
}

func (fp *frameParser) parseIPv4(data []byte, p *Packet) parseResult {
	if len(data) < 20 {
		return fp.truncated()
	}
	ihl := int(data[0]&0x0f) * 4
	total := int(binary.BigEndian.Uint16(data[2:4]))
	if total == 0 && len(data) > 0xffff {
		// Captured on the sending host with segmentation offload (TSO,
		// BIG TCP): the length field is 0 and the capture is the length.
		total = len(data)
	}
	if data[0]>>4 != 4 || ihl < 20 || total < ihl {
		fp.counts.Inc(CountPacketsMalformed)
		return parsedSkip
	}
	if total > len(data) {
		return fp.truncated()
	}
	data = data[:total] // drop Ethernet padding
	p.Src = netip.AddrFrom4([4]byte(data[12:16]))
	p.Dst = netip.AddrFrom4([4]byte(data[16:20]))
	p.Proto = data[9]
	flagsFrag := binary.BigEndian.Uint16(data[6:8])
	if flagsFrag&0x3fff != 0 { // MF set or offset non-zero
		fp.counts.Inc(CountFragments)
		fp.frag = fragment{id: uint32(binary.BigEndian.Uint16(data[4:6])), proto: p.Proto,
			offset: int(flagsFrag&0x1fff) * 8, more: flagsFrag&0x2000 != 0, limit: maxDatagram - ihl, data: data[ihl:]}
		return parsedFragment
	}
	return fp.ipPayload(p.Proto, data[ihl:], p)
}

func (fp *frameParser) parseIPv6(data []byte, p *Packet) parseResult {
	if len(data) < 40 {
		return fp.truncated()
	}
	if data[0]>>4 != 6 {
		fp.counts.Inc(CountPacketsMalformed)
		return parsedSkip
	}
	plen := int(binary.BigEndian.Uint16(data[4:6]))
	if plen == 0 { // jumbogram or bogus: trust the capture
		plen = len(data) - 40
	}
	if 40+plen > len(data) {
		return fp.truncated()
	}
	p.Src = netip.AddrFrom16([16]byte(data[8:24]))
	p.Dst = netip.AddrFrom16([16]byte(data[24:40]))
	// A packet of its own, even inside a rebuilt datagram (a tunnel).
	return fp.ipv6Chain(data[6], data[40:40+plen], p, false)
}

// ipv6Chain walks the extension headers from next, the type of data's
// first, to the payload. A Fragment header leaves its fragment in fp.frag:
// the datagram rebuilt, the walk goes on from the next header it names,
// with rebuilt set, and a Fragment header there is refused, as Linux does.
func (fp *frameParser) ipv6Chain(next uint8, data []byte, p *Packet, rebuilt bool) parseResult {
	for {
		switch layers.IPProtocol(next) {
		case layers.IPProtocolIPv6HopByHop, layers.IPProtocolIPv6Routing, layers.IPProtocolIPv6Destination:
			if len(data) < 8 {
				return fp.truncated()
			}
			n := (int(data[1]) + 1) * 8
			if n > len(data) {
				return fp.truncated()
			}
			fp.counts.Inc(CountIPv6ExtHeaders)
			next, data = data[0], data[n:]
			continue
		case layers.IPProtocolAH:
			if len(data) < 8 {
				return fp.truncated()
			}
			n := (int(data[1]) + 2) * 4
			if n > len(data) {
				return fp.truncated()
			}
			next, data = data[0], data[n:]
			continue
		case layers.IPProtocolIPv6Fragment:
			if len(data) < 8 {
				return fp.truncated()
			}
			fp.counts.Inc(CountIPv6Fragments)
			if rebuilt {
				fp.counts.Inc(CountIPv6FragmentErrors)
				return parsedSkip
			}
			off := binary.BigEndian.Uint16(data[2:4])
			if off&^6 == 0 {
				// An atomic fragment (offset 0, no more to come;
				// RFC 6946): the datagram is whole.
				next, data = data[0], data[8:]
				continue
			}
			fp.frag = fragment{v6: true, id: binary.BigEndian.Uint32(data[4:8]), proto: data[0],
				offset: int(off &^ 7), more: off&1 != 0, limit: maxDatagram, data: data[8:]}
			return parsedFragment
		}
		break
	}
	return fp.ipPayload(next, data, p)
}
