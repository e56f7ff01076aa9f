package http2

import (
	"strings"
	"testing"

	"github.com/apisensor/sensor/decoders"
	"github.com/apisensor/sensor/sensor"
	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// appendHuffStr appends s as a Huffman-coded string literal.
func appendHuffStr(b []byte, s string) []byte {
	h := hpack.AppendHuffmanString(nil, s)
	if len(h) < 127 {
		b = append(b, 0x80|byte(len(h)))
	} else {
		b = append(b, 0xff)
		b = appendInt(b, uint64(len(h)-127))
	}
	return append(b, h...)
}

// bigBlock sends blk as HEADERS and CONTINUATION frames of at most 16000
// bytes.
func (c *convo) bigBlock(id uint32, end bool, blk []byte) *convo {
	return c.frames(cs, func(f *http2.Framer) {
		n := min(16000, len(blk))
		f.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: blk[:n], EndStream: end, EndHeaders: n == len(blk)})
		for b := blk[n:]; len(b) > 0; b = b[min(16000, len(b)):] {
			f.WriteContinuation(id, len(b) <= 16000, b[:min(16000, len(b))])
		}
	})
}

func hasKind(x *decoders.Exchange, kind string) bool {
	for _, a := range x.Anomalies {
		if a.Kind == kind {
			return true
		}
	}
	return false
}

// TestLongPath pads :path past max_header_bytes, as a raw and as a Huffman
// literal: the request must keep its method and a cut :path with the query
// at its start, carry the anomalies, and the streams after it decode.
// Buffers stay within the header block bound whatever the block's size.
func TestLongPath(t *testing.T) {
	lim := decoders.DefaultLimits()
	const payload = "q=1'+OR+'1'='1"
	for _, tt := range []struct {
		name string
		n    int
		huff bool
	}{
		{"raw_100KiB", 100 << 10, false},
		{"huffman_200KiB", 200 << 10, true},
		{"raw_1MiB", 1 << 20, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := "/s?" + payload + "&pad=" + strings.Repeat("a", tt.n)
			blk := []byte{0x82, 0x86, 0x04} // GET, http, :path literal
			if tt.huff {
				blk = appendHuffStr(blk, path)
			} else {
				blk = appendStr(blk, path)
			}
			blk = append(blk, 0x00)
			blk = appendStr(blk, "x-after")
			blk = appendStr(blk, "1")
			c := newConvo(true)
			c.bigBlock(1, true, blk)
			c.get(3, "/next?b=2")
			c.ok(1, `{"a":1}`)
			c.ok(3, `{"b":2}`)

			h := newHarness(&lim, false)
			maxBuf := 0
			for _, s := range c.segs {
				for d := []byte(s.data); len(d) > 0; d = d[min(len(d), 16<<10):] {
					h.feed(s.dir, d[:min(len(d), 16<<10)], 0)
					for i := range h.dec.(*decoder).sides {
						sd := &h.dec.(*decoder).sides[i]
						maxBuf = max(maxBuf, len(sd.block)+len(sd.buf))
					}
				}
			}
			h.dec.Close(sensor.EndFIN, t0)
			if maxBuf > lim.MaxHeaderBytes+16<<10 {
				t.Errorf("buffered %d bytes", maxBuf)
			}
			if len(h.got) != 2 {
				t.Fatalf("got %d exchanges:\n%s", len(h.got), h.render())
			}
			x := h.got[0]
			r := x.Request
			if r.Method != "GET" || !strings.HasPrefix(r.URI, "/s?"+payload+"&pad=aaa") || len(r.URI) > lim.MaxHeaderBytes || r.Path != "/s" {
				t.Errorf("request: %q %q (%d bytes)", r.Method, r.URI[:min(len(r.URI), 40)], len(r.URI))
			}
			if !hasKind(x, KindHeaderListTooLarge) || !hasKind(x, KindHeaderFieldTooLong) {
				t.Errorf("anomalies %v", x.Anomalies)
			}
			if h.counts[KindHPACKError] != 0 || x.Response == nil || x.Response.Status != 200 {
				t.Errorf("after the cut block:\n%s", h.render())
			}
			if n := h.got[1].Request; n.URI != "/next?b=2" || h.got[1].Response == nil {
				t.Errorf("next stream:\n%s", h.render())
			}
			decoders.ExtractParams(x, &lim)
			found := false
			for _, p := range x.Params {
				found = found || p.Loc == decoders.LocQuery && p.Name == "q" && p.Value == "1'+OR+'1'='1"
			}
			if !found {
				t.Errorf("query parameter q not extracted: %d params", len(x.Params))
			}
		})
	}
}

// TestLongField: a field over max_header_bytes in a block under it (Huffman
// expands) is kept cut to max_line_bytes, and the fields after it fit.
func TestLongField(t *testing.T) {
	lim := decoders.DefaultLimits()
	lim.MaxHeaderBytes = 8192
	lim.MaxLineBytes = 1024
	c := newConvo(true)
	blk := []byte{0x82, 0x86, 0x84, 0x00}
	blk = appendStr(blk, "x-long")
	blk = appendHuffStr(blk, "<script>"+strings.Repeat("a", 12000))
	blk = append(blk, 0x00)
	blk = appendStr(blk, "x-after")
	blk = appendStr(blk, "1")
	c.bigBlock(1, true, blk)
	c.ok(1, "")
	h := run(&lim, false, c.segs)
	if len(h.got) != 1 {
		t.Fatalf("got %d exchanges:\n%s", len(h.got), h.render())
	}
	x := h.got[0]
	v, _ := decoders.Get(x.Request.Headers, "x-long")
	if !strings.HasPrefix(v, "<script>") || len(v) != 1024-32-len("x-long") {
		t.Errorf("x-long of %d bytes", len(v))
	}
	if a, _ := decoders.Get(x.Request.Headers, "x-after"); a != "1" {
		t.Errorf("x-after %q", a)
	}
	if !hasKind(x, KindHeaderFieldTooLong) || hasKind(x, KindHeaderListTooLarge) {
		t.Errorf("anomalies %v", x.Anomalies)
	}
}

// TestHuffmanPrefix: the lenient decoder agrees with hpack on whole
// strings and returns a prefix of the string when cut.
func TestHuffmanPrefix(t *testing.T) {
	var all []byte
	for c := range 256 {
		all = append(all, byte(c))
	}
	for _, s := range []string{"", "a", "/search?q=1'+OR+'1'='1", string(all), strings.Repeat("\xff\x00z", 50)} {
		enc := hpack.AppendHuffmanString(nil, s)
		if got := huffmanPrefix(enc); got != s {
			t.Errorf("whole %q: got %q", s, got)
		}
		for i := range enc {
			if got := huffmanPrefix(enc[:i]); !strings.HasPrefix(s, got) || len(got) > len(s) {
				t.Fatalf("cut %d of %q: got %q", i, s, got)
			}
		}
	}
	if got := huffmanPrefix([]byte{0xff, 0xff, 0xff, 0xff}); got != "" {
		t.Errorf("EOS: %q", got)
	}
}
