package pipeline

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gopacket/gopacket/pcapgo"

	"github.com/apisensor/sensor/sensor"
	"github.com/apisensor/sensor/sensor/live"
)

// sourcesHandler hands the "capturing" log record's sources to a channel.
type sourcesHandler struct {
	slog.Handler
	sources chan string
}

func (sourcesHandler) Enabled(context.Context, slog.Level) bool { return true }

func (h sourcesHandler) Handle(_ context.Context, r slog.Record) error {
	if r.Message == "capturing" {
		r.Attrs(func(a slog.Attr) bool {
			if a.Key == "sources" {
				h.sources <- a.Value.String()
			}
			return true
		})
	}
	return nil
}

// statsSink keeps the run reports published.
type statsSink struct {
	mu      sync.Mutex
	reports [][]byte
}

func (s *statsSink) PublishStats(_ context.Context, b []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reports = append(s.reports, b)
	return nil
}

// TestRunUDPMirror sends every frame of a capture, wrapped in VXLAN, to a
// UDP mirror target: Run rebuilds the exchanges Replay finds in the file,
// with the VNI on each flow, and stops on its context with a report.
func TestRunUDPMirror(t *testing.T) {
	const file = "../testdata/http-curl.pcap"
	cfg := DefaultConfig()
	cfg.Workers = 2
	_, want, _ := replay(t, cfg, file)
	cfg.StatsInterval = time.Millisecond
	stats := &statsSink{}
	vxlan := []byte{0x08, 0, 0, 0, 0, 0x10, 0x92, 0} // VNI 4242
	var datagrams [][]byte
	for _, data := range pcapFrames(t, file) {
		datagrams = append(datagrams, append(vxlan[:8:8], data...))
	}
	frames := len(datagrams)
	got, rep := udpMirror(t, cfg, stats, datagrams)
	if len(got) != len(want) {
		t.Fatalf("%d exchanges live, %d in the replay (report %+v)", len(got), len(want), rep)
	}
	for _, l := range got {
		if !strings.Contains(l, `"tunnels":[{"kind":"vxlan","id":4242}]`) {
			t.Fatalf("exchange without the VNI: %s", l)
		}
	}
	if rep.Packets != uint64(frames) || rep.Counters[live.CountUDPDatagrams] != uint64(frames) {
		t.Fatalf("report: %d packets, %d datagrams; sent %d", rep.Packets, rep.Counters[live.CountUDPDatagrams], frames)
	}
	if _, ok := rep.Anomalies[live.CountUDPDatagrams]; ok {
		t.Fatal("capture counters among the anomalies")
	}
	// The periodic reports carry the capture counters too (the final one
	// is the last published).
	withCapture := 0
	for _, b := range stats.reports {
		var r Report
		if err := json.Unmarshal(b, &r); err != nil {
			t.Fatal(err)
		}
		if _, ok := r.Counters[live.CountUDPDrops]; ok && r.Partial {
			withCapture++
		}
	}
	if withCapture == 0 {
		t.Fatalf("no partial report with the capture counters among %d", len(stats.reports))
	}
}

// TestRunUDPMirrorTenants: the two VXLAN tenants of vxlan-tenants.pcap,
// which reuse the same addresses, ports and sequence numbers, received live
// as a mirror target's UDP socket receives them (the outer Ethernet, IP and
// UDP headers removed). Each tenant's exchange is rebuilt whole, with its
// zone, as in the replay.
func TestRunUDPMirrorTenants(t *testing.T) {
	const outer = 14 + 20 + 8 // Ethernet, IPv4 without options, UDP
	var datagrams [][]byte
	for _, data := range pcapFrames(t, "../testdata/vxlan-tenants.pcap") {
		datagrams = append(datagrams, data[outer:])
	}
	cfg := DefaultConfig()
	cfg.Workers = 2
	got, rep := udpMirror(t, cfg, nil, datagrams)
	want := map[string]string{
		"/search?q=1%27%20OR%20%271%27%3D%271": `"zone":"vxlan:1001"`,
		"/api/users/42":                        `"zone":"vxlan:1002"`,
	}
	if len(got) != len(want) {
		t.Fatalf("%d exchanges, want %d (report %+v):\n%s", len(got), len(want), rep, strings.Join(got, "\n"))
	}
	for _, l := range got {
		var x struct{ Request struct{ URI string } }
		if err := json.Unmarshal([]byte(l), &x); err != nil {
			t.Fatal(err)
		}
		if z, ok := want[x.Request.URI]; !ok || !strings.Contains(l, z) || !strings.Contains(l, `"status":200`) {
			t.Errorf("exchange %s", l)
		}
	}
	if n := rep.Anomalies["tcp.overlap_different_data"]; n != 0 {
		t.Errorf("tcp.overlap_different_data = %d", n)
	}
}

// pcapFrames reads every frame of a pcap file.
func pcapFrames(t *testing.T, file string) [][]byte {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := pcapgo.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	for {
		data, _, err := r.ReadPacketData()
		if err != nil {
			return out
		}
		out = append(out, data)
	}
}

// udpMirror runs the sensor on a VXLAN UDP socket on loopback (a mirror
// target), sends it datagrams in order, stops it and returns the exchanges
// (sorted) and the report. stats, when set, receives the periodic reports.
func udpMirror(t *testing.T, cfg Config, stats *statsSink, datagrams [][]byte) ([]string, *Report) {
	t.Helper()
	capCfg := live.DefaultConfig()
	capCfg.ListenUDP = []string{"vxlan=127.0.0.1:0"}
	capCfg.PollTimeout = 20 * time.Millisecond
	h := sourcesHandler{Handler: slog.DiscardHandler, sources: make(chan string, 1)}
	var ex bytes.Buffer
	out := Outputs{Exchanges: &ex}
	if stats != nil {
		out.Stats = stats
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	type result struct {
		rep *Report
		err error
	}
	done := make(chan result, 1)
	go func() {
		rep, err := Run(ctx, cfg, capCfg, out, slog.New(h), nil)
		done <- result{rep, err}
	}()
	var addr string
	select {
	case s := <-h.sources:
		addr = strings.TrimPrefix(s, "udp:")
	case r := <-done:
		t.Fatalf("Run returned before capturing: %v", r.err)
	case <-time.After(20 * time.Second):
		t.Fatal("Run did not start")
	}
	conn, err := net.Dial("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for _, d := range datagrams {
		if _, err := conn.Write(d); err != nil {
			t.Fatal(err)
		}
	}
	cancel()
	var res result
	select {
	case res = <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("Run did not stop")
	}
	if res.err != nil {
		t.Fatal(res.err)
	}
	return sortedLines(ex.String()), res.rep
}

// lateRing is a capture source whose packets reach user space only after
// some poll timeouts, as the packets in a ring block that is not full wait
// for the kernel's retire timer, which may fire after a poll timed out.
type lateRing struct {
	pkts     []sensor.Packet
	timeouts int // poll timeouts before the packets are handed over
	stats    sensor.FileStats
}

func (r *lateRing) Name() string { return "late" }

func (r *lateRing) Next(p *sensor.Packet) error {
	if r.timeouts > 0 || len(r.pkts) == 0 {
		r.timeouts--
		return live.ErrTimeout
	}
	*p = r.pkts[0]
	r.pkts = r.pkts[1:]
	r.stats.Packets++
	return nil
}

func (r *lateRing) Queued() int             { return len(r.pkts) }
func (r *lateRing) Counters(sensor.Counts)  {}
func (r *lateRing) Stats() sensor.FileStats { return r.stats }
func (r *lateRing) Close() error            { return nil }

// TestCaptureDrainsRing: after shutdown the capture loop reads on until
// the kernel holds nothing more for the socket, not only until the first
// poll timeout, so the tail of a capture that waits in a ring block for the
// block's retire timer is not lost: here the whole capture waits so.
func TestCaptureDrainsRing(t *testing.T) {
	const file = "../testdata/http-curl.pcap"
	cfg := testConfig(2)
	_, want, _ := replay(t, cfg, file)
	if len(want) == 0 {
		t.Fatal("the replay has no exchange")
	}
	ring := &lateRing{timeouts: 3}
	err := sensor.NewFileReader([]string{file}, nil, sensor.Counts{}).Each(func(p *sensor.Packet) bool {
		q := *p
		q.L4 = bytes.Clone(p.L4) // valid only during the call
		ring.pkts = append(ring.pkts, q)
		return true
	})
	if err != nil {
		t.Fatal(err)
	}
	var ex bytes.Buffer
	g, err := startGraph(context.Background(), &cfg, Outputs{Exchanges: &ex}, &Progress{}, 1)
	if err != nil {
		t.Fatal(err)
	}
	stopped, cancel := context.WithCancel(context.Background())
	cancel()
	var snap atomic.Pointer[sensor.Counts]
	if _, err := captureLoop(stopped, ring, time.Hour, g.workers, &Progress{}, &snap); err != nil {
		t.Fatal(err)
	}
	if _, err := g.stop(); err != nil {
		t.Fatal(err)
	}
	if n := len(ring.pkts); n > 0 {
		t.Fatalf("%d packets left in the ring", n)
	}
	if got := sortedLines(ex.String()); !slices.Equal(got, want) {
		t.Fatalf("exchanges:\n%s\nwant (replay):\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
