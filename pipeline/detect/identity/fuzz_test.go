package identity

import (
	"strings"
	"testing"

	"github.com/apisensor/sensor/decoders"
)

// FuzzIdentify feeds hostile forwarding, authorization and cookie values
// and response bodies: Identify and Login must not panic, and what they
// return stays bounded.
func FuzzIdentify(f *testing.F) {
	id, err := New(Config{TrustedProxies: "10.0.0.0/8"})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(`for="[2001:db8::1]:80";by=x, for=unknown`, "1.2.3.4, 10.0.0.1", "Bearer "+jwtOf(`{"sub":"a"}`), "session", "/api/login", `{"error":"x"}`)
	f.Add(`for=`, `,,,`, "Basic %%%", "JSESSIONID", "/x/*/login", `{"success":false}`)
	f.Add(strings.Repeat("for=1.1.1.1,", 100), "[::1]:9", "bearer", "", "/", "{")
	f.Fuzz(func(t *testing.T, fwd, xff, authz, cookieName, path, body string) {
		x := exchange("10.1.1.1", "POST", path, []string{"Forwarded: " + fwd, "X-Forwarded-For: " + xff, "Authorization: " + authz, "User-Agent: " + authz})
		x.Params = append(x.Params, cookie(cookieName, fwd), decoders.Param{Loc: decoders.LocJSON, Name: "password", Value: body})
		respond(x, 200, body)
		c := id.Identify(x)
		if c == nil || len(c.UserAgent) > maxUserAgent || len(c.Subject) > maxSubject || len(c.Auth) > maxScheme {
			t.Fatalf("client %v", c)
		}
		id.Login(x)
	})
}
