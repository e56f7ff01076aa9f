package confirm

import (
	"strings"
	"testing"

	"github.com/apisensor/sensor/decoders"
	"github.com/apisensor/sensor/pipeline/alert"
)

// FuzzCheck runs Check over arbitrary responses and payloads: it must not
// panic, must bound its evidence, and must keep values valid UTF-8 once
// applied to an alert.
func FuzzCheck(f *testing.F) {
	seeds := []struct {
		status         int
		ct, body, pay  string
		category, hdrs string
	}{
		{500, "text/html", "You have an error in your SQL syntax near ''1' OR 1=1", "1' OR 1=1", "sql-injection", ""},
		{200, "", "root:x:0:0:root:/root:/bin/bash\n", "../../etc/passwd", "path-traversal", ""},
		{200, "text/html", "<p><script>alert(1)</script></p>", "<script>alert(1)</script>", "xss", ""},
		{200, "application/json", `{"a":"49"}`, "{{7*7}}", "template-injection", ""},
		{200, "", "uid=0(root) gid=0(root)", ";id", "os-command-injection", ""},
		{302, "", "", "x\r\nSet-Cookie: a=bbbb", "crlf-injection", "Set-Cookie: a=bbbb"},
		{403, "text/html", "Attention Required! | Cloudflare", "x", "xss", ""},
		{200, "", "HOSTNAME=a\x00PATH=/bin\x00", "/proc/self/environ", "lfi", ""},
		{500, "", "\xff\xfe:0:0:\n\x00ora-", "\xff", "", ""},
		{500, "application/json", `{"error":"near \"OR\": syntax error \ud83d\ude00 \u00"}`, "x' OR", "sql-injection", ""},
		{403, "text/html", "Reference&#32;&#35;18&#46;6f Access Denied", "x", "xss", ""},
		{200, "text/html", "<script>var q = '';alert(1)//';</script>", "';alert(1)//", "xss", ""},
	}
	for _, s := range seeds {
		f.Add(s.status, s.ct, s.body, s.pay, s.category, s.hdrs)
	}
	f.Fuzz(func(t *testing.T, status int, ct, body, payload, category, header string) {
		x := &decoders.Exchange{
			Request:  &decoders.Message{URI: "/?q=" + payload, Body: []byte(payload)},
			Response: &decoders.Message{Status: status, Body: []byte(body)},
		}
		if ct != "" {
			x.Response.Headers = append(x.Response.Headers, decoders.Header{Name: "Content-Type", Value: ct})
		}
		if name, value, ok := cutHeader(header); ok {
			x.Response.Headers = append(x.Response.Headers, decoders.Header{Name: name, Value: value})
		}
		r := Check(x, category, []string{payload, body}, 1024)
		if len(r.Evidence) > maxEvidence {
			t.Fatalf("%d evidence entries", len(r.Evidence))
		}
		a := &alert.Alert{Category: strings.ToValidUTF8(category, ""), Severity: alert.Severity_SEVERITY_HIGH, Summary: "s"}
		Apply(a, x, []string{payload}, Config{ScanBytes: 1024})
		if _, err := alert.MarshalJSON(a); err != nil {
			t.Fatalf("alert does not encode: %v", err)
		}
	})
}

func cutHeader(h string) (string, string, bool) {
	for i := 0; i < len(h); i++ {
		if h[i] == ':' {
			return h[:i], h[i+1:], i > 0
		}
	}
	return "", "", false
}

// FuzzUnescapeJSON: undoing JSON escapes never lengthens the text, and
// leaves text without a backslash as it was.
func FuzzUnescapeJSON(f *testing.F) {
	for _, s := range []string{`a\"b`, `\u00e9\ud83d\ude00`, `\ud83d`, `\u12`, `\\`, `\`, "plain"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := unescapeJSON([]byte(s))
		if len(out) > len(s) {
			t.Fatalf("unescapeJSON(%q) = %q, longer", s, out)
		}
		if !strings.Contains(s, "\\") && string(out) != s {
			t.Fatalf("unescapeJSON(%q) = %q without an escape", s, out)
		}
	})
}
