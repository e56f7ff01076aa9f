package http2

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/andybalholm/brotli"
	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"

	"github.com/apisensor/sensor/decoders"
	"github.com/apisensor/sensor/sensor"
)

// squeeze writes s through the compressor w makes, as a server encodes a
// body.
func squeeze(w func(io.Writer) io.WriteCloser, s string) string {
	var b bytes.Buffer
	c := w(&b)
	c.Write([]byte(s))
	c.Close()
	return b.String()
}

func gz(s string) string {
	return squeeze(func(w io.Writer) io.WriteCloser { return gzip.NewWriter(w) }, s)
}

func brotliBytes(s string) string {
	return squeeze(func(w io.Writer) io.WriteCloser { return brotli.NewWriter(w) }, s)
}

// conversation is a test case: segments, and what must come out.
type conversation struct {
	name   string
	mid    bool
	lim    func(*decoders.Limits)
	segs   []seg
	want   []string
	counts map[string]uint64
}

func conversations() []conversation {
	var cases []conversation
	add := func(name string, c *convo, want []string, counts map[string]uint64) {
		cases = append(cases, conversation{name: name, segs: c.segs, want: want, counts: counts})
	}

	c := newConvo(true)
	c.get(1, "/a?x=1")
	c.headers(cs, 3, false, ":method", "POST", ":scheme", "http", ":authority", "api.example.com", ":path", "/b", "content-type", "application/json")
	c.data(cs, 3, false, `{"id":`)
	c.get(5, "/c")
	c.ok(5, "five")
	c.data(cs, 3, true, `7}`)
	c.headers(sc, 3, false, ":status", "201")
	c.headers(sc, 1, false, ":status", "200")
	c.data(sc, 3, false, "thr")
	c.data(sc, 1, true, "one")
	c.data(sc, 3, true, "ee")
	add("interleaved", c, []string{
		`#2 s5 GET api.example.com "/c" -> 200 body="five"/4`,
		`#0 s1 GET api.example.com "/a?x=1" -> 200 body="one"/3`,
		`#1 s3 POST api.example.com "/b" req-body="{\"id\":7}"/8 -> 201 body="three"/5`,
	}, map[string]uint64{KindHPACKError: 0, KindInvalidFrame: 0})

	c = newConvo(true)
	c.headers(cs, 1, false, ":method", "POST", ":scheme", "http", ":authority", "g", ":path", "/pkg.Svc/Call", "content-type", "application/grpc", "te", "trailers")
	c.data(cs, 1, true, "\x00\x00\x00\x00\x02\x08\x01")
	c.headers(sc, 1, false, ":status", "200", "content-type", "application/grpc")
	c.data(sc, 1, false, "\x00\x00\x00\x00\x02\x08\x02")
	c.headers(sc, 1, true, "grpc-status", "0", "grpc-message", "ok")
	add("trailers", c, []string{
		`#0 s1 POST g "/pkg.Svc/Call" req-body="\x00\x00\x00\x00\x02\b\x01"/7 -> 200 body="\x00\x00\x00\x00\x02\b\x02"/7 trl=[{grpc-status 0} {grpc-message ok}]`,
	}, nil)

	c = newConvo(true)
	blk := c.block(cs, ":method", "PUT", ":scheme", "http", ":authority", "h", ":path", "/p")
	c.frames(cs, func(f *http2.Framer) {
		f.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: blk, EndHeaders: true, PadLength: 7,
			Priority: http2.PriorityParam{StreamDep: 0, Weight: 15, Exclusive: true}})
		f.WriteDataPadded(1, false, []byte("abc"), make([]byte, 5))
		f.WriteDataPadded(1, true, nil, make([]byte, 3))
		f.WritePriority(1, http2.PriorityParam{Weight: 3})
		f.WriteWindowUpdate(0, 100)
		f.WritePing(false, [8]byte{1})
		f.WriteRawFrame(0x42, 0, 0, []byte("unknown frame type"))
	})
	c.ok(1, "")
	add("padding", c, []string{`#0 s1 PUT h "/p" req-body="abc"/3 -> 200`}, map[string]uint64{CountUnknownFrame: 1})

	c = newConvo(true)
	long := strings.Repeat("v", 3000)
	blk = c.block(cs, ":method", "GET", ":scheme", "http", ":authority", "h", ":path", "/cont", "x-long", long, "x-long2", long)
	c.frames(cs, func(f *http2.Framer) {
		f.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: blk[:10], EndStream: true})
		f.WriteContinuation(1, false, blk[10:20])
		f.WriteContinuation(1, false, nil)
		f.WriteContinuation(1, true, blk[20:])
	})
	c.ok(1, "x")
	c.get(3, "/again", "x-long", long) // indexed from the table now
	c.ok(3, "y")
	add("continuation", c, []string{`#0 s1 GET h "/cont" -> 200 body="x"/1`, `#1 s3 GET api.example.com "/again" -> 200 body="y"/1`}, nil)

	c = newConvo(true)
	c.get(1, "/one", "x-a", "1")
	c.ok(1, "")
	c.enc[cs].SetMaxDynamicTableSize(0) // clears the table: an update starts the next block
	c.get(3, "/two", "x-a", "1")
	c.ok(3, "")
	c.enc[cs].SetMaxDynamicTableSize(2048)
	c.get(5, "/three", "x-a", "1")
	c.ok(5, "")
	add("table_size_update", c, []string{
		`#0 s1 GET api.example.com "/one" -> 200`, `#1 s3 GET api.example.com "/two" -> 200`, `#2 s5 GET api.example.com "/three" -> 200`,
	}, map[string]uint64{KindHPACKError: 0})

	c = newConvo(true)
	c.frames(sc, func(f *http2.Framer) { f.WriteSettings(http2.Setting{ID: http2.SettingHeaderTableSize, Val: 8192}) })
	c.enc[cs].SetMaxDynamicTableSizeLimit(8192)
	c.enc[cs].SetMaxDynamicTableSize(8192)
	big := strings.Repeat("b", 3000)
	c.get(1, "/one", "x-a", big, "x-b", big)
	c.ok(1, "")
	c.get(3, "/two", "x-a", big, "x-b", big) // both still in the 8 KiB table
	c.ok(3, "")
	c.frames(sc, func(f *http2.Framer) { f.WriteSettings(http2.Setting{ID: http2.SettingHeaderTableSize, Val: 100}) })
	c.get(5, "/three") // the update to 8192 is now over the setting
	c.ok(5, "")
	add("settings_header_table_size", c, []string{
		`#0 s1 GET api.example.com "/one" -> 200`, `#1 s3 GET api.example.com "/two" -> 200`, `#2 s5 GET api.example.com "/three" -> 200`,
	}, map[string]uint64{KindHPACKError: 0})

	c = newConvo(true)
	c.headers(cs, 1, false, ":method", "POST", ":scheme", "http", ":authority", "h", ":path", "/up")
	c.data(cs, 1, false, "part")
	c.frames(sc, func(f *http2.Framer) { f.WriteRSTStream(1, http2.ErrCodeRefusedStream) })
	c.data(cs, 1, true, "late") // after the reset: not tracked
	c.get(3, "/cancelled")
	c.ok(3, "done")
	c.frames(cs, func(f *http2.Framer) { f.WriteRSTStream(3, http2.ErrCodeCancel) })
	c.frames(sc, func(f *http2.Framer) { f.WriteGoAway(3, http2.ErrCodeEnhanceYourCalm, []byte("bye")) })
	add("rst_goaway", c, []string{
		`#0 s1 POST h "/up" req-incomplete req-body="part"/4 -> none !http2.stream_reset`,
		`#1 s3 GET api.example.com "/cancelled" -> 200 body="done"/4`,
	}, map[string]uint64{KindStreamReset: 1, KindGoAway: 1, CountOrphanData: 4, CountLateFrame: 1})

	c = newConvo(true)
	c.get(1, "/index.html")
	pblk := c.block(sc, ":method", "GET", ":scheme", "http", ":authority", "api.example.com", ":path", "/style.css")
	c.frames(sc, func(f *http2.Framer) {
		f.WritePushPromise(http2.PushPromiseParam{StreamID: 1, PromiseID: 2, BlockFragment: pblk, EndHeaders: true, PadLength: 2})
	})
	c.ok(1, "<html>")
	c.headers(sc, 2, false, ":status", "200", "content-type", "text/css")
	c.data(sc, 2, true, "body{}")
	add("push_promise", c, []string{
		`#0 s1 GET api.example.com "/index.html" -> 200 body="<html>"/6`,
		`#1 s2 GET api.example.com "/style.css" -> 200 body="body{}"/6`,
	}, nil)

	c = newConvo(true)
	c.get(1, "/z", "accept-encoding", "gzip")
	c.headers(sc, 1, false, ":status", "200", "content-encoding", "gzip")
	body := gz(`{"ok":true}`)
	c.data(sc, 1, false, body[:10])
	c.data(sc, 1, true, body[10:])
	c.get(3, "/bomb")
	c.headers(sc, 3, false, ":status", "200", "content-encoding", "gzip")
	c.data(sc, 3, true, gz(strings.Repeat("A", 3<<20)))
	brBody := brotliBytes(`{"br":true}`)
	c.get(5, "/br", "accept-encoding", "br")
	c.headers(sc, 5, false, ":status", "200", "content-encoding", "br")
	c.data(sc, 5, true, brBody)
	add("gzip", c, []string{
		`#0 s1 GET api.example.com "/z" -> 200 body="{\"ok\":true}"/35 ce=[gzip]`,
		`#1 s3 GET api.example.com "/bomb" -> 200 body=<65536 bytes>/3088 truncated ce=[gzip] !http2.decompression_bomb`,
		fmt.Sprintf(`#2 s5 GET api.example.com "/br" -> 200 body="{\"br\":true}"/%d ce=[br]`, len(brBody)),
	}, nil)

	c = newConvo(true)
	c.get(1, "/a")
	c.headers(sc, 1, false, ":status", "100")
	c.ok(1, "x")
	add("interim", c, []string{`#0 s1 GET api.example.com "/a" -> 200 body="x"/1`}, nil)

	c = newConvo(true)
	c.headers(cs, 1, true, ":path", "/x", ":method", "GET", "x-a", "1", ":authority", "h", ":bogus", "1")
	c.headers(sc, 1, true, ":status", "2xx")
	add("pseudo_headers", c, []string{`#0 s1 GET  "/x" -> 0 !http2.invalid_pseudo_header !http2.invalid_pseudo_header !http2.invalid_pseudo_header`}, nil)

	// A :scheme that is no scheme (a URL a front end would copy into the
	// request it builds); "https" and "web+x" are schemes.
	c = newConvo(true)
	c.headers(cs, 1, true, ":method", "GET", ":scheme", "http://evil.example/?", ":authority", "h", ":path", "/x")
	c.ok(1, "")
	c.headers(cs, 3, true, ":method", "GET", ":scheme", "web+x", ":authority", "h", ":path", "/y")
	c.ok(3, "")
	add("invalid_scheme", c, []string{`#0 s1 GET h "/x" -> 200 !http2.invalid_pseudo_header`, `#1 s3 GET h "/y" -> 200`}, nil)

	// Limits: streams over the bound are handed on oldest first.
	c = newConvo(true)
	for id := uint32(1); id <= 7; id += 2 {
		c.get(id, "/s")
	}
	c.ok(7, "")
	cases = append(cases, conversation{name: "too_many_streams", segs: c.segs,
		lim: func(l *decoders.Limits) { l.MaxStreams = 2 },
		want: []string{
			`#0 s1 GET api.example.com "/s" -> none !http2.too_many_streams`,
			`#1 s3 GET api.example.com "/s" -> none !http2.too_many_streams`,
			`#3 s7 GET api.example.com "/s" -> 200`,
			`#2 s5 GET api.example.com "/s" -> none`,
		}})

	// A gap inside a DATA frame keeps the framing; one in a header does not.
	c = newConvo(true)
	c.get(1, "/g")
	c.headers(sc, 1, false, ":status", "200")
	c.data(sc, 1, false, "0123456789")
	c.data(sc, 1, true, "end")
	segs := slices.Clone(c.segs)
	n := len(segs)
	segs[n-2] = seg{dir: sc, data: segs[n-2].data[:12]}                      // header and 3 body bytes
	segs = slices.Insert(segs, n-1, seg{dir: sc, data: segs[n-1].data[0:0]}) // placeholder
	segs[n-1] = seg{dir: sc, data: c.segs[n-2].data[15:], gap: 3}
	c2 := newConvo(false)
	c2.get(3, "/h")
	c2.ok(3, "fine")
	segs = append(segs, seg{dir: cs, data: c2.segs[0].data[:5]}, seg{dir: cs, data: c2.segs[0].data[9:], gap: 4})
	cases = append(cases, conversation{name: "gaps", segs: segs,
		want: []string{
			`#0 s1 GET api.example.com "/g" -> 200 resp-incomplete body="0126789end"/10 !http2.gap`,
		},
		counts: map[string]uint64{KindGap: 2, CountGapBytes: 7, CountSkipped: 19}})
	return cases
}

func TestConversations(t *testing.T) {
	for _, c := range conversations() {
		t.Run(c.name, func(t *testing.T) {
			lim := decoders.DefaultLimits()
			if c.lim != nil {
				c.lim(&lim)
			}
			h := run(&lim, c.mid, c.segs)
			if got := h.summaries(); !slices.Equal(got, c.want) {
				t.Errorf("got\n%s\nwant\n%s\n\n%s", strings.Join(got, "\n"), strings.Join(c.want, "\n"), h.render())
			}
			checkCounts(t, h, c.counts)
			for _, x := range h.got {
				if x.Proto != Proto || x.Request.Version == "" {
					t.Errorf("exchange %d: proto %q version %q", x.Seq, x.Proto, x.Request.Version)
				}
			}
		})
	}
}

// TestSplitAnywhere feeds every conversation cut at every offset of every
// segment, and in chunks of every size from 1 to 64: the output must not
// depend on how the bytes arrive.
func TestSplitAnywhere(t *testing.T) {
	for _, c := range conversations() {
		t.Run(c.name, func(t *testing.T) {
			lim := decoders.DefaultLimits()
			if c.lim != nil {
				c.lim(&lim)
			}
			want := run(&lim, c.mid, c.segs).render()
			for i, s := range c.segs {
				for k := 1; k < len(s.data); k++ {
					segs := slices.Clone(c.segs)
					segs[i] = seg{dir: s.dir, data: s.data[:k], gap: s.gap}
					segs = slices.Insert(segs, i+1, seg{dir: s.dir, data: s.data[k:]})
					if got := run(&lim, c.mid, segs).render(); got != want {
						t.Fatalf("segment %d cut at %d:\n%s\nwant\n%s", i, k, got, want)
					}
				}
			}
			for size := 1; size <= 64; size++ {
				var segs []seg
				for _, s := range c.segs {
					gap := s.gap
					for d := s.data; len(d) > 0; d = d[min(size, len(d)):] {
						segs = append(segs, seg{dir: s.dir, data: d[:min(size, len(d))], gap: gap})
						gap = 0
					}
				}
				if got := run(&lim, c.mid, segs).render(); got != want {
					t.Fatalf("chunks of %d:\n%s\nwant\n%s", size, got, want)
				}
			}
		})
	}
}

// TestMidStream drops the start of a conversation whose later requests
// refer to table entries added before the pickup: those fields are marked,
// entries added after the pickup are learned.
func TestMidStream(t *testing.T) {
	c := newConvo(true)
	c.get(1, "/first", "x-old", "before")
	c.ok(1, "1")
	skip := len(c.segs)
	c.get(3, "/second", "x-old", "before", "x-new", "after")
	c.ok(3, "2")
	c.get(5, "/third", "x-old", "before", "x-new", "after")
	c.ok(5, "3")
	// Start inside the last frame before the pickup, in both directions.
	segs := []seg{{dir: sc, data: c.segs[skip-1].data[3:]}}
	segs = append(segs, c.segs[skip:]...)
	h := run(nil, true, segs)
	want := []string{
		`#0 s3 GET  "/second" -> 200 body="2"/1 !http2.hpack_unknown_index !http2.hpack_unknown_index`,
		`#1 s5 GET  "/third" -> 200 body="3"/1 !http2.hpack_unknown_index !http2.hpack_unknown_index`,
	}
	if got := h.summaries(); !slices.Equal(got, want) {
		t.Fatalf("got\n%s\nwant\n%s\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"), h.render())
	}
	for i, x := range h.got {
		hs := x.Request.Headers
		// :authority and x-old were added to the table before the pickup.
		if len(hs) != 3 || !strings.HasPrefix(hs[0].Name, unknownPrefix) || !strings.HasPrefix(hs[1].Name, unknownPrefix) ||
			hs[2] != (decoders.Header{Name: "x-new", Value: "after"}) {
			t.Errorf("exchange %d headers %q: want two marked unknown, x-new known", i, hs)
		}
	}
	// The responses' content-type was also added before the pickup.
	checkCounts(t, h, map[string]uint64{KindHPACKUnknownIndex: 4, KindHPACKError: 0, CountSkipped: 7})
}

// TestResponseOnly joins a connection between a request and its response.
func TestResponseOnly(t *testing.T) {
	c := newConvo(true)
	c.get(1, "/a")
	c.get(3, "/b")
	c.ok(1, "one")
	c.ok(3, "three")
	h := run(nil, true, c.segs[6:])
	want := []string{
		`#0 s1   "" req-incomplete -> 200 body="one"/3`,
		`#1 s3   "" req-incomplete -> 200 body="three"/5`,
	}
	if got := h.summaries(); !slices.Equal(got, want) {
		t.Fatalf("got\n%s\nwant\n%s\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"), h.render())
	}
	checkCounts(t, h, map[string]uint64{CountResponseOnly: 2})
}

// TestHPACKBomb: a huge table size and many references to a large entry
// stay within the table and header-list bounds.
func TestHPACKBomb(t *testing.T) {
	lim := decoders.DefaultLimits()
	c := newConvo(true)
	c.frames(sc, func(f *http2.Framer) { f.WriteSettings(http2.Setting{ID: http2.SettingHeaderTableSize, Val: 1 << 30}) })
	// A size update to 1 GiB, then 40 distinct 4 KiB entries.
	var blk []byte
	blk = append(blk, 0x3f) // size update, 5-bit prefix
	blk = appendInt(blk, 1<<30-31)
	blk = append(blk, 0x82, 0x84, 0x86)
	val := strings.Repeat("x", 4000)
	for i := range 40 {
		blk = append(blk, 0x40)
		blk = appendStr(blk, "x-"+string(rune('a'+i%26))+string(rune('a'+i/26)))
		blk = appendStr(blk, val)
	}
	c.frames(cs, func(f *http2.Framer) {
		f.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: blk[:16000], EndStream: true})
		for b := blk[16000:]; len(b) > 0; b = b[min(16000, len(b)):] {
			f.WriteContinuation(1, len(b) <= 16000, b[:min(16000, len(b))])
		}
	})
	// 16000 one-byte references to the newest 4 KiB entry: 64 MB decoded.
	refs := bytes.Repeat([]byte{0x80 | 62}, 16000)
	c.frames(cs, func(f *http2.Framer) {
		f.WriteHeaders(http2.HeadersFrameParam{StreamID: 3, BlockFragment: append([]byte{0x82, 0x84, 0x86}, refs...), EndStream: true, EndHeaders: true})
	})
	h := newHarness(&lim, false)
	for _, s := range c.segs {
		h.feed(s.dir, []byte(s.data), 0)
	}
	hp := &h.dec.(*decoder).sides[cs].hp
	if hp.size > lim.MaxHeaderTableBytes || hp.max > lim.MaxHeaderTableBytes {
		t.Errorf("table size %d max %d, bound %d", hp.size, hp.max, lim.MaxHeaderTableBytes)
	}
	h.dec.Close(sensor.EndFIN, t0)
	for _, x := range h.got {
		if n := len(x.Request.Headers); n > lim.MaxHeaders {
			t.Errorf("stream %d: %d headers kept", x.StreamID, n)
		}
		var total int
		for _, f := range x.Request.Headers {
			total += len(f.Name) + len(f.Value) + 32
		}
		if total > lim.MaxHeaderBytes {
			t.Errorf("stream %d: %d header bytes kept", x.StreamID, total)
		}
	}
	checkCounts(t, h, map[string]uint64{KindHeaderListTooLarge: 2, KindHPACKError: 0})
}

func appendInt(b []byte, v uint64) []byte {
	for v >= 128 {
		b = append(b, byte(v)|0x80)
		v >>= 7
	}
	return append(b, byte(v))
}

func appendStr(b []byte, s string) []byte {
	if len(s) < 127 {
		b = append(b, byte(len(s)))
	} else {
		b = append(b, 127)
		b = appendInt(b, uint64(len(s)-127))
	}
	return append(b, s...)
}

// TestContinuationFlood: endless CONTINUATION frames are neither buffered
// nor decoded past the bounds, what came before the flood is decoded (a
// flood must not hide the request), and the stream still ends.
func TestContinuationFlood(t *testing.T) {
	c := newConvo(true)
	blk := c.block(cs, ":method", "GET", ":scheme", "http", ":authority", "h", ":path", "/f")
	c.frames(cs, func(f *http2.Framer) {
		f.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: blk, EndStream: true})
		for range 10000 {
			f.WriteContinuation(1, false, []byte{0x40, 1, 'a', 1, 'b'})
		}
		f.WriteContinuation(1, true, nil)
	})
	c.ok(1, "x")
	h := newHarness(nil, false)
	maxBlock := 0
	for _, s := range c.segs {
		for d := s.data; len(d) > 0; d = d[min(1000, len(d)):] {
			h.feed(s.dir, []byte(d[:min(1000, len(d))]), 0)
			maxBlock = max(maxBlock, cap(h.dec.(*decoder).sides[cs].block))
		}
	}
	h.dec.Close(sensor.EndFIN, t0)
	if maxBlock > 64<<10 {
		t.Errorf("header block buffer grew to %d bytes", maxBlock)
	}
	want := []string{`#0 s1 GET h "/f" -> 200 body="x"/1`}
	if got := h.summaries(); !slices.Equal(got, want) {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	checkCounts(t, h, map[string]uint64{KindContinuationFlood: 1})
}

func TestSniff(t *testing.T) {
	c := newConvo(false)
	c.get(1, "/a", "user-agent", "x")
	c.data(cs, 1, false, "zz")
	c.frames(cs, func(f *http2.Framer) { f.WriteWindowUpdate(0, 10) })
	req := c.segs[0].data + c.segs[1].data + c.segs[2].data
	c.ok(1, "body")
	c.frames(sc, func(f *http2.Framer) { f.WritePing(true, [8]byte{}) })
	resp := c.segs[3].data + c.segs[4].data + c.segs[5].data
	for _, tc := range []struct {
		name           string
		client, server string
		mid            bool
		want           decoders.Verdict
	}{
		{"preface", Preface + "\x00\x00", "", false, decoders.Yes},
		{"prefix", Preface[:10], "", false, decoders.NeedMore},
		{"empty", "", "", false, decoders.NeedMore},
		{"reversed", "", Preface, false, decoders.Reversed},
		{"http1", "GET / HTTP/1.1\r\n", "", false, decoders.No},
		{"PRI_other", "PRI * HTTP/2.0\r\n\r\nXX", "", false, decoders.No},
		{"mid_request", "xyz" + req, "", true, decoders.Yes},
		{"mid_response", "", "abc" + resp, true, decoders.Yes},
		{"mid_swapped", resp, req, true, decoders.Reversed},
		{"mid_http1", "ET / HTTP/1.1\r\nHost: a\r\n\r\nGET /b HTTP/1.1\r\nHost: a\r\n\r\n", "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", true, decoders.NeedMore},
		{"mid_tls", "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + strings.Repeat("\x17\x03\x03\x00\x20"+strings.Repeat("\xaa", 32), 4), "", true, decoders.NeedMore},
		{"not_mid_frames", req, "", false, decoders.No},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Sniff([]byte(tc.client), []byte(tc.server), tc.mid); got != tc.want {
				t.Errorf("Sniff = %d, want %d", got, tc.want)
			}
		})
	}
}

// TestHPACKMatchesXNet decodes blocks made by x/net's encoder, with table
// size changes and evictions, and compares with x/net's decoder.
func TestHPACKMatchesXNet(t *testing.T) {
	var buf bytes.Buffer
	enc := hpack.NewEncoder(&buf)
	ref := hpack.NewDecoder(4096, nil)
	mine := newHPACK(64<<10, false)
	for i := range 300 {
		buf.Reset()
		switch i % 50 {
		case 10:
			enc.SetMaxDynamicTableSize(256)
		case 20:
			enc.SetMaxDynamicTableSize(0)
		case 30:
			enc.SetMaxDynamicTableSize(4096)
		}
		fields := []hpack.HeaderField{
			{Name: ":method", Value: []string{"GET", "POST", "DELETE"}[i%3]},
			{Name: ":path", Value: "/items/" + strings.Repeat("9", i%7)},
			{Name: "x-id", Value: strings.Repeat("k", i%40)},
			{Name: "authorization", Value: "secret", Sensitive: true},
			{Name: "x-" + strings.Repeat("n", i%13), Value: strings.Repeat("v", (i*37)%300)},
		}
		for _, f := range fields {
			enc.WriteField(f)
		}
		want, err := ref.DecodeFull(buf.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		got, st, err := mine.decode(buf.Bytes(), nil, 100, 1<<20, 1<<20, false)
		if err != nil || st != (blockStats{}) {
			t.Fatalf("block %d: %v %+v", i, err, st)
		}
		if len(got) != len(want) {
			t.Fatalf("block %d: %d fields, want %d", i, len(got), len(want))
		}
		for j := range got {
			if got[j].name != want[j].Name || got[j].value != want[j].Value {
				t.Fatalf("block %d field %d: %q=%q, want %q=%q", i, j, got[j].name, got[j].value, want[j].Name, want[j].Value)
			}
		}
	}
}

// TestHPACKErrors covers malformed blocks: each is an error or a counted
// irregularity, and what came before is kept.
func TestHPACKErrors(t *testing.T) {
	for _, tc := range []struct {
		name   string
		block  []byte
		stale  bool
		fields int
		err    error
		stats  blockStats
	}{
		{"index0", []byte{0x80, 0x82}, false, 2, nil, blockStats{badIndex: 1}},
		{"past_table", []byte{0x82, 0xbf}, false, 2, nil, blockStats{badIndex: 1}},
		{"past_table_stale", []byte{0x82, 0xbf}, true, 2, nil, blockStats{unknown: 1}},
		{"truncated_int", []byte{0x82, 0xff}, false, 1, errTruncated, blockStats{}},
		{"overflow", []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f}, false, 0, errIntOverflow, blockStats{}},
		{"truncated_string", []byte{0x40, 0x05, 'a'}, false, 0, errTruncated, blockStats{}},
		{"bad_huffman", []byte{0x40, 0x81, 0xff, 0x00}, false, 0, errHuffman, blockStats{}},
		{"late_update", []byte{0x82, 0x20}, false, 1, nil, blockStats{sizeUpdate: true}},
		{"update_over_setting", []byte{0x3f, 0xe1, 0x3f}, false, 0, nil, blockStats{sizeUpdate: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := newHPACK(64<<10, tc.stale)
			got, st, err := d.decode(tc.block, nil, 10, 1000, 1000, false)
			if err != tc.err || st != tc.stats || len(got) != tc.fields {
				t.Errorf("got %d fields, %+v, %v; want %d, %+v, %v", len(got), st, err, tc.fields, tc.stats, tc.err)
			}
			if err != nil && !d.stale {
				t.Error("table not marked stale after an error")
			}
		})
	}
}

// TestDataAfterReset feeds the rest of a DATA frame after the peer reset
// its stream: the stream's exchange, emitted at the reset, is its
// receiver's, so the frame's bytes (padded, with END_STREAM) are orphan
// data, the exchange is emitted once and stays as
// emitted, and the streams still open are emitted at the close.
func TestDataAfterReset(t *testing.T) {
	c := newConvo(true)
	c.headers(cs, 1, false, ":method", "POST", ":scheme", "http", ":authority", "api.example.com", ":path", "/upload")
	c.get(3, "/other")
	segs := c.segs
	// A DATA frame on stream 1, PADDED|END_STREAM, 10 bytes: its header,
	// then the server's RST_STREAM, then its payload (pad length 2, 7
	// bytes of data, the padding).
	hdr := []byte{0, 0, 10, 0x0, 0x1 | 0x8, 0, 0, 0, 1}
	payload := append([]byte{2}, "abcdefg\x00\x00"...)
	var rst bytes.Buffer
	if err := http2.NewFramer(&rst, nil).WriteRSTStream(1, http2.ErrCodeCancel); err != nil {
		t.Fatal(err)
	}
	segs = append(segs, seg{dir: cs, data: string(hdr)}, seg{dir: sc, data: rst.String()}, seg{dir: cs, data: string(payload)})

	h := newHarness(nil, false)
	var atEmit []string
	h.env.Emit = func(x *decoders.Exchange) {
		h.got = append(h.got, x)
		atEmit = append(atEmit, summary(x))
	}
	for _, s := range segs {
		h.feed(s.dir, []byte(s.data), s.gap)
	}
	h.dec.Close(sensor.EndFIN, t0)
	ids := map[uint32]int{}
	for i, x := range h.got {
		ids[x.StreamID]++
		if now := summary(x); now != atEmit[i] {
			t.Errorf("exchange %d changed after it was emitted:\n emitted %s\n    now %s", i, atEmit[i], now)
		}
	}
	if ids[1] != 1 || ids[3] != 1 {
		t.Errorf("exchanges per stream %v, want one each of 1 and 3:\n%s", ids, h.render())
	}
	if h.counts[CountOrphanData] != 7 {
		t.Errorf("orphan data %d bytes, want 7 (counts %v)", h.counts[CountOrphanData], h.counts)
	}
}
