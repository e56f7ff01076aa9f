package http1

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/andybalholm/brotli"
	"github.com/klauspost/compress/zstd"

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

func zl(s string) string {
	return squeeze(func(w io.Writer) io.WriteCloser { return zlib.NewWriter(w) }, s)
}

func rawDeflate(s string) string {
	return squeeze(func(w io.Writer) io.WriteCloser { f, _ := flate.NewWriter(w, flate.BestCompression); return f }, s)
}

func br(s string) string {
	return squeeze(func(w io.Writer) io.WriteCloser { return brotli.NewWriter(w) }, s)
}

func zs(s string) string {
	w, _ := zstd.NewWriter(nil)
	return string(w.EncodeAll([]byte(s), nil))
}

func resp(status, headers, body string) string {
	return "HTTP/1.1 " + status + "\r\n" + headers + "\r\n" + body
}

func withCL(body string) string { return fmt.Sprintf("Content-Length: %d\r\n", len(body)) }

// conversations are canonical exchanges, also used by the split test.
var conversations = []struct {
	name string
	mid  bool
	segs []seg
	lim  *decoders.Limits
}{
	{"keepalive", false, []seg{
		{cs, "GET /api/users?id=7&x=1 HTTP/1.1\r\nHost: example.com\r\nUser-Agent: t\r\n\r\n", 0},
		{sc, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 14\r\n\r\n{\"id\":7,\"a\":1}", 0},
		{cs, "POST /api/users HTTP/1.1\r\nHost: example.com\r\nContent-Type: application/json\r\nContent-Length: 16\r\n\r\n{\"name\":\"alice\"}", 0},
		{sc, "HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Checksum: abc\r\n\r\n", 0},
	}, nil},
	{"pipelined", false, []seg{
		{cs, "GET /a HTTP/1.1\r\nHost: h\r\n\r\nHEAD /b HTTP/1.1\r\nHost: h\r\n\r\nGET /c HTTP/1.1\r\nHost: h\r\n\r\n", 0},
		{sc, "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nAHTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nHTTP/1.1 304 Not Modified\r\nContent-Length: 5\r\n\r\n", 0},
	}, nil},
	{"continue", false, []seg{
		{cs, "PUT /up HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n", 0},
		{sc, "HTTP/1.1 100 Continue\r\n\r\n", 0},
		{cs, "data", 0},
		{sc, "HTTP/1.1 204 No Content\r\n\r\n", 0},
	}, nil},
	{"until_close", false, []seg{
		{cs, "GET / HTTP/1.0\r\n\r\n", 0},
		{sc, "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nall the rest", 0},
		{sc, " until close", 0},
	}, nil},
	{"gzip", false, []seg{
		{cs, "GET /g HTTP/1.1\r\nAccept-Encoding: gzip\r\n\r\n", 0},
		{sc, resp("200 OK", "Content-Encoding: gzip\r\n"+withCL(gz(`{"hello":"world"}`)), gz(`{"hello":"world"}`)), 0},
		{cs, "GET /z HTTP/1.1\r\n\r\n", 0},
		{sc, resp("200 OK", "Content-Encoding: deflate\r\n"+withCL(zl("zlib body")), zl("zlib body")), 0},
		{cs, "GET /r HTTP/1.1\r\n\r\n", 0},
		{sc, resp("200 OK", "Content-Encoding: deflate\r\nTransfer-Encoding: chunked\r\n", "") +
			fmt.Sprintf("%x\r\n%s\r\n0\r\n\r\n", len(rawDeflate("raw body")), rawDeflate("raw body")), 0},
		{cs, "GET /b HTTP/1.1\r\nAccept-Encoding: br, zstd\r\n\r\n", 0},
		{sc, resp("200 OK", "Content-Encoding: br\r\n"+withCL(br("brotli body")), br("brotli body")), 0},
		{cs, "POST /zs HTTP/1.1\r\nContent-Type: application/json\r\nContent-Encoding: zstd\r\n" + withCL(zs(`{"q":"1' OR 1=1"}`)) + "\r\n" + zs(`{"q":"1' OR 1=1"}`), 0},
		{sc, resp("200 OK", "Content-Encoding: zstd\r\n"+withCL(zs("zstd body")), zs("zstd body")), 0},
	}, nil},
	{"upgrade", false, []seg{
		{cs, "GET / HTTP/1.1\r\nHost: h\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAoAAAAAIAAAAA\r\n\r\nPRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 0},
		{sc, "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n\x00\x00\x00\x04\x00\x00\x00\x00\x00", 0},
		{cs, "more", 0},
	}, nil},
	{"garbage_resync", false, []seg{
		{cs, "GET /1 HTTP/1.1\r\n\r\n", 0},
		{sc, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", 0},
		{cs, "\x16\x03\x01 binary junk\r\nmore junk\nGET /2 HTTP/1.1\r\n\r\n", 0},
		{sc, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n", 0},
	}, nil},
	{"midstream", true, []seg{
		{cs, "ody-of-an-earlier-request\r\nmore\r\nPOST /m HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc", 0},
		{sc, "tail of a response\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", 0},
	}, nil},
	{"gap", false, []seg{
		{cs, "POST /a HTTP/1.1\r\nContent-Length: 10\r\n\r\n01234", 0},
		{cs, "GET /b HTTP/1.1\r\n\r\n", 20},
		{sc, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nabc", 0},
		{sc, "xyz", 50},
		{sc, "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nB", 80},
	}, nil},
	{"limits", false, []seg{
		{cs, "GET /" + strings.Repeat("l", 80) + " HTTP/1.1\r\n\r\n\r\nGET /ok HTTP/1.1\nA: 1\r\nB : 2\r\nC: 3\r\n\t3b\r\nD: 4\r\nContent-Length: 3\r\n\r\nabc", 0},
		{sc, "HTTP/1.1 200 OK\r\nX: " + strings.Repeat("v", 150) + "\r\nTransfer-Encoding: chunked\r\n\r\n14\r\n" + strings.Repeat("b", 20) + "\r\n0\r\n\r\n", 0},
		{cs, "junk\r\nPOST /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nabcd\r\nzz\r\nGET /after HTTP/1.1\r\n\r\n", 0},
		{sc, resp("200 OK", "Content-Encoding: gzip\r\n"+withCL(gz(strings.Repeat("q", 3000))), gz(strings.Repeat("q", 3000))), 0},
		{sc, "HTTP/1.1 204 No Content\r\n\r\n", 0},
	}, &smallLimits},
	{"long_lines", false, []seg{
		{cs, "GET /s?q=1'+or+1=1&pad=" + strings.Repeat("p", 120) + " HTTP/1.1\r\nX-Long: " + strings.Repeat("h", 150) + "\r\nB: 2\r\n\r\n" +
			"POST /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n", 0},
		{sc, "HTTP/1.1 500 " + strings.Repeat("e", 100) + "\r\nX-R: " + strings.Repeat("r", 140) + "\r\nContent-Length: 2\r\n\r\nerHTTP/1.1 200 OK\r\n\r\n", 0},
	}, &smallLimits},
}

var smallLimits = func() decoders.Limits {
	l := decoders.DefaultLimits()
	l.MaxLineBytes = 64
	l.MaxHeaders = 3
	l.MaxHeaderBytes = 128
	l.MaxBodyBytes = 16
	l.MaxDecompressedBytes = 1000
	return l
}()

func conversation(name string) []seg {
	for _, c := range conversations {
		if c.name == name {
			return c.segs
		}
	}
	panic(name)
}

func TestConversations(t *testing.T) {
	type want struct {
		req, resp string // "METHOD path?query" and "status body"
	}
	tests := []struct {
		name string
		want []want
		sw   string
	}{
		{"keepalive", []want{{"GET /api/users?id=7&x=1", `200 {"id":7,"a":1}`}, {"POST /api/users", "201 hello world"}}, ""},
		{"pipelined", []want{{"GET /a", "200 A"}, {"HEAD /b", "200 "}, {"GET /c", "304 "}}, ""},
		{"continue", []want{{"PUT /up", "204 "}}, ""},
		{"until_close", []want{{"GET /", "200 all the rest until close"}}, ""},
		{"gzip", []want{{"GET /g", `200 {"hello":"world"}`}, {"GET /z", "200 zlib body"}, {"GET /r", "200 raw body"},
			{"GET /b", "200 brotli body"}, {"POST /zs", "200 zstd body"}}, ""},
		{"upgrade", []want{{"GET /", "101 "}}, `switch h2c client="PRI * HTTP/2.0\r\n\r\nSM\r\n\r\nmore" server="\x00\x00\x00\x04\x00\x00\x00\x00\x00"`},
		{"garbage_resync", []want{{"GET /1", "200 ok"}, {"GET /2", "404 "}}, ""},
		{"midstream", []want{{"POST /m", "200 ok"}}, ""},
		{"gap", []want{{"POST /a", "200 abc"}, {"GET /b", "200 B"}}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var mid bool
			for _, c := range conversations {
				if c.name == tt.name {
					mid = c.mid
				}
			}
			h := run(nil, mid, conversation(tt.name))
			if len(h.got) != len(tt.want) {
				t.Fatalf("got %d exchanges, want %d:\n%s", len(h.got), len(tt.want), h.render())
			}
			for i, w := range tt.want {
				x := h.got[i]
				if x.Seq != i {
					t.Errorf("exchange %d: Seq %d", i, x.Seq)
				}
				req := x.Request.Method + " " + x.Request.Path
				if x.Request.Query != "" {
					req += "?" + x.Request.Query
				}
				if req != w.req {
					t.Errorf("exchange %d: request %q, want %q", i, req, w.req)
				}
				if x.Response == nil {
					t.Errorf("exchange %d: no response", i)
					continue
				}
				if got := fmt.Sprintf("%d %s", x.Response.Status, x.Response.Body); got != w.resp {
					t.Errorf("exchange %d: response %q, want %q", i, got, w.resp)
				}
			}
			if tt.sw != "" && !strings.Contains(h.render(), tt.sw) {
				t.Errorf("want %s in\n%s", tt.sw, h.render())
			}
			if t.Failed() {
				t.Log(h.render())
			}
		})
	}
}

func TestMessageFields(t *testing.T) {
	h := run(nil, false, conversation("keepalive"))
	if len(h.got) != 2 {
		t.Fatalf("got %d exchanges", len(h.got))
	}
	x := h.got[0]
	if x.Proto != "http/1.1" || x.Conn != h.env.Conn {
		t.Errorf("Proto %q Conn %p", x.Proto, x.Conn)
	}
	r := x.Request
	if r.URI != "/api/users?id=7&x=1" || r.Version != "HTTP/1.1" || len(r.Headers) != 2 || r.Headers[0] != (decoders.Header{Name: "Host", Value: "example.com"}) {
		t.Errorf("request %+v", r)
	}
	if r.Start != t0 || r.End != t0 || len(r.Frames) != 1 || r.Body != nil {
		t.Errorf("request timing %v %v frames %v body %q", r.Start, r.End, r.Frames, r.Body)
	}
	p := x.Response
	if p.Reason != "OK" || p.WireBodyLen != 14 {
		t.Errorf("response %+v", p)
	}
	c := h.got[1].Response
	if c.WireBodyLen != 11 || len(c.Trailers) != 1 || c.Trailers[0] != (decoders.Header{Name: "X-Checksum", Value: "abc"}) {
		t.Errorf("chunked response %+v", c)
	}
	h = run(nil, false, conversation("gzip"))
	for i, want := range [][]string{{"gzip"}, {"deflate"}, {"deflate"}, {"br"}, {"zstd"}} {
		if got := h.got[i].Response.ContentEncoding; fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("exchange %d ContentEncoding %v, want %v", i, got, want)
		}
	}
	if r := h.got[4].Request; string(r.Body) != `{"q":"1' OR 1=1"}` || fmt.Sprint(r.ContentEncoding) != "[zstd]" {
		t.Errorf("zstd request body %q (%v)", r.Body, r.ContentEncoding)
	}
	h = run(nil, false, conversation("until_close"))
	if x := h.got[0]; x.Proto != "http/1.0" || x.Response.Incomplete {
		t.Errorf("until close: proto %q incomplete %v", x.Proto, x.Response.Incomplete)
	}
	h = run(nil, false, conversation("gap"))
	if !h.got[0].Request.Incomplete || !h.got[0].Response.Incomplete || h.got[1].Response.Incomplete {
		t.Errorf("gap: incomplete flags wrong\n%s", h.render())
	}
	if h.counts[CountGapBytes] != 150 {
		t.Errorf("gap bytes %d", h.counts[CountGapBytes])
	}
	h = run(nil, true, conversation("midstream"))
	if h.counts[CountMidstreamSkipped] == 0 || h.counts[KindResponseWithoutRequest] != 1 {
		t.Errorf("midstream counts %v", h.counts)
	}
}

func TestSplitTargets(t *testing.T) {
	tests := []struct{ uri, path, query string }{
		{"/a/b?c=d?e", "/a/b", "c=d?e"},
		{"/", "/", ""},
		{"http://host/p?q=1", "/p", "q=1"},
		{"https://host:8443", "/", ""},
		{"http://host?x", "/", "x"},
		{"*", "*", ""},
		{"/%2e%2e/x", "/%2e%2e/x", ""},
	}
	for _, tt := range tests {
		p, q := splitTarget(tt.uri)
		if p != tt.path || q != tt.query {
			t.Errorf("splitTarget(%q) = %q, %q; want %q, %q", tt.uri, p, q, tt.path, tt.query)
		}
	}
}

// TestSplitAnywhere checks that chunk boundaries change nothing: every
// segment is split at every offset, and the whole conversation is fed in
// chunks of every size.
func TestSplitAnywhere(t *testing.T) {
	for _, c := range conversations {
		t.Run(c.name, func(t *testing.T) {
			want := run(c.lim, c.mid, c.segs).render()
			for si, s := range c.segs {
				for k := 1; k < len(s.data); k++ {
					h := newHarness(c.lim, c.mid)
					for sj, o := range c.segs {
						if sj != si {
							h.feed(o.dir, []byte(o.data), o.gap)
							continue
						}
						h.feed(o.dir, []byte(o.data[:k]), o.gap)
						h.feed(o.dir, []byte(o.data[k:]), 0)
					}
					h.close(sensor.EndFIN)
					if got := h.render(); got != want {
						t.Fatalf("segment %d split at %d:\n%s\nwant:\n%s", si, k, got, want)
					}
				}
			}
			for size := 1; size <= 64; size++ {
				h := newHarness(c.lim, c.mid)
				for _, o := range c.segs {
					gap := o.gap
					for i := 0; i < len(o.data); i += size {
						h.feed(o.dir, []byte(o.data[i:min(i+size, len(o.data))]), gap)
						gap = 0
					}
				}
				h.close(sensor.EndFIN)
				if got := h.render(); got != want {
					t.Fatalf("chunks of %d:\n%s\nwant:\n%s", size, got, want)
				}
			}
		})
	}
}

func TestAnomalies(t *testing.T) {
	small := decoders.DefaultLimits()
	small.MaxLineBytes = 64
	small.MaxHeaders = 3
	small.MaxHeaderBytes = 128
	small.MaxPending = 2
	small.MaxBodyBytes = 16
	small.MaxDecompressedBytes = 1000
	bombLim := decoders.DefaultLimits()
	bombLim.MaxDecompressedBytes = 1000
	bomb := gz(strings.Repeat("A", 5000))
	get := "GET / HTTP/1.1\r\n\r\n"
	ok := "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"
	tests := []struct {
		name  string
		lim   *decoders.Limits
		segs  []seg
		kinds []string
		check func(t *testing.T, h *harness)
	}{
		{"duplicate_cl", nil, []seg{{cs, "POST / HTTP/1.1\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nab" + get, 0}},
			[]string{KindDuplicateContentLength}, exchanges(2)},
		{"duplicate_cl_list", nil, []seg{{cs, "POST / HTTP/1.1\r\nContent-Length: 2, 2\r\n\r\nab", 0}},
			[]string{KindDuplicateContentLength}, exchanges(1)},
		{"conflicting_cl", nil, []seg{{cs, "POST / HTTP/1.1\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nab" + get, 0}},
			[]string{KindConflictingCL}, nil},
		{"cl_with_te", nil, []seg{{cs, "POST / HTTP/1.1\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n0\r\n\r\n" + get, 0}},
			[]string{KindCLWithTE}, func(t *testing.T, h *harness) {
				if len(h.got) != 2 || string(h.got[0].Request.Body) != "ab" {
					t.Errorf("TE must win:\n%s", h.render())
				}
			}},
		{"chunked_http10", nil, []seg{{cs, "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 0}},
			[]string{KindChunkedBelowHTTP11}, exchanges(1)},
		{"folded_cl", nil, []seg{{cs, "POST / HTTP/1.1\r\nContent-Length:\r\n 2\r\n\r\nab", 0}},
			[]string{KindFoldedContentLength, KindObsFold}, func(t *testing.T, h *harness) {
				if string(h.got[0].Request.Body) != "ab" {
					t.Errorf("folded value not joined:\n%s", h.render())
				}
			}},
		{"invalid_cl", nil, []seg{{cs, "POST / HTTP/1.1\r\nContent-Length: 1x\r\n\r\n", 0}},
			[]string{KindInvalidContentLength}, nil},
		{"invalid_chunk_size", nil, []seg{{cs, "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n" + get, 0}},
			[]string{KindInvalidChunkSize}, func(t *testing.T, h *harness) {
				if len(h.got) != 2 || !h.got[0].Request.Incomplete {
					t.Errorf("want an incomplete request then a resync:\n%s", h.render())
				}
			}},
		{"invalid_chunk_framing", nil, []seg{{cs, "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nabc\r\n0\r\n\r\n", 0}},
			[]string{KindInvalidChunkFraming}, nil},
		{"obs_fold", nil, []seg{{cs, "GET / HTTP/1.1\r\nX-A: 1\r\n\t2\r\n\r\n", 0}},
			[]string{KindObsFold}, func(t *testing.T, h *harness) {
				if v, _ := decoders.Get(h.got[0].Request.Headers, "x-a"); v != "1 2" {
					t.Errorf("folded value %q", v)
				}
			}},
		{"bare_lf", nil, []seg{{cs, "GET / HTTP/1.1\nHost: h\n\n", 0}, {sc, "HTTP/1.1 200 OK\nContent-Length: 1\n\nx", 0}},
			[]string{KindBareLF}, func(t *testing.T, h *harness) {
				if h.counts[KindBareLF] != 2 || h.got[0].Response == nil {
					t.Errorf("bare LF once per message:\n%s", h.render())
				}
			}},
		{"line_too_long", &small, []seg{{cs, "GET /" + strings.Repeat("a", 100) + " HTTP/9\r\n\r\n" + get, 0}},
			[]string{KindLineTooLong}, exchanges(1)},
		{"request_line_too_long", &small, []seg{{cs, "GET /" + strings.Repeat("a", 100) + " HTTP/1.1\r\n\r\n" + get, 0}},
			[]string{KindRequestLineTooLong}, exchanges(2)},
		{"too_many_headers", &small, []seg{{cs, "GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\nContent-Length: 1\r\n\r\nx", 0}},
			[]string{KindTooManyHeaders}, func(t *testing.T, h *harness) {
				r := h.got[0].Request
				if len(r.Headers) != 3 || string(r.Body) != "x" {
					t.Errorf("framing must survive the header cap:\n%s", h.render())
				}
			}},
		{"headers_too_large", &small, []seg{{cs, "GET / HTTP/1.1\r\nA: " + strings.Repeat("v", 60) + "\r\nB: " + strings.Repeat("v", 60) + "\r\nC: 2\r\n\r\n", 0}},
			[]string{KindHeadersTooLarge}, exchanges(1)},
		{"header_line_too_long", &small, []seg{{cs, "GET / HTTP/1.1\r\nA: " + strings.Repeat("v", 200) + "\r\nB: 2\r\n\r\n", 0}},
			[]string{KindHeaderLineTooLong}, exchanges(1)},
		{"non_http", nil, []seg{{cs, "\x00\x01\x02junk\r\nmore junk\r\n" + get, 0}},
			[]string{KindNonHTTP}, func(t *testing.T, h *harness) {
				if h.counts[KindNonHTTP] != 1 || len(h.got) != 1 {
					t.Errorf("non_http once per run:\n%s", h.render())
				}
			}},
		{"unknown_te", nil, []seg{{sc, "", 0}, {cs, get, 0}, {sc, "HTTP/1.1 200 OK\r\nTransfer-Encoding: foo\r\n\r\nbody", 0}},
			[]string{KindUnknownTE}, func(t *testing.T, h *harness) {
				if string(h.got[0].Response.Body) != "body" {
					t.Errorf("response without chunked must read until close:\n%s", h.render())
				}
			}},
		{"response_without_request", nil, []seg{{sc, ok + "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc", 0}, {cs, get, 0}, {sc, ok, 0}},
			[]string{KindResponseWithoutRequest}, func(t *testing.T, h *harness) {
				if h.counts[KindResponseWithoutRequest] != 2 || len(h.got) != 1 || h.got[0].Response == nil {
					t.Errorf("orphans dropped, framing kept:\n%s", h.render())
				}
			}},
		// CL.0: the server reads the body's request and answers it too; the
		// sensor hands the extra response on as an exchange of its own.
		{"more_responses_than_requests", nil, []seg{
			{cs, "POST /static/a.css?token=secret HTTP/1.1\r\nHost: a\r\nContent-Length: 27\r\n\r\nGET /admin HTTP/1.1\r\nFoo: x", 0},
			{sc, ok + "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n", 0}},
			[]string{KindResponseWithoutRequest}, func(t *testing.T, h *harness) {
				if len(h.got) != 2 || h.got[1].Request != nil || h.got[1].Response == nil || h.got[1].Response.Status != 403 ||
					!slices.ContainsFunc(h.got[1].Anomalies, func(a decoders.Anomaly) bool {
						return a.Kind == KindResponseWithoutRequest && a.Detail == `after "POST /static/a.css"`
					}) {
					t.Errorf("the extra response:\n%s", h.render())
				}
			}},
		// The request it followed, named without user info or query.
		{"extra_response_after_absolute_form", nil, []seg{
			{cs, "POST http://user:pw@a.example/x?tok=1 HTTP/1.1\r\nHost: a.example\r\nContent-Length: 18\r\n\r\nGET / HTTP/1.1\r\n\r\n", 0},
			{sc, ok + ok, 0}},
			[]string{KindResponseWithoutRequest}, func(t *testing.T, h *harness) {
				if len(h.got) != 2 || !slices.ContainsFunc(h.got[1].Anomalies, func(a decoders.Anomaly) bool {
					return a.Detail == `after "POST http://a.example/x"`
				}) {
					t.Errorf("the extra response:\n%s", h.render())
				}
			}},
		{"extra_response_after_long_user_info", nil, []seg{
			{cs, "POST http://" + strings.Repeat("u", 100) + ":secret@a.example/x HTTP/1.1\r\nHost: a.example\r\nContent-Length: 18\r\n\r\nGET / HTTP/1.1\r\n\r\n", 0},
			{sc, ok + ok, 0}},
			[]string{KindResponseWithoutRequest}, func(t *testing.T, h *harness) {
				if len(h.got) != 2 || !slices.ContainsFunc(h.got[1].Anomalies, func(a decoders.Anomaly) bool {
					return a.Detail == `after "POST http://a.example/x"`
				}) {
					t.Errorf("the extra response:\n%s", h.render())
				}
			}},
		// Not a desync either: a response while the server acknowledges
		// client bytes the sensor has not read (a capture drop, a hole
		// not yet filled), a 414 to a request line still arriving, a
		// response after a request was dropped from a full queue or after
		// the server's own bytes were lost.
		{"response_with_client_bytes_unseen", nil, []seg{{cs, get, 0}, {sc, ok, 0}, {sc, ok, -1}},
			[]string{KindResponseWithoutRequest}, exchanges(1)},
		{"response_to_line_in_flight", nil, []seg{{cs, get, 0}, {sc, ok, 0}, {cs, "GET /?q=" + strings.Repeat("a", 100), 0},
			{sc, "HTTP/1.1 414 URI Too Long\r\nContent-Length: 0\r\n\r\n", 0}},
			[]string{KindResponseWithoutRequest}, exchanges(1)},
		{"responses_after_overflow", &small, []seg{{cs, get + get + get, 0}, {sc, ok + ok + ok, 0}},
			[]string{KindPendingOverflow, KindResponseWithoutRequest}, exchanges(3)},
		{"response_after_server_gap", nil, []seg{{cs, get, 0}, {sc, "HTTP/1.1 200 OK\r\nContent-Length: 40\r\n\r\nabc", 0},
			{sc, "x\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 37}},
			[]string{KindResponseWithoutRequest}, exchanges(1)},
		// Not a desync: a 408 servers send unasked before closing an idle
		// connection, and a 400 to client bytes the sensor read as no request.
		{"unsolicited_408", nil, []seg{{cs, get, 0}, {sc, ok + "HTTP/1.1 408 Request Timeout\r\nContent-Length: 0\r\n\r\n", 0}},
			[]string{KindResponseWithoutRequest}, exchanges(1)},
		{"answer_to_garbage", nil, []seg{{cs, get + "\x16\x03\x01 junk\r\n\r\n", 0}, {sc, ok + "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n", 0}},
			[]string{KindNonHTTP, KindResponseWithoutRequest}, exchanges(1)},
		// Two Host lines, the second behind filler past the header limit.
		{"duplicate_host_past_limits", &small, []seg{{cs, "GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\nC: 3\r\nhOST: evil\r\n\r\n", 0}},
			[]string{KindTooManyHeaders, KindDuplicateHost}, exchanges(1)},
		{"pending_overflow", &small, []seg{{cs, get + get + get, 0}},
			[]string{KindPendingOverflow}, exchanges(3)},
		{"gap", nil, []seg{{cs, "GET / HTTP/1.1\r\nHost: a", 0}, {cs, "b\r\n\r\n" + get, 5}},
			[]string{KindGap}, func(t *testing.T, h *harness) {
				if len(h.got) != 2 || !h.got[0].Request.Incomplete || h.got[1].Request.Incomplete {
					t.Errorf("gap:\n%s", h.render())
				}
			}},
		{"invalid_header_name", nil, []seg{{cs, "GET / HTTP/1.1\r\nHost : a\r\nno colon\r\nB@d: 1\r\n\r\n", 0}},
			[]string{KindInvalidHeaderName}, func(t *testing.T, h *harness) {
				if h.counts[KindInvalidHeaderName] != 3 {
					t.Errorf("invalid names: %v", h.counts)
				}
				if v, _ := decoders.Get(h.got[0].Request.Headers, "host"); v != "a" {
					t.Errorf("Host %q", v)
				}
			}},
		{"space_in_target", nil, []seg{{cs, "GET /a b HTTP/1.1\r\n\r\n", 0}},
			[]string{KindSpaceInTarget}, nil},
		// A CR alone inside a header line and ending the request line
		// (which a lenient parser ends there: the request is still seen).
		{"bare_cr_header", nil, []seg{{cs, "POST /api HTTP/1.1\r\nHost: x\r\nX: y\rContent-Length: 3\r\n\r\n", 0}},
			[]string{KindBareCR}, exchanges(1)},
		{"bare_cr_request_line", nil, []seg{{cs, "GET / HTTP/1.1\rHost: x\r\nContent-Length: 0\r\n\r\n", 0}},
			[]string{KindBareCR}, exchanges(1)},
		{"control_in_target", nil, []seg{{cs, "GET /a\x00/../admin HTTP/1.1\r\nHost: x\r\n\r\n", 0}},
			[]string{KindControlInTarget}, exchanges(1)},
		// A chunk size a 32-bit parser wraps (2^32+5), an extension with a
		// NUL.
		{"chunk_size_wraps", nil, []seg{{cs, "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n100000005\r\nabcde", 0}},
			[]string{KindInvalidChunkSize}, nil},
		{"chunk_extension_control", nil, []seg{{cs, "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5;\x00ext\r\nabcde\r\n0\r\n\r\n", 0}},
			[]string{KindInvalidChunkSize}, exchanges(1)},
		// WebSocket smuggling: the server refuses the upgrade (426) and the
		// client goes on with a request a proxy may have tunnelled, sent
		// after the refusal or pipelined behind the upgrade request.
		{"request_after_refused_websocket", nil, []seg{
			{cs, "GET /socket HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 1337\r\n\r\n", 0},
			{sc, "HTTP/1.1 426 Upgrade Required\r\nSec-WebSocket-Version: 13\r\nContent-Length: 0\r\n\r\n", 0},
			{cs, "GET /actuator/env HTTP/1.1\r\nHost: a\r\n\r\n" + get, 0}, {sc, ok + ok, 0}},
			[]string{KindRequestAfterRefusedUpgrade}, func(t *testing.T, h *harness) {
				if len(h.got) != 3 || hasAnomaly(h.got[0], KindRequestAfterRefusedUpgrade) ||
					!hasAnomaly(h.got[1], KindRequestAfterRefusedUpgrade) || !hasAnomaly(h.got[2], KindRequestAfterRefusedUpgrade) {
					t.Errorf("want the anomaly on every request after the refusal:\n%s", h.render())
				}
			}},
		{"pipelined_after_refused_websocket", nil, []seg{
			{cs, "GET /socket HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 99\r\n\r\nGET /internal HTTP/1.1\r\n\r\n", 0},
			{sc, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n" + ok, 0}},
			[]string{KindRequestAfterRefusedUpgrade}, exchanges(2)},
		// A bad version refused with another status; an Upgrade of
		// another protocol on the smuggled request exempts nothing.
		{"bad_version_refused", nil, []seg{
			{cs, "GET /socket HTTP/1.1\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 1337\r\n\r\n", 0},
			{sc, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n", 0},
			{cs, "GET /admin HTTP/1.1\r\nUpgrade: foo\r\n\r\n", 0}, {sc, ok, 0}},
			[]string{KindRequestAfterRefusedUpgrade}, exchanges(2)},
		// A smuggled request that calls itself a handshake, to pass for a
		// retry: the server's answer (no 101) gives it away.
		{"retry_not_switched", nil, []seg{
			{cs, "GET /socket HTTP/1.1\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 1337\r\n\r\n", 0},
			{sc, "HTTP/1.1 426 Upgrade Required\r\nContent-Length: 0\r\n\r\n", 0},
			{cs, "GET /internal/admin HTTP/1.1\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n\r\n", 0}, {sc, ok, 0}},
			[]string{KindRequestAfterRefusedUpgrade}, func(t *testing.T, h *harness) {
				if len(h.got) != 2 || !hasAnomaly(h.got[1], KindRequestAfterRefusedUpgrade) {
					t.Errorf("want the anomaly on the handshake answered 200:\n%s", h.render())
				}
			}},
		// Not it: a retried handshake, a well-formed handshake refused for
		// its token on a pooled proxy connection, an h2c upgrade the server
		// ignores (curl --http2 to an HTTP/1.1 server).
		{"websocket_retry", nil, []seg{
			{cs, "GET /socket HTTP/1.1\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 8\r\n\r\n", 0},
			{sc, "HTTP/1.1 426 Upgrade Required\r\nContent-Length: 0\r\n\r\n", 0},
			{cs, "GET /socket HTTP/1.1\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n\r\n", 0},
			{sc, "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n", 0}},
			nil, exchangesWithout(2, KindRequestAfterRefusedUpgrade)},
		{"handshake_unauthorized", nil, []seg{
			{cs, "GET /socket HTTP/1.1\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n\r\n", 0},
			{sc, "HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n", 0},
			{cs, get, 0}, {sc, ok, 0}},
			nil, exchangesWithout(2, KindRequestAfterRefusedUpgrade)},
		{"h2c_ignored", nil, []seg{
			{cs, "GET / HTTP/1.1\r\nUpgrade: h2c\r\nConnection: Upgrade, HTTP2-Settings\r\nHTTP2-Settings: AAMAAABkAAQAoAAAAAIAAAAA\r\n\r\n", 0},
			{sc, ok, 0}, {cs, get, 0}, {sc, ok, 0}},
			nil, exchangesWithout(2, KindRequestAfterRefusedUpgrade)},
		{"unexpected_101", nil, []seg{{cs, get, 0}, {sc, "HTTP/1.1 101 Switching Protocols\r\n\r\n" + ok, 0}},
			[]string{KindUnexpected101}, exchanges(1)},
		{"bomb", &bombLim, []seg{{cs, get, 0}, {sc, resp("200 OK", "Content-Encoding: gzip\r\n"+withCL(bomb), bomb), 0}},
			[]string{KindDecompressionBomb}, func(t *testing.T, h *harness) {
				r := h.got[0].Response
				if len(r.Body) != 1000 || !r.BodyTruncated {
					t.Errorf("bomb: %d bytes, truncated %v", len(r.Body), r.BodyTruncated)
				}
			}},
		{"bad_encoding", nil, []seg{{cs, get, 0}, {sc, resp("200 OK", "Content-Encoding: gzip\r\nContent-Length: 5\r\n", "hello"), 0}},
			[]string{KindBadEncoding}, func(t *testing.T, h *harness) {
				if r := h.got[0].Response; string(r.Body) != "hello" || r.ContentEncoding != nil {
					t.Errorf("raw bytes must be kept: %q %v", r.Body, r.ContentEncoding)
				}
			}},
		{"too_many_encodings", nil, []seg{{cs, get, 0}, {sc, resp("200 OK", "Content-Encoding: gzip, gzip, gzip\r\nContent-Length: 1\r\n", "x"), 0}},
			[]string{KindTooManyEncodings}, nil},
		{"body_truncated_is_no_anomaly", &small, []seg{{cs, "POST / HTTP/1.1\r\nContent-Length: 40\r\n\r\n" + strings.Repeat("b", 40), 0}},
			nil, func(t *testing.T, h *harness) {
				r := h.got[0].Request
				if len(r.Body) != 16 || !r.BodyTruncated || r.WireBodyLen != 40 || len(h.counts) != 0 {
					t.Errorf("truncation: %d %v %d %v", len(r.Body), r.BodyTruncated, r.WireBodyLen, h.counts)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := run(tt.lim, false, tt.segs)
			for _, k := range tt.kinds {
				if h.counts[k] == 0 {
					t.Errorf("no %s counted:\n%s", k, h.render())
				}
			}
			if tt.check != nil {
				tt.check(t, h)
			}
		})
	}
}

// exchangesWithout is exchanges(n), none of them with an anomaly of kind,
// and none counted.
func exchangesWithout(n int, kind string) func(t *testing.T, h *harness) {
	return func(t *testing.T, h *harness) {
		t.Helper()
		exchanges(n)(t, h)
		for _, x := range h.got {
			if hasAnomaly(x, kind) {
				t.Errorf("exchange %d has %s:\n%s", x.Seq, kind, h.render())
			}
		}
		if h.counts[kind] != 0 {
			t.Errorf("%s counted:\n%s", kind, h.render())
		}
	}
}

func exchanges(n int) func(t *testing.T, h *harness) {
	return func(t *testing.T, h *harness) {
		t.Helper()
		if len(h.got) != n {
			t.Errorf("got %d exchanges, want %d:\n%s", len(h.got), n, h.render())
		}
	}
}

func TestGzipLayers(t *testing.T) {
	body := gz(gz("twice"))
	h := run(nil, false, []seg{{cs, "GET / HTTP/1.1\r\n\r\n", 0}, {sc, resp("200 OK", "Content-Encoding: x-gzip, gzip\r\n"+withCL(body), body), 0}})
	r := h.got[0].Response
	if string(r.Body) != "twice" || fmt.Sprint(r.ContentEncoding) != "[gzip x-gzip]" {
		t.Errorf("two layers: %q %v", r.Body, r.ContentEncoding)
	}
}

func TestDecompressedCap(t *testing.T) {
	// The raw body fits, its output does not: Body keeps MaxBodyBytes and
	// the bomb limit is measured on the whole output.
	lim := decoders.DefaultLimits()
	lim.MaxBodyBytes = 100
	lim.MaxDecompressedBytes = 10_000
	for _, n := range []int{5_000, 20_000} {
		body := gz(strings.Repeat("x", n))
		h := run(&lim, false, []seg{{cs, "GET / HTTP/1.1\r\n\r\n", 0}, {sc, resp("200 OK", "Content-Encoding: gzip\r\n"+withCL(body), body), 0}})
		r := h.got[0].Response
		bomb := h.counts[KindDecompressionBomb] > 0
		if len(r.Body) != 100 || !r.BodyTruncated || bomb != (n > 10_000) {
			t.Errorf("n=%d: %d bytes, truncated %v, bomb %v", n, len(r.Body), r.BodyTruncated, bomb)
		}
	}
}

func TestCloseReasons(t *testing.T) {
	segs := []seg{{cs, "GET / HTTP/1.1\r\n\r\nPOST /p HTTP/1.1\r\nContent-Length: 9\r\n\r\nab", 0}, {sc, "HTTP/1.1 200 OK\r\n\r\npartial", 0}}
	for _, reason := range []sensor.EndReason{sensor.EndFIN, sensor.EndRST} {
		h := newHarness(nil, false)
		for _, s := range segs {
			h.feed(s.dir, []byte(s.data), 0)
		}
		h.close(reason)
		if len(h.got) != 2 {
			t.Fatalf("%v: %d exchanges", reason, len(h.got))
		}
		if h.got[0].Response.Incomplete != (reason != sensor.EndFIN) || string(h.got[0].Response.Body) != "partial" {
			t.Errorf("%v: until-close response %+v", reason, h.got[0].Response)
		}
		if x := h.got[1]; x.Response != nil || !x.Request.Incomplete || string(x.Request.Body) != "ab" {
			t.Errorf("%v: pending request %+v", reason, x.Request)
		}
	}
}

func TestUpgrades(t *testing.T) {
	tests := []struct {
		name, client, server, proto string
		pending                     [2]string
	}{
		{"websocket", "GET /ws HTTP/1.1\r\nUpgrade: WebSocket\r\nConnection: Upgrade\r\n\r\n\x81\x05hello",
			"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n\x81\x02hi", "websocket", [2]string{"\x81\x05hello", "\x81\x02hi"}},
		{"other", "GET / HTTP/1.1\r\nUpgrade: TLS/1.2\r\n\r\n", "HTTP/1.1 101 Switching\r\nUpgrade: TLS/1.2\r\n\r\n", "tls/1.2", [2]string{}},
		{"connect", "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n\x16\x03\x01",
			"HTTP/1.1 200 Connection established\r\n\r\n\x16\x03\x03", "tunnel", [2]string{"\x16\x03\x01", "\x16\x03\x03"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := run(nil, false, []seg{{cs, tt.client, 0}, {sc, tt.server, 0}})
			if h.sw == nil || h.sw.Proto != tt.proto || string(h.after[0]) != tt.pending[0] || string(h.after[1]) != tt.pending[1] {
				t.Fatalf("switch:\n%s", h.render())
			}
			if len(h.got) != 1 || h.got[0].Response == nil {
				t.Errorf("upgrade exchange:\n%s", h.render())
			}
		})
	}
	// Refused: the held client bytes are HTTP after all.
	h := run(nil, false, []seg{
		{cs, "GET / HTTP/1.1\r\nUpgrade: h2c\r\n\r\nGET /next HTTP/1.1\r\n\r\n", 0},
		{sc, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 0},
	})
	if h.sw != nil || len(h.got) != 2 || h.got[1].Request.Path != "/next" || h.got[1].Response == nil {
		t.Errorf("refused upgrade:\n%s", h.render())
	}
}

func TestSniff(t *testing.T) {
	tests := []struct {
		client, server string
		mid            bool
		want           decoders.Verdict
	}{
		{"GET / HTTP/1.1\r\n", "", false, decoders.Yes},
		{"", "HTTP/1.1 200 OK\r\n", false, decoders.Yes},
		{"HTTP/1.1 200 OK\r\n", "GET / HTT", false, decoders.Reversed},
		{"", "PROPFIND /x HTTP/1.1\r\n", false, decoders.Reversed},
		{"GE", "", false, decoders.NeedMore},
		{"", "", false, decoders.NeedMore},
		{"HTTP/", "", false, decoders.NeedMore},
		{"\x16\x03\x01\x02\x00\x01\x00\x01\xfc", "", false, decoders.No},
		{"FOO / HTTP/1.1\r\n", "", false, decoders.No},
		{"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "", false, decoders.No},
		{"rest of a body\r\nPOST /x HTTP/1.1\r\n", "", true, decoders.Yes},
		{"tail\r\nHTTP/1.1 200 OK\r\n", "", true, decoders.Reversed},
		{"binary junk", "more junk", true, decoders.NeedMore},
	}
	for _, tt := range tests {
		if got := Sniff([]byte(tt.client), []byte(tt.server), tt.mid); got != tt.want {
			t.Errorf("Sniff(%q, %q, %v) = %v, want %v", tt.client, tt.server, tt.mid, got, tt.want)
		}
	}
	if p, ok := decoders.Lookup("http"); !ok || p.Sniff == nil || p.New == nil {
		t.Error("http not registered")
	}
}
