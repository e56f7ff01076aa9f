package http2

import (
	"strings"
	"testing"

	"golang.org/x/net/http2"

	"github.com/apisensor/sensor/decoders"
	"github.com/apisensor/sensor/sensor"
)

// Fuzz input: a flags byte (bit 0: mid-stream), then chunks, each a
// control byte (bit 0: direction; bit 1: a gap before it; bits 2-7:
// length-1) followed by its bytes.
func encodeFuzz(mid bool, segs []seg) []byte {
	out := []byte{0}
	if mid {
		out[0] = 1
	}
	for _, s := range segs {
		data := s.data
		gap := s.gap > 0
		for len(data) > 0 {
			n := min(len(data), 64)
			ctrl := byte(n-1)<<2 | byte(s.dir)
			if gap {
				ctrl |= 2
				gap = false
			}
			out = append(out, ctrl)
			out = append(out, data[:n]...)
			data = data[n:]
		}
	}
	return out
}

func fuzzLimits() decoders.Limits {
	l := decoders.DefaultLimits()
	l.MaxHeaderBytes = 1024
	l.MaxHeaders = 16
	l.MaxBodyBytes = 64
	l.MaxDecompressedBytes = 256
	l.MaxStreams = 4
	l.MaxHeaderTableBytes = 512
	l.MaxContinuationFrames = 4
	return l
}

func FuzzFrames(f *testing.F) {
	for _, c := range conversations() {
		f.Add(encodeFuzz(c.mid, c.segs))
		f.Add(encodeFuzz(true, c.segs[min(3, len(c.segs)-1):]))
	}
	// Header blocks over fuzzLimits' bound (cut and decoded as far as they
	// go), a field over it, and a CONTINUATION flood.
	for _, huff := range []bool{false, true} {
		c := newConvo(true)
		blk := []byte{0x82, 0x86, 0x04}
		if path := "/s?q=1&pad=" + strings.Repeat("a", 3000); huff {
			blk = appendHuffStr(blk, path)
		} else {
			blk = appendStr(blk, path)
		}
		blk = append(blk, 0x40)
		blk = appendStr(blk, "x-k")
		blk = appendHuffStr(blk, strings.Repeat("b", 1500))
		c.bigBlock(1, true, blk).get(3, "/n").ok(1, "x").ok(3, "")
		f.Add(encodeFuzz(false, c.segs))
	}
	flood := newConvo(true)
	flood.frames(cs, func(f *http2.Framer) {
		f.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: []byte{0x82, 0x86, 0x84}, EndStream: true})
		for range 6 {
			f.WriteContinuation(1, false, []byte{0x40, 1, 'a', 1, 'b'})
		}
		f.WriteContinuation(1, true, []byte{0x04, 3, '/', 'z', 'z'})
	})
	f.Add(encodeFuzz(false, flood.segs))
	lim := fuzzLimits()
	f.Fuzz(func(t *testing.T, in []byte) {
		if len(in) == 0 {
			return
		}
		h := newHarness(&lim, in[0]&1 != 0)
		for p := in[1:]; len(p) > 0; {
			ctrl := p[0]
			n := min(int(ctrl>>2)+1, len(p)-1)
			gap := 0
			if ctrl&2 != 0 {
				gap = 5
			}
			h.feed(sensor.Direction(ctrl&1), p[1:1+n], gap)
			p = p[1+n:]
		}
		d := h.dec.(*decoder)
		for i := range d.sides {
			s := &d.sides[i]
			if len(s.buf) > max(resyncWindow, maxSettingsKeep) || len(s.block) > lim.MaxHeaderBytes || s.hp.size > lim.MaxHeaderTableBytes {
				t.Fatalf("side %d over bounds: buf %d block %d table %d", i, len(s.buf), len(s.block), s.hp.size)
			}
		}
		if len(d.streams) > lim.MaxStreams {
			t.Fatalf("%d streams", len(d.streams))
		}
		h.dec.Close(sensor.EndFIN, t0)
		for _, x := range h.got {
			for _, m := range []*decoders.Message{x.Request, x.Response} {
				if m != nil && (len(m.Body) > lim.MaxBodyBytes || len(m.Headers) > lim.MaxHeaders) {
					t.Fatalf("message over bounds: body %d headers %d", len(m.Body), len(m.Headers))
				}
				if m != nil && len(m.URI) > lim.MaxHeaderBytes {
					t.Fatalf(":path of %d bytes", len(m.URI))
				}
			}
		}
	})
}

func FuzzHPACK(f *testing.F) {
	c := newConvo(false)
	for i := range 4 {
		f.Add(c.block(cs, ":method", "GET", ":path", "/a", "x-k", string(rune('a'+i)), "cookie", "s=1"), false)
	}
	f.Add([]byte{0x3f, 0xe1, 0x1f, 0x82, 0xbe, 0x40, 0x01, 'a', 0x01, 'b'}, true)
	f.Add([]byte{0x80, 0xff, 0xff, 0xff, 0xff, 0x0f}, false)
	f.Add([]byte{0x40, 0x81, 0xff, 0x00}, true)
	f.Add(appendHuffStr([]byte{0x04}, "/cut?q=1")[:5], true)
	f.Fuzz(func(t *testing.T, block []byte, stale bool) {
		d := newHPACK(4096, stale)
		for i := range 3 {
			// The third round decodes the block as one cut at a bound.
			out, _, _ := d.decode(block, nil, 8, 1024, 256, i == 2)
			if len(out) > 8 {
				t.Fatalf("%d fields", len(out))
			}
			var kept int
			for _, f := range out {
				kept += f.size()
			}
			if kept > 1024 {
				t.Fatalf("%d bytes of fields kept", kept)
			}
			var size int
			for _, e := range d.ents {
				size += e.size()
			}
			if size != d.size || d.size > d.limit {
				t.Fatalf("table size %d, counted %d, limit %d", d.size, size, d.limit)
			}
		}
		if s := huffmanPrefix(block); len(s) > len(block)*8/5 {
			t.Fatalf("%d bytes decoded from %d", len(s), len(block))
		}
		wholeBlock(append([]byte{0, 0, byte(len(block)), frameHeaders, flagEndHeaders, 0, 0, 0, 1}, block...))
	})
}
