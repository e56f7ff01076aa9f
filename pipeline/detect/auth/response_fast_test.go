package auth

import "testing"

func TestEqualLowerASCII(t *testing.T) {
	for _, s := range []string{"", "set-cookie", "Set-Cookie", "SET-COOKIE", "set-cookies", "set_cookie", "Set-Coo\u212aie", "Content-Type", "s\u00e9t-cookie"} {
		if got, want := equalLowerASCII(s, "set-cookie"), lowerASCII(s) == "set-cookie"; got != want {
			t.Errorf("equalLowerASCII(%q) = %v, want %v", s, got, want)
		}
	}
}
