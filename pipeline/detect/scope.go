package detect

import (
	"strings"

	"github.com/apisensor/sensor/decoders"
	"github.com/apisensor/sensor/pipeline/alert"
)

// Request headers whose values a client sets freely and back ends often log,
// store or pass on, so they carry injections. Other standard headers
// (accept, accept-language, content-type, cache-control, …) are left out:
// their grammars look like payloads and rarely reach an interpreter.
var scannedHeaders = map[string]bool{
	"user-agent": true, "referer": true, "x-forwarded-for": true, "x-forwarded-host": true,
	"x-real-ip": true, "x-client-ip": true, "x-originating-ip": true, "true-client-ip": true,
	"forwarded": true, "from": true,
}

// Custom headers (x-…) are scanned, except these, which proxies and tracers
// set.
var skippedXHeaders = map[string]bool{
	"x-request-id": true, "x-correlation-id": true, "x-amzn-trace-id": true,
	"x-cloud-trace-context": true, "x-forwarded-proto": true, "x-forwarded-port": true,
	"x-requested-with": true, "x-content-type-options": true,
}

var skippedXPrefixes = []string{"x-b3-", "x-datadog-", "x-envoy-", "x-ot-span-"}

// ScannedHeader reports whether the request header name (lower-cased, as
// the decoders give it) is one a client controls and a back end is likely
// to pass on: the headers every injection detector inspects.
func ScannedHeader(name string) bool {
	if scannedHeaders[name] {
		return true
	}
	if !strings.HasPrefix(name, "x-") || skippedXHeaders[name] {
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
