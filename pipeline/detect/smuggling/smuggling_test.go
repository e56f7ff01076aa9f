package smuggling

import (
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/apisensor/sensor/decoders"
	"github.com/apisensor/sensor/decoders/http1"
	"github.com/apisensor/sensor/decoders/http2"
	"github.com/apisensor/sensor/pipeline/alert"
	"github.com/apisensor/sensor/pipeline/detect"
	"github.com/apisensor/sensor/sensor"
)

type hdrs = []decoders.Header

func h1(method string, headers hdrs, anomalies ...string) *decoders.Exchange {
	x := &decoders.Exchange{
		Conn: &sensor.ConnMeta{ID: 1, Source: "test.pcap", Key: sensor.FlowKey{
			SrcIP: netip.MustParseAddr("192.0.2.1"), DstIP: netip.MustParseAddr("192.0.2.2"), SrcPort: 40000, DstPort: 80, Proto: 6,
		}},
		Proto:   "http/1.1",
		Request: &decoders.Message{Method: method, URI: "/api/echo", Path: "/api/echo", Version: "HTTP/1.1", Headers: headers},
	}
	for _, a := range anomalies {
		kind, detail, _ := strings.Cut(a, "|")
		x.Anomalies = append(x.Anomalies, decoders.Anomaly{Kind: kind, Detail: detail, Dir: sensor.ClientToServer})
	}
	return x
}

func h2(method, path string, headers hdrs, body int64) *decoders.Exchange {
	x := h1(method, headers)
	x.Proto, x.StreamID = http2.Proto, 1
	x.Request.Version, x.Request.URI, x.Request.Authority = "HTTP/2", path, "api.example"
	x.Request.WireBodyLen = body
	return x
}

func inspect(t *testing.T, x *decoders.Exchange) []*alert.Alert {
	t.Helper()
	ds, err := detect.New([]string{Name}, detect.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	out := ds[0].Inspect(x, nil)
	for _, a := range out {
		if _, err := alert.MarshalJSON(a); err != nil {
			t.Fatalf("alert does not encode: %v", err)
		}
	}
	return out
}

func TestSmuggling(t *testing.T) {
	clte := hdrs{{Name: "Host", Value: "a"}, {Name: "Content-Length", Value: "6"}, {Name: "Transfer-Encoding", Value: "chunked"}}
	seq := func(x *decoders.Exchange, n int) *decoders.Exchange { x.Seq = n; return x }
	tests := []struct {
		name    string
		x       *decoders.Exchange
		kinds   []string // evidence rules, worst first; nil for no alert
		sev     alert.Severity
		summary string // "": not checked
		value   string // first evidence value
	}{
		{"plain request", h1("POST", hdrs{{Name: "Content-Length", Value: "6"}}), nil, 0, "", ""},
		{"anomaly from the response only", func() *decoders.Exchange {
			x := h1("GET", nil)
			x.Anomalies = []decoders.Anomaly{{Kind: http1.KindCLWithTE, Dir: sensor.ServerToClient}}
			return x
		}(), nil, 0, "", ""},
		{"not a smuggling anomaly", h1("GET", nil, http1.KindGap, http1.KindTooManyHeaders), nil, 0, "", ""},
		{"CL.TE", h1("POST", clte, http1.KindCLWithTE), []string{http1.KindCLWithTE}, alert.Severity_SEVERITY_HIGH,
			"HTTP request smuggling: Content-Length with Transfer-Encoding", "Content-Length: 6; Transfer-Encoding: chunked"},
		{"conflicting CL and bare LF", h1("POST", hdrs{{Name: "Content-Length", Value: "5"}, {Name: "Content-Length", Value: "6"}}, http1.KindBareLF+"|line ended by LF without CR", http1.KindConflictingCL),
			[]string{http1.KindConflictingCL, http1.KindBareLF}, alert.Severity_SEVERITY_HIGH,
			"HTTP request smuggling: conflicting Content-Length values (and 1 more)", "Content-Length: 5; Content-Length: 6"},
		{"obfuscated TE", h1("POST", hdrs{{Name: "Transfer-Encoding", Value: "xchunked"}}, http1.KindUnknownTE+"|xchunked"),
			[]string{http1.KindUnknownTE}, alert.Severity_SEVERITY_HIGH, "HTTP request smuggling: obfuscated Transfer-Encoding", "Transfer-Encoding: xchunked; (xchunked)"},
		{"whitespace before colon", h1("POST", hdrs{{Name: "Transfer-Encoding", Value: "chunked"}}, http1.KindInvalidHeaderName+"|whitespace before colon"),
			[]string{http1.KindInvalidHeaderName}, alert.Severity_SEVERITY_MEDIUM, "HTTP request smuggling: whitespace before a header colon", "Transfer-Encoding: chunked; (whitespace before colon)"},
		{"bare LF alone", h1("GET", nil, http1.KindBareLF+"|line ended by LF without CR"), []string{http1.KindBareLF}, alert.Severity_SEVERITY_LOW,
			"HTTP request smuggling: bare LF line ending", "line ended by LF without CR"},
		{"underscore lookalike", h1("POST", hdrs{{Name: "Transfer_Encoding", Value: "chunked"}}), []string{KindFramingLookalike}, alert.Severity_SEVERITY_MEDIUM,
			"HTTP request smuggling: framing header lookalike", "Transfer_Encoding: chunked"},
		{"control byte in a framing name", h1("POST", hdrs{{Name: "Transfer-Encoding\x0b", Value: "chunked"}}, http1.KindInvalidHeaderName+"|Transfer-Encoding\x0b"),
			[]string{KindFramingLookalike, http1.KindInvalidHeaderName}, alert.Severity_SEVERITY_MEDIUM, "HTTP request smuggling: framing header lookalike (and 1 more)", ""},
		{"ordinary custom header", h1("POST", hdrs{{Name: "X-Content-Length-Hint", Value: "5"}, {Name: "Content-Type", Value: "a"}}), nil, 0, "", ""},
		{"two TE lines", h1("POST", hdrs{{Name: "Transfer-Encoding", Value: "chunked"}, {Name: "Transfer-Encoding", Value: "identity"}}, http1.KindUnknownTE+"|identity"),
			[]string{http1.KindUnknownTE, KindMultipleTE}, alert.Severity_SEVERITY_HIGH, "HTTP request smuggling: obfuscated Transfer-Encoding (and 1 more)", ""},
		{"smuggled prefix", seq(h1("GGET", nil), 1), []string{KindPrefixedMethod}, alert.Severity_SEVERITY_MEDIUM,
			"HTTP request smuggling: method with a smuggled prefix", `GGET /api/echo ("G" before GET)`},
		{"custom method is not a prefix", seq(h1("PROPFIND", nil), 1), nil, 0, "", ""},
		{"WebDAV methods end in known ones", seq(h1("PROPPATCH", nil), 1), nil, 0, "", ""},
		{"Exchange's WebDAV", seq(h1("BDELETE", nil), 1), nil, 0, "", ""},
		// A request as the body (CL.0, TE.0, 0.CL); Connection naming a
		// framing header (a proxy drops it); an obfuscated Expect; a
		// Content-Length list with an empty element, a signed one, one
		// no server buffers; a framing header unfolded into another.
		{"request in the body", func() *decoders.Exchange {
			x := h1("POST", hdrs{{Name: "Content-Length", Value: "27"}})
			x.Request.Body = []byte("GET /admin HTTP/1.1\r\nFoo: x")
			return x
		}(), []string{KindRequestInBody}, alert.Severity_SEVERITY_HIGH, "HTTP request smuggling: a request in the body", "GET /admin HTTP/1.1"},
		{"a request after an empty line", func() *decoders.Exchange {
			x := h1("GET", hdrs{{Name: "Content-Length", Value: "29"}})
			x.Request.Body = []byte("\r\nGET /admin HTTP/1.1\r\nFoo: x")
			return x
		}(), []string{KindRequestInBody}, alert.Severity_SEVERITY_HIGH, "", ""},
		{"a request pasted in a text note", func() *decoders.Exchange {
			x := h1("POST", hdrs{{Name: "Content-Type", Value: "text/plain"}})
			x.Request.Body = []byte("GET /health HTTP/1.1\nHost: a\n\nthe probe failed")
			return x
		}(), []string{KindRequestInText}, alert.Severity_SEVERITY_MEDIUM, "", ""},
		{"a content type that names http is no batch", func() *decoders.Exchange {
			x := h1("POST", hdrs{{Name: "Content-Type", Value: "application/x-www-form-urlencoded; x=http"}})
			x.Request.Body = []byte("GET /admin HTTP/1.1\r\nFoo: x")
			return x
		}(), []string{KindRequestInBody}, alert.Severity_SEVERITY_HIGH, "", ""},
		// An HTTP batch carries requests by design, but the sender picks
		// the content type: lowered, not gone.
		{"an HTTP batch carries requests", func() *decoders.Exchange {
			x := h1("POST", hdrs{{Name: "Content-Type", Value: "application/http"}})
			x.Request.Body = []byte("GET /items/1 HTTP/1.1\r\n\r\n")
			return x
		}(), []string{KindRequestInText}, alert.Severity_SEVERITY_MEDIUM, "", ""},
		{"a request after many empty lines", func() *decoders.Exchange {
			x := h1("POST", hdrs{{Name: "Content-Length", Value: "700"}})
			x.Request.Body = []byte(strings.Repeat("\r\n", 300) + "GET /admin HTTP/1.1\r\nHost: a\r\n\r\n")
			return x
		}(), []string{KindRequestInBody}, alert.Severity_SEVERITY_HIGH, "", "GET /admin HTTP/1.1"},
		{"Expect with a suffix", h1("POST", hdrs{{Name: "Expect", Value: "100-continuex"}}), []string{KindExpect}, alert.Severity_SEVERITY_MEDIUM, "", ""},
		{"h2 other port", h2("GET", "/", hdrs{{Name: "host", Value: "api.example:80"}}, 0), nil, 0, "", ""},
		{"hop-by-hop Content-Length", h1("POST", hdrs{{Name: "Connection", Value: "keep-alive, Content-Length"}, {Name: "Content-Length", Value: "5"}}),
			[]string{KindHopByHopFraming}, alert.Severity_SEVERITY_HIGH, "", "Connection: keep-alive, Content-Length"},
		{"obfuscated Expect", h1("POST", hdrs{{Name: "Expect", Value: "y 100-continue"}}), []string{KindExpect}, alert.Severity_SEVERITY_MEDIUM, "", ""},
		{"plain Expect", h1("POST", hdrs{{Name: "Expect", Value: "100-Continue"}}), nil, 0, "", ""},
		{"empty Expect", h1("POST", hdrs{{Name: "Expect", Value: ""}}), nil, 0, "", ""},
		{"TE folded with a space before the colon", h1("POST", hdrs{{Name: "Foo", Value: "bar Transfer-Encoding : chunked"}}, http1.KindObsFold+"|header continuation line"),
			[]string{KindFramingInFold, http1.KindObsFold}, alert.Severity_SEVERITY_HIGH, "", ""},
		{"empty CL element", h1("POST", hdrs{{Name: "Content-Length", Value: ",5"}}), []string{http1.KindInvalidContentLength}, alert.Severity_SEVERITY_MEDIUM, "", ""},
		{"empty CL", h1("POST", hdrs{{Name: "Content-Length", Value: " "}}), []string{http1.KindInvalidContentLength}, alert.Severity_SEVERITY_MEDIUM, "", ""},
		{"equal CL list", h1("POST", hdrs{{Name: "Content-Length", Value: "5, 5"}}), nil, 0, "", ""},
		{"implausible CL", h1("GET", hdrs{{Name: "Content-Length", Value: "999999999999999999"}}), []string{KindHugeCL}, alert.Severity_SEVERITY_MEDIUM, "", ""},
		{"TE in a folded line", h1("POST", hdrs{{Name: "Foo", Value: "bar Transfer-Encoding: chunked"}}, http1.KindObsFold+"|header continuation line"),
			[]string{KindFramingInFold, http1.KindObsFold}, alert.Severity_SEVERITY_HIGH, "", ""},
		{"bare CR", h1("POST", nil, http1.KindBareCR+"|CR inside a line"), []string{http1.KindBareCR}, alert.Severity_SEVERITY_MEDIUM, "", ""},
		{"first request of a connection", h1("GGET", nil), nil, 0, "", ""},

		{"h2 benign", h2("POST", "/v1/x", hdrs{{Name: "content-length", Value: "3"}, {Name: "te", Value: "trailers"}}, 3), nil, 0, "", ""},
		{"h2 TE", h2("POST", "/", hdrs{{Name: "transfer-encoding", Value: "chunked"}}, 10), []string{KindH2TE}, alert.Severity_SEVERITY_HIGH,
			"HTTP request smuggling: Transfer-Encoding in HTTP/2", "transfer-encoding: chunked"},
		{"h2 CL mismatch", h2("POST", "/", hdrs{{Name: "content-length", Value: "0"}}, 27), []string{KindH2CLMismatch}, alert.Severity_SEVERITY_HIGH,
			"HTTP request smuggling: HTTP/2 Content-Length not the body length", "content-length: 0; (Content-Length 0, DATA 27 bytes)"},
		{"h2 CL mismatch, body not all seen", func() *decoders.Exchange {
			x := h2("POST", "/", hdrs{{Name: "content-length", Value: "100"}}, 27)
			x.Request.Incomplete = true
			return x
		}(), nil, 0, "", ""},
		{"h2 CRLF in a value", h2("GET", "/", hdrs{{Name: "foo", Value: "bar\r\nTransfer-Encoding: chunked"}}, 0), []string{KindH2CRLF}, alert.Severity_SEVERITY_HIGH,
			"HTTP request smuggling: CR or LF in an HTTP/2 header", `"foo: bar\r\nTransfer-Encoding: chunked"`},
		{"h2 request line injection", h2("GET", "/ HTTP/1.1\r\nHost: x\r\n\r\nGET /admin", nil, 0), []string{KindH2RequestLine}, alert.Severity_SEVERITY_HIGH,
			"HTTP request smuggling: malformed HTTP/2 request line", ""},
		{"h2 connection headers", h2("GET", "/", hdrs{{Name: "connection", Value: "keep-alive"}, {Name: "te", Value: "gzip"}, {Name: "Host", Value: "api.example"}}, 0),
			[]string{KindH2ConnHeader, KindH2TENotTrailers, KindH2HeaderName}, alert.Severity_SEVERITY_MEDIUM, "HTTP request smuggling: connection-specific header in HTTP/2 (and 2 more)", "connection: keep-alive"},
		// A stream reset before its end with more DATA than declared; a
		// signed length; :authority and Host apart; CR/LF in a trailer.
		{"h2 CL mismatch, more than declared before a reset", func() *decoders.Exchange {
			x := h2("POST", "/", hdrs{{Name: "content-length", Value: "0"}}, 32)
			x.Request.Incomplete = true
			return x
		}(), []string{KindH2CLMismatch}, alert.Severity_SEVERITY_HIGH, "HTTP request smuggling: HTTP/2 Content-Length not the body length", ""},
		{"h2 signed CL", h2("POST", "/", hdrs{{Name: "content-length", Value: "+3"}}, 3), []string{KindH2CLMismatch}, alert.Severity_SEVERITY_HIGH, "", ""},
		{"h2 authority and host", h2("GET", "/", hdrs{{Name: "host", Value: "internal.example"}}, 0), []string{KindH2AuthorityHost}, alert.Severity_SEVERITY_MEDIUM, "", ""},
		// Host routing: two Host lines; an absolute-form target naming
		// another host (user info and default ports as servers read them).
		{"duplicate host", h1("GET", hdrs{{Name: "Host", Value: "shop.example"}, {Name: "Host", Value: "admin.internal"}}, http1.KindDuplicateHost),
			[]string{http1.KindDuplicateHost}, alert.Severity_SEVERITY_MEDIUM, "HTTP request smuggling: repeated Host", "Host: shop.example; Host: admin.internal"},
		{"h2 duplicate host", h2("GET", "/", hdrs{{Name: "host", Value: "api.example"}, {Name: "host", Value: "api.example"}}, 0), []string{KindDuplicateHost}, alert.Severity_SEVERITY_MEDIUM, "", ""},
		{"absolute target, other host", func() *decoders.Exchange {
			x := h1("GET", hdrs{{Name: "Host", Value: "shop.example"}})
			x.Request.URI = "http://user@169.254.169.254/latest/meta-data/"
			return x
		}(), []string{KindAbsoluteHost}, alert.Severity_SEVERITY_MEDIUM, "", "Host: shop.example; (target 169.254.169.254, Host shop.example)"},
		{"absolute target, same host", func() *decoders.Exchange {
			x := h1("GET", hdrs{{Name: "Host", Value: "Shop.Example"}})
			x.Request.URI = "HTTP://shop.example:80/cart?x=http://other"
			return x
		}(), nil, 0, "", ""},
		{"absolute target, backslash", func() *decoders.Exchange {
			x := h1("GET", hdrs{{Name: "Host", Value: "evil.example"}})
			x.Request.URI = "http://good.example\\@evil.example/"
			return x
		}(), []string{KindAbsoluteHost}, alert.Severity_SEVERITY_MEDIUM, "", ""},
		{"absolute target, the other default port", func() *decoders.Exchange {
			x := h1("GET", hdrs{{Name: "Host", Value: "shop.example"}})
			x.Request.URI = "http://shop.example:443/"
			return x
		}(), []string{KindAbsoluteHost}, alert.Severity_SEVERITY_MEDIUM, "", ""},
		{"absolute target, https default port", func() *decoders.Exchange {
			x := h1("GET", hdrs{{Name: "Host", Value: "shop.example:443"}})
			x.Request.URI = "https://shop.example/a"
			return x
		}(), nil, 0, "", ""},
		// h2csmuggler: an h2c upgrade a reverse proxy forwarded; curl's
		// own, and a WebSocket upgrade through the proxy, are not it.
		{"h2c upgrade through a proxy, not switched", h1("GET", hdrs{{Name: "Host", Value: "a"}, {Name: "Upgrade", Value: "h2c"},
			{Name: "HTTP2-Settings", Value: "AAMAAABkAARAAAAAAAIAAAAA"}, {Name: "Connection", Value: "Upgrade, HTTP2-Settings"}, {Name: "X-Forwarded-For", Value: "203.0.113.9"}}),
			nil, 0, "", ""},
		{"h2c upgrade from the client", h1("GET", hdrs{{Name: "Host", Value: "a"}, {Name: "Upgrade", Value: "h2c"},
			{Name: "HTTP2-Settings", Value: "AAMAAABkAARAAAAAAAIAAAAA"}, {Name: "Connection", Value: "Upgrade, HTTP2-Settings"}}), nil, 0, "", ""},
		{"websocket upgrade through a proxy", h1("GET", hdrs{{Name: "Host", Value: "a"}, {Name: "Upgrade", Value: "websocket"}, {Name: "Via", Value: "1.1 proxy"}}), nil, 0, "", ""},
		{"request after a refused upgrade", seq(h1("GET", hdrs{{Name: "Host", Value: "a"}}, http1.KindRequestAfterRefusedUpgrade), 1),
			[]string{http1.KindRequestAfterRefusedUpgrade}, alert.Severity_SEVERITY_MEDIUM, "HTTP request smuggling: request after a refused WebSocket upgrade", ""},
		{"h2 same authority and host", h2("GET", "/", hdrs{{Name: "host", Value: "API.example"}}, 0), nil, 0, "", ""},
		{"h2 same host, default port and dot", h2("GET", "/", hdrs{{Name: "host", Value: "api.example.:443"}}, 0), nil, 0, "", ""},
		{"h2 CRLF in a trailer", func() *decoders.Exchange {
			x := h2("POST", "/", nil, 0)
			x.Request.Trailers = hdrs{{Name: "x-t", Value: "a\r\nTransfer-Encoding: chunked"}}
			return x
		}(), []string{KindH2CRLF}, alert.Severity_SEVERITY_HIGH, "", ""},
		{"h2 repeated path", func() *decoders.Exchange {
			x := h2("GET", "/", nil, 0)
			x.Anomalies = []decoders.Anomaly{{Kind: http2.KindInvalidPseudoHeader, Detail: "repeated :path", Dir: sensor.ClientToServer}}
			return x
		}(), []string{http2.KindInvalidPseudoHeader}, alert.Severity_SEVERITY_MEDIUM, "", ""},
		{"h2 field behind an unseen table entry", h2("POST", "/", hdrs{{Name: "<unknown-index:79>", Value: "<unknown-index:79>"}}, 0), nil, 0, "", ""},
		{"h2c upgrade request", func() *decoders.Exchange {
			x := h2("GET", "/", hdrs{{Name: "Connection", Value: "Upgrade, HTTP2-Settings"}, {Name: "Upgrade", Value: "h2c"}}, 0)
			x.Request.Version = "HTTP/1.1"
			return x
		}(), nil, 0, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := inspect(t, tt.x)
			if tt.kinds == nil {
				if len(out) != 0 {
					t.Fatalf("unexpected alert %v", out[0])
				}
				return
			}
			if len(out) != 1 {
				t.Fatalf("got %d alerts", len(out))
			}
			a := out[0]
			var rules []string
			for _, e := range a.Evidence {
				rules = append(rules, e.Rule)
				if !strings.Contains(e.Message, "CWE-444") || e.Matched == "" {
					t.Errorf("evidence %v", e)
				}
			}
			if !slices.Equal(rules, tt.kinds) {
				t.Errorf("kinds %v, want %v", rules, tt.kinds)
			}
			if a.Severity != tt.sev || tt.summary != "" && a.Summary != tt.summary || a.Category != "http-request-smuggling" || a.RuleId != "http-request-smuggling" ||
				a.Detector != Name || strings.Join(a.Owasp, ",") != "A04:2021,API8:2023" || a.Outcome != alert.Outcome_OUTCOME_ATTEMPTED {
				t.Errorf("alert %v", a)
			}
			if tt.value != "" && a.Evidence[0].Value != tt.value {
				t.Errorf("evidence value %q, want %q", a.Evidence[0].Value, tt.value)
			}
		})
	}
}

func TestSmugglingRefused(t *testing.T) {
	x := h1("POST", hdrs{{Name: "Content-Length", Value: "5"}, {Name: "Content-Length", Value: "6"}}, http1.KindConflictingCL)
	x.Response = &decoders.Message{Status: 400}
	out := inspect(t, x)
	if len(out) != 1 || out[0].Outcome != alert.Outcome_OUTCOME_BLOCKED || len(out[0].ResponseEvidence) != 1 {
		t.Fatalf("got %v", out)
	}
}

// TestTCPDesync: client bytes retransmitted with different data raise the
// desync alert of their own, beside any smuggling one; the server's do not.
func TestTCPDesync(t *testing.T) {
	x := h1("GET", nil, decoders.AnomalyOverlap+"|retransmission with different data; first copy kept")
	out := inspect(t, x)
	if len(out) != 1 || out[0].RuleId != ruleTCPDesync.ID || out[0].Category != "evasion" || len(out[0].Evidence) != 1 {
		t.Fatalf("got %v", out)
	}
	x = h1("POST", hdrs{{Name: "Content-Length", Value: "5"}, {Name: "Content-Length", Value: "6"}}, http1.KindConflictingCL, decoders.AnomalyOverlap+"|x")
	if out := inspect(t, x); len(out) != 2 {
		t.Fatalf("desync and smuggling together: %d alerts", len(out))
	}
	x = h1("GET", nil)
	x.Anomalies = append(x.Anomalies, decoders.Anomaly{Kind: decoders.AnomalyOverlap, Dir: sensor.ServerToClient})
	if out := inspect(t, x); len(out) != 0 {
		t.Fatalf("a server retransmission raised %v", out)
	}
}

func TestKindsDescribed(t *testing.T) {
	for k, v := range kinds {
		if v.title == "" || v.why == "" || v.sev == 0 || v.conf == 0 {
			t.Errorf("kind %s incomplete", k)
		}
	}
}

func FuzzSmuggling(f *testing.F) {
	f.Add("POST", "/", "Content-Length", "6", "Transfer-Encoding", "chunked", http1.KindCLWithTE, false, int64(0), 0)
	f.Add("GGET", "/a", "Transfer_Encoding", "chunked", "x", "y", "", false, int64(0), 1)
	f.Add("GET", "/ x\r\n", "foo", "a\r\nb", "te", "gzip", "", true, int64(5), 0)
	f.Add("POST", "/", "content-length", "abc", "content-length", "1", "", true, int64(1), 0)
	ds, err := detect.New([]string{Name}, detect.DefaultConfig())
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, method, path, n1, v1, n2, v2, anomaly string, isH2 bool, body int64, seq int) {
		headers := hdrs{{Name: n1, Value: v1}, {Name: n2, Value: v2}}
		var x *decoders.Exchange
		if isH2 {
			x = h2(method, path, headers, body)
		} else {
			x = h1(method, headers, anomaly)
		}
		x.Seq = seq
		for _, a := range ds[0].Inspect(x, nil) {
			if len(a.Evidence) > detect.DefaultConfig().MaxEvidence {
				t.Fatalf("%d evidence entries", len(a.Evidence))
			}
			if _, err := alert.MarshalJSON(a); err != nil {
				t.Fatalf("alert does not encode: %v", err)
			}
		}
	})
}

func BenchmarkSmugglingBenign(b *testing.B) {
	x := h1("POST", hdrs{{Name: "Host", Value: "a"}, {Name: "User-Agent", Value: "curl"}, {Name: "Content-Type", Value: "application/json"},
		{Name: "Content-Length", Value: "37"}, {Name: "Accept", Value: "*/*"}, {Name: "X-Request-Id", Value: "abc"}})
	ds, err := detect.New([]string{Name}, detect.DefaultConfig())
	if err != nil {
		b.Fatal(err)
	}
	d := ds[0]
	var out []*alert.Alert
	b.ReportAllocs()
	for b.Loop() {
		out = d.Inspect(x, out[:0])
	}
}

// TestExtraResponse: a response to no request (an exchange with a response
// and no request, as decoders/http1 hands one on) is a desync.
func TestExtraResponse(t *testing.T) {
	x := h1("GET", nil)
	x.Request = nil
	x.Response = &decoders.Message{Status: 403, Version: "HTTP/1.1"}
	x.Anomalies = []decoders.Anomaly{{Kind: http1.KindResponseWithoutRequest, Dir: sensor.ServerToClient}}
	out := inspect(t, x)
	if len(out) != 1 || out[0].RuleId != "http-response-without-request" || out[0].Outcome != alert.Outcome_OUTCOME_LIKELY_SUCCESSFUL {
		t.Fatalf("alerts %v", out)
	}
	x.Anomalies = nil
	if out := inspect(t, x); len(out) != 0 {
		t.Errorf("a response without the anomaly raised %v", out)
	}
}

// TestH2CSwitched: an h2c upgrade through a proxy that the back end
// switched for is the proxy's exposure (low): the tunnel past it is open.
// Without a 101, or without what a proxy adds, nothing.
func TestH2CSwitched(t *testing.T) {
	x := h1("GET", hdrs{{Name: "Host", Value: "a"}, {Name: "Upgrade", Value: "h2c"}, {Name: "Via", Value: "1.1 edge"}})
	x.Response = &decoders.Message{Status: 101, Version: "HTTP/1.1"}
	out := inspect(t, x)
	if len(out) != 1 || out[0].Evidence[0].Rule != KindH2CProxied || out[0].Severity != alert.Severity_SEVERITY_LOW ||
		out[0].Summary != "HTTP request smuggling: h2c upgrade switched through a proxy" {
		t.Fatalf("alerts %v", out)
	}
	x.Response.Status = 200
	if out = inspect(t, x); len(out) != 0 {
		t.Errorf("not switched: %v", out)
	}
	x.Response.Status = 101
	x.Request.Headers = x.Request.Headers[:2]
	if out = inspect(t, x); len(out) != 0 {
		t.Errorf("no proxy: %v", out)
	}
}
