package http2

import (
	"bytes"
	"fmt"
	"hash/crc32"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"

	"github.com/apisensor/sensor/decoders"
	"github.com/apisensor/sensor/sensor"
)

const (
	cs = sensor.ClientToServer
	sc = sensor.ServerToClient
)

var t0 = time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)

// seg is bytes of one direction, fed as one chunk unless a test splits it.
type seg struct {
	dir  sensor.Direction
	data string
	gap  int
}

// convo builds an HTTP/2 conversation with x/net's Framer and an HPACK
// encoder per direction, one segment per call.
type convo struct {
	segs []seg
	enc  [2]*hpack.Encoder
	hbuf [2]*bytes.Buffer
}

func newConvo(preface bool) *convo {
	c := &convo{}
	for d := range c.enc {
		c.hbuf[d] = new(bytes.Buffer)
		c.enc[d] = hpack.NewEncoder(c.hbuf[d])
	}
	if preface {
		c.raw(cs, Preface)
		c.frames(cs, func(f *http2.Framer) { f.WriteSettings(http2.Setting{ID: http2.SettingMaxConcurrentStreams, Val: 100}) })
		c.frames(sc, func(f *http2.Framer) {
			f.WriteSettings(http2.Setting{ID: http2.SettingMaxFrameSize, Val: 1 << 14})
			f.WriteSettingsAck()
		})
		c.frames(cs, func(f *http2.Framer) { f.WriteSettingsAck() })
	}
	return c
}

func (c *convo) raw(dir sensor.Direction, s string) *convo {
	c.segs = append(c.segs, seg{dir: dir, data: s})
	return c
}

// frames appends the frames fn writes as one segment.
func (c *convo) frames(dir sensor.Direction, fn func(f *http2.Framer)) *convo {
	var b bytes.Buffer
	f := http2.NewFramer(&b, nil)
	f.AllowIllegalWrites = true
	fn(f)
	return c.raw(dir, b.String())
}

// block HPACK-encodes name/value pairs with dir's encoder.
func (c *convo) block(dir sensor.Direction, kv ...string) []byte {
	c.hbuf[dir].Reset()
	for i := 0; i+1 < len(kv); i += 2 {
		c.enc[dir].WriteField(hpack.HeaderField{Name: kv[i], Value: kv[i+1]})
	}
	return bytes.Clone(c.hbuf[dir].Bytes())
}

func (c *convo) headers(dir sensor.Direction, id uint32, end bool, kv ...string) *convo {
	blk := c.block(dir, kv...)
	return c.frames(dir, func(f *http2.Framer) {
		f.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: blk, EndStream: end, EndHeaders: true})
	})
}

func (c *convo) data(dir sensor.Direction, id uint32, end bool, body string) *convo {
	return c.frames(dir, func(f *http2.Framer) { f.WriteData(id, end, []byte(body)) })
}

func (c *convo) get(id uint32, path string, extra ...string) *convo {
	return c.headers(cs, id, true, append([]string{":method", "GET", ":scheme", "http", ":authority", "api.example.com", ":path", path}, extra...)...)
}

func (c *convo) ok(id uint32, body string, extra ...string) *convo {
	c.headers(sc, id, body == "", append([]string{":status", "200", "content-type", "application/json"}, extra...)...)
	if body != "" {
		c.data(sc, id, true, body)
	}
	return c
}

// harness drives one decoder and collects what it emits.
type harness struct {
	env    *decoders.Env
	dec    decoders.Decoder
	counts sensor.Counts
	got    []*decoders.Exchange
}

func newHarness(lim *decoders.Limits, mid bool) *harness {
	if lim == nil {
		l := decoders.DefaultLimits()
		lim = &l
	}
	h := &harness{counts: sensor.Counts{}}
	h.env = &decoders.Env{
		Conn:   &sensor.ConnMeta{ID: 1, MidStream: mid},
		Limits: lim,
		Counts: h.counts,
		Emit:   func(x *decoders.Exchange) { h.got = append(h.got, x) },
	}
	h.dec = New(h.env)
	return h
}

func (h *harness) feed(dir sensor.Direction, data []byte, gap int) {
	// The decoder must copy what it keeps: scribble over the buffer after.
	buf := bytes.Clone(data)
	h.dec.Feed(&sensor.Chunk{Dir: dir, Data: buf, Time: t0, Gap: gap, Frames: []uint64{1}})
	for i := range buf {
		buf[i] = '#'
	}
}

func run(lim *decoders.Limits, mid bool, segs []seg) *harness {
	h := newHarness(lim, mid)
	for _, s := range segs {
		h.feed(s.dir, []byte(s.data), s.gap)
	}
	h.dec.Close(sensor.EndFIN, t0)
	return h
}

// summary is one line per exchange, the facts the tests check.
func summary(x *decoders.Exchange) string {
	short := func(b []byte) string {
		if len(b) > 40 {
			return fmt.Sprintf("<%d bytes>", len(b))
		}
		return strconv.Quote(string(b))
	}
	var b strings.Builder
	r := x.Request
	fmt.Fprintf(&b, "#%d s%d %s %s %q", x.Seq, x.StreamID, r.Method, r.Authority, r.URI)
	if r.Incomplete {
		b.WriteString(" req-incomplete")
	}
	if len(r.Body) > 0 || r.WireBodyLen > 0 {
		fmt.Fprintf(&b, " req-body=%s/%d", short(r.Body), r.WireBodyLen)
	}
	if len(r.Trailers) > 0 {
		fmt.Fprintf(&b, " req-trl=%v", r.Trailers)
	}
	if p := x.Response; p != nil {
		fmt.Fprintf(&b, " -> %d", p.Status)
		if p.Incomplete {
			b.WriteString(" resp-incomplete")
		}
		if len(p.Body) > 0 || p.WireBodyLen > 0 {
			fmt.Fprintf(&b, " body=%s/%d", short(p.Body), p.WireBodyLen)
		}
		if p.BodyTruncated {
			b.WriteString(" truncated")
		}
		if len(p.ContentEncoding) > 0 {
			fmt.Fprintf(&b, " ce=%v", p.ContentEncoding)
		}
		if len(p.Trailers) > 0 {
			fmt.Fprintf(&b, " trl=%v", p.Trailers)
		}
	} else {
		b.WriteString(" -> none")
	}
	for _, a := range x.Anomalies {
		fmt.Fprintf(&b, " !%s", a.Kind)
	}
	return b.String()
}

// render prints everything observable, for comparisons.
func (h *harness) render() string {
	var b strings.Builder
	for _, x := range h.got {
		fmt.Fprintf(&b, "%s %s anomalies=%v\n", summary(x), x.Proto, x.Anomalies)
		for _, m := range []*decoders.Message{x.Request, x.Response} {
			if m != nil {
				body := fmt.Sprintf("%q", m.Body)
				if len(m.Body) > 100 {
					body = fmt.Sprintf("<%d bytes, crc %08x>", len(m.Body), crc32.ChecksumIEEE(m.Body))
				}
				fmt.Fprintf(&b, "  %q %q %q %q %d hdr=%q trl=%q body=%s trunc=%v wire=%d ce=%v inc=%v frames=%v/%d\n",
					m.Method, m.URI, m.Path, m.Query, m.Status, m.Headers, m.Trailers,
					body, m.BodyTruncated, m.WireBodyLen, m.ContentEncoding, m.Incomplete, m.Frames, m.FramesTotal)
			}
		}
	}
	for _, k := range h.counts.Keys() {
		fmt.Fprintf(&b, "count %s=%d\n", k, h.counts[k])
	}
	return b.String()
}

func (h *harness) summaries() []string {
	var out []string
	for _, x := range h.got {
		out = append(out, summary(x))
	}
	return out
}

func checkCounts(t *testing.T, h *harness, want map[string]uint64) {
	t.Helper()
	for k, v := range want {
		if h.counts[k] != v {
			t.Errorf("count %s = %d, want %d", k, h.counts[k], v)
		}
	}
}
