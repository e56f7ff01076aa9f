package injection

import (
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/corazawaf/libinjection-go"

	"github.com/apisensor/sensor/decoders"
	"github.com/apisensor/sensor/pipeline/alert"
	"github.com/apisensor/sensor/pipeline/detect"
	"github.com/apisensor/sensor/pipeline/detect/normalize"
	"github.com/apisensor/sensor/sensor"
)

// param builds a parameter the way the decoders do: Decoded is the value
// after repeated URL-decoding, Decodes the rounds that changed it.
func param(loc decoders.Location, name, raw string) decoders.Param {
	p := decoders.Param{Loc: loc, Name: name, Value: raw}
	v := raw
	for range 4 {
		d, err := url.QueryUnescape(v)
		if err != nil || d == v {
			break
		}
		v = d
		p.Decodes++
	}
	if p.Decodes > 0 {
		p.Decoded = v
	}
	return p
}

// request builds an exchange for target (path?query) with its path and
// query parameters, plus extra parameters.
func request(target string, extra ...decoders.Param) *decoders.Exchange {
	path, query, _ := strings.Cut(target, "?")
	x := &decoders.Exchange{
		Conn: &sensor.ConnMeta{
			ID: 1, Source: "test.pcap",
			Key: sensor.FlowKey{
				SrcIP: netip.MustParseAddr("192.0.2.1"), DstIP: netip.MustParseAddr("192.0.2.2"),
				SrcPort: 40000, DstPort: 8080, Proto: 6,
			},
		},
		Proto: "http/1.1",
		Request: &decoders.Message{
			Start: time.Unix(1700000000, 0), Method: "GET", URI: target, Path: path, Query: query,
			Version: "HTTP/1.1", Headers: []decoders.Header{{Name: "Host", Value: "api.example"}},
		},
	}
	for i, seg := range strings.Split(strings.TrimPrefix(path, "/"), "/") {
		if seg != "" {
			x.Params = append(x.Params, param(decoders.LocPath, strconv.Itoa(i), seg))
		}
	}
	if query != "" {
		for kv := range strings.SplitSeq(query, "&") {
			k, v, _ := strings.Cut(kv, "=")
			x.Params = append(x.Params, param(decoders.LocQuery, k, v))
		}
	}
	x.Params = append(x.Params, extra...)
	return x
}

func inspect(t *testing.T, x *decoders.Exchange) []*alert.Alert {
	t.Helper()
	d, err := New(detect.DefaultConfig().WithDefaults())
	if err != nil {
		t.Fatal(err)
	}
	out := d.Inspect(x, nil)
	for _, a := range out {
		if _, err := alert.MarshalJSON(a); err != nil {
			t.Errorf("alert does not encode: %v", err)
		}
	}
	return out
}

type wantEvidence struct {
	loc, name, value, matched string
}

func TestInjectionDetects(t *testing.T) {
	hdr := func(name, v string) decoders.Param {
		return decoders.Param{Loc: decoders.LocHeader, Name: name, Value: v}
	}
	tests := []struct {
		name     string
		x        *decoders.Exchange
		rule     string
		summary  string
		evidence []wantEvidence
	}{
		{
			name: "query tautology", rule: "sqli",
			x:        request("/items?id=1'%20OR%20'1'='1"),
			summary:  "SQL injection in query parameter id",
			evidence: []wantEvidence{{"query", "id", "1' OR '1'='1", "libinjection fingerprint s&sos"}},
		},
		{
			name: "double encoded", rule: "sqli",
			x:        request("/items?id=1%2527%2520OR%2520%25271%2527%253D%25271"),
			summary:  "SQL injection in query parameter id",
			evidence: []wantEvidence{{"query", "id", "1' OR '1'='1", "libinjection fingerprint s&sos (URL-encoded 2 times)"}},
		},
		{
			name: "path segment union", rule: "sqli",
			x:        request("/items/1%20union%20select%201,2"),
			summary:  "SQL injection in path segment 1",
			evidence: []wantEvidence{{"path", "1", "1 union select 1,2", "libinjection fingerprint 1UE1"}},
		},
		{
			name: "json field comment", rule: "sqli",
			x:        request("/login", decoders.Param{Loc: decoders.LocJSON, Name: "user.name", Value: "admin'--"}),
			summary:  "SQL injection in JSON field user.name",
			evidence: []wantEvidence{{"json", "user.name", "admin'--", "libinjection fingerprint sc"}},
		},
		{
			name: "secret field redacted", rule: "sqli",
			x:        request("/login", decoders.Param{Loc: decoders.LocForm, Name: "password", Value: "x' or 'a'='a"}),
			summary:  "SQL injection in form field password",
			evidence: []wantEvidence{{"form", "password", alert.Redacted, "libinjection fingerprint s&sos"}},
		},
		{
			name: "user agent", rule: "sqli",
			x:        request("/", hdr("user-agent", "1' AND SLEEP(5)--")),
			summary:  "SQL injection in header user-agent",
			evidence: []wantEvidence{{"header", "user-agent", "1' AND SLEEP(5)--", "libinjection fingerprint s&f(1"}},
		},
		{
			name: "custom header", rule: "sqli",
			x:        request("/", hdr("x-tenant", "1 OR 1=1")),
			summary:  "SQL injection in header x-tenant",
			evidence: []wantEvidence{{"header", "x-tenant", "1 OR 1=1", "libinjection fingerprint 1&1"}},
		},
		{
			name: "cookie", rule: "sqli",
			x:        request("/", decoders.Param{Loc: decoders.LocCookie, Name: "pref", Value: "1' OR '1'='1"}),
			summary:  "SQL injection in cookie pref",
			evidence: []wantEvidence{{"cookie", "pref", "1' OR '1'='1", "libinjection fingerprint s&sos"}},
		},
		{
			name: "two parameters", rule: "sqli",
			x:       request("/items?a=1'%20OR%20'1'='1&b=ok&c=1%20union%20select%201,2"),
			summary: "SQL injection in query parameter a (and 1 more)",
			evidence: []wantEvidence{
				{"query", "a", "1' OR '1'='1", "libinjection fingerprint s&sos"},
				{"query", "c", "1 union select 1,2", "libinjection fingerprint 1UE1"},
			},
		},
		{
			name: "whole query when unsplit", rule: "sqli",
			x: func() *decoders.Exchange {
				x := request("/items?1'%20OR%20'1'='1")
				x.Params = nil // as if the decoder could not split the query
				return x
			}(),
			summary:  "SQL injection in query string",
			evidence: []wantEvidence{{"query", "", "1' OR '1'='1", "libinjection fingerprint s&sos"}},
		},
		{
			name: "split across parameters", rule: "sqli",
			x:       request("/items?a=1'/*&b=*/OR/**/'1'='1"),
			summary: "SQL injection in query parameter a",
			evidence: []wantEvidence{
				{"query", "a", "1'/*", "libinjection fingerprint sc"},
			},
		},
		{
			name: "script tag", rule: "xss",
			x:        request("/search?q=%3Cscript%3Ealert(1)%3C/script%3E"),
			summary:  "Cross-site scripting in query parameter q",
			evidence: []wantEvidence{{"query", "q", "<script>alert(1)</script>", "libinjection xss"}},
		},
		{
			name: "img onerror in json", rule: "xss",
			x:        request("/profile", decoders.Param{Loc: decoders.LocJSON, Name: "bio", Value: `"><img src=x onerror=alert(1)>`}),
			summary:  "Cross-site scripting in JSON field bio",
			evidence: []wantEvidence{{"json", "bio", `"><img src=x onerror=alert(1)>`, "libinjection xss"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := inspect(t, tt.x)
			if len(out) != 1 {
				t.Fatalf("got %d alerts, want 1: %v", len(out), out)
			}
			a := out[0]
			if a.RuleId != tt.rule || a.Detector != Name || a.Summary != tt.summary {
				t.Errorf("rule %q detector %q summary %q; want %q, %q", a.RuleId, a.Detector, a.Summary, tt.rule, tt.summary)
			}
			if len(a.Evidence) != len(tt.evidence) {
				t.Fatalf("evidence %v, want %v", a.Evidence, tt.evidence)
			}
			for i, w := range tt.evidence {
				e := a.Evidence[i]
				got := wantEvidence{e.Location, e.Name, e.Value, e.Matched}
				if got != w {
					t.Errorf("evidence %d = %+v, want %+v", i, got, w)
				}
			}
		})
	}
}

func TestInjectionAlertFacts(t *testing.T) {
	x := request("/items?id=1'%20OR%20'1'='1&q=%3Cscript%3Ealert(1)%3C/script%3E")
	out := inspect(t, x)
	if len(out) != 2 || out[0].RuleId != "sqli" || out[1].RuleId != "xss" {
		t.Fatalf("want sqli and xss alerts, got %v", out)
	}
	a := out[0]
	if a.Category != "sql-injection" || a.Severity != alert.Severity_SEVERITY_HIGH ||
		a.Confidence != alert.Confidence_CONFIDENCE_MEDIUM || strings.Join(a.Owasp, ",") != "A03:2021" ||
		a.Outcome != alert.Outcome_OUTCOME_ATTEMPTED || a.Evidence[0].Rule != "sqli" {
		t.Errorf("rule facts: %v", a)
	}
	if out[1].Category != "xss" || out[0].Id == out[1].Id {
		t.Errorf("xss alert: %v", out[1])
	}
	if again := inspect(t, request(x.Request.URI)); again[0].Id != a.Id {
		t.Error("alert id not deterministic")
	}

	// A server error after the payload is response evidence, not success.
	x.Response = &decoders.Message{Status: 500}
	out = inspect(t, x)
	if a := out[0]; a.Outcome != alert.Outcome_OUTCOME_ATTEMPTED || len(a.ResponseEvidence) != 1 ||
		a.ResponseEvidence[0].Matched != "status 500 after payload" || a.Confidence != alert.Confidence_CONFIDENCE_MEDIUM {
		t.Errorf("after a 500: %v", a)
	}
}

// TestInjectionConfirm runs the detector over exchanges with responses:
// the response decides the outcome.
func TestInjectionConfirm(t *testing.T) {
	respond := func(x *decoders.Exchange, status int, ct, body string) *decoders.Exchange {
		x.Response = &decoders.Message{Status: status, Body: []byte(body)}
		if ct != "" {
			x.Response.Headers = []decoders.Header{{Name: "Content-Type", Value: ct}}
		}
		return x
	}
	tests := []struct {
		name    string
		x       *decoders.Exchange
		rule    string
		outcome alert.Outcome
		sev     alert.Severity
		owasp   string
		summary string
	}{
		{"mysql error", respond(request("/api/search?q=1%27%20OR%20%271%27%3D%271"), 500, "text/html",
			"You have an error in your SQL syntax; check the manual that corresponds to your MySQL server version for the right syntax to use near ''1'' OR '1'='1' at line 1"),
			"sqli", alert.Outcome_OUTCOME_LIKELY_SUCCESSFUL, alert.Severity_SEVERITY_CRITICAL, "A03:2021,API8:2023",
			"SQL injection in query parameter q: likely successful (MySQL syntax error in response)"},
		{"sqli, benign JSON", respond(request("/api/search?q=1%27%20OR%20%271%27%3D%271"), 200, "application/json", `{"results":[]}`),
			"sqli", alert.Outcome_OUTCOME_ATTEMPTED, alert.Severity_SEVERITY_HIGH, "A03:2021", "SQL injection in query parameter q"},
		{"reflected xss", respond(request("/search?q=%3Cscript%3Ealert(1)%3C/script%3E"), 200, "text/html", "<p>No results for <script>alert(1)</script></p>"),
			"xss", alert.Outcome_OUTCOME_LIKELY_SUCCESSFUL, alert.Severity_SEVERITY_HIGH, "A03:2021",
			"Cross-site scripting in query parameter q: likely successful (payload reflected unescaped in an HTML response)"},
		{"xss echoed in JSON", respond(request("/search?q=%3Cscript%3Ealert(1)%3C/script%3E"), 200, "application/json", `{"q":"<script>alert(1)</script>"}`),
			"xss", alert.Outcome_OUTCOME_ATTEMPTED, alert.Severity_SEVERITY_MEDIUM, "A03:2021", "Cross-site scripting in query parameter q"},
		{"blocked", respond(request("/search?q=%3Cscript%3Ealert(1)%3C/script%3E"), 403, "text/html", "<title>Attention Required! | Cloudflare</title>"),
			"xss", alert.Outcome_OUTCOME_BLOCKED, alert.Severity_SEVERITY_MEDIUM, "A03:2021",
			"Cross-site scripting in query parameter q: blocked (status 403 with a Cloudflare block page)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var a *alert.Alert
			for _, got := range inspect(t, tt.x) {
				if got.RuleId == tt.rule {
					a = got
				}
			}
			if a == nil {
				t.Fatalf("no %s alert", tt.rule)
			}
			if a.Outcome != tt.outcome || a.Severity != tt.sev || strings.Join(a.Owasp, ",") != tt.owasp || a.Summary != tt.summary {
				t.Errorf("got outcome %v severity %v owasp %v summary %q", a.Outcome, a.Severity, a.Owasp, a.Summary)
			}
			if tt.outcome == alert.Outcome_OUTCOME_LIKELY_SUCCESSFUL && a.Confidence != alert.Confidence_CONFIDENCE_HIGH {
				t.Errorf("confidence %v", a.Confidence)
			}
		})
	}
}

func TestInjectionEvidenceBound(t *testing.T) {
	var qs []string
	for i := range 12 {
		qs = append(qs, "p"+strconv.Itoa(i)+"=1'%20OR%20'1'='1")
	}
	out := inspect(t, request("/?"+strings.Join(qs, "&")))
	if len(out) != 1 {
		t.Fatalf("got %d alerts", len(out))
	}
	if n := len(out[0].Evidence); n != detect.DefaultConfig().MaxEvidence {
		t.Errorf("%d evidence entries", n)
	}
	if want := "SQL injection in query parameter p0 (and 11 more)"; out[0].Summary != want {
		t.Errorf("summary %q, want %q", out[0].Summary, want)
	}
}

func TestInjectionBenign(t *testing.T) {
	values := []string{
		"123e4567-e89b-12d3-a456-426614174000", "bob@example.com", "3.14", "-1e10", "42",
		"2024-01-02T03:04:05Z", "2024-01-02T03:04:05.123+02:00", "O'Brien", "D'Angelo", "1-2", "2-1", "1+1", "10/2",
		"don't stop", "it's", "rock & roll", "https://example.com/a?b=c", "Hello, world!", "dGVzdA==",
		"select", "union", "true", "null", `{"a":1}`, "[1,2,3]", "+33 6 12 34 56 78", "50% off", "C++",
		"10.0.0.1, 10.0.0.2", "en-US,en;q=0.9", "a < b", "x > 3", "name=value", "/api/v1/users/42",
		// Quotations with an attribution: "q=" before the quote once made
		// the whole query read as string, operator, comment.
		`"Don't hate me because I'm beautiful." -- Calvin Keegan`, `"If it ain't broke, don't fix it." -- Bert Lantz`,
	}
	for _, v := range values {
		t.Run(v, func(t *testing.T) {
			x := request("/api/v1/users/42?q="+url.QueryEscape(v),
				decoders.Param{Loc: decoders.LocJSON, Name: "field", Value: v},
				decoders.Param{Loc: decoders.LocHeader, Name: "x-forwarded-for", Value: v},
			)
			if out := inspect(t, x); len(out) != 0 {
				t.Errorf("alert on benign %q: %v", v, out)
			}
		})
	}
}

func TestInjectionSkippedHeaders(t *testing.T) {
	for _, name := range []string{"accept", "accept-language", "content-type", "cache-control", "host", "x-request-id", "x-b3-traceid"} {
		x := request("/", decoders.Param{Loc: decoders.LocHeader, Name: name, Value: "1' OR '1'='1"})
		if out := inspect(t, x); len(out) != 0 {
			t.Errorf("header %s scanned: %v", name, out)
		}
	}
}

func TestInjectionBrowserRequest(t *testing.T) {
	hdr := func(name, v string) decoders.Param {
		return decoders.Param{Loc: decoders.LocHeader, Name: name, Value: v}
	}
	x := request("/api/orders?status=open&since=2024-01-01&limit=50",
		hdr("user-agent", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36"),
		hdr("accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"),
		hdr("referer", "https://shop.example/cart?item=3"),
		decoders.Param{Loc: decoders.LocCookie, Name: "session", Value: "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln"},
	)
	if out := inspect(t, x); len(out) != 0 {
		t.Errorf("alert on a browser request: %v", out)
	}
}

func TestInjectionNoRequest(t *testing.T) {
	if out := inspect(t, &decoders.Exchange{}); len(out) != 0 {
		t.Errorf("alerts without a request: %v", out)
	}
}

// FuzzPlainNeverMatches backs the shortcut in plain: values of only ASCII
// letters and digits never match either classifier.
func FuzzPlainNeverMatches(f *testing.F) {
	for _, s := range []string{"1", "select", "union", "javascript", "onerror", "0x41", "1e1", "OR1", "SLEEP5"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !plain(s) {
			return
		}
		if ok, fp := libinjection.IsSQLi(s); ok {
			t.Fatalf("IsSQLi(%q) = true (%s)", s, fp)
		}
		if libinjection.IsXSS(s) {
			t.Fatalf("IsXSS(%q) = true", s)
		}
	})
}

// FuzzXSSInertNeverMatches backs the shortcut in xssInert: values of only
// xssInert's bytes match neither libinjection's XSS classifier nor xssExtra.
// The fuzzer's bytes are mapped onto words and separators of that
// alphabet, so that it tries the attribute and script names that matter.
func FuzzXSSInertNeverMatches(f *testing.F) {
	for _, s := range []string{"x onerror", "javascript", "document cookie", "alert 1", "a/b@c", "img src", "-- x", "\x00\x01"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		checkXSSInert(t, fuzzValue(in, xssFuzzWords, " ,_-/@", false))
	})
}

// checkXSSInert checks that s is inert to XSS by xssInert and that neither
// XSS check matches it, in either case.
func checkXSSInert(t *testing.T, s string) {
	if !xssInert(s) {
		t.Fatalf("%q is not inert", s)
	}
	for _, v := range []string{s, strings.ToUpper(s)} {
		if libinjection.IsXSS(v) {
			t.Fatalf("IsXSS(%q) = true", v)
		}
		if m := xssExtra(v, 4096); m != "" {
			t.Fatalf("xssExtra(%q) = %s", v, m)
		}
	}
}

// FuzzXSSInertNumbers backs xssInert's second case: values without a
// letter, of digits and xssInert's separators with '.' and ':' (prices,
// dates, times, versions, addresses), match neither libinjection's XSS
// classifier nor xssExtra.
func FuzzXSSInertNumbers(f *testing.F) {
	for _, s := range []string{"222.05", "2026-11-28T12:44:09", "10.0.0.1:8080", "1.2.3", "://", "@:.", "\x00"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		checkXSSInert(t, fuzzValue(in, []string{"0", "1", "12", "255", "2026", "00", "7"}, " ,_-/@.:", false))
	})
}

func BenchmarkInspect(b *testing.B) { benchInspect(b, false) }

// BenchmarkInspectCold is BenchmarkInspect without the memo: the cost of
// values the detector has not seen before.
func BenchmarkInspectCold(b *testing.B) { benchInspect(b, true) }

func benchInspect(b *testing.B, cold bool) {
	hdr := func(name, v string) decoders.Param {
		return decoders.Param{Loc: decoders.LocHeader, Name: name, Value: v}
	}
	json := func(name, v string) decoders.Param {
		return decoders.Param{Loc: decoders.LocJSON, Name: name, Value: v}
	}
	x := request("/api/v1/users/8d3f2a1c-77e4-4d0b-9a51-2c9a6f0e4b11/orders?status=open&since=2024-01-01T00:00:00Z&limit=50&sort=-created",
		hdr("user-agent", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36"),
		hdr("accept", "application/json"),
		hdr("accept-encoding", "gzip, deflate, br"),
		hdr("referer", "https://shop.example/cart?item=3"),
		hdr("x-request-id", "4b1f0e2a"),
		decoders.Param{Loc: decoders.LocCookie, Name: "session", Value: "s%3AabcDEF123.xyz"},
		json("customer.email", "bob@example.com"),
		json("customer.name", "Bob O'Brien"),
		json("items[0].sku", "SKU-12345"),
		json("items[0].qty", "2"),
		json("items[0].price", "19.99"),
		json("note", "Please leave at the door, thanks!"),
	)
	d, err := New(detect.DefaultConfig())
	if err != nil {
		b.Fatal(err)
	}
	if cold {
		d.memos = &sync.Pool{New: func() any { return (*normalize.Memo)(nil) }}
	}
	var size int64
	for _, p := range x.Params {
		size += int64(len(p.Value))
	}
	b.ReportAllocs()
	b.SetBytes(size)
	var out []*alert.Alert
	for b.Loop() {
		out = d.Inspect(x, out[:0])
	}
	if len(out) != 0 {
		b.Fatalf("benign exchange raised %v", out)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "exchanges/s")
}

// TestInjectionConfirmation covers the checks around libinjection: low-signal
// SQL fingerprints need SQL context, a doctype alone is not XSS, and XSS
// libinjection misses (encoded markup, tagless script) is caught.
func TestInjectionConfirmation(t *testing.T) {
	tests := []struct {
		value string
		rule  string // "" for no alert
	}{
		{"sqrt(16) = 4", ""},
		{"sum(1..n) = n(n+1)/2", ""},
		{"What is `<!DOCTYPE html>` for?", ""},
		// A DTD's internal subset (styles and names as entities) is no
		// markup; other markup in a "subset" is, as HTML ends the doctype
		// at its first '>'.
		{`<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY st0 "fill:#FFFFFF;"><!ENTITY st1 "fill:#000000;">]><svg xmlns="http://www.w3.org/2000/svg"><rect style="&st0;"/></svg>`, ""},
		{`DOCTYPE book [<!ENTITY product "Acme"><!ENTITY version "2.1">]`, ""},
		{`<!DOCTYPE html [><base href=//evil.example/>]>`, "xss"},
		{`<!DOCTYPE x [><svg onload=alert(1)>]>`, "xss"},
		{`<!DOCTYPE html [><meta http-equiv=refresh content="0;url=//evil.example">]>`, "xss"},
		{"online=yes, onboarding=done", ""},
		{"see the document outline", ""},
		{"sleep(5) and 1=1", "sqli"},
		{"＜script＞alert(1)＜/script＞", "xss"},
		{"+ADw-script+AD4-alert(1)+ADw-/script+AD4-", "xss"},
		{"\" onload=alert(1) x=\"", "xss"},
		{"document.cookie", "xss"},
		{"window[\"alert\"](1)", "xss"},
		{"(![]+[])[+[]]", "xss"},
	}
	for _, tt := range tests {
		t.Run(tt.value, func(t *testing.T) {
			x := request("/api/v1/items", decoders.Param{Loc: decoders.LocJSON, Name: "field", Value: tt.value})
			out := inspect(t, x)
			if tt.rule == "" {
				if len(out) != 0 {
					t.Errorf("alert on %q: %v", tt.value, out)
				}
				return
			}
			for _, a := range out {
				if a.RuleId == tt.rule {
					return
				}
			}
			t.Errorf("%q: no %s alert: %v", tt.value, tt.rule, out)
		})
	}
}

// TestXSSExtraForms covers the script and markup forms xssExtra adds to
// libinjection's tokenizer, and prose that looks close to them.
func TestXSSExtraForms(t *testing.T) {
	tests := []struct {
		v    string
		want bool
	}{
		{"foo<f o r m", true},
		{"$<d i a l o g", true},
		{"< x: script", true},
		{"x\";setTimeout(name, 1)//", true},
		{"[].sort.call`${alert}1337`", true},
		{"'formaction=", true},
		{"\" srcdoc=", true},
		{"ja&Tab;vascript&colon;alert(1)", true},
		{"<v:vmlframe src=\"foo.com/sup.fml\"/>", true},
		{"ja&NewLine;vascript: ", true},
		{"Tom &amp; Jerry: tab and colon", false},
		{"<i m gonna be late", false},
		{"set the timeout (in seconds)", false},
		{"call `make` first", false},
		{"the form action is POST", false},
		// A script tag split by one a filter strips once.
		{"<scr<script>ipt>(alert)(/x/)//</scr</script>ipt>", true},
		{"<SCR<script>IPT src=//x.example/a.js></script>", true},
		{"the <script> tag and the <scr prefix", false},
	}
	for _, tt := range tests {
		if got := xssExtra(tt.v, 4096) != ""; got != tt.want {
			t.Errorf("xssExtra(%q) = %v, want %v", tt.v, got, tt.want)
		}
	}
}

func TestQuotedSymbols(t *testing.T) {
	tests := []struct {
		v       string
		neutral string // what libinjection sees instead; "" when nothing is replaced
		prose   bool   // the match comes from quoted symbols only
	}{
		{`use '*' to declare a wildcard`, `use 'x' to declare a wildcard`, true},
		{`the "--" string within it.`, `the "xx" string within it.`, true},
		{`a tag starting with ">" is equivalent`, `a tag starting with "x" is equivalent`, true},
		{`(see '#') and '/'`, `(see 'x') and 'x'`, true},
		// Breakouts: the quotes touch the strings around the operator.
		{`1'='1`, "", false},
		{`x' OR 'a'='a`, "", false},
		{`admin'--`, "", false},
		{`' OR '1'='1' --`, "", false},
		// A quoted symbol beside a real injection does not hide it.
		{`1' UNION SELECT password FROM users WHERE name LIKE '*'`, `1' UNION SELECT password FROM users WHERE name LIKE 'x'`, false},
	}
	for _, tt := range tests {
		got, n := neutralQuotedSymbols(tt.v)
		if tt.neutral == "" && n != 0 || tt.neutral != "" && got != tt.neutral {
			t.Errorf("neutralQuotedSymbols(%q) = %q, %d; want %q", tt.v, got, n, tt.neutral)
		}
		if p := quotedSymbolsOnly(tt.v); p != tt.prose {
			t.Errorf("quotedSymbolsOnly(%q) = %v, want %v", tt.v, p, tt.prose)
		}
	}
	for _, v := range []string{`use '*' to declare a wildcard`, `the "--" string within it.`} {
		if ok, fp := libinjection.IsSQLi(v); !ok {
			t.Errorf("libinjection no longer flags %q (%s): the case tests nothing", v, fp)
		}
		if out := inspect(t, request("/search", decoders.Param{Loc: decoders.LocJSON, Name: "body", Value: v})); len(out) != 0 {
			t.Errorf("alert on prose %q: %v", v, out)
		}
	}
}

func FuzzNeutralQuotedSymbols(f *testing.F) {
	for _, s := range []string{`use '*' to`, `"--"`, `'`, `''`, `'>'`, `x'='y`, "`!`", `("<") and '/'.`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		got, n := neutralQuotedSymbols(v)
		if len(got) != len(v) || n == 0 && got != v {
			t.Fatalf("neutralQuotedSymbols(%q) = %q, %d", v, got, n)
		}
		if again, m := neutralQuotedSymbols(got); m != 0 || again != got {
			t.Fatalf("not idempotent: %q -> %q -> %q", v, got, again)
		}
	})
}

// TestNumberCompounds covers product searches where libinjection reads a
// hyphenated number ("2-person") as a number minus a column after OR/AND,
// and the payloads the same shape must not hide.
func TestNumberCompounds(t *testing.T) {
	tests := []sqlCase{
		{"tent or 2-person", false},
		{"gift and 3-pack", false},
		{"linen and 2-person from japan", false},
		{"24-inch or 27-inch", false},
		// A compound beside a payload, or a payload built from one.
		{"admin or 1-1", true},
		{"' or 1-sleep(5)", true},
		{"1 or 2-1", true},
		{"x' or 2-person='2-person", true},
		{"1 union select 2-x", true},
		{"admin or 1-null", true},
		{"x or 1-version", true},
		{"1 or 1-sleep", true},
	}
	checkSQLCases(t, tests)
}

// TestInchMark covers product searches with an inch mark before a SQL
// word, which libinjection reads as a string closed before AND or OR, and
// the breakouts of the same shape, which must still alert.
func TestInchMark(t *testing.T) {
	tests := []sqlCase{
		{`under 50 usb-c cable 27" and 2-person`, false},
		{`27" like new or 128gb`, false},
		// Breakouts after a number.
		{`1" or 1=1 --`, true},
		{`1" or "1"="1`, true},
		{`5" and sleep(5)#`, true},
		{`1" union select password from users--`, true},
		{`2" or 1=1`, true},
	}
	checkSQLCases(t, tests)
}

// FuzzXSSMarkupBytes builds values from XSS words and every separator but
// the bytes xssMarkupBytes looks for, and checks that libinjection's XSS
// classifier matches none of them, as is and upper-cased.
func FuzzXSSMarkupBytes(f *testing.F) {
	for _, s := range []string{"x onerror", "javascript alert(1)", "\" autofocus onfocus", "a'b\"c(d)e"} {
		f.Add([]byte(s))
	}
	words := append([]string{"autofocus", "onfocus", "xmlns", "é", "\xbc", "\xc0\xbc", "\xef\xbc\x9c", "\xa0", "\xff", "\xc2\xa0"}, xssFuzzWords...)
	f.Fuzz(func(t *testing.T, in []byte) {
		s := fuzzValue(in, words, " ,_-/@'\"().;![]{}?*#$^|~\t\n\\%+\x80\xbe\xe3", false)
		if xssMarkupBytes(s) {
			t.Fatalf("%q has markup bytes", s)
		}
		for _, v := range []string{s, strings.ToUpper(s)} {
			if libinjection.IsXSS(v) {
				t.Fatalf("IsXSS(%q) = true", v)
			}
		}
	})
}

// xssFuzzWords are the attribute, tag and script names the XSS fuzz
// targets build values from.
var xssFuzzWords = []string{"on", "onerror", "onload", "script", "javascript", "vbscript", "alert", "document", "cookie",
	"style", "expression", "href", "src", "data", "x", "1", "img", "svg", "iframe", "formaction", "srcdoc",
	"import", "eval", "settimeout", "window", "constructor", "url", "http", "0x41"}

// fuzzValue maps a fuzzer's bytes onto words (even bytes) and separators
// (odd bytes), so that a fuzz target tries the names that matter; with
// upper, bit 1 of a word's byte upper-cases the word.
func fuzzValue(in []byte, words []string, seps string, upper bool) string {
	var b strings.Builder
	for _, c := range in {
		if c&1 == 0 {
			w := words[int(c>>1)%len(words)]
			if upper && c&2 != 0 {
				w = strings.ToUpper(w)
			}
			b.WriteString(w)
		} else {
			b.WriteByte(seps[int(c>>1)%len(seps)])
		}
	}
	return b.String()
}

// sqlCase is a search phrase libinjection flags, and whether the detector
// should alert on it.
type sqlCase struct {
	v     string
	alert bool
}

// checkSQLCases sends each case as a query parameter and checks the
// detector's verdict, and that libinjection still flags the value (or the
// case would test nothing).
func checkSQLCases(t *testing.T, tests []sqlCase) {
	t.Helper()
	for _, tt := range tests {
		if ok, fp := libinjection.IsSQLi(tt.v); !ok {
			t.Errorf("libinjection no longer flags %q (%s): the case tests nothing", tt.v, fp)
		}
		out := inspect(t, request("/search", decoders.Param{Loc: decoders.LocQuery, Name: "q", Value: tt.v}))
		if got := len(out) != 0; got != tt.alert {
			t.Errorf("%q: alert %v, want %v", tt.v, got, tt.alert)
		}
	}
}

// FuzzShape checks the one-pass byte kinds against the definitions they
// stand for, byte by byte.
func FuzzShape(f *testing.F) {
	for _, s := range []string{"", "abc123", "a b,c_d-e/f@g", "222.05", "10:30", "a.b", "x:1", "O'Neil", "é", "a\x00", "voil\u00e0", "R\u00e9publique"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		in := func(set string) bool {
			for i := 0; i < len(v); i++ {
				c := v[i]
				if !('a' <= c|0x20 && c|0x20 <= 'z' || '0' <= c && c <= '9' || strings.IndexByte(set, c) >= 0) {
					return false
				}
			}
			return true
		}
		letters := strings.IndexFunc(v, func(r rune) bool { return 'a' <= r|0x20 && r|0x20 <= 'z' }) >= 0
		noLetters := func(set string) bool {
			for i := 0; i < len(v); i++ {
				if c := v[i]; !('0' <= c && c <= '9' || strings.IndexByte(set, c) >= 0) {
					return false
				}
			}
			return true
		}
		sh := ShapeOf(v)
		if got, want := sh.plain(), in(""); got != want {
			t.Errorf("plain(%q) = %v, want %v", v, got, want)
		}
		if got, want := sh.xssInert(), in(" ,_-/@") || !letters && noLetters(" ,_-/@.:"); got != want {
			t.Errorf("xssInert(%q) = %v, want %v", v, got, want)
		}
		high := true // every byte past ASCII is one, but the no-break space
		for i := 0; i < len(v); i++ {
			if c := v[i]; c < 0x80 && !('a' <= c|0x20 && c|0x20 <= 'z' || '0' <= c && c <= '9' ||
				strings.IndexByte(" _.,/-", c) >= 0) || c == 0xa0 {
				high = false
			}
		}
		if got, want := sh.sqliBytes(), high; got != want {
			t.Errorf("sqliBytes(%q) = %v, want %v", v, got, want)
		}
	})
}
