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
// payloads and rarely reach an interpreter. Custom headers (x-…) are
// scanned, except those proxies and tracers set. Every detector asks this
// of every header of every request: the switch compiles to length and
// byte compares, cheaper than a map's hash.
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
		return false
	}
	for _, pre := range skippedXPrefixes {
		if strings.HasPrefix(name, pre) {
			return false
		}
	}
	return true
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
