package identity

import (
	"strings"
	"testing"
)

// TestHashCache checks that cached hashes equal computed ones, for every
// kind, both lengths, repeated and over-long values.
func TestHashCache(t *testing.T) {
	id, err := New(Config{HashKey: "k"})
	if err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("x", maxCachedValue+1)
	kinds := []string{KindAPIKey, KindToken, KindSession, KindUsername, KindPassword, KindObject}
	for _, v := range []string{"", "abc", "eyJhbGciOiJIUzI1NiJ9.e30.sig", long} {
		for _, kind := range kinds {
			for range 2 { // the second round hits the cache
				if got, want := id.Hash(kind, v), id.hmac(kind, v, 8); got != want {
					t.Errorf("Hash(%s, %.10q) = %s, want %s", kind, v, got, want)
				}
				if got, want := id.ShortHash(kind, v), id.hmac(kind, v, 4); got != want {
					t.Errorf("ShortHash(%s, %.10q) = %s, want %s", kind, v, got, want)
				}
			}
		}
	}
	// Kinds stay separate for the same value.
	if id.Hash(KindToken, "abc") == id.Hash(KindSession, "abc") {
		t.Error("token and session hashes of one value are equal")
	}
}
