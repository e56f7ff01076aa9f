package alert

import (
	"regexp"
	"strings"
	"unicode/utf8"
)

// Redacted replaces a secret value.
const Redacted = "[REDACTED]"

var (
	// A JWT: base64url header (always a JSON object, so "eyJ"), payload and
	// an optional signature.
	jwtRE = regexp.MustCompile(`eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*`)
	// Credentials after an HTTP authentication scheme. At least 8 token
	// characters, so prose like "basic auth" survives. The scheme starts
	// the text or follows a byte that is neither a word's nor '*': a masked
	// card number before it ("****bearer") must read as the digits did, or
	// a second Redact would see a word start the first did not.
	authSchemeRE = regexp.MustCompile(`(?i)(^|[^\w*])(bearer|basic|token)(\s+)[A-Za-z0-9._~+/-]{8,}=*`)
	// key=value, key: value and "key":"value" where the key names a secret.
	// The value is a quoted string or runs to the next delimiter.
	secretKVRE = regexp.MustCompile(`(?i)([\w.-]*(?:passw(?:or)?d|pwd|passphrase|secret|token|api[_-]?key|apikey|private[_-]?key|session[_-]?id|credential)[\w.-]*["']?\s*[=:]\s*)("[^"]*"?|'[^']*'?|[^&;,\s"'<>{}()\[\]]+|\[REDACTED\])`)
)

// sensitiveWords mark a parameter or header name whose whole value is a
// secret.
var sensitiveWords = []string{
	"passw", "pwd", "passphrase", "secret", "token", "apikey", "api_key", "api-key",
	"authorization", "cookie", "session", "credential", "private_key", "private-key",
}

// SensitiveName reports whether a parameter or header named name carries a
// secret (password, token, API key, session cookie, credentials).
func SensitiveName(name string) bool {
	n := strings.ToLower(name)
	for _, w := range sensitiveWords {
		if strings.Contains(n, w) {
			return true
		}
	}
	return false
}

// RedactValue returns the value of the parameter named name as it may leave
// the sensor: Redacted when the name marks a secret, otherwise Redact(value).
func RedactValue(name, value string) string {
	if SensitiveName(name) {
		return Redacted
	}
	return Redact(value)
}

// Redact masks secrets inside s: JWTs, credentials after Bearer/Basic/Token,
// values of secret-named keys (password=…, "api_key":"…"), and payment card
// numbers (Luhn-valid runs of 13 to 19 digits, spaces or dashes allowed
// between digits, whose digits become '*'). Invalid UTF-8 is replaced, so the
// result is always safe to put in a protobuf string. Redact is idempotent.
func Redact(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if strings.Contains(s, "eyJ") {
		s = jwtRE.ReplaceAllLiteralString(s, Redacted)
	}
	authHint, kvHint := secretHints(s)
	if authHint {
		s = authSchemeRE.ReplaceAllString(s, "${1}${2}${3}"+Redacted)
	}
	if kvHint {
		s = secretKVRE.ReplaceAllStringFunc(s, redactKV)
	}
	return maskCards(s)
}

// authWords are the schemes, in lower case, one of which every match of
// authSchemeRE holds; kvWords the key words one of which every match of
// secretKVRE holds (passw stands for passwd and password).
var (
	authWords = []string{"bearer", "basic", "token"}
	kvWords   = []string{"passw", "pwd", "passphrase", "secret", "token", "apikey", "api_key", "api-key",
		"privatekey", "private_key", "private-key", "sessionid", "session_id", "session-id", "credential"}
)

// secretHints reports whether s may hold a match of authSchemeRE and of
// secretKVRE: most evidence values and URLs hold neither, and each
// expression costs a scan of the value (a third of the detectors' time on
// attack-heavy traffic; a URL with a "session=" parameter, which neither
// matches, cost 100,000 instructions an alert). A key needs its '=' or
// ':'. FuzzRedactHint holds Redact to the expressions alone.
func secretHints(s string) (auth, kv bool) {
	// The expressions' (?i) also folds the long s and the Kelvin sign into
	// s and k: let them decide such a value.
	if strings.ContainsAny(s, "\u017f\u212a") {
		return true, true
	}
	l := strings.ToLower(s)
	for _, w := range authWords {
		if strings.Contains(l, w) {
			auth = true
			break
		}
	}
	if strings.ContainsAny(l, "=:") {
		for _, w := range kvWords {
			if strings.Contains(l, w) {
				kv = true
				break
			}
		}
	}
	return auth, kv
}

// redactKV replaces the value part of one secretKVRE match, keeping its
// quotes so JSON-looking text stays JSON-looking.
func redactKV(m string) string {
	sub := secretKVRE.FindStringSubmatch(m)
	if sub == nil {
		return m
	}
	key, val := sub[1], sub[2]
	if val != "" && (val[0] == '"' || val[0] == '\'') {
		q := val[:1]
		if len(val) >= 2 && val[len(val)-1] == val[0] {
			return key + q + Redacted + q
		}
		return key + q + Redacted
	}
	return key + Redacted
}

// maskCards replaces the digits of card-number-like runs with '*'. Masked
// digits split a long run, and what is left of it on either side is a run
// to read again, as a second call would: a second pass reaches what a third
// would (a run left unmasked by it was read whole, or its unseparated
// segments were, by the first), so Redact is idempotent.
func maskCards(s string) string {
	if t := maskCardsOnce(s); t != s {
		return maskCardsOnce(t)
	}
	return s
}

// maskCardsOnce is one pass of maskCards.
func maskCardsOnce(s string) string {
	var b []byte // allocated on the first card found
	for i := 0; i < len(s); {
		if !isDigit(s[i]) {
			i++
			continue
		}
		end, digits := digitRun(s, i)
		if digits >= 13 && digits <= 19 && luhn(s[i:end]) {
			b = maskRange(b, s, i, end)
		} else if digits > 19 {
			// A long run may hold a card next to other numbers: check
			// each unseparated segment on its own.
			for j := i; j < end; {
				if !isDigit(s[j]) {
					j++
					continue
				}
				k := j
				for k < end && isDigit(s[k]) {
					k++
				}
				if n := k - j; n >= 13 && n <= 19 && luhn(s[j:k]) {
					b = maskRange(b, s, j, k)
				}
				j = k
			}
		}
		i = end
	}
	if b == nil {
		return s
	}
	return string(b)
}

// digitRun returns the end of the run of digits starting at i, where single
// spaces or dashes may separate digits, and how many digits it holds.
func digitRun(s string, i int) (end, digits int) {
	end = i
	for j := i; j < len(s); {
		if isDigit(s[j]) {
			digits++
			j++
			end = j
			continue
		}
		if (s[j] == ' ' || s[j] == '-') && j+1 < len(s) && isDigit(s[j+1]) {
			j++
			continue
		}
		break
	}
	return end, digits
}

func maskRange(b []byte, s string, from, to int) []byte {
	if b == nil {
		b = []byte(s)
	}
	for i := from; i < to; i++ {
		if isDigit(b[i]) {
			b[i] = '*'
		}
	}
	return b
}

// luhn reports whether the digits of s (separators ignored) pass the Luhn
// check.
func luhn(s string) bool {
	sum, double := 0, false
	for i := len(s) - 1; i >= 0; i-- {
		c := s[i]
		if !isDigit(c) {
			continue
		}
		d := int(c - '0')
		if double {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	return sum%10 == 0
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// Snippet bounds s to at most max bytes for an alert, cutting on a rune
// boundary and marking the cut with "…" (counted in max). Invalid UTF-8 is
// replaced, so the result is always safe to put in a protobuf string.
func Snippet(s string, max int) string {
	if max <= 0 {
		return ""
	}
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	if len(s) <= max {
		return s
	}
	const ellipsis = "…"
	cut, tail := max-len(ellipsis), ellipsis
	if cut < 0 {
		cut, tail = max, ""
	}
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + tail
}
