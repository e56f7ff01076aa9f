package websocket_test

import (
	"bytes"
	"compress/flate"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/apisensor/sensor/decoders"
	_ "github.com/apisensor/sensor/decoders/http1"
	"github.com/apisensor/sensor/decoders/websocket"
	"github.com/apisensor/sensor/sensor"
)

const (
	cs = sensor.ClientToServer
	sc = sensor.ServerToClient
)

var key = [4]byte{0x37, 0xfa, 0x21, 0x3d}

// frame builds a WebSocket frame; a client's (mask set) is masked with key.
func frame(fin, rsv1 bool, op byte, mask bool, payload []byte) []byte {
	b0 := op
	if fin {
		b0 |= 0x80
	}
	if rsv1 {
		b0 |= 0x40
	}
	var h []byte
	var m byte
	if mask {
		m = 0x80
	}
	switch n := len(payload); {
	case n < 126:
		h = []byte{b0, m | byte(n)}
	case n < 1<<16:
		h = binary.BigEndian.AppendUint16([]byte{b0, m | 126}, uint16(n))
	default:
		h = binary.BigEndian.AppendUint64([]byte{b0, m | 127}, uint64(n))
	}
	p := bytes.Clone(payload)
	if mask {
		h = append(h, key[:]...)
		for i := range p {
			p[i] ^= key[i&3]
		}
	}
	return append(h, p...)
}

func text(s string) []byte { return frame(true, false, 0x1, true, []byte(s)) }

// deflater compresses messages as permessage-deflate does with context
// takeover: one stream, flushed after each message, 00 00 ff ff dropped.
type deflater struct {
	buf bytes.Buffer
	w   *flate.Writer
}

func newDeflater() *deflater {
	d := &deflater{}
	d.w, _ = flate.NewWriter(&d.buf, flate.BestCompression)
	return d
}

func (d *deflater) message(s string) []byte {
	d.buf.Reset()
	d.w.Write([]byte(s))
	d.w.Flush()
	return bytes.TrimSuffix(bytes.Clone(d.buf.Bytes()), []byte{0, 0, 0xff, 0xff})
}

const upgradeReq = "GET /graphql/ws?token=abc HTTP/1.1\r\nHost: api.example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
	"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Extensions: permessage-deflate\r\n\r\n"
const upgradeResp = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
	"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Extensions: permessage-deflate\r\n\r\n"

type chunk struct {
	dir  sensor.Direction
	data []byte
	gap  bool
}

// run feeds an upgrade and then chunks through a connection, as the
// sensor does, each chunk byte by byte when split is set; it returns the
// exchanges after the upgrade's and the counts.
func run(t testing.TB, lim decoders.Limits, split bool, chunks ...chunk) ([]*decoders.Exchange, sensor.Counts) {
	t.Helper()
	var got []*decoders.Exchange
	counts := sensor.Counts{}
	h := decoders.NewConn(&sensor.ConnMeta{ID: 1}, &lim, counts, func(x *decoders.Exchange) { got = append(got, x) })
	at := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	n := uint64(0)
	feed := func(c chunk) {
		n++
		at = at.Add(time.Millisecond)
		ch := &sensor.Chunk{Dir: c.dir, Data: bytes.Clone(c.data), Time: at, Frames: []uint64{n}}
		if c.gap {
			ch.Gap = 10
		}
		h.Data(ch)
	}
	feed(chunk{dir: cs, data: []byte(upgradeReq)})
	feed(chunk{dir: sc, data: []byte(upgradeResp)})
	for _, c := range chunks {
		if !split || c.gap {
			feed(c)
			continue
		}
		for i := range c.data {
			feed(chunk{dir: c.dir, data: c.data[i : i+1]})
		}
	}
	h.Close(sensor.EndFIN, at)
	if len(got) == 0 || got[0].Request.Method != "GET" {
		t.Fatalf("no upgrade exchange first: %d exchanges", len(got))
	}
	return got[1:], counts
}

func bodies(xs []*decoders.Exchange) []string {
	var out []string
	for _, x := range xs {
		out = append(out, string(x.Request.Body))
	}
	return out
}

func TestMessages(t *testing.T) {
	lim := decoders.DefaultLimits()
	sqli := `{"type":"subscribe","id":"1","payload":{"query":"{ user(id: \"1' OR '1'='1\") { name } }"}}`
	long := strings.Repeat("x", 70000)
	for _, split := range []bool{false, true} {
		d := newDeflater()
		xs, counts := run(t, lim, split,
			chunk{dir: cs, data: text(`{"type":"connection_init"}`)},
			chunk{dir: sc, data: frame(true, false, 0x1, false, []byte(`{"type":"connection_ack"}`))},
			// A message in three fragments with a ping between them.
			chunk{dir: cs, data: cat(frame(false, false, 0x1, true, []byte(sqli[:20])), frame(true, false, 0x9, true, []byte("hb")),
				frame(false, false, 0x0, true, []byte(sqli[20:50])), frame(true, false, 0x0, true, []byte(sqli[50:])))},
			// 16- and 64-bit lengths.
			chunk{dir: cs, data: text(strings.Repeat("a", 300))},
			chunk{dir: cs, data: text(long)},
			// Compressed, the second referring back to the first.
			chunk{dir: cs, data: frame(true, true, 0x1, true, d.message(`{"q":"select name from users"}`))},
			chunk{dir: cs, data: frame(true, true, 0x1, true, d.message(`{"q":"select name from users"}`))},
			// Binary: JSON is kept, bytes that are not text are not.
			chunk{dir: cs, data: frame(true, false, 0x2, true, []byte(`{"b":1}`))},
			chunk{dir: cs, data: frame(true, false, 0x2, true, []byte{0x0a, 0x03, 0xff, 0xfe, 0x00})},
			chunk{dir: cs, data: frame(true, false, 0x8, true, []byte{0x03, 0xe8})},
		)
		want := []string{`{"type":"connection_init"}`, sqli, strings.Repeat("a", 300), long[:lim.MaxBodyBytes],
			`{"q":"select name from users"}`, `{"q":"select name from users"}`, `{"b":1}`}
		if got := bodies(xs); strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Fatalf("split %v: messages\n%s\nwant\n%s", split, short(got), short(want))
		}
		for i, x := range xs {
			if x.Seq != i+1 { // the upgrade exchange is 0
				t.Errorf("message %d: seq %d", i, x.Seq)
			}
		}
		x := xs[1]
		if x.Proto != "websocket" || x.Request.Method != websocket.Method || x.Request.URI != "/graphql/ws?token=abc" ||
			x.Request.Path != "" || x.Request.Query != "" || x.Response != nil {
			t.Errorf("exchange %+v", x.Request)
		}
		if h, _ := decoders.Get(x.Request.Headers, "host"); h != "api.example.com" {
			t.Errorf("host %q", h)
		}
		if !xs[3].Request.BodyTruncated || xs[3].Request.WireBodyLen != 70000 {
			t.Errorf("long message: truncated %v, %d bytes on the wire", xs[3].Request.BodyTruncated, xs[3].Request.WireBodyLen)
		}
		if ce := xs[5].Request.ContentEncoding; len(ce) != 1 || ce[0] != "permessage-deflate" {
			t.Errorf("compressed message: codings %v", ce)
		}
		if counts[websocket.CountClientMessages] != 8 || counts[websocket.CountServerMessages] != 1 ||
			counts[websocket.CountBinarySkipped] != 1 || counts[websocket.KindTruncated] != 1 {
			t.Errorf("counts %v", counts)
		}
	}
}

// TestParams: a message's parameters are its body's, flattened, and not the
// upgrade request's path, query and headers again.
func TestParams(t *testing.T) {
	xs, _ := run(t, decoders.DefaultLimits(), false,
		chunk{dir: cs, data: text(`{"id":"7","payload":{"query":"1' OR '1'='1"}}`)},
		chunk{dir: cs, data: text(`<script>alert(1)</script>`)})
	if len(xs) != 2 {
		t.Fatalf("%d exchanges", len(xs))
	}
	var got []string
	for _, x := range xs {
		for _, p := range x.Params {
			got = append(got, string(p.Loc)+" "+p.Name+"="+p.Value)
		}
	}
	want := "header host=api.example.com|json id=7|json payload.query=1' OR '1'='1|header host=api.example.com|body =<script>alert(1)</script>"
	if strings.Join(got, "|") != want {
		t.Errorf("params\n%s\nwant\n%s", strings.Join(got, "|"), want)
	}
}

// TestViolations: each is counted; a reserved opcode or a gap ends the
// direction's decoding, a message open at the end is handed on incomplete.
func TestViolations(t *testing.T) {
	lim := decoders.DefaultLimits()
	xs, counts := run(t, lim, false,
		chunk{dir: cs, data: frame(true, false, 0x1, false, []byte("unmasked"))},
		chunk{dir: sc, data: frame(true, false, 0x1, true, []byte("masked"))},
		chunk{dir: cs, data: frame(false, false, 0x9, true, []byte("ping in pieces"))},
		chunk{dir: cs, data: frame(true, false, 0x0, true, []byte("orphan"))},
		chunk{dir: cs, data: cat(frame(false, false, 0x1, true, []byte("first ")), text("second"))},
		chunk{dir: cs, data: frame(true, false, 0x1, true, []byte("\x01\x02not deflate"))},
		chunk{dir: cs, data: frame(false, false, 0x1, true, []byte("open at the end"))},
	)
	want := []string{"unmasked", "orphan", "first ", "second", "\x01\x02not deflate", "open at the end"}
	if got := bodies(xs); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("messages %q, want %q", got, want)
	}
	if !xs[2].Request.Incomplete || !xs[5].Request.Incomplete || xs[3].Request.Incomplete {
		t.Errorf("incomplete flags %v %v %v", xs[2].Request.Incomplete, xs[3].Request.Incomplete, xs[5].Request.Incomplete)
	}
	for _, k := range []string{websocket.KindUnmasked, websocket.KindMasked, websocket.KindBadControl, websocket.KindBadContinuation} {
		if counts[k] == 0 {
			t.Errorf("%s not counted (%v)", k, counts)
		}
	}
	if counts[websocket.KindBadContinuation] != 2 {
		t.Errorf("bad continuations %d, want 2", counts[websocket.KindBadContinuation])
	}

	xs, counts = run(t, lim, false,
		chunk{dir: cs, data: frame(true, true, 0x1, true, []byte("\xff\xff\xff not deflate"))},
		chunk{dir: cs, data: frame(true, false, 0x3, true, []byte("reserved"))},
		chunk{dir: cs, data: text("after the reserved opcode")},
	)
	if got := bodies(xs); len(got) != 1 || counts[websocket.KindBadDeflate] != 1 || counts[websocket.KindBadOpcode] != 1 {
		t.Errorf("messages %q, counts %v", got, counts)
	}
	xs, counts = run(t, lim, false,
		chunk{dir: cs, data: text("before")},
		chunk{dir: cs, data: text("lost"), gap: true},
		chunk{dir: cs, data: text("after")},
	)
	if got := bodies(xs); len(got) != 1 || got[0] != "before" || counts[websocket.KindGap] != 1 {
		t.Errorf("after a gap: messages %q, counts %v", got, counts)
	}
}

// TestDeflateBomb: a compressed message is inflated to
// MaxDecompressedBytes at most, flagged, and kept to MaxBodyBytes.
func TestDeflateBomb(t *testing.T) {
	lim := decoders.DefaultLimits()
	d := newDeflater()
	bomb := d.message(strings.Repeat("A", lim.MaxDecompressedBytes+1000))
	xs, counts := run(t, lim, false, chunk{dir: cs, data: frame(true, true, 0x1, true, bomb)},
		chunk{dir: cs, data: frame(true, true, 0x1, true, newDeflater().message("next"))})
	if len(xs) != 2 || len(xs[0].Request.Body) != lim.MaxBodyBytes || !xs[0].Request.BodyTruncated ||
		counts[websocket.KindDecompressionBomb] != 1 || counts[websocket.KindDeflateContextLost] != 1 || string(xs[1].Request.Body) != "next" {
		t.Errorf("%d exchanges, counts %v", len(xs), counts)
	}
}

// TestBinaryText: a binary message that is text with a stray byte, or
// valid UTF-8 cut inside a character by the body bound, is inspected: JSON
// parsers take such bytes in strings.
func TestBinaryText(t *testing.T) {
	lim := decoders.DefaultLimits()
	const atk = "1' OR '1'='1"
	stray := `{"type":"subscribe","payload":{"query":"{ user(id: \"` + atk + `\") { name } }","x":"` + "\xff" + `"}}`
	head := `{"q":"` + atk + `","pad":"`
	if (lim.MaxBodyBytes-len(head))%2 == 0 {
		head = " " + head // the bound falls inside an é
	}
	long := head + strings.Repeat("é", (lim.MaxBodyBytes-len(head))/2+10) + `"}`
	for _, msg := range []string{stray, long} {
		xs, counts := run(t, lim, false, chunk{dir: cs, data: frame(true, false, 0x2, true, []byte(msg))})
		if len(xs) != 1 || !strings.Contains(string(xs[0].Request.Body), atk) {
			t.Errorf("%d bytes: %d exchanges, counts %v", len(msg), len(xs), counts)
		}
	}
}

// TestDeflateBackReference: a message that refers back past the message
// before it, into an earlier one, inflates: the dictionary is the end of
// all the direction's messages, not of the last alone.
func TestDeflateBackReference(t *testing.T) {
	d := newDeflater()
	atk := `{"q":"1' UNION SELECT password FROM users --"}`
	xs, counts := run(t, decoders.DefaultLimits(), false,
		chunk{dir: cs, data: frame(true, true, 0x1, true, d.message(atk))},
		chunk{dir: cs, data: frame(true, true, 0x1, true, d.message(`{"ping":1}`))},
		chunk{dir: cs, data: frame(true, true, 0x1, true, d.message(atk))})
	if len(xs) != 3 || string(xs[2].Request.Body) != atk || counts[websocket.KindBadDeflate] != 0 {
		t.Errorf("%d exchanges, counts %v", len(xs), counts)
	}
}

// TestDeflateContext: a compressed message larger on the wire than
// MaxBodyBytes is kept whole to the bomb bound, so the next message, which
// refers back into it, still inflates.
func TestDeflateContext(t *testing.T) {
	lim := decoders.DefaultLimits()
	noise := make([]byte, 72000)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range noise {
		noise[i] = byte(rng.Uint32())
	}
	first := base64.StdEncoding.EncodeToString(noise) + `{"q":"x"}` // 96 KB of base64: 72 KB compressed
	d := newDeflater()
	m1, m2 := d.message(first), d.message(first[len(first)-30000:]+`{"q":"1' OR '1'='1"}`)
	if len(m1) <= lim.MaxBodyBytes {
		t.Fatalf("the first message compresses to %d bytes, within the body bound", len(m1))
	}
	xs, counts := run(t, lim, false, chunk{dir: cs, data: frame(true, true, 0x1, true, m1)},
		chunk{dir: cs, data: frame(true, true, 0x1, true, m2)})
	if len(xs) != 2 || !strings.HasSuffix(string(xs[1].Request.Body), `{"q":"1' OR '1'='1"}`) ||
		!xs[0].Request.BodyTruncated || counts[websocket.KindDeflateContextLost] != 0 {
		t.Errorf("%d exchanges, counts %v", len(xs), counts)
	}
}

func cat(bs ...[]byte) []byte { return bytes.Join(bs, nil) }

// short describes messages by length and start, for failure messages.
func short(ms []string) string {
	var b strings.Builder
	for _, m := range ms {
		fmt.Fprintf(&b, "  %d bytes %q\n", len(m), m[:min(len(m), 40)])
	}
	return b.String()
}

// FuzzWebSocket feeds any bytes after an upgrade, in two chunks per
// direction: no panic, every message within its bounds.
func FuzzWebSocket(f *testing.F) {
	d := newDeflater()
	f.Add(text(`{"a":"b"}`), frame(true, false, 1, false, []byte("srv")), 3)
	f.Add(frame(true, true, 1, true, d.message("compressed")), []byte{0x88, 0x00}, 1)
	f.Add(cat(frame(false, false, 1, true, []byte("a")), frame(true, false, 9, true, nil), frame(true, false, 0, true, []byte("b"))), []byte(nil), 5)
	f.Add([]byte{0x81, 0xff, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 1, 2, 3, 4, 'x'}, []byte{0x82, 0x7e, 0xff}, 2)
	f.Fuzz(func(t *testing.T, client, server []byte, cut int) {
		lim := decoders.DefaultLimits()
		lim.MaxBodyBytes, lim.MaxDecompressedBytes = 512, 4096
		cut = max(0, min(cut, len(client)))
		xs, _ := run(t, lim, false, chunk{dir: cs, data: client[:cut]}, chunk{dir: sc, data: server},
			chunk{dir: cs, data: client[cut:]})
		for _, x := range xs {
			if len(x.Request.Body) > lim.MaxBodyBytes || x.Request.Method != websocket.Method {
				t.Fatalf("message of %d bytes, method %q", len(x.Request.Body), x.Request.Method)
			}
		}
	})
}

// BenchmarkMessages: an upgrade and two client messages through a
// connection, parameters extracted.
func BenchmarkMessages(b *testing.B) {
	lim := decoders.DefaultLimits()
	msg := text(`{"type":"subscribe","id":"1","payload":{"query":"{ user(id: 1) { name } }"}}`)
	b.ReportAllocs()
	for b.Loop() {
		run(b, lim, false, chunk{dir: cs, data: msg}, chunk{dir: cs, data: msg})
	}
}

// BenchmarkDeflateMessages: an upgrade and 50 compressed client messages,
// with context takeover, through a connection.
func BenchmarkDeflateMessages(b *testing.B) {
	lim := decoders.DefaultLimits()
	d := newDeflater()
	var msgs []chunk
	for i := range 50 {
		m := fmt.Sprintf(`{"type":"subscribe","id":"%d","payload":{"query":"{ user(id: %d) { name } }"}}`, i, i)
		msgs = append(msgs, chunk{dir: cs, data: frame(true, true, 0x1, true, d.message(m))})
	}
	b.ReportAllocs()
	for b.Loop() {
		run(b, lim, false, msgs...)
	}
}

// TestFramesWithTheUpgrade: frames in the same segment as the upgrade
// request (a client that does not wait for the 101) and as the 101 reach
// the decoder.
func TestFramesWithTheUpgrade(t *testing.T) {
	var got []*decoders.Exchange
	counts := sensor.Counts{}
	lim := decoders.DefaultLimits()
	h := decoders.NewConn(&sensor.ConnMeta{ID: 1}, &lim, counts, func(x *decoders.Exchange) { got = append(got, x) })
	at := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	h.Data(&sensor.Chunk{Dir: cs, Data: cat([]byte(upgradeReq), text(`{"early":"1' OR '1'='1"}`)), Time: at})
	h.Data(&sensor.Chunk{Dir: sc, Data: cat([]byte(upgradeResp), frame(true, false, 0x1, false, []byte(`{"hello":1}`))), Time: at})
	h.Data(&sensor.Chunk{Dir: cs, Data: text(`{"later":2}`), Time: at})
	h.Close(sensor.EndFIN, at)
	if len(got) != 3 || string(got[1].Request.Body) != `{"early":"1' OR '1'='1"}` || string(got[2].Request.Body) != `{"later":2}` ||
		counts[websocket.CountServerMessages] != 1 {
		t.Fatalf("%d exchanges, counts %v", len(got), counts)
	}
}

// TestSniffMidStream: a socket joined after its upgrade is recognised from
// its frames (masked text from the client), the right way round or
// reversed, and its client messages inspected; other protocols and
// fresh connections are not claimed.
func TestSniffMidStream(t *testing.T) {
	msg := text(`{"id":"3","type":"subscribe","payload":{"query":"{ a(x: \"1' OR '1'='1\") }"}}`)
	srv := frame(true, false, 0x1, false, []byte(`{"id":"3","type":"next"}`))
	for _, tc := range []struct {
		name           string
		client, server []byte
		mid            bool
		want           decoders.Verdict
	}{
		{"client text", msg, srv, true, decoders.Yes},
		{"client text, no server bytes yet", msg, nil, true, decoders.Yes},
		{"ping then text", cat(frame(true, false, 0x9, true, nil), msg), nil, true, decoders.Yes},
		{"reversed", srv, msg, true, decoders.Reversed},
		{"a frame's start", msg[:5], nil, true, decoders.NeedMore},
		{"binary only", frame(true, false, 0x2, true, []byte{1, 2, 3, 4, 5}), nil, true, decoders.NeedMore},
		{"not mid-stream", msg, srv, false, decoders.No},
		{"http", []byte("GET / HTTP/1.1\r\nHost: a\r\n\r\n"), nil, true, decoders.No},
		{"tls", []byte{0x17, 0x03, 0x03, 0x00, 0x20, 1, 2, 3}, nil, true, decoders.No},
		{"unmasked client", frame(true, false, 0x1, false, []byte("hello world")), nil, true, decoders.No},
		{"masked bytes that are no text", frame(true, false, 0x1, true, []byte{0xff, 0xfe, 0xfd, 0xfc, 0xfb}), nil, true, decoders.No},
		{"16-bit length under 126", []byte{0x81, 0xfe, 0x00, 0x05, 1, 2, 3, 4}, nil, true, decoders.No},
	} {
		if got := websocket.Sniff(tc.client, tc.server, tc.mid); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}

	var got []*decoders.Exchange
	counts := sensor.Counts{}
	lim := decoders.DefaultLimits()
	h := decoders.NewConn(&sensor.ConnMeta{ID: 1, MidStream: true}, &lim, counts, func(x *decoders.Exchange) { got = append(got, x) })
	at := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	h.Data(&sensor.Chunk{Dir: cs, Data: msg, Time: at})
	h.Data(&sensor.Chunk{Dir: sc, Data: srv, Time: at})
	h.Data(&sensor.Chunk{Dir: cs, Data: text(`{"id":"4","type":"complete"}`), Time: at})
	h.Close(sensor.EndFIN, at)
	if len(got) != 2 || got[0].Proto != websocket.ProtoName || !strings.Contains(string(got[0].Request.Body), "1' OR '1'='1") {
		t.Fatalf("%d exchanges, counts %v", len(got), counts)
	}
}

// TestSniffNotText: HTTP bodies in scripts whose UTF-8 bytes are all
// 0x80 and up read, at some offsets, as a frame masked with a key whose
// XOR leaves ASCII: the frames after it, and no control bytes, tell them
// apart. Counted at every offset of Japanese and Chinese text.
func TestSniffNotText(t *testing.T) {
	for _, s := range []string{
		strings.Repeat("東京都の天気はいかがですか。今日はとても暑くて、外に出かけるのが大変でした。", 40),
		strings.Repeat("我们今天去公园散步，天气很好，假期的时候人很多，偏偏下午下雨了。", 40),
	} {
		b := []byte(s)
		for off := 0; off+64 < len(b); off++ {
			if v := websocket.Sniff(b[off:min(off+4096, len(b))], nil, true); v == decoders.Yes {
				t.Fatalf("claimed at offset %d: % x", off, b[off:off+16])
			}
		}
	}
}

// TestGapBeforeFirstBytes: a socket claimed by Sniff after the dispatcher
// skipped bytes (its window slides on a connection joined mid-stream)
// starts on the frame Sniff checked: the skipped bytes are no gap to the
// decoder. A gap after that still ends the direction.
func TestGapBeforeFirstBytes(t *testing.T) {
	p, ok := decoders.Lookup(websocket.ProtoName)
	if !ok {
		t.Fatal("websocket not registered")
	}
	var got []*decoders.Exchange
	counts := sensor.Counts{}
	lim := decoders.DefaultLimits()
	env := &decoders.Env{Conn: &sensor.ConnMeta{ID: 1, MidStream: true}, Limits: &lim, Counts: counts,
		Emit: func(x *decoders.Exchange) { got = append(got, x) }}
	d := p.New(env)
	at := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	d.Feed(&sensor.Chunk{Dir: cs, Data: text(`{"q":"1' OR '1'='1"}`), Time: at, Gap: 2048})
	d.Feed(&sensor.Chunk{Dir: cs, Data: text(`{"lost":1}`), Time: at, Gap: 10})
	d.Close(sensor.EndFIN, at)
	if len(got) != 1 || counts[websocket.KindGap] != 1 {
		t.Fatalf("%d exchanges, counts %v", len(got), counts)
	}
}

func FuzzSniff(f *testing.F) {
	f.Add(text(`{"a":"b"}`), frame(true, false, 0x1, false, []byte("srv")), true)
	f.Add([]byte{0x81, 0xff, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 1, 2, 3, 4}, []byte(nil), true)
	f.Fuzz(func(t *testing.T, client, server []byte, mid bool) {
		v := websocket.Sniff(client, server, mid)
		if !mid && v != decoders.No {
			t.Fatalf("claimed a connection seen from its start: %v", v)
		}
	})
}
