package decoders

import (
	"time"

	"github.com/apisensor/sensor/sensor"
)

// Counter names kept by the dispatcher.
const (
	CountUnknownProto   = "decode.unknown_protocol"
	CountUpgradeUnknown = "decode.upgrade_unsupported"
	CountPanic          = "decode.panic"
	CountReversed       = "decode.direction_reversed"
	CountParamsDropped  = "decode.params_dropped"
	// CountMidStreamSkipped counts bytes of connections picked up
	// mid-stream that were passed over while looking for a message start.
	CountMidStreamSkipped = "decode.midstream_skipped_bytes"
)

// AnomalyOverlap is the kind of the anomaly raised when TCP retransmissions
// carried different data (sensor.Chunk.OverlapConflict).
const AnomalyOverlap = "tcp.overlap_different_data"

// NewConn returns the handler that recognises the protocol of one connection
// and feeds its decoder. It is the decoders' side of sensor.HandlerFactory.
//
// Every exchange a decoder emits goes through the enrichers in order, gets
// its parameters extracted (ExtractParams) and the connection-level anomalies
// noticed since the previous one, then goes to emit.
func NewConn(meta *sensor.ConnMeta, limits *Limits, counts sensor.Counts, emit func(*Exchange), enrichers ...Enricher) sensor.ConnHandler {
	c := &conn{sink: emit, enrichers: enrichers}
	c.env = Env{Conn: meta, Limits: limits, Counts: counts, Emit: c.emit}
	return c
}

type connState uint8

const (
	sniffing connState = iota
	decoding
	ignoring // unknown protocol, switch to an unregistered one, or a recovered panic
)

// conn dispatches one connection's chunks. It buffers at most SniffBytes per
// direction while sniffing; afterwards chunks go straight to the decoder.
type conn struct {
	env     Env
	state   connState
	swap    bool // directions were guessed wrong: flip every chunk
	sniff   [2][]byte
	sniffAt [2]time.Time
	frames  [2][]uint64
	skipped [2]int // bytes slid past while sniffing a mid-stream connection
	resync  bool   // a gap was seen while sniffing
	// sniffGap counts, per direction, bytes lost before the buffered ones:
	// the decoder is told when they are replayed.
	sniffGap [2]int
	dec      Decoder
	sink     func(*Exchange)
	// enrichers run on every exchange before its parameters are extracted.
	enrichers []Enricher
	// pending holds connection-level anomalies for the next exchange.
	pending []Anomaly
}

func (c *conn) emit(x *Exchange) {
	for _, e := range c.enrichers {
		e.Enrich(x, &c.env)
	}
	if x.Request != nil {
		before := len(x.Anomalies)
		if n := ExtractParams(x, c.env.Limits); n > 0 {
			c.env.Counts.Add(CountParamsDropped, uint64(n))
		}
		for _, a := range x.Anomalies[before:] {
			c.env.Counts.Inc(a.Kind)
		}
	}
	if len(c.pending) > 0 {
		x.Anomalies = append(x.Anomalies, c.pending...)
		c.pending = c.pending[:0]
	}
	c.sink(x)
}

func (c *conn) Data(ch *sensor.Chunk) {
	defer c.recover()
	if c.swap {
		ch.Dir = ch.Dir.Reverse()
	}
	if ch.OverlapConflict {
		// Counted by the tracker; shown on the next exchange.
		if len(c.pending) < maxAnomalies {
			c.pending = append(c.pending, Anomaly{Kind: AnomalyOverlap, Detail: "retransmission with different data; first copy kept", Dir: ch.Dir})
		}
		if len(ch.Data) == 0 {
			return
		}
	}
	switch c.state {
	case decoding:
		c.feed(ch)
	case sniffing:
		c.sniffChunk(ch)
	}
}

func (c *conn) Close(reason sensor.EndReason, at time.Time) {
	defer c.recover()
	if c.state == sniffing && (len(c.sniff[0]) > 0 || len(c.sniff[1]) > 0) {
		// Too few bytes to decide by sniffing: let a decoder that accepts
		// a partial start have them.
		c.decide(true)
	}
	if c.state == decoding {
		c.dec.Close(reason, at)
	}
	c.state = ignoring
}

// recover turns a decoder panic into a counted, dropped flow.
func (c *conn) recover() {
	if r := recover(); r != nil {
		c.env.Counts.Inc(CountPanic)
		c.state = ignoring
		c.dec = nil
	}
}

func (c *conn) sniffChunk(ch *sensor.Chunk) {
	d := ch.Dir
	if ch.Gap > 0 {
		// Bytes were lost: what was buffered cannot be stitched to what
		// follows, and the chunk may start inside a message. Sniff on as
		// for a connection picked up mid-stream.
		c.sniff[d], c.frames[d] = c.sniff[d][:0], c.frames[d][:0]
		c.sniffGap[d] += ch.Gap
		c.resync = true
	}
	if len(c.sniff[d]) == 0 {
		c.sniffAt[d] = ch.Time
	}
	room := c.env.Limits.SniffBytes - len(c.sniff[d])
	data := ch.Data
	if len(data) > room {
		data = data[:room]
	}
	c.sniff[d] = append(c.sniff[d], data...)
	c.frames[d] = appendFrames(c.frames[d], ch.Frames)
	full := len(c.sniff[0]) >= c.env.Limits.SniffBytes || len(c.sniff[1]) >= c.env.Limits.SniffBytes
	if full && c.midStream() && c.skipped[d] < maxMidStreamSniff*c.env.Limits.SniffBytes {
		// Picked up inside a message (a large body, say): slide the
		// window instead of giving up, so the next message start is
		// still found. Bounded, so a non-HTTP stream is dropped in the end.
		if !c.decide(false) {
			c.slide(d, ch.Data[len(data):])
		}
		return
	}
	if !c.decide(full) {
		return
	}
	if c.state == decoding && len(ch.Data) > len(data) {
		rest := *ch
		rest.Data = ch.Data[len(data):]
		if n := len(ch.Frames); n > 0 {
			rest.Frames = ch.Frames[n-1:]
		}
		c.feed(&rest)
	}
}

// midStream tells whether the sniffed bytes may start inside a message.
func (c *conn) midStream() bool { return c.env.Conn.MidStream || c.resync }

// maxMidStreamSniff bounds, in units of SniffBytes, how far into a
// mid-stream connection the dispatcher looks for a message start.
const maxMidStreamSniff = 16

// slide keeps the second half of direction d's sniff buffer, then adds more
// of the chunk's remaining bytes and sniffs again, until the chunk is used up
// or a protocol is found.
func (c *conn) slide(d sensor.Direction, rest []byte) {
	half := c.env.Limits.SniffBytes / 2
	for {
		drop := len(c.sniff[d]) - half
		if drop <= 0 {
			return
		}
		c.skipped[d] += drop
		c.sniffGap[d] += drop // the decoder must resynchronise after them
		c.env.Counts.Add(CountMidStreamSkipped, uint64(drop))
		c.sniff[d] = c.sniff[d][:copy(c.sniff[d], c.sniff[d][drop:])]
		n := min(len(rest), c.env.Limits.SniffBytes-len(c.sniff[d]))
		c.sniff[d] = append(c.sniff[d], rest[:n]...)
		rest = rest[n:]
		if c.decide(false) {
			if c.state == decoding && len(rest) > 0 {
				c.feed(&sensor.Chunk{Dir: d, Data: rest})
			}
			return
		}
		if len(rest) == 0 {
			return
		}
	}
}

// appendFrames adds frame numbers, bounded: they only serve to point at the
// packets of the first message.
func appendFrames(dst, frames []uint64) []uint64 {
	for _, f := range frames {
		if len(dst) >= MaxFrames {
			break
		}
		if n := len(dst); n == 0 || dst[n-1] != f {
			dst = append(dst, f)
		}
	}
	return dst
}

// decide runs the sniffers over the buffered bytes. With final set, NeedMore
// counts as No. It reports whether the sniffing phase is over.
func (c *conn) decide(final bool) bool {
	var undecided bool
	for _, p := range sniffers() {
		switch p.Sniff(c.sniff[0], c.sniff[1], c.midStream()) {
		case Yes:
			c.start(p, false)
			return true
		case Reversed:
			c.start(p, true)
			return true
		case NeedMore:
			undecided = true
		}
	}
	if undecided && !final {
		return false
	}
	c.env.Counts.Inc(CountUnknownProto)
	c.state = ignoring
	c.sniff = [2][]byte{}
	return true
}

func (c *conn) start(p Protocol, reversed bool) {
	if reversed {
		c.env.Counts.Inc(CountReversed)
		c.swap = true
		m := *c.env.Conn
		m.Key = m.Key.Reverse()
		c.env.Conn = &m
		c.sniff[0], c.sniff[1] = c.sniff[1], c.sniff[0]
		c.sniffAt[0], c.sniffAt[1] = c.sniffAt[1], c.sniffAt[0]
		c.sniffGap[0], c.sniffGap[1] = c.sniffGap[1], c.sniffGap[0]
		c.frames[0], c.frames[1] = c.frames[1], c.frames[0]
	}
	c.dec = p.New(&c.env)
	c.state = decoding
	buf, at, frames := c.sniff, c.sniffAt, c.frames
	c.sniff, c.frames = [2][]byte{}, [2][]uint64{}
	// Replay the buffered bytes, older direction first, so that a request
	// precedes its response.
	order := [2]sensor.Direction{sensor.ClientToServer, sensor.ServerToClient}
	if len(buf[0]) > 0 && len(buf[1]) > 0 && at[1].Before(at[0]) {
		order[0], order[1] = order[1], order[0]
	}
	for _, d := range order {
		if len(buf[d]) > 0 && c.state == decoding {
			c.feed(&sensor.Chunk{Dir: d, Data: buf[d], Time: at[d], Frames: frames[d], Gap: c.sniffGap[d]})
		}
	}
}

func (c *conn) feed(ch *sensor.Chunk) {
	sw := c.dec.Feed(ch)
	if sw == nil {
		return
	}
	p, ok := Lookup(sw.Proto)
	if !ok || p.New == nil {
		c.env.Counts.Inc(CountUpgradeUnknown)
		c.state = ignoring
		c.dec = nil
		return
	}
	c.dec = p.New(&c.env)
	if u, ok := c.dec.(Upgrader); ok {
		u.Upgraded(sw)
	}
	for d := range sw.Pending {
		if len(sw.Pending[d]) > 0 && c.state == decoding {
			c.feed(&sensor.Chunk{Dir: sensor.Direction(d), Data: sw.Pending[d], Time: sw.At})
		}
	}
}
