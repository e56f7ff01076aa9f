package sensor

import (
	"fmt"
	"net/netip"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// recorder is a ConnHandler that keeps what it is given.
type recorder struct {
	meta    *ConnMeta
	data    [2]strings.Builder
	gaps    [2]int
	overlap int
	// unseen is, per direction, the data of chunks marked PeerUnseen.
	unseen [2]strings.Builder
	closed int
	reason EndReason
	frames []uint64
}

func (r *recorder) Data(c *Chunk) {
	if c.OverlapConflict {
		r.overlap++
	}
	if c.Gap > 0 {
		r.gaps[c.Dir] += c.Gap
		fmt.Fprintf(&r.data[c.Dir], "[gap %d]", c.Gap)
	}
	r.data[c.Dir].Write(c.Data)
	if c.PeerUnseen {
		r.unseen[c.Dir].Write(c.Data)
	}
	r.frames = append(r.frames, c.Frames...)
}

func (r *recorder) Close(reason EndReason, _ time.Time) { r.closed++; r.reason = reason }

// seg is one TCP segment of a test conversation.
type seg struct {
	fromClient bool
	flags      string // any of "S", "A", "F", "R"
	seq        uint32 // relative to the sender's ISN
	data       string
	ack        uint32 // relative to the receiver's ISN; 0 = no ACK flag unless "A"
}

const (
	cliISN = 1000
	srvISN = 5000
)

var (
	cliIP = netip.MustParseAddr("10.0.0.1")
	srvIP = netip.MustParseAddr("10.0.0.2")
)

// packets serialises segs into Packets with gopacket.
func packets(t testing.TB, segs []seg) []Packet {
	t.Helper()
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	var out []Packet
	for i, s := range segs {
		tcp := &layers.TCP{Window: 65535}
		src, dst := cliIP, srvIP
		tcp.SrcPort, tcp.DstPort = 40000, 80
		isn, peer := uint32(cliISN), uint32(srvISN)
		if !s.fromClient {
			src, dst = srvIP, cliIP
			tcp.SrcPort, tcp.DstPort = 80, 40000
			isn, peer = srvISN, cliISN
		}
		tcp.Seq = isn + s.seq
		for _, f := range s.flags {
			switch f {
			case 'S':
				tcp.SYN = true
			case 'A':
				tcp.ACK = true
				tcp.Ack = peer + s.ack
			case 'F':
				tcp.FIN = true
			case 'R':
				tcp.RST = true
			}
		}
		ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolTCP, SrcIP: src.AsSlice(), DstIP: dst.AsSlice()}
		if err := tcp.SetNetworkLayerForChecksum(ip); err != nil {
			t.Fatal(err)
		}
		buf := gopacket.NewSerializeBuffer()
		if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, tcp, gopacket.Payload(s.data)); err != nil {
			t.Fatal(err)
		}
		out = append(out, Packet{
			Frame: uint64(i + 1), Time: base.Add(time.Duration(i) * time.Millisecond), Source: "test",
			Src: src, Dst: dst, Proto: 6, L4: append([]byte(nil), buf.Bytes()...),
		})
	}
	return out
}

func handshake() []seg {
	return []seg{
		{fromClient: true, flags: "S"},
		{fromClient: false, flags: "SA", ack: 1},
		{fromClient: true, flags: "A", seq: 1, ack: 1},
	}
}

func runTracker(t testing.TB, cfg TrackerConfig, pkts []Packet) ([]*recorder, Counts) {
	t.Helper()
	var recs []*recorder
	counts := Counts{}
	tr := NewTracker(cfg, func(m *ConnMeta) ConnHandler {
		r := &recorder{meta: m}
		recs = append(recs, r)
		return r
	}, counts)
	for i := range pkts {
		tr.Packet(&pkts[i])
	}
	tr.CloseAll(EndCapture)
	return recs, counts
}

func TestTrackerReassembly(t *testing.T) {
	req := "GET / HTTP/1.1\r\n\r\n" // 18 bytes
	tests := []struct {
		name       string
		segs       []seg
		client     string
		server     string
		gaps       int
		overlap    int
		reason     EndReason
		midStream  bool
		wantCounts map[string]uint64
	}{
		{
			name:   "in order",
			segs:   append(handshake(), seg{fromClient: true, flags: "A", seq: 1, ack: 1, data: req}, seg{flags: "A", seq: 1, ack: 19, data: "HTTP/1.1 200 OK\r\n\r\n"}),
			client: req, server: "HTTP/1.1 200 OK\r\n\r\n", reason: EndCapture,
		},
		{
			name: "reordered",
			segs: append(handshake(),
				seg{fromClient: true, flags: "A", seq: 8, ack: 1, data: req[7:]},
				seg{fromClient: true, flags: "A", seq: 1, ack: 1, data: req[:7]}),
			client: req, reason: EndCapture,
		},
		{
			name: "identical retransmission",
			segs: append(handshake(),
				seg{fromClient: true, flags: "A", seq: 1, ack: 1, data: req[:10]},
				seg{fromClient: true, flags: "A", seq: 1, ack: 1, data: req[:10]},
				seg{fromClient: true, flags: "A", seq: 11, ack: 1, data: req[10:]}),
			client: req, reason: EndCapture,
			wantCounts: map[string]uint64{CountRetransmit: 1, CountOverlapDiff: 0},
		},
		{
			name: "overlap with different data: first copy wins, conflict flagged",
			segs: append(handshake(),
				seg{fromClient: true, flags: "A", seq: 1, ack: 1, data: "GET /a HTTP/1.1\r\n"},
				seg{fromClient: true, flags: "A", seq: 5, ack: 1, data: "/b HTTP/1.1\r\n\r\n"}),
			client: "GET /a HTTP/1.1\r\n\r\n", overlap: 1, reason: EndCapture,
			wantCounts: map[string]uint64{CountOverlapDiff: 1},
		},
		{
			name: "acknowledged bytes are not kept: overlap unchecked",
			segs: append(handshake(),
				seg{fromClient: true, flags: "A", seq: 1, ack: 1, data: "GET /a HTTP/1.1\r\n"},
				seg{fromClient: false, flags: "A", seq: 1, ack: 18},
				seg{fromClient: true, flags: "A", seq: 5, ack: 1, data: "/b HTTP/1.1\r\n\r\n"}),
			client: "GET /a HTTP/1.1\r\n\r\n", reason: EndCapture,
			wantCounts: map[string]uint64{CountOverlapDiff: 0, CountOverlapUnchecked: 1},
		},
		{
			name: "lost segment becomes a gap at the end",
			segs: append(handshake(),
				seg{fromClient: true, flags: "A", seq: 1, ack: 1, data: "aaaa"},
				seg{fromClient: true, flags: "A", seq: 9, ack: 1, data: "cccc"}),
			client: "aaaa[gap 4]cccc", gaps: 4, reason: EndCapture,
			wantCounts: map[string]uint64{CountGaps: 1, CountGapBytes: 4},
		},
		{
			name: "mid-stream pickup, server speaks first",
			segs: []seg{
				{fromClient: false, flags: "A", seq: 100, ack: 50, data: "tail of a response"},
				{fromClient: true, flags: "A", seq: 50, ack: 118, data: req},
			},
			client: req, server: "tail of a response", reason: EndCapture, midStream: true,
		},
		{
			name: "reset",
			segs: append(handshake(),
				seg{fromClient: true, flags: "A", seq: 1, ack: 1, data: req},
				seg{fromClient: false, flags: "R", seq: 1}),
			client: req, reason: EndRST,
		},
		{
			name: "fin both ways",
			segs: append(handshake(),
				seg{fromClient: true, flags: "AF", seq: 1, ack: 1, data: req},
				seg{fromClient: false, flags: "AF", seq: 1, ack: 20, data: "bye"},
				seg{fromClient: true, flags: "A", seq: 20, ack: 5}),
			client: req, server: "bye", reason: EndFIN,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			recs, counts := runTracker(t, DefaultTrackerConfig(), packets(t, tc.segs))
			if len(recs) != 1 {
				t.Fatalf("got %d connections, want 1", len(recs))
			}
			r := recs[0]
			if got := r.data[ClientToServer].String(); got != tc.client {
				t.Errorf("client stream = %q, want %q", got, tc.client)
			}
			if got := r.data[ServerToClient].String(); got != tc.server {
				t.Errorf("server stream = %q, want %q", got, tc.server)
			}
			if r.overlap != tc.overlap {
				t.Errorf("overlap conflicts = %d, want %d", r.overlap, tc.overlap)
			}
			if r.closed != 1 || r.reason != tc.reason {
				t.Errorf("closed %d times with %v, want once with %v", r.closed, r.reason, tc.reason)
			}
			if r.meta.MidStream != tc.midStream {
				t.Errorf("mid-stream = %v, want %v", r.meta.MidStream, tc.midStream)
			}
			if k := r.meta.Key; k.SrcIP != cliIP || k.DstPort != 80 {
				t.Errorf("key = %+v, want client %v → server port 80", k, cliIP)
			}
			for k, v := range tc.wantCounts {
				if counts[k] != v {
					t.Errorf("count %s = %d, want %d", k, counts[k], v)
				}
			}
		})
	}
}

func TestTrackerIdleTimeoutByPacketTime(t *testing.T) {
	cfg := DefaultTrackerConfig()
	cfg.IdleTimeout = 30 * time.Second
	pkts := packets(t, append(handshake(), seg{fromClient: true, flags: "A", seq: 1, ack: 1, data: "x"}))
	var recs []*recorder
	counts := Counts{}
	tr := NewTracker(cfg, func(m *ConnMeta) ConnHandler { r := &recorder{meta: m}; recs = append(recs, r); return r }, counts)
	for i := range pkts {
		tr.Packet(&pkts[i])
	}
	last := pkts[len(pkts)-1].Time
	tr.Advance(last.Add(10 * time.Second))
	if tr.Conns() != 1 {
		t.Fatalf("closed before the idle timeout: %d connections", tr.Conns())
	}
	tr.Advance(last.Add(31 * time.Second))
	if tr.Conns() != 0 || recs[0].reason != EndIdle {
		t.Fatalf("after the idle timeout: %d connections, reason %v", tr.Conns(), recs[0].reason)
	}
	if counts[CountIdleClosed] != 1 {
		t.Errorf("idle closes counted %d, want 1", counts[CountIdleClosed])
	}
}

// TestTrackerHalfOpenBound sends 200,000 SYNs from distinct ports and checks
// that the tracked connections and the heap stay within the configured bound,
// with every eviction counted.
func TestTrackerHalfOpenBound(t *testing.T) {
	const (
		syns     = 200_000
		maxConns = 20_000
	)
	cfg := DefaultTrackerConfig()
	cfg.MaxConns = maxConns
	counts := Counts{}
	tr := NewTracker(cfg, func(m *ConnMeta) ConnHandler { return &recorder{meta: m} }, counts)

	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	tcp := &layers.TCP{DstPort: 80, SYN: true, Window: 1024}
	buf := gopacket.NewSerializeBuffer()
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	peak := 0
	for i := range syns {
		src := netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)})
		tcp.SrcPort = layers.TCPPort(1024 + i%60000)
		tcp.Seq = uint32(i)
		if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true}, tcp); err != nil {
			t.Fatal(err)
		}
		p := Packet{Frame: uint64(i + 1), Time: base.Add(time.Duration(i) * time.Microsecond), Src: src, Dst: srvIP, Proto: 6, L4: buf.Bytes()}
		tr.Packet(&p)
		peak = max(peak, tr.Conns())
	}
	if peak > maxConns {
		t.Errorf("tracked connections peaked at %d, bound %d", peak, maxConns)
	}
	evicted := counts[CountEvicted]
	if got := uint64(tr.Conns()) + evicted; got != syns {
		t.Errorf("tracked %d + evicted %d = %d, want %d", tr.Conns(), evicted, got, syns)
	}
	runtime.GC()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	// A half-open connection costs gopacket's connection (~0.5 KiB with
	// its two halves and key) plus our stream; 2 KiB each is a generous
	// bound that 200,000 unbounded connections would break fivefold.
	const perConn = 2048
	grown := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	if grown > maxConns*perConn {
		t.Errorf("heap grew %d bytes for %d tracked connections, bound %d", grown, tr.Conns(), maxConns*perConn)
	}
	t.Logf("peak %d connections, %d evicted, heap grew %d KiB (%d B/conn)", peak, evicted, grown>>10, grown/int64(max(tr.Conns(), 1)))
	tr.CloseAll(EndCapture)
	if tr.Conns() != 0 {
		t.Errorf("%d connections left after CloseAll", tr.Conns())
	}
}

func BenchmarkTrackerInOrder(b *testing.B) {
	req := "GET /api/users/1 HTTP/1.1\r\nHost: x\r\n\r\n"
	resp := "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}"
	segs := handshake()
	cs, ss := uint32(1), uint32(1)
	for range 100 {
		segs = append(segs, seg{fromClient: true, flags: "A", seq: cs, ack: ss, data: req})
		cs += uint32(len(req))
		segs = append(segs, seg{flags: "A", seq: ss, ack: cs, data: resp})
		ss += uint32(len(resp))
	}
	pkts := packets(b, segs)
	var bytes int
	for _, p := range pkts {
		bytes += len(p.L4)
	}
	b.SetBytes(int64(bytes))
	b.ReportAllocs()
	for b.Loop() {
		tr := NewTracker(DefaultTrackerConfig(), func(m *ConnMeta) ConnHandler { return nopHandler{} }, Counts{})
		for i := range pkts {
			tr.Packet(&pkts[i])
		}
		tr.CloseAll(EndCapture)
	}
	b.ReportMetric(float64(len(pkts))*float64(b.N)/b.Elapsed().Seconds(), "packets/s")
}

type nopHandler struct{}

func (nopHandler) Data(*Chunk)                {}
func (nopHandler) Close(EndReason, time.Time) {}

func TestTrackerQueuedOverlapFirstCopyWins(t *testing.T) {
	segs := append(handshake(),
		seg{fromClient: true, flags: "A", seq: 5, ack: 1, data: "/safe HTTP/1.1\r\n\r\n"},
		seg{fromClient: true, flags: "A", seq: 5, ack: 1, data: "/evil HTTP/1.1\r\n\r\n"},
		seg{fromClient: true, flags: "A", seq: 1, ack: 1, data: "GET "},
	)
	recs, counts := runTracker(t, DefaultTrackerConfig(), packets(t, segs))
	if got := recs[0].data[ClientToServer].String(); got != "GET /safe HTTP/1.1\r\n\r\n" {
		t.Errorf("client stream = %q, want the first copy", got)
	}
	if recs[0].overlap != 1 || counts[CountOverlapDiff] != 1 {
		t.Errorf("conflict flagged %d times, counted %d; want 1, 1", recs[0].overlap, counts[CountOverlapDiff])
	}
}

func TestTrackerResetThenReuse(t *testing.T) {
	segs := append(handshake(),
		seg{fromClient: true, flags: "A", seq: 1, ack: 1, data: "GET /1 HTTP/1.1\r\n\r\n"},
		seg{fromClient: true, flags: "R", seq: 20},
	)
	// A new connection on the same ports, with other sequence numbers.
	segs = append(segs,
		seg{fromClient: true, flags: "S", seq: 50000},
		seg{fromClient: false, flags: "SA", seq: 90000, ack: 50001},
		seg{fromClient: true, flags: "A", seq: 50001, ack: 90001, data: "GET /2 HTTP/1.1\r\n\r\n"},
	)
	recs, counts := runTracker(t, DefaultTrackerConfig(), packets(t, segs))
	if len(recs) != 2 {
		t.Fatalf("got %d connections, want 2 (counts %v)", len(recs), counts)
	}
	if recs[0].reason != EndRST || recs[0].data[ClientToServer].String() != "GET /1 HTTP/1.1\r\n\r\n" {
		t.Errorf("first connection: %v %q", recs[0].reason, recs[0].data[ClientToServer].String())
	}
	if got := recs[1].data[ClientToServer].String(); got != "GET /2 HTTP/1.1\r\n\r\n" {
		t.Errorf("second connection: %q", got)
	}
}

func TestTrackerLastACKOpensNothing(t *testing.T) {
	segs := append(handshake(),
		seg{fromClient: true, flags: "AF", seq: 1, ack: 1, data: "x"},
		seg{fromClient: false, flags: "AF", seq: 1, ack: 3},
		seg{fromClient: true, flags: "A", seq: 3, ack: 2},
	)
	counts := Counts{}
	tr := NewTracker(DefaultTrackerConfig(), func(m *ConnMeta) ConnHandler { return &recorder{meta: m} }, counts)
	pkts := packets(t, segs)
	for i := range pkts {
		tr.Packet(&pkts[i])
	}
	if tr.Conns() != 0 || counts[CountConns] != 1 || counts[CountAfterClose] != 1 {
		t.Errorf("after a clean close: %d tracked, counts %v", tr.Conns(), counts)
	}
}

func TestTrackerEvictsOldestWhenTimestampsTie(t *testing.T) {
	cfg := DefaultTrackerConfig()
	cfg.MaxConns = 1000
	counts := Counts{}
	tr := NewTracker(cfg, func(m *ConnMeta) ConnHandler { return &recorder{meta: m} }, counts)
	tcp := &layers.TCP{DstPort: 80, SYN: true}
	buf := gopacket.NewSerializeBuffer()
	at := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 1001 {
		tcp.SrcPort = layers.TCPPort(10000 + i)
		if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true}, tcp); err != nil {
			t.Fatal(err)
		}
		p := Packet{Frame: uint64(i + 1), Time: at, Src: cliIP, Dst: srvIP, Proto: 6, L4: buf.Bytes()}
		tr.Packet(&p)
	}
	want := 1000 - 1000/16
	if tr.Conns() != want || counts[CountEvicted] != uint64(1001-want) {
		t.Errorf("tracked %d, evicted %d; want %d and %d", tr.Conns(), counts[CountEvicted], want, 1001-want)
	}
}

func TestTrackerFramesAfterTrimmedRetransmission(t *testing.T) {
	segs := append(handshake(), // frames 1-3
		seg{fromClient: true, flags: "A", seq: 1, ack: 1, data: "aaaa"},     // 4
		seg{fromClient: true, flags: "A", seq: 9, ack: 1, data: "cccc"},     // 5, queued
		seg{fromClient: true, flags: "A", seq: 3, ack: 1, data: "aabbbbcc"}, // 6: overlaps both sides
	)
	recs, _ := runTracker(t, DefaultTrackerConfig(), packets(t, segs))
	if got := recs[0].data[ClientToServer].String(); got != "aaaabbbbcccc" {
		t.Fatalf("client stream = %q", got)
	}
	if got := fmt.Sprint(recs[0].frames); got != "[4 6 5]" {
		t.Errorf("frames = %s, want [4 6 5]", got)
	}
}

// zonedConversation gives one connection's packets, each tagged by tag (which
// may tag client and server packets differently), with its request and
// response.
func zonedConversation(t *testing.T, req, resp string, tag func(p *Packet, fromClient bool)) []Packet {
	t.Helper()
	segs := append(handshake(),
		seg{fromClient: true, flags: "A", seq: 1, ack: 1, data: req},
		seg{fromClient: false, flags: "A", seq: 1, ack: 1 + uint32(len(req)), data: resp},
	)
	pkts := packets(t, segs)
	for i := range pkts {
		tag(&pkts[i], segs[i].fromClient)
	}
	return pkts
}

// interleave merges conversations a packet at a time, as two tenants' traffic
// arrives on one mirror port, and renumbers frames and times.
func interleave(convs ...[]Packet) []Packet {
	var out []Packet
	for i := 0; ; i++ {
		n := len(out)
		for _, c := range convs {
			if i < len(c) {
				out = append(out, c[i])
			}
		}
		if len(out) == n {
			break
		}
	}
	base := out[0].Time
	for i := range out {
		out[i].Frame = uint64(i + 1)
		out[i].Time = base.Add(time.Duration(i) * time.Millisecond)
	}
	return out
}

// TestTrackerZones: two connections with the same addresses and ports on
// different VLANs or VXLAN segments (two tenants, two mirrored VPCs) are two
// connections, each with its own bytes; with the zone left out of the key
// they are one, as before. MPLS labels never split a connection: the service
// label differs per direction.
func TestTrackerZones(t *testing.T) {
	vlan := func(id uint16) func(*Packet, bool) {
		return func(p *Packet, _ bool) { p.VLAN[0], p.NVLAN = id, 1 }
	}
	vni := func(id uint32) func(*Packet, bool) {
		return func(p *Packet, _ bool) { p.Tunnels[0], p.NTunnel = Tunnel{Kind: TunnelVXLAN, ID: id}, 1 }
	}
	mplsPerDirection := func(p *Packet, fromClient bool) {
		label := uint32(16001)
		if !fromClient {
			label = 16002
		}
		p.Tunnels[0], p.NTunnel = Tunnel{Kind: TunnelMPLS, ID: label}, 1
	}
	vlanPerDirection := func(p *Packet, fromClient bool) {
		p.VLAN[0], p.NVLAN = 10, 1
		if !fromClient {
			p.VLAN[0] = 20
		}
	}
	const (
		reqA, respA = "GET /tenant-a HTTP/1.1\r\n\r\n", "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nA"
		reqB, respB = "GET /tenant-b HTTP/1.1\r\n\r\n", "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nB"
	)
	noVLAN := DefaultTrackerConfig()
	noVLAN.VLANInFlowKey = false
	noTunnel := DefaultTrackerConfig()
	noTunnel.TunnelInFlowKey = false
	tests := []struct {
		name  string
		cfg   TrackerConfig
		a, b  func(*Packet, bool)
		split bool
	}{
		{"vlan", DefaultTrackerConfig(), vlan(10), vlan(20), true},
		{"vxlan vni", DefaultTrackerConfig(), vni(7001), vni(7002), true},
		{"vlan off", noVLAN, vlan(10), vlan(20), false},
		{"vxlan off", noTunnel, vni(7001), vni(7002), false},
		{"same vlan", DefaultTrackerConfig(), vlan(10), vlan(10), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pkts := interleave(zonedConversation(t, reqA, respA, tt.a), zonedConversation(t, reqB, respB, tt.b))
			recs, counts := runTracker(t, tt.cfg, pkts)
			if !tt.split {
				// One connection: the second handshake and data are
				// retransmissions with other bytes.
				if len(recs) != 1 {
					t.Fatalf("got %d connections, want 1 (counts %v)", len(recs), counts)
				}
				return
			}
			if len(recs) != 2 {
				t.Fatalf("got %d connections, want 2 (counts %v)", len(recs), counts)
			}
			for i, want := range [][2]string{{reqA, respA}, {reqB, respB}} {
				r := recs[i]
				if got := r.data[ClientToServer].String(); got != want[0] {
					t.Errorf("connection %d request %q, want %q", i, got, want[0])
				}
				if got := r.data[ServerToClient].String(); got != want[1] {
					t.Errorf("connection %d response %q, want %q", i, got, want[1])
				}
				if r.overlap != 0 || r.gaps != [2]int{} {
					t.Errorf("connection %d: overlaps %d gaps %v", i, r.overlap, r.gaps)
				}
			}
			if n := counts[CountOverlapDiff]; n != 0 {
				t.Errorf("%s = %d", CountOverlapDiff, n)
			}
			if recs[0].meta.Zone == recs[1].meta.Zone || recs[0].meta.Zone == "" {
				t.Errorf("zones %q and %q", recs[0].meta.Zone, recs[1].meta.Zone)
			}
			// Flow ids tell them apart even when they start together.
			k, start := recs[0].meta.Key, recs[0].meta.Start
			tr := NewTracker(tt.cfg, nil, Counts{})
			za, zb := tr.zone(&pkts[0]), tr.zone(&pkts[1])
			if za == zb || flowID(k, za, start) == flowID(k, zb, start) {
				t.Errorf("zones %x %x give flow ids %x %x", za, zb, flowID(k, za, start), flowID(k, zb, start))
			}
		})
	}

	// Per-direction tags: MPLS is never in the key, so the connection
	// holds together; a VLAN per direction splits it in halves unless
	// the VLAN is left out of the key.
	for _, tt := range []struct {
		name string
		cfg  TrackerConfig
		tag  func(*Packet, bool)
		want int
	}{
		{"mpls label per direction", DefaultTrackerConfig(), mplsPerDirection, 1},
		{"priority tag one way", DefaultTrackerConfig(), func(p *Packet, fromClient bool) {
			if fromClient {
				p.VLAN[0], p.NVLAN = 0, 1
			}
		}, 1},
		{"keyless gre one way", DefaultTrackerConfig(), func(p *Packet, fromClient bool) {
			if !fromClient {
				p.Tunnels[0], p.NTunnel = Tunnel{Kind: TunnelGRE}, 1
			}
		}, 1},
		{"vlan per direction, off", noVLAN, vlanPerDirection, 1},
		{"vlan per direction", DefaultTrackerConfig(), vlanPerDirection, 2},
	} {
		t.Run(tt.name, func(t *testing.T) {
			recs, counts := runTracker(t, tt.cfg, zonedConversation(t, reqA, respA, tt.tag))
			if len(recs) != tt.want {
				t.Fatalf("got %d connections, want %d (counts %v)", len(recs), tt.want, counts)
			}
			if tt.want == 1 {
				r := recs[0]
				if r.data[ClientToServer].String() != reqA || r.data[ServerToClient].String() != respA {
					t.Errorf("got %q / %q", r.data[ClientToServer].String(), r.data[ServerToClient].String())
				}
			}
		})
	}
}

func TestZoneName(t *testing.T) {
	all := NewTracker(DefaultTrackerConfig(), nil, Counts{})
	noVLAN := DefaultTrackerConfig()
	noVLAN.VLANInFlowKey = false
	tunnelsOnly := NewTracker(noVLAN, nil, Counts{})
	tunnels := []Tunnel{{Kind: TunnelGRE, ID: 7}, {Kind: TunnelMPLS, ID: 16001}, {Kind: TunnelVXLAN, ID: 1001}, {Kind: TunnelIPIP}}
	for _, tt := range []struct {
		tr      *Tracker
		vlans   []uint16
		tunnels []Tunnel
		want    string
	}{
		{all, nil, nil, ""},
		{all, []uint16{100}, nil, "vlan:100"},
		{all, []uint16{200, 100}, tunnels, "vlan:200.100/gre:7/vxlan:1001"},
		{tunnelsOnly, []uint16{200, 100}, tunnels, "gre:7/vxlan:1001"},
		{all, nil, []Tunnel{{Kind: TunnelMPLS, ID: 16001}}, ""},
		// A GRE header without a key, ERSPAN type I and a priority tag
		// (VLAN 0) name no segment.
		{all, []uint16{0}, []Tunnel{{Kind: TunnelGRE}, {Kind: TunnelERSPAN}}, ""},
		{all, []uint16{0, 100}, nil, "vlan:100"},
	} {
		got := tt.tr.zoneName(tt.vlans, tt.tunnels)
		if got != tt.want {
			t.Errorf("zoneName(%v, %v) = %q, want %q", tt.vlans, tt.tunnels, got, tt.want)
		}
		if (got == "") != (tt.tr.zoneOf(tt.vlans, tt.tunnels) == 0) {
			t.Errorf("zoneName %q and zoneOf %x disagree", got, tt.tr.zoneOf(tt.vlans, tt.tunnels))
		}
	}
}

// TestNetFlowZone: the zone rides in the flow's endpoint type, for IPv4 and
// IPv6 (whose addresses fill gopacket's endpoints): flows of two zones
// differ, the addresses read back, and the reverse flow keeps the zone.
func TestNetFlowZone(t *testing.T) {
	for _, pair := range [][2]string{{"10.0.0.1", "10.0.0.2"}, {"2001:db8::1", "2001:db8:ffff:ffff:ffff:ffff:ffff:fffe"}} {
		a, b := netip.MustParseAddr(pair[0]), netip.MustParseAddr(pair[1])
		plain, z1, z2 := netFlow(a, b, 0), netFlow(a, b, 0x1234|1), netFlow(a, b, zoneMask)
		if plain == z1 || z1 == z2 || plain == z2 {
			t.Errorf("%v: flows of different zones are equal", pair)
		}
		for _, f := range []gopacket.Flow{plain, z1, z2} {
			src, _ := netip.AddrFromSlice(f.Src().Raw())
			dst, _ := netip.AddrFromSlice(f.Dst().Raw())
			if src != a || dst != b {
				t.Errorf("%v: addresses read back as %v %v", pair, src, dst)
			}
			if r := f.Reverse(); r.EndpointType() != f.EndpointType() || r.Reverse() != f {
				t.Errorf("%v: reverse flow lost the zone", pair)
			}
			_ = f.String() // an unregistered endpoint type must not panic
		}
		want := layers.EndpointIPv4
		if a.Is6() {
			want = layers.EndpointIPv6
		}
		if plain.EndpointType() != want {
			t.Errorf("%v: an untagged flow has type %v, want %v", pair, plain.EndpointType(), want)
		}
	}
}

// TestTrackerBuffered: the out-of-order bytes waiting for a hole count in
// Buffered until the hole fills, or is skipped, or the connection closes.
func TestTrackerBuffered(t *testing.T) {
	segs := append(handshake(),
		seg{fromClient: true, flags: "A", seq: 11, ack: 1, data: "later bytes"}, // 11 bytes after a hole of 10
		seg{fromClient: true, flags: "A", seq: 22, ack: 1, data: "and more"},
		seg{fromClient: true, flags: "A", seq: 1, ack: 1, data: "first part"}, // fills the hole
		seg{fromClient: true, flags: "A", seq: 40, ack: 1, data: "after a hole"},
	)
	pkts := packets(t, segs)
	tr := NewTracker(DefaultTrackerConfig(), func(m *ConnMeta) ConnHandler { return &recorder{meta: m} }, Counts{})
	want := []int{0, 0, 0, 11, 19, 0, 12}
	for i := range pkts {
		tr.Packet(&pkts[i])
		if got := tr.Buffered(); got != want[i] {
			t.Fatalf("after packet %d: Buffered() = %d, want %d", i+1, got, want[i])
		}
	}
	// The last hole is skipped once HoleTimeout has passed.
	tr.Advance(pkts[len(pkts)-1].Time.Add(DefaultTrackerConfig().HoleTimeout + 2*time.Second))
	tr.Advance(pkts[len(pkts)-1].Time.Add(DefaultTrackerConfig().HoleTimeout + 4*time.Second))
	if got := tr.Buffered(); got != 0 {
		t.Errorf("after the hole timeout: Buffered() = %d", got)
	}

	// Copies of a queued segment are noted once; a reset out of order
	// carrying bytes is dropped by the assembler, not queued.
	extra := packets(t, append(handshake(),
		seg{fromClient: true, flags: "A", seq: 11, ack: 1, data: "later bytes"},
		seg{fromClient: true, flags: "A", seq: 11, ack: 1, data: "later bytes"},
		seg{fromClient: true, flags: "A", seq: 13, ack: 1, data: "ter"},
		seg{fromClient: true, flags: "RA", seq: 100000, ack: 1, data: "reset with bytes"},
		seg{fromClient: true, flags: "A", seq: 1, ack: 1, data: "first part"},
	))
	tr = NewTracker(DefaultTrackerConfig(), func(m *ConnMeta) ConnHandler { return &recorder{meta: m} }, Counts{})
	for i, want := range []int{0, 0, 0, 11, 11, 11, 11, 0} {
		tr.Packet(&extra[i])
		if got := tr.Buffered(); got != want {
			t.Fatalf("copies and resets, after packet %d: Buffered() = %d, want %d", i+1, got, want)
		}
	}

	// A connection that closes holding bytes gives them back.
	tr = NewTracker(DefaultTrackerConfig(), func(m *ConnMeta) ConnHandler { return &recorder{meta: m} }, Counts{})
	for i := range pkts[:4] {
		tr.Packet(&pkts[i])
	}
	if tr.Buffered() != 11 {
		t.Fatalf("Buffered() = %d, want 11", tr.Buffered())
	}
	tr.CloseAll(EndCapture)
	if got := tr.Buffered(); got != 0 || len(tr.held) != 0 {
		t.Errorf("after CloseAll: Buffered() = %d, %d streams held", got, len(tr.held))
	}
}

// TestTrackerPeerUnseen: a chunk whose sender acknowledged bytes of the
// other direction that were never delivered (never captured, or queued
// behind that hole) is marked; one whose acknowledgement the delivered
// bytes cover, or cover but for the FIN's sequence number, is not.
func TestTrackerPeerUnseen(t *testing.T) {
	for _, tc := range []struct {
		name string
		segs []seg
		want string
	}{
		{"client bytes dropped", append(handshake(),
			seg{fromClient: true, flags: "A", seq: 1, ack: 1, data: "AAAA"},
			seg{fromClient: false, flags: "A", seq: 1, ack: 5, data: "seen"},
			// The client's "BBBB" at 5 is not in the capture.
			seg{fromClient: false, flags: "A", seq: 5, ack: 9, data: "ahead"},
			seg{fromClient: true, flags: "A", seq: 9, ack: 10, data: "CCCC"},
			seg{fromClient: false, flags: "A", seq: 10, ack: 13, data: "queued"},
		), "aheadqueued"},
		// The server's second segment (acknowledging the client's dropped
		// "BBBB") comes first; its first one, with an older ACK, fills
		// the hole: the run delivered is judged by the highest ACK.
		{"older ACK fills a hole", append(handshake(),
			seg{fromClient: true, flags: "A", seq: 1, ack: 1, data: "AAAA"},
			seg{fromClient: false, flags: "A", seq: 3, ack: 9, data: "BB"},
			seg{fromClient: false, flags: "A", seq: 1, ack: 5, data: "xx"},
		), "xxBB"},
		{"client FIN", append(handshake(),
			seg{fromClient: true, flags: "A", seq: 1, ack: 1, data: "AAAA"},
			seg{fromClient: true, flags: "FA", seq: 5, ack: 1},
			seg{fromClient: false, flags: "A", seq: 1, ack: 6, data: "after-fin"},
		), ""},
	} {
		recs, _ := runTracker(t, DefaultTrackerConfig(), packets(t, tc.segs))
		if len(recs) != 1 {
			t.Fatalf("%s: %d connections", tc.name, len(recs))
		}
		r := recs[0]
		if got := r.unseen[ServerToClient].String(); got != tc.want {
			t.Errorf("%s: server chunks marked %q, want %q (all: %q)", tc.name, got, tc.want, r.data[ServerToClient].String())
		}
		if got := r.unseen[ClientToServer].String(); got != "" {
			t.Errorf("%s: client chunks marked %q", tc.name, got)
		}
	}
}
