package sensor

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"net/netip"
	"os"
	"testing"
	"time"
	"unsafe"

	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// fuzzLinkTypes are the link types FuzzFrameParser picks from with its
// selector byte; the last is one the parser does not handle.
var fuzzLinkTypes = []layers.LinkType{
	layers.LinkTypeEthernet, layers.LinkTypeLinuxSLL, layers.LinkTypeLinuxSLL2,
	layers.LinkTypeNull, layers.LinkTypeLoop, layers.LinkTypeRaw,
	layers.LinkTypeIPv4, layers.LinkTypeIPv6, 12, 14, layers.LinkTypeIEEE802_11,
}

// ethType is the EtherType of an IP packet, by its version.
func ethType(ip []byte) layers.EthernetType {
	if ip[0]>>4 == 6 {
		return layers.EthernetTypeIPv6
	}
	return layers.EthernetTypeIPv4
}

// firstFrames returns up to n frames of a shared pcap capture and its link type.
func firstFrames(f *testing.F, name string, n int) ([][]byte, layers.LinkType) {
	f.Helper()
	fh, err := os.Open(capture(f, name))
	if err != nil {
		f.Fatal(err)
	}
	defer fh.Close()
	r, err := pcapgo.NewReader(fh)
	if err != nil {
		f.Fatalf("%s: %v", name, err)
	}
	var out [][]byte
	for range n {
		data, _, err := r.ReadPacketData()
		if err != nil {
			break
		}
		out = append(out, data)
	}
	return out, r.LinkType()
}

// within reports whether sub lies inside buf's memory.
func within(sub, buf []byte) bool {
	if len(sub) == 0 {
		return true
	}
	if len(buf) == 0 {
		return false
	}
	s, b := uintptr(unsafe.Pointer(unsafe.SliceData(sub))), uintptr(unsafe.Pointer(unsafe.SliceData(buf)))
	return s >= b && s+uintptr(len(sub)) <= b+uintptr(len(buf))
}

func FuzzFrameParser(f *testing.F) {
	for _, name := range []string{
		"linktype-sll.pcap", "linktype-sll2.pcap", "linktype-raw.pcap", "linktype-raw6.pcap",
		"linktype-null.pcap", "vlan-8021q.pcap", "vlan-qinq.pcap", "ipv6-exthdr.pcap",
	} {
		frames, lt := firstFrames(f, name, 4)
		sel := -1
		for i, l := range fuzzLinkTypes {
			if l == lt {
				sel = i
				break
			}
		}
		if sel < 0 {
			f.Fatalf("%s: link type %v not among the fuzzed ones", name, lt)
		}
		for _, fr := range frames {
			f.Add(fr, uint8(sel))
		}
	}
	for _, name := range []string{"ipv4-frag.pcap", "ipv6-frag.pcap"} {
		frames, _ := firstFrames(f, name, 5)
		for _, fr := range frames[3:] {
			f.Add(fr, uint8(0))
		}
	}
	seg := tcpSegment([]byte("x"))
	f.Add(ipv6Packet(0, cat(extHdr(60, 0), extHdr(43, 1), extHdr(44, 0), seg)), uint8(5))
	f.Add(ipv6Packet(51, cat([]byte{6, 4, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, seg)), uint8(7))
	f.Add(ethFrame(0x88a8, cat(vlanTag(1, 0x8100), vlanTag(2, 0x9100), vlanTag(3, 0x0800), ipv4Packet(6, []byte{1, 1, 1, 0}, seg))), uint8(0))
	// Tunnels, one of each kind, nested, and nested past the depth bound.
	in4, in6 := innerIPv4(6, seg), innerIPv6(6, seg)
	for _, fr := range [][]byte{
		ipv4Packet(17, nil, udpDatagram(portVXLAN, cat(vxlanHeader(42), ethFrame(0x8100, cat(vlanTag(5, 0x0800), in4))))),
		ipv6Packet(17, udpDatagram(portGENEVE, cat(geneveHeader(etherTransparentBridging, 7, 2), ethFrame(0x86dd, in6)))),
		ipv4Packet(17, nil, udpDatagram(portGENEVE, cat(geneveHeader(0x0800, 7, 0), in4))),
		ipv4Packet(47, nil, cat(greHeader(greChecksum|greKey|greSeq, etherTransparentBridging, 9), ethFrame(0x0800, in4))),
		ipv4Packet(47, nil, cat(greHeader(0, etherERSPAN12, 0), ethFrame(0x0800, in4))),
		ipv4Packet(47, nil, cat(greHeader(greSeq, etherERSPAN12, 0), erspan2Header(100), ethFrame(0x0800, in4))),
		ipv4Packet(47, nil, cat(greHeader(greSeq, etherERSPAN3, 0), erspan3Header(100, 0, true), ethFrame(0x0800, in4))),
		ipv4Packet(47, nil, cat(greHeader(0, 0x8847, 0), mplsStack(16, 17), []byte{0, 0, 0, 0}, ethFrame(0x0800, in4))),
		ipv4Packet(41, nil, in6),
		ipv6Packet(4, in4),
		ipv4Packet(47, nil, cat(greHeader(greKey, 0x0800, 1), ipv4Packet(17, nil, udpDatagram(portVXLAN, cat(vxlanHeader(2), ethFrame(0x8847, cat(mplsStack(3), in4))))))),
	} {
		f.Add(ethFrame(uint16(ethType(fr)), fr), uint8(0))
		f.Add(fr, uint8(5))
	}
	deep := in4
	for range maxDecapDepth + 1 {
		deep = ipv4Packet(4, nil, deep)
	}
	f.Add(deep, uint8(5))

	f.Fuzz(func(t *testing.T, data []byte, sel uint8) {
		lt := fuzzLinkTypes[int(sel)%len(fuzzLinkTypes)]
		fp := frameParser{counts: Counts{}}
		var p Packet
		res := fp.parse(lt, data, &p)
		if p.NVLAN > 2 {
			t.Fatalf("NVLAN %d", p.NVLAN)
		}
		if int(p.NTunnel) > len(p.Tunnels) || fp.depth > maxDecapDepth+1 {
			t.Fatalf("NTunnel %d, depth %d", p.NTunnel, fp.depth)
		}
		for _, tu := range p.Tunnels[:p.NTunnel] {
			if tu.Kind == 0 || tu.Kind.String() == "unknown" {
				t.Fatalf("tunnel %+v", tu)
			}
		}
		switch res {
		case parsedTCP:
			if !within(p.L4, data) {
				t.Fatal("L4 outside the frame")
			}
			if !p.Src.IsValid() || !p.Dst.IsValid() || p.Src.Is4() != p.Dst.Is4() || p.Proto != 6 {
				t.Fatalf("TCP packet %v -> %v proto %d", p.Src, p.Dst, p.Proto)
			}
		case parsedFragment:
			if !within(fp.frag.data, data) || fp.frag.offset > 0xfff8 || fp.frag.offset%8 != 0 {
				t.Fatalf("fragment of %d bytes at %d outside the frame", len(fp.frag.data), fp.frag.offset)
			}
		case parsedSkip:
			if p.L4 != nil {
				t.Fatal("skipped packet with L4 set")
			}
			var n uint64
			for _, v := range fp.counts {
				n += v
			}
			if n == 0 {
				t.Fatal("skipped packet not counted")
			}
		default:
			t.Fatalf("result %d", res)
		}
	})
}

// fuzzMaxNext bounds the Next calls of one FuzzFileReader input: a record
// takes at least 16 bytes, so even gzip input cannot yield more.
const fuzzMaxNext = 1 << 20

func FuzzFileReader(f *testing.F) {
	for _, name := range []string{"linktype-raw.pcap", "truncated.pcap", "corrupt.pcap", "corrupt.pcapng", "ipv4-frag.pcap", "ipv6-frag.pcap"} {
		data, err := os.ReadFile(capture(f, name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	// The head of a pcapng file and of a gzip one: the whole files are
	// larger than a fuzz input should be.
	for _, name := range []string{"http-hey.pcapng", "http-gonet.pcap.gz"} {
		data, err := os.ReadFile(capture(f, name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data[:min(len(data), 2048)])
	}
	raw := cat(pcapHeader(layers.LinkTypeRaw), pcapRecord(ipv4Frag(0x2000, tcpSegment(nil)[:16])), pcapRecord(ipv4Frag(2, tcpSegment(nil)[16:])))
	f.Add(raw)
	f.Add(gzipped(f, raw))
	// A VXLAN datagram whose outer IPv4 packet was fragmented.
	dgram := udpDatagram(portVXLAN, cat(vxlanHeader(7), ethFrame(0x0800, innerIPv4(6, tcpSegment([]byte("x"))))))
	frag1, frag2 := ipv4Frag(0x2000, dgram[:48]), ipv4Frag(6, dgram[48:])
	frag1[9], frag2[9] = 17, 17
	f.Add(cat(pcapHeader(layers.LinkTypeRaw), pcapRecord(frag1), pcapRecord(frag2)))
	f.Add([]byte{})
	f.Add([]byte("\x0a\x0d\x0d\x0a"))

	f.Fuzz(func(t *testing.T, data []byte) {
		counts := Counts{}
		r := NewFileReader([]string{"-"}, bytes.NewReader(data), counts)
		var errs int
		for i := 0; ; i++ {
			if i == fuzzMaxNext {
				t.Fatalf("no io.EOF after %d calls", i)
			}
			var p Packet
			err := r.Next(&p)
			if err == io.EOF {
				break
			}
			if err != nil {
				var fe *FileError
				if !errors.As(err, &fe) || fe.File != "stdin" {
					t.Fatalf("error %v (%T), want a *FileError for stdin", err, err)
				}
				if errs++; errs > 1 {
					t.Fatalf("second error for one file: %v", err)
				}
				continue
			}
			if p.Source != "stdin" || p.Frame == 0 || len(p.L4) == 0 || p.Proto != 6 {
				t.Fatalf("packet: source %q frame %d L4 %d bytes proto %d", p.Source, p.Frame, len(p.L4), p.Proto)
			}
		}
		if err := r.Next(&Packet{}); err != io.EOF {
			t.Fatalf("after io.EOF: %v", err)
		}
		if done, total := r.Progress(); total != 0 || done > int64(len(data)) {
			t.Fatalf("progress %d/%d for %d bytes", done, total, len(data))
		}
	})
}

// fuzzHandler records the calls of one connection.
type fuzzHandler struct {
	meta   *ConnMeta
	closed int
	bytes  int
}

func (h *fuzzHandler) Data(c *Chunk) {
	if h.closed > 0 {
		panic("Data after Close")
	}
	if c.Gap < 0 {
		panic("negative gap")
	}
	h.bytes += len(c.Data)
}

func (h *fuzzHandler) Close(EndReason, time.Time) { h.closed++ }

// fuzzSegments turns data into TCP packets between two hosts on two
// connections. Each segment takes 5 bytes and its payload:
//
//	0: bit 0 connection, bit 1 direction, bits 2-6 SYN, ACK, FIN, RST, PSH,
//	   bit 7 VLAN 7 (another zone: the same addresses and ports, another
//	   connection)
//	1: sequence offset from the sender's ISN, in units of 8 bytes
//	2: acknowledgment offset from the peer's ISN, in units of 8 bytes
//	3: payload length, mod 64
//	4: time step: 1 ms, or minutes when the top bit is set
func fuzzSegments(data []byte) (pkts []Packet, payload int) {
	cli, srv := netip.MustParseAddr("10.2.0.1"), netip.MustParseAddr("10.2.0.2")
	now := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	isn := [2]uint32{0xfffff000, 7000} // the client's wraps around
	for frame := uint64(1); len(data) >= 5; frame++ {
		b := data[:5]
		data = data[5:]
		n := min(int(b[3]%64), len(data))
		pl := data[:n]
		data = data[n:]
		conn, fromSrv := b[0]&1, b[0]>>1&1
		sport, dport := 40000+uint16(conn), uint16(80)
		src, dst := cli, srv
		if fromSrv == 1 {
			sport, dport, src, dst = dport, sport, srv, cli
		}
		h := make([]byte, 20, 20+n)
		binary.BigEndian.PutUint16(h[0:], sport)
		binary.BigEndian.PutUint16(h[2:], dport)
		binary.BigEndian.PutUint32(h[4:], isn[fromSrv]+uint32(b[1])*8)
		binary.BigEndian.PutUint32(h[8:], isn[1-fromSrv]+uint32(b[2])*8)
		h[12] = 5 << 4
		// SYN, ACK, FIN, RST, PSH from bits 2-6.
		for i, bit := range []byte{0x02, 0x10, 0x01, 0x04, 0x08} {
			if b[0]>>(2+i)&1 == 1 {
				h[13] |= bit
			}
		}
		binary.BigEndian.PutUint16(h[14:], 65535)
		step := time.Millisecond
		if b[4]&0x80 != 0 {
			step = time.Duration(b[4]&0x7f) * time.Minute
		}
		now = now.Add(step)
		payload += n
		p := Packet{Frame: frame, Time: now, Source: "fuzz", Src: src, Dst: dst, Proto: 6, L4: append(h, pl...)}
		if b[0]&0x80 != 0 {
			p.VLAN[0], p.NVLAN = 7, 1
		}
		pkts = append(pkts, p)
	}
	return pkts, payload
}

func FuzzTracker(f *testing.F) {
	// A handshake, a request, its response, FINs; then the same on the
	// second connection out of order, with a retransmission and a reset.
	f.Add([]byte{
		0x04, 0, 0, 0, 1, // SYN
		0x06, 0, 0, 0, 1, // SYN-ACK
		0x08, 0, 0, 0, 1, // ACK
		0x28, 0, 0, 5, 1, 'h', 'e', 'l', 'l', 'o', // ACK PSH "hello"
		0x0a, 0, 1, 3, 1, 'o', 'k', '!',
		0x18, 1, 0, 0, 1, // FIN ACK
		0x1a, 1, 1, 0, 1,
		0x05, 0, 0, 0, 1,
		0x29, 2, 0, 8, 1, 'l', 'a', 't', 'e', 'r', '.', '.', '.',
		0x29, 1, 0, 8, 1, 'f', 'i', 'r', 's', 't', '.', '.', '.',
		0x29, 1, 0, 8, 1, 'F', 'I', 'R', 'S', 'T', '.', '.', '.',
		0x31, 3, 0, 0, 0x85, // RST after five minutes
	})
	// Mid-stream data in both directions with an idle gap.
	f.Add([]byte{
		0x0a, 4, 4, 4, 1, 'H', 'T', 'T', 'P',
		0x08, 4, 5, 4, 0x90, 'G', 'E', 'T', ' ',
		0x0b, 9, 9, 2, 1, 'x', 'y',
	})
	// The same connection in two VLANs, interleaved, with other bytes.
	f.Add([]byte{
		0x04, 0, 0, 0, 1, 0x84, 0, 0, 0, 1,
		0x06, 0, 0, 0, 1, 0x86, 0, 0, 0, 1,
		0x28, 0, 0, 2, 1, 'a', 'a', 0xa8, 0, 0, 2, 1, 'b', 'b',
		0x1c, 1, 0, 0, 1, 0x9c, 1, 0, 0, 1,
	})
	// Data far ahead of a SYN: a hole that times out.
	f.Add([]byte{
		0x04, 0, 0, 0, 1,
		0x08, 200, 0, 63, 1,
	})

	f.Fuzz(func(t *testing.T, data []byte) {
		pkts, payload := fuzzSegments(data)
		cfg := DefaultTrackerConfig()
		cfg.MaxConns = 1 + int(len(data)%3) // eviction past one or two
		cfg.MaxBufferedPerConn = 2 * pageBytes
		cfg.OverlapCheckBytes = 16
		var handlers []*fuzzHandler
		tr := NewTracker(cfg, func(m *ConnMeta) ConnHandler {
			h := &fuzzHandler{meta: m}
			handlers = append(handlers, h)
			return h
		}, Counts{})
		for i := range pkts {
			tr.Packet(&pkts[i])
			if tr.Conns() < 0 {
				t.Fatalf("%d connections", tr.Conns())
			}
			if tr.Buffered() < 0 {
				t.Fatalf("%d bytes buffered", tr.Buffered())
			}
		}
		tr.CloseAll(EndCapture)
		if n := tr.Conns(); n != 0 {
			t.Fatalf("%d connections after CloseAll", n)
		}
		if n := tr.Buffered(); n != 0 || len(tr.held) != 0 {
			t.Fatalf("%d bytes buffered in %d streams after CloseAll", n, len(tr.held))
		}
		var delivered int
		for i, h := range handlers {
			if h.closed != 1 {
				t.Fatalf("handler %d (%v) closed %d times", i, h.meta.Key, h.closed)
			}
			delivered += h.bytes
		}
		if delivered > payload {
			t.Fatalf("%d bytes delivered from %d bytes of payload", delivered, payload)
		}
	})
}
