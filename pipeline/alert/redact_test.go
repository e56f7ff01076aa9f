package alert

import (
	"strings"
	"testing"
	"unicode/utf8"
)

const testJWT = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"

func TestRedact(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"plain", "hello world", "hello world"},
		{"sqli payload kept", "1' OR '1'='1", "1' OR '1'='1"},
		{"bearer", "Bearer abcdefgh12345678", "Bearer [REDACTED]"},
		{"basic", "Basic dXNlcjpwYXNzd29yZA==", "Basic [REDACTED]"},
		{"basic prose kept", "basic auth", "basic auth"},
		{"jwt", "t=" + testJWT + " end", "t=[REDACTED] end"},
		{"bearer jwt", "Bearer " + testJWT, "Bearer [REDACTED]"},
		{"password form", "user=bob&password=hunter2&x=1", "user=bob&password=[REDACTED]&x=1"},
		{"passwd colon", "passwd: s3cr3t", "passwd: [REDACTED]"},
		{"json quoted", `{"user":"bob","password":"two words"}`, `{"user":"bob","password":"[REDACTED]"}`},
		{"json api key", `{"api_key": 'k-123'}`, `{"api_key": '[REDACTED]'}`},
		{"access token", "access_token=abc.def", "access_token=[REDACTED]"},
		{"prefixed key", "db_password=x", "db_password=[REDACTED]"},
		{"unterminated quote", `password="abc`, `password="[REDACTED]`},
		{"card", "cc=4111111111111111", "cc=****************"},
		{"card spaced", "card 4111 1111 1111 1111 ok", "card **** **** **** **** ok"},
		{"card dashed", "5500-0000-0000-0004", "****-****-****-****"},
		{"card in long run", "4111111111111111 1234 5678", "**************** 1234 5678"},
		{"not luhn", "4111111111111112", "4111111111111112"},
		{"too short", "411111111111", "411111111111"},
		{"date kept", "2024-01-02 12:30:45", "2024-01-02 12:30:45"},
		{"phone kept", "+1 555-123-4567", "+1 555-123-4567"},
		{"invalid utf8", "a\xffb", "a\uFFFDb"},
		{"already redacted", "password=[REDACTED]", "password=[REDACTED]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Redact(tt.in); got != tt.want {
				t.Errorf("Redact(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestRedactValue(t *testing.T) {
	tests := []struct{ name, value, want string }{
		{"Authorization", "Bearer x", Redacted},
		{"user.password", "' OR 1=1--", Redacted},
		{"X-Api-Key", "abc", Redacted},
		{"session_id", "abc", Redacted},
		{"id", "1' OR '1'='1", "1' OR '1'='1"},
		{"q", "card 4111111111111111", "card ****************"},
	}
	for _, tt := range tests {
		if got := RedactValue(tt.name, tt.value); got != tt.want {
			t.Errorf("RedactValue(%q, %q) = %q, want %q", tt.name, tt.value, got, tt.want)
		}
	}
}

func TestSnippet(t *testing.T) {
	tests := []struct {
		in   string
		max  int
		want string
	}{
		{"short", 10, "short"},
		{"exactly10!", 10, "exactly10!"},
		{"0123456789abc", 10, "0123456…"},
		{"ééééé", 8, "éé…"},   // 2-byte runes; 8-3=5 bytes → 2 runes
		{"日本語テキスト", 9, "日本…"}, // 3-byte runes; 9-3=6 bytes → 2 runes
		{"abcdef", 2, "ab"},
		{"日本", 2, ""},
		{"abc", 0, ""},
		{"a\xffb", 10, "a\uFFFDb"},
	}
	for _, tt := range tests {
		got := Snippet(tt.in, tt.max)
		if got != tt.want {
			t.Errorf("Snippet(%q, %d) = %q, want %q", tt.in, tt.max, got, tt.want)
		}
		if len(got) > tt.max {
			t.Errorf("Snippet(%q, %d) is %d bytes", tt.in, tt.max, len(got))
		}
	}
}

func FuzzRedact(f *testing.F) {
	for _, s := range []string{
		"", "password=hunter2", `{"token":"abc"}`, "Bearer abcdefghijkl", testJWT,
		"4111 1111 1111 1111", "4111111111111111 1234 5678 9012", "password=bearer abcdefghijk",
		"api_key='x", "a\xffb", "1' OR '1'='1", "<script>alert(1)</script>",
		// A card masked in a long run leaves a run that is one too.
		"0 000000000000 0000000000000",
		// A card masked before a scheme must not make it a word's start.
		"4111111111111111bearer abcdefghij",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r := Redact(s)
		if !utf8.ValidString(r) {
			t.Fatalf("Redact(%q) = %q: invalid UTF-8", s, r)
		}
		if again := Redact(r); again != r {
			t.Fatalf("not idempotent: %q → %q → %q", s, r, again)
		}
		if strings.Contains(r, testJWT) {
			t.Fatalf("JWT survived in %q", r)
		}
		n := Snippet(r, 32)
		if len(n) > 32 || !utf8.ValidString(n) {
			t.Fatalf("Snippet(%q) = %q", r, n)
		}
	})
}

func BenchmarkRedact(b *testing.B) {
	in := "id=42&q=select name from users&password=hunter2&card=4111111111111111"
	b.ReportAllocs()
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		_ = Redact(in)
	}
}

// redactSlow is Redact without the secretHints shortcut.
func redactSlow(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if strings.Contains(s, "eyJ") {
		s = jwtRE.ReplaceAllLiteralString(s, Redacted)
	}
	s = authSchemeRE.ReplaceAllString(s, "${1}${2}${3}"+Redacted)
	s = secretKVRE.ReplaceAllStringFunc(s, redactKV)
	return maskCards(s)
}

func FuzzRedactHint(f *testing.F) {
	for _, s := range []string{"password=hunter2", "Authorization: Bearer abcdefgh12345", `{"API_KEY":"x"}`, "1' OR '1'='1", "SESSIONID=abc", "PASSWD:x", "/api/v1/users?X-Api-Key=abc", "apikey:1", "K\u212aey", "pa\u017f\u017fword=hunter2", "\u212aEY", "to\u212aen=abc", "/api/v1/search?q=x&session=abc123", "SESSION-ID: abc", "token abcdefgh12", "x privateKey=abc", "api-key:\"x\""} {
		f.Add(s)
	}
	for _, s := range []string{"pa\u017f\u017fword=hunter2", "to\u212aen=abcdefgh"} {
		if got, want := Redact(s), redactSlow(s); got != want {
			f.Errorf("Redact(%q) = %q, want %q", s, got, want)
		}
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := Redact(s), redactSlow(s); got != want {
			t.Fatalf("Redact(%q) = %q, want %q", s, got, want)
		}
	})
}

func BenchmarkRedactAttack(b *testing.B) {
	in := `1' UNION SELECT name, email FROM users WHERE id=1 AND SLEEP(5)-- <script>alert(1)</script>`
	b.ReportAllocs()
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		_ = Redact(in)
	}
}

// BenchmarkRedactURL is an alert's URL with a parameter named "session",
// which names no secret the expressions redact (the whole value goes when
// the parameter is reported: RedactValue).
func BenchmarkRedactURL(b *testing.B) {
	in := "/api/v1/search?q=wireless+headphones+under+100&page=2&sort=price&session=6f1c2a9e0b7d4c3f8a5e&fields=id,name,price"
	b.ReportAllocs()
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		_ = Redact(in)
	}
}
