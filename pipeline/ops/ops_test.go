package ops

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

func TestMapCounter(t *testing.T) {
	tests := []struct {
		name   string
		family string
		labels []string
	}{
		{"packets", "sensor_packets_total", nil},
		{"bytes", "sensor_bytes_total", nil},
		{"exchanges", "sensor_exchanges_total", nil},
		{"tcp.connections", "sensor_connections_opened_total", nil},
		{"alerts.injection", "sensor_alerts_total", []string{"injection"}},
		{"anomaly.http1.bare_lf", "sensor_anomalies_total", []string{"http1", "bare_lf"}},
		{"anomaly.tcp.overlap_different_data", "sensor_anomalies_total", []string{"tcp", "overlap_different_data"}},
		{"anomaly.packet.decap_malformed.vxlan", "sensor_anomalies_total", []string{"packet", "decap_malformed.vxlan"}},
		{"anomaly.weird", "sensor_anomalies_total", []string{"other", "weird"}},
		{"drop.conn_evicted", "sensor_drops_total", []string{"conn_evicted"}},
		{"capture.kernel_drops.eth0.0", "sensor_kernel_drops_total", []string{"eth0"}},
		{"capture.kernel_drops.eth0.100.12", "sensor_kernel_drops_total", []string{"eth0.100"}},
		{"capture.kernel_packets.eth1.3", "sensor_kernel_packets_total", []string{"eth1"}},
		{"capture.kernel_freezes.ens5.0", "sensor_kernel_ring_freezes_total", []string{"ens5"}},
		{"capture.kernel_drops.lo", "sensor_kernel_drops_total", []string{"lo"}},
		{"capture.udp_drops.udp:0.0.0.0:4789", "sensor_kernel_drops_total", []string{"udp:0.0.0.0:4789"}},
		{"capture.udp_rcvbuf_bytes.udp:[::]:6081", "sensor_udp_receive_buffer_bytes", []string{"udp:[::]:6081"}},
		{"kafka.spool_bytes", "sensor_spool_bytes", []string{"kafka"}},
		{"packet.decap.vxlan", "sensor_tunnel_headers_total", []string{"vxlan"}},
		{"detect.panic.ssrf", "sensor_detector_panics_total", []string{"ssrf"}},
		{"kafka.delivered", "sensor_publish_delivered_total", []string{"kafka"}},
		{"kafka.dropped.spool_full", "sensor_publish_dropped_total", []string{"kafka", "spool_full"}},
		{"kafka.errors", "sensor_publish_errors_total", []string{"kafka", "produce"}},
		{"publish.errors", "sensor_publish_errors_total", []string{"pipeline", "publish"}},
		{"tcp.retransmission", "sensor_counter_total", []string{"tcp.retransmission"}},
		{"drop.", "sensor_counter_total", []string{"drop."}},
	}
	for _, tt := range tests {
		f, lv := mapCounter(tt.name)
		if got := descName(f); got != tt.family || strings.Join(lv, ",") != strings.Join(tt.labels, ",") {
			t.Errorf("%s: %s%v, want %s%v", tt.name, got, lv, tt.family, tt.labels)
		}
	}
}

func descName(f *family) string {
	s := f.desc.String() // Desc{fqName: "NAME", ...}
	_, s, _ = strings.Cut(s, `fqName: "`)
	s, _, _ = strings.Cut(s, `"`)
	return s
}

// scrape serves h once and parses the text exposition.
func scrape(t *testing.T, url string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("/metrics: %s", resp.Status)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("parse /metrics: %v", err)
	}
	return fams
}

// value returns the value of the series of family name whose labels include
// want (name=value pairs).
func value(t *testing.T, fams map[string]*dto.MetricFamily, name string, want ...string) float64 {
	t.Helper()
	f := fams[name]
	if f == nil {
		t.Fatalf("no family %s", name)
	}
next:
	for _, m := range f.GetMetric() {
		got := map[string]string{}
		for _, l := range m.GetLabel() {
			got[l.GetName()] = l.GetValue()
		}
		for i := 0; i+1 < len(want); i += 2 {
			if got[want[i]] != want[i+1] {
				continue next
			}
		}
		switch {
		case m.GetCounter() != nil:
			return m.GetCounter().GetValue()
		case m.GetGauge() != nil:
			return m.GetGauge().GetValue()
		}
	}
	t.Fatalf("no series %s%v", name, want)
	return 0
}

// source is a snapshot source a test moves by hand.
type source struct {
	mu sync.Mutex
	s  Snapshot
}

func (s *source) set(c map[string]uint64, g map[string]float64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.s = Snapshot{Counters: c, Gauges: g}
}

func (s *source) get() Snapshot {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.s
}

// start serves on a free loopback port until the test ends.
func start(t *testing.T, cfg Config, src *source, ready func() error) string {
	t.Helper()
	cfg.Listen = "127.0.0.1:0"
	ctx, cancel := context.WithCancel(context.Background())
	ln, err := Listen(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		done <- ServeListener(ctx, ln, cfg, NewRegistry(src.get, "test"), ready, slog.New(slog.DiscardHandler))
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("ServeListener: %v", err)
		}
	})
	return "http://" + ln.Addr().String()
}

func TestServeMetrics(t *testing.T) {
	src := &source{}
	src.set(map[string]uint64{
		"packets": 10, "bytes": 1500, "alerts.injection": 2, "anomaly.http1.bare_lf": 1,
		"kafka.dropped.spool_full": 3, "tcp.retransmission": 4, "kafka.spool_bytes": 4096,
		"capture.kernel_drops": 5, "capture.kernel_drops.eth0.0": 2, "capture.kernel_drops.eth0.1": 3,
	}, map[string]float64{"connections": 7})
	url := start(t, DefaultConfig(), src, nil)

	first := scrape(t, url)
	checks := []struct {
		name   string
		labels []string
		want   float64
	}{
		{"sensor_packets_total", nil, 10},
		{"sensor_bytes_total", nil, 1500},
		{"sensor_alerts_total", []string{"detector", "injection"}, 2},
		{"sensor_anomalies_total", []string{"protocol", "http1", "kind", "bare_lf"}, 1},
		{"sensor_publish_dropped_total", []string{"publisher", "kafka", "reason", "spool_full"}, 3},
		{"sensor_counter_total", []string{"name", "tcp.retransmission"}, 4},
		{"sensor_spool_bytes", []string{"publisher", "kafka"}, 4096},
		{"sensor_connections", nil, 7},
		{"sensor_kernel_drops_total", []string{"source", "eth0"}, 5},
		{"sensor_build_info", []string{"version", "test"}, 1},
	}
	for _, c := range checks {
		if got := value(t, first, c.name, c.labels...); got != c.want {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.want)
		}
	}
	if got := first["sensor_counter_total"].GetMetric(); len(got) != 1 {
		t.Errorf("catch-all holds %d series, want 1 (the bare capture total is skipped): %v", len(got), got)
	}
	for _, name := range []string{"go_goroutines", "process_cpu_seconds_total"} {
		if first[name] == nil {
			t.Errorf("no %s", name)
		}
	}

	// The counters move with the next snapshot.
	src.set(map[string]uint64{"packets": 25, "bytes": 3000, "alerts.injection": 2, "alerts.ssrf": 1}, nil)
	second := scrape(t, url)
	if got := value(t, second, "sensor_packets_total"); got != 25 {
		t.Errorf("packets after: %v", got)
	}
	if got := value(t, second, "sensor_alerts_total", "detector", "ssrf"); got != 1 {
		t.Errorf("ssrf alerts after: %v", got)
	}
}

func TestServeEndpoints(t *testing.T) {
	var notReady atomic.Pointer[error]
	e := errors.New("capture sockets not open yet")
	notReady.Store(&e)
	ready := func() error {
		if p := notReady.Load(); p != nil {
			return *p
		}
		return nil
	}
	for _, pprofOn := range []bool{false, true} {
		cfg := DefaultConfig()
		cfg.Pprof = pprofOn
		url := start(t, cfg, &source{}, ready)
		get := func(path string) (int, string) {
			t.Helper()
			resp, err := http.Get(url + path)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			return resp.StatusCode, string(b)
		}
		if code, _ := get("/healthz"); code != 200 {
			t.Errorf("healthz %d", code)
		}
		notReady.Store(&e)
		if code, body := get("/readyz"); code != 503 || !strings.Contains(body, "capture sockets") {
			t.Errorf("readyz before: %d %q", code, body)
		}
		notReady.Store(nil)
		if code, _ := get("/readyz"); code != 200 {
			t.Errorf("readyz after: %d", code)
		}
		wantPprof := 404
		if pprofOn {
			wantPprof = 200
		}
		if code, _ := get("/debug/pprof/"); code != wantPprof {
			t.Errorf("pprof=%v: /debug/pprof/ %d, want %d", pprofOn, code, wantPprof)
		}
		if code, _ := get("/debug/pprof/goroutine?debug=1"); code != wantPprof {
			t.Errorf("pprof=%v: goroutine profile %d, want %d", pprofOn, code, wantPprof)
		}
		if code, _ := get("/nope"); code != 404 {
			t.Errorf("/nope %d", code)
		}
	}
}

func TestServeOff(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	cfg := DefaultConfig()
	cfg.Listen = ""
	if err := Serve(ctx, cfg, NewRegistry(nil, "x"), nil, nil); err != nil {
		t.Fatal(err)
	}
}

func TestServeListenError(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Listen = "127.0.0.1:99999"
	if err := Serve(context.Background(), cfg, NewRegistry(nil, "x"), nil, nil); err == nil {
		t.Fatal("no error for a bad port")
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		mod  func(*Config)
		ok   bool
	}{
		{"defaults", func(*Config) {}, true},
		{"off", func(c *Config) { c.Listen = "" }, true},
		{"all interfaces", func(c *Config) { c.Listen = ":9090" }, true},
		{"no port", func(c *Config) { c.Listen = "localhost" }, false},
		{"zero timeout", func(c *Config) { c.ReadHeaderTimeout = 0 }, false},
		{"zero in flight", func(c *Config) { c.MaxRequestsInFlight = 0 }, false},
	}
	for _, tt := range tests {
		c := DefaultConfig()
		tt.mod(&c)
		if err := c.Validate(); (err == nil) != tt.ok || (err != nil && !errors.Is(err, ErrConfig)) {
			t.Errorf("%s: %v", tt.name, err)
		}
	}
}

func TestNewLogger(t *testing.T) {
	tests := []struct {
		cfg     LogConfig
		ok      bool
		json    bool
		debugOK bool
	}{
		{DefaultLogConfig(), true, false, false},
		{LogConfig{Format: "json", Level: "debug"}, true, true, true},
		{LogConfig{Format: "json", Level: "WARN"}, true, true, false},
		{LogConfig{Format: "xml", Level: "info"}, false, false, false},
		{LogConfig{Format: "text", Level: "loud"}, false, false, false},
		{LogConfig{Format: "text", Level: "info+2"}, false, false, false},
	}
	for _, tt := range tests {
		var buf bytes.Buffer
		log, err := NewLogger(tt.cfg, &buf)
		if (err == nil) != tt.ok {
			t.Errorf("%+v: err %v", tt.cfg, err)
			continue
		}
		if err != nil {
			if !errors.Is(err, ErrConfig) {
				t.Errorf("%+v: %v is not ErrConfig", tt.cfg, err)
			}
			continue
		}
		log.Debug("dbg")
		log.Warn("hello", "component", "test")
		out := buf.String()
		if strings.Contains(out, "dbg") != tt.debugOK {
			t.Errorf("%+v: debug shown = %v", tt.cfg, !tt.debugOK)
		}
		lines := strings.Split(strings.TrimSpace(out), "\n")
		last := lines[len(lines)-1]
		if tt.json {
			var m map[string]any
			if err := json.Unmarshal([]byte(last), &m); err != nil || m["msg"] != "hello" || m["component"] != "test" {
				t.Errorf("%+v: json line %q (%v)", tt.cfg, last, err)
			}
		} else if !strings.Contains(last, "msg=hello") {
			t.Errorf("%+v: text line %q", tt.cfg, last)
		}
	}
}

func BenchmarkCollect(b *testing.B) {
	c := map[string]uint64{"packets": 1, "bytes": 2, "exchanges": 3}
	for _, k := range []string{"http1.bare_lf", "http1.te_cl", "tcp.gap", "tcp.overlap_different_data", "http2.unknown_frames"} {
		c["anomaly."+k] = 1
	}
	for _, d := range []string{"injection", "cmdi", "ssrf", "xxe"} {
		c["alerts."+d] = 1
	}
	// The sensor's collector alone: the Go and process collectors read
	// /proc and the runtime, which is not this package's cost.
	reg := prometheus.NewRegistry()
	reg.MustRegister(NewCollector(func() Snapshot { return Snapshot{Counters: c} }))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := reg.Gather(); err != nil {
			b.Fatal(err)
		}
	}
}
