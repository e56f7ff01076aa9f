package decoders

import (
	"fmt"
	"strings"
	"testing"
)

// benchJSON is a ~1 KiB API body: nested objects, an array of objects,
// escapes, numbers and literals.
func benchJSON() string {
	var b strings.Builder
	b.WriteString(`{"user":{"id":12345,"name":"Jane O\u0027Brien","email":"jane@example.com","roles":["admin","dev"],"active":true},"items":[`)
	for i := range 8 {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"id":%d,"sku":"SKU-%05d","qty":%d,"price":%d.99,"note":null}`, i, i*7, i+1, i*3)
	}
	b.WriteString(`],"meta":{"trace":"4bf92f3577b34da6a3ce929d0e0e4736","tags":["a","b","c"],"page":{"size":50,"cursor":"eyJvZmZzZXQiOjUwfQ=="}}}`)
	return b.String()
}

func BenchmarkExtractParams(b *testing.B) {
	query := "page=2&size=50&sort=name&order=asc&filter=status%3Dactive&q=hello+world&from=2024-01-01&to=2024-12-31&fields=id,name&debug=false"
	headers := []string{
		"Host", "api.example.com",
		"User-Agent", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36",
		"Accept", "application/json",
		"Authorization", "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.abc",
		"Cookie", "sid=abc123; theme=dark; lang=en",
		"Content-Type", "application/json; charset=utf-8",
		"X-Request-Id", "7f1c2a",
	}
	form := strings.Repeat("field=value%20x&", 30)
	xmlBody := `<?xml version="1.0"?><soap:Envelope xmlns:soap="urn:s"><soap:Body><GetUser><Id>42</Id><Name>x</Name></GetUser></soap:Body></soap:Envelope>`
	mp := "--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nhello\r\n--b\r\nContent-Disposition: form-data; name=\"f\"; filename=\"x.txt\"\r\nContent-Type: text/plain\r\n\r\ncontent\r\n--b--\r\n"
	for _, bc := range []struct {
		name, ct, body string
	}{
		{"query+json1k", "application/json; charset=utf-8", benchJSON()},
		{"query+form", "application/x-www-form-urlencoded", form},
		{"query+xml", "text/xml", xmlBody},
		{"query+multipart", "multipart/form-data; boundary=b", mp},
		{"query only", "", ""},
	} {
		b.Run(bc.name, func(b *testing.B) {
			x := req("/api/v1/users/12345/orders", query, bc.body, headers...)
			for i := range x.Request.Headers {
				if x.Request.Headers[i].Name == "Content-Type" {
					x.Request.Headers[i].Value = bc.ct
				}
			}
			l := DefaultLimits()
			b.ReportAllocs()
			b.SetBytes(int64(len(bc.body) + len(query)))
			for b.Loop() {
				x.Params = nil
				ExtractParams(x, &l)
			}
			b.ReportMetric(float64(len(x.Params)), "params/op")
		})
	}
}
