package http1

import (
	"slices"
	"strings"
	"testing"

	"github.com/apisensor/sensor/decoders"
	"github.com/apisensor/sensor/sensor"
)

// Fuzz input: a flags byte (bit 0: mid-stream; bits 1-3: close reason),
// then chunks, each a control byte (bit 0: direction; bit 1: a gap before
// it; bits 2-7: length-1) followed by its bytes.
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
	l.MaxLineBytes = 128
	l.MaxHeaderBytes = 512
	l.MaxHeaders = 8
	l.MaxBodyBytes = 64
	l.MaxDecompressedBytes = 256
	l.MaxPending = 4
	return l
}

func FuzzDecoder(f *testing.F) {
	for _, c := range conversations {
		f.Add(encodeFuzz(c.mid, c.segs))
	}
	body := gz(strings.Repeat("z", 4000))
	for _, s := range [][]seg{
		{{cs, "POST / HTTP/1.1\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n2;x\r\nab\r\n0\r\nT: 1\r\n\r\n", 0}},
		{{cs, "GET / HTTP/1.1\r\n\r\n", 0}, {sc, resp("200 OK", "Content-Encoding: gzip, deflate\r\n"+withCL(body), body), 0}},
		{{cs, "GET / HTTP/1.1\r\nX: a\r\n b\r\n\r\nGET / HTTP/1.0\n\n", 0}, {sc, "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n\r\nrest", 0}},
		{{cs, "CONNECT h:443 HTTP/1.1\r\n\r\nxx", 0}, {sc, "HTTP/1.1 407 Proxy\r\nContent-Length: 0\r\n\r\n", 0}},
		// Lines over the limits (fuzzLimits): cut and kept, or dropped.
		{{cs, "GET /?a=" + strings.Repeat("a", 300) + " HTTP/1.1\r\nX: " + strings.Repeat("x", 600) + "\r\nContent-Length: 1\r\n\r\nzGET / HTTP/1.1\r\n\r\n", 0},
			{sc, "HTTP/1.1 200 " + strings.Repeat("r", 200) + "\nY: " + strings.Repeat("y", 600) + "\n\nHTTP/1.1 204 No Content\r\n\r\n", 0}},
		{{cs, "GET /" + strings.Repeat("a", 200) + "\r\nPOST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nz\r\n0\r\nT: " + strings.Repeat("t", 600) + "\r\n\r\n", 0}},
		{{cs, "GET /" + strings.Repeat("a", 200), 0}, {cs, " HTTP/1.1\r\n\r\n", 5}},
		{{cs, "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2;" + strings.Repeat("e", 200) + "\r\nab\r\n0\r\n\r\n", 0}},
	} {
		f.Add(encodeFuzz(false, s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		if len(in) == 0 {
			return
		}
		lim := fuzzLimits()
		flags := in[0]
		h := newHarness(&lim, flags&1 != 0)
		data := in[1:]
		for len(data) > 0 {
			ctrl := data[0]
			data = data[1:]
			n := min(int(ctrl>>2)+1, len(data))
			gap := 0
			if ctrl&2 != 0 {
				gap = int(ctrl>>2) + 1
			}
			h.feed(sensor.Direction(ctrl&1), data[:n], gap)
			data = data[n:]
			if h.sw != nil {
				continue
			}
			for i := range h.dec.(*decoder).dirs {
				if s := &h.dec.(*decoder).dirs[i]; len(s.buf) > max(lim.MaxLineBytes, lim.MaxHeaderBytes) {
					t.Fatalf("%d bytes buffered", len(s.buf))
				}
			}
		}
		h.close(sensor.EndReason(flags>>1) % 5)

		if max := len(in)/14 + 1; len(h.got) > max {
			t.Fatalf("%d exchanges from %d bytes", len(h.got), len(in))
		}
		seen := map[*decoders.Exchange]bool{}
		seqs := map[int]bool{}
		orphans := 0
		for _, x := range h.got {
			if seen[x] || seqs[x.Seq] {
				t.Fatalf("exchange %d emitted twice", x.Seq)
			}
			seen[x], seqs[x.Seq] = true, true
			if x.Request == nil {
				// Only a response to no request (decoder.orphan).
				if x.Response == nil || !slices.ContainsFunc(x.Anomalies, func(a decoders.Anomaly) bool { return a.Kind == KindResponseWithoutRequest }) {
					t.Fatal("exchange without request")
				}
				if orphans++; orphans > maxOrphans {
					t.Fatalf("%d responses to no request", orphans)
				}
			}
			if len(x.Anomalies) > 32 {
				t.Fatalf("%d anomalies", len(x.Anomalies))
			}
			for _, m := range []*decoders.Message{x.Request, x.Response} {
				if m == nil {
					continue
				}
				if len(m.Body) > lim.MaxBodyBytes {
					t.Fatalf("body of %d bytes", len(m.Body))
				}
				if len(m.Headers) > lim.MaxHeaders || len(m.Trailers) > lim.MaxHeaders {
					t.Fatalf("%d headers, %d trailers", len(m.Headers), len(m.Trailers))
				}
				if len(m.URI) > lim.MaxLineBytes || len(m.Reason) > lim.MaxLineBytes {
					t.Fatalf("start line of %d+%d bytes", len(m.URI), len(m.Reason))
				}
				if len(m.Frames) > decoders.MaxFrames {
					t.Fatalf("%d frames", len(m.Frames))
				}
				if m.WireBodyLen < int64(len(m.Body)) && m.ContentEncoding == nil {
					t.Fatalf("body %d > wire %d", len(m.Body), m.WireBodyLen)
				}
			}
		}
	})
}

// FuzzControlIndex holds controlIndex, eight bytes a step, to the byte
// loop it stands for.
func FuzzControlIndex(f *testing.F) {
	for _, s := range []string{"/api/v1/items?q=1", "/a\x00b", "/abcdefgh\x7f", "/\x1f", "\x80\x81\xff\xfe\x9f/x", ""} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		want := -1
		for i, c := range b {
			if c < 0x20 || c == 0x7f {
				want = i
				break
			}
		}
		if got := controlIndex(b); got != want {
			t.Fatalf("controlIndex(%q) = %d, want %d", b, got, want)
		}
	})
}
