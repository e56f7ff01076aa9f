package detect

import (
	"testing"

	"github.com/apisensor/sensor/pipeline/alert"
)

var redactTemplateSeeds = []string{
	"",
	"/users/{id}/orders",
	"/api/v1/items/{uuid}",
	"/a/eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig",
	"/pay/4111111111111111",
	"/pay/4111-1111-1111-1111",
	"/pay/1234567890123",
	"/x;password=hunter2",
	"/x/token:abcdefgh",
	"/auth/Bearer abcdefghijkl",
	"/auth/bearer\tabcdefghijkl",
	"/caf\xc3\xa9/\xff\xfe",
	"/k\u212a/token=1",
	"/api_key=abc",
	"/[REDACTED]",
}

// TestRedactTemplate checks the fast path against alert.Redact.
func TestRedactTemplate(t *testing.T) {
	for _, s := range redactTemplateSeeds {
		if got, want := redactTemplate(s), alert.Redact(s); got != want {
			t.Errorf("redactTemplate(%q) = %q, want %q", s, got, want)
		}
	}
}

func FuzzRedactTemplate(f *testing.F) {
	for _, s := range redactTemplateSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := redactTemplate(s), alert.Redact(s); got != want {
			t.Errorf("redactTemplate(%q) = %q, want %q", s, got, want)
		}
	})
}
