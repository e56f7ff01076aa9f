package auth

import (
	"bufio"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/apisensor/sensor/pipeline/alert"
)

// Tokens in the formats the scanner knows, built here so that no
// token-shaped string sits in the repository for secret scanners to trip on.
var (
	ghToken     = "ghp_" + strings.Repeat("aB3d", 9)
	slackToken  = "xoxb-" + "123456789012-1234567890123-" + strings.Repeat("Ab1", 8)
	stripeToken = "sk_live_" + strings.Repeat("4eC39HqLyjWD", 2)
	googleKey   = "AIza" + "SyA1234567890abcdefghijklmnopqrstuv"
)

// response runs secrets-in-response on one exchange with the given
// response.
func response(t testing.TB, path, ctype, body string, respHeaders ...string) []*alert.Alert {
	t.Helper()
	if ctype != "" {
		respHeaders = append(respHeaders, "Content-Type: "+ctype)
	}
	return inspect(detectors(t, "secrets-in-response"), exchange(req{uri: path, status: 200, respHeaders: respHeaders, respBody: body}))
}

func TestSecretsInResponse(t *testing.T) {
	tests := []struct {
		name, path, ctype, body string
		headers                 []string
		want                    []string
		evidence                string // location|name|value|matched of the first evidence
	}{
		{"github token", "/api/ci/settings", "application/json", `{"token":"` + ghToken + `"}`, nil,
			[]string{"api-token-in-response"}, "response_body|GitHub token|ghp_…|GitHub token at byte 10"},
		{"slack token", "/api/hooks", "application/json", `{"bot":"` + slackToken + `"}`, nil, []string{"api-token-in-response"}, ""},
		{"stripe key", "/api/billing", "application/json", `{"key":"` + stripeToken + `"}`, nil,
			[]string{"api-token-in-response"}, "response_body|Stripe live secret key|sk_live_…|Stripe live secret key at byte 8"},
		{"google key in json", "/api/maps/config", "application/json", `{"k":"` + googleKey + `"}`, nil, []string{"api-token-in-response"}, ""},
		{"google key in html", "/", "text/html", `<script>key="` + googleKey + `"</script>`, nil, nil, ""},
		{"aws key in header", "/api/x", "application/json", `{}`, []string{"X-Debug-Creds: AKIAIOSFODNN7EXAMPLE"},
			[]string{"cloud-credentials-in-response"}, "response_header|x-debug-creds|AKIA…|AWS access key id"},
		{"token in set-cookie", "/api/x", "", ``, []string{"Set-Cookie: gh=" + ghToken}, nil, ""},
		{"password field", "/api/users/1", "application/json", `{"user":"bob","password":"hunter2"}`, nil,
			[]string{"password-in-response"}, "response_body|password|" + alert.Redacted + " (7 bytes)|password or secret field at byte 14"},
		{"client secret at registration", "/oauth/register", "application/json", `{"client_id":"a","client_secret":"s3cr3t-value"}`, nil, nil, ""},
		{"jwt echoed", "/api/me", "application/json", `{"token":"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjMifQ.c2lnbmF0dXJl"}`, nil, nil, ""},
		{"binary", "/img.png", "image/png", "-----BEGIN RSA PRIVATE KEY-----", nil, nil, ""},
		{"no content type", "/backup/id_rsa", "", "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n", nil,
			[]string{"private-key-in-response"}, "response_body|PEM private key|-----BEGIN OPENSSH PRIVATE KEY-----|PEM private key at byte 0"},
		{"public key", "/.well-known/key", "text/plain", "-----BEGIN PUBLIC KEY-----\nMIIBIjAN\n", nil, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			x := exchange(req{uri: tt.path, status: 200, respHeaders: append(slices.Clone(tt.headers), "Content-Type: "+tt.ctype), respBody: tt.body})
			if tt.name == "jwt echoed" {
				x = exchange(req{uri: tt.path, headers: []string{"Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjMifQ.c2lnbmF0dXJl"},
					status: 200, respHeaders: []string{"Content-Type: " + tt.ctype}, respBody: tt.body})
			}
			as := inspect(detectors(t, "secrets-in-response"), x)
			if got := rules(as); !slices.Equal(got, tt.want) {
				t.Fatalf("rules %q, want %q:%s", got, tt.want, describe(as))
			}
			for _, s := range []string{ghToken[4:], slackToken[5:], stripeToken[8:], googleKey[4:], "IOSFODNN7EXAMPLE", "hunter2"} {
				noLeak(t, as, s)
			}
			if len(as) == 0 {
				return
			}
			a := as[0]
			if a.Category != "sensitive-data-exposure" || !slices.Equal(a.Owasp, []string{"API3:2023"}) {
				t.Errorf("category %q owasp %q", a.Category, a.Owasp)
			}
			e := a.Evidence[0]
			if got := strings.Join([]string{e.Location, e.Name, e.Value, e.Matched}, "|"); tt.evidence != "" && got != tt.evidence {
				t.Errorf("evidence %q, want %q", got, tt.evidence)
			}
		})
	}
}

// TestResponseCorpus runs the response files under testdata/responses:
// each starts with "# path:", "# content-type:" and "# want:" lines (the
// rules expected, in order) before the body.
func TestResponseCorpus(t *testing.T) {
	files, err := filepath.Glob("testdata/responses/*")
	if err != nil || len(files) == 0 {
		t.Fatalf("no corpus: %v", err)
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			b, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			meta := map[string]string{}
			sc := bufio.NewScanner(strings.NewReader(string(b)))
			n := 0
			for sc.Scan() && strings.HasPrefix(sc.Text(), "# ") {
				k, v, _ := strings.Cut(sc.Text()[2:], ":")
				meta[k] = strings.TrimSpace(v)
				n += len(sc.Text()) + 1
			}
			for _, k := range []string{"path", "content-type", "want"} {
				if _, ok := meta[k]; !ok {
					t.Fatalf("no %q line", k)
				}
			}
			as := response(t, meta["path"], meta["content-type"], string(b[n:]))
			if got, want := strings.Join(rules(as), " "), meta["want"]; got != want {
				t.Errorf("rules %q, want %q:%s", got, want, describe(as))
			}
			noLeak(t, as, "wJalrXUtnFEMI")
			noLeak(t, as, "Tr0ub4dor")
			noLeak(t, as, "KIXQ1xX7w7oHk2lq0uQy")
			noLeak(t, as, "Eby8vdM02xNOcqFlqUwJ")
		})
	}
}

func TestKeyPattern(t *testing.T) {
	for v, want := range map[string]string{
		"AKIAIOSFODNN7EXAMPLE":     "AWS access key id",
		"ASIAIOSFODNN7EXAMPLE":     "AWS temporary access key id",
		"AKIAIOSFODNN7EXAMPL":      "",
		"AKIAIOSFODNN7EXAMPLEX":    "",
		googleKey:                  kindGoogleKey,
		ghToken:                    "GitHub token",
		ghToken + "x":              "",
		"github_pat_" + ghToken:    "GitHub fine-grained token",
		slackToken:                 "Slack token",
		"xoxz-123456789012":        "",
		stripeToken:                "Stripe live secret key",
		"rk_live_" + ghToken[4:20]: "Stripe live secret key",
		"sk_test_" + ghToken[4:20]: "",
		"hello":                    "",
		"":                         "",
	} {
		if got := keyPattern(v); got != want {
			t.Errorf("keyPattern(%q) = %q, want %q", v, got, want)
		}
	}
}

func FuzzScanText(f *testing.F) {
	f.Add("-----BEGIN RSA PRIVATE KEY-----\nabc", uint8(scanAll))
	f.Add(`{"password":"x\"y","private_key_id":"3f1e2d4c5b6a79880123456789abcdef01234567","type":"service_account"}`, uint8(scanAll))
	f.Add("AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\nDB_PASSWORD=x1234", uint8(scanAll))
	f.Add("aws_secret_access_key: \"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\"", uint8(scanKeysOnly))
	f.Add("AccountKey="+strings.Repeat("A", 40)+" "+ghToken+" "+slackToken+" "+stripeToken+" "+googleKey, uint8(scanAll))
	f.Add("x eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjMifQ.c2ln eyJ.eyJ. eyJa", uint8(scanJWT))
	f.Add("\"", uint8(scanFields))
	f.Fuzz(func(t *testing.T, s string, mode uint8) {
		n, last := 0, -1
		scanText(s, scanMode(mode), func(h hit) bool {
			n++
			if h.rule == nil || h.off < 0 || h.off >= len(s) || h.off < last {
				t.Fatalf("bad hit %+v (last %d)", h, last)
			}
			last = h.off
			if len(h.value) > 64 && h.kind != "PEM private key" {
				t.Fatalf("long evidence value %q", h.value)
			}
			return true
		})
		if n > maxHits {
			t.Fatalf("%d hits", n)
		}
		x := exchange(req{uri: "/api/x", status: 200, respHeaders: []string{"X-A: " + s}, respBody: s})
		for _, a := range inspect(detectors(t, "secrets-in-response"), x) {
			if _, err := alert.MarshalJSON(a); err != nil {
				t.Fatalf("alert does not encode: %v", err)
			}
		}
	})
}

// BenchmarkSecretsInResponse scans an 8 KiB benign JSON response, the
// common case.
func BenchmarkSecretsInResponse(b *testing.B) {
	var body strings.Builder
	body.WriteString(`{"items":[`)
	for i := 0; body.Len() < 8<<10-200; i++ {
		if i > 0 {
			body.WriteString(",")
		}
		body.WriteString(`{"id":"ord_9f86d081884c","status":"shipped","customer":{"name":"Jane O'Neil","email":"jane@example.com"},"total":"19.99","secret_santa":false,"tags":["express","gift"]}`)
	}
	body.WriteString(`],"next_page_token":"CiAKGjBpNDd2Nmp2Zml2cXRlYjBfZDFfMTYXIg"}`)
	ds := detectors(b, "secrets-in-response")
	x := exchange(req{uri: "/api/v1/orders", status: 200, respHeaders: []string{"Content-Type: application/json", "Cache-Control: no-store"}, respBody: body.String()})
	b.SetBytes(int64(body.Len()))
	b.ReportAllocs()
	var out []*alert.Alert
	for b.Loop() {
		out = ds[0].Inspect(x, out[:0])
	}
	if len(out) != 0 {
		b.Fatalf("raised:%s", describe(out))
	}
}

func TestFieldRule(t *testing.T) {
	for key, want := range map[string]string{
		"password": "password-in-response", "Password": "password-in-response", "DB_PASSWORD": "password-in-response",
		"admin_password": "password-in-response", "accountPassword": "password-in-response", "pwd": "password-in-response",
		"client_secret": "password-in-response", "apiSecretKey": "password-in-response", "passwd": "password-in-response",
		"password_confirmation": "password-in-response", "passwordHash": "password-in-response", "passphrase": "password-in-response",
		"private_key_id": "cloud-credentials-in-response",
		"secretName":     "", "secret_id": "", "password_updated_at": "", "passwordPolicy": "", "password_reset_required": "",
		"passwordMinLength": "", "secretRef": "", "secret_santa": "", "compass": "", "username": "", "": "",
	} {
		r, _ := fieldRule(key)
		got := ""
		if r != nil {
			got = r.ID
		}
		if got != want {
			t.Errorf("fieldRule(%q) = %q, want %q", key, got, want)
		}
	}
}
