package grpc_test

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/apisensor/sensor/decoders"
	"github.com/apisensor/sensor/decoders/grpc"
	_ "github.com/apisensor/sensor/decoders/http1"
	_ "github.com/apisensor/sensor/decoders/http2"
	"github.com/apisensor/sensor/decoders/protobuf"
	"github.com/apisensor/sensor/sensor"
)

// replay runs a capture through reassembly and the decoders with the gRPC
// enricher, and returns the exchanges.
func replay(t *testing.T, pcap string, e decoders.Enricher) []*decoders.Exchange {
	t.Helper()
	counts := sensor.Counts{}
	l := decoders.DefaultLimits()
	var out []*decoders.Exchange
	tr := sensor.NewTracker(sensor.DefaultTrackerConfig(), func(meta *sensor.ConnMeta) sensor.ConnHandler {
		return decoders.NewConn(meta, &l, counts, func(x *decoders.Exchange) { out = append(out, x) }, e)
	}, counts)
	r := sensor.NewFileReader([]string{pcap}, nil, counts)
	if err := r.Each(func(p *sensor.Packet) bool { tr.Packet(p); return true }); err != nil {
		t.Fatal(err)
	}
	tr.CloseAll(sensor.EndCapture)
	return out
}

func summary(xs []*decoders.Exchange) string {
	var b strings.Builder
	for _, x := range xs {
		g := x.GRPC
		if g == nil {
			continue
		}
		fmt.Fprintf(&b, "%s/%s web=%v text=%v enc=%q status=%d %q req=%d resp=%d",
			g.Service, g.Method, g.Web, g.Text, g.Encoding, g.Status, g.StatusMessage, g.RequestsTotal, g.ResponsesTotal)
		for _, p := range x.Params {
			if p.Loc == decoders.LocProtobuf {
				fmt.Fprintf(&b, " %s=%q", p.Name, p.Value)
			}
		}
		for _, a := range x.Anomalies {
			fmt.Fprintf(&b, " !%s", a.Kind)
		}
		b.WriteByte('\n')
	}
	return b.String()
}

var update = flag.Bool("update", false, "rewrite testdata/replay.golden")

// TestReplayCaptures replays the gRPC captures of testdata/ through
// reassembly, the HTTP decoders and the enricher (with the demo schema), and
// diffs a one-line summary per call against testdata/replay.golden.
func TestReplayCaptures(t *testing.T) {
	s, err := protobuf.LoadSchemas("../../testdata/grpcdemo/demo.pb")
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, f := range []string{"grpc-unary", "grpc-streams", "grpc-injection", "grpc-web", "grpc-midstream"} {
		xs := replay(t, "../../testdata/"+f+".pcap", &grpc.Enricher{Schemas: s})
		fmt.Fprintf(&b, "# %s\n%s", f, summary(xs))
	}
	const golden = "testdata/replay.golden"
	if *update {
		if err := os.WriteFile(golden, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if got := b.String(); got != string(want) {
		t.Errorf("summary differs from %s (go test -update to rewrite):\n%s", golden, got)
	}
}
