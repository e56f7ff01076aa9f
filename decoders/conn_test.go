package decoders_test

import (
	"strings"
	"testing"
	"time"

	"github.com/apisensor/sensor/decoders"
	_ "github.com/apisensor/sensor/decoders/http1"
	"github.com/apisensor/sensor/sensor"
)

const (
	cs = sensor.ClientToServer
	sc = sensor.ServerToClient
)

var t0 = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// panicProto is a registered protocol whose decoder panics, to show that a
// decoder panic costs one flow and nothing else.
func init() {
	decoders.Register(decoders.Protocol{
		Name: "test-panic",
		Sniff: func(client, _ []byte, _ bool) decoders.Verdict {
			if strings.HasPrefix(string(client), "PANIC!") {
				return decoders.Yes
			}
			return decoders.No
		},
		New: func(*decoders.Env) decoders.Decoder { return panicDecoder{} },
	})
}

type panicDecoder struct{}

func (panicDecoder) Feed(*sensor.Chunk) *decoders.Switch { panic("boom") }
func (panicDecoder) Close(sensor.EndReason, time.Time)   {}

type chunk struct {
	dir     sensor.Direction
	data    string
	overlap bool
}

func run(t *testing.T, midStream bool, gapAt int, chunks []chunk) ([]*decoders.Exchange, sensor.Counts) {
	t.Helper()
	var got []*decoders.Exchange
	counts := sensor.Counts{}
	lim := decoders.DefaultLimits()
	meta := &sensor.ConnMeta{ID: 7, MidStream: midStream}
	h := decoders.NewConn(meta, &lim, counts, func(x *decoders.Exchange) { got = append(got, x) })
	for i, c := range chunks {
		buf := []byte(c.data)
		ch := &sensor.Chunk{Dir: c.dir, Data: buf, Time: t0.Add(time.Duration(i) * time.Millisecond), Frames: []uint64{uint64(i + 1)}, OverlapConflict: c.overlap}
		if i+1 == gapAt {
			ch.Gap = 100
		}
		h.Data(ch)
		for j := range buf { // the handler must have copied what it keeps
			buf[j] = '#'
		}
	}
	h.Close(sensor.EndFIN, t0.Add(time.Second))
	return got, counts
}

func TestConnDispatch(t *testing.T) {
	req := "GET /a?id=1 HTTP/1.1\r\nHost: x\r\n\r\n"
	resp := "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
	tests := []struct {
		name      string
		midStream bool
		chunks    []chunk
		uris      []string
		counts    map[string]uint64
		anomaly   string
		gapAt     int // 1 + index of a chunk that follows lost bytes; 0 for none
	}{
		{name: "http", chunks: []chunk{{cs, req, false}, {sc, resp, false}}, uris: []string{"/a?id=1"}},
		{name: "empty lines before the request", chunks: []chunk{{cs, "\r\n\r\n" + req, false}, {sc, resp, false}}, uris: []string{"/a?id=1"}},
		{
			name:   "first segment lost",
			chunks: []chunk{{cs, "\nAccept: */*\r\n\r\n" + req, false}, {sc, resp, false}},
			gapAt:  1, uris: []string{"/a?id=1"},
		},
		{name: "request split before sniffing", chunks: []chunk{{cs, "GE", false}, {cs, req[2:], false}, {sc, resp, false}}, uris: []string{"/a?id=1"}},
		{
			name:   "directions guessed wrong",
			chunks: []chunk{{sc, req, false}, {cs, resp, false}},
			uris:   []string{"/a?id=1"}, counts: map[string]uint64{decoders.CountReversed: 1},
		},
		{
			name:   "not a known protocol",
			chunks: []chunk{{cs, "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + strings.Repeat("x", 100), false}},
			counts: map[string]uint64{decoders.CountUnknownProto: 1},
		},
		{
			name: "upgrade to a protocol with no decoder",
			chunks: []chunk{
				{cs, "GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n", false},
				{sc, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n\x81\x05hello", false},
				{cs, "\x81\x85abcdefghi", false},
			},
			uris: []string{"/ws"}, counts: map[string]uint64{decoders.CountUpgradeUnknown: 1},
		},
		{
			name:   "decoder panic drops the flow",
			chunks: []chunk{{cs, "PANIC!" + req, false}, {cs, req, false}},
			counts: map[string]uint64{decoders.CountPanic: 1},
		},
		{
			name:   "retransmission conflict shows on the next exchange",
			chunks: []chunk{{cs, req, false}, {cs, "", true}, {sc, resp, false}},
			uris:   []string{"/a?id=1"}, anomaly: decoders.AnomalyOverlap,
		},
		{
			name:      "mid-stream inside a large body",
			midStream: true,
			chunks:    []chunk{{sc, strings.Repeat("b", 20000), false}, {cs, req, false}, {sc, resp, false}},
			uris:      []string{"/a?id=1"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, counts := run(t, tc.midStream, tc.gapAt, tc.chunks)
			var uris []string
			for _, x := range got {
				uris = append(uris, x.Request.URI)
				if x.Conn.ID != 7 {
					t.Errorf("exchange lost its connection: %+v", x.Conn)
				}
			}
			if strings.Join(uris, " ") != strings.Join(tc.uris, " ") {
				t.Fatalf("exchanges %q, want %q", uris, tc.uris)
			}
			for k, v := range tc.counts {
				if counts[k] != v {
					t.Errorf("count %s = %d, want %d (all: %v)", k, counts[k], v, counts)
				}
			}
			if len(got) > 0 && len(got[0].Params) == 0 {
				t.Errorf("parameters were not extracted")
			}
			if tc.anomaly != "" {
				var kinds []string
				for _, a := range got[0].Anomalies {
					kinds = append(kinds, a.Kind)
				}
				if !strings.Contains(strings.Join(kinds, " "), tc.anomaly) {
					t.Errorf("anomalies %v lack %s", kinds, tc.anomaly)
				}
			}
		})
	}
}

// FuzzConn drives the dispatcher, the HTTP/1 decoder and parameter
// extraction with arbitrary chunks of both directions.
func FuzzConn(f *testing.F) {
	f.Add([]byte("\x00GET /a?x=1 HTTP/1.1\r\nHost: h\r\n\r\n\x01HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx"), false)
	f.Add([]byte("\x01HTTP/1.1 200 OK\r\n\r\n\x00GET / HTTP/1.0\r\n\r\n"), true)
	f.Add([]byte("\x00POST /j HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: 9\r\n\r\n{\"a\":[1]}"), false)
	f.Add([]byte("\x00GET / HTTP/1.1\r\nUpgrade: h2c\r\n\r\n\x01HTTP/1.1 101 S\r\nUpgrade: h2c\r\n\r\nPRI *"), false)
	f.Fuzz(func(t *testing.T, data []byte, midStream bool) {
		lim := decoders.DefaultLimits()
		lim.SniffBytes = 64
		counts := sensor.Counts{}
		n := 0
		h := decoders.NewConn(&sensor.ConnMeta{MidStream: midStream}, &lim, counts, func(x *decoders.Exchange) {
			n++
			if x.Request == nil {
				t.Fatal("exchange without a request")
			}
			if len(x.Params) > lim.MaxParams {
				t.Fatalf("%d params, bound %d", len(x.Params), lim.MaxParams)
			}
		})
		// A byte 0x00 or 0x01 switches direction; the rest is data.
		dir := cs
		start := 0
		flush := func(end int) {
			if end > start {
				h.Data(&sensor.Chunk{Dir: dir, Data: data[start:end], Time: t0})
			}
		}
		for i, b := range data {
			if b <= 1 {
				flush(i)
				dir, start = sensor.Direction(b), i+1
			}
		}
		flush(len(data))
		h.Close(sensor.EndFIN, t0)
		if n > len(data) {
			t.Fatalf("%d exchanges from %d bytes", n, len(data))
		}
		if counts[decoders.CountPanic] > 0 {
			t.Fatalf("a decoder panicked on %q", data)
		}
	})
}
