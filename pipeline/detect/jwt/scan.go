package jwt

import "strings"

// Redact shortens a token for evidence: its first 8 bytes and an ellipsis.
// A token is a credential; an alert never carries one whole.
func Redact(token string) string {
	if len(token) <= 8 {
		return "…"
	}
	return token[:8] + "…"
}

// Looks reports whether s has the shape of a compact JWS carrying a JSON
// header: "eyJ" (base64url of `{"`), then base64url characters with exactly
// two dots and non-empty header and payload. It is the cheap test to run
// before Parse on values that are usually not tokens.
func Looks(s string) bool {
	if len(s) < MinLen || len(s) > MaxTokenLen || !strings.HasPrefix(s, "eyJ") {
		return false
	}
	dots, last := 0, -1
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '.':
			if i == last+1 && dots < 2 {
				return false // empty header or payload
			}
			dots++
			last = i
		case isB64URL(c), c == '=':
		default:
			return false
		}
	}
	return dots == 2
}

// Find returns the first JWT-shaped run in s at or after from, as byte
// offsets [start, end), or (-1, -1). A run starts at "eyJ" not preceded by a
// base64url character and extends over base64url characters and dots; it
// qualifies when Looks accepts it. Find is for free text (bodies, cookie
// headers): values that are a whole token can go to Looks directly.
func Find(s string, from int) (start, end int) {
	for from >= 0 && from < len(s) {
		i := strings.Index(s[from:], "eyJ")
		if i < 0 {
			break
		}
		i += from
		j := i
		for j < len(s) && (isB64URL(s[j]) || s[j] == '.' || s[j] == '=') {
			j++
		}
		if i == 0 || !isB64URL(s[i-1]) {
			tok := strings.TrimRight(s[i:j], ".")
			if Looks(tok) {
				return i, i + len(tok)
			}
		}
		from = i + 3
	}
	return -1, -1
}

func isB64URL(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_'
}
