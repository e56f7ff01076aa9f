package tier1

import (
	"os"
	"strconv"
	"testing"

	"github.com/apisensor/sensor/decoders"
	_ "github.com/apisensor/sensor/decoders/http1"
	_ "github.com/apisensor/sensor/decoders/http2"
	"github.com/apisensor/sensor/pipeline/alert"
	"github.com/apisensor/sensor/pipeline/detect"
	"github.com/apisensor/sensor/sensor"
)

// BenchmarkTier1Capture runs tier 1 (libinjection and every family, as the
// sensor's defaults merge them) over the exchanges of a capture, rebuilt
// once before the timer starts: the detection cost of real traffic without
// the decoding around it, and a profile with nothing else in it.
//
//	TIER1_BENCH_PCAP=testdata/bench/http-diverse.pcap go test -run '^$' \
//	    -bench Tier1Capture -cpuprofile /tmp/t1.prof ./pipeline/detect/tier1
//
// TIER1_BENCH_MAX bounds the exchanges kept (default 20000). One op is one
// pass over all of them, in capture order.
func BenchmarkTier1Capture(b *testing.B) {
	pcap := os.Getenv("TIER1_BENCH_PCAP")
	if pcap == "" {
		b.Skip("TIER1_BENCH_PCAP names the capture (make bench makes testdata/bench/http-diverse.pcap)")
	}
	max := 20000
	if s := os.Getenv("TIER1_BENCH_MAX"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			b.Fatalf("TIER1_BENCH_MAX: %v", err)
		}
		max = n
	}
	xs := captureExchanges(b, pcap, max)
	ds, err := detect.New(append([]string{"injection"}, Names()...), detect.DefaultConfig())
	if err != nil {
		b.Fatal(err)
	}
	params, size := 0, 0
	for _, x := range xs {
		params += len(x.Params)
		for _, p := range x.Params {
			size += len(p.Name) + len(p.Value)
		}
	}
	b.SetBytes(int64(size))
	b.ReportAllocs()
	alerts := 0
	var out []*alert.Alert
	for b.Loop() {
		alerts = 0
		for _, x := range xs {
			out = out[:0]
			for _, d := range ds {
				out = d.Inspect(x, out)
			}
			alerts += len(out)
		}
	}
	b.ReportMetric(float64(len(xs)), "exchanges")
	b.ReportMetric(float64(params), "params")
	b.ReportMetric(float64(alerts), "alerts")
}

// captureExchanges rebuilds the first max exchanges of a capture, with
// their parameters, as the sensor does.
func captureExchanges(tb testing.TB, pcap string, max int) []*decoders.Exchange {
	tb.Helper()
	counts := sensor.Counts{}
	l := decoders.DefaultLimits()
	var xs []*decoders.Exchange
	tr := sensor.NewTracker(sensor.DefaultTrackerConfig(), func(meta *sensor.ConnMeta) sensor.ConnHandler {
		return decoders.NewConn(meta, &l, counts, func(x *decoders.Exchange) {
			if len(xs) < max {
				xs = append(xs, x)
			}
		})
	}, counts)
	r := sensor.NewFileReader([]string{pcap}, nil, counts)
	if err := r.Each(func(p *sensor.Packet) bool { tr.Packet(p); return len(xs) < max }); err != nil {
		tb.Fatal(err)
	}
	tr.CloseAll(sensor.EndCapture)
	if len(xs) == 0 {
		tb.Fatalf("%s: no exchange (counts %v)", pcap, counts)
	}
	return xs
}
