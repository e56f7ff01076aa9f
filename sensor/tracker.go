package sensor

import (
	"encoding/binary"
	"hash/fnv"
	"net/netip"
	"strconv"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/reassembly"
)

// Counter names of TCP tracking and reassembly.
const (
	CountTCPMalformed     = "tcp.malformed"
	CountConns            = "tcp.connections"
	CountConnsMidStream   = "tcp.connections_midstream"
	CountEvicted          = "drop.conn_evicted"
	CountIdleClosed       = "tcp.idle_timeout"
	CountGaps             = "tcp.gap"
	CountGapBytes         = "tcp.gap_bytes"
	CountOverlapDiff      = "tcp.overlap_different_data"
	CountRetransmit       = "tcp.retransmission"
	CountStreamBytes      = "tcp.stream_bytes"
	CountOverlapUnchecked = "tcp.overlap_unchecked"
	CountSYNReuse         = "tcp.syn_on_open_connection"
	CountTimeBackwards    = "packet.time_backwards"
	CountAfterClose       = "tcp.packet_after_close"
)

// pageBytes is gopacket reassembly's page size, used to turn byte bounds into
// page bounds.
const pageBytes = 1900

// TrackerConfig bounds one sensor's TCP state. The pipeline divides the
// per-sensor figures between workers.
type TrackerConfig struct {
	// MaxConns bounds tracked connections; past it the least recently
	// active one is evicted (counted as drop.conn_evicted).
	MaxConns int `yaml:"max_connections" env:"SENSOR_TCP_MAX_CONNECTIONS"`
	// MaxBufferedPerConn bounds out-of-order bytes held for one connection;
	// past it the oldest hole is skipped (a gap).
	MaxBufferedPerConn int `yaml:"max_buffered_per_connection" env:"SENSOR_TCP_MAX_BUFFERED_PER_CONNECTION"`
	// MaxBufferedTotal bounds out-of-order bytes held in all.
	MaxBufferedTotal int `yaml:"max_buffered_total" env:"SENSOR_TCP_MAX_BUFFERED_TOTAL"`
	// IdleTimeout closes a connection with no packet for this long, in
	// packet time.
	IdleTimeout time.Duration `yaml:"idle_timeout" env:"SENSOR_TCP_IDLE_TIMEOUT"`
	// HoleTimeout is how long out-of-order data waits for a missing segment
	// before the hole is skipped as a gap, in packet time.
	HoleTimeout time.Duration `yaml:"hole_timeout" env:"SENSOR_TCP_HOLE_TIMEOUT"`
	// OverlapCheckBytes is how many delivered but not yet acknowledged bytes
	// per direction are kept to compare retransmissions against; a
	// retransmission that differs raises tcp.overlap_different_data. The
	// first copy wins, as at the receiver, which had already taken it.
	OverlapCheckBytes int `yaml:"overlap_check_bytes" env:"SENSOR_TCP_OVERLAP_CHECK_BYTES"`
	// CommunityIDSeed seeds Community ID hashes.
	CommunityIDSeed uint16 `yaml:"community_id_seed" env:"SENSOR_COMMUNITY_ID_SEED"`
	// VLANInFlowKey makes the 802.1Q tags part of a connection's identity,
	// so that two segments reusing the same addresses (tenants on one
	// trunk) are never reassembled as one stream. Turn it off when one
	// connection is seen on different VLANs per direction (asymmetric
	// routing across a SPAN'd trunk), as with Suricata's
	// vlan.use-for-tracking.
	VLANInFlowKey bool `yaml:"vlan_in_flow_key" env:"SENSOR_TCP_VLAN_IN_FLOW_KEY"`
	// TunnelInFlowKey does the same for the ids of the tunnels a packet
	// came through: the VXLAN or GENEVE VNI (cloud traffic mirroring gives
	// one per mirror session, and mirrored VPCs often share address
	// ranges), the GRE key and the ERSPAN session. MPLS labels are never
	// part of it: the service label differs per direction.
	TunnelInFlowKey bool `yaml:"tunnel_in_flow_key" env:"SENSOR_TCP_TUNNEL_IN_FLOW_KEY"`
}

// DefaultTrackerConfig returns the defaults: Suricata-like memory caps scaled
// for a small sensor.
func DefaultTrackerConfig() TrackerConfig {
	return TrackerConfig{
		MaxConns:           200_000,
		MaxBufferedPerConn: 1 << 20,
		MaxBufferedTotal:   256 << 20,
		IdleTimeout:        5 * time.Minute,
		HoleTimeout:        10 * time.Second,
		OverlapCheckBytes:  4096,
		VLANInFlowKey:      true,
		TunnelInFlowKey:    true,
	}
}

// Validate checks that every bound is set.
func (c *TrackerConfig) Validate() error {
	return CheckBounds("tcp",
		Bound{"max_connections", int64(c.MaxConns)},
		Bound{"max_buffered_per_connection", int64(c.MaxBufferedPerConn)},
		Bound{"max_buffered_total", int64(c.MaxBufferedTotal)},
		Bound{"idle_timeout", int64(c.IdleTimeout)},
		Bound{"hole_timeout", int64(c.HoleTimeout)},
		Bound{"overlap_check_bytes", int64(c.OverlapCheckBytes)},
	)
}

// Split returns the share of c that one of n workers gets.
func (c TrackerConfig) Split(n int) TrackerConfig {
	if n <= 1 {
		return c
	}
	c.MaxConns = max(1, c.MaxConns/n)
	c.MaxBufferedTotal = max(pageBytes, c.MaxBufferedTotal/n)
	return c
}

// Tracker follows the TCP connections of one worker's shard: it reassembles
// both directions with gopacket's reassembly, feeds each connection's
// ConnHandler, and enforces the bounds of TrackerConfig. Time is packet time:
// timeouts advance only with the packets (and ticks) it is given, so a replay
// gives the same result at any speed.
//
// A Tracker is owned by one goroutine.
type Tracker struct {
	cfg     TrackerConfig
	factory HandlerFactory
	counts  Counts
	asm     *reassembly.Assembler
	now     time.Time
	// nextSweep is the packet time of the next idle/hole sweep.
	nextSweep time.Time

	// lru lists live streams, most recently active first.
	lru   streamList
	nconn int
	// closing is the reason handed to streams closed by a flush.
	closing EndReason

	tcp   layers.TCP
	slab  []pktCtx
	spare [][]byte // free overlap-check buffers
	chunk Chunk
	// last is the timestamp given to gopacket for the last packet.
	last time.Time
	// closed remembers recently closed connections, whose last ACKs open
	// no new stream.
	closed closedSet
	// reset is a stream whose one half a reset just closed; synthetic
	// is set while the tracker closes its other half.
	reset     *stream
	synthetic bool
	rst       layers.TCP
	// held and buffered account the out-of-order bytes waiting in the
	// assembler (held.go); only streams that hold some are in held.
	held     map[*stream]*heldStream
	buffered int
}

// NewTracker returns a tracker that hands each new connection to a handler from factory.
func NewTracker(cfg TrackerConfig, factory HandlerFactory, counts Counts) *Tracker {
	t := &Tracker{cfg: cfg, factory: factory, counts: counts, closed: newClosedSet(closedSetSize)}
	t.lru.init()
	pool := reassembly.NewStreamPool(&streamFactory{t: t})
	t.asm = reassembly.NewAssembler(pool)
	t.asm.MaxBufferedPagesPerConnection = max(1, cfg.MaxBufferedPerConn/pageBytes)
	t.asm.MaxBufferedPagesTotal = max(1, cfg.MaxBufferedTotal/pageBytes)
	return t
}

// Conns returns the number of tracked connections.
func (t *Tracker) Conns() int { return t.nconn }

// Now returns the tracker's packet clock.
func (t *Tracker) Now() time.Time { return t.now }

// pktCtx carries a packet's capture info and frame through the assembler,
// which keeps it with out-of-order pages.
type pktCtx struct {
	ci      gopacket.CaptureInfo
	frame   uint64
	source  string
	vlan    [2]uint16
	nvlan   uint8
	tunnels [maxTunnelsKept]Tunnel
	ntunnel uint8
	length  int                 // TCP payload length
	seq     reassembly.Sequence // TCP sequence number
	real    time.Time           // capture time; ci.Timestamp is made monotonic
	self    [1]any
}

func (c *pktCtx) GetCaptureInfo() gopacket.CaptureInfo { return c.ci }

// Packet processes one TCP packet; p.L4 holds the TCP header and payload.
func (t *Tracker) Packet(p *Packet) {
	// gopacket ages connections by the timestamps it is given and the
	// tracker evicts by arrival order: a strictly increasing clock keeps
	// the two orders the same when capture timestamps tie or step back.
	ts := p.Time
	if !ts.After(t.last) {
		if ts.Before(t.last.Add(-time.Second)) {
			t.counts.Inc(CountTimeBackwards)
		}
		ts = t.last.Add(time.Nanosecond)
	}
	t.last = ts
	t.Advance(ts)
	if err := t.tcp.DecodeFromBytes(p.L4, gopacket.NilDecodeFeedback); err != nil {
		t.counts.Inc(CountTCPMalformed)
		return
	}
	zone := t.zone(p)
	bare := !t.tcp.SYN && len(t.tcp.Payload) == 0
	if bare && t.closed.len() > 0 && t.closed.has(zone, p.Src, p.Dst, uint16(t.tcp.SrcPort), uint16(t.tcp.DstPort)) {
		// The last ACK (or a stray RST) of a connection that has just
		// closed: gopacket has forgotten the connection and would open a
		// new one for it.
		t.counts.Inc(CountAfterClose)
		return
	}
	if len(t.slab) == 0 {
		// One allocation per 16 packets: out-of-order pages keep a
		// pointer to their packet's context, which keeps its slab alive.
		t.slab = make([]pktCtx, 16)
	}
	ctx := &t.slab[0]
	t.slab = t.slab[1:]
	*ctx = pktCtx{
		ci:      gopacket.CaptureInfo{Timestamp: ts, CaptureLength: len(p.L4), Length: len(p.L4)},
		frame:   p.Frame,
		source:  p.Source,
		vlan:    p.VLAN,
		nvlan:   p.NVLAN,
		tunnels: p.Tunnels,
		ntunnel: p.NTunnel,
		length:  len(t.tcp.Payload),
		seq:     reassembly.Sequence(t.tcp.Seq),
		real:    p.Time,
	}
	ctx.self[0] = ctx
	ctx.ci.AncillaryData = ctx.self[:]
	flow := netFlow(p.Src, p.Dst, zone)
	t.closing = EndFIN
	if t.tcp.RST {
		t.closing = EndRST
	}
	t.asm.AssembleWithContext(flow, &t.tcp, ctx)
	if s := t.reset; s != nil {
		t.reset = nil
		t.closeOtherHalf(s, flow, ctx)
	}
	if t.nconn > t.cfg.MaxConns {
		t.evict()
	}
}

// zone names the network segment p was seen on, for the flow key: a hash of
// its VLAN tags and tunnel ids as configured, 0 for none. Two connections
// with the same addresses and ports in different zones are different
// connections (two tenants, two mirrored VPCs).
func (t *Tracker) zone(p *Packet) uint64 {
	return t.zoneOf(p.VLAN[:p.NVLAN], p.Tunnels[:p.NTunnel])
}

func (t *Tracker) zoneOf(vlans []uint16, tunnels []Tunnel) uint64 {
	h := newFNV64()
	found := false
	if t.cfg.VLANInFlowKey {
		for _, v := range vlans {
			if zoneVLAN(v) {
				h.addVLAN(v)
				found = true
			}
		}
	}
	if t.cfg.TunnelInFlowKey {
		for _, tn := range tunnels {
			if zoneTunnel(tn) {
				h.addTunnel(tn)
				found = true
			}
		}
	}
	if !found {
		return 0
	}
	return uint64(h)&zoneMask | 1 // never 0, which is "no zone"
}

// fnv64 is an FNV-1a hash fed 64-bit words, low byte first.
type fnv64 uint64

func newFNV64() fnv64 { return fnvOffset }

func (h *fnv64) add(v uint64) {
	for range 8 {
		*h ^= fnv64(v & 0xff)
		*h *= fnvPrime
		v >>= 8
	}
}

// addVLAN and addTunnel add a tag and a tunnel as words that cannot be
// taken for each other.
func (h *fnv64) addVLAN(v uint16)    { h.add(uint64(v) | 1<<16) }
func (h *fnv64) addTunnel(tn Tunnel) { h.add(uint64(tn.ID) | uint64(tn.Kind)<<32) }

// zoneName is the readable form of zoneOf (ConnMeta.Zone): the same tags and
// tunnels, VLAN tags first (outer and inner frames' together), then the
// tunnels outermost first; "" when zoneOf is 0.
func (t *Tracker) zoneName(vlans []uint16, tunnels []Tunnel) string {
	var b []byte
	if t.cfg.VLANInFlowKey {
		n := 0
		for _, v := range vlans {
			if !zoneVLAN(v) {
				continue
			}
			if n == 0 {
				b = append(b, "vlan:"...)
			} else {
				b = append(b, '.')
			}
			b = strconv.AppendUint(b, uint64(v), 10)
			n++
		}
	}
	if t.cfg.TunnelInFlowKey {
		for _, tn := range tunnels {
			if zoneTunnel(tn) {
				if len(b) > 0 {
					b = append(b, '/')
				}
				b = append(b, tn.Kind.String()...)
				b = append(b, ':')
				b = strconv.AppendUint(b, uint64(tn.ID), 10)
			}
		}
	}
	return string(b)
}

// zoneTunnel reports whether tn is part of a zone: a tunnel whose id is the
// same both ways, and that has one (0 is what a GRE header without a key
// and an ERSPAN type I header record). An MPLS service label is not (it
// differs per direction); IP-in-IP has no id.
func zoneTunnel(tn Tunnel) bool {
	switch tn.Kind {
	case TunnelVXLAN, TunnelGENEVE, TunnelGRE, TunnelERSPAN:
		return tn.ID != 0
	}
	return false
}

// zoneVLAN reports whether VLAN id v is part of a zone: 0 is a
// priority tag (802.1p), which names no VLAN and which one direction of a
// connection may carry and the other not.
func zoneVLAN(v uint16) bool { return v != 0 }

// FNV-1a, 64 bits.
const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

// zoneMask keeps the bits of a zone that fit above the endpoint type in a
// gopacket.EndpointType (see netFlow): 47 bits, so that a collision between
// two zones a sensor sees is out of reach (about n²/2⁴⁸ for n zones).
const zoneMask = 1<<47 - 1

// netFlow is the network flow gopacket's assembler keys connections by. The
// assembler's key is the network flow and the TCP ports, and an IPv6 flow
// already fills gopacket's 16-byte endpoints, so the zone rides in the
// flow's endpoint type, above the IPv4/IPv6 type number: flows in different
// zones compare unequal and nothing else reads the type. Raw() still gives
// the addresses.
func netFlow(src, dst netip.Addr, zone uint64) gopacket.Flow {
	if src.Is4() {
		s, d := src.As4(), dst.As4()
		return gopacket.NewFlow(zoned(layers.EndpointIPv4, zone), s[:], d[:])
	}
	s, d := src.As16(), dst.As16()
	return gopacket.NewFlow(zoned(layers.EndpointIPv6, zone), s[:], d[:])
}

// zoned is endpoint type typ with zone above its number (see netFlow).
func zoned(typ gopacket.EndpointType, zone uint64) gopacket.EndpointType {
	return gopacket.EndpointType(int64(typ) | int64(zone)<<16)
}

// zone is the zone of the stream's packets (Tracker.zone), from the tags and
// tunnels of its first one: the stream does not keep it, to stay in its
// allocation size class.
func (s *stream) zone() uint64 {
	return s.t.zoneOf(s.vlan[:s.nvlan], s.tunnels[:s.ntunnel])
}

// closeOtherHalf ends the direction of s opposite to the reset just taken.
// A reset aborts the whole connection at both ends, but gopacket closes only
// the half that carried it; the other would live on until it idles out, and
// a new connection on the same ports would be taken for more of it.
func (t *Tracker) closeOtherHalf(s *stream, flow gopacket.Flow, ctx *pktCtx) {
	if s.done {
		return
	}
	// A bare RST header from the other side, at that half's next sequence
	// number so that it is in order; an unknown one (no byte or SYN seen
	// that way) lets Accept start there. gopacket's flow keys come from a
	// decoded header, so the header is built as bytes and decoded.
	other := s.dir(s.lastDir).Reverse()
	var hdr [20]byte
	binary.BigEndian.PutUint16(hdr[0:], uint16(t.tcp.DstPort))
	binary.BigEndian.PutUint16(hdr[2:], uint16(t.tcp.SrcPort))
	binary.BigEndian.PutUint32(hdr[4:], uint32(s.end[other]))
	hdr[12] = 5 << 4 // data offset: 20 bytes
	hdr[13] = 0x04   // RST
	if err := t.rst.DecodeFromBytes(hdr[:], gopacket.NilDecodeFeedback); err != nil {
		return
	}
	t.synthetic = true
	t.asm.AssembleWithContext(flow.Reverse(), &t.rst, ctx)
	t.synthetic = false
}

// Advance moves the packet clock to now (never backwards) and, once per
// second of packet time, skips holes older than HoleTimeout and closes
// connections idle for IdleTimeout. Workers with no packets are ticked by the
// pipeline so that their clocks follow the capture.
func (t *Tracker) Advance(now time.Time) {
	if !now.After(t.now) {
		return
	}
	t.now = now
	if t.nextSweep.IsZero() {
		t.nextSweep = now.Add(time.Second)
		return
	}
	if now.Before(t.nextSweep) {
		return
	}
	t.nextSweep = now.Add(time.Second)
	if oldest := t.lru.back(); oldest != nil && oldest.lastSeen.Before(now.Add(-t.cfg.IdleTimeout)) {
		t.closing = EndIdle
		n := t.nconn
		t.asm.FlushWithOptions(reassembly.FlushOptions{T: now.Add(-t.cfg.HoleTimeout), TC: now.Add(-t.cfg.IdleTimeout)})
		t.counts.Add(CountIdleClosed, uint64(n-t.nconn))
		return
	}
	t.closing = EndIdle
	t.asm.FlushWithOptions(reassembly.FlushOptions{T: now.Add(-t.cfg.HoleTimeout)})
}

// evict closes the least recently active connections until a sixteenth of
// the bound is free. gopacket can close only by age, at the cost of a scan of
// all connections, so eviction works in batches.
func (t *Tracker) evict() {
	target := t.cfg.MaxConns - t.cfg.MaxConns/16
	if target < 0 {
		target = 0
	}
	// Find the cut-off: the last-seen time of the (nconn-target)-th oldest.
	s := t.lru.back()
	for i := 1; i < t.nconn-target && s != nil; i++ {
		s = s.prev
	}
	if s == nil || s == &t.lru.root {
		return
	}
	cutoff := s.lastSeen.Add(1)
	before := t.nconn
	t.closing = EndEvicted
	t.asm.FlushCloseOlderThan(cutoff)
	t.counts.Add(CountEvicted, uint64(before-t.nconn))
	t.closing = EndFIN
}

// CloseAll flushes and closes every connection, as at the end of a capture.
func (t *Tracker) CloseAll(reason EndReason) {
	t.closing = reason
	t.asm.FlushAll()
}

// streamFactory creates one stream per new TCP connection.
type streamFactory struct{ t *Tracker }

func (f *streamFactory) New(netFlow, tcpFlow gopacket.Flow, tcp *layers.TCP, ac reassembly.AssemblerContext) reassembly.Stream {
	t := f.t
	ctx := ac.(*pktCtx)
	s := &stream{t: t, lastSeen: ctx.ci.Timestamp, source: ctx.source, vlan: ctx.vlan, nvlan: ctx.nvlan,
		tunnels: ctx.tunnels, ntunnel: ctx.ntunnel}
	src, _ := netip.AddrFromSlice(netFlow.Src().Raw())
	dst, _ := netip.AddrFromSlice(netFlow.Dst().Raw())
	s.gkey = FlowKey{SrcIP: src, DstIP: dst, SrcPort: uint16(tcp.SrcPort), DstPort: uint16(tcp.DstPort), Proto: uint8(layers.IPProtocolTCP)}
	// A bare ACK, FIN or RST does not open a connection: it is most often
	// the last packet of one that just closed (gopacket has forgotten it),
	// and starting a stream at its sequence number would make the
	// assembler drop the SYN of the next connection on the same ports.
	// Such a stream stays latent, still bounded by MaxConns, until data or
	// a SYN arrives.
	s.latent = !tcp.SYN && len(tcp.Payload) == 0
	if !s.latent {
		s.open(tcp, reassembly.TCPDirClientToServer, ctx.real)
	}
	t.nconn++
	t.lru.pushFront(s)
	return s
}

// open makes s a tracked connection, given a packet that travels in
// gopacket's direction d. gopacket calls the direction of the first packet of
// a connection client-to-server; that is turned around when the packet is a
// SYN-ACK going that way, or when no handshake is seen and its sender looks
// like the server.
func (s *stream) open(tcp *layers.TCP, d reassembly.TCPFlowDirection, at time.Time) {
	t := s.t
	s.latent = false
	s.first = at
	var senderIsClient bool
	switch {
	case tcp.SYN && !tcp.ACK:
		senderIsClient = true
	case tcp.SYN && tcp.ACK:
	default:
		s.midStream = true
		senderIsClient = !looksLikeServer(uint16(tcp.SrcPort), uint16(tcp.DstPort))
	}
	s.flip = senderIsClient != (d == reassembly.TCPDirClientToServer)
	s.key = s.gkey
	if s.flip {
		s.key = s.key.Reverse()
	}
	t.counts.Inc(CountConns)
	if s.midStream {
		t.counts.Inc(CountConnsMidStream)
	}
	t.closed.remove(s.zone(), s.gkey)
}

// looksLikeServer guesses, for a connection picked up mid-stream, whether the
// sender of the first packet seen is the server: the side with the lower
// port, as servers listen on well-known or registered ports and clients use
// ephemeral ones. The HTTP decoder corrects the guess from the content.
func looksLikeServer(sport, dport uint16) bool { return sport < dport }

// stream is one tracked TCP connection: both directions.
type stream struct {
	t          *Tracker
	prev, next *stream // LRU links
	key        FlowKey // oriented client → server
	gkey       FlowKey // oriented as gopacket's client-to-server
	latent     bool    // only bare ACK/FIN/RST seen so far: see New
	flip       bool    // gopacket's client-to-server is our server side
	midStream  bool
	ended      [2]bool // per direction: its end was delivered, the assembler takes no more of it
	first      time.Time
	lastSeen   time.Time
	source     string
	vlan       [2]uint16
	nvlan      uint8
	tunnels    [maxTunnelsKept]Tunnel
	ntunnel    uint8
	handler    ConnHandler
	meta       *ConnMeta
	done       bool
	rst        bool // a reset was seen: the close reason is EndRST
	// sent holds, per direction, delivered bytes not yet acknowledged by
	// the peer (at most OverlapCheckBytes), ending at sentEnd.
	sent    [2][]byte
	sentEnd [2]reassembly.Sequence
	// end is, per direction, the sequence number after the last byte
	// delivered (or the first one expected).
	end    [2]reassembly.Sequence
	acked  [2]bool // ackSeq[d] valid
	ackSeq [2]reassembly.Sequence
	// ooo holds, per direction, copies of queued out-of-order segments.
	ooo [2][]oooSeg
	// lastDir is gopacket's direction of the last accepted packet.
	lastDir reassembly.TCPFlowDirection
}

// ackForward reports whether ack acknowledges more than prev, by less than
// a quarter of the sequence space (a bogus jump, or an ACK of another
// connection on reused ports, does not stick).
func ackForward(prev, ack reassembly.Sequence) bool {
	d := prev.Difference(ack)
	return d > 0 && d < 1<<30
}

func (s *stream) dir(d reassembly.TCPFlowDirection) Direction {
	if (d == reassembly.TCPDirClientToServer) != s.flip {
		return ClientToServer
	}
	return ServerToClient
}

func (s *stream) Accept(tcp *layers.TCP, ci gopacket.CaptureInfo, d reassembly.TCPFlowDirection, nextSeq reassembly.Sequence, start *bool, ac reassembly.AssemblerContext) bool {
	t := s.t
	if ci.Timestamp.After(s.lastSeen) {
		s.lastSeen = ci.Timestamp
	}
	t.lru.moveToFront(s)
	if s.latent {
		if !tcp.SYN && len(tcp.Payload) == 0 {
			return false
		}
		s.open(tcp, d, ac.(*pktCtx).real)
	}
	s.lastDir = d
	dir := s.dir(d)
	if tcp.SYN && nextSeq != -1 && nextSeq != reassembly.Sequence(tcp.Seq).Add(1) {
		// A new connection reusing the ports of one still tracked:
		// gopacket drops the SYN, and the old stream goes on until it
		// closes or idles out.
		t.counts.Inc(CountSYNReuse)
	}
	if tcp.RST && (nextSeq == -1 || reassembly.Sequence(tcp.Seq) == nextSeq) {
		// A reset in order; gopacket drops the others, as receivers do.
		s.rst = true
		if !t.synthetic {
			t.reset = s
		}
	}
	if o, ack := dir.Reverse(), reassembly.Sequence(tcp.Ack); tcp.ACK && (!s.acked[o] || ackForward(s.ackSeq[o], ack)) {
		// The peer acknowledged up to tcp.Ack: what it acknowledged can
		// no longer be replaced, so stop keeping it. Only forward: a
		// segment sent earlier and captured late carries an older ACK.
		s.ackSeq[o], s.acked[o] = ack, true
		s.trimSent(o)
	}
	switch {
	case nextSeq != -1:
		s.end[dir] = nextSeq
	case tcp.SYN:
		s.end[dir] = reassembly.Sequence(tcp.Seq).Add(1)
	default:
		// No SYN for this half: start at the first byte seen
		// (mid-stream pickup, or a lost SYN).
		*start = true
		s.end[dir] = reassembly.Sequence(tcp.Seq)
	}
	if len(tcp.Payload) > 0 && nextSeq != -1 {
		seq := reassembly.Sequence(tcp.Seq)
		s.checkOverlap(dir, seq, tcp.Payload, nextSeq)
		if nextSeq.Difference(seq) > 0 {
			if !s.queueCheck(dir, seq, tcp.Payload, nextSeq) {
				return false
			}
			if !tcp.RST && !tcp.SYN && !s.ended[dir] {
				s.noteHeld(dir, seq, len(tcp.Payload))
			}
		}
	}
	return true
}

// oooSeg is a copy of an out-of-order segment the assembler queued.
type oooSeg struct {
	seq  reassembly.Sequence
	data []byte
}

// queueCheck compares a segment that will wait in the assembler's queue
// (it lies after nextSeq) with the segments already queued. gopacket lets a
// later copy overwrite queued bytes, but the receiver keeps the first one
// (Linux's tcp_data_queue_ofo), so a conflicting segment is dropped here and
// raises tcp.overlap_different_data. It reports whether the segment may go on.
// Copies are kept up to OverlapCheckBytes per direction; past that, queued
// overlaps go unchecked.
func (s *stream) queueCheck(dir Direction, seq reassembly.Sequence, payload []byte, nextSeq reassembly.Sequence) bool {
	t := s.t
	q := s.ooo[dir]
	// Forget what the stream has moved past.
	keep := q[:0]
	held := 0
	for _, g := range q {
		if nextSeq.Difference(g.seq.Add(len(g.data))) > 0 {
			keep = append(keep, g)
			held += len(g.data)
		}
	}
	clear(q[len(keep):])
	q = keep
	end := seq.Add(len(payload))
	for _, g := range q {
		gend := g.seq.Add(len(g.data))
		lo, hi := seq, end
		if g.seq.Difference(lo) < 0 {
			lo = g.seq
		}
		if gend.Difference(hi) > 0 {
			hi = gend
		}
		if lo.Difference(hi) <= 0 {
			continue // no overlap
		}
		a := payload[seq.Difference(lo):seq.Difference(hi)]
		b := g.data[g.seq.Difference(lo):g.seq.Difference(hi)]
		if string(a) != string(b) {
			s.ooo[dir] = q
			t.counts.Inc(CountOverlapDiff)
			s.handlerFor().Data(&Chunk{Dir: dir, Time: s.lastSeen, OverlapConflict: true})
			return false
		}
	}
	if held+len(payload) <= t.cfg.OverlapCheckBytes {
		q = append(q, oooSeg{seq: seq, data: append([]byte(nil), payload...)})
	}
	s.ooo[dir] = q
	return true
}

// checkOverlap compares the part of a segment that lies before nextSeq
// (bytes already delivered) with the copy kept in sent.
func (s *stream) checkOverlap(dir Direction, seq reassembly.Sequence, payload []byte, nextSeq reassembly.Sequence) {
	before := seq.Difference(nextSeq) // bytes of payload before nextSeq
	if before <= 0 {
		return
	}
	t := s.t
	t.counts.Inc(CountRetransmit)
	if before > len(payload) {
		before = len(payload)
	}
	sent, end := s.sent[dir], s.sentEnd[dir]
	if len(sent) == 0 || end != nextSeq {
		t.counts.Inc(CountOverlapUnchecked)
		return
	}
	keptStart := end.Add(-len(sent))
	// Compare payload[i:before] against sent where both exist.
	i := 0
	if d := seq.Difference(keptStart); d > 0 { // segment starts before what we kept
		i = d
	}
	if i >= before {
		t.counts.Inc(CountOverlapUnchecked)
		return
	}
	off := keptStart.Difference(seq.Add(i))
	if string(payload[i:before]) != string(sent[off:off+before-i]) {
		t.counts.Inc(CountOverlapDiff)
		s.handlerFor().Data(&Chunk{Dir: dir, Time: s.lastSeen, OverlapConflict: true})
	}
}

// trimSent drops kept bytes of direction dir that the peer acknowledged.
func (s *stream) trimSent(dir Direction) {
	sent := s.sent[dir]
	if len(sent) == 0 || !s.acked[dir] {
		return
	}
	keptStart := s.sentEnd[dir].Add(-len(sent))
	n := keptStart.Difference(s.ackSeq[dir])
	switch {
	case n <= 0:
		return
	case n >= len(sent):
		s.dropSent(dir)
	default:
		s.sent[dir] = sent[:copy(sent, sent[n:])]
	}
}

// keepSent appends delivered bytes to the overlap-check copy.
func (s *stream) keepSent(dir Direction, data []byte, end reassembly.Sequence) {
	t := s.t
	limit := t.cfg.OverlapCheckBytes
	sent := s.sent[dir]
	if sent == nil {
		if n := len(t.spare); n > 0 {
			sent, t.spare = t.spare[n-1], t.spare[:n-1]
		} else {
			sent = make([]byte, 0, limit)
		}
	}
	if len(data) >= limit {
		sent = append(sent[:0], data[len(data)-limit:]...)
	} else {
		if over := len(sent) + len(data) - limit; over > 0 {
			sent = sent[:copy(sent, sent[over:])]
		}
		sent = append(sent, data...)
	}
	s.sent[dir], s.sentEnd[dir] = sent, end
	s.trimSent(dir)
}

func (s *stream) handlerFor() ConnHandler {
	if s.handler == nil {
		t := s.t
		s.meta = &ConnMeta{
			ID:        flowID(s.key, s.zone(), s.first),
			Key:       s.key,
			Source:    s.source,
			Start:     s.first,
			MidStream: s.midStream,
		}
		s.meta.CommunityID = CommunityID(s.key, t.cfg.CommunityIDSeed)
		if s.nvlan > 0 {
			s.meta.VLAN = append([]uint16(nil), s.vlan[:s.nvlan]...)
		}
		if s.ntunnel > 0 {
			s.meta.Tunnels = append([]Tunnel(nil), s.tunnels[:s.ntunnel]...)
		}
		if s.nvlan > 0 || s.ntunnel > 0 {
			s.meta.Zone = t.zoneName(s.vlan[:s.nvlan], s.tunnels[:s.ntunnel])
		}
		s.handler = t.factory(s.meta)
	}
	return s.handler
}

func (s *stream) ReassembledSG(sg reassembly.ScatterGather, ac reassembly.AssemblerContext) {
	t := s.t
	d, _, ended, skip := sg.Info()
	dir := s.dir(d)
	if ended {
		s.ended[dir] = true
	}
	length, _ := sg.Lengths()
	c := &t.chunk
	*c = Chunk{Dir: dir, Frames: c.Frames[:0]}
	if skip > 0 {
		c.Gap = skip
		t.counts.Inc(CountGaps)
		t.counts.Add(CountGapBytes, uint64(skip))
	}
	if length == 0 && c.Gap == 0 {
		return
	}
	c.Data = sg.Fetch(length)
	t.counts.Add(CountStreamBytes, uint64(length))
	// Collect the frames of the packets in this run. A run usually holds
	// one packet; after a hole is filled it holds the queued ones too.
	runStart := s.end[dir].Add(max(skip, 0))
	for off := 0; off < length; {
		ctx := ctxAt(sg, off)
		if ctx == nil {
			break
		}
		if c.Time.IsZero() {
			c.Time = ctx.real
		}
		if n := len(c.Frames); n == 0 || c.Frames[n-1] != ctx.frame {
			c.Frames = append(c.Frames, ctx.frame)
		}
		// Step to the end of this packet in stream terms: its first
		// bytes may have been trimmed as a retransmission.
		next := runStart.Difference(ctx.seq.Add(ctx.length))
		if skip < 0 || next <= off {
			next = off + max(1, ctx.length)
		}
		off = next
	}
	if c.Time.IsZero() {
		c.Time = t.now
	}
	// More than one byte: a FIN takes one sequence number and carries no
	// data.
	if o := dir.Reverse(); s.acked[o] && s.end[o].Difference(s.ackSeq[o]) > 1 {
		c.PeerUnseen = true
	}
	if skip < 0 {
		// Start unknown: what we kept cannot be lined up any more.
		s.dropSent(dir)
	} else if length > 0 {
		s.end[dir] = runStart.Add(length)
		s.keepSent(dir, c.Data, s.end[dir])
	}
	if len(t.held) > 0 {
		s.pruneHeld(dir)
	}
	s.handlerFor().Data(c)
}

func (s *stream) ReassemblyComplete(ac reassembly.AssemblerContext) bool {
	t := s.t
	if !s.done {
		s.done = true
		if s.handler != nil {
			s.handler.Close(s.endReason(), t.now)
		}
		if r := s.endReason(); r == EndFIN || r == EndRST {
			t.closed.add(s.zone(), s.gkey)
		}
		s.ooo = [2][]oooSeg{}
		if len(t.held) > 0 {
			s.dropHeld()
		}
		s.dropSent(ClientToServer)
		s.dropSent(ServerToClient)
		t.lru.remove(s)
		t.nconn--
	}
	return true
}

// dropSent returns direction dir's overlap-check buffer to the spare list.
func (s *stream) dropSent(dir Direction) {
	if s.sent[dir] == nil {
		return
	}
	if t := s.t; len(t.spare) < maxSpare {
		t.spare = append(t.spare, s.sent[dir][:0])
	}
	s.sent[dir] = nil
}

// maxSpare bounds the free list of overlap-check buffers.
const maxSpare = 1024

// ctxAt returns the packet context of the container holding offset off of
// sg. gopacket exposes a container's CaptureInfo but not its context, so the
// context travels inside CaptureInfo.AncillaryData.
func ctxAt(sg reassembly.ScatterGather, off int) *pktCtx {
	ci := sg.CaptureInfo(off)
	if len(ci.AncillaryData) > 0 {
		if c, ok := ci.AncillaryData[0].(*pktCtx); ok {
			return c
		}
	}
	return nil
}

// flowID names a connection by its 5-tuple, zone (Tracker.zone, when it
// has one) and start time (FNV-1a, 64 bits), so the same capture gives the
// same ids whatever the number of workers, and two tenants' connections
// mirrored at the same instant get two.
func flowID(k FlowKey, zone uint64, start time.Time) uint64 {
	h := fnv.New64a()
	a, b := k.SrcIP.As16(), k.DstIP.As16()
	h.Write(a[:])
	h.Write(b[:])
	var buf [21]byte
	binary.BigEndian.PutUint16(buf[0:], k.SrcPort)
	binary.BigEndian.PutUint16(buf[2:], k.DstPort)
	buf[4] = k.Proto
	binary.BigEndian.PutUint64(buf[5:], uint64(start.UnixNano()))
	n := 13
	if zone != 0 {
		binary.BigEndian.PutUint64(buf[13:], zone)
		n = 21
	}
	h.Write(buf[:n])
	// Zero means "no flow" in the alert schema; JSON readers that parse
	// numbers as doubles lose bits above 2^53, so stay below it.
	return h.Sum64()&(1<<53-1) | 1
}

func (s *stream) endReason() EndReason {
	if s.rst {
		return EndRST
	}
	return s.t.closing
}
