// Package http2 decodes cleartext HTTP/2 conversations incrementally: h2c
// with prior knowledge, h2c after an HTTP/1.1 Upgrade, connections joined
// mid-stream, and the plaintext streams of TLS probes.
//
// Input is one connection's two reassembled byte streams, pushed as
// sensor.Chunk values (both directions interleaved in capture order) by the
// decoders dispatcher, which finds this decoder through the "h2c" protocol
// registered from init, or through the HTTP/1 decoder's Switch. Output is
// one decoders.Exchange per stream (Proto "http/2", StreamID set), handed to
// Env.Emit once both sides ended the stream, the stream was reset, or the
// connection closed; protocol irregularities are counted and attached as
// anomalies ("http2.*").
//
// Frames are parsed as they arrive: only a partial frame header and the
// payloads of control and header frames are buffered, DATA payloads go
// straight to the stream's body. HPACK is decoded with a table per direction
// that tolerates entries it never saw (see hpack.go). Every buffer, table and
// stream count is bounded by decoders.Limits.
package http2

import (
	"time"

	"github.com/apisensor/sensor/decoders"
	"github.com/apisensor/sensor/sensor"
)

// Anomaly kinds raised by this decoder. They are stable identifiers: counter
// names and rule ids.
const (
	KindBadPreface         = "http2.bad_preface"
	KindFrameTooLarge      = "http2.frame_too_large"
	KindInvalidFrame       = "http2.invalid_frame"
	KindHPACKError         = "http2.hpack_error"
	KindHPACKUnknownIndex  = "http2.hpack_unknown_index"
	KindContinuationFlood  = "http2.continuation_flood"
	KindHeaderListTooLarge = "http2.header_list_too_large"
	// KindHeaderFieldTooLong marks header values kept cut: over the
	// header list bound, or running past the end of a cut block.
	KindHeaderFieldTooLong  = "http2.header_field_too_long"
	KindInvalidPseudoHeader = "http2.invalid_pseudo_header"
	KindTooManyStreams      = "http2.too_many_streams"
	KindStreamReset         = "http2.stream_reset"
	KindGoAway              = "http2.goaway"
	KindGap                 = "http2.gap"
	KindDecompressionBomb   = "http2.decompression_bomb"
	KindBadEncoding         = "http2.bad_encoding"
	KindTooManyEncodings    = "http2.too_many_encodings"
)

// Counter names for events that are not anomalies of one exchange.
const (
	// CountSkipped counts bytes passed over while looking for a frame
	// boundary (mid-stream pickup, after a gap or a bad preface).
	CountSkipped = "http2.skipped_bytes"
	// CountGapBytes counts bytes lost in gaps.
	CountGapBytes = "http2.gap_bytes"
	// CountOrphanData counts DATA bytes of streams whose headers were not
	// seen or that were already handed on.
	CountOrphanData = "http2.orphan_data_bytes"
	// CountResponseOnly counts streams whose response was seen without
	// their request (joined mid-stream); the exchange has an empty,
	// incomplete Request.
	CountResponseOnly = "http2.response_without_request"
	// CountUpgradeStream counts streams 1 of h2c Upgrades: their request was
	// the HTTP/1.1 one, already handed on with its 101 response.
	CountUpgradeStream = "http2.upgrade_stream"
	// CountLateFrame counts frames for streams already handed on.
	CountLateFrame = "http2.late_frames"
	// CountUnknownFrame counts frames of unknown types (ignored, RFC 9113 §4.1).
	CountUnknownFrame = "http2.unknown_frames"
	// CountUnsupportedEncoding counts bodies kept raw because a content
	// coding is not one this decoder undoes (br, zstd, …).
	CountUnsupportedEncoding = "http2.unsupported_encoding"
)

// ProtoName is the name this decoder is registered under, the one the
// HTTP/1 decoder's Switch names after an Upgrade.
const ProtoName = "h2c"

// Proto is Exchange.Proto for HTTP/2 exchanges; Version is Message.Version.
const (
	Proto   = "http/2"
	Version = "HTTP/2"
)

func init() {
	decoders.Register(decoders.Protocol{Name: ProtoName, Sniff: Sniff, New: New})
}

// decoder is one connection's HTTP/2 state.
type decoder struct {
	env   *decoders.Env
	lim   decoders.Limits
	sides [2]side
	// streams holds the streams not yet handed on; first/last chain them
	// in creation order, so that the oldest is found when over the bound.
	streams     map[uint32]*stream
	first, last *stream
	// lastID is the highest stream id seen opened by each side (client
	// odd, server even): lower ids not in streams are closed.
	lastID [2]uint32
	// A response to an unseen odd stream between holeLo and holeHi (or
	// above holeLo while holeOpen) is taken as answering a request lost in
	// a gap or before the connection was joined.
	holeLo, holeHi uint32
	holeOpen       bool
	// had1 is set once stream 1 was opened.
	had1 bool
	// upgradeReq is the HTTP/1.1 request of an h2c Upgrade, answered on
	// stream 1.
	upgradeReq *decoders.Message
	seq        int
	// preface is set when the client preface was seen.
	preface bool
	done    bool
	// scratch for decoded header fields, reused for every block.
	fields []hfield
	// fp is the client's fingerprint, complete with its first HEADERS.
	fp fingerprint
}

// Upgraded takes the HTTP/1.1 request of an h2c Upgrade, which the server
// answers on stream 1.
func (d *decoder) Upgraded(sw *decoders.Switch) { d.upgradeReq = sw.Request }

// New returns a decoder for one connection.
func New(env *decoders.Env) decoders.Decoder {
	d := &decoder{env: env, streams: map[uint32]*stream{}, lim: env.Lim()}
	mid := env.Conn != nil && env.Conn.MidStream
	for i := range d.sides {
		s := &d.sides[i]
		s.d = d
		s.dir = sensor.Direction(i)
		s.maxFrame = defaultMaxFrame
		s.hp = newHPACK(d.lim.MaxHeaderTableBytes, mid)
		s.state = stHeader
		if mid {
			s.state = stResync
		}
	}
	// The client starts with the preface, even after an Upgrade; joined
	// mid-stream, it may still be there.
	d.sides[sensor.ClientToServer].state = stPreface
	return d
}

// Feed consumes one chunk of either direction.
func (d *decoder) Feed(c *sensor.Chunk) *decoders.Switch {
	if d.done {
		return nil
	}
	s := &d.sides[c.Dir&1]
	s.at, s.frames = c.Time, c.Frames
	if c.Gap > 0 {
		s.gap(c.Gap)
	}
	s.feed(c.Data)
	return nil
}

// Close hands on every stream still open, marked incomplete.
func (d *decoder) Close(_ sensor.EndReason, at time.Time) {
	if d.done {
		return
	}
	for i := range d.sides {
		d.sides[i].flush()
	}
	for i := range d.sides {
		d.sides[i].abandonBlock()
		d.sides[i].at = at
	}
	for d.first != nil {
		d.finish(d.first)
	}
	d.done = true
}

// anomaly records a on st's exchange when there is one, else counts it.
func (d *decoder) anomaly(st *stream, dir sensor.Direction, kind, detail string) {
	var x *decoders.Exchange
	if st != nil {
		x = &st.x
	}
	d.env.Anomaly(x, decoders.Anomaly{Kind: kind, Detail: detail, Dir: dir})
}
