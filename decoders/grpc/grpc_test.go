package grpc

import (
	"bytes"
	"encoding/base64"
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/apisensor/sensor/decoders"
)

const (
	ctGRPC    = "application/grpc"
	getPath   = "/demo.v1.Users/GetUser"
	listPath  = "/demo.v1.Users/ListUsers"
	uploadPth = "/demo.v1.Users/UploadUsers"
	chatPath  = "/demo.v1.Users/Chat"
)

// want is what one case checks; zero fields of the lists are checked too
// (no anomalies, no params), numbers always.
type want struct {
	service, method string
	web, text       bool
	encoding        string
	status          int
	statusMsg       string
	reqs, resps     int // totals
	reqJSON         []string
	respJSON        []string
	cutReq, cutResp []int // indexes of truncated messages
	params          string
	anomalies       []string
	counts          map[string]uint64
}

func TestEnrich(t *testing.T) {
	long := strings.Repeat("x", 300)
	streamResp := frames(user(1, "u1", "1 Oak Road"), user(2, "u2", "2 Oak Road"), user(3, "u3", "3 Oak Road"), user(4, "u4", "4 Oak Road"), user(5, "u5", "5 Oak Road"))
	truncResp := frames(chat(1, "srv", "hi"), chat(2, "srv", "there"), chat(3, "srv", long))
	truncResp = truncResp[:len(truncResp)-100]

	cases := []struct {
		name string
		x    *decoders.Exchange
		want want
	}{
		{
			name: "unary",
			x: call(ctGRPC, getPath, frames(getUser(1, "name,email")),
				respHdrs(ctGRPC), okTrailers, frames(user(1, "alice", "1 Oak Road"))),
			want: want{
				service: "demo.v1.Users", method: "GetUser", reqs: 1, resps: 1,
				reqJSON:  []string{`{"1":1,"2":"name,email"}`},
				respJSON: []string{`{"1":1,"2":"alice","3":"alice@example.com","4":{"1":"1 Oak Road","2":"Springfield"},"5":"staff","6":1}`},
				params:   "protobuf 2=\"name,email\"\n",
			},
		},
		{
			// Binary metadata: a serialized context in a -bin header
			// (unpadded, two values joined by ','), text in another (left
			// to the header's own parameter), gRPC's own trace context.
			name: "binary metadata",
			x: call(ctGRPC, getPath, frames(getUser(1, "name")), respHdrs(ctGRPC), okTrailers, frames(user(1, "a", "b")),
				"x-tenant-context-bin", base64.RawStdEncoding.EncodeToString(slicesConcat(pbStr(1, "acme' OR 1=1--"), pbMsg(2, pbStr(1, "alice"))))+
					","+base64.StdEncoding.EncodeToString(pbStr(3, "x")),
				"X-Note-Bin", base64.StdEncoding.EncodeToString([]byte("plain words")),
				"grpc-trace-bin", base64.StdEncoding.EncodeToString(pbStr(1, "trace")),
				"grpc-app-bin", base64.StdEncoding.EncodeToString(pbStr(1, "app"))),
			want: want{
				service: "demo.v1.Users", method: "GetUser", reqs: 1, resps: 1,
				reqJSON:  []string{`{"1":1,"2":"name"}`},
				respJSON: []string{`{"1":1,"2":"a","3":"a@example.com","4":{"1":"b","2":"Springfield"},"5":"staff","6":1}`},
				params: "protobuf x-tenant-context-bin.1=\"acme' OR 1=1--\"\n" +
					"protobuf x-tenant-context-bin.2.1=\"alice\"\nprotobuf x-tenant-context-bin.3=\"x\"\n" +
					"protobuf grpc-app-bin.1=\"app\"\nprotobuf 2=\"name\"\n",
			},
		},
		{
			name: "server stream",
			x: call(ctGRPC+"+proto", listPath, frames(slicesConcat(pbInt(1, 5), pbStr(2, "active"))),
				respHdrs(ctGRPC+"+proto"), okTrailers, streamResp),
			want: want{
				service: "demo.v1.Users", method: "ListUsers", reqs: 1, resps: 5,
				reqJSON: []string{`{"1":5,"2":"active"}`},
				params:  "protobuf 2=\"active\"\n",
			},
		},
		{
			name: "client stream",
			x: call(ctGRPC, uploadPth, frames(slicesConcat(pbInt(1, 7), pbStr(2, "bob")), slicesConcat(pbInt(1, 8), pbMsg(4, pbStr(1, "Elm St")))),
				respHdrs(ctGRPC), okTrailers, frames(slicesConcat(pbInt(1, 2), pbStr(3, "bob")))),
			want: want{
				service: "demo.v1.Users", method: "UploadUsers", reqs: 2, resps: 1,
				reqJSON:  []string{`{"1":7,"2":"bob"}`, `{"1":8,"4":{"1":"Elm St"}}`},
				respJSON: []string{`{"1":2,"3":"bob"}`},
				params:   "protobuf [0].2=\"bob\"\nprotobuf [1].4.1=\"Elm St\"\n",
			},
		},
		{
			name: "bidi",
			x: call(ctGRPC, chatPath, frames(chat(1, "cli", "hello"), chat(2, "cli", "how"), chat(3, "cli", "bye")),
				respHdrs(ctGRPC), okTrailers, frames(chat(1, "srv", "re: hello"), chat(2, "srv", "re: how"), chat(3, "srv", "re: bye"))),
			want: want{
				service: "demo.v1.Users", method: "Chat", reqs: 3, resps: 3,
				params: "protobuf [0].2=\"cli\"\nprotobuf [0].3=\"hello\"\n" +
					"protobuf [1].2=\"cli\"\nprotobuf [1].3=\"how\"\n" +
					"protobuf [2].2=\"cli\"\nprotobuf [2].3=\"bye\"\n",
			},
		},
		{
			name: "gzip",
			x: call(ctGRPC, getPath, wire(1, gzipped(t, getUser(42, "' OR 1=1 --"))),
				respHdrs(ctGRPC, "grpc-encoding", "gzip"), okTrailers, wire(1, gzipped(t, user(42, "zed", "9 Oak Road"))),
				"grpc-encoding", "gzip", "grpc-accept-encoding", "gzip"),
			want: want{
				service: "demo.v1.Users", method: "GetUser", encoding: "gzip", reqs: 1, resps: 1,
				reqJSON:  []string{`{"1":42,"2":"' OR 1=1 --"}`},
				respJSON: []string{`{"1":42,"2":"zed","3":"zed@example.com","4":{"1":"9 Oak Road","2":"Springfield"},"5":"staff","6":1}`},
				params:   "protobuf 2=\"' OR 1=1 --\"\n",
			},
		},
		{
			name: "deflate request, identity response",
			x: call(ctGRPC, getPath, wire(1, deflated(t, getUser(3, "abc"))),
				respHdrs(ctGRPC), okTrailers, frames(pbStr(2, "c")), "grpc-encoding", "deflate"),
			want: want{
				service: "demo.v1.Users", method: "GetUser", encoding: "deflate", reqs: 1, resps: 1,
				reqJSON: []string{`{"1":3,"2":"abc"}`}, respJSON: []string{`{"2":"c"}`},
				params: "protobuf 2=\"abc\"\n",
			},
		},
		{
			name: "trailers-only error",
			x: call(ctGRPC, getPath, frames(nil),
				respHdrs(ctGRPC, "grpc-status", "5", "grpc-message", "user%200%20not%20found%3a%20%E2%9C%93%zz"), nil, nil),
			want: want{
				service: "demo.v1.Users", method: "GetUser", reqs: 1, resps: 0,
				status: 5, statusMsg: "user 0 not found: ✓%zz",
				reqJSON: []string{`{}`},
			},
		},
		{
			name: "truncated response body",
			x: func() *decoders.Exchange {
				x := call(ctGRPC, chatPath, frames(chat(1, "cli", "hi")), respHdrs(ctGRPC), nil, truncResp)
				x.Response.BodyTruncated = true
				x.Response.WireBodyLen += 100
				return x
			}(),
			want: want{
				service: "demo.v1.Users", method: "Chat", reqs: 1, resps: 3, status: -1,
				cutResp: []int{2},
				params:  "protobuf 2=\"cli\"\nprotobuf 3=\"hi\"\n",
			},
		},
		{
			name: "bad flag",
			x:    call(ctGRPC, getPath, append(frames(getUser(1, "a")), 0x05, 0, 0, 0, 1, 'x'), respHdrs(ctGRPC), okTrailers, nil),
			want: want{
				service: "demo.v1.Users", method: "GetUser", reqs: 1,
				params: "protobuf 2=\"a\"\n", anomalies: []string{KindBadFrame},
			},
		},
		{
			name: "length past the end",
			x:    call(ctGRPC, getPath, append(frames(getUser(1, "a")), 0, 0, 0, 0, 100, 0x12, 3, 'a', 'b', 'c'), respHdrs(ctGRPC), okTrailers, nil),
			want: want{
				service: "demo.v1.Users", method: "GetUser", reqs: 2,
				// The cut message is still walked: a payload must not
				// hide behind a lying length.
				params:    "protobuf [0].2=\"a\"\nprotobuf [1].2=\"abc\"\n",
				anomalies: []string{KindBadFrame}, cutReq: []int{1},
			},
		},
		{
			name: "stray bytes",
			x:    call(ctGRPC, getPath, append(frames(getUser(1, "a")), 0, 0, 0), respHdrs(ctGRPC), okTrailers, nil),
			want: want{
				service: "demo.v1.Users", method: "GetUser", reqs: 1,
				params: "protobuf 2=\"a\"\n", anomalies: []string{KindBadFrame},
			},
		},
		{
			name: "declared length too large",
			x:    call(ctGRPC, getPath, []byte{0, 0x7f, 0xff, 0xff, 0xff, 0x12, 1, 'q'}, respHdrs(ctGRPC), okTrailers, nil),
			want: want{
				service: "demo.v1.Users", method: "GetUser", reqs: 1,
				params: "protobuf 2=\"q\"\n", anomalies: []string{KindMessageTooLarge}, cutReq: []int{0},
			},
		},
		{
			name: "malformed protobuf",
			x:    call(ctGRPC, getPath, frames([]byte{0x0a, 0xff}), respHdrs(ctGRPC), okTrailers, nil),
			want: want{
				service: "demo.v1.Users", method: "GetUser", reqs: 1, reqJSON: []string{`{}`},
				anomalies: []string{"protobuf.malformed"},
			},
		},
		{
			name: "bad path",
			x:    call(ctGRPC, "/GetUser", frames(getUser(1, "a")), respHdrs(ctGRPC), okTrailers, nil),
			want: want{reqs: 1, params: "protobuf 2=\"a\"\n", anomalies: []string{KindBadPath}},
		},
		{
			name: "bad status",
			x:    call(ctGRPC, getPath, nil, respHdrs(ctGRPC), hdrs("grpc-status", "OK", "grpc-message", "fine"), nil),
			want: want{
				service: "demo.v1.Users", method: "GetUser", status: -1, statusMsg: "fine",
				anomalies: []string{KindBadStatus},
			},
		},
		{
			name: "compressed flag without grpc-encoding",
			x:    call(ctGRPC, getPath, wire(1, getUser(1, "plain")), respHdrs(ctGRPC), okTrailers, nil),
			want: want{
				service: "demo.v1.Users", method: "GetUser", reqs: 1, reqJSON: []string{`{"1":1,"2":"plain"}`},
				params: "protobuf 2=\"plain\"\n", anomalies: []string{KindBadCompression},
			},
		},
		{
			name: "corrupt gzip",
			x:    call(ctGRPC, getPath, wire(1, []byte("not gzip at all")), respHdrs(ctGRPC), okTrailers, nil, "grpc-encoding", "gzip"),
			want: want{
				service: "demo.v1.Users", method: "GetUser", encoding: "gzip", reqs: 1, reqJSON: []string{`{}`},
				anomalies: []string{KindBadCompression}, cutReq: []int{0},
			},
		},
		{
			name: "unknown encoding",
			x:    call(ctGRPC, getPath, wire(1, []byte{1, 2, 3}), respHdrs(ctGRPC), okTrailers, nil, "grpc-encoding", "snappy"),
			want: want{
				service: "demo.v1.Users", method: "GetUser", encoding: "snappy", reqs: 1, reqJSON: []string{""},
				counts: map[string]uint64{CountUnknownEncoding: 1},
			},
		},
		{
			name: "unknown codec",
			x:    call(ctGRPC+"+thrift", getPath, frames([]byte("\x0b\x00\x01")), respHdrs(ctGRPC+"+thrift"), okTrailers, nil),
			want: want{
				service: "demo.v1.Users", method: "GetUser", reqs: 1, reqJSON: []string{""},
				counts: map[string]uint64{CountUnknownCodec: 1},
			},
		},
		{
			name: "json codec",
			x: call(ctGRPC+"+json", getPath, frames([]byte(`{"id":"1","fields":"name"}`)),
				respHdrs(ctGRPC+"+json"), okTrailers, frames([]byte(`{"id":"1","name":"alice"}`))),
			want: want{
				service: "demo.v1.Users", method: "GetUser", reqs: 1, resps: 1,
				reqJSON:  []string{`{"id":"1","fields":"name"}`},
				respJSON: []string{`{"id":"1","name":"alice"}`},
				params:   "json id=\"1\"\njson fields=\"name\"\n",
			},
		},
		{
			name: "json codec, streaming and broken",
			x:    call(ctGRPC+"+json", chatPath, frames([]byte(`{"text":"a"}`), []byte(`{"text":"b" <script>`)), nil, nil, nil),
			want: want{
				service: "demo.v1.Users", method: "Chat", reqs: 2, status: -1,
				params: "json [0].text=\"a\"\njson [1].text=\"b\"\nbody [1]=\"{\\\"text\\\":\\\"b\\\" <script>\"\n",
			},
		},
		{
			name: "grpc-web binary over HTTP/1.1",
			x: func() *decoders.Exchange {
				x := call("application/grpc-web+proto", getPath, frames(getUser(1, "name")),
					respHdrs("application/grpc-web+proto"), nil, slices.Concat(frames(user(1, "al", "1 Oak Road")), webTrailer("grpc-status:0\r\ngrpc-message:\r\n")))
				x.Proto = "http/1.1"
				return x
			}(),
			want: want{
				service: "demo.v1.Users", method: "GetUser", web: true, reqs: 1, resps: 1,
				params: "protobuf 2=\"name\"\n",
			},
		},
		{
			name: "grpc-web text in chunks",
			x: call("application/grpc-web-text", getPath, b64chunks(frames(getUser(1, "name"))),
				respHdrs("application/grpc-web-text+proto"), nil,
				append(b64chunks(frames(pbStr(2, "al")), webTrailer("Grpc-Status: 5\r\ngrpc-message: not%20found\r\n")), '\r', '\n')),
			want: want{
				service: "demo.v1.Users", method: "GetUser", web: true, text: true, reqs: 1, resps: 1,
				status: 5, statusMsg: "not found", respJSON: []string{`{"2":"al"}`},
				params: "protobuf 2=\"name\"\n",
			},
		},
		{
			name: "grpc-web text not base64",
			x:    call("application/grpc-web-text", getPath, []byte("AAAAAAA*"), nil, nil, nil),
			want: want{
				service: "demo.v1.Users", method: "GetUser", web: true, text: true, status: -1,
				anomalies: []string{KindWebBadBase64},
			},
		},
		{
			name: "grpc-web bad trailer",
			x: call("application/grpc-web", getPath, nil,
				respHdrs("application/grpc-web"), nil, webTrailer("grpc-status 0\r\n")),
			want: want{
				service: "demo.v1.Users", method: "GetUser", web: true, status: -1,
				anomalies: []string{KindWebBadTrailer},
			},
		},
		{
			name: "grpc-web trailer frame in a request",
			x:    call("application/grpc-web", getPath, webTrailer("grpc-status:0\r\n"), nil, nil, nil),
			want: want{
				service: "demo.v1.Users", method: "GetUser", web: true, status: -1,
				anomalies: []string{KindBadFrame},
			},
		},
		{
			name: "trailer bit outside grpc-web",
			x:    call(ctGRPC, getPath, webTrailer("grpc-status:0\r\n"), nil, nil, nil),
			want: want{
				service: "demo.v1.Users", method: "GetUser", status: -1,
				anomalies: []string{KindBadFrame},
			},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			env := newEnv(nil)
			(&Enricher{JSON: true}).Enrich(c.x, env)
			checkCall(t, c.x, env, c.want)
		})
	}
}

func slicesConcat(parts ...[]byte) []byte { return slices.Concat(parts...) }

func checkCall(t *testing.T, x *decoders.Exchange, env *decoders.Env, w want) {
	t.Helper()
	g := x.GRPC
	if g == nil {
		t.Fatal("not recognised as gRPC")
	}
	if g.Service != w.service || g.Method != w.method {
		t.Errorf("service/method = %q/%q, want %q/%q", g.Service, g.Method, w.service, w.method)
	}
	if g.Web != w.web || g.Text != w.text {
		t.Errorf("web/text = %v/%v, want %v/%v", g.Web, g.Text, w.web, w.text)
	}
	if g.Encoding != w.encoding {
		t.Errorf("encoding = %q, want %q", g.Encoding, w.encoding)
	}
	if g.Status != w.status || g.StatusMessage != w.statusMsg {
		t.Errorf("status = %d %q, want %d %q", g.Status, g.StatusMessage, w.status, w.statusMsg)
	}
	if g.RequestsTotal != w.reqs || len(g.Requests) != w.reqs || g.ResponsesTotal != w.resps || len(g.Responses) != w.resps {
		t.Errorf("messages = %d/%d requests, %d/%d responses, want %d, %d",
			len(g.Requests), g.RequestsTotal, len(g.Responses), g.ResponsesTotal, w.reqs, w.resps)
	}
	for i, js := range w.reqJSON {
		if i < len(g.Requests) && g.Requests[i].JSON != js {
			t.Errorf("request %d JSON = %s, want %s", i, g.Requests[i].JSON, js)
		}
	}
	for i, js := range w.respJSON {
		if i < len(g.Responses) && g.Responses[i].JSON != js {
			t.Errorf("response %d JSON = %s, want %s", i, g.Responses[i].JSON, js)
		}
	}
	for dir, ms := range [][]decoders.GRPCMessage{g.Requests, g.Responses} {
		for i, m := range ms {
			if m.Index != i {
				t.Errorf("dir %d message %d has index %d", dir, i, m.Index)
			}
			wantCut := slices.Contains([][]int{w.cutReq, w.cutResp}[dir], i)
			if m.Truncated != wantCut {
				t.Errorf("dir %d message %d truncated = %v", dir, i, m.Truncated)
			}
			if !m.Truncated && !m.Compressed && len(m.Data) != m.Length {
				t.Errorf("dir %d message %d: %d data bytes, length %d", dir, i, len(m.Data), m.Length)
			}
			if m.JSON == "" && m.Length > 0 && dir == 1 && w.counts == nil {
				t.Errorf("dir %d message %d has no JSON", dir, i)
			}
		}
	}
	if got := fmtParams(grpcParams(x.Params)); got != w.params {
		t.Errorf("params:\n%s\nwant:\n%s", got, w.params)
	}
	if got := anomalyKinds(x); !slices.Equal(got, w.anomalies) {
		t.Errorf("anomalies = %v (%v), want %v", got, x.Anomalies, w.anomalies)
	}
	for k, n := range w.counts {
		if env.Counts[k] != n {
			t.Errorf("count %s = %d, want %d", k, env.Counts[k], n)
		}
	}
	if env.Counts[CountCalls] != 1 {
		t.Errorf("calls counted %d times", env.Counts[CountCalls])
	}
}

func TestEnrichNotGRPC(t *testing.T) {
	for _, ct := range []string{"", "application/json", "application/grpcx", "text/plain", "application/grp"} {
		x := call(ct, getPath, frames(getUser(1, "a")), respHdrs("application/json"), nil, nil)
		env := newEnv(nil)
		(&Enricher{JSON: true}).Enrich(x, env)
		if x.GRPC != nil || len(x.Params) != 0 || len(x.Anomalies) != 0 || len(env.Counts) != 0 {
			t.Errorf("content type %q: enriched: %+v %v %v", ct, x.GRPC, x.Params, env.Counts)
		}
	}
	// Neither message.
	(&Enricher{JSON: true}).Enrich(&decoders.Exchange{}, newEnv(nil))
}

func TestEnrichResponseOnly(t *testing.T) {
	// Joined mid-stream: the request's headers are behind unknown HPACK
	// entries, the response tells it is gRPC.
	x := call("", getPath, frames(getUser(1, "a")), respHdrs(ctGRPC), okTrailers, frames(pbStr(2, "b")))
	x.Request.Headers = hdrs("<unknown-index:70>", "")
	env := newEnv(nil)
	(&Enricher{JSON: true}).Enrich(x, env)
	if x.GRPC == nil || x.GRPC.Status != 0 || x.GRPC.RequestsTotal != 1 || x.GRPC.ResponsesTotal != 1 {
		t.Fatalf("call = %+v", x.GRPC)
	}
}

func TestEnrichDecompressionBomb(t *testing.T) {
	l := decoders.DefaultLimits()
	l.MaxDecompressedBytes = 64 << 10
	bomb := gzipped(t, bytes.Repeat([]byte{0}, 1<<20))
	x := call(ctGRPC, getPath, wire(1, bomb), respHdrs(ctGRPC), okTrailers, nil, "grpc-encoding", "gzip")
	env := newEnv(&l)
	(&Enricher{JSON: true}).Enrich(x, env)
	if got := anomalyKinds(x); !slices.Contains(got, KindDecompressionBomb) {
		t.Fatalf("anomalies = %v", got)
	}
	m := x.GRPC.Requests[0]
	if !m.Truncated || len(m.Data) > l.MaxBodyBytes {
		t.Errorf("bomb kept %d bytes, truncated %v", len(m.Data), m.Truncated)
	}
}

// TestEnrichDecompressionBudget: small messages that each inflate to the
// message bound spend the direction's budget; the message after them is
// not read, and that is said once (as a spent budget, no bomb).
func TestEnrichDecompressionBudget(t *testing.T) {
	l := decoders.DefaultLimits()
	l.MaxDecompressedBytes = 64 << 10
	zeros := gzipped(t, bytes.Repeat([]byte{0}, 40<<10))
	var body []byte
	for range 3 {
		body = append(body, wire(1, zeros)...)
	}
	x := call(ctGRPC, getPath, body, respHdrs(ctGRPC), okTrailers, nil, "grpc-encoding", "gzip")
	(&Enricher{JSON: true}).Enrich(x, newEnv(&l))
	n := 0
	for _, a := range x.Anomalies {
		if a.Kind == KindDecompressionBudget {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("%d decompression anomalies, want 1: %v", n, anomalyKinds(x))
	}
	if m := x.GRPC.Requests[2]; m.Data != nil || !m.Truncated {
		t.Errorf("the third message was read past the budget: %d bytes", len(m.Data))
	}
}

func TestEnrichBounds(t *testing.T) {
	l := decoders.DefaultLimits()
	l.MaxGRPCMessages = 3
	l.MaxParams = 20
	var reqs, resps [][]byte
	for i := range 10 {
		reqs = append(reqs, chat(uint64(i), "cli", "m"))
		resps = append(resps, chat(uint64(i), "srv", "r"))
	}
	// The last request message carries the payload, past the bound.
	reqs[9] = chat(9, "cli", "' OR '1'='1")
	x := call(ctGRPC, chatPath, frames(reqs...), respHdrs(ctGRPC), okTrailers, frames(resps...))
	env := newEnv(&l)
	(&Enricher{JSON: true}).Enrich(x, env)
	g := x.GRPC
	if len(g.Requests) != 3 || g.RequestsTotal != 10 || len(g.Responses) != 3 || g.ResponsesTotal != 10 {
		t.Fatalf("kept %d/%d requests, %d/%d responses", len(g.Requests), g.RequestsTotal, len(g.Responses), g.ResponsesTotal)
	}
	if env.Counts[CountMessagesDropped] != 14 {
		t.Errorf("messages dropped = %d, want 14", env.Counts[CountMessagesDropped])
	}
	// Room is kept for the request's headers and path: 20 - (3 headers +
	// 2 slashes + 1).
	if len(x.Params) != 14 {
		t.Errorf("%d params:\n%s", len(x.Params), fmtParams(x.Params))
	}
	if env.Counts[decoders.CountParamsDropped] != 20-14 {
		t.Errorf("params dropped = %d, want 6", env.Counts[decoders.CountParamsDropped])
	}

	// With room, the payload past the kept messages is a parameter.
	l.MaxParams = 100
	x = call(ctGRPC, chatPath, frames(reqs...), nil, nil, nil)
	(&Enricher{JSON: true}).Enrich(x, newEnv(&l))
	if p := x.Params[len(x.Params)-1]; p.Name != "[9].3" || p.Value != "' OR '1'='1" {
		t.Errorf("last param = %+v", p)
	}
}

func TestEnrichSchema(t *testing.T) {
	e := &Enricher{Schemas: demoSchemas(t), JSON: true}
	cases := []struct {
		name              string
		x                 *decoders.Exchange
		params            string
		reqJSON, respJSON string
		anomalies         []string
	}{
		{
			name: "unary",
			x: call(ctGRPC, getPath, frames(getUser(1, "' OR '1'='1' --")), respHdrs(ctGRPC), okTrailers,
				frames(user(1, "alice", "<script>alert(1)</script>"))),
			params:   "protobuf fields=\"' OR '1'='1' --\"\n",
			reqJSON:  `{"id":"1","fields":"' OR '1'='1' --"}`,
			respJSON: `{"id":"1","name":"alice","email":"alice@example.com","address":{"street":"<script>alert(1)</script>","city":"Springfield"},"tags":["staff"],"role":"ROLE_USER"}`,
		},
		{
			name: "client stream",
			x: call(ctGRPC, uploadPth, frames(user(1, "a", "1 Oak Road"), user(2, "b", "<script>")), respHdrs(ctGRPC), okTrailers,
				frames(slicesConcat(pbInt(1, 2), pbInt(2, 1), pbInt(2, 2), pbStr(3, "b")))),
			params: "protobuf [0].name=\"a\"\nprotobuf [0].email=\"a@example.com\"\nprotobuf [0].address.street=\"1 Oak Road\"\n" +
				"protobuf [0].address.city=\"Springfield\"\nprotobuf [0].tags[0]=\"staff\"\n" +
				"protobuf [1].name=\"b\"\nprotobuf [1].email=\"b@example.com\"\nprotobuf [1].address.street=\"<script>\"\n" +
				"protobuf [1].address.city=\"Springfield\"\nprotobuf [1].tags[0]=\"staff\"\n",
			reqJSON:  `{"id":"1","name":"a","email":"a@example.com","address":{"street":"1 Oak Road","city":"Springfield"},"tags":["staff"],"role":"ROLE_USER"}`,
			respJSON: `{"count":2,"ids":["1","2"],"last_name":"b"}`,
		},
		{
			name:      "schema mismatch",
			x:         call(ctGRPC, getPath, frames(pbStr(1, "not an int")), respHdrs(ctGRPC), okTrailers, nil),
			params:    "protobuf 1=\"not an int\"\n",
			reqJSON:   `{"1":"not an int"}`,
			anomalies: []string{"protobuf.schema_mismatch"},
		},
		{
			name:    "unknown method: schema-less",
			x:       call(ctGRPC, "/demo.v1.Users/Delete", frames(getUser(1, "x")), respHdrs(ctGRPC), okTrailers, nil),
			params:  "protobuf 2=\"x\"\n",
			reqJSON: `{"1":1,"2":"x"}`,
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			env := newEnv(nil)
			e.Enrich(c.x, env)
			g := c.x.GRPC
			if got := fmtParams(grpcParams(c.x.Params)); got != c.params {
				t.Errorf("params:\n%s\nwant:\n%s", got, c.params)
			}
			if g.Requests[0].JSON != c.reqJSON {
				t.Errorf("request JSON = %s\nwant %s", g.Requests[0].JSON, c.reqJSON)
			}
			if c.respJSON != "" && g.Responses[0].JSON != c.respJSON {
				t.Errorf("response JSON = %s\nwant %s", g.Responses[0].JSON, c.respJSON)
			}
			if got := anomalyKinds(c.x); !slices.Equal(got, c.anomalies) {
				t.Errorf("anomalies = %v, want %v", got, c.anomalies)
			}
		})
	}
}

func TestDecodeText(t *testing.T) {
	cases := []struct {
		in   string
		cut  bool
		want string
		ok   bool
	}{
		{"", false, "", true},
		{"aGVsbG8=", false, "hello", true},
		{"aGVsbG8=d29ybGQ=", false, "helloworld", true},
		{"aGk=\r\naGk=", false, "hihi", true},
		{"aGk", false, "hi", true}, // unpadded end
		{"aGVsbG8gd29y", true, "hello wor", true},
		{"aGVsbG8gd2", true, "hello ", true}, // cut inside a quantum
		{"aGVsbG8gd", false, "hello ", false},
		{"aG*s", false, "", false},
		{"=abc", false, "", false},
		{"-_-_", false, "\xfb\xff\xbf", true}, // URL-safe alphabet
	}
	for _, c := range cases {
		got, ok := decodeText([]byte(c.in), c.cut)
		if string(got) != c.want || ok != c.ok {
			t.Errorf("decodeText(%q, %v) = %q, %v; want %q, %v", c.in, c.cut, got, ok, c.want, c.ok)
		}
	}
}

func TestParseContentType(t *testing.T) {
	cases := []struct {
		in            string
		ok, web, text bool
		codec         codec
	}{
		{"application/grpc", true, false, false, codecProto},
		{"Application/GRPC+Proto; charset=utf-8", true, false, false, codecProto},
		{"application/grpc+json", true, false, false, codecJSON},
		{"application/grpc+thrift", true, false, false, codecOther},
		{"application/grpc-web", true, true, false, codecProto},
		{"application/grpc-web+json", true, true, false, codecJSON},
		{"application/grpc-web-text", true, true, true, codecProto},
		{"application/grpc-web-text+proto", true, true, true, codecProto},
		{"application/grpc-webby", false, false, false, 0},
		{"application/grpcs", false, false, false, 0},
		{"application/json", false, false, false, 0},
		{"", false, false, false, 0},
	}
	for _, c := range cases {
		k, ok := parseContentType(c.in)
		if ok != c.ok || ok && (k.web != c.web || k.text != c.text || k.codec != c.codec) {
			t.Errorf("parseContentType(%q) = %+v, %v", c.in, k, ok)
		}
	}
}

func TestSplitPath(t *testing.T) {
	cases := []struct{ in, svc, method string }{
		{"/demo.v1.Users/GetUser", "demo.v1.Users", "GetUser"},
		{"/S/M", "S", "M"},
		{"", "", ""},
		{"/", "", ""},
		{"//M", "", ""},
		{"/S/", "", ""},
		{"/a/b/c", "", ""},
		{"S/M", "", ""},
	}
	for _, c := range cases {
		s, m, ok := splitPath(c.in)
		if s != c.svc || m != c.method || ok != (c.svc != "") {
			t.Errorf("splitPath(%q) = %q, %q, %v", c.in, s, m, ok)
		}
	}
}

func TestParseTrailerBlock(t *testing.T) {
	hs, bad := parseTrailerBlock([]byte("Grpc-Status: 3\r\ngrpc-message:bad%20arg\r\n\r\njunk\nx-a:1"), 2)
	want := hdrs("grpc-status", "3", "grpc-message", "bad%20arg")
	if !slices.Equal(hs, want) || bad != 1 {
		t.Errorf("got %v, %d bad", hs, bad)
	}
}

func TestEnrichSniffed(t *testing.T) {
	cases := []struct {
		name  string
		proto string
		body  []byte
		cut   bool
		grpc  bool
	}{
		{"exact frames", "http/2", frames(getUser(1, "a"), getUser(2, "b")), false, true},
		{"cut frames", "http/2", frames(getUser(1, "a"))[:6], true, true},
		{"short by one", "http/2", frames(getUser(1, "a"))[:6], false, false},
		{"bad flag", "http/2", wire(2, getUser(1, "a")), false, false},
		{"text", "http/2", []byte("hello world"), false, false},
		{"http/1.1", "http/1.1", frames(getUser(1, "a")), false, false},
	}
	for _, c := range cases {
		x := call("", "", c.body, nil, nil, nil)
		x.Proto, x.Request.Headers, x.Request.BodyTruncated = c.proto, hdrs("<unknown-index:70>", ""), c.cut
		env := newEnv(nil)
		(&Enricher{JSON: true}).Enrich(x, env)
		if got := x.GRPC != nil; got != c.grpc || env.Counts[CountSniffed] != env.Counts[CountCalls] {
			t.Errorf("%s: recognised %v, counts %v", c.name, got, env.Counts)
		}
		if c.grpc && len(x.Anomalies) != 0 {
			t.Errorf("%s: anomalies %v", c.name, x.Anomalies)
		}
	}
}

// TestEnrichWithoutJSON: with the exchange log off, request messages still
// give their parameters, and nothing is decoded only to be shown.
func TestEnrichWithoutJSON(t *testing.T) {
	e := &Enricher{Schemas: demoSchemas(t)}
	x := call(ctGRPC, "/demo.v1.Users/GetUser", frames(getUser(1, "x")), respHdrs(ctGRPC), okTrailers, nil)
	e.Enrich(x, newEnv(nil))
	g := x.GRPC
	if g == nil || len(g.Requests) != 1 || g.Requests[0].JSON != "" {
		t.Fatalf("call %+v: want one request message without JSON", g)
	}
	if len(grpcParams(x.Params)) == 0 {
		t.Errorf("no parameters from the request message")
	}
}

// TestBinaryMetadataShare: a -bin header of many fields takes at most a
// quarter of the parameters' room, so the message's payload stays.
func TestBinaryMetadataShare(t *testing.T) {
	l := decoders.DefaultLimits()
	l.MaxParams = 40
	var ctx []byte
	for i := range 100 {
		ctx = append(ctx, pbStr(protowire.Number(i%50+1), "v")...)
	}
	x := call(ctGRPC, getPath, frames(getUser(1, "' OR '1'='1")), nil, nil, nil,
		"x-ctx-bin", base64.StdEncoding.EncodeToString(ctx))
	env := newEnv(&l)
	(&Enricher{JSON: true}).Enrich(x, env)
	meta, payload := 0, false
	for _, p := range x.Params {
		if strings.HasPrefix(p.Name, "x-ctx-bin.") {
			meta++
		}
		payload = payload || p.Value == "' OR '1'='1"
	}
	if !payload || meta == 0 || meta > l.MaxParams/4 {
		t.Errorf("%d metadata params, payload kept %v:\n%s", meta, payload, fmtParams(x.Params))
	}
}
