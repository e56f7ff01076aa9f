package grpc

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"encoding/base64"
	"fmt"
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/apisensor/sensor/decoders"
	"github.com/apisensor/sensor/decoders/protobuf"
	"github.com/apisensor/sensor/sensor"
)

// Protobuf builders (field numbers of testdata/grpcdemo/demo.proto).

func pbStr(num protowire.Number, s string) []byte {
	b := protowire.AppendTag(nil, num, protowire.BytesType)
	return protowire.AppendString(b, s)
}

func pbMsg(num protowire.Number, parts ...[]byte) []byte {
	b := protowire.AppendTag(nil, num, protowire.BytesType)
	return protowire.AppendBytes(b, slices.Concat(parts...))
}

func pbInt(num protowire.Number, v uint64) []byte {
	b := protowire.AppendTag(nil, num, protowire.VarintType)
	return protowire.AppendVarint(b, v)
}

// user is a demo.v1.User.
func user(id uint64, name, street string) []byte {
	return slices.Concat(pbInt(1, id), pbStr(2, name), pbStr(3, name+"@example.com"),
		pbMsg(4, pbStr(1, street), pbStr(2, "Springfield")), pbStr(5, "staff"), pbInt(6, 1))
}

// getUser is a demo.v1.GetUserRequest.
func getUser(id uint64, fields string) []byte {
	return slices.Concat(pbInt(1, id), pbStr(2, fields))
}

// chat is a demo.v1.ChatMessage.
func chat(seq uint64, from, text string) []byte {
	return slices.Concat(pbInt(1, seq), pbStr(2, from), pbStr(3, text))
}

// Framing builders.

func wire(flag byte, payload []byte) []byte {
	b := []byte{flag, 0, 0, 0, 0}
	b[1], b[2], b[3], b[4] = byte(len(payload)>>24), byte(len(payload)>>16), byte(len(payload)>>8), byte(len(payload))
	return append(b, payload...)
}

// frames frames every payload uncompressed.
func frames(payloads ...[]byte) []byte {
	var b []byte
	for _, p := range payloads {
		b = append(b, wire(0, p)...)
	}
	return b
}

func gzipped(t testing.TB, p []byte) []byte {
	var buf bytes.Buffer
	z := gzip.NewWriter(&buf)
	if _, err := z.Write(p); err != nil {
		t.Fatal(err)
	}
	if err := z.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func deflated(t testing.TB, p []byte) []byte {
	var buf bytes.Buffer
	z, _ := flate.NewWriter(&buf, flate.BestCompression)
	if _, err := z.Write(p); err != nil {
		t.Fatal(err)
	}
	if err := z.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// webTrailer is a grpc-web trailer frame.
func webTrailer(lines string) []byte { return wire(flagTrailer, []byte(lines)) }

// b64chunks base64-encodes each part on its own, as a grpc-web-text server
// encodes each write.
func b64chunks(parts ...[]byte) []byte {
	var s strings.Builder
	for _, p := range parts {
		s.WriteString(base64.StdEncoding.EncodeToString(p))
	}
	return []byte(s.String())
}

func hdrs(kv ...string) []decoders.Header {
	var hs []decoders.Header
	for i := 0; i+1 < len(kv); i += 2 {
		hs = append(hs, decoders.Header{Name: kv[i], Value: kv[i+1]})
	}
	return hs
}

// call builds an HTTP/2 exchange of a gRPC call to path.
func call(ct, path string, reqBody []byte, respHeaders, respTrailers []decoders.Header, respBody []byte, reqHeaders ...string) *decoders.Exchange {
	x := &decoders.Exchange{
		Proto: "http/2",
		Request: &decoders.Message{
			Method: "POST", URI: path, Path: path, Authority: "users:50051",
			Headers: append(hdrs("content-type", ct, "te", "trailers", "user-agent", "grpc-go/1.70.0"), hdrs(reqHeaders...)...),
			Body:    reqBody, WireBodyLen: int64(len(reqBody)),
		},
	}
	if respHeaders != nil || respTrailers != nil || respBody != nil {
		x.Response = &decoders.Message{
			Status: 200, Headers: respHeaders, Trailers: respTrailers,
			Body: respBody, WireBodyLen: int64(len(respBody)),
		}
	}
	return x
}

var okTrailers = hdrs("grpc-status", "0", "grpc-message", "")

func respHdrs(ct string, kv ...string) []decoders.Header {
	return append(hdrs("content-type", ct), hdrs(kv...)...)
}

func newEnv(l *decoders.Limits) *decoders.Env {
	if l == nil {
		d := decoders.DefaultLimits()
		l = &d
	}
	return &decoders.Env{Conn: &sensor.ConnMeta{}, Limits: l, Counts: sensor.Counts{}}
}

func demoSchemas(t testing.TB) *protobuf.Schemas {
	t.Helper()
	s, err := protobuf.LoadSchemas("../../testdata/grpcdemo/demo.pb")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// fmtParams renders params one per line: loc name=value.
func fmtParams(ps []decoders.Param) string {
	var b strings.Builder
	for _, p := range ps {
		fmt.Fprintf(&b, "%s %s=%q\n", p.Loc, p.Name, p.Value)
	}
	return b.String()
}

// grpcParams returns the protobuf and json params only (ExtractParams has not
// run, but be explicit).
func grpcParams(ps []decoders.Param) []decoders.Param {
	var out []decoders.Param
	for _, p := range ps {
		if p.Loc == decoders.LocProtobuf || p.Loc == decoders.LocJSON || p.Loc == decoders.LocBody {
			out = append(out, p)
		}
	}
	return out
}

func anomalyKinds(x *decoders.Exchange) []string {
	var ks []string
	for _, a := range x.Anomalies {
		ks = append(ks, a.Kind)
	}
	return ks
}
