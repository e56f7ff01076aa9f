package injection

import (
	"strings"

	"github.com/apisensor/sensor/decoders"
)

// Request headers whose values a client sets freely and back ends often
// log or store, so they carry injections. Other standard headers (accept,
// accept-language, content-type, cache-control, …) are left out: their
// grammar makes libinjection raise false positives and back ends rarely
// pass them to a query or a page.
var scannedHeaders = map[string]bool{
	"user-agent":       true,
	"referer":          true,
	"x-forwarded-for":  true,
	"x-forwarded-host": true,
	"x-real-ip":        true,
	"x-client-ip":      true,
	"x-originating-ip": true,
	"true-client-ip":   true,
	"forwarded":        true,
	"from":             true,
}

// Custom headers (x-…) are scanned, except these infrastructure headers
// that proxies and tracers set.
var skippedXHeaders = map[string]bool{
	"x-request-id":           true,
	"x-correlation-id":       true,
	"x-amzn-trace-id":        true,
	"x-cloud-trace-context":  true,
	"x-forwarded-proto":      true,
	"x-forwarded-port":       true,
	"x-requested-with":       true,
	"x-content-type-options": true,
}

var skippedXPrefixes = []string{"x-b3-", "x-datadog-", "x-envoy-", "x-ot-span-"}

// scanned reports whether the detector looks at parameter p.
func scanned(p *decoders.Param) bool {
	if p.Loc != decoders.LocHeader {
		return true
	}
	name := p.Name // lower-cased by the decoders
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
