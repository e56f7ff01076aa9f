package behave

import "testing"

// TestScriptFingerprints checks the library table against fingerprints the
// HTTP/2 decoder really produces (the literals are those of decoders/http2
// TestFingerprintCaptures, from real curl, nghttp, h2load and grpc-go
// captures), so a format drift between the two packages shows here.
func TestScriptFingerprints(t *testing.T) {
	tests := []struct{ h2, want string }{
		{"3:100;4:33554432;2:0|33488897|0|m,p,s,a", "curl"},
		{"3:100;4:65535|00|3:0:0:201,5:0:0:101,7:0:0:1,9:0:7:1,11:0:3:1|m,p,s,a", "nghttp2"},
		{"2:0;4:1073741823|1073676288|0|p,s,a,m", "h2load"},
		{"|00|0|m,s,p,a", "grpc-go"},
		{"2:0;4:4194304;6:10485760|1073741824|0|m,a,s,p", "go-net/http"},
		// Chrome 120's Akamai fingerprint: a browser, not a script.
		{"1:65536;2:0;4:6291456;6:262144|15663105|0|m,a,s,p", ""},
	}
	for _, tt := range tests {
		if got := scriptOf(defaultScripts(), "", tt.h2); got != tt.want {
			t.Errorf("scriptOf(%q) = %q, want %q", tt.h2, got, tt.want)
		}
	}
}
