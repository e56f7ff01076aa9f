package sensor

import (
	"bytes"
	"testing"
	"time"

	"github.com/gopacket/gopacket/layers"
)

func TestFrameDecoderTunnelPayload(t *testing.T) {
	tcp := tcpSegment([]byte("GET / HTTP/1.1\r\n\r\n"))
	for _, c := range []struct {
		name    string
		kind    TunnelKind
		payload []byte
		ok      bool
		id      uint32
		src     string
	}{
		{"vxlan", TunnelVXLAN, cat(vxlanHeader(42), ethFrame(0x0800, innerIPv4(6, tcp))), true, 42, "192.0.2.10"},
		{"vxlan ipv6", TunnelVXLAN, cat(vxlanHeader(7), ethFrame(0x86dd, innerIPv6(6, tcp))), true, 7, "2001:db8::10"},
		{"geneve ethernet", TunnelGENEVE, cat(geneveHeader(etherTransparentBridging, 9, 2), ethFrame(0x0800, innerIPv4(6, tcp))), true, 9, "192.0.2.10"},
		{"geneve ip", TunnelGENEVE, cat(geneveHeader(0x0800, 10, 0), innerIPv4(6, tcp)), true, 10, "192.0.2.10"},
		{"vxlan without I flag", TunnelVXLAN, cat([]byte{0, 0, 0, 0, 0, 0, 42, 0}, ethFrame(0x0800, innerIPv4(6, tcp))), false, 0, ""},
		{"vxlan udp inside", TunnelVXLAN, cat(vxlanHeader(1), ethFrame(0x0800, innerIPv4(17, udpDatagram(53, nil)))), false, 0, ""},
		{"truncated", TunnelGENEVE, []byte{0, 0}, false, 0, ""},
		{"not a udp tunnel", TunnelGRE, cat(vxlanHeader(42), ethFrame(0x0800, innerIPv4(6, tcp))), false, 0, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			counts := Counts{}
			d := NewFrameDecoder(counts)
			var p Packet
			if got := d.DecodeTunnel(c.kind, c.payload, &p); got != c.ok {
				t.Fatalf("DecodeTunnel = %v, want %v (counts %v)", got, c.ok, counts)
			}
			if !c.ok {
				if len(counts) == 0 {
					t.Fatal("a frame that was not decoded was not counted")
				}
				return
			}
			if p.NTunnel != 1 || p.Tunnels[0].Kind != c.kind || p.Tunnels[0].ID != c.id {
				t.Fatalf("tunnels %v (%d), want %v %d", p.Tunnels, p.NTunnel, c.kind, c.id)
			}
			if p.Src.String() != c.src || p.Proto != 6 || len(p.L4) != len(tcp) {
				t.Fatalf("packet %v → %v proto %d, %d bytes", p.Src, p.Dst, p.Proto, len(p.L4))
			}
		})
	}
}

func TestFrameDecoderFragments(t *testing.T) {
	counts := Counts{}
	d := NewFrameDecoder(counts)
	tcp := tcpSegment(make([]byte, 64))
	first := ipv4Frag(0x2000, tcp[:48]) // MF, offset 0
	second := ipv4Frag(48/8, tcp[48:])  // offset 48
	var p Packet
	p.Time = time.Unix(1, 0)
	if d.Decode(layers.LinkTypeRaw, first, &p) {
		t.Fatal("first fragment decoded alone")
	}
	p = Packet{Time: time.Unix(1, 0)}
	if !d.Decode(layers.LinkTypeRaw, second, &p) || len(p.L4) != len(tcp) {
		t.Fatalf("reassembled: %d bytes, counts %v", len(p.L4), counts)
	}
}

func FuzzFrameDecoderTunnel(f *testing.F) {
	tcp := tcpSegment([]byte("x"))
	f.Add(uint8(TunnelVXLAN), cat(vxlanHeader(42), ethFrame(0x0800, innerIPv4(6, tcp))))
	f.Add(uint8(TunnelGENEVE), cat(geneveHeader(etherTransparentBridging, 9, 2), ethFrame(0x0800, innerIPv4(6, tcp))))
	f.Add(uint8(TunnelGENEVE), cat(geneveHeader(0x86dd, 9, 0), innerIPv6(6, tcp)))
	f.Add(uint8(TunnelVXLAN), cat(vxlanHeader(1), ethFrame(0x0800, ipv4Frag(0x2000, tcp[:8]))))
	f.Fuzz(func(t *testing.T, kind uint8, payload []byte) {
		d := NewFrameDecoder(Counts{})
		var p Packet
		if d.DecodeTunnel(TunnelKind(kind), payload, &p) && len(p.L4) > len(payload)+65535 {
			t.Fatalf("L4 of %d bytes from %d", len(p.L4), len(payload))
		}
	})
}

func BenchmarkFrameDecoderVXLAN(b *testing.B) {
	payload := cat(vxlanHeader(42), ethFrame(0x0800, innerIPv4(6, tcpSegment(make([]byte, 1400)))))
	d := NewFrameDecoder(Counts{})
	var p Packet
	b.ReportAllocs()
	b.SetBytes(int64(len(payload)))
	for b.Loop() {
		p = Packet{}
		if !d.DecodeTunnel(TunnelVXLAN, payload, &p) {
			b.Fatal("not decoded")
		}
	}
}

// TestFrameDecoderFragmentZones: two tenants (VLANs 10 and 20) send
// fragments of different datagrams with the same addresses and IP ID,
// interleaved: each datagram is rebuilt from its own fragments.
func TestFrameDecoderFragmentZones(t *testing.T) {
	counts := Counts{}
	d := NewFrameDecoder(counts)
	tcpA := tcpSegment(bytes.Repeat([]byte("a"), 64))
	tcpB := tcpSegment(bytes.Repeat([]byte("b"), 64))
	var got [][]byte
	for _, f := range []struct {
		vlan   uint16
		tcp    []byte
		second bool
	}{{10, tcpA, false}, {20, tcpB, false}, {10, tcpA, true}, {20, tcpB, true}} {
		p := Packet{Time: time.Unix(1, 0)}
		p.VLAN[0], p.NVLAN = f.vlan, 1
		data := ipv4Frag(0x2000, f.tcp[:48])
		if f.second {
			data = ipv4Frag(48/8, f.tcp[48:])
		}
		if d.Decode(layers.LinkTypeRaw, data, &p) {
			got = append(got, append([]byte(nil), p.L4...))
		}
	}
	if len(got) != 2 || !bytes.Equal(got[0], tcpA) || !bytes.Equal(got[1], tcpB) {
		t.Fatalf("rebuilt %d datagrams, want the two tenants' own (counts %v)", len(got), counts)
	}
}
