package auth

import (
	"strings"
	"testing"
)

func TestEqualLowerASCII(t *testing.T) {
	for _, s := range []string{"", "set-cookie", "Set-Cookie", "SET-COOKIE", "set-cookies", "set_cookie", "Set-Coo\u212aie", "Content-Type", "s\u00e9t-cookie"} {
		if got, want := equalLowerASCII(s, "set-cookie"), lowerASCII(s) == "set-cookie"; got != want {
			t.Errorf("equalLowerASCII(%q) = %v, want %v", s, got, want)
		}
	}
}

// authEndpointRef is authEndpoint as first written.
func authEndpointRef(path string) bool {
	p := lowerASCII(path)
	for _, w := range authWords {
		if strings.Contains(p, w) {
			return true
		}
	}
	return false
}

var authPathSeeds = []string{"", "/", "/api/v1/users/42", "/LOGIN", "/api/Auth/x", "/oauth2/token", "/to\u212aen", "/TO\u212aEN",
	"/.Well-Known/openid", "/sign-in", "/Sign_In", "/session", "/ses", "/jwt", "/callbacks", "/register", "/t"}

func TestAuthEndpoint(t *testing.T) {
	for _, p := range authPathSeeds {
		if got, want := authEndpoint(p), authEndpointRef(p); got != want {
			t.Errorf("authEndpoint(%q) = %v, want %v", p, got, want)
		}
	}
}

func FuzzAuthEndpoint(f *testing.F) {
	for _, p := range authPathSeeds {
		f.Add(p)
	}
	f.Fuzz(func(t *testing.T, p string) {
		if got, want := authEndpoint(p), authEndpointRef(p); got != want {
			t.Errorf("authEndpoint(%q) = %v, want %v", p, got, want)
		}
		if got, want := equalLowerASCII(p, "set-cookie"), lowerASCII(p) == "set-cookie"; got != want {
			t.Errorf("equalLowerASCII(%q) = %v, want %v", p, got, want)
		}
	})
}
