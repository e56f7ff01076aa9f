package detect

import (
	"slices"
	"strings"
	"testing"

	"github.com/apisensor/sensor/decoders"
	"github.com/apisensor/sensor/pipeline/alert"
)

// TestExcept: an exception takes, on the exchanges it matches, the
// evidence of the rules it names in the parameters it names; an alert left
// with none is dropped and reported; everything else stays as it was.
func TestExcept(t *testing.T) {
	ev := func(loc, name, rule string) *alert.Evidence {
		return &alert.Evidence{Location: loc, Name: name, Value: "x", Rule: rule}
	}
	mk := func(det, rule string, evs ...*alert.Evidence) *alert.Alert {
		return &alert.Alert{Detector: det, RuleId: rule, Evidence: evs}
	}
	req := func(method, host, path string) *decoders.Exchange {
		return &decoders.Exchange{Request: &decoders.Message{Method: method, Path: path,
			Headers: []decoders.Header{{Name: "Host", Value: host}}}}
	}
	bi := Exception{Rules: []string{"sqli", "sql-signature"}, Methods: []string{"post"}, Hosts: []string{"*.internal.example"},
		Paths: []string{"/api/v1/reports/query", "/bi/**"}, Params: []string{"sql", "filters.*.expr"}}
	crs := Exception{Rules: []string{"942100"}, Paths: []string{"/search"}, Locations: []string{"query"}}
	all := Exception{Rules: []string{"ssrf"}, Paths: []string{"/webhooks/*/test"}}
	cases := []struct {
		name string
		x    *decoders.Exchange
		a    *alert.Alert
		want string // evidence names left, "dropped" when the alert goes
	}{
		{"param named", req("POST", "bi.internal.example", "/api/v1/reports/query"),
			mk("injection", "sqli", ev("json", "sql", "")), "dropped"},
		{"array element", req("POST", "bi.internal.example:8443", "/bi/dash/7"),
			mk("sqlsig", "sql-signature", ev("json", "filters[3].expr", ""), ev("json", "title", "")), "title"},
		{"other param", req("POST", "bi.internal.example", "/bi"),
			mk("injection", "sqli", ev("json", "name", "")), "name"},
		{"other method", req("GET", "bi.internal.example", "/bi/x"),
			mk("injection", "sqli", ev("json", "sql", "")), "sql"},
		{"other host", req("POST", "internal.example.evil", "/bi/x"),
			mk("injection", "sqli", ev("json", "sql", "")), "sql"},
		{"other path", req("POST", "bi.internal.example", "/bid"),
			mk("injection", "sqli", ev("json", "sql", "")), "sql"},
		{"other rule", req("POST", "bi.internal.example", "/bi/x"),
			mk("injection", "xss", ev("json", "sql", "")), "sql"},
		{"crs rule of one entry", req("GET", "a", "/search"),
			mk("crs", "crs-anomaly", ev("query", "q", "942100"), ev("query", "q", "941100"), ev("header", "user-agent", "942100")), "q,user-agent"},
		{"whole alert", req("POST", "a", "/webhooks/12/test"),
			mk("ssrf", "ssrf", ev("json", "url", "")), "dropped"},
		{"whole alert, other depth", req("POST", "a", "/webhooks/12/test/x"),
			mk("ssrf", "ssrf", ev("json", "url", "")), "url"},
		// A path a server may read otherwise than as written, a host
		// that is no host name, an absolute-form URI's host.
		{"dot segment", req("POST", "bi.internal.example", "/bi/../admin"),
			mk("injection", "sqli", ev("json", "sql", "")), "sql"},
		{"encoded dots", req("POST", "bi.internal.example", "/bi/%2E%2E/admin"),
			mk("injection", "sqli", ev("json", "sql", "")), "sql"},
		{"IIS escapes", req("POST", "bi.internal.example", "/bi/%u002e%u002e/admin"),
			mk("injection", "sqli", ev("json", "sql", "")), "sql"},
		{"overlong dots", req("POST", "bi.internal.example", "/bi/%c0%ae%c0%ae/admin"),
			mk("injection", "sqli", ev("json", "sql", "")), "sql"},
		{"path parameter", req("POST", "bi.internal.example", "/bi/..;/admin"),
			mk("injection", "sqli", ev("json", "sql", "")), "sql"},
		{"empty segment", req("POST", "a", "/webhooks//test"),
			mk("ssrf", "ssrf", ev("json", "url", "")), "url"},
		{"host with a space", req("POST", "evil.com .internal.example", "/bi/x"),
			mk("injection", "sqli", ev("json", "sql", "")), "sql"},
		// A repeated HTTP/2 :path: the request has two paths.
		{"repeated :path", func() *decoders.Exchange {
			x := req("POST", "a", "/webhooks/12/test")
			x.Request.Headers = append(x.Request.Headers, decoders.Header{Name: ":path", Value: "/admin?id=1"})
			return x
		}(), mk("ssrf", "ssrf", ev("json", "url", "")), "url"},
		{"absolute-form URI", func() *decoders.Exchange {
			x := req("POST", "bi.internal.example", "/bi/x")
			x.Request.URI = "http://evil.example/bi/x"
			return x
		}(), mk("injection", "sqli", ev("json", "sql", "")), "sql"},
		// A response to no request (decoders/http1) has no method, host
		// or path: only an exception that names none of them covers it.
		{"response to no request, path named", &decoders.Exchange{Response: &decoders.Message{Status: 200}},
			mk("ssrf", "ssrf", ev("json", "url", "")), "url"},
		{"response to no request", &decoders.Exchange{Response: &decoders.Message{Status: 200}},
			mk("smuggling", "http-response-without-request", ev("response_status", "status", "")), "dropped"},
	}
	desync := Exception{Rules: []string{"http-response-without-request"}}
	c := Config{Exceptions: []Exception{bi, crs, all, desync}}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			keep := mk("injection", "xss", ev("query", "q", ""))
			var dropped []*alert.Alert
			out := c.Except(tc.x, []*alert.Alert{keep, tc.a}, 1, func(a *alert.Alert) { dropped = append(dropped, a) })
			if out[0] != keep || len(keep.Evidence) != 1 {
				t.Fatalf("an alert before from was touched: %v", out)
			}
			got := "dropped"
			if len(out) == 2 {
				var names []string
				for _, v := range out[1].Evidence {
					names = append(names, v.Name)
				}
				got = strings.Join(names, ",")
			} else if !slices.Equal(dropped, []*alert.Alert{tc.a}) {
				t.Fatalf("dropped %v, want the alert", dropped)
			}
			if got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestExceptionValidate(t *testing.T) {
	for _, e := range []Exception{
		{},
		{Rules: []string{"sqli"}, Paths: []string{"api/[x"}},
		{Rules: []string{"sqli"}, Paths: []string{"no-slash"}},
		{Rules: []string{"sqli"}, Params: []string{`a\`}},
		{Rules: []string{"sqli"}, Locations: []string{"body-ish"}},
		{Rules: []string{"sqli"}, Locations: []string{"JSON"}},
		{Rules: []string{"SQLI"}},
		{Rules: []string{"sqli"}, Paths: []string{"/**"}},
		{Rules: []string{"sqli"}, Paths: []string{"/x/**/y"}},
		{Rules: []string{"sqli"}, Hosts: []string{""}},
		{Rules: []string{"sqli"}, Hosts: []string{"example.com:8080"}},
		{Rules: []string{"sqli"}, Sources: []string{"10.0.0.0/33"}},
		{Rules: []string{"sqli"}, Sources: []string{"scanner.internal"}},
		{Rules: []string{"sqli"}, Sources: []string{"fe80::1%eth0"}},
	} {
		c := Config{Exceptions: []Exception{e}}
		if err := c.Validate(); err == nil {
			t.Errorf("%+v: no error", e)
		}
	}
}

// TestExceptSources: an exception with sources takes only the alerts of
// clients in them, read as the alert gives its client (the trusted
// proxy's forwarded address, when there is one); IPv4-mapped addresses
// are IPv4.
func TestExceptSources(t *testing.T) {
	x := &decoders.Exchange{Request: &decoders.Message{Method: "GET", Path: "/search"}}
	c := Config{Exceptions: []Exception{{Rules: []string{"injection"}, Sources: []string{"10.20.0.0/24", "192.0.2.7", "2001:db8::/32", "::ffff:198.51.100.0/120"}}}}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	for ip, want := range map[string]bool{
		"10.20.0.9": true, "10.20.1.9": false, "192.0.2.7": true, "192.0.2.8": false,
		"2001:db8::5": true, "2001:db9::5": false, "::ffff:10.20.0.9": true, "198.51.100.77": true,
		"": false, "not an address": false,
	} {
		a := &alert.Alert{Detector: "injection", RuleId: "sqli", Client: &alert.Client{Ip: ip},
			Evidence: []*alert.Evidence{{Location: "query", Name: "q", Value: "x"}}}
		out := c.Except(x, []*alert.Alert{a}, 0, nil)
		if got := len(out) == 0; got != want {
			t.Errorf("client %q: dropped %v, want %v", ip, got, want)
		}
	}
}

// TestExceptBehaviour: behavioural alerts are dropped by exceptions that
// name their rule (or "behave") and have no params or locations, matched
// on the endpoint's method, host and path template and on the client the
// window is about; an alert about many clients matches no source.
func TestExceptBehaviour(t *testing.T) {
	mk := func(rule, key, ip, method, template string) *alert.Alert {
		return &alert.Alert{Detector: "behave", RuleId: rule, Client: &alert.Client{Ip: ip},
			Http: &alert.Http{Method: method, Host: "api.example.com", Url: template}, Behavior: &alert.Behavior{Key: key}}
	}
	c := Config{Exceptions: []Exception{
		{Rules: []string{"enumeration"}, Methods: []string{"get"}, Paths: []string{"/api/v1/catalog/**"}, Reason: "the catalogue is public"},
		{Rules: []string{"behave"}, Sources: []string{"10.20.0.0/24"}, Reason: "the scanner"},
		{Rules: []string{"brute-force"}, Params: []string{"password"}},
		{Rules: []string{"rate-abuse"}, Hosts: []string{"*.partner.example"}},
	}}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		a    *alert.Alert
		drop bool
	}{
		{"public catalogue", mk("enumeration", "ip:203.0.113.5", "203.0.113.5", "GET", "/api/v1/catalog/{id}"), true},
		{"users are not", mk("enumeration", "ip:203.0.113.5", "203.0.113.5", "GET", "/api/v1/users/{id}"), false},
		{"other method", mk("enumeration", "ip:203.0.113.5", "203.0.113.5", "POST", "/api/v1/catalog/{id}"), false},
		{"scanner by address", mk("scanner", "ip:10.20.0.4", "10.20.0.4", "GET", "/"), true},
		{"scanner elsewhere", mk("scanner", "ip:10.30.0.4", "10.30.0.4", "GET", "/"), false},
		{"scanner's API key", mk("enumeration", "key:3f2a", "10.20.0.4", "GET", "/api/v1/users/{id}"), true},
		{"many clients", mk("distributed-credential-stuffing", "endpoint:POST /login", "10.20.0.4", "POST", "/login"), false},
		{"token sharing", mk("token-sharing", "token:9c1d", "10.20.0.4", "GET", "/api"), false},
		{"params never match", mk("brute-force", "ip:203.0.113.9", "203.0.113.9", "POST", "/login"), false},
		{"host", mk("rate-abuse", "ip:203.0.113.9", "203.0.113.9", "GET", "/x"), false},
	}
	for _, tc := range cases {
		var dropped []*alert.Alert
		out := c.ExceptBehaviour([]*alert.Alert{tc.a}, func(a *alert.Alert) { dropped = append(dropped, a) })
		if got := len(out) == 0; got != tc.drop || got != (len(dropped) == 1) {
			t.Errorf("%s: dropped %v (reported %d), want %v", tc.name, got, len(dropped), tc.drop)
		}
	}
	partner := mk("rate-abuse", "ip:203.0.113.9", "203.0.113.9", "GET", "/x")
	partner.Http.Host = "eu.partner.example"
	if out := c.ExceptBehaviour([]*alert.Alert{partner}, nil); len(out) != 0 {
		t.Error("a host exception kept the partner's rate alert")
	}
}
