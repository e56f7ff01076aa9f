package http1

import (
	"strings"
	"testing"

	"github.com/apisensor/sensor/decoders"
	"github.com/apisensor/sensor/sensor"
)

// longFeeder feeds a request line of any length in chunks without building
// it: head, then filler up to total bytes of line, then tail.
type longFeeder struct {
	h *harness
	// maxBuf is the largest buffered state seen between chunks.
	maxBuf int
	fed    int64
}

func (f *longFeeder) feed(dir sensor.Direction, p string) {
	f.h.feed(dir, []byte(p), 0)
	f.fed += int64(len(p))
	d := f.h.dec.(*decoder)
	for i := range d.dirs {
		s := &d.dirs[i]
		f.maxBuf = max(f.maxBuf, cap(s.buf)+cap(s.sb)+cap(s.held))
	}
}

// filler feeds n bytes of c in chunks of at most 64 KiB, as capture would.
func (f *longFeeder) filler(dir sensor.Direction, c byte, n int) {
	chunk := strings.Repeat(string(c), 64<<10)
	for n > 0 {
		k := min(n, len(chunk))
		f.feed(dir, chunk[:k])
		n -= k
	}
}

func param(x *decoders.Exchange, loc decoders.Location, name string) (string, bool) {
	for _, p := range x.Params {
		if p.Loc == loc && p.Name == name {
			return p.Value, true
		}
	}
	return "", false
}

func hasAnomaly(x *decoders.Exchange, kind string) bool {
	for _, a := range x.Anomalies {
		if a.Kind == kind {
			return true
		}
	}
	return false
}

// TestLongRequestLine pads a request-target past max_line_bytes (9 KiB,
// 100 KiB, 10 MiB): the request must still be decoded with its target cut
// at the bound, its query parameters extracted, the anomaly on the
// exchange, the framing of what follows intact, and the decoder's buffers
// bounded by the limits whatever the line's length.
func TestLongRequestLine(t *testing.T) {
	lim := decoders.DefaultLimits()
	const payload = "q=1'+OR+'1'='1&id=7"
	head := "GET /search?" + payload + "&pad="
	for _, tt := range []struct {
		name string
		line int // bytes of the request line, without CRLF
		// after follows the long request on the client side.
		after string
		// resps answer every request, in order.
		resps string
		check func(t *testing.T, h *harness)
	}{
		{name: "9KiB", line: 9 << 10,
			after: "GET /next?b=2 HTTP/1.1\r\nHost: h\r\n\r\n",
			resps: "HTTP/1.1 414 URI Too Long\r\nContent-Length: 3\r\n\r\nbadHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"},
		{name: "100KiB", line: 100 << 10,
			after: "POST /chunked HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
			resps: "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nAHTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nB",
			check: func(t *testing.T, h *harness) {
				if r := h.got[1].Request; string(r.Body) != "hello" || r.Incomplete {
					t.Errorf("chunked request after the long line:\n%s", h.render())
				}
			}},
		{name: "10MiB", line: 10 << 20,
			after: "GET /next?b=2 HTTP/1.1\r\nHost: h\r\n\r\n",
			resps: "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nAHTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nB"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(&lim, false)
			f := &longFeeder{h: h}
			const end = " HTTP/1.1"
			f.feed(cs, head)
			f.filler(cs, 'a', tt.line-len(head)-len(end))
			// The rest of the request and the next one share a chunk
			// (pipelined).
			f.feed(cs, end+"\r\nHost: h\r\nX-After: 1\r\n\r\n"+tt.after)
			f.feed(sc, tt.resps)
			h.close(sensor.EndFIN)

			if f.fed < int64(tt.line) {
				t.Fatalf("fed %d bytes, want at least %d", f.fed, tt.line)
			}
			// Memory: the line is never buffered past max_line_bytes
			// (plus the header block it leads to).
			if bound := lim.MaxLineBytes + lim.MaxHeaderBytes; f.maxBuf > bound {
				t.Errorf("buffered %d bytes, bound %d", f.maxBuf, bound)
			}
			t.Logf("fed %d bytes, at most %d buffered", f.fed, f.maxBuf)
			if len(h.got) != 2 {
				t.Fatalf("got %d exchanges, want 2:\n%.2000s", len(h.got), h.render())
			}
			x := h.got[0]
			r := x.Request
			if r.Method != "GET" || r.Version != "HTTP/1.1" || r.Path != "/search" {
				t.Errorf("request line: %q %q %q", r.Method, r.Path, r.Version)
			}
			if want := lim.MaxLineBytes - len("GET "); len(r.URI) != want || !strings.HasPrefix(r.URI, "/search?"+payload) {
				t.Errorf("URI of %d bytes (want %d): %.80q", len(r.URI), want, r.URI)
			}
			if v, _ := decoders.Get(r.Headers, "X-After"); v != "1" {
				t.Errorf("headers after the long line lost: %q", r.Headers)
			}
			if !hasAnomaly(x, KindRequestLineTooLong) || h.counts[KindRequestLineTooLong] != 1 {
				t.Errorf("anomaly: %v %v", x.Anomalies, h.counts)
			}
			if h.counts[KindLineTooLong] != 0 || h.counts[CountSkipped] != 0 || h.counts[KindNonHTTP] != 0 {
				t.Errorf("the stream must stay in sync: %v", h.counts)
			}
			if x.Response == nil || x.Response.Status != 414 && x.Response.Status != 200 {
				t.Errorf("response not paired:\n%.2000s", h.render())
			}
			if h.got[1].Response == nil || h.got[1].Request.Incomplete {
				t.Errorf("second exchange:\n%.2000s", h.render())
			}
			decoders.ExtractParams(x, &lim)
			if v, ok := param(x, decoders.LocQuery, "q"); !ok || v != "1'+OR+'1'='1" {
				t.Errorf("query parameter q from the kept prefix: %q %v", v, ok)
			}
			if v, ok := param(x, decoders.LocQuery, "pad"); !ok || len(v) == 0 {
				t.Errorf("cut parameter pad: %d bytes %v", len(v), ok)
			}
			if tt.check != nil {
				tt.check(t, h)
			}
		})
	}
}

// TestLongHeaderLine pads one header value past max_header_bytes: the value
// is kept cut at max_line_bytes and flagged; later headers and the body
// framing survive. Memory stays within the header bound.
func TestLongHeaderLine(t *testing.T) {
	lim := decoders.DefaultLimits()
	for _, n := range []int{100 << 10, 10 << 20} {
		h := newHarness(&lim, false)
		f := &longFeeder{h: h}
		f.feed(cs, "POST /p HTTP/1.1\r\nX-Long: <script>")
		f.filler(cs, 'v', n)
		f.feed(cs, "\r\nX-After: 1\r\nContent-Length: 3\r\n\r\nabcGET /2 HTTP/1.1\r\n\r\n")
		f.feed(sc, "HTTP/1.1 200 OK\r\nX-Resp: ")
		f.filler(sc, 'r', n)
		f.feed(sc, "\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 204 No Content\r\n\r\n")
		h.close(sensor.EndFIN)
		if bound := lim.MaxHeaderBytes + lim.MaxLineBytes; f.maxBuf > bound {
			t.Errorf("%d: buffered %d bytes, bound %d", n, f.maxBuf, bound)
		}
		t.Logf("fed %d bytes, at most %d buffered", f.fed, f.maxBuf)
		if len(h.got) != 2 || h.got[1].Response == nil || h.got[1].Response.Status != 204 {
			t.Fatalf("%d: framing lost:\n%.3000s", n, h.render())
		}
		x := h.got[0]
		r := x.Request
		v, _ := decoders.Get(r.Headers, "X-Long")
		if !strings.HasPrefix(v, "<script>") || len(v) != lim.MaxLineBytes-len("X-Long: ") {
			t.Errorf("%d: cut value of %d bytes: %.40q", n, len(v), v)
		}
		if a, _ := decoders.Get(r.Headers, "X-After"); a != "1" || string(r.Body) != "abc" {
			t.Errorf("%d: after the long header: %q %q", n, a, r.Body)
		}
		resp := x.Response
		if v, _ := decoders.Get(resp.Headers, "X-Resp"); resp.Status != 200 || len(v) == 0 || string(resp.Body) != "ok" {
			t.Errorf("%d: response: %d %d %q", n, resp.Status, len(v), resp.Body)
		}
		if h.counts[KindHeaderLineTooLong] != 2 || !hasAnomaly(x, KindHeaderLineTooLong) {
			t.Errorf("%d: anomalies %v %v", n, x.Anomalies, h.counts)
		}
		decoders.ExtractParams(x, &lim)
		if p, ok := param(x, decoders.LocHeader, "x-long"); !ok || !strings.HasPrefix(p, "<script>") {
			t.Errorf("%d: header parameter: %.40q %v", n, p, ok)
		}
	}
}

// TestLongStatusLine pads a reason phrase: the response is still paired
// with its request, the reason cut and flagged.
func TestLongStatusLine(t *testing.T) {
	lim := decoders.DefaultLimits()
	h := newHarness(&lim, false)
	f := &longFeeder{h: h}
	f.feed(cs, "GET /1 HTTP/1.1\r\n\r\nGET /2 HTTP/1.1\r\n\r\n")
	f.feed(sc, "HTTP/1.1 500 ")
	f.filler(sc, 'e', 1<<20)
	f.feed(sc, "\r\nContent-Length: 2\r\n\r\nerHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
	h.close(sensor.EndFIN)
	if f.maxBuf > lim.MaxLineBytes+lim.MaxHeaderBytes {
		t.Errorf("buffered %d bytes", f.maxBuf)
	}
	if len(h.got) != 2 || h.got[0].Response == nil || h.got[1].Response == nil {
		t.Fatalf("pairing lost:\n%.2000s", h.render())
	}
	r := h.got[0].Response
	if r.Status != 500 || string(r.Body) != "er" || len(r.Reason) != lim.MaxLineBytes-len("HTTP/1.1 500 ") {
		t.Errorf("response: %d %q reason of %d bytes", r.Status, r.Body, len(r.Reason))
	}
	if !hasAnomaly(h.got[0], KindStatusLineTooLong) || string(h.got[1].Response.Body) != "ok" {
		t.Errorf("anomalies %v:\n%.2000s", h.got[0].Anomalies, h.render())
	}
}

// TestLongLineCases covers the edges of the cut-line parsing with small
// limits.
func TestLongLineCases(t *testing.T) {
	lim := decoders.DefaultLimits()
	lim.MaxLineBytes = 32
	lim.MaxHeaderBytes = 64
	pad := strings.Repeat("x", 40)
	for _, tt := range []struct {
		name  string
		mid   bool
		in    string
		kinds []string
		n     int    // exchanges
		uri   string // of the first
		body  string // of the first
	}{
		// The version overlaps the kept prefix: it is not part of the URI.
		{name: "overlap", in: "GET /" + strings.Repeat("a", 25) + " HTTP/1.1\r\n\r\n", kinds: []string{KindRequestLineTooLong}, n: 1,
			uri: "/" + strings.Repeat("a", 25)},
		{name: "bare_lf", in: "GET /" + pad + " HTTP/1.1\n\n", kinds: []string{KindRequestLineTooLong, KindBareLF}, n: 1,
			uri: "/" + pad[:27]},
		{name: "no_version", in: "GET /" + pad + "\r\nGET /ok HTTP/1.1\r\n\r\n", kinds: []string{KindLineTooLong}, n: 1, uri: "/ok"},
		{name: "bad_version", in: "GET /" + pad + " HTTP/2.0\r\nGET /ok HTTP/1.1\r\n\r\n", kinds: []string{KindLineTooLong}, n: 1, uri: "/ok"},
		{name: "no_target", in: "GET " + pad + "HTTP/1.1\r\nGET /ok HTTP/1.1\r\n\r\n", kinds: []string{KindLineTooLong}, n: 1, uri: "/ok"},
		// While resynchronising a long line with a known method is a
		// request.
		{name: "resync", mid: true, in: "tail\r\nGET /" + pad + " HTTP/1.1\r\n\r\n", kinds: []string{KindRequestLineTooLong}, n: 1,
			uri: "/" + pad[:27]},
		{name: "resync_unknown_method", mid: true, in: "tail\r\nFOO /" + pad + " HTTP/1.1\r\n\r\nGET /ok HTTP/1.1\r\n\r\n", n: 1, uri: "/ok"},
		{name: "header_obs_fold", in: "GET / HTTP/1.1\r\nA: 1\r\n " + pad + pad + "\r\n\r\n", kinds: []string{KindHeaderLineTooLong, KindObsFold}, n: 1, uri: "/"},
		{name: "trailer", in: "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n0\r\nT: " + pad + pad + "\r\n\r\nGET /ok HTTP/1.1\r\n\r\n",
			kinds: []string{KindHeaderLineTooLong}, n: 2, uri: "/", body: "a"},
		// Chunk extensions padding a chunk-size line: the size is read,
		// the body kept.
		{name: "chunk_ext", in: "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3;" + pad + "\r\nabc\r\n0;" + pad + "\r\n\r\nGET /ok HTTP/1.1\r\n\r\n",
			kinds: []string{KindChunkLineTooLong}, n: 2, uri: "/", body: "abc"},
		{name: "chunk_size_digits", in: "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n" + strings.Repeat("f", 40) + "\r\nabc\r\n0\r\n\r\nGET /ok HTTP/1.1\r\n\r\n",
			kinds: []string{KindChunkLineTooLong, KindInvalidChunkSize}, n: 2, uri: "/"},
		{name: "unterminated", in: "GET /" + pad + pad, n: 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := run(&lim, tt.mid, []seg{{cs, tt.in, 0}})
			for _, k := range tt.kinds {
				if h.counts[k] == 0 {
					t.Errorf("no %s:\n%s", k, h.render())
				}
			}
			if len(h.got) != tt.n {
				t.Fatalf("got %d exchanges, want %d:\n%s", len(h.got), tt.n, h.render())
			}
			if tt.n > 0 && (h.got[0].Request.URI != tt.uri || string(h.got[0].Request.Body) != tt.body) {
				t.Errorf("URI %q body %q, want %q %q", h.got[0].Request.URI, h.got[0].Request.Body, tt.uri, tt.body)
			}
		})
	}
}

// TestLongLineGap: bytes lost inside a long line end it; the next request
// is found again.
func TestLongLineGap(t *testing.T) {
	lim := decoders.DefaultLimits()
	lim.MaxLineBytes = 32
	h := run(&lim, false, []seg{
		{cs, "GET /" + strings.Repeat("a", 100), 0},
		{cs, "GET /ok HTTP/1.1\r\n\r\n", 10},
	})
	if len(h.got) != 1 || h.got[0].Request.URI != "/ok" || h.dec.(*decoder).dirs[0].long {
		t.Errorf("after a gap:\n%s", h.render())
	}
}

// TestLongRequestLineDispatch goes through decoders.NewConn, as the
// pipeline does: sniffing a connection that opens with a 100 KiB request
// line, and the parameters of its kept prefix reaching x.Params.
func TestLongRequestLineDispatch(t *testing.T) {
	lim := decoders.DefaultLimits()
	counts := sensor.Counts{}
	var got []*decoders.Exchange
	c := decoders.NewConn(&sensor.ConnMeta{ID: 1}, &lim, counts, func(x *decoders.Exchange) { got = append(got, x) })
	feed := func(dir sensor.Direction, s string) {
		for len(s) > 0 {
			n := min(len(s), 1460)
			c.Data(&sensor.Chunk{Dir: dir, Data: []byte(s[:n]), Time: t0, Frames: []uint64{1}})
			s = s[n:]
		}
	}
	feed(cs, "GET /api?id=1%20union%20select%20password&pad="+strings.Repeat("a", 100<<10)+" HTTP/1.1\r\nHost: h\r\n\r\nGET /2 HTTP/1.1\r\nHost: h\r\n\r\n")
	feed(sc, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
	c.Close(sensor.EndFIN, t0)
	if len(got) != 2 || got[0].Proto != "http/1.1" {
		t.Fatalf("got %d exchanges: %v", len(got), counts)
	}
	v, ok := param(got[0], decoders.LocQuery, "id")
	if !ok || v != "1%20union%20select%20password" {
		t.Errorf("id = %q %v", v, ok)
	}
	if !hasAnomaly(got[0], KindRequestLineTooLong) {
		t.Errorf("anomalies %v", got[0].Anomalies)
	}
}
