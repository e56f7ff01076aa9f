package confirm

import (
	"strings"
	"testing"

	"github.com/apisensor/sensor/decoders"
)

// benignHTML and benignJSON are 16 KiB responses with nothing to find.
var (
	benignHTML = func() string {
		var b strings.Builder
		b.WriteString("<!doctype html><html><head><title>Orders</title><style>:root{--fg:#222}</style></head><body>\n")
		for b.Len() < 16<<10-200 {
			b.WriteString(`<tr><td class="id">10492</td><td><a href="/orders/10492?uid=7">Order 10492</a></td><td>2 items, shipped to localhost depot</td></tr>` + "\n")
		}
		b.WriteString("</table></body></html>")
		return b.String()
	}()
	benignJSON = func() string {
		var b strings.Builder
		b.WriteString(`{"items":[`)
		for b.Len() < 16<<10-100 {
			b.WriteString(`{"id":"ord-10492","status":"shipped","error":null,"message":"ok","total":49.5,"tags":["a","b"]},`)
		}
		b.WriteString(`{}]}`)
		return b.String()
	}()
)

func benchCheck(b *testing.B, ct, body, category string, payloads []string) {
	x := &decoders.Exchange{
		Request: &decoders.Message{URI: "/search"},
		Response: &decoders.Message{Status: 200, Body: []byte(body),
			Headers: []decoders.Header{{Name: "Content-Type", Value: ct}}},
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		Check(x, category, payloads, 0)
	}
}

func BenchmarkCheckHTMLSQLi(b *testing.B) {
	benchCheck(b, "text/html", benignHTML, "sql-injection", []string{"1' OR '1'='1"})
}

func BenchmarkCheckHTMLCmdi(b *testing.B) {
	benchCheck(b, "text/html", benignHTML, "os-command-injection", []string{";cat /etc/passwd"})
}

func BenchmarkCheckHTMLXSS(b *testing.B) {
	benchCheck(b, "text/html", benignHTML, "xss", []string{"<script>alert(1)</script>"})
}

func BenchmarkCheckJSONSSTI(b *testing.B) {
	benchCheck(b, "application/json", benignJSON, "template-injection", []string{"{{7*7}}"})
}

func BenchmarkCheckJSONSQLi(b *testing.B) {
	benchCheck(b, "application/json", benignJSON, "sql-injection", []string{"1' OR '1'='1"})
}
