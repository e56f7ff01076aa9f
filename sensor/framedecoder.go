package sensor

import "github.com/gopacket/gopacket/layers"

// FrameDecoder turns captured frames into TCP packets:
// link, VLAN, IP and tunnel headers, with IPv4 and IPv6 fragments reassembled.
// FileReader and the live sources share it. Non-TCP and malformed frames are counted in
// the Counts it was made with. A FrameDecoder is used by one goroutine.
type FrameDecoder struct {
	parser frameParser
	defrag defragmenter
}

// NewFrameDecoder returns a decoder that counts into counts.
func NewFrameDecoder(counts Counts) *FrameDecoder {
	d := &FrameDecoder{}
	d.parser.counts = counts
	d.defrag.counts = counts
	return d
}

// fragZone hashes the VLAN tags and tunnels a fragment came through, 0 for
// none. All of them count, whatever the flow key's settings: the fragments
// of one datagram take one path.
func fragZone(p *Packet) uint64 {
	if p.NVLAN == 0 && p.NTunnel == 0 {
		return 0
	}
	h := newFNV64()
	for _, v := range p.VLAN[:p.NVLAN] {
		h.addVLAN(v)
	}
	for _, tn := range p.Tunnels[:p.NTunnel] {
		h.addTunnel(tn)
	}
	return uint64(h) | 1
}

// Decode fills p from a frame of link type lt. The caller sets p's Frame,
// Time and Source (and VLAN tags the capture took out of the frame) first.
// It reports whether p now holds a TCP packet; p.L4 then points into data,
// or into the defragmenter's buffer for a reassembled datagram.
func (d *FrameDecoder) Decode(lt layers.LinkType, data []byte, p *Packet) bool {
	switch d.parser.parse(lt, data, p) {
	case parsedTCP:
		return true
	case parsedFragment:
		return d.reassemble(p)
	}
	return false
}

// DecodeTunnel fills p from the payload of a UDP datagram that arrived on a
// tunnel's port (a cloud mirror's VXLAN or GENEVE target): payload starts
// with the tunnel header. kind is TunnelVXLAN or TunnelGENEVE.
func (d *FrameDecoder) DecodeTunnel(kind TunnelKind, payload []byte, p *Packet) bool {
	d.parser.depth = 0
	var r parseResult
	switch kind {
	case TunnelVXLAN:
		r = d.parser.parseVXLAN(payload, p)
	case TunnelGENEVE:
		r = d.parser.parseGENEVE(payload, p)
	default:
		d.parser.counts.Inc(CountDecapUnsupported)
		return false
	}
	switch r {
	case parsedTCP:
		return true
	case parsedFragment:
		return d.reassemble(p)
	}
	return false
}

// reassemble gives the fragment the parser left in fp.frag to the
// defragmenter; it reports whether a whole TCP packet is now in p.
func (d *FrameDecoder) reassemble(p *Packet) bool {
	f := d.parser.frag
	d.parser.frag = fragment{}
	data, proto, ok := d.defrag.add(fragZone(p), p.Src, p.Dst, &f, p.Time)
	if !ok {
		return false // more fragments to come, or dropped (counted)
	}
	// The whole datagram may be TCP or a tunnel whose outer packets were
	// fragmented (VXLAN with a full-size inner frame): the parser goes on
	// from its payload, with the tunnels already entered still counted
	// against the depth bound. An IPv6 datagram's payload may start with
	// more extension headers.
	var r parseResult
	if f.v6 {
		r = d.parser.ipv6Chain(proto, data, p, true)
	} else {
		r = d.parser.ipPayload(proto, data, p)
	}
	switch r {
	case parsedTCP:
		return true
	case parsedFragment:
		return d.reassemble(p)
	}
	return false
}
