package identity

import (
	"testing"

	"github.com/apisensor/sensor/decoders"
)

// BenchmarkIdentify measures one typical API request: a bearer JWT, a user
// agent, a session cookie and an API key header behind a trusted proxy.
func BenchmarkIdentify(b *testing.B) {
	id, err := New(Config{TrustedProxies: NewList("10.1.0.0/16")})
	if err != nil {
		b.Fatal(err)
	}
	tok := jwtOf(`{"sub":"user-42","iat":1700000000,"exp":1700003600,"scope":"read write","iss":"https://issuer.example"}`)
	x := exchange("10.1.0.9", "GET", "/api/v1/orders/42?page=2",
		[]string{"Host: api.example.com", "User-Agent: Mozilla/5.0 (X11; Linux x86_64)", "Accept: application/json",
			"Authorization: Bearer " + tok, "X-Forwarded-For: 198.51.100.1, 10.1.0.3", "X-API-Key: k-123456",
			"Accept-Encoding: gzip", "Cookie: session=abc; theme=dark"},
		decoders.Param{Loc: decoders.LocPath, Name: "0", Value: "api"},
		q("page", "2"), cookie("session", "abc"), cookie("theme", "dark"))
	b.ReportAllocs()
	for b.Loop() {
		id.Identify(x)
	}
}

// BenchmarkLogin measures a JSON login with its response.
func BenchmarkLogin(b *testing.B) {
	id := defaultIdentifier()
	x := respond(exchange("203.0.113.9", "POST", "/api/v1/auth/login", nil, jsonp("email", "a@b.c"), jsonp("password", "pw")), 401, `{"error":"invalid credentials"}`)
	b.ReportAllocs()
	for b.Loop() {
		id.Login(x)
	}
}
