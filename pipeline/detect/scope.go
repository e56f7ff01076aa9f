package detect

import (
	"strings"

	"github.com/apisensor/sensor/decoders"
	"github.com/apisensor/sensor/pipeline/alert"
)

// skippedXPrefixes start the custom headers tracers set.
var skippedXPrefixes = []string{"x-b3-", "x-datadog-", "x-envoy-", "x-ot-span-"}

// Scanned reports whether the injection detectors look at parameter p:
// every parameter but the headers a client does not control (see
// ScannedHeader).
func Scanned(p *decoders.Param) bool {
	return p.Loc != decoders.LocHeader || ScannedHeader(p.Name)
}

// ScannedHeader reports whether the request header name (lower-cased, as
// the decoders give it) is one a client controls and a back end is likely
// to pass on: the headers every injection detector inspects. Headers whose
// values a client sets freely and back ends often log, store or pass on
// carry injections. Other standard headers (accept, accept-language,
// content-type, cache-control, …) are left out: their grammars look like
// payloads and rarely reach an interpreter. Custom headers are scanned,
// with an x- prefix or without (RFC 6648 retired the prefix; gRPC metadata
// such as tenant-id never had one), except those proxies, CDNs, browsers
// and tracers set (standardHeader). Every detector asks this of every
// header of every request: the switches compile to length and byte
// compares, cheaper than a map's hash.
func ScannedHeader(name string) bool {
	if strings.HasPrefix(name, ":") {
		// A repeated HTTP/2 pseudo-header's other value (decoders/http2
		// keeps the first as the request's): what a back end that takes
		// the last routes by.
		return true
	}
	switch name {
	case "user-agent", "referer", "x-forwarded-for", "x-forwarded-host",
		"x-real-ip", "x-client-ip", "x-originating-ip", "true-client-ip",
		"forwarded", "from":
		return true
	case "x-request-id", "x-correlation-id", "x-amzn-trace-id",
		"x-cloud-trace-context", "x-forwarded-proto", "x-forwarded-port",
		"x-requested-with", "x-content-type-options":
		return false
	}
	if !strings.HasPrefix(name, "x-") {
		// (Names come lower-cased: another is no header name of ours.)
		return name != "" && strings.ToLower(name) == name && !standardHeader(name)
	}
	for _, pre := range skippedXPrefixes {
		if strings.HasPrefix(name, pre) {
			return false
		}
	}
	return true
}

// standardHeader reports a request header a client does not write for the
// application: HTTP's own (content negotiation, conditions, caching,
// credentials, framing), what browsers send of themselves (sec-*, client
// hints), what CDNs and load balancers add (cf-*, fastly-*, akamai-*), the
// trace context (traceparent, baggage, sentry-trace), and gRPC's reserved
// metadata (grpc-*, te).
func standardHeader(name string) bool {
	switch name {
	case "accept", "accept-charset", "accept-encoding", "accept-language", "accept-datetime", "accept-ranges",
		"authorization", "proxy-authorization", "cache-control", "pragma", "connection", "keep-alive",
		"proxy-connection", "content-length", "content-type", "content-encoding", "content-language",
		"content-md5", "content-range", "content-disposition", "date", "expect", "host", "max-forwards",
		"origin", "range", "te", "trailer", "transfer-encoding", "upgrade", "via", "warning", "cookie",
		"if-match", "if-none-match", "if-modified-since", "if-unmodified-since", "if-range", "dnt",
		"upgrade-insecure-requests", "priority", "purpose", "save-data", "downlink", "ect", "rtt",
		"device-memory", "dpr", "viewport-width", "width", "early-data", "alt-used", "http2-settings",
		"traceparent", "tracestate", "baggage", "sentry-trace", "newrelic", "b3", "uber-trace-id",
		"cdn-loop", "service-worker", "service-worker-navigation-preload", "access-control-request-method",
		"access-control-request-headers", "prefer", "idempotency-key", "digest", "want-digest", "signature",
		"signature-input", "content-digest", "repr-digest", "accept-patch", "a-im", "ping-from", "ping-to",
		"last-event-id", "timing-allow-origin", "sec-websocket-key", "sec-websocket-version",
		"sec-websocket-extensions", "sec-websocket-protocol":
		return true
	}
	for _, pre := range [...]string{"sec-", "cf-", "fastly-", "akamai-", "grpc-", "access-control-", "proxy-"} {
		if strings.HasPrefix(name, pre) {
			return true
		}
	}
	return false
}

var locTitle = map[decoders.Location]string{
	decoders.LocPath:      "path segment",
	decoders.LocQuery:     "query parameter",
	decoders.LocHeader:    "header",
	decoders.LocCookie:    "cookie",
	decoders.LocForm:      "form field",
	decoders.LocJSON:      "JSON field",
	decoders.LocMultipart: "multipart field",
	decoders.LocXML:       "XML field",
	decoders.LocBody:      "body",
	decoders.LocProtobuf:  "protobuf field",
	// A LocName parameter's Name says what it names: "the name of a
	// query parameter".
	decoders.LocName: "the name of a",
}

// LocationTitle names a parameter location for alert summaries ("query
// parameter", "protobuf field").
func LocationTitle(loc decoders.Location) string {
	if t, ok := locTitle[loc]; ok {
		return t
	}
	return alert.Snippet(string(loc), 32)
}
