package http1

import (
	"fmt"
	"testing"

	"github.com/apisensor/sensor/decoders"
	"github.com/apisensor/sensor/sensor"
)

// benchConversation is n small keep-alive JSON exchanges, one chunk per
// message, as a typical API connection carries them.
func benchConversation(n int) []sensor.Chunk {
	var chunks []sensor.Chunk
	for i := range n {
		body := fmt.Sprintf(`{"user":{"id":%d,"name":"alice","roles":["admin","dev"]},"limit":50}`, i)
		req := fmt.Sprintf("POST /api/v1/users/%d/orders?page=2&sort=desc HTTP/1.1\r\n"+
			"Host: api.example.com\r\nUser-Agent: okhttp/4.9.3\r\nAccept: application/json\r\n"+
			"Accept-Encoding: gzip, deflate, br\r\nAuthorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjMifQ.sig\r\n"+
			"Content-Type: application/json\r\nContent-Length: %d\r\nConnection: keep-alive\r\n\r\n%s", i, len(body), body)
		rbody := fmt.Sprintf(`{"orders":[{"id":%d,"total":12.5,"items":3},{"id":%d,"total":7.25,"items":1}],"next":"/api/v1/users/%d/orders?page=3"}`, i*2, i*2+1, i)
		resp := fmt.Sprintf("HTTP/1.1 200 OK\r\nDate: Wed, 01 May 2024 12:00:00 GMT\r\nServer: nginx\r\n"+
			"Content-Type: application/json; charset=utf-8\r\nContent-Length: %d\r\nConnection: keep-alive\r\n"+
			"Cache-Control: no-cache\r\nX-Request-Id: 7f9c1b2e-%08d\r\n\r\n%s", len(rbody), i, rbody)
		chunks = append(chunks,
			sensor.Chunk{Dir: sensor.ClientToServer, Data: []byte(req), Time: t0, Frames: []uint64{uint64(2*i + 1)}},
			sensor.Chunk{Dir: sensor.ServerToClient, Data: []byte(resp), Time: t0, Frames: []uint64{uint64(2*i + 2)}})
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

func BenchmarkDecodeGzip(b *testing.B) {
	body := gz(`{"orders":[{"id":1,"total":12.5,"items":3},{"id":2,"total":7.25,"items":1}]}`)
	req := []byte("GET /api/orders HTTP/1.1\r\nHost: a\r\nAccept-Encoding: gzip\r\n\r\n")
	resp := []byte(resp("200 OK", "Content-Encoding: gzip\r\n"+withCL(body), body))
	lim := decoders.DefaultLimits()
	env := &decoders.Env{Conn: &sensor.ConnMeta{ID: 1}, Limits: &lim, Counts: sensor.Counts{}, Emit: func(*decoders.Exchange) {}}
	b.ReportAllocs()
	b.SetBytes(int64(len(req) + len(resp)))
	d := New(env)
	for b.Loop() {
		d.Feed(&sensor.Chunk{Dir: sensor.ClientToServer, Data: req, Time: t0})
		d.Feed(&sensor.Chunk{Dir: sensor.ServerToClient, Data: resp, Time: t0})
	}
}
