package normalize

import (
	"encoding/base64"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestNormalize(t *testing.T) {
	tests := []struct {
		in      string
		decodes int
		text    string
		fold    string
		base64  string
		steps   string
	}{
		{in: "hello", text: "hello", fold: "hello"},
		{in: "Hello World", text: "Hello World", fold: "hello world"},
		{in: "../etc/passwd", decodes: 2, text: "../etc/passwd", fold: "../etc/passwd", steps: "double URL-encoded"},
		{in: "&lt;script&gt;alert(1)&lt;/script&gt;", text: "<script>alert(1)</script>", fold: "<script>alert(1)</script>", steps: "HTML entities"},
		{in: "O&#39;Brien", text: "O'Brien", fold: "o'brien", steps: "HTML entities"},
		{in: `\u003cimg\x3e`, text: "<img>", fold: "<img>", steps: "escapes"},
		{in: `\u{2e}\u{2e}/`, text: "../", fold: "../", steps: "escapes"},
		{in: "%u002e%u002e%u2215", text: "..∕", fold: "..∕", steps: "escapes"},
		{in: "\xc0\xae\xc0\xae\xc0\xafetc", text: "../etc", fold: "../etc", steps: "overlong UTF-8"},
		{in: "%252e%252e%252f", text: "../", fold: "../", steps: "double URL-encoded"},
		{in: "UNION/**/SELECT", text: "UNION/**/SELECT", fold: "union select", steps: "comments"},
		{in: "cat${IFS}/etc/passwd", text: "cat${IFS}/etc/passwd", fold: "cat /etc/passwd", steps: "${IFS}"},
		{in: "cat$IFS$9/etc/passwd", text: "cat$IFS$9/etc/passwd", fold: "cat /etc/passwd", steps: "${IFS}"},
		{in: "a\tb", text: "a\tb", fold: "a b"},
		{in: "Y2F0IC9ldGMvcGFzc3dk", text: "Y2F0IC9ldGMvcGFzc3dk", fold: "y2f0ic9ldgmvcgfzc3dk", base64: "cat /etc/passwd", steps: "base64"},
		{in: "JHtqbmRpOmxkYXA6Ly94fQ==", text: "JHtqbmRpOmxkYXA6Ly94fQ==", fold: "jhtqbmrpomxkyxa6ly94fq==", base64: "${jndi:ldap://x}", steps: "base64"},
		// Binary base64 (an image), hex digests and words stay as they are.
		{in: "iVBORw0KGgoAAAANSUhEUgAAAAEAAAAB", text: "iVBORw0KGgoAAAANSUhEUgAAAAEAAAAB", fold: "ivborw0kggoaaaansuheugaaaaeaaaab"},
		{in: "9f86d081884c7d659a2feaa0c55ad015", text: "9f86d081884c7d659a2feaa0c55ad015", fold: "9f86d081884c7d659a2feaa0c55ad015"},
		{in: "internationalization", text: "internationalization", fold: "internationalization"},
		{in: "100%", text: "100%", fold: "100%"},
		{in: "50%zz", text: "50%zz", fold: "50%zz"},
	}
	for _, tt := range tests {
		v := Normalize(tt.in, tt.decodes, 0)
		if v.Text != tt.text || v.Fold != tt.fold || v.Base64 != tt.base64 || v.Steps.String() != tt.steps {
			t.Errorf("Normalize(%q) = {Text %q, Fold %q, Base64 %q, Steps %q}, want {%q, %q, %q, %q}",
				tt.in, v.Text, v.Fold, v.Base64, v.Steps, tt.text, tt.fold, tt.base64, tt.steps)
		}
	}
}

func TestNormalizeBound(t *testing.T) {
	v := Normalize(strings.Repeat("é", 100), 0, 11)
	if v.Text != strings.Repeat("é", 5) {
		t.Errorf("bounded Text = %q", v.Text)
	}
}

func TestMayChange(t *testing.T) {
	for s, want := range map[string]bool{
		"plain": false, "a b c": false, "a&b": true, `a\b`: true, "50%": true,
		"Y2F0IC9ldGMvcGFzc3dk": true, "short": false, "abcdefghijklmnopqrstuvwxyz": false,
	} {
		if got := MayChange(s); got != want {
			t.Errorf("MayChange(%q) = %v", s, got)
		}
	}
}

func FuzzNormalize(f *testing.F) {
	for _, s := range []string{
		"", "%252e%252e%252f", "&#x27;&lt;", `\u0027\x27\u{27}`, "%u0027", "\xc0\xae\xc0\xaf",
		"/**/", "${IFS}$IFS$9", "Y2F0IC9ldGMvcGFzc3dk", "&amp;amp;lt;", strings.Repeat("&nGt;", 60), `\u{110000}`, "/*",
	} {
		f.Add(s, 0)
	}
	f.Fuzz(func(t *testing.T, s string, decodes int) {
		const max = 256
		v := Normalize(s, decodes, max)
		// A few HTML entities ("&nGt;") decode to more bytes than they
		// take, so the bound is loose.
		if len(v.Text) > 2*max || len(v.Fold) > len(v.Text) || len(v.Base64) > 2*max {
			t.Fatalf("Normalize(%q) grew: Text %d, Fold %d, Base64 %d bytes", s, len(v.Text), len(v.Fold), len(v.Base64))
		}
		for _, form := range v.Forms() {
			for i := 0; i < len(form); i++ {
				if 'A' <= form[i] && form[i] <= 'Z' {
					t.Fatalf("Normalize(%q): form %q not folded", s, form)
				}
			}
		}
	})
}

// FuzzBase64Text checks DecodesToText, which decodes piecewise and stops
// early, against decoding its whole window at once.
func FuzzBase64Text(f *testing.F) {
	for _, s := range []string{
		"aGVsbG8gd29ybGQsIHRoaXMgaXMgdGV4dA==", "dGVzdA", "AAECAwQFBgcICQoLDA0ODw", "w6l0w6kgw6AgUGFyaXM",
		"123e4567-e89b-12d3-a456-426614174000", "eyJhbGciOiJIUzI1NiJ9", "PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !looksBase64(s) {
			return
		}
		raw := strings.TrimRight(s, "=")
		enc := base64.RawStdEncoding
		if strings.ContainsAny(raw, "-_") {
			enc = base64.RawURLEncoding
		}
		raw = raw[:min(len(raw), 64)&^3]
		b, err := enc.DecodeString(raw)
		for i := 0; i < 3 && len(b) > 0 && !utf8.Valid(b); i++ {
			b = b[:len(b)-1]
		}
		want := err == nil && printable(b)
		if got := DecodesToText(s); got != want {
			t.Fatalf("DecodesToText(%q) = %v, want %v", s, got, want)
		}
	})
}
