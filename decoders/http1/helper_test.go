package http1

import (
	"fmt"
	"strings"
	"time"

	"github.com/apisensor/sensor/decoders"
	"github.com/apisensor/sensor/sensor"
)

const (
	cs = sensor.ClientToServer
	sc = sensor.ServerToClient
)

// seg is bytes of one direction, fed as one chunk unless a test splits it.
// A gap of -1 loses nothing but marks the chunk sensor.Chunk.PeerUnseen.
type seg struct {
	dir  sensor.Direction
	data string
	gap  int
}

var t0 = time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)

// harness drives one decoder and collects what it emits.
type harness struct {
	env    *decoders.Env
	dec    decoders.Decoder
	counts sensor.Counts
	got    []*decoders.Exchange
	sw     *decoders.Switch
	// after holds bytes that reached the decoder after it switched, as the
	// dispatcher would hand them to the next one.
	after [2][]byte
}

func newHarness(lim *decoders.Limits, midStream bool) *harness {
	if lim == nil {
		l := decoders.DefaultLimits()
		lim = &l
	}
	h := &harness{counts: sensor.Counts{}}
	h.env = &decoders.Env{
		Conn:   &sensor.ConnMeta{ID: 1, MidStream: midStream},
		Limits: lim,
		Counts: h.counts,
		Emit:   func(x *decoders.Exchange) { h.got = append(h.got, x) },
	}
	h.dec = New(h.env)
	return h
}

func (h *harness) feed(dir sensor.Direction, data []byte, gap int) {
	if h.sw != nil {
		h.after[dir] = append(h.after[dir], data...)
		return
	}
	// The decoder must copy what it keeps: hand it a buffer that is
	// scribbled over afterwards.
	buf := append([]byte(nil), data...)
	sw := h.dec.Feed(&sensor.Chunk{Dir: dir, Data: buf, Time: t0, Gap: max(gap, 0), PeerUnseen: gap < 0, Frames: []uint64{1}})
	for i := range buf {
		buf[i] = '#'
	}
	if sw != nil {
		h.sw = sw
		for d := range h.after {
			h.after[d] = append(h.after[d], sw.Pending[d]...)
		}
	}
}

func (h *harness) close(reason sensor.EndReason) {
	if h.sw == nil {
		h.dec.Close(reason, t0)
	}
}

// run feeds segs whole and closes with FIN.
func run(lim *decoders.Limits, mid bool, segs []seg) *harness {
	h := newHarness(lim, mid)
	for _, s := range segs {
		h.feed(s.dir, []byte(s.data), s.gap)
	}
	h.close(sensor.EndFIN)
	return h
}

// render prints everything observable, for comparisons.
func (h *harness) render() string {
	var b strings.Builder
	for _, x := range h.got {
		fmt.Fprintf(&b, "#%d %s anomalies=%v\n", x.Seq, x.Proto, x.Anomalies)
		renderMsg(&b, "req", x.Request)
		renderMsg(&b, "resp", x.Response)
	}
	if h.sw != nil {
		fmt.Fprintf(&b, "switch %s client=%q server=%q\n", h.sw.Proto, h.after[0], h.after[1])
	}
	for _, k := range h.counts.Keys() {
		fmt.Fprintf(&b, "count %s=%d\n", k, h.counts[k])
	}
	return b.String()
}

func renderMsg(b *strings.Builder, name string, m *decoders.Message) {
	if m == nil {
		fmt.Fprintf(b, "  %s: nil\n", name)
		return
	}
	fmt.Fprintf(b, "  %s: %q %q %q %q %q %d %q hdr=%q trl=%q body=%q trunc=%v wire=%d ce=%v inc=%v frames=%v/%d\n",
		name, m.Method, m.URI, m.Path, m.Query, m.Version, m.Status, m.Reason, m.Headers, m.Trailers,
		m.Body, m.BodyTruncated, m.WireBodyLen, m.ContentEncoding, m.Incomplete, m.Frames, m.FramesTotal)
}
