// Package grpc adds the gRPC view to finished HTTP exchanges: it splits the
// request and response bodies into length-prefixed gRPC messages, decodes
// them as protobuf (or JSON), reads grpc-status, and turns the string fields of
// the request messages into parameters, so that a payload hidden in a protobuf
// field reaches the detectors exactly like one in a query string.
//
// Input is an exchange emitted by a protocol decoder (decoders/http2 for gRPC;
// decoders/http1 or decoders/http2 for grpc-web), handed to Enricher.Enrich by
// the connection dispatcher (decoders.NewConn) before decoders.ExtractParams.
// Output is written back onto that exchange: x.GRPC, x.Params, x.Anomalies.
// Exchanges whose request (or, without one, response) content type is not
// application/grpc* are left alone, except HTTP/2 exchanges where neither
// content type could be read (a connection joined mid-stream): those whose
// bodies are exact gRPC frames are taken for gRPC in protobuf (CountSniffed).
//
// Parameters (location protobuf, or json for application/grpc+json) come from
// request messages only; response messages are kept, with their JSON, for the
// exchange log. A parameter is named by its field path as
// protobuf.AppendParams (or decoders.ExtractParams for JSON) names it:
// "1.3[2].1" schema-less, "address.street" with a schema. When the request
// carried more than one message (client or bidi streaming), every name gets
// the 0-based message index in front, "[2].1.3" or "[2].address.street", so
// that messages of one stream stay apart; a call with a single request
// message, streaming or not, has plain names. Every complete message in the
// captured body is walked for parameters, even past Limits.MaxGRPCMessages
// (which bounds only the messages kept in x.GRPC): the body is already
// bounded by Limits.MaxBodyBytes, and a payload must not hide in message 200.
//
// Anomalies (constants Kind*, attached to the exchange and counted) are the
// gRPC ones below plus the protobuf decoder's ("protobuf.malformed", …, see
// protobuf.AnomalyKind). Truncation by the capture (Limits.MaxBodyBytes, a gap,
// the end of capture) is not an anomaly: the cut message is kept with
// Truncated set and decoded as far as it goes.
package grpc

import (
	"encoding/base64"
	"strconv"
	"strings"
	"unicode/utf8"

	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/apisensor/sensor/decoders"
	"github.com/apisensor/sensor/decoders/protobuf"
	"github.com/apisensor/sensor/sensor"
)

// Anomaly kinds.
const (
	// KindBadPath: the request path is not "/service/method".
	KindBadPath = "grpc.bad_path"
	// KindBadFrame: a message prefix with an undefined flag, a length past
	// the end of a body that was not cut, stray bytes after the last
	// message, or a grpc-web trailer frame where none belongs.
	KindBadFrame = "grpc.bad_frame"
	// KindMessageTooLarge: a declared message length above MaxMessageBytes.
	KindMessageTooLarge = "grpc.message_too_large"
	// KindBadCompression: a compressed message without a usable
	// grpc-encoding, or one that does not decompress.
	KindBadCompression = "grpc.bad_compression"
	// KindDecompressionBomb: a message inflates past
	// Limits.MaxDecompressedBytes.
	KindDecompressionBomb = "grpc.decompression_bomb"
	// KindDecompressionBudget: the decompressed bytes a direction may keep
	// (Limits.MaxDecompressedBytes) are spent; the compressed messages
	// after are not read. Said once per direction: a long stream of
	// ordinary messages spends it too, so it is no bomb.
	KindDecompressionBudget = "grpc.decompression_budget"
	// KindBadStatus: grpc-status is not a non-negative integer.
	KindBadStatus = "grpc.bad_status"
	// KindWebBadBase64: a grpc-web-text body is not base64.
	KindWebBadBase64 = "grpc.web_bad_base64"
	// KindWebBadTrailer: a grpc-web trailer frame holds a line that is not
	// "name:value".
	KindWebBadTrailer = "grpc.web_bad_trailer"
)

// Counter kinds for what is not an anomaly but worth seeing in metrics.
const (
	// CountCalls counts exchanges recognised as gRPC calls.
	CountCalls = "grpc.calls"
	// CountSniffed counts calls recognised by their framing alone, their
	// content type being unreadable (HTTP/2 joined mid-stream).
	CountSniffed = "grpc.sniffed"
	// CountUnknownEncoding counts compressed messages in a grpc-encoding
	// other than gzip and deflate (snappy, zstd, …): kept raw, not decoded.
	CountUnknownEncoding = "grpc.unknown_encoding"
	// CountUnknownCodec counts calls in a codec other than proto and json
	// (application/grpc+thrift): messages are split but not decoded.
	CountUnknownCodec = "grpc.unknown_codec"
	// CountMessagesDropped counts messages past Limits.MaxGRPCMessages.
	CountMessagesDropped = "grpc.messages_dropped"
)

// MaxMessageBytes is grpc-go's default maximum received message size: a
// declared length above it is flagged (KindMessageTooLarge). It bounds no
// memory; bodies are already cut at Limits.MaxBodyBytes.
const MaxMessageBytes = 4 << 20

// Enricher is the gRPC layer, a decoders.Enricher. Schemas, when not nil,
// names the fields of the methods it knows; other calls are decoded without
// a schema. An Enricher holds no per-call state and may be shared by workers.
type Enricher struct {
	Schemas *protobuf.Schemas
	// JSON renders every kept message as JSON (GRPCMessage.JSON) for the
	// exchange log. Off, response messages are not decoded at all: only
	// request messages yield parameters, and decoding is most of the cost.
	JSON bool
}

var _ decoders.Enricher = (*Enricher)(nil)

// codec is the message format after "application/grpc[-web[-text]]+".
type codec uint8

const (
	codecProto codec = iota
	codecJSON
	codecOther
)

// contentType is a parsed gRPC content type.
type contentType struct {
	web, text bool
	codec     codec
}

// Enrich sets x.GRPC when x is a gRPC or grpc-web call, appends the request
// messages' parameters to x.Params and records anomalies. Bodies are read, not
// changed: GRPCMessage.Data may alias Request.Body and Response.Body.
func (e *Enricher) Enrich(x *decoders.Exchange, env *decoders.Env) {
	req, resp := x.Request, x.Response
	var ct string
	if req != nil {
		ct, _ = decoders.Get(req.Headers, "content-type")
	}
	if ct == "" && resp != nil {
		// The request's content type may be behind an HPACK entry never
		// seen (connection joined mid-stream): the response tells too.
		ct, _ = decoders.Get(resp.Headers, "content-type")
	}
	kind, ok := parseContentType(ct)
	if !ok {
		if ct != "" || !looksFramed(x) {
			return
		}
		// Neither side's content type could be read: a connection joined
		// mid-stream whose HPACK entries were never seen. Bodies made of
		// exact gRPC frames are taken for gRPC in protobuf.
		env.Counts.Inc(CountSniffed)
	}
	env.Counts.Inc(CountCalls)
	lim := env.Limits
	if lim == nil {
		d := decoders.DefaultLimits()
		lim = &d
	}
	call := &decoders.GRPCCall{ContentType: ct, Web: kind.web, Text: kind.text, Status: -1}
	x.GRPC = call
	if kind.codec == codecOther {
		env.Counts.Inc(CountUnknownCodec)
	}

	var reqEnc, respEnc string
	if req != nil {
		reqEnc, _ = decoders.Get(req.Headers, "grpc-encoding")
		if svc, m, ok := splitPath(req.Path); ok {
			call.Service, call.Method = svc, m
		} else if req.Path != "" {
			// An empty path is unknown (behind an HPACK entry never
			// seen), not malformed.
			env.Anomaly(x, decoders.Anomaly{Kind: KindBadPath, Detail: "path " + strconv.Quote(cutString(req.Path, 64)) + " is not /service/method", Dir: sensor.ClientToServer})
		}
	}
	if resp != nil {
		respEnc, _ = decoders.Get(resp.Headers, "grpc-encoding")
	}
	call.Encoding = reqEnc
	if call.Encoding == "" {
		call.Encoding = respEnc
	}

	var in, out protoreflect.MessageDescriptor
	if kind.codec == codecProto && call.Service != "" {
		in, out, _ = e.Schemas.Method(call.Service, call.Method)
	}
	w := walker{env: env, x: x, lim: lim, plim: protobuf.LimitsFrom(*lim), codec: kind.codec, json: e.JSON}
	if req != nil {
		w.paramMax = paramMax(x, req, lim)
		// Metadata first: a large message must not crowd it out of the
		// parameters' bound.
		w.binaryMetadata(req.Headers)
		call.Requests, call.RequestsTotal, _ = w.messages(req, sensor.ClientToServer, kind.text, reqEnc, in)
	}
	if resp != nil {
		text := kind.text
		if rct, ok := decoders.Get(resp.Headers, "content-type"); ok {
			if rk, ok := parseContentType(rct); ok {
				text = rk.text
			}
		}
		var trailers []decoders.Header
		call.Responses, call.ResponsesTotal, trailers = w.messages(resp, sensor.ServerToClient, text, respEnc, out)
		// A grpc-web trailer frame is the real trailer block; then
		// HTTP/2 trailers; then the headers of a Trailers-Only response.
		for _, hs := range [...][]decoders.Header{trailers, resp.Trailers, resp.Headers} {
			if e.status(call, hs, x, env) {
				break
			}
		}
	}
}

// looksFramed reports whether an HTTP/2 exchange without a readable content
// type carries gRPC: a body (request first) that is one or more messages with
// flags 0 or 1 whose lengths add up to its exact end, or to a cut end.
func looksFramed(x *decoders.Exchange) bool {
	if x.Proto != "http/2" {
		return false
	}
	for _, m := range [...]*decoders.Message{x.Request, x.Response} {
		if m == nil || len(m.Body) < prefixLen {
			continue
		}
		cut := m.BodyTruncated || m.Incomplete
		for off := 0; ; {
			f, next, ok, err := nextFrame(m.Body, off, false)
			if err != frameOK || f.cut && !cut {
				return false
			}
			if !ok {
				return true
			}
			off = next
		}
	}
	return false
}

// paramMax is the bound on len(x.Params) for gRPC parameters: MaxParams less
// room for what ExtractParams adds afterwards (path segments, headers and
// trailers), so that a large message does not crowd out the headers.
func paramMax(x *decoders.Exchange, req *decoders.Message, lim *decoders.Limits) int {
	reserve := len(req.Headers) + len(req.Trailers) + strings.Count(req.Path, "/") + 1
	return max(lim.MaxParams-reserve, len(x.Params))
}

// status sets the call's status from the grpc-status and grpc-message of hs
// and reports whether hs had a grpc-status.
func (e *Enricher) status(call *decoders.GRPCCall, hs []decoders.Header, x *decoders.Exchange, env *decoders.Env) bool {
	v, ok := decoders.Get(hs, "grpc-status")
	if !ok {
		return false
	}
	if n, ok := parseStatus(v); ok {
		call.Status = n
	} else {
		env.Anomaly(x, decoders.Anomaly{Kind: KindBadStatus, Detail: "grpc-status " + strconv.Quote(cutString(v, 32)), Dir: sensor.ServerToClient})
	}
	if m, ok := decoders.Get(hs, "grpc-message"); ok {
		// gRPC percent-encodes grpc-message and tells decoders to keep
		// invalid escapes as they are: URLDecode's lenient mode.
		call.StatusMessage, _ = decoders.URLDecode(m, false)
	}
	return true
}

// parseStatus reads a grpc-status: decimal digits, at most 9 of them so that
// it fits an int anywhere.
func parseStatus(v string) (int, bool) {
	v = strings.TrimSpace(v)
	if v == "" || len(v) > 9 {
		return 0, false
	}
	n := 0
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// parseContentType recognises application/grpc, application/grpc+proto,
// application/grpc+json, application/grpc-web(+proto|+json) and
// application/grpc-web-text(+proto), case-insensitively and ignoring
// parameters. Another "+codec" is gRPC in an unknown codec.
func parseContentType(ct string) (contentType, bool) {
	const base = "application/grpc"
	var k contentType
	mt, _, _ := strings.Cut(ct, ";")
	mt = strings.TrimSpace(mt)
	if len(mt) < len(base) || !strings.EqualFold(mt[:len(base)], base) {
		return k, false
	}
	rest := mt[len(base):]
	if hasPrefixFold(rest, "-web") {
		k.web, rest = true, rest[len("-web"):]
		if hasPrefixFold(rest, "-text") {
			k.text, rest = true, rest[len("-text"):]
		}
	}
	switch {
	case rest == "" || strings.EqualFold(rest, "+proto"):
		k.codec = codecProto
	case strings.EqualFold(rest, "+json"):
		k.codec = codecJSON
	case rest[0] == '+':
		k.codec = codecOther
	default:
		return k, false // application/grpcfoo
	}
	return k, true
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// splitPath splits "/pkg.Service/Method" into "pkg.Service" and "Method".
func splitPath(p string) (service, method string, ok bool) {
	if len(p) < 4 || p[0] != '/' {
		return "", "", false
	}
	service, method, ok = strings.Cut(p[1:], "/")
	if !ok || service == "" || method == "" || strings.IndexByte(method, '/') >= 0 || strings.IndexByte(method, '?') >= 0 {
		return "", "", false
	}
	return service, method, true
}

// cutString bounds a string quoted into an anomaly detail.
func cutString(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// binaryMetadata turns the request's binary metadata into parameters:
// gRPC sends a header whose name ends in "-bin" base64-encoded (padded or
// not, several values joined by ','), and clients carry serialized
// messages in them (a tenant or user context, a request envelope). A value
// that decodes to a protobuf message adds its text leaves, named
// "<header>.<field path>" (location protobuf); one that decodes to text
// is left to the header's own parameter, whose base64 the detectors
// decode; metadata takes at most a quarter of the parameters' room. gRPC's
// own (grpc-trace-bin, grpc-tags-bin,
// grpc-status-details-bin) are the library's, not the caller's; other
// grpc- names reach the application as any metadata does.
func (w *walker) binaryMetadata(hs []decoders.Header) {
	// A quarter of the room, so that metadata cannot crowd the messages
	// out either.
	limit := w.paramMax
	w.paramMax = len(w.x.Params) + max(1, (limit-len(w.x.Params))/4)
	defer func() { w.paramMax = limit }()
	for _, h := range hs {
		name := strings.ToLower(h.Name)
		if len(name) <= len("-bin") || !strings.HasSuffix(name, "-bin") || grpcBinary[name] {
			continue
		}
		for el := range strings.SplitSeq(h.Value, ",") {
			b, err := base64.RawStdEncoding.DecodeString(strings.TrimRight(strings.TrimSpace(el), "="))
			if err != nil || len(b) == 0 || plainText(b) {
				continue
			}
			tree, err := protobuf.Decode(b, w.plim)
			if err != nil || tree == nil {
				continue
			}
			start := len(w.x.Params)
			w.protoParams(tree)
			for i := start; i < len(w.x.Params); i++ {
				p := &w.x.Params[i]
				if p.Name == "" {
					p.Name = name
				} else {
					p.Name = name + "." + p.Name
				}
			}
		}
	}
}

// grpcBinary is the binary metadata gRPC libraries set themselves.
var grpcBinary = map[string]bool{"grpc-trace-bin": true, "grpc-tags-bin": true, "grpc-status-details-bin": true}

// plainText reports whether b is UTF-8 without control bytes but tab, CR
// and LF: what the detectors read in the base64 of the header itself.
func plainText(b []byte) bool {
	for _, c := range b {
		if c < 0x20 && c != '\t' && c != '\n' && c != '\r' || c == 0x7f {
			return false
		}
	}
	return utf8.Valid(b)
}
