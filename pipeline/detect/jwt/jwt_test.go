package jwt

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	gojwt "github.com/golang-jwt/jwt/v5"
)

var t0 = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)

func sign(t testing.TB, m gojwt.SigningMethod, key any, claims gojwt.MapClaims, hdr map[string]any) string {
	t.Helper()
	tok := gojwt.NewWithClaims(m, claims)
	for k, v := range hdr {
		tok.Header[k] = v
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatalf("sign: %v", err)
	}
	return s
}

func TestParse(t *testing.T) {
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	claims := gojwt.MapClaims{
		"sub": "alice", "client_id": "cli", "azp": "web", "iss": "https://idp",
		"aud": []string{"api", "admin"}, "jti": "j1",
		"exp": t0.Unix() + 3600, "nbf": t0.Unix(), "iat": 1.5e9 + 0.5,
		"roles": []string{"user"},
	}
	tests := []struct {
		name      string
		tok       string
		alg       string
		sigLen    int
		hmac      bool
		secret    string // verifies when non-empty
		notSecret string // does not verify
	}{
		{"HS256", sign(t, gojwt.SigningMethodHS256, []byte("secret"), claims, nil), "HS256", 32, true, "secret", "Secret"},
		{"HS384", sign(t, gojwt.SigningMethodHS384, []byte("k"), claims, nil), "HS384", 48, true, "k", ""},
		{"HS512 long key", sign(t, gojwt.SigningMethodHS512, []byte(strings.Repeat("x", 200)), claims, nil), "HS512", 64, true, strings.Repeat("x", 200), strings.Repeat("x", 199)},
		{"RS256", sign(t, gojwt.SigningMethodRS256, rsaKey, claims, map[string]any{"kid": "k1"}), "RS256", 256, false, "", "secret"},
		{"ES256", sign(t, gojwt.SigningMethodES256, ecKey, claims, nil), "ES256", 64, false, "", "secret"},
		{"none", sign(t, gojwt.SigningMethodNone, gojwt.UnsafeAllowNoneSignatureType, claims, nil), "none", 0, false, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !Looks(tt.tok) {
				t.Errorf("Looks = false")
			}
			tok, err := Parse(tt.tok)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if tok.Header.Alg != tt.alg || len(tok.Signature) != tt.sigLen || tok.IsHMAC() != tt.hmac {
				t.Errorf("alg %q sig %d hmac %v", tok.Header.Alg, len(tok.Signature), tok.IsHMAC())
			}
			if tok.Header.Typ != "JWT" {
				t.Errorf("typ %q", tok.Header.Typ)
			}
			if tok.Subject != "alice" || tok.ClientID != "cli" || tok.AZP != "web" || tok.Issuer != "https://idp" || tok.ID != "j1" {
				t.Errorf("claims %+v", tok)
			}
			if len(tok.Audience) != 2 || tok.Audience[1] != "admin" {
				t.Errorf("aud %q", tok.Audience)
			}
			if !tok.HasExp || !tok.ExpiresAt.Equal(t0.Add(time.Hour)) || !tok.HasNbf || !tok.NotBefore.Equal(t0) {
				t.Errorf("exp %v %v nbf %v %v", tok.HasExp, tok.ExpiresAt, tok.HasNbf, tok.NotBefore)
			}
			if !tok.HasIat || !tok.IssuedAt.Equal(time.Unix(1.5e9, 5e8)) {
				t.Errorf("iat %v", tok.IssuedAt)
			}
			if tok.ClaimsTotal != 10 || string(tok.Claims["roles"]) != `["user"]` {
				t.Errorf("claims %d %s", tok.ClaimsTotal, tok.Claims["roles"])
			}
			if want := tt.tok[:strings.LastIndexByte(tt.tok, '.')]; tok.SigningInput != want {
				t.Errorf("signing input %q", tok.SigningInput)
			}
			if tt.secret != "" && !tok.VerifyHMAC([]byte(tt.secret)) {
				t.Errorf("VerifyHMAC(%q) = false", tt.secret)
			}
			if tok.VerifyHMAC([]byte(tt.notSecret)) {
				t.Errorf("VerifyHMAC(%q) = true", tt.notSecret)
			}
		})
	}
}

func b64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

func TestParseEdges(t *testing.T) {
	good := b64(`{"alg":"HS256","typ":"JWT"}`)
	tests := []struct {
		name string
		tok  string
		err  error
		chk  func(*Token) bool
	}{
		{"stripped signature", good + "." + b64(`{"sub":"a"}`) + ".", nil, func(t *Token) bool { return len(t.Signature) == 0 && !t.IsNone() && t.NewHMACVerifier() == nil }},
		{"None", b64(`{"alg":"None"}`) + "." + b64(`{}`) + ".", nil, func(t *Token) bool { return t.IsNone() && t.ClaimsTotal == 0 }},
		{"padding", b64(`{"alg":"HS256"}`) + "==." + b64(`{"a":1}`) + "=.", nil, func(t *Token) bool { return string(t.Claims["a"]) == "1" }},
		{"no exp", good + "." + b64(`{"sub":"a"}`) + ".c2ln", nil, func(t *Token) bool { return !t.HasExp && string(t.Signature) == "sig" }},
		{"exp string", good + "." + b64(`{"exp":"1700000000"}`) + ".", nil, func(t *Token) bool { return t.HasExp && t.ExpiresAt.Unix() == 1700000000 }},
		{"exp huge", good + "." + b64(`{"exp":1e300}`) + ".", nil, func(t *Token) bool { return t.HasExp && t.ExpiresAt.After(t0) }},
		{"exp bad", good + "." + b64(`{"exp":true,"nbf":null}`) + ".", nil, func(t *Token) bool { return !t.HasExp && !t.HasNbf }},
		{"aud string", good + "." + b64(`{"aud":"x"}`) + ".", nil, func(t *Token) bool { return len(t.Audience) == 1 }},
		{"kid number", b64(`{"alg":"HS256","kid":12}`) + "." + b64(`{}`) + ".", nil, func(t *Token) bool { return t.Header.Kid == "12" }},
		{"jku jwk x5u", b64(`{"alg":"RS256","jku":"http://evil/k","x5u":"http://e/c","jwk":{"kty":"RSA"},"x5c":["a"]}`) + "." + b64(`{}`) + ".", nil,
			func(t *Token) bool {
				return t.Header.JKU == "http://evil/k" && t.Header.X5U == "http://e/c" && string(t.Header.JWK) == `{"kty":"RSA"}` && t.Header.X5C
			}},
		{"one part", good, ErrShape, nil},
		{"two parts", good + "." + good, ErrShape, nil},
		{"JWE", "a.b.c.d.e", ErrShape, nil},
		{"empty header", "." + b64(`{}`) + ".", ErrShape, nil},
		{"bad b64 header", "e!J." + b64(`{}`) + ".", ErrHeader, nil},
		{"header not json", b64("hello") + "." + b64(`{}`) + ".", ErrHeader, nil},
		{"no alg", b64(`{"typ":"JWT"}`) + "." + b64(`{}`) + ".", ErrHeader, nil},
		{"alg not string", b64(`{"alg":1}`) + "." + b64(`{}`) + ".", ErrHeader, nil},
		{"payload array", good + "." + b64(`[1]`) + ".", ErrPayload, nil},
		{"payload trailing", good + "." + b64(`{}{}`) + ".", ErrPayload, nil},
		{"payload cut", good + "." + b64(`{"a":`) + ".", ErrPayload, nil},
		{"bad signature", good + "." + b64(`{}`) + ".a", ErrSignature, nil},
		{"too long", strings.Repeat("a", MaxTokenLen+1), ErrTooLong, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok, err := Parse(tt.tok)
			if !errors.Is(err, tt.err) {
				t.Fatalf("err = %v, want %v", err, tt.err)
			}
			if err == nil && !tt.chk(tok) {
				t.Errorf("unexpected token %+v", tok)
			}
		})
	}
}

func TestClaimsBound(t *testing.T) {
	var b strings.Builder
	b.WriteString("{")
	for i := range MaxClaims + 10 {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString(`"c` + strings.Repeat("x", i) + `":1`)
	}
	b.WriteString(`,"sub":"late"}`)
	tok, err := Parse(b64(`{"alg":"none"}`) + "." + b64(b.String()) + ".")
	if err != nil {
		t.Fatal(err)
	}
	if len(tok.Claims) != MaxClaims || tok.ClaimsTotal != MaxClaims+11 || tok.Subject != "late" {
		t.Errorf("claims %d total %d sub %q", len(tok.Claims), tok.ClaimsTotal, tok.Subject)
	}
}

func TestFind(t *testing.T) {
	tok := b64(`{"alg":"HS256"}`) + "." + b64(`{"sub":"a"}`) + ".c2ln"
	tests := []struct {
		in    string
		start int
	}{
		{tok, 0},
		{"Bearer " + tok, 7},
		{`{"access_token":"` + tok + `","x":1}`, 17},
		{"a=1; session=" + tok + "; b=2", 13},
		{"xeyJ" + tok[3:], -1}, // inside a longer word
		{"eyJhbGc.only", -1},
		{"eyJ eyJ. " + tok + ".", 9},
		{"no token here", -1},
	}
	for _, tt := range tests {
		start, end := Find(tt.in, 0)
		if start != tt.start {
			t.Errorf("Find(%.40q) start = %d, want %d", tt.in, start, tt.start)
			continue
		}
		if start >= 0 && tt.in[start:end] != tok {
			t.Errorf("Find(%.40q) = %q", tt.in, tt.in[start:end])
		}
	}
	if Redact(tok) != tok[:8]+"…" || Redact("short") != "…" {
		t.Errorf("Redact")
	}
}

func FuzzParse(f *testing.F) {
	f.Add(b64(`{"alg":"HS256","typ":"JWT"}`) + "." + b64(`{"sub":"1234567890","name":"John Doe","iat":1516239022}`) + ".SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c")
	f.Add(b64(`{"alg":"none"}`) + "." + b64(`{"exp":"1e99","aud":["a",1,null]}`) + ".")
	f.Add(b64(`{"alg":"RS256","jwk":{"kty":"RSA"},"kid":"../../dev/null"}`) + "." + b64(`{"nbf":-1e308}`) + ".AAAA")
	f.Add("eyJ.eyJ.")
	f.Add("a.b.c.d.e")
	f.Fuzz(func(t *testing.T, s string) {
		tok, err := Parse(s)
		if err == nil {
			if !strings.HasPrefix(s, tok.SigningInput) {
				t.Fatalf("signing input not a prefix")
			}
			if len(tok.Claims) > MaxClaims || len(tok.Audience) > MaxAudience {
				t.Fatalf("bounds")
			}
			tok.VerifyHMAC([]byte("secret"))
		}
		if Looks(s) && len(s) > MaxTokenLen {
			t.Fatalf("Looks accepted an oversized token")
		}
		for from := 0; ; {
			i, j := Find(s, from)
			if i < 0 {
				break
			}
			if !Looks(s[i:j]) || j <= from {
				t.Fatalf("Find returned %d,%d", i, j)
			}
			from = j
		}
	})
}

func BenchmarkParse(b *testing.B) {
	s := sign(b, gojwt.SigningMethodHS256, []byte("secret"), gojwt.MapClaims{"sub": "alice", "exp": t0.Unix(), "iat": t0.Unix(), "scope": "read write"}, nil)
	b.ReportAllocs()
	b.SetBytes(int64(len(s)))
	for b.Loop() {
		if _, err := Parse(s); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkHMACVerifier(b *testing.B) {
	s := sign(b, gojwt.SigningMethodHS256, []byte("secret"), gojwt.MapClaims{"sub": "alice", "exp": t0.Unix()}, nil)
	tok, err := Parse(s)
	if err != nil {
		b.Fatal(err)
	}
	v := tok.NewHMACVerifier()
	key := []byte("not-the-secret")
	b.ReportAllocs()
	for b.Loop() {
		if v.Verify(key) {
			b.Fatal("verified")
		}
	}
}
