package sensor

import (
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/ip4defrag"
	"github.com/gopacket/gopacket/layers"
)

// FrameDecoder turns captured frames into TCP packets:
// link, VLAN, IP and tunnel headers, with IPv4 fragments reassembled.
// FileReader and the live sources share it. Non-TCP and malformed frames are counted in
// the Counts it was made with. A FrameDecoder is used by one goroutine.
type FrameDecoder struct {
	parser frameParser
	// defrag reassembles the fragments that came with no VLAN tag or
	// tunnel; zoned those of each tag and tunnel stack (fragZone).
	// gopacket's defragmenter keys a datagram by its addresses and IP ID
	// only: two tenants that reuse an address plan would have their
	// fragments mixed in one.
	defrag *ip4defrag.IPv4Defragmenter
	zoned  map[uint64]*zonedDefrag
	counts Counts
	lastGC time.Time
}

// zonedDefrag is the defragmenter of one zone and when it was last used.
type zonedDefrag struct {
	d    *ip4defrag.IPv4Defragmenter
	last time.Time
}

// maxDefragZones bounds the zones with a defragmenter of their own (an
// idle one is a few hundred bytes); past it, fragments of a new zone share
// the untagged one (counted).
const maxDefragZones = 1024

// CountFragmentZonesFull counts fragments of a zone past maxDefragZones.
const CountFragmentZonesFull = "packet.ipv4_fragment_zones_full"

// NewFrameDecoder returns a decoder that counts into counts.
func NewFrameDecoder(counts Counts) *FrameDecoder {
	d := &FrameDecoder{defrag: ip4defrag.NewIPv4Defragmenter(), counts: counts}
	d.parser.counts = counts
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

// defragFor returns the defragmenter of p's zone, making it when there is
// room.
func (d *FrameDecoder) defragFor(p *Packet) *ip4defrag.IPv4Defragmenter {
	z := fragZone(p)
	if z == 0 {
		return d.defrag
	}
	if zd := d.zoned[z]; zd != nil {
		zd.last = p.Time
		return zd.d
	}
	if len(d.zoned) >= maxDefragZones {
		d.counts.Inc(CountFragmentZonesFull)
		return d.defrag
	}
	if d.zoned == nil {
		d.zoned = map[uint64]*zonedDefrag{}
	}
	zd := &zonedDefrag{d: ip4defrag.NewIPv4Defragmenter(), last: p.Time}
	d.zoned[z] = zd
	return zd.d
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
		d.counts.Inc(CountDecapUnsupported)
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

// reassemble feeds the IPv4 fragment the parser left in fragIP to the
// defragmenter; it reports whether a whole TCP packet is now in p.
func (d *FrameDecoder) reassemble(p *Packet) bool {
	if p.Time.Sub(d.lastGC) > time.Second {
		// Fragments of a datagram arrive within a second or so; 30 s is
		// the Linux default ipfrag_time. A zone unused that long holds
		// nothing worth keeping.
		cut := p.Time.Add(-30 * time.Second)
		d.defrag.DiscardOlderThan(cut)
		for z, zd := range d.zoned {
			if zd.last.Before(cut) {
				delete(d.zoned, z)
			} else {
				zd.d.DiscardOlderThan(cut)
			}
		}
		d.lastGC = p.Time
	}
	// The defragmenter keeps the layer and its payload until the datagram
	// is whole, so each fragment gets its own copy: the caller's buffer is
	// reused for the next frame.
	ip4 := new(layers.IPv4)
	if err := ip4.DecodeFromBytes(append([]byte(nil), d.parser.fragIP...), gopacket.NilDecodeFeedback); err != nil {
		d.counts.Inc(CountFragmentErrors)
		return false
	}
	out, err := d.defragFor(p).DefragIPv4WithTimestamp(ip4, p.Time)
	if err != nil {
		d.counts.Inc(CountFragmentErrors)
		return false
	}
	if out == nil {
		return false // more fragments to come
	}
	// The whole datagram may be TCP or a tunnel whose outer packets were
	// fragmented (VXLAN with a full-size inner frame): the parser goes on
	// from its payload, with the tunnels already entered still counted
	// against the depth bound.
	switch d.parser.ipPayload(uint8(out.Protocol), out.Payload, p) {
	case parsedTCP:
		return true
	case parsedFragment:
		return d.reassemble(p)
	}
	return false
}
