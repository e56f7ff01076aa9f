package tier1

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/apisensor/sensor/decoders"
	"github.com/apisensor/sensor/pipeline/alert"
	"github.com/apisensor/sensor/pipeline/detect"
	"github.com/apisensor/sensor/pipeline/detect/normalize"
)

func TestRegistered(t *testing.T) {
	for _, n := range Names() {
		if !slices.Contains(detect.Names(), n) {
			t.Errorf("detector %q not registered", n)
		}
	}
}

func TestAlertShape(t *testing.T) {
	tests := []struct {
		name     string
		params   []decoders.Param
		detector string
		rule     string
		summary  string
		evidence []string // location|name|value|matched
	}{
		{
			name:     "double encoded traversal",
			params:   []decoders.Param{param(lQ, "file", "..%252f..%252f..%252fetc%252fpasswd")},
			detector: "traversal", rule: "path-traversal",
			summary:  "Path traversal in query parameter file",
			evidence: []string{"query|file|../../../etc/passwd|traversal ../../../etc/passwd (double URL-encoded)"},
		},
		{
			name: "two parameters, one alert",
			params: []decoders.Param{
				param(lQ, "a", "1;id"), param(lQ, "b", "ok"), param(lJ, "c", "x`whoami`"),
			},
			detector: "cmdi", rule: "cmdi",
			summary: "OS command injection in query parameter a (and 1 more)",
			evidence: []string{
				"query|a|1;id|shell command ;id",
				"json|c|x`whoami`|shell command `whoami",
			},
		},
		{
			name:     "a parameter's name",
			params:   []decoders.Param{param(lN, "query parameter", "x;cat /etc/passwd")},
			detector: "cmdi", rule: "cmdi",
			summary:  "OS command injection in the name of a query parameter",
			evidence: []string{"name|query parameter|x;cat /etc/passwd|shell command ;cat /etc/passwd"},
		},
		{
			name:     "secret redacted",
			params:   []decoders.Param{param(lF, "password", "*)(uid=*))(|(uid=*")},
			detector: "ldapi", rule: "ldap-injection",
			summary:  "LDAP injection in form field password",
			evidence: []string{"form|password|" + alert.Redacted + "|filter breakout *)(uid="},
		},
		{
			name:     "encoded IP",
			params:   []decoders.Param{param(lJ, "url", "http://0x7f000001:8080/")},
			detector: "ssrf", rule: "ssrf-encoded-ip",
			summary:  "SSRF with an obfuscated IP address in JSON field url",
			evidence: []string{"json|url|http://0x7f000001:8080/|hex form 0x7f000001 = 127.0.0.1 (loopback address 127.0.0.1)"},
		},
		{
			name:     "obfuscated jndi in header",
			params:   []decoders.Param{{Loc: lH, Name: "accept-language", Value: "${${lower:J}ndi:ldap://x/a}"}},
			detector: "jndi", rule: "jndi-lookup",
			summary:  "JNDI lookup (Log4Shell) in header accept-language",
			evidence: []string{"header|accept-language|${${lower:J}ndi:ldap://x/a}|lookup ${jndi:ldap (obfuscated lookups)"},
		},
		{
			name:     "base64 ssti",
			params:   []decoders.Param{param(lJ, "bio", "e3sgc2VsZi5fX2luaXRfXyB9fQ==")},
			detector: "ssti", rule: "ssti",
			summary:  "Server-side template injection in JSON field bio",
			evidence: []string{"json|bio|e3sgc2VsZi5fX2luaXRfXyB9fQ==|template expression {{ self.__init__ }} (base64)"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ds, err := detect.New([]string{tt.detector}, detect.DefaultConfig())
			if err != nil {
				t.Fatal(err)
			}
			as := ds[0].Inspect(exchange(tt.params...), nil)
			if len(as) != 1 {
				t.Fatalf("got %d alerts:%s", len(as), describe(as))
			}
			a := as[0]
			if a.Detector != tt.detector || a.RuleId != tt.rule || a.Summary != tt.summary {
				t.Errorf("alert %s/%s %q, want %s/%s %q", a.Detector, a.RuleId, a.Summary, tt.detector, tt.rule, tt.summary)
			}
			var got []string
			for _, e := range a.Evidence {
				got = append(got, strings.Join([]string{e.Location, e.Name, e.Value, e.Matched}, "|"))
			}
			if !slices.Equal(got, tt.evidence) {
				t.Errorf("evidence:\n got %q\nwant %q", got, tt.evidence)
			}
		})
	}
}

func TestGraphQLBatch(t *testing.T) {
	var ps []decoders.Param
	for i := range 12 {
		ps = append(ps, param(lJ, fmt.Sprintf("[%d].query", i), "{ me { id } }"))
	}
	as := inspectAll(allDetectors(t), exchange(ps...))
	if len(as) != 1 || as[0].RuleId != "graphql-batch" {
		t.Fatalf("got:%s", describe(as))
	}
	as = inspectAll(allDetectors(t), exchange(ps[:10]...))
	if len(as) != 0 {
		t.Fatalf("10 operations raised:%s", describe(as))
	}
}

func TestNoRequest(t *testing.T) {
	x := exchange(param(lQ, "a", "1;id"))
	x.Request = nil
	if as := inspectAll(allDetectors(t), x); len(as) != 0 {
		t.Errorf("exchange without request raised:%s", describe(as))
	}
}

func TestParseLooseIPv4(t *testing.T) {
	tests := []struct {
		in, want, form string
	}{
		{"2130706433", "127.0.0.1", "decimal"},
		{"0x7f000001", "127.0.0.1", "hex"},
		{"0177.0.0.1", "127.0.0.1", "octal"},
		{"0x7f.1", "127.0.0.1", "hex"},
		{"127.1", "127.0.0.1", "short"},
		{"169.254.43518", "169.254.169.254", "short"},
		{"0", "0.0.0.0", "decimal"},
		{"256.1.1.1", "", ""},
		{"4294967296", "", ""},
		{"1.2.3.4.5", "", ""},
		{"example.com", "", ""},
		{"08.0.0.1", "", ""},
	}
	for _, tt := range tests {
		a, form, ok := parseLooseIPv4(tt.in)
		if got := map[bool]string{true: a.String()}[ok]; got != tt.want || form != tt.form && ok {
			t.Errorf("parseLooseIPv4(%q) = %v %q %v, want %q %q", tt.in, a, form, ok, tt.want, tt.form)
		}
	}
}

func TestNameTokens(t *testing.T) {
	for in, want := range map[string][]string{
		"user.redirectURL":   {"user", "redirect", "url"},
		"callback_uri":       {"callback", "uri"},
		"items[0].imageUrl":  {"items", "0", "image", "url"},
		"XMLHttpRequestHost": {"xml", "http", "request", "host"},
		"":                   nil,
	} {
		if got := nameTokens(in); !slices.Equal(got, want) {
			t.Errorf("nameTokens(%q) = %q, want %q", in, got, want)
		}
	}
}

// fuzzLocs are the locations FuzzTier1 picks from: the decoders only
// ever set these.
var fuzzLocs = []decoders.Location{lQ, lP, lJ, lF, lH, lC, lX, lM, lB, decoders.LocProtobuf}

// FuzzTier1 runs the injection detector and the families, merged as the
// defaults build them, on one parameter in any location and in the path:
// alerts must encode, and be those the detectors raise apart (memo and
// all).
func FuzzTier1(f *testing.F) {
	for i, e := range attacks[:40] {
		f.Add(uint8(slices.Index(fuzzLocs, e.loc)), e.name, e.value)
		if i < 20 {
			f.Add(uint8(slices.Index(fuzzLocs, benign[i].loc)), benign[i].name, benign[i].value)
		}
	}
	merged, apart := mergedAndApart(f)
	f.Fuzz(func(t *testing.T, loc uint8, name, value string) {
		checkPick(t, &decoders.Param{Loc: fuzzLocs[int(loc)%len(fuzzLocs)], Name: name, Value: value})
		// Twice, so that the second pass meets the memo.
		x := exchange(param(fuzzLocs[int(loc)%len(fuzzLocs)], name, value), param(lQ, "q", value))
		// The value as the request's path too, for the checks of the
		// whole path (traversalPath).
		x.Request.Path = "/a/" + value
		for range 2 {
			got := inspectAll(merged, x)
			for _, a := range got {
				if _, err := alert.MarshalJSON(a); err != nil {
					t.Fatalf("alert does not encode: %v", err)
				}
			}
			if g, w := verdicts(got), verdicts(inspectAll(apart, x)); !slices.Equal(g, w) {
				t.Fatalf("merged %q, apart %q", g, w)
			}
		}
	})
}

// inScope and worth are the family-by-family checks gates.pick must agree
// with (checkPick): whether the family looks at parameter p, whose
// location its locs take, and whether p may hold one of its payloads.
func (f *family) inScope(p *decoders.Param) bool {
	if !f.values {
		return f.scope(p)
	}
	return detect.Scanned(p) || f.moreHeaders != nil && p.Loc == decoders.LocHeader && f.moreHeaders(p.Name)
}

func (f *family) worth(p *decoders.Param, in *input) bool {
	if f.pre != nil {
		return f.pre(p, in)
	}
	return f.triggers == 0 || f.triggers&in.classes != 0 || in.mayChange()
}

// checkPick fails t unless gates.pick picks for parameter p the families
// that the family-by-family checks (locs, inScope, worth) let in.
func checkPick(t *testing.T, p *decoders.Param) {
	t.Helper()
	fams := families
	g := newGates(fams)
	var in, ref input
	in.reset(p.Best())
	got := g.pick(fams, p, locBit(p.Loc), &in)
	var want famSet
	ref.reset(p.Best())
	for k, f := range fams {
		if (f.locs == 0 || f.locs&locBit(p.Loc) != 0) && f.inScope(p) && f.worth(p, &ref) {
			want |= 1 << k
		}
	}
	if got != want {
		t.Errorf("%s %q=%q: pick gives families %013b, the checks one by one %013b", p.Loc, p.Name, p.Value, got, want)
	}
}

// TestPick checks gates.pick on the corpora in every location.
func TestPick(t *testing.T) {
	for _, loc := range append(fuzzLocs, decoders.LocName, "other") {
		for _, e := range benign {
			checkPick(t, &decoders.Param{Loc: loc, Name: e.name, Value: e.value})
		}
		for _, e := range attacks {
			checkPick(t, &decoders.Param{Loc: loc, Name: e.name, Value: e.value})
			checkPick(t, &decoders.Param{Loc: loc, Name: "url", Value: e.value, Decoded: e.value + "%", Decodes: 1})
		}
	}
}

// benchExchange is a typical benign API exchange: path segments, query,
// headers, cookies and a JSON body, 30 parameters.
func benchExchange() *decoders.Exchange {
	hdr := func(n, v string) decoders.Param { return decoders.Param{Loc: lH, Name: n, Value: v} }
	return exchange(
		param(lP, "0", "api"), param(lP, "1", "v1"), param(lP, "2", "orders"),
		param(lP, "3", "123e4567-e89b-12d3-a456-426614174000"),
		param(lQ, "expand", "items,customer"), param(lQ, "page", "2"), param(lQ, "limit", "50"),
		param(lQ, "sort", "-created_at"), param(lQ, "q", "blue%20running%20shoes"),
		hdr("host", "api.example.com"), hdr("user-agent", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/120.0"),
		hdr("accept", "application/json"), hdr("authorization", "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjMifQ.abc"),
		hdr("x-request-id", "f3b9c2a4-1d2e-4f5a-9b8c-7d6e5f4a3b2c"), hdr("content-type", "application/json"),
		param(lC, "session", "s3cr3tS3ss10nT0k3nValue"), param(lC, "theme", "dark"),
		param(lJ, "customer.id", "cus_9f86d081884c"), param(lJ, "customer.name", "Jane O'Neil"),
		param(lJ, "customer.email", "jane.oneil@example.com"), param(lJ, "items[0].sku", "SKU-12345"),
		param(lJ, "items[0].qty", "2"), param(lJ, "items[0].price", "19.99"),
		param(lJ, "items[1].sku", "SKU-67890"), param(lJ, "items[1].qty", "1"),
		param(lJ, "shipping.address", "12 Rue de la Paix, 75002 Paris"),
		param(lJ, "shipping.method", "express"), param(lJ, "note", "Please leave at the door, thanks!"),
		param(lJ, "callback", "https://shop.example.com/orders/complete"), param(lJ, "coupon", "SPRING-10"),
	)
}

func BenchmarkTier1(b *testing.B) { benchTier1(b, false) }

// BenchmarkTier1Cold is BenchmarkTier1 without the memo: the cost of
// parameters the detectors have not seen before.
func BenchmarkTier1Cold(b *testing.B) { benchTier1(b, true) }

func benchTier1(b *testing.B, cold bool) {
	ds := allDetectors(b)
	if cold {
		for _, d := range ds {
			d.(*Detector).memos = &sync.Pool{New: func() any { return (*normalize.Memo)(nil) }}
		}
	}
	x := benchExchange()
	size := 0
	for _, p := range x.Params {
		size += len(p.Name) + len(p.Value)
	}
	b.SetBytes(int64(size))
	b.ReportAllocs()
	var out []*alert.Alert
	for b.Loop() {
		out = out[:0]
		for _, d := range ds {
			out = d.Inspect(x, out)
		}
	}
	if len(out) != 0 {
		b.Fatalf("benign exchange raised:%s", describe(out))
	}
}

// TestFamilyLocs checks that every family's locs holds each location its
// scope accepts, so the location prefilter never drops a parameter.
func TestFamilyLocs(t *testing.T) {
	locs := []decoders.Location{
		decoders.LocPath, decoders.LocQuery, decoders.LocHeader, decoders.LocCookie, decoders.LocForm,
		decoders.LocJSON, decoders.LocMultipart, decoders.LocXML, decoders.LocBody, decoders.LocProtobuf,
		decoders.LocName, "websocket",
	}
	names := []string{"", "0", "q", "query", "[0].query", "!DOCTYPE", "user-agent", "x-custom", "$where", "url"}
	values := []string{"", "x", "query { a }", "{", "mutation m", "<!ENTITY x>"}
	for _, f := range families {
		if f.locs == 0 || f.values {
			continue
		}
		for _, l := range locs {
			if f.locs&locBit(l) != 0 {
				continue
			}
			for _, n := range names {
				for _, v := range values {
					if f.scope != nil && f.scope(&decoders.Param{Loc: l, Name: n, Value: v}) {
						t.Errorf("%s: scope accepts %s %q but locs leaves it out", f.name, l, n)
					}
				}
			}
		}
	}
}
