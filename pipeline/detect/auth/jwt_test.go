package auth

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/hex"
	"slices"
	"strings"
	"testing"

	gojwt "github.com/golang-jwt/jwt/v5"

	"github.com/apisensor/sensor/pipeline/alert"
	"github.com/apisensor/sensor/pipeline/detect/jwt"
)

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

func strongSecret(t testing.TB) []byte {
	k := make([]byte, 32)
	if _, err := rand.Read(k); err != nil {
		t.Fatal(err)
	}
	return []byte(hex.EncodeToString(k))
}

// valid are claims a verifier accepts at t0.
func valid() gojwt.MapClaims {
	return gojwt.MapClaims{"sub": "alice", "iss": "https://idp.example.com", "iat": t0.Unix() - 60, "exp": t0.Unix() + 3600}
}

func with(c gojwt.MapClaims, kv ...any) gojwt.MapClaims {
	for i := 0; i < len(kv); i += 2 {
		if kv[i+1] == nil {
			delete(c, kv[i].(string))
		} else {
			c[kv[i].(string)] = kv[i+1]
		}
	}
	return c
}

func TestJWT(t *testing.T) {
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	strong := strongSecret(t)
	hs := func(claims gojwt.MapClaims, hdr map[string]any) string {
		return sign(t, gojwt.SigningMethodHS256, strong, claims, hdr)
	}
	weakTok := sign(t, gojwt.SigningMethodHS256, []byte("secret"), valid(), nil)
	stripped := weakTok[:strings.LastIndexByte(weakTok, '.')+1]
	noneTok := sign(t, gojwt.SigningMethodNone, gojwt.UnsafeAllowNoneSignatureType, valid(), nil)
	upperNone := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"NONE","typ":"JWT"}`)) + noneTok[strings.IndexByte(noneTok, '.'):]

	tests := []struct {
		name     string
		r        req
		tok      string
		want     []string
		severity alert.Severity // of the first alert, when set
		outcome  alert.Outcome  // of the first alert, when set
		matched  string         // substring of the first alert's first evidence
	}{
		{"alg none", req{uri: "/api/me", headers: []string{"Authorization: Bearer " + noneTok}}, noneTok,
			[]string{"jwt-alg-none"}, alert.Severity_SEVERITY_CRITICAL, alert.Outcome_OUTCOME_ATTEMPTED, `alg "none"`},
		{"alg NONE accepted", req{uri: "/api/me", headers: []string{"Authorization: Bearer " + upperNone}, status: 200}, upperNone,
			[]string{"jwt-alg-none"}, alert.Severity_SEVERITY_CRITICAL, alert.Outcome_OUTCOME_LIKELY_SUCCESSFUL, `alg "NONE"`},
		{"weak secret", req{uri: "/api/me", headers: []string{"Authorization: Bearer " + weakTok}}, weakTok,
			[]string{"jwt-weak-secret"}, alert.Severity_SEVERITY_CRITICAL, alert.Outcome_OUTCOME_UNSPECIFIED, "HS256 key is weak-secrets.txt line 6"},
		{"strong secret", req{uri: "/api/me", headers: []string{"Authorization: Bearer " + hs(valid(), nil)}}, "", nil, 0, 0, ""},
		{"RS256", req{uri: "/api/me", headers: []string{"Authorization: Bearer " + sign(t, gojwt.SigningMethodRS256, rsaKey, valid(), map[string]any{"kid": "2024-01"})}}, "", nil, 0, 0, ""},
		{"ES256 in cookie", req{uri: "/", headers: []string{"Cookie: theme=dark; id_token=" + sign(t, gojwt.SigningMethodES256, ecKey, valid(), nil)}}, "", nil, 0, 0, ""},
		{"stripped signature refused", req{uri: "/api/me", headers: []string{"Authorization: Bearer " + stripped}, status: 401}, stripped,
			[]string{"jwt-signature-stripped"}, alert.Severity_SEVERITY_HIGH, alert.Outcome_OUTCOME_BLOCKED, `alg "HS256", empty signature`},
		{"expired", req{uri: "/api/me", headers: []string{"Authorization: Bearer " + hs(with(valid(), "exp", t0.Unix()-7200), nil)}, status: 401}, "",
			[]string{"jwt-expired"}, alert.Severity_SEVERITY_LOW, alert.Outcome_OUTCOME_BLOCKED, "exp 2026-11-27T10:00:00Z, 2h0m0s before the request"},
		{"expired accepted", req{uri: "/api/me", headers: []string{"Authorization: Bearer " + hs(with(valid(), "exp", t0.Unix()-1), nil)}, status: 200}, "",
			[]string{"jwt-expired"}, alert.Severity_SEVERITY_MEDIUM, alert.Outcome_OUTCOME_LIKELY_SUCCESSFUL, "1s before"},
		{"exp at request time", req{uri: "/api/me", headers: []string{"Authorization: Bearer " + hs(with(valid(), "exp", t0.Unix()), nil)}}, "", nil, 0, 0, ""},
		{"nbf future", req{uri: "/api/me", headers: []string{"Authorization: Bearer " + hs(with(valid(), "nbf", t0.Unix()+3600), nil)}}, "",
			[]string{"jwt-not-yet-valid"}, alert.Severity_SEVERITY_LOW, alert.Outcome_OUTCOME_ATTEMPTED, "nbf 2026-11-27T13:00:00Z, 1h0m0s after"},
		{"nbf within skew", req{uri: "/api/me", headers: []string{"Authorization: Bearer " + hs(with(valid(), "nbf", t0.Unix()+30), nil)}}, "", nil, 0, 0, ""},
		{"no exp", req{uri: "/api/me", headers: []string{"Authorization: Bearer " + hs(with(valid(), "exp", nil), nil)}}, "",
			[]string{"jwt-no-exp"}, alert.Severity_SEVERITY_LOW, alert.Outcome_OUTCOME_UNSPECIFIED, "no exp claim"},
		{"foreign jku", req{uri: "/api/me", headers: []string{"Host: api.example.com", "Authorization: Bearer " + sign(t, gojwt.SigningMethodRS256, rsaKey, valid(), map[string]any{"jku": "https://attacker.test/jwks.json"})}}, "",
			[]string{"jwt-header-key-injection"}, alert.Severity_SEVERITY_HIGH, alert.Outcome_OUTCOME_ATTEMPTED, `jku "https://attacker.test/jwks.json"`},
		{"issuer jku", req{uri: "/api/me", headers: []string{"Host: api.example.com", "Authorization: Bearer " + sign(t, gojwt.SigningMethodRS256, rsaKey, valid(), map[string]any{"jku": "https://idp.example.com/jwks.json"})}}, "", nil, 0, 0, ""},
		{"embedded jwk", req{uri: "/api/me", headers: []string{"Authorization: Bearer " + sign(t, gojwt.SigningMethodRS256, rsaKey, valid(), map[string]any{"jwk": map[string]any{"kty": "RSA", "e": "AQAB", "n": "xyz"}})}}, "",
			[]string{"jwt-header-key-injection"}, alert.Severity_SEVERITY_HIGH, 0, "embedded jwk"},
		{"DPoP proof", req{uri: "/api/me", headers: []string{"DPoP: " + sign(t, gojwt.SigningMethodES256, ecKey, with(valid(), "exp", nil, "jti", "j1"), map[string]any{"typ": "dpop+jwt", "jwk": map[string]any{"kty": "EC"}})}}, "", nil, 0, 0, ""},
		{"expired long ago", req{uri: "/api/me", headers: []string{"Authorization: Bearer " + hs(with(valid(), "exp", t0.Unix()-30*86400-5), nil)}}, "",
			[]string{"jwt-expired"}, 0, alert.Outcome_OUTCOME_ATTEMPTED, "exp 2026-10-28T11:59:55Z, 30 days before the request"},
		{"kid traversal", req{uri: "/api/me", headers: []string{"Authorization: Bearer " + hs(valid(), map[string]any{"kid": "../../../../dev/null"})}}, "",
			[]string{"jwt-kid-injection"}, alert.Severity_SEVERITY_HIGH, 0, "(path traversal)"},
		{"kid sql", req{uri: "/api/me", headers: []string{"Authorization: Bearer " + hs(valid(), map[string]any{"kid": "x' UNION SELECT 'key"})}}, "",
			[]string{"jwt-kid-injection"}, alert.Severity_SEVERITY_HIGH, 0, "(SQL injection)"},
		{"kid uuid", req{uri: "/api/me", headers: []string{"Authorization: Bearer " + hs(valid(), map[string]any{"kid": "123e4567-e89b-12d3-a456-426614174000"})}}, "", nil, 0, 0, ""},
		{"query access_token", req{uri: "/api/me?access_token=" + noneTok}, noneTok, []string{"jwt-alg-none"}, 0, 0, ""},
		{"json field", req{method: "POST", uri: "/api/introspect", headers: []string{"Content-Type: application/json"}, body: `{"token":"` + weakTok + `"}`}, weakTok, []string{"jwt-weak-secret"}, 0, 0, ""},
		{"x header", req{uri: "/api/me", headers: []string{"X-Auth-Token: " + weakTok}}, weakTok, []string{"jwt-weak-secret"}, 0, 0, ""},
		{"several findings", req{uri: "/api/me", headers: []string{"Authorization: Bearer " + sign(t, gojwt.SigningMethodHS256, []byte("your-256-bit-secret"), with(valid(), "exp", nil), nil)}}, "",
			[]string{"jwt-weak-secret", "jwt-no-exp"}, 0, 0, "line 7"},
		{"not a JWT", req{uri: "/api/me", headers: []string{"Authorization: Bearer eyJub3QiOiJqd3QifQ.bm90IGpzb24.xx"}}, "", nil, 0, 0, ""},
		{"basic auth", req{uri: "/api/me", headers: []string{"Authorization: Basic YWxpY2U6cHc="}}, "", nil, 0, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// A detector per case: weaknesses of a token are reported
			// once per token (TestJWTOncePerToken), and cases share tokens.
			ds := detectors(t, "jwt")
			as := inspect(ds, exchange(tt.r))
			if got := rules(as); !slices.Equal(got, tt.want) {
				t.Fatalf("rules %q, want %q:%s", got, tt.want, describe(as))
			}
			noLeak(t, as, tt.tok)
			if len(as) == 0 {
				return
			}
			a := as[0]
			if a.Detector != "jwt" || a.Category != "broken-authentication" || !slices.Equal(a.Owasp, []string{"API2:2023", "A07:2021"}) {
				t.Errorf("alert facts %s %s %v", a.Detector, a.Category, a.Owasp)
			}
			if tt.severity != 0 && a.Severity != tt.severity {
				t.Errorf("severity %v, want %v", a.Severity, tt.severity)
			}
			if tt.outcome != 0 && a.Outcome != tt.outcome {
				t.Errorf("outcome %v, want %v", a.Outcome, tt.outcome)
			}
			e := a.Evidence[0]
			if !strings.HasSuffix(e.Value, "…") || len(e.Value) != 8+len("…") {
				t.Errorf("evidence value %q is not a redacted token", e.Value)
			}
			if !strings.Contains(e.Matched, tt.matched) {
				t.Errorf("matched %q, want it to hold %q", e.Matched, tt.matched)
			}
		})
	}
}

func TestJWTEvidence(t *testing.T) {
	tok := sign(t, gojwt.SigningMethodHS256, []byte("changeme"), valid(), nil)
	x := exchange(req{uri: "/api/me", headers: []string{"Authorization: Bearer " + tok, "Cookie: session=" + tok}})
	as := inspect(detectors(t, "jwt"), x)
	if len(as) != 1 {
		t.Fatalf("got:%s", describe(as))
	}
	var got []string
	for _, e := range as[0].Evidence {
		got = append(got, e.Location+"|"+e.Name+"|"+e.Value)
	}
	want := []string{"header|authorization|" + tok[:8] + "…", "cookie|session|" + tok[:8] + "…"}
	if !slices.Equal(got, want) {
		t.Errorf("evidence %q, want %q", got, want)
	}
	if as[0].Summary != "JWT signed with a known weak secret in header authorization" {
		t.Errorf("summary %q", as[0].Summary)
	}
}

// TestJWTOncePerToken checks that a weakness of the token itself (no exp,
// weak secret) is reported on the first request that carries it, not on
// every request, while a use of an expired token is reported each time.
func TestJWTOncePerToken(t *testing.T) {
	ds := detectors(t, "jwt")
	noExp := sign(t, gojwt.SigningMethodHS256, strongSecret(t), gojwt.MapClaims{"sub": "svc"}, nil)
	weak := sign(t, gojwt.SigningMethodHS256, []byte("secret"), valid(), nil)
	expired := sign(t, gojwt.SigningMethodHS256, strongSecret(t), gojwt.MapClaims{"sub": "u", "exp": 1000}, nil)
	for _, tc := range []struct {
		tok  string
		want []string // rules on the first, second and third request
	}{
		{noExp, []string{"jwt-no-exp", "", ""}},
		{weak, []string{"jwt-weak-secret", "", ""}},
		{expired, []string{"jwt-expired", "jwt-expired", "jwt-expired"}},
	} {
		for i, want := range tc.want {
			got := rules(inspect(ds, exchange(req{uri: "/api/me", headers: []string{"Authorization: Bearer " + tc.tok}, status: 200})))
			if strings.Join(got, ",") != want {
				t.Errorf("request %d: rules %q, want %q", i+1, got, want)
			}
		}
	}
}

// TestJWTCache checks that a token re-used on every request is parsed and
// tried against the secrets once.
func TestJWTCache(t *testing.T) {
	ds := detectors(t, "jwt")
	d := ds[0].(*Detector)
	tok := sign(t, gojwt.SigningMethodHS256, strongSecret(t), valid(), nil)
	for range 5 {
		if as := inspect(ds, exchange(req{uri: "/api/me", headers: []string{"Authorization: Bearer " + tok}})); len(as) != 0 {
			t.Fatalf("strong token raised:%s", describe(as))
		}
	}
	st := d.Stats()
	n := uint64(len(weakSecrets().secrets))
	if st.Tokens != 5 || st.Analysed != 1 || st.SecretsTried != n {
		t.Errorf("stats %+v, want 5 tokens, 1 analysed, %d secrets tried", st, n)
	}
	if n < 300 || n > maxSecrets {
		t.Errorf("%d weak secrets", n)
	}
}

// TestWeakSecretsFile checks every listed secret is found, at its line.
func TestWeakSecretsFile(t *testing.T) {
	l := weakSecrets()
	lines := strings.Split(weakSecretsText, "\n")
	c := newJWTCheck(detectConfig(), 16)
	seen := map[string]bool{}
	for i, s := range l.secrets {
		if lines[l.lines[i]-1] != string(s) {
			t.Fatalf("secret %d: line %d is %q", i, l.lines[i], lines[l.lines[i]-1])
		}
		if seen[string(s)] {
			t.Errorf("secret on line %d listed twice", l.lines[i])
		}
		seen[string(s)] = true
		if i%50 != 0 {
			continue
		}
		tok := sign(t, gojwt.SigningMethodHS512, s, valid(), nil)
		if v := c.analyse(tok); v.weakLine != l.lines[i] {
			t.Errorf("secret on line %d: verdict line %d", l.lines[i], v.weakLine)
		}
	}
}

func TestKidProblem(t *testing.T) {
	for kid, want := range map[string]string{
		"": "", "key-1": "", "a1b2c3": "", "https://idp.example.com/keys/1": "", "2024-01-01": "",
		"../../etc/passwd": "path traversal", "/dev/null": "path traversal", `..\..\key`: "path traversal",
		"1' or '1'='1": "SQL injection", "k; drop table keys": "SQL injection", "x--": "SQL injection",
		"k|id": "command injection", "$(id)": "command injection",
	} {
		if got := kidProblem(kid); got != want {
			t.Errorf("kidProblem(%q) = %q, want %q", kid, got, want)
		}
	}
}

// The three per-exchange costs of the "jwt" detector.
func BenchmarkJWT(b *testing.B) {
	strong := strongSecret(b)
	tok := sign(b, gojwt.SigningMethodHS256, strong, valid(), nil)
	plain := req{uri: "/api/orders?page=2&limit=50", headers: []string{
		"Host: api.example.com", "User-Agent: curl/8.5.0", "Accept: application/json", "Cookie: theme=dark; lang=en",
	}}
	withTok := plain
	withTok.headers = append(slices.Clone(plain.headers), "Authorization: Bearer "+tok)
	for _, bc := range []struct {
		name  string
		r     req
		purge bool
	}{
		{"no-jwt", plain, false},
		{"jwt-cached", withTok, false},
		{"jwt-first-seen", withTok, true},
	} {
		b.Run(bc.name, func(b *testing.B) {
			ds := detectors(b, "jwt")
			c := ds[0].(*Detector).checks[0].(*jwtCheck)
			x := exchange(bc.r)
			var out []*alert.Alert
			b.ReportAllocs()
			for b.Loop() {
				if bc.purge {
					c.cache.Purge()
				}
				out = ds[0].Inspect(x, out[:0])
			}
			if len(out) != 0 {
				b.Fatalf("raised:%s", describe(out))
			}
		})
	}
}

// BenchmarkWeakSecretCheck is the bounded per-token cost: every listed
// secret tried on a token signed with none of them.
func BenchmarkWeakSecretCheck(b *testing.B) {
	tok, err := jwt.Parse(sign(b, gojwt.SigningMethodHS256, strongSecret(b), valid(), nil))
	if err != nil {
		b.Fatal(err)
	}
	l := weakSecrets()
	v := tok.NewHMACVerifier()
	b.ReportAllocs()
	for b.Loop() {
		for _, s := range l.secrets {
			if v.Verify(s) {
				b.Fatal("verified")
			}
		}
	}
	b.ReportMetric(float64(len(l.secrets)), "secrets/op")
}
