package http2

import (
	"fmt"
	"testing"

	"golang.org/x/net/http2"

	"github.com/apisensor/sensor/decoders"
	"github.com/apisensor/sensor/sensor"
)

// benchConversation is n small JSON exchanges on one prior-knowledge
// connection, each request and response one chunk, as h2load makes them.
func benchConversation(n int) []sensor.Chunk {
	c := newConvo(true)
	for i := range n {
		id := uint32(2*i + 1)
		body := fmt.Sprintf(`{"user":{"id":%d,"name":"alice"},"limit":50}`, i)
		blk := c.block(cs, ":method", "POST", ":scheme", "http", ":authority", "api.example.com",
			":path", fmt.Sprintf("/api/v1/users/%d/orders?page=2", i), "user-agent", "h2load nghttp2/1.52.0",
			"content-type", "application/json", "authorization", "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjMifQ.sig")
		c.frames(cs, func(f *http2.Framer) {
			f.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: blk, EndHeaders: true})
			f.WriteData(id, true, []byte(body))
		})
		rbody := fmt.Sprintf(`{"orders":[{"id":%d,"total":12.5},{"id":%d,"total":7.25}]}`, 2*i, 2*i+1)
		rblk := c.block(sc, ":status", "200", "content-type", "application/json", "server", "nginx",
			"x-request-id", fmt.Sprintf("7f9c1b2e-%08d", i))
		c.frames(sc, func(f *http2.Framer) {
			f.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: rblk, EndHeaders: true})
			f.WriteData(id, true, []byte(rbody))
		})
	}
	chunks := make([]sensor.Chunk, len(c.segs))
	for i, s := range c.segs {
		chunks[i] = sensor.Chunk{Dir: s.dir, Data: []byte(s.data), Time: t0, Frames: []uint64{uint64(i + 1)}}
	}
	return chunks
}

func BenchmarkDecode(b *testing.B) {
	chunks := benchConversation(100)
	var total int64
	for _, c := range chunks {
		total += int64(len(c.Data))
	}
	lim := decoders.DefaultLimits()
	env := &decoders.Env{Conn: &sensor.ConnMeta{ID: 1}, Limits: &lim, Counts: sensor.Counts{}}
	var exchanges int
	env.Emit = func(*decoders.Exchange) { exchanges++ }
	b.ReportAllocs()
	b.SetBytes(total)
	for b.Loop() {
		d := New(env)
		for i := range chunks {
			d.Feed(&chunks[i])
		}
		d.Close(sensor.EndFIN, t0)
	}
	if exchanges == 0 {
		b.Fatal("no exchanges")
	}
	b.ReportMetric(float64(exchanges)/b.Elapsed().Seconds(), "exchanges/s")
}
