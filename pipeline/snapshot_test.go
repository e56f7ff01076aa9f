package pipeline

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"

	dto "github.com/prometheus/client_model/go"

	"github.com/apisensor/sensor/pipeline/ops"
)

func TestLiveSnapshot(t *testing.T) {
	var l Live
	if s := l.Snapshot(); len(s.Counters) != 0 || len(s.Gauges) != 0 {
		t.Fatalf("zero Live: %+v", s)
	}
	r := &Report{
		Packets: 100, Bytes: 9000, Exchanges: 7, PublishErrors: 1, OpenConnections: 12, BufferedBytes: 2048,
		AlertsByDetector: map[string]uint64{"injection": 2},
		Anomalies: map[string]uint64{
			"http1.bare_lf": 3, "packet.decap.vxlan": 50, "capture.kernel_drops.eth0.0": 4,
		},
		Drops:     map[string]uint64{"conn_evicted": 5, "kafka_spool_full": 6, "kernel_drops": 4},
		Counters:  map[string]uint64{"tcp.connections": 9, "capture.kernel_drops": 4},
		Publisher: map[string]uint64{"kafka.dropped.spool_full": 6, "kafka.spool_bytes": 100},
	}
	l.Set(r)
	r.Packets = 1 // Set keeps a copy
	s := l.Snapshot()
	want := map[string]uint64{
		"packets": 100, "bytes": 9000, "exchanges": 7, "publish.errors": 1,
		"alerts.injection": 2, "anomaly.http1.bare_lf": 3, "packet.decap.vxlan": 50,
		"capture.kernel_drops.eth0.0": 4, "drop.conn_evicted": 5, "tcp.connections": 9,
		"kafka.dropped.spool_full": 6, "kafka.spool_bytes": 100,
	}
	for k, v := range want {
		if s.Counters[k] != v {
			t.Errorf("%s = %d, want %d", k, s.Counters[k], v)
		}
	}
	for _, dup := range []string{"drop.kafka_spool_full", "drop.kernel_drops"} {
		if _, ok := s.Counters[dup]; ok {
			t.Errorf("%s: counted twice", dup)
		}
	}
	if s.Gauges["stats.timestamp_seconds"] <= 0 {
		t.Error("no stats timestamp")
	}
	if s.Gauges["connections"] != 12 || s.Gauges["reassembly.buffered_bytes"] != 2048 {
		t.Errorf("gauges %v, want 12 connections and 2048 buffered bytes", s.Gauges)
	}

	// A later report lacking a counter keeps it (never backwards); a
	// current value may go down; sources replace the report's names.
	l.Set(&Report{Packets: 150, Publisher: map[string]uint64{"kafka.spool_bytes": 10}})
	l.AddCounters(func() map[string]uint64 { return map[string]uint64{"kafka.delivered": 42} })
	s = l.Snapshot()
	if s.Counters["packets"] != 150 || s.Counters["alerts.injection"] != 2 || s.Counters["kafka.spool_bytes"] != 10 || s.Counters["kafka.delivered"] != 42 {
		t.Errorf("after second report: %v", s.Counters)
	}
}

// TestLiveMetrics goes from a report to the Prometheus families.
func TestLiveMetrics(t *testing.T) {
	var l Live
	l.Set(&Report{Packets: 10, AlertsByDetector: map[string]uint64{"ssrf": 1}, Anomalies: map[string]uint64{"tcp.gap": 2}})
	fams, err := ops.NewRegistry(l.Snapshot, "test").Gather()
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]*dto.MetricFamily{}
	for _, f := range fams {
		byName[f.GetName()] = f
	}
	for name, want := range map[string]float64{"sensor_packets_total": 10, "sensor_alerts_total": 1, "sensor_anomalies_total": 2} {
		f := byName[name]
		if f == nil || len(f.GetMetric()) != 1 || f.GetMetric()[0].GetCounter().GetValue() != want {
			t.Errorf("%s: %v, want %v", name, f, want)
		}
	}
}

// TestLiveRace is for -race: the output stage sets while scrapes read.
func TestLiveRace(t *testing.T) {
	var l Live
	l.AddCounters(func() map[string]uint64 { return map[string]uint64{"kafka.delivered": 1} })
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		for i := range 200 {
			l.Set(&Report{Packets: uint64(i), AlertsByDetector: map[string]uint64{"x": uint64(i)}})
		}
	}()
	go func() {
		defer wg.Done()
		var last uint64
		for range 200 {
			s := l.Snapshot()
			p := s.Counters["packets"]
			if p < last {
				t.Errorf("packets went back: %d < %d", p, last)
				return
			}
			last = p
		}
	}()
	wg.Wait()
}

// TestReplayLive checks the wiring: a replay with Outputs.Live leaves the
// final report there.
func TestReplayLive(t *testing.T) {
	var l Live
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	rep, err := Replay(context.Background(), testConfig(2), []string{"../testdata/http-curl.pcap"}, nil, Outputs{Live: &l}, log, nil)
	if err != nil {
		t.Fatal(err)
	}
	s := l.Snapshot()
	if s.Counters["packets"] != rep.Packets || rep.Packets == 0 || s.Counters["exchanges"] != rep.Exchanges {
		t.Errorf("snapshot %v, report packets %d exchanges %d", s.Counters, rep.Packets, rep.Exchanges)
	}
	if s.Counters["alerts.injection"] != rep.AlertsByDetector["injection"] || rep.AlertsByDetector["injection"] == 0 {
		t.Errorf("injection alerts: snapshot %d, report %d", s.Counters["alerts.injection"], rep.AlertsByDetector["injection"])
	}
}
