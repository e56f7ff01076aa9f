package sensor

import (
	"bytes"
	"encoding/binary"
	"io"
	"maps"
	"net/netip"
	"slices"
	"testing"

	"github.com/gopacket/gopacket/layers"
)

// Hand-built tunnel headers. The outer packets run between hostA and hostB
// (packet_test.go); the tunnelled ones between innerCli and innerSrv.

var (
	innerCli4 = netip.MustParseAddr("192.0.2.10")
	innerSrv4 = netip.MustParseAddr("198.51.100.20")
	innerCli6 = netip.MustParseAddr("2001:db8::10")
	innerSrv6 = netip.MustParseAddr("2001:db8::20")
)

// innerIPv4 and innerIPv6 are IP packets between the inner hosts.
func innerIPv4(proto uint8, payload []byte) []byte {
	b := ipv4Packet(proto, nil, payload)
	copy(b[12:16], innerCli4.AsSlice())
	copy(b[16:20], innerSrv4.AsSlice())
	return b
}

func innerIPv6(next uint8, payload []byte) []byte {
	b := ipv6Packet(next, payload)
	copy(b[8:24], innerCli6.AsSlice())
	copy(b[24:40], innerSrv6.AsSlice())
	return b
}

func udpDatagram(dport uint16, payload []byte) []byte {
	h := make([]byte, 8, 8+len(payload))
	binary.BigEndian.PutUint16(h[0:], 50000)
	binary.BigEndian.PutUint16(h[2:], dport)
	binary.BigEndian.PutUint16(h[4:], uint16(8+len(payload)))
	return append(h, payload...)
}

func vxlanHeader(vni uint32) []byte {
	return []byte{0x08, 0, 0, 0, byte(vni >> 16), byte(vni >> 8), byte(vni), 0}
}

// geneveHeader has opts 4-byte words of options (zeros).
func geneveHeader(proto uint16, vni uint32, opts int) []byte {
	h := []byte{byte(opts), 0, byte(proto >> 8), byte(proto), byte(vni >> 16), byte(vni >> 8), byte(vni), 0}
	return append(h, make([]byte, 4*opts)...)
}

// greHeader writes the optional fields whose flags are set, in order.
func greHeader(flags, proto uint16, key uint32) []byte {
	h := binary.BigEndian.AppendUint16(nil, flags)
	h = binary.BigEndian.AppendUint16(h, proto)
	if flags&greChecksum != 0 {
		h = append(h, 0, 0, 0, 0)
	}
	if flags&greKey != 0 {
		h = binary.BigEndian.AppendUint32(h, key)
	}
	if flags&greSeq != 0 {
		h = binary.BigEndian.AppendUint32(h, 1)
	}
	return h
}

func erspan2Header(session uint16) []byte {
	return []byte{0x10, 0x64, byte(session>>8) & 0x03, byte(session), 0, 0, 0, 1}
}

// erspan3Header: frame type ft (0 Ethernet, 2 IP), platform subheader when o.
func erspan3Header(session uint16, ft byte, o bool) []byte {
	h := []byte{0x20, 0, byte(session>>8) & 0x03, byte(session), 1, 2, 3, 4, 0, 0, ft << 2, 0}
	if o {
		h[11] |= 1
		h = append(h, 0x08, 0, 0, 0, 0, 0, 0, 0)
	}
	return h
}

// mplsStack sets bottom-of-stack on the last label.
func mplsStack(labels ...uint32) []byte {
	var b []byte
	for i, l := range labels {
		e := l<<12 | 64
		if i == len(labels)-1 {
			e |= 0x100
		}
		b = binary.BigEndian.AppendUint32(b, e)
	}
	return b
}

func TestDecap(t *testing.T) {
	seg := tcpSegment([]byte("GET / HTTP/1.1\r\n\r\n"))
	in4, in6 := innerIPv4(6, seg), innerIPv6(6, seg)
	eth := layers.LinkTypeEthernet
	const (
		et4, et6, mpls = 0x0800, 0x86dd, 0x8847
		pGRE, pUDP     = 47, 17
	)
	// outer4 and outer6 carry payload from hostA to hostB.
	outer4 := func(proto uint8, payload []byte) []byte { return ethFrame(et4, ipv4Packet(proto, nil, payload)) }
	outer6 := func(next uint8, payload []byte) []byte { return ethFrame(et6, ipv6Packet(next, payload)) }
	vxlan := func(vni uint32, frame []byte) []byte {
		return udpDatagram(portVXLAN, cat(vxlanHeader(vni), frame))
	}
	type want struct {
		res      parseResult
		src, dst netip.Addr
		tunnels  []Tunnel
		vlan     []uint16
		counts   Counts
	}
	tcp4 := func(counts Counts, tunnels ...Tunnel) want {
		return want{res: parsedTCP, src: innerCli4, dst: innerSrv4, tunnels: tunnels, counts: counts}
	}
	tcp6 := func(counts Counts, tunnels ...Tunnel) want {
		return want{res: parsedTCP, src: innerCli6, dst: innerSrv6, tunnels: tunnels, counts: counts}
	}
	skip := func(counts Counts, tunnels ...Tunnel) want {
		return want{res: parsedSkip, tunnels: tunnels, counts: counts}
	}
	n := func(kind TunnelKind) string { return CountDecapPrefix + kind.String() }
	bad := func(kind TunnelKind) string { return CountDecapMalformedPrefix + kind.String() }
	tun := func(k TunnelKind, id uint32) Tunnel { return Tunnel{Kind: k, ID: id} }

	// nestIPIP wraps in4 in depth IPv4-in-IPv4 headers.
	nestIPIP := func(depth int) []byte {
		b := in4
		for range depth {
			b = innerIPv4(4, b)
		}
		return ethFrame(et4, b)
	}
	ipipTunnels := []Tunnel{tun(TunnelIPIP, 0), tun(TunnelIPIP, 0), tun(TunnelIPIP, 0), tun(TunnelIPIP, 0)}

	tests := []struct {
		name string
		data []byte
		want want
	}{
		// VXLAN.
		{"vxlan", outer4(pUDP, vxlan(42, ethFrame(et4, in4))),
			tcp4(Counts{n(TunnelVXLAN): 1}, tun(TunnelVXLAN, 42))},
		{"vxlan over ipv6, inner ipv6", outer6(pUDP, vxlan(0xffffff, ethFrame(et6, in6))),
			tcp6(Counts{n(TunnelVXLAN): 1}, tun(TunnelVXLAN, 0xffffff))},
		{"vxlan inner vlan", ethFrame(0x8100, cat(vlanTag(10, et4), ipv4Packet(pUDP, nil, vxlan(7, ethFrame(0x8100, cat(vlanTag(300, et4), in4)))))),
			func() want {
				w := tcp4(Counts{n(TunnelVXLAN): 1}, tun(TunnelVXLAN, 7))
				w.vlan = []uint16{10, 300}
				return w
			}()},
		{"vxlan header truncated", outer4(pUDP, udpDatagram(portVXLAN, vxlanHeader(1)[:5])), skip(Counts{bad(TunnelVXLAN): 1})},
		{"vxlan without I flag", outer4(pUDP, udpDatagram(portVXLAN, cat([]byte{0, 0, 0, 0, 0, 0, 1, 0}, ethFrame(et4, in4)))),
			skip(Counts{bad(TunnelVXLAN): 1})},
		{"vxlan inner frame truncated", outer4(pUDP, vxlan(1, ethFrame(et4, nil)[:10])),
			skip(Counts{n(TunnelVXLAN): 1, CountPacketsTruncated: 1}, tun(TunnelVXLAN, 1))},
		{"vxlan inner udp", outer4(pUDP, vxlan(1, ethFrame(et4, innerIPv4(pUDP, udpDatagram(53, nil))))),
			skip(Counts{n(TunnelVXLAN): 1, CountPacketsNonTCP: 1}, tun(TunnelVXLAN, 1))},
		{"udp not a tunnel port", outer4(pUDP, udpDatagram(53, vxlanHeader(1))), skip(Counts{CountPacketsNonTCP: 1})},
		{"udp header truncated", outer4(pUDP, udpDatagram(portVXLAN, nil)[:6]), skip(Counts{CountPacketsTruncated: 1})},

		// GENEVE.
		{"geneve ethernet with options", outer4(pUDP, udpDatagram(portGENEVE, cat(geneveHeader(etherTransparentBridging, 0x123456, 2), ethFrame(et4, in4)))),
			tcp4(Counts{n(TunnelGENEVE): 1}, tun(TunnelGENEVE, 0x123456))},
		{"geneve ipv4", outer4(pUDP, udpDatagram(portGENEVE, cat(geneveHeader(et4, 9, 0), in4))),
			tcp4(Counts{n(TunnelGENEVE): 1}, tun(TunnelGENEVE, 9))},
		{"geneve ipv6", outer6(pUDP, udpDatagram(portGENEVE, cat(geneveHeader(et6, 9, 1), in6))),
			tcp6(Counts{n(TunnelGENEVE): 1}, tun(TunnelGENEVE, 9))},
		{"geneve version 1", outer4(pUDP, udpDatagram(portGENEVE, cat([]byte{0x40}, geneveHeader(et4, 9, 0)[1:], in4))),
			skip(Counts{bad(TunnelGENEVE): 1})},
		{"geneve options past the end", outer4(pUDP, udpDatagram(portGENEVE, geneveHeader(et4, 9, 3)[:16])),
			skip(Counts{bad(TunnelGENEVE): 1})},
		{"geneve unknown protocol", outer4(pUDP, udpDatagram(portGENEVE, cat(geneveHeader(0x0806, 9, 0), make([]byte, 28)))),
			skip(Counts{n(TunnelGENEVE): 1, CountPacketsNonIP: 1}, tun(TunnelGENEVE, 9))},

		// GRE.
		{"gre ipv4", outer4(pGRE, cat(greHeader(0, et4, 0), in4)), tcp4(Counts{n(TunnelGRE): 1}, tun(TunnelGRE, 0))},
		{"gre checksum key seq ipv6", outer6(pGRE, cat(greHeader(greChecksum|greKey|greSeq, et6, 0xdeadbeef), in6)),
			tcp6(Counts{n(TunnelGRE): 1}, tun(TunnelGRE, 0xdeadbeef))},
		{"gretap", outer4(pGRE, cat(greHeader(greKey, etherTransparentBridging, 5), ethFrame(et4, in4))),
			tcp4(Counts{n(TunnelGRE): 1}, tun(TunnelGRE, 5))},
		{"gre mpls", outer4(pGRE, cat(greHeader(0, mpls, 0), mplsStack(17), in4)),
			tcp4(Counts{n(TunnelGRE): 1, n(TunnelMPLS): 1}, tun(TunnelGRE, 0), tun(TunnelMPLS, 17))},
		{"gre key truncated", outer4(pGRE, greHeader(greKey, et4, 1)[:6]), skip(Counts{bad(TunnelGRE): 1})},
		{"gre seq truncated", outer4(pGRE, greHeader(greSeq, et4, 0)[:6]), skip(Counts{bad(TunnelGRE): 1})},
		{"gre truncated", outer4(pGRE, []byte{0, 0, 8}), skip(Counts{bad(TunnelGRE): 1})},
		{"gre version 1 (pptp)", outer4(pGRE, cat(greHeader(1, 0x880b, 0), in4)), skip(Counts{CountDecapUnsupported: 1})},
		{"gre routing", outer4(pGRE, cat(greHeader(greRouting, et4, 0), in4)), skip(Counts{CountDecapUnsupported: 1})},

		// ERSPAN.
		{"erspan type I", outer4(pGRE, cat(greHeader(0, etherERSPAN12, 0), ethFrame(et4, in4))),
			tcp4(Counts{n(TunnelERSPAN): 1}, tun(TunnelERSPAN, 0))},
		{"erspan type II", outer4(pGRE, cat(greHeader(greSeq, etherERSPAN12, 0), erspan2Header(0x155), ethFrame(et4, in4))),
			tcp4(Counts{n(TunnelERSPAN): 1}, tun(TunnelERSPAN, 0x155))},
		{"erspan type II bad version", outer4(pGRE, cat(greHeader(greSeq, etherERSPAN12, 0), []byte{0x20}, erspan2Header(1)[1:], ethFrame(et4, in4))),
			skip(Counts{bad(TunnelERSPAN): 1})},
		{"erspan type II truncated", outer4(pGRE, cat(greHeader(greSeq, etherERSPAN12, 0), erspan2Header(1)[:7])),
			skip(Counts{bad(TunnelERSPAN): 1})},
		{"erspan type III", outer4(pGRE, cat(greHeader(greSeq, etherERSPAN3, 0), erspan3Header(1023, 0, false), ethFrame(et4, in4))),
			tcp4(Counts{n(TunnelERSPAN): 1}, tun(TunnelERSPAN, 1023))},
		{"erspan type III platform subheader", outer6(pGRE, cat(greHeader(greSeq, etherERSPAN3, 0), erspan3Header(3, 0, true), ethFrame(et6, in6))),
			tcp6(Counts{n(TunnelERSPAN): 1}, tun(TunnelERSPAN, 3))},
		{"erspan type III ip frame", outer4(pGRE, cat(greHeader(greSeq, etherERSPAN3, 0), erspan3Header(3, 2, false), in4)),
			tcp4(Counts{n(TunnelERSPAN): 1}, tun(TunnelERSPAN, 3))},
		{"erspan type III subheader truncated", outer4(pGRE, cat(greHeader(greSeq, etherERSPAN3, 0), erspan3Header(3, 0, true)[:16])),
			skip(Counts{bad(TunnelERSPAN): 1})},
		{"erspan type III bad version", outer4(pGRE, cat(greHeader(greSeq, etherERSPAN3, 0), erspan2Header(3), make([]byte, 4), ethFrame(et4, in4))),
			skip(Counts{bad(TunnelERSPAN): 1})},
		{"erspan type III frame type 1", outer4(pGRE, cat(greHeader(greSeq, etherERSPAN3, 0), erspan3Header(3, 1, false), in4)),
			skip(Counts{CountDecapUnsupported: 1})},

		// IP in IP.
		{"ipip", outer4(4, in4), tcp4(Counts{n(TunnelIPIP): 1}, tun(TunnelIPIP, 0))},
		{"6in4", outer4(41, in6), tcp6(Counts{n(TunnelIPIP): 1}, tun(TunnelIPIP, 0))},
		{"ipv6 in ipv6", outer6(41, in6), tcp6(Counts{n(TunnelIPIP): 1}, tun(TunnelIPIP, 0))},
		{"4in6", outer6(4, in4), tcp4(Counts{n(TunnelIPIP): 1}, tun(TunnelIPIP, 0))},
		{"ipip inner truncated", outer4(4, in4[:30]), skip(Counts{n(TunnelIPIP): 1, CountPacketsTruncated: 1}, tun(TunnelIPIP, 0))},

		// MPLS.
		{"mpls ipv4", ethFrame(mpls, cat(mplsStack(100, 200), in4)),
			tcp4(Counts{n(TunnelMPLS): 1}, tun(TunnelMPLS, 200))},
		{"mpls multicast ipv6", ethFrame(0x8848, cat(mplsStack(0xfffff), in6)),
			tcp6(Counts{n(TunnelMPLS): 1}, tun(TunnelMPLS, 0xfffff))},
		{"mpls pseudowire ethernet", ethFrame(mpls, cat(mplsStack(16, 17), []byte{0, 0, 0, 1}, ethFrame(et4, in4))),
			tcp4(Counts{n(TunnelMPLS): 1}, tun(TunnelMPLS, 17))},
		{"mpls no bottom of stack", ethFrame(mpls, binary.BigEndian.AppendUint32(nil, 100<<12)), skip(Counts{bad(TunnelMPLS): 1})},
		{"mpls unknown payload", ethFrame(mpls, cat(mplsStack(5), []byte{0x80, 1, 2, 3})),
			skip(Counts{n(TunnelMPLS): 1, CountPacketsNonIP: 1}, tun(TunnelMPLS, 5))},
		{"mpls empty payload", ethFrame(mpls, mplsStack(5)),
			skip(Counts{n(TunnelMPLS): 1, CountPacketsTruncated: 1}, tun(TunnelMPLS, 5))},

		// Nesting and its bounds.
		{"vxlan inside gre", outer4(pGRE, cat(greHeader(greKey, et4, 9), ipv4Packet(pUDP, nil, vxlan(42, ethFrame(et4, in4))))),
			tcp4(Counts{n(TunnelGRE): 1, n(TunnelVXLAN): 1}, tun(TunnelGRE, 9), tun(TunnelVXLAN, 42))},
		{"mpls inside vxlan", outer4(pUDP, vxlan(42, ethFrame(mpls, cat(mplsStack(30, 31), in4)))),
			tcp4(Counts{n(TunnelVXLAN): 1, n(TunnelMPLS): 1}, tun(TunnelVXLAN, 42), tun(TunnelMPLS, 31))},
		{"geneve inside erspan inside vxlan", outer4(pUDP, vxlan(1, ethFrame(et4, ipv4Packet(pGRE, nil, cat(greHeader(greSeq, etherERSPAN12, 0), erspan2Header(2),
			ethFrame(et6, ipv6Packet(pUDP, udpDatagram(portGENEVE, cat(geneveHeader(et4, 3, 0), in4))))))))),
			tcp4(Counts{n(TunnelVXLAN): 1, n(TunnelERSPAN): 1, n(TunnelGENEVE): 1},
				tun(TunnelVXLAN, 1), tun(TunnelERSPAN, 2), tun(TunnelGENEVE, 3))},
		{"eight tunnels", nestIPIP(maxDecapDepth),
			tcp4(Counts{n(TunnelIPIP): maxDecapDepth, CountTunnelsDeep: maxDecapDepth - maxTunnelsKept}, ipipTunnels...)},
		{"nine tunnels", nestIPIP(maxDecapDepth + 1),
			skip(Counts{n(TunnelIPIP): maxDecapDepth, CountTunnelsDeep: maxDecapDepth - maxTunnelsKept, CountDecapTooDeep: 1}, ipipTunnels...)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fp := frameParser{counts: Counts{}}
			var p Packet
			res := fp.parse(eth, tt.data, &p)
			w := tt.want
			if res != w.res {
				t.Fatalf("result %d, want %d (counts %v)", res, w.res, fp.counts)
			}
			if !maps.Equal(fp.counts, w.counts) {
				t.Errorf("counts %v, want %v", fp.counts, w.counts)
			}
			if got := p.Tunnels[:p.NTunnel]; !slices.Equal(got, w.tunnels) {
				t.Errorf("tunnels %v, want %v", got, w.tunnels)
			}
			if got := p.VLAN[:p.NVLAN]; !slices.Equal(got, w.vlan) {
				t.Errorf("vlan %v, want %v", got, w.vlan)
			}
			if res != parsedTCP {
				return
			}
			if p.Src != w.src || p.Dst != w.dst || p.Proto != 6 {
				t.Errorf("flow %v -> %v proto %d, want %v -> %v TCP", p.Src, p.Dst, p.Proto, w.src, w.dst)
			}
			if string(p.L4) != string(seg) {
				t.Errorf("L4 %x, want %x", p.L4, seg)
			}
		})
	}
}

// TestFileReaderFragmentedTunnel: the outer packet of a VXLAN tunnel is
// fragmented (the inner frame filled the outer MTU); the reader reassembles
// it and descends into the whole datagram.
func TestFileReaderFragmentedTunnel(t *testing.T) {
	seg := tcpSegment([]byte("GET /fragmented HTTP/1.1\r\n\r\n"))
	dgram := udpDatagram(portVXLAN, cat(vxlanHeader(77), ethFrame(0x0800, innerIPv4(6, seg))))
	cut := 48 // a multiple of 8, inside the inner Ethernet frame
	frag := func(flagsFrag uint16, payload []byte) []byte {
		b := ipv4Frag(flagsFrag, payload)
		b[9] = 17
		return b
	}
	file := cat(pcapHeader(layers.LinkTypeRaw),
		pcapRecord(frag(0x2000, dgram[:cut])),
		pcapRecord(frag(uint16(cut/8), dgram[cut:])))
	counts := Counts{}
	r := NewFileReader([]string{"-"}, bytes.NewReader(file), counts)
	var p Packet
	if err := r.Next(&p); err != nil {
		t.Fatalf("Next: %v (counts %v)", err, counts)
	}
	if p.Src != innerCli4 || p.Dst != innerSrv4 || string(p.L4) != string(seg) || p.Frame != 2 {
		t.Errorf("packet %v -> %v frame %d L4 %q", p.Src, p.Dst, p.Frame, p.L4)
	}
	if got := p.Tunnels[:p.NTunnel]; !slices.Equal(got, []Tunnel{{TunnelVXLAN, 77}}) {
		t.Errorf("tunnels %v", got)
	}
	if err := r.Next(&p); err != io.EOF {
		t.Errorf("second Next: %v", err)
	}
}

func TestTunnelKindString(t *testing.T) {
	for k, want := range map[TunnelKind]string{
		TunnelVXLAN: "vxlan", TunnelGENEVE: "geneve", TunnelGRE: "gre", TunnelERSPAN: "erspan",
		TunnelIPIP: "ipip", TunnelMPLS: "mpls", 0: "unknown", 200: "unknown",
	} {
		if got := k.String(); got != want {
			t.Errorf("%d: %q, want %q", k, got, want)
		}
	}
}

func BenchmarkFrameParserVXLAN(b *testing.B) {
	frame := ethFrame(0x0800, ipv4Packet(17, nil, udpDatagram(portVXLAN, cat(vxlanHeader(42),
		ethFrame(0x0800, innerIPv4(6, tcpSegment(make([]byte, 1200))))))))
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

// TestTrackerKeepsTunnels: the connection's metadata takes the VLAN tags and
// tunnels of its first packet.
func TestTrackerKeepsTunnels(t *testing.T) {
	pkts := packets(t, append(handshake(), seg{fromClient: true, flags: "PA", seq: 1, ack: 1, data: "GET / HTTP/1.1\r\n\r\n"}))
	for i := range pkts {
		pkts[i].VLAN, pkts[i].NVLAN = [2]uint16{10}, 1
		pkts[i].Tunnels[0] = Tunnel{Kind: TunnelGRE, ID: 9}
		pkts[i].Tunnels[1] = Tunnel{Kind: TunnelVXLAN, ID: 42}
		pkts[i].NTunnel = 2
	}
	recs, _ := runTracker(t, DefaultTrackerConfig(), pkts)
	if len(recs) != 1 {
		t.Fatalf("%d connections", len(recs))
	}
	m := recs[0].meta
	if want := []Tunnel{{TunnelGRE, 9}, {TunnelVXLAN, 42}}; !slices.Equal(m.Tunnels, want) {
		t.Errorf("tunnels %v, want %v", m.Tunnels, want)
	}
	if !slices.Equal(m.VLAN, []uint16{10}) {
		t.Errorf("vlan %v", m.VLAN)
	}
}
