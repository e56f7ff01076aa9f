package grpc

import (
	"encoding/base64"
	"fmt"
	"testing"

	"github.com/apisensor/sensor/decoders"
)

// FuzzEnrich feeds arbitrary bodies, content types, paths and encodings to the
// enricher, with and without a schema, and checks that every bound holds.
func FuzzEnrich(f *testing.F) {
	f.Add(ctGRPC, getPath, "", frames(getUser(1, "name,email")), frames(user(1, "alice", "1 Oak Road")), false)
	f.Add(ctGRPC, chatPath, "", frames(chat(1, "a", "b"), chat(2, "c", "d")), []byte{0, 0, 0, 0}, true)
	f.Add(ctGRPC, getPath, "gzip", wire(1, gzipped(f, getUser(1, "x"))), wire(1, []byte("junk")), false)
	f.Add(ctGRPC, uploadPth, "deflate", wire(1, deflated(f, user(1, "a", "b"))), []byte{0x81, 0, 0, 0, 2, 1, 2}, false)
	f.Add(ctGRPC+"+json", getPath, "", frames([]byte(`{"a":[1,{"b":"c"}]}`)), frames([]byte(`{"x":`)), false)
	f.Add("application/grpc-web", getPath, "", frames(getUser(1, "n")), append(frames(pbStr(2, "al")), webTrailer("grpc-status:0\r\ngrpc-message:ok\r\n")...), false)
	f.Add("application/grpc-web-text", getPath, "", b64chunks(frames(getUser(1, "n"))), b64chunks(frames(pbStr(2, "al")), webTrailer("grpc-status:5\r\n")), false)
	f.Add("application/grpc-web-text", "/x", "identity", []byte("AAAA=AA=="), []byte("%%%%"), true)
	f.Add(ctGRPC, "//", "snappy", []byte{0x05, 0xff, 0xff, 0xff, 0xff}, []byte{0, 0x7f, 0xff, 0xff, 0xff, 0x0a}, false)
	f.Add(ctGRPC+"+thrift", getPath, "", frames([]byte{0x0b}), []byte{}, false)

	schemas := demoSchemas(f)
	f.Fuzz(func(t *testing.T, ct, path, enc string, reqBody, respBody []byte, cut bool) {
		l := decoders.DefaultLimits()
		l.MaxBodyBytes = 1024
		l.MaxDecompressedBytes = 4096
		l.MaxGRPCMessages = 4
		l.MaxParams = 16
		l.MaxParamBytes = 64
		// The HTTP decoders keep at most MaxBodyBytes of a body.
		reqCut, respCut := cut || len(reqBody) > l.MaxBodyBytes, len(respBody) > l.MaxBodyBytes
		reqBody, respBody = reqBody[:min(len(reqBody), l.MaxBodyBytes)], respBody[:min(len(respBody), l.MaxBodyBytes)]
		for _, s := range []*Enricher{{}, {Schemas: schemas}} {
			// The request body also travels as binary metadata
			// (binaryMetadata), which shares the params' bound.
			x := call(ct, path, reqBody, respHdrs(ct, "grpc-encoding", enc, "grpc-status", "1"), hdrs("grpc-status", enc), respBody,
				"grpc-encoding", enc, "x-ctx-bin", base64.RawStdEncoding.EncodeToString(reqBody)+","+enc)
			x.Request.BodyTruncated = reqCut
			x.Response.BodyTruncated = respCut
			env := newEnv(&l)
			s.Enrich(x, env)
			if err := checkBounds(x, &l); err != nil {
				t.Fatal(err)
			}
		}
	})
}

func checkBounds(x *decoders.Exchange, l *decoders.Limits) error {
	if len(x.Params) > l.MaxParams {
		return fmt.Errorf("%d params", len(x.Params))
	}
	for _, p := range x.Params {
		if len(p.Value) > l.MaxParamBytes {
			return fmt.Errorf("param %q: %d bytes", p.Name, len(p.Value))
		}
	}
	if len(x.Anomalies) > 32 {
		return fmt.Errorf("%d anomalies", len(x.Anomalies))
	}
	g := x.GRPC
	if g == nil {
		return nil
	}
	if len(g.Requests) > l.MaxGRPCMessages || len(g.Responses) > l.MaxGRPCMessages ||
		g.RequestsTotal < len(g.Requests) || g.ResponsesTotal < len(g.Responses) {
		return fmt.Errorf("messages %d/%d, %d/%d", len(g.Requests), g.RequestsTotal, len(g.Responses), g.ResponsesTotal)
	}
	for _, ms := range [][]decoders.GRPCMessage{g.Requests, g.Responses} {
		total := 0
		for i, m := range ms {
			if m.Index != i {
				return fmt.Errorf("message %d has index %d", i, m.Index)
			}
			if len(m.Data) > l.MaxBodyBytes {
				return fmt.Errorf("message %d keeps %d bytes", i, len(m.Data))
			}
			if m.Compressed {
				total += len(m.Data)
			}
		}
		if total > l.MaxDecompressedBytes {
			return fmt.Errorf("%d decompressed bytes kept", total)
		}
	}
	return nil
}
