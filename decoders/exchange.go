// Package decoders turns a connection's reassembled byte streams into
// exchanges: one request and its response, with every parameter flattened to
// (location, name, value).
//
// Input comes from sensor as sensor.Chunk values (either direction, capture
// order) through the sensor.ConnHandler that NewConn returns; output goes to the
// Sink given to NewConn, on the same worker goroutine. Protocol decoders live in
// sub-packages (http1, …) and register themselves by name from init.
package decoders

import (
	"time"

	"github.com/apisensor/sensor/sensor"
)

// Exchange is one request and its response as rebuilt from the wire.
//
// An Exchange handed to a Sink is owned by the receiver: the decoder keeps no
// reference to it.
type Exchange struct {
	Conn *sensor.ConnMeta
	// Seq numbers exchanges within the connection, from 0.
	Seq int
	// Proto is the application protocol: "http/1.0", "http/1.1", "http/2", …
	Proto string
	// StreamID is the HTTP/2 stream of the exchange; 0 for HTTP/1.
	StreamID uint32
	Request  *Message
	Response *Message // nil when no response was seen
	// GRPC holds the gRPC view of the exchange when it is a gRPC call.
	GRPC *GRPCCall
	// Params holds every request parameter, flattened.
	Params []Param
	// Anomalies the decoder noticed on this exchange, in order; each is also
	// counted on the connection's counters.
	Anomalies []Anomaly
	// ClientFingerprint is the HTTP/2 client fingerprint of the connection
	// (Akamai format: SETTINGS|WINDOW_UPDATE|PRIORITY|pseudo-header order),
	// the same on every exchange of the connection; empty for HTTP/1 and
	// when the connection's start was not seen.
	ClientFingerprint string
	// TLS is the ClientHello of a TLS connection. Such an exchange (Proto
	// "tls") has no Request or Response: the rest of the connection is
	// encrypted.
	TLS *TLSInfo
}

// Message is one HTTP request or response.
type Message struct {
	// Start is the capture time of the first byte; End of the last.
	Start, End time.Time
	// Frames are the capture frame numbers of the packets that carried the
	// message, capped at MaxFrames (FramesTotal counts them all).
	Frames      []uint64
	FramesTotal int

	// Request line.
	Method string
	URI    string // request-target as sent
	// Authority is HTTP/2's :authority; HTTP/1 carries it in Host.
	Authority string
	Path      string // URI path, not decoded
	Query     string // raw query, without '?'
	// Status line.
	Status int
	Reason string

	Version string // "HTTP/1.1"
	Headers []Header
	// Trailers of a chunked body.
	Trailers []Header

	// Body holds the decoded (de-chunked, decompressed) body, at most the
	// configured number of bytes; BodyTruncated is set when more was seen.
	Body          []byte
	BodyTruncated bool
	// WireBodyLen counts body bytes on the wire (after de-chunking, before
	// decompression).
	WireBodyLen int64
	// ContentEncoding lists the codings that were undone, outermost first.
	ContentEncoding []string
	// Incomplete is set when the message ended before its declared end (a gap,
	// a reset or the end of capture).
	Incomplete bool
}

// MaxFrames bounds Message.Frames.
const MaxFrames = 64

// AddFrames records frame numbers that carried part of the message.
func (m *Message) AddFrames(frames []uint64) {
	for _, f := range frames {
		if n := len(m.Frames); n > 0 && m.Frames[n-1] == f {
			continue
		}
		m.FramesTotal++
		if len(m.Frames) < MaxFrames {
			m.Frames = append(m.Frames, f)
		}
	}
}

// Header is one header field as sent: the name keeps its case.
type Header struct {
	Name, Value string
}

// Scheme reports whether s is a URI scheme (RFC 3986 §3.1): a letter, then
// letters, digits, '+', '-' or '.'.
func Scheme(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i] | 0x20
		if !(c >= 'a' && c <= 'z' || i > 0 && (s[i] >= '0' && s[i] <= '9' || s[i] == '+' || s[i] == '-' || s[i] == '.')) {
			return false
		}
	}
	return true
}

// Get returns the first value of the header named name (case-insensitive).
func Get(hs []Header, name string) (string, bool) {
	for _, h := range hs {
		if equalFold(h.Name, name) {
			return h.Value, true
		}
	}
	return "", false
}

func equalFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		ca, cb := a[i], b[i]
		if 'A' <= ca && ca <= 'Z' {
			ca += 'a' - 'A'
		}
		if 'A' <= cb && cb <= 'Z' {
			cb += 'a' - 'A'
		}
		if ca != cb {
			return false
		}
	}
	return true
}

// Location says where in a request a parameter was found.
type Location string

const (
	LocPath      Location = "path"      // one path segment; Name is its index
	LocQuery     Location = "query"     // query-string argument
	LocHeader    Location = "header"    // request header; Name is lower-cased
	LocCookie    Location = "cookie"    // one cookie
	LocForm      Location = "form"      // application/x-www-form-urlencoded body
	LocJSON      Location = "json"      // JSON body leaf; Name is a dotted path with [i]
	LocMultipart Location = "multipart" // multipart/form-data part
	LocXML       Location = "xml"       // XML element text or attribute; Name is its path
	LocBody      Location = "body"      // a body that is none of the above
	LocProtobuf  Location = "protobuf"  // protobuf field; Name is a field-number path ("1.3[2].1") or, with a schema, a field-name path
	// LocName is the name of a query, form, cookie or multipart parameter,
	// or a JSON key, that is not a plain identifier (plainName): Value is
	// the name, Name says what it names ("query parameter", "JSON field").
	// Applications use names too (echoed, as columns, as object fields),
	// so the detectors scan such a name as they scan a value.
	LocName Location = "name"
)

// Param is one request parameter.
type Param struct {
	Loc  Location
	Name string
	// Value is the value as it appeared (for JSON: the unescaped string).
	Value string
	// Decoded is Value after repeated URL-decoding, when that changed it;
	// Decodes counts how many rounds changed it (2 or more means double
	// encoding).
	Decoded string
	Decodes int
}

// Best returns the most decoded form of the value.
func (p *Param) Best() string {
	if p.Decodes > 0 {
		return p.Decoded
	}
	return p.Value
}

// Anomaly is one protocol irregularity noticed by a decoder. Kind is a stable
// identifier ("http1.duplicate_content_length") used as a counter name and a
// rule id; Detail is a short human-readable note.
type Anomaly struct {
	Kind   string
	Detail string
	Dir    sensor.Direction
}

// GRPCCall is the gRPC view of an exchange: the call and its messages.
type GRPCCall struct {
	Service, Method string
	// ContentType is the request's content type: application/grpc,
	// application/grpc+proto, application/grpc+json, application/grpc-web…
	ContentType string
	// Encoding is the grpc-encoding of compressed messages ("gzip").
	Encoding string
	// Web is set for grpc-web (over HTTP/1.1 or HTTP/2); Text for its
	// base64 form.
	Web, Text bool
	// Status is grpc-status, -1 when none was seen; StatusMessage is
	// grpc-message, percent-decoded.
	Status        int
	StatusMessage string
	// Requests and Responses hold the messages of each direction, at most
	// the configured number; the totals count them all.
	Requests, Responses           []GRPCMessage
	RequestsTotal, ResponsesTotal int
}

// GRPCMessage is one length-prefixed gRPC message.
type GRPCMessage struct {
	// Index numbers the messages of one direction from 0.
	Index      int
	Compressed bool
	// Length is the length on the wire; Data the (decompressed) payload,
	// at most the configured bytes (Truncated set when cut).
	Length    int
	Data      []byte
	Truncated bool
	// JSON is the decoded message as JSON (schema-less: field numbers as
	// keys), for the exchange log; empty when it did not decode.
	JSON string
}
