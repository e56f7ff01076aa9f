package http2_test

import (
	"slices"
	"testing"

	"github.com/apisensor/sensor/decoders"
	_ "github.com/apisensor/sensor/decoders/http1"
	_ "github.com/apisensor/sensor/decoders/http2"
	"github.com/apisensor/sensor/sensor"
)

// fingerprints replays a capture through reassembly and the decoders and
// returns the client fingerprints of its exchanges, each once, in order.
func fingerprints(t *testing.T, pcap string) []string {
	t.Helper()
	counts := sensor.Counts{}
	l := decoders.DefaultLimits()
	var out []string
	seen := map[string]bool{}
	tr := sensor.NewTracker(sensor.DefaultTrackerConfig(), func(meta *sensor.ConnMeta) sensor.ConnHandler {
		return decoders.NewConn(meta, &l, counts, func(x *decoders.Exchange) {
			if !seen[x.ClientFingerprint] {
				seen[x.ClientFingerprint] = true
				out = append(out, x.ClientFingerprint)
			}
		})
	}, counts)
	r := sensor.NewFileReader([]string{pcap}, nil, counts)
	if err := r.Each(func(p *sensor.Packet) bool { tr.Packet(p); return true }); err != nil {
		t.Fatal(err)
	}
	tr.CloseAll(sensor.EndCapture)
	return out
}

// TestFingerprintCaptures checks the fingerprints of real clients against
// what tshark shows of their first frames (SETTINGS ids and values,
// WINDOW_UPDATE increment, PRIORITY frames, pseudo-header order), and that
// the clients tell apart.
func TestFingerprintCaptures(t *testing.T) {
	tests := []struct {
		file string
		want []string
	}{
		{"h2c-curl", []string{"3:100;4:33554432;2:0|33488897|0|m,p,s,a"}},
		{"h2c-nghttp", []string{"3:100;4:65535|00|3:0:0:201,5:0:0:101,7:0:0:1,9:0:7:1,11:0:3:1|m,p,s,a"}},
		{"h2c-h2load", []string{"2:0;4:1073741823|1073676288|0|p,s,a,m"}},
		// The HTTP/1.1 Upgrade request has none; the streams after it have
		// curl's.
		{"h2c-upgrade", []string{"", "3:100;4:33554432;2:0|33488897|0|m,p,s,a"}},
		// grpc-go sends an empty SETTINGS and no WINDOW_UPDATE first.
		{"grpc-unary", []string{"|00|0|m,s,p,a"}},
		// Joined mid-stream: the preface and SETTINGS were not seen.
		{"grpc-midstream", []string{""}},
	}
	for _, tt := range tests {
		if got := fingerprints(t, "../../testdata/"+tt.file+".pcap"); !slices.Equal(got, tt.want) {
			t.Errorf("%s: fingerprints %q, want %q", tt.file, got, tt.want)
		}
	}
}
