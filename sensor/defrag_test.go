package sensor

import (
	"bytes"
	"encoding/binary"
	"maps"
	"testing"
	"time"

	"github.com/gopacket/gopacket/layers"
)

// ipv6Frag is an IPv6 packet holding one fragment, at offset off, of the
// datagram id whose payload starts with next header next.
func ipv6Frag(next uint8, id uint32, off int, more bool, data []byte) []byte {
	h := make([]byte, 8)
	h[0] = next
	fo := uint16(off)
	if more {
		fo |= 1
	}
	binary.BigEndian.PutUint16(h[2:], fo)
	binary.BigEndian.PutUint32(h[4:], id)
	return ipv6Packet(44, cat(h, data))
}

// ipv4FragID is ipv4Frag of the datagram with IP ID id.
func ipv4FragID(id uint16, flagsFrag uint16, payload []byte) []byte {
	p := ipv4Frag(flagsFrag, payload)
	binary.BigEndian.PutUint16(p[4:], id)
	return p
}

// defragRun decodes frames in order, at second 1 of packet time, and returns
// the L4 bytes of the packets that came out.
func defragRun(t *testing.T, d *FrameDecoder, frames ...[]byte) [][]byte {
	t.Helper()
	var out [][]byte
	for _, f := range frames {
		p := Packet{Time: time.Unix(1, 0)}
		if d.Decode(layers.LinkTypeRaw, f, &p) {
			out = append(out, bytes.Clone(p.L4))
		}
	}
	return out
}

// TestDefrag checks the reassembly rules on both IP versions: any order,
// repeats ignored, overlaps and contradictions drop the datagram (counted),
// and the IPv6 rules that differ (8-byte multiples, extension headers after
// the Fragment header).
func TestDefrag(t *testing.T) {
	tcp := tcpSegment(bytes.Repeat([]byte("GET /?q=1' OR '1'='1 "), 4)) // 104 bytes
	a, b, c := tcp[:48], tcp[48:96], tcp[96:]
	other := tcpSegment(bytes.Repeat([]byte("GET /?q=a harmless value "), 4)) // what a receiver keeps instead
	v4 := func(off int, more bool, data []byte) []byte {
		ff := uint16(off / 8)
		if more {
			ff |= 0x2000
		}
		return ipv4Frag(ff, data)
	}
	v6 := func(off int, more bool, data []byte) []byte { return ipv6Frag(6, 7, off, more, data) }
	for _, tc := range []struct {
		name   string
		frames [][]byte
		want   [][]byte
		counts Counts
	}{
		{"v4 in order", [][]byte{v4(0, true, a), v4(48, true, b), v4(96, false, c)}, [][]byte{tcp},
			Counts{CountFragments: 3}},
		{"v4 last first", [][]byte{v4(96, false, c), v4(0, true, a), v4(48, true, b)}, [][]byte{tcp},
			Counts{CountFragments: 3}},
		{"v4 repeat ignored", [][]byte{v4(0, true, a), v4(0, true, a), v4(48, true, b), v4(96, false, c)}, [][]byte{tcp},
			Counts{CountFragments: 4}},
		{"v4 overlap that disagrees", [][]byte{v4(0, true, a), v4(40, true, tcp[40:88]), v4(48, true, b), v4(96, false, c)}, nil,
			Counts{CountFragments: 4, CountFragmentOverlap: 1}},
		{"v4 two final fragments", [][]byte{v4(96, false, c), v4(48, false, b), v4(0, true, a)}, nil,
			Counts{CountFragments: 3, CountFragmentErrors: 1}},
		{"v4 fragment past the final one", [][]byte{v4(48, false, b), v4(96, true, c[:8]), v4(0, true, a)}, nil,
			Counts{CountFragments: 3, CountFragmentErrors: 1}},
		{"v4 non-final of 7 bytes", [][]byte{v4(0, true, a[:7])}, nil,
			Counts{CountFragments: 1, CountFragmentErrors: 1}},
		{"v4 non-final cut to 8-byte units", [][]byte{v4(0, true, tcp[:50]), v4(48, true, b), v4(96, false, c)}, [][]byte{tcp},
			Counts{CountFragments: 3}},
		// Past 64 KiB: queued like any fragment (a later final fragment
		// that ends before it drops the datagram), refused when whole.
		{"v4 past 64 KiB", [][]byte{v4(65512, true, tcp[:24]), v4(0, true, tcp[:16]), v4(16, false, tcp[16:32])}, nil,
			Counts{CountFragments: 3, CountFragmentErrors: 1}},
		// Linux checks where a final fragment ends before its bytes: one
		// inside held data drops the datagram, even as a repeat.
		{"v4 final fragment inside held data", [][]byte{v4(0, true, a), v4(48, true, b), v4(16, false, tcp[16:32]),
			v4(96, false, c), v4(0, true, other[:48]), v4(48, true, other[48:96])}, [][]byte{cat(other[:96], c)},
			Counts{CountFragments: 6, CountFragmentErrors: 1}},
		// A repeat is one inside a single run (fragments that came in
		// order); one that spans two runs is an overlap.
		{"v4 repeat across two runs", [][]byte{v4(48, true, b), v4(0, true, a), v4(0, true, tcp[:96]),
			v4(96, false, c), v4(0, true, other[:96])}, [][]byte{cat(other[:96], c)},
			Counts{CountFragments: 5, CountFragmentOverlap: 1}},
		{"v4 repeat inside one run", [][]byte{v4(0, true, a), v4(48, true, b), v4(8, true, tcp[8:88]), v4(96, false, c)}, [][]byte{tcp},
			Counts{CountFragments: 4}},
		{"v6 out of order", [][]byte{v6(48, true, b), v6(96, false, c), v6(0, true, a)}, [][]byte{tcp},
			Counts{CountIPv6Fragments: 3}},
		{"v6 overlap", [][]byte{v6(0, true, a), v6(40, true, tcp[40:88]), v6(48, true, b), v6(96, false, c)}, nil,
			Counts{CountIPv6Fragments: 4, CountFragmentOverlap: 1}},
		// RFC 8200 4.5: these are discarded alone; the datagram goes on.
		{"v6 non-final not a multiple of 8", [][]byte{v6(0, true, a), v6(48, true, tcp[48:57]), v6(48, true, b), v6(96, false, c)}, [][]byte{tcp},
			Counts{CountIPv6Fragments: 4, CountIPv6FragmentErrors: 1}},
		{"v6 past 64 KiB", [][]byte{v6(0, true, a), v6(65528, true, make([]byte, 16)), v6(48, true, b), v6(96, false, c)}, [][]byte{tcp},
			Counts{CountIPv6Fragments: 4, CountIPv6FragmentErrors: 1}},
		// RFC 7112, as Linux reads it: the walk over the extension
		// headers gives up on a header not there, and the fragment
		// passes.
		{"v6 first fragment ending before an extension header", [][]byte{ipv6Frag(60, 11, 0, true, cat([]byte{60, 1}, make([]byte, 6))),
			ipv6Frag(60, 11, 8, false, cat(make([]byte, 8), []byte{6, 0, 0, 0, 0, 0, 0, 0}, tcp))}, [][]byte{tcp},
			Counts{CountIPv6Fragments: 2, CountIPv6ExtHeaders: 2}},
		{"v6 first fragment ending before the TCP header", [][]byte{ipv6Frag(60, 12, 0, true, cat([]byte{6, 1}, make([]byte, 6))),
			ipv6Frag(60, 12, 8, false, cat(make([]byte, 8), tcp))}, nil,
			Counts{CountIPv6Fragments: 2, CountIPv6FragmentErrors: 1}},
		// RFC 7112: a first fragment without the whole TCP header.
		{"v6 first fragment cut inside the TCP header", [][]byte{v6(0, true, tcp[:16]), v6(16, true, tcp[16:48]), v6(48, true, b), v6(96, false, c)}, nil,
			Counts{CountIPv6Fragments: 4, CountIPv6FragmentErrors: 1}},
		{"v6 destination options after the fragment header",
			[][]byte{ipv6Frag(60, 9, 0, true, cat(extHdr(6, 0), a[:40])), ipv6Frag(60, 9, 48, false, tcp[40:])}, [][]byte{tcp},
			Counts{CountIPv6Fragments: 2, CountIPv6ExtHeaders: 1}},
		{"v6 fragment header inside a rebuilt datagram", [][]byte{ipv6Frag(44, 9, 0, true, cat([]byte{6, 0, 0, 0, 0, 0, 0, 5}, tcp[:40])),
			ipv6Frag(44, 9, 48, false, tcp[40:])}, nil, Counts{CountIPv6Fragments: 3, CountIPv6FragmentErrors: 1}},
		{"v4 and v6 with one id kept apart", [][]byte{v4(0, true, a), v6(48, true, b), v4(48, true, b), v6(0, true, a), v4(96, false, c), v6(96, false, c)},
			[][]byte{tcp, tcp}, Counts{CountFragments: 3, CountIPv6Fragments: 3}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			counts := Counts{}
			d := NewFrameDecoder(counts)
			got := defragRun(t, d, tc.frames...)
			if len(got) != len(tc.want) {
				t.Fatalf("%d packets out, want %d (counts %v)", len(got), len(tc.want), counts)
			}
			for i := range got {
				if !bytes.Equal(got[i], tc.want[i]) {
					t.Errorf("packet %d: % x\nwant % x", i, got[i], tc.want[i])
				}
			}
			if !maps.Equal(counts, tc.counts) {
				t.Errorf("counts %v, want %v", counts, tc.counts)
			}
			if tc.want != nil && (len(d.defrag.lists) != 0 || d.defrag.held != 0) {
				t.Errorf("%d datagrams and %d bytes still held", len(d.defrag.lists), d.defrag.held)
			}
		})
	}
}

// TestDefragBounds: a flood of first fragments with fresh IDs fills the
// datagrams' bound, then what comes is dropped and counted; they time out
// 30 s (IPv4) and 60 s (IPv6) after their first fragment, after which
// datagrams are rebuilt again.
func TestDefragBounds(t *testing.T) {
	counts := Counts{}
	d := NewFrameDecoder(counts)
	tcp := tcpSegment(make([]byte, 44))
	at := func(sec int64, frame []byte) bool {
		p := Packet{Time: time.Unix(sec, 0)}
		return d.Decode(layers.LinkTypeRaw, frame, &p)
	}
	for i := range maxFragDatagrams + 10 {
		if i%2 == 0 {
			at(1, ipv4FragID(uint16(i), 0x2000, tcp[:8]))
		} else {
			at(1, ipv6Frag(6, uint32(i), 0, true, tcp[:24]))
		}
	}
	if n := len(d.defrag.lists); n != maxFragDatagrams || counts[CountFragmentMemcap] != 10 {
		t.Fatalf("%d datagrams held, %d fragments dropped; want %d and 10", n, counts[CountFragmentMemcap], maxFragDatagrams)
	}
	if at(2, ipv4FragID(60000, 0x2000, tcp[:8])) || counts[CountFragmentMemcap] != 11 {
		t.Fatalf("a new datagram got in past the bound (counts %v)", counts)
	}
	// 31 s later the IPv4 datagrams are gone, the IPv6 ones not yet.
	at(32, ipv4FragID(60001, 0x2000, tcp[:48]))
	if n := len(d.defrag.lists); n != maxFragDatagrams/2+1 || counts[CountFragmentTimeout] != maxFragDatagrams/2 {
		t.Fatalf("after 31 s: %d datagrams held, %d timed out", n, counts[CountFragmentTimeout])
	}
	if !at(33, ipv4FragID(60001, 6, tcp[48:])) {
		t.Fatal("a datagram was not rebuilt once there was room")
	}
	at(62, ipv4FragID(60002, 0x2000, tcp[:8]))
	if n := len(d.defrag.lists); n != 1 {
		t.Fatalf("after 61 s: %d datagrams held, want 1", n)
	}

	// The bytes held are bounded too: 64 KiB datagrams, each all but
	// its final fragment, from many IDs.
	counts = Counts{}
	d = NewFrameDecoder(counts)
	chunk := make([]byte, 1480)
	for id := range 400 {
		for off := 0; off+len(chunk) < 65000; off += len(chunk) {
			at(1, ipv4FragID(uint16(id), 0x2000|uint16(off/8), chunk))
		}
	}
	if d.defrag.held > maxFragBytes || counts[CountFragmentMemcap] == 0 {
		t.Fatalf("%d bytes held (bound %d), %d fragments dropped", d.defrag.held, maxFragBytes, counts[CountFragmentMemcap])
	}
}

// FuzzDefrag feeds the defragmenter fragments that are all slices of one
// pattern (the bytes at offset o are pattern[o:]), in any order, with any
// flags, lengths and IDs: a datagram that comes out is the pattern's start,
// and the account of what is held stays exact and within its bound.
func FuzzDefrag(f *testing.F) {
	// Each fragment is 6 bytes: flags (bit 0 IPv6, bit 1 more, bits 2-3
	// ID), offset in 8-byte units (2 bytes), length (2 bytes), seconds
	// of packet time since the last.
	f.Add([]byte{2, 0, 0, 0, 48, 0, 0, 0, 6, 0, 56, 0})
	f.Add([]byte{3, 0, 6, 0, 48, 0, 1, 0, 0, 0, 48, 0, 1, 0, 12, 0, 20, 0})
	f.Add([]byte{2, 0, 0, 0, 48, 0, 2, 0, 5, 0, 48, 0, 0, 0, 12, 0, 20, 40})
	pattern := make([]byte, 0x10000+1600)
	for i := range pattern {
		pattern[i] = byte(i * 7)
	}
	src, dst := hostA4, hostB4
	f.Fuzz(func(t *testing.T, ops []byte) {
		d := defragmenter{counts: Counts{}}
		now := time.Unix(1, 0)
		for len(ops) >= 6 {
			op := ops[:6]
			ops = ops[6:]
			off := int(binary.BigEndian.Uint16(op[1:3])) &^ 7
			n := int(binary.BigEndian.Uint16(op[3:5])) % 1600
			now = now.Add(time.Duration(op[5]) * time.Second)
			fr := fragment{v6: op[0]&1 != 0, more: op[0]&2 != 0, id: uint32(op[0] >> 2 & 3), proto: 6,
				offset: off, limit: maxDatagram - 20, data: pattern[off : off+n]}
			if fr.v6 {
				fr.limit = maxDatagram
			}
			out, proto, ok := d.add(0, src, dst, &fr, now)
			if ok && (proto != 6 || len(out) > fr.limit || !bytes.Equal(out, pattern[:len(out)])) {
				t.Fatalf("datagram of %d bytes, protocol %d, not the pattern's start", len(out), proto)
			}
			held := 0
			for _, l := range d.lists {
				held += l.cost()
				for i, r := range l.runs {
					if i > 0 && l.runs[i-1].end > r.start {
						t.Fatalf("fragments [%d,%d) and [%d,%d) overlap", l.runs[i-1].start, l.runs[i-1].end, r.start, r.end)
					}
					n := 0
					for _, p := range r.pieces {
						n += len(p)
					}
					if n != r.end-r.start {
						t.Fatalf("run [%d,%d) holds %d bytes", r.start, r.end, n)
					}
				}
			}
			if held != d.held || held > maxFragBytes || len(d.lists) > maxFragDatagrams {
				t.Fatalf("held %d by the lists, %d by the account, %d datagrams", held, d.held, len(d.lists))
			}
		}
	})
}
