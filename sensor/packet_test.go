package sensor

import (
	"bytes"
	"encoding/binary"
	"maps"
	"net/netip"
	"testing"

	"github.com/gopacket/gopacket/layers"
)

// Hand-built frames for the parser tests. Checksums are left zero: the
// parser does not check them.

var (
	hostA4 = netip.MustParseAddr("10.1.0.1")
	hostB4 = netip.MustParseAddr("10.1.0.2")
	hostA6 = netip.MustParseAddr("fd00::1")
	hostB6 = netip.MustParseAddr("fd00::2")
)

// tcpSegment is a 20-byte TCP header, ports 40000 → 80, ACK|PSH, then payload.
func tcpSegment(payload []byte) []byte {
	h := make([]byte, 20, 20+len(payload))
	binary.BigEndian.PutUint16(h[0:], 40000)
	binary.BigEndian.PutUint16(h[2:], 80)
	binary.BigEndian.PutUint32(h[4:], 1000)
	binary.BigEndian.PutUint32(h[8:], 2000)
	h[12] = 5 << 4
	h[13] = 0x18
	binary.BigEndian.PutUint16(h[14:], 65535)
	return append(h, payload...)
}

// ipv4Packet is an IPv4 header from hostA4 to hostB4 with the given options
// (a multiple of 4 bytes), then payload.
func ipv4Packet(proto uint8, opts, payload []byte) []byte {
	ihl := 20 + len(opts)
	h := make([]byte, 20, ihl+len(payload))
	h[0] = 4<<4 | byte(ihl/4)
	binary.BigEndian.PutUint16(h[2:], uint16(ihl+len(payload)))
	binary.BigEndian.PutUint16(h[4:], 0x1234)
	binary.BigEndian.PutUint16(h[6:], 0x4000) // DF
	h[8] = 64
	h[9] = proto
	copy(h[12:16], hostA4.AsSlice())
	copy(h[16:20], hostB4.AsSlice())
	h = append(h, opts...)
	return append(h, payload...)
}

// ipv4Frag is ipv4Packet with the fragment field set to flagsFrag.
func ipv4Frag(flagsFrag uint16, payload []byte) []byte {
	p := ipv4Packet(6, nil, payload)
	binary.BigEndian.PutUint16(p[6:], flagsFrag)
	return p
}

// ipv6Packet is an IPv6 header from hostA6 to hostB6 whose next header is
// next, then payload (extension headers included).
func ipv6Packet(next uint8, payload []byte) []byte {
	h := make([]byte, 40, 40+len(payload))
	h[0] = 6 << 4
	binary.BigEndian.PutUint16(h[4:], uint16(len(payload)))
	h[6] = next
	h[7] = 64
	copy(h[8:24], hostA6.AsSlice())
	copy(h[24:40], hostB6.AsSlice())
	return append(h, payload...)
}

// extHdr is an IPv6 extension header (hop-by-hop, routing or destination
// options) of 8*(1+units) bytes.
func extHdr(next uint8, units int) []byte {
	h := make([]byte, 8*(1+units))
	h[0], h[1] = next, byte(units)
	if len(h) > 2 {
		h[2] = 1 // PadN
		h[3] = byte(len(h) - 4)
	}
	return h
}

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

func ethFrame(etherType uint16, payload []byte) []byte {
	h := make([]byte, 14, 14+len(payload))
	copy(h[0:6], []byte{2, 0, 0, 0, 0, 2})
	copy(h[6:12], []byte{2, 0, 0, 0, 0, 1})
	binary.BigEndian.PutUint16(h[12:], etherType)
	return append(h, payload...)
}

// vlanTag is an 802.1Q tag body (TCI, then the inner EtherType).
func vlanTag(tci, inner uint16) []byte {
	return binary.BigEndian.AppendUint16(binary.BigEndian.AppendUint16(nil, tci), inner)
}

func sllFrame(etherType uint16, payload []byte) []byte {
	h := make([]byte, 16, 16+len(payload))
	binary.BigEndian.PutUint16(h[2:], 1)
	binary.BigEndian.PutUint16(h[4:], 6)
	binary.BigEndian.PutUint16(h[14:], etherType)
	return append(h, payload...)
}

func sll2Frame(etherType uint16, payload []byte) []byte {
	h := make([]byte, 20, 20+len(payload))
	binary.BigEndian.PutUint16(h[0:], etherType)
	binary.BigEndian.PutUint32(h[4:], 2)
	binary.BigEndian.PutUint16(h[8:], 1)
	h[11] = 6
	return append(h, payload...)
}

func nullFrame(af uint32, bo binary.AppendByteOrder, payload []byte) []byte {
	return append(bo.AppendUint32(nil, af), payload...)
}

func TestFrameParser(t *testing.T) {
	seg := tcpSegment([]byte("GET / HTTP/1.1\r\n\r\n"))
	v4 := ipv4Packet(6, nil, seg)
	v6 := ipv6Packet(6, seg)
	udp := make([]byte, 8)
	eth, sll, sll2 := layers.LinkTypeEthernet, layers.LinkTypeLinuxSLL, layers.LinkTypeLinuxSLL2
	const (
		et4, et6 = 0x0800, 0x86dd
		dot1q    = 0x8100
		dot1ad   = 0x88a8
	)
	type want struct {
		res      parseResult
		src, dst netip.Addr
		l4       []byte // for parsedTCP
		frag     []byte // for parsedFragment: the fragment's bytes kept for defrag
		vlan     [2]uint16
		nvlan    uint8
		proto    uint8
		counts   Counts
	}
	tcp4 := want{res: parsedTCP, src: hostA4, dst: hostB4, l4: seg, proto: 6}
	tcp6 := want{res: parsedTCP, src: hostA6, dst: hostB6, l4: seg, proto: 6}
	skip := func(kind string) want { return want{res: parsedSkip, counts: Counts{kind: 1}} }
	with := func(w want, f func(*want)) want { f(&w); return w }

	tests := []struct {
		name string
		lt   layers.LinkType
		data []byte
		want want
	}{
		// Link layers.
		{"ethernet ipv4", eth, ethFrame(et4, v4), tcp4},
		{"ethernet ipv6", eth, ethFrame(et6, v6), tcp6},
		{"ethernet short", eth, ethFrame(et4, nil)[:13], skip(CountPacketsTruncated)},
		{"ethernet arp", eth, ethFrame(0x0806, make([]byte, 28)), skip(CountPacketsNonIP)},
		{"ethernet padding trimmed", eth, ethFrame(et4, append(ipv4Packet(6, nil, tcpSegment(nil)), make([]byte, 6)...)),
			with(tcp4, func(w *want) { w.l4 = tcpSegment(nil) })},
		{"ethernet ipv6 padding trimmed", eth, ethFrame(et6, append(ipv6Packet(6, tcpSegment(nil)), 0, 0, 0, 0)),
			with(tcp6, func(w *want) { w.l4 = tcpSegment(nil) })},
		{"sll ipv4", sll, sllFrame(et4, v4), tcp4},
		{"sll short", sll, sllFrame(et4, nil)[:15], skip(CountPacketsTruncated)},
		{"sll2 ipv6", sll2, sll2Frame(et6, v6), tcp6},
		{"sll2 short", sll2, sll2Frame(et6, nil)[:19], skip(CountPacketsTruncated)},
		{"sll2 non-ip", sll2, sll2Frame(0x0806, make([]byte, 28)), skip(CountPacketsNonIP)},
		{"null little-endian inet", layers.LinkTypeNull, nullFrame(2, binary.LittleEndian, v4), tcp4},
		{"null big-endian inet6 bsd", layers.LinkTypeNull, nullFrame(24, binary.BigEndian, v6), tcp6},
		{"null inet6 linux", layers.LinkTypeNull, nullFrame(10, binary.LittleEndian, v6), tcp6},
		{"null inet6 macos", layers.LinkTypeNull, nullFrame(30, binary.LittleEndian, v6), tcp6},
		{"loop big-endian inet", layers.LinkTypeLoop, nullFrame(2, binary.BigEndian, v4), tcp4},
		{"null other family", layers.LinkTypeNull, nullFrame(7, binary.LittleEndian, v4), skip(CountPacketsNonIP)},
		{"null short", layers.LinkTypeNull, []byte{2, 0, 0}, skip(CountPacketsTruncated)},
		{"raw ipv4", layers.LinkTypeRaw, v4, tcp4},
		{"raw ipv6", layers.LinkTypeRaw, v6, tcp6},
		{"linktype ipv4", layers.LinkTypeIPv4, v4, tcp4},
		{"linktype ipv6", layers.LinkTypeIPv6, v6, tcp6},
		{"dlt raw 12", 12, v4, tcp4},
		{"dlt raw 14", 14, v6, tcp6},
		{"raw empty", layers.LinkTypeRaw, nil, skip(CountPacketsTruncated)},
		{"raw version 5", layers.LinkTypeRaw, append([]byte{0x50}, v4[1:]...), skip(CountPacketsNonIP)},
		{"unsupported link type", layers.LinkTypeIEEE802_11, ethFrame(et4, v4), skip(CountLinkUnsupported)},

		// VLAN tags.
		{"802.1q", eth, ethFrame(dot1q, cat(vlanTag(100, et4), v4)),
			with(tcp4, func(w *want) { w.vlan, w.nvlan = [2]uint16{100, 0}, 1 })},
		{"802.1q priority bits masked", eth, ethFrame(dot1q, cat(vlanTag(0xe000|100, et4), v4)),
			with(tcp4, func(w *want) { w.vlan, w.nvlan = [2]uint16{100, 0}, 1 })},
		{"qinq", eth, ethFrame(dot1ad, cat(vlanTag(200, dot1q), vlanTag(100, et6), v6)),
			with(tcp6, func(w *want) { w.vlan, w.nvlan = [2]uint16{200, 100}, 2 })},
		{"qinq 0x9100", eth, ethFrame(0x9100, cat(vlanTag(300, dot1q), vlanTag(100, et4), v4)),
			with(tcp4, func(w *want) { w.vlan, w.nvlan = [2]uint16{300, 100}, 2 })},
		{"three tags", eth, ethFrame(dot1ad, cat(vlanTag(1, dot1q), vlanTag(2, dot1q), vlanTag(3, et4), v4)),
			with(tcp4, func(w *want) { w.vlan, w.nvlan, w.counts = [2]uint16{1, 2}, 2, Counts{CountVLANDeep: 1} })},
		{"vlan tag cut", eth, ethFrame(dot1q, []byte{0, 100}),
			want{res: parsedSkip, counts: Counts{CountPacketsTruncated: 1}}},
		{"vlan over non-ip", eth, ethFrame(dot1q, cat(vlanTag(5, 0x0806), make([]byte, 28))),
			want{res: parsedSkip, vlan: [2]uint16{5, 0}, nvlan: 1, counts: Counts{CountPacketsNonIP: 1}}},

		// IPv4.
		{"ipv4 udp", layers.LinkTypeRaw, ipv4Packet(17, nil, udp),
			want{res: parsedSkip, src: hostA4, dst: hostB4, proto: 17, counts: Counts{CountPacketsNonTCP: 1}}},
		{"ipv4 options", layers.LinkTypeRaw, ipv4Packet(6, []byte{0x94, 4, 0, 0, 1, 1, 1, 0}, seg), tcp4},
		{"ipv4 ihl 4", layers.LinkTypeRaw, func() []byte { p := bytes.Clone(v4); p[0] = 0x44; return p }(), skip(CountPacketsMalformed)},
		{"ipv4 ihl past total length", layers.LinkTypeRaw, func() []byte { p := bytes.Clone(v4); p[0] = 0x4f; binary.BigEndian.PutUint16(p[2:], 40); return p }(),
			skip(CountPacketsMalformed)},
		{"ipv4 ihl past capture", layers.LinkTypeRaw, func() []byte {
			p := ipv4Packet(6, nil, nil)
			p[0] = 0x4f
			binary.BigEndian.PutUint16(p[2:], 60)
			return p
		}(),
			skip(CountPacketsTruncated)},
		{"ipv4 version 6 under ipv4 ethertype", eth, ethFrame(et4, v6), skip(CountPacketsMalformed)},
		{"ipv4 header cut", layers.LinkTypeRaw, v4[:19], skip(CountPacketsTruncated)},
		{"ipv4 total length past capture", layers.LinkTypeRaw, v4[:len(v4)-1], skip(CountPacketsTruncated)},
		{"ipv4 total length below header", layers.LinkTypeRaw, func() []byte { p := bytes.Clone(v4); binary.BigEndian.PutUint16(p[2:], 19); return p }(),
			skip(CountPacketsMalformed)},
		{"ipv4 more fragments", layers.LinkTypeRaw, ipv4Frag(0x2000, seg[:16]),
			want{res: parsedFragment, src: hostA4, dst: hostB4, proto: 6, frag: seg[:16], counts: Counts{CountFragments: 1}}},
		{"ipv4 last fragment", eth, ethFrame(et4, append(ipv4Frag(2, seg[16:]), 0, 0, 0)),
			want{res: parsedFragment, src: hostA4, dst: hostB4, proto: 6, frag: seg[16:], counts: Counts{CountFragments: 1}}},

		// IPv6.
		{"ipv6 udp", layers.LinkTypeRaw, ipv6Packet(17, udp),
			want{res: parsedSkip, src: hostA6, dst: hostB6, proto: 17, counts: Counts{CountPacketsNonTCP: 1}}},
		{"ipv6 no next header", layers.LinkTypeRaw, ipv6Packet(59, nil),
			want{res: parsedSkip, src: hostA6, dst: hostB6, proto: 59, counts: Counts{CountPacketsNonTCP: 1}}},
		{"ipv6 hop-by-hop, destination, routing", layers.LinkTypeRaw,
			ipv6Packet(0, cat(extHdr(60, 0), extHdr(43, 1), extHdr(6, 2), seg)),
			with(tcp6, func(w *want) { w.counts = Counts{CountIPv6ExtHeaders: 3} })},
		{"ipv6 authentication header", layers.LinkTypeRaw,
			ipv6Packet(51, cat([]byte{6, 4, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, seg)), tcp6},
		{"ipv6 fragment header", layers.LinkTypeRaw, ipv6Packet(44, cat([]byte{6, 0, 0, 1, 0, 0, 0, 7}, seg)),
			want{res: parsedFragment, src: hostA6, dst: hostB6, frag: seg, counts: Counts{CountIPv6Fragments: 1}}},
		{"ipv6 fragment after hop-by-hop", layers.LinkTypeRaw, ipv6Packet(0, cat(extHdr(44, 0), []byte{6, 0, 0, 1, 0, 0, 0, 7}, seg)),
			want{res: parsedFragment, src: hostA6, dst: hostB6, frag: seg, counts: Counts{CountIPv6ExtHeaders: 1, CountIPv6Fragments: 1}}},
		{"ipv6 atomic fragment", layers.LinkTypeRaw, ipv6Packet(44, cat([]byte{6, 0, 0, 0, 0, 0, 0, 7}, seg)),
			with(tcp6, func(w *want) { w.counts = Counts{CountIPv6Fragments: 1} })},
		{"ipv6 fragment header cut", layers.LinkTypeRaw, ipv6Packet(44, []byte{6, 0, 0, 1}),
			want{res: parsedSkip, src: hostA6, dst: hostB6, counts: Counts{CountPacketsTruncated: 1}}},
		{"ipv6 ext header cut", layers.LinkTypeRaw, ipv6Packet(0, []byte{6, 0, 0, 0}),
			want{res: parsedSkip, src: hostA6, dst: hostB6, counts: Counts{CountPacketsTruncated: 1}}},
		{"ipv6 ext header length past payload", layers.LinkTypeRaw, ipv6Packet(60, cat(extHdr(6, 0)[:1], []byte{3, 0, 0, 0, 0, 0, 0}, seg[:8])),
			want{res: parsedSkip, src: hostA6, dst: hostB6, counts: Counts{CountPacketsTruncated: 1}}},
		{"ipv6 ah cut", layers.LinkTypeRaw, ipv6Packet(51, []byte{6, 4, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1}),
			want{res: parsedSkip, src: hostA6, dst: hostB6, counts: Counts{CountPacketsTruncated: 1}}},
		{"ipv6 header cut", layers.LinkTypeRaw, v6[:39], skip(CountPacketsTruncated)},
		{"ipv6 payload length past capture", layers.LinkTypeRaw, v6[:len(v6)-1], skip(CountPacketsTruncated)},
		{"ipv6 payload length zero", layers.LinkTypeRaw, func() []byte { p := bytes.Clone(v6); p[4], p[5] = 0, 0; return p }(), tcp6},
		{"ipv6 version 4 under ipv6 ethertype", eth, ethFrame(et6, append(bytes.Clone(v4), make([]byte, 40)...)), skip(CountPacketsMalformed)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			counts := Counts{}
			fp := frameParser{counts: counts}
			var p Packet
			res := fp.parse(tt.lt, tt.data, &p)
			w := tt.want
			if res != w.res {
				t.Errorf("result %d, want %d", res, w.res)
			}
			if p.Src != w.src || p.Dst != w.dst || p.Proto != w.proto {
				t.Errorf("%v -> %v proto %d, want %v -> %v proto %d", p.Src, p.Dst, p.Proto, w.src, w.dst, w.proto)
			}
			if p.VLAN != w.vlan || p.NVLAN != w.nvlan {
				t.Errorf("vlan %v/%d, want %v/%d", p.VLAN, p.NVLAN, w.vlan, w.nvlan)
			}
			if !bytes.Equal(p.L4, w.l4) {
				t.Errorf("L4 % x\nwant % x", p.L4, w.l4)
			}
			if w.res == parsedFragment && !bytes.Equal(fp.frag.data, w.frag) {
				t.Errorf("fragment % x\nwant % x", fp.frag.data, w.frag)
			}
			wantCounts := w.counts
			if wantCounts == nil {
				wantCounts = Counts{}
			}
			if !maps.Equal(counts, wantCounts) {
				t.Errorf("counts %v, want %v", counts, wantCounts)
			}
		})
	}
}

// L4 aliases the frame: the parser copies nothing.
func TestFrameParserNoCopy(t *testing.T) {
	frame := ethFrame(0x0800, ipv4Packet(6, nil, tcpSegment([]byte("x"))))
	var p Packet
	fp := frameParser{counts: Counts{}}
	if res := fp.parse(layers.LinkTypeEthernet, frame, &p); res != parsedTCP {
		t.Fatalf("result %d", res)
	}
	if &p.L4[0] != &frame[34] {
		t.Error("L4 does not point into the frame")
	}
}

func BenchmarkFrameParser(b *testing.B) {
	frame := ethFrame(0x8100, cat(vlanTag(100, 0x0800), ipv4Packet(6, nil, tcpSegment(make([]byte, 1400)))))
	fp := frameParser{counts: Counts{}}
	b.ReportAllocs()
	b.SetBytes(int64(len(frame)))
	for b.Loop() {
		var p Packet
		if fp.parse(layers.LinkTypeEthernet, frame, &p) != parsedTCP {
			b.Fatal("not TCP")
		}
	}
}
