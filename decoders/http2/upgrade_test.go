package http2_test

import (
	"bytes"
	"testing"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"

	"github.com/apisensor/sensor/decoders"
	_ "github.com/apisensor/sensor/decoders/http1"
	h2 "github.com/apisensor/sensor/decoders/http2"
	"github.com/apisensor/sensor/sensor"
)

// TestUpgrade runs an h2c Upgrade through the dispatcher: the HTTP/1
// decoder emits the upgrade request with its 101, then hands the
// connection over; stream 1 carries the upgraded request's response.
func TestUpgrade(t *testing.T) {
	var server, client bytes.Buffer
	client.WriteString("GET /up HTTP/1.1\r\nHost: h\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAoAAAAAIAAAAA\r\n\r\n")
	upgradeReq := client.Len()
	server.WriteString("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n")
	client.WriteString(h2.Preface)
	cf, sf := http2.NewFramer(&client, nil), http2.NewFramer(&server, nil)
	cf.WriteSettings()
	sf.WriteSettings()
	sf.WriteSettingsAck()
	cf.WriteSettingsAck()
	enc := func(kv ...string) []byte {
		var b bytes.Buffer
		e := hpack.NewEncoder(&b)
		for i := 0; i < len(kv); i += 2 {
			e.WriteField(hpack.HeaderField{Name: kv[i], Value: kv[i+1]})
		}
		return b.Bytes()
	}
	sf.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: enc(":status", "200"), EndHeaders: true})
	sf.WriteData(1, true, []byte("upgraded"))
	cf.WriteHeaders(http2.HeadersFrameParam{StreamID: 3, BlockFragment: enc(":method", "GET", ":scheme", "http", ":authority", "h", ":path", "/next"), EndHeaders: true, EndStream: true})
	sf.WriteHeaders(http2.HeadersFrameParam{StreamID: 3, BlockFragment: enc(":status", "204"), EndHeaders: true, EndStream: true})

	var got []*decoders.Exchange
	lim := decoders.DefaultLimits()
	counts := sensor.Counts{}
	c := decoders.NewConn(&sensor.ConnMeta{ID: 1}, &lim, counts, func(x *decoders.Exchange) { got = append(got, x) })
	cb, sb := client.Bytes(), server.Bytes()
	// The request, then the 101 and the client's preface and frames in
	// one chunk each, as they would arrive.
	c.Data(&sensor.Chunk{Dir: sensor.ClientToServer, Data: cb[:upgradeReq], Time: t0()})
	c.Data(&sensor.Chunk{Dir: sensor.ClientToServer, Data: cb[upgradeReq:], Time: t0()})
	c.Data(&sensor.Chunk{Dir: sensor.ServerToClient, Data: sb, Time: t0()})
	c.Close(sensor.EndFIN, t0())

	if len(got) != 3 {
		t.Fatalf("%d exchanges, want 3", len(got))
	}
	want := []struct {
		proto, uri string
		stream     uint32
		status     int
		body       string
	}{
		{"http/1.1", "/up", 0, 101, ""},
		{"http/2", "/up", 1, 200, "upgraded"}, // the upgraded request, answered on stream 1
		{"http/2", "/next", 3, 204, ""},
	}
	for i, w := range want {
		x := got[i]
		if x.Proto != w.proto || x.Request.URI != w.uri || x.StreamID != w.stream || x.Response == nil ||
			x.Response.Status != w.status || string(x.Response.Body) != w.body {
			t.Errorf("exchange %d: %s %q stream %d resp %+v; want %+v", i, x.Proto, x.Request.URI, x.StreamID, x.Response, w)
		}
	}
	if counts[h2.CountUpgradeStream] != 1 {
		t.Errorf("counts %v", counts)
	}
}

func t0() (t time.Time) { return time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC) }
