package pipeline

import (
	"bytes"
	"testing"

	"github.com/apisensor/sensor/decoders"
	"github.com/apisensor/sensor/decoders/grpc"
	"github.com/apisensor/sensor/sensor"
)

// TestEmittedExchangesStay checks that the decoders leave an exchange alone
// once they have emitted it: the workers run the detectors on a batch of
// exchanges after the packets that finished them (detectPending), so an
// exchange changed after its emit would be detected and written as it is
// then. Every shared capture's exchanges, written when emitted and again
// at the end of the capture, must read the same.
func TestEmittedExchangesStay(t *testing.T) {
	for _, file := range captures(t) {
		counts := sensor.Counts{}
		limits := decoders.DefaultLimits()
		enrichers := []decoders.Enricher{&grpc.Enricher{JSON: true}}
		type emitted struct {
			x    *decoders.Exchange
			json []byte
		}
		var xs []emitted
		tr := sensor.NewTracker(sensor.DefaultTrackerConfig(), func(meta *sensor.ConnMeta) sensor.ConnHandler {
			return decoders.NewConn(meta, &limits, counts, func(x *decoders.Exchange) {
				xs = append(xs, emitted{x, appendExchangeJSON(nil, x, nil)})
			}, enrichers...)
		}, counts)
		r := sensor.NewFileReader([]string{file}, nil, counts)
		// A truncated or corrupt capture ends early; what was read counts.
		_ = r.Each(func(p *sensor.Packet) bool { tr.Packet(p); return true })
		tr.CloseAll(sensor.EndCapture)
		for i, e := range xs {
			if now := appendExchangeJSON(nil, e.x, nil); !bytes.Equal(now, e.json) {
				t.Errorf("%s: exchange %d changed after it was emitted:\n emitted %s\n    now %s", file, i, e.json, now)
			}
		}
	}
}
