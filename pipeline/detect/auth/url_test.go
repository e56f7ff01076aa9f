package auth

import (
	"slices"
	"strings"
	"testing"

	"github.com/apisensor/sensor/pipeline/alert"
)

// A JWT-shaped value (not parsed by this detector).
const urlJWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjMifQ.c2lnbmF0dXJlLWJ5dGVz"

func TestCredentialsInURL(t *testing.T) {
	tests := []struct {
		name     string
		uri      string
		want     []string
		evidence string // location|name|value|matched of the first evidence
	}{
		{"password", "/login?user=bob&password=hunter2hunter2", []string{"credentials-in-query"},
			"query|password|" + alert.Redacted + " (14 bytes)|parameter named for a credential"},
		{"api key", "/v1/data?api_key=9f86d081884c7d659a2feaa0c55ad015", []string{"credentials-in-query"},
			"query|api_key|9f86…|parameter named for a credential"},
		{"apiKey camel", "/v1/data?apiKey=abcd1234", []string{"credentials-in-query"}, ""},
		{"client secret", "/oauth/token?client_id=app&client_secret=s3cr3t-v4lue", []string{"credentials-in-query"},
			"query|client_secret|" + alert.Redacted + " (12 bytes)|parameter named for a credential"},
		{"access token jwt", "/api/me?access_token=" + urlJWT, []string{"jwt-in-url"},
			"query|access_token|eyJhbGci…|JWT in the query string"},
		{"any name jwt", "/download?t=" + urlJWT, []string{"jwt-in-url"}, ""},
		{"jwt path", "/reset/" + urlJWT + "/confirm", []string{"jwt-in-url"},
			"path|1|eyJhbGci…|JWT as a path segment"},
		{"aws key", "/s3?k=AKIAIOSFODNN7EXAMPLE", []string{"credentials-in-query"},
			"query|k|AKIA…|AWS access key id"},
		{"google key in path", "/maps/AIzaSyA1234567890abcdefghijklmnopqrstuv", []string{"credentials-in-path"}, ""},
		{"jsessionid matrix", "/shop/cart;jsessionid=0A1B2C3D4E5F60718293A4B5C6D7E8F9", []string{"credentials-in-path"}, ""},
		{"ambiguous token random", "/feed?token=Zk9x2Lq8TrV3mB7nW1cY5pQ0", []string{"credentials-in-query-likely"},
			"query|token|Zk9x…|long random value in a parameter named for a credential"},
		{"userinfo", "http://admin:s3cret@internal.example.com/status", []string{"userinfo-in-url"},
			"uri|userinfo|" + alert.Redacted + "|user and password in the authority"},
		{"userinfo user only", "http://deploy@internal.example.com/status", []string{"userinfo-in-url"}, ""},
		{"several", "/x?password=abcd1234&api_key=zzzz9999", []string{"credentials-in-query"}, ""},

		// Benign lookalikes.
		{"pagination token", "/items?page_token=CiAKGjBpNDd2Nmp2Zml2cXRlYjBfZDFfMTYXIg", nil, ""},
		{"next token", "/items?nextToken=eyJvZmZzZXQiOjEwMH0", nil, ""},
		{"csrf", "/form?csrf_token=Zk9x2Lq8TrV3mB7nW1cY5pQ0", nil, ""},
		{"search key", "/dict?key=hello-world", nil, ""},
		{"short token", "/feed?token=abc", nil, ""},
		{"token word", "/feed?token=not-a-real-secret-value", nil, ""},
		{"empty password", "/signup?password=", nil, ""},
		{"placeholder", "/x?password=****", nil, ""},
		{"oauth code", "/callback?code=SplxlOBeZQQYbYS6WxSbIA&state=xyz", nil, ""},
		{"id_token_hint", "/logout?id_token_hint=" + urlJWT, nil, ""},
		{"at in path", "/users/@bob/profile", nil, ""},
		{"email in query", "/search?q=bob@example.com", nil, ""},
		{"absolute no userinfo", "http://example.com/a@b", nil, ""},
	}
	ds := detectors(t, "credentials-in-url")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			as := inspect(ds, exchange(req{uri: tt.uri}))
			if got := rules(as); !slices.Equal(got, tt.want) {
				t.Fatalf("rules %q, want %q:%s", got, tt.want, describe(as))
			}
			for _, secret := range []string{"hunter2hunter2", "9f86d081884c7d659a2feaa0c55ad015", "s3cr3t-v4lue", "s3cret", urlJWT, "IOSFODNN7EXAMPLE"} {
				noLeak(t, as, secret)
			}
			if len(as) == 0 || tt.evidence == "" {
				return
			}
			e := as[0].Evidence[0]
			if got := strings.Join([]string{e.Location, e.Name, e.Value, e.Matched}, "|"); got != tt.evidence {
				t.Errorf("evidence %q, want %q", got, tt.evidence)
			}
		})
	}
}

func TestCredentialLike(t *testing.T) {
	for v, want := range map[string]bool{
		"Zk9x2Lq8TrV3mB7nW1cY5pQ0":             true,
		"9f86d081884c7d659a2feaa0c55ad015":     true,
		"aaaaaaaaaaaaaaaaaaaaaaaa1":            false,
		"not-a-real-secret-value":              false,
		"2024-01-01T00:00:00Z":                 false,
		"short1":                               false,
		"hello world 1234567890":               false,
		"123e4567-e89b-12d3-a456-426614174000": true,
	} {
		if got := credentialLike(v); got != want {
			t.Errorf("credentialLike(%q) = %v, want %v", v, got, want)
		}
	}
}
