// Package http1 decodes HTTP/1.0 and HTTP/1.1 conversations incrementally.
//
// Input is one connection's two reassembled byte streams, pushed as
// sensor.Chunk values (both directions interleaved in capture order) by the
// decoders dispatcher, which finds this decoder through the "http" protocol
// registered from init. Output is one decoders.Exchange per request and its
// response, handed to Env.Emit in order; protocol irregularities are counted
// and attached as anomalies ("http1.*"). An Upgrade answered with 101 (h2c,
// websocket) or a CONNECT answered with 2xx ends the decoder with a
// decoders.Switch carrying the bytes already received past the switch point.
//
// Each direction is a push-driven state machine: lines are parsed in place
// from the chunk when whole and only partial lines are buffered, so the
// decoder never blocks, starts no goroutine and keeps every buffer within
// decoders.Limits.
package http1

import (
	"bytes"
	"time"

	"github.com/apisensor/sensor/decoders"
	"github.com/apisensor/sensor/sensor"
)

// Anomaly kinds raised by this decoder. They are stable identifiers: counter
// names and rule ids.
const (
	KindDuplicateContentLength = "http1.duplicate_content_length"
	KindConflictingCL          = "http1.conflicting_content_length"
	KindCLWithTE               = "http1.content_length_with_transfer_encoding"
	KindChunkedBelowHTTP11     = "http1.chunked_below_http11"
	KindFoldedContentLength    = "http1.folded_content_length"
	KindInvalidContentLength   = "http1.invalid_content_length"
	KindInvalidChunkSize       = "http1.invalid_chunk_size"
	KindInvalidChunkFraming    = "http1.invalid_chunk_framing"
	KindObsFold                = "http1.obs_fold"
	KindBareLF                 = "http1.bare_lf"
	KindLineTooLong            = "http1.line_too_long"
	// The four below mark a line over its limit whose kept prefix was
	// still parsed: the message is decoded with a cut request-target,
	// reason phrase or header value, or past a cut chunk-size line.
	KindRequestLineTooLong = "http1.request_line_too_long"
	KindStatusLineTooLong  = "http1.status_line_too_long"
	KindHeaderLineTooLong  = "http1.header_line_too_long"
	// KindChunkLineTooLong marks a chunk-size line over max_line_bytes
	// (padded chunk extensions) whose size was still read.
	KindChunkLineTooLong       = "http1.chunk_line_too_long"
	KindTooManyHeaders         = "http1.too_many_headers"
	KindHeadersTooLarge        = "http1.headers_too_large"
	KindNonHTTP                = "http1.non_http"
	KindUnknownTE              = "http1.unknown_transfer_encoding"
	KindResponseWithoutRequest = "http1.response_without_request"
	KindPendingOverflow        = "http1.pending_overflow"
	KindGap                    = "http1.gap"
	KindInvalidHeaderName      = "http1.invalid_header_name"
	KindSpaceInTarget          = "http1.space_in_target"
	// KindBareCR: a CR inside a line, not before its LF. RFC 9112 §2.2
	// makes it invalid; some parsers (Node's before CVE-2022-32214 was
	// fixed) end a line at it, so a header hidden behind it is seen by
	// one processor and not another.
	KindBareCR = "http1.bare_cr"
	// KindControlInTarget: a control byte (NUL, CR, …) in the request
	// target, which processors truncate, reject or pass on differently.
	KindControlInTarget = "http1.control_in_target"
	// KindRequestAfterRefusedUpgrade: a request on a connection whose
	// WebSocket upgrade the server refused (a 426 to a bad
	// Sec-WebSocket-Version). A proxy that takes the connection for
	// upgraded once it forwarded the Upgrade request, whatever the answer,
	// tunnels what follows to the back end unchecked: WebSocket smuggling.
	KindRequestAfterRefusedUpgrade = "http1.request_after_refused_upgrade"
	// KindDuplicateHost: more than one Host line (RFC 9112 §3.2 wants a
	// 400); processors that take the first and the last route the
	// request to different hosts.
	KindDuplicateHost     = "http1.duplicate_host"
	KindUnexpected101     = "http1.unexpected_101"
	KindDecompressionBomb = "http1.decompression_bomb"
	KindBadEncoding       = "http1.bad_encoding"
	KindTooManyEncodings  = "http1.too_many_encodings"
)

// Counter names for events that are not anomalies of one exchange.
const (
	// CountMidstreamSkipped counts bytes skipped before the first message
	// start of a connection picked up mid-stream.
	CountMidstreamSkipped = "http1.midstream_skipped_bytes"
	// CountSkipped counts bytes skipped while resynchronising after a gap
	// or non-HTTP bytes.
	CountSkipped = "http1.skipped_bytes"
	// CountGapBytes counts bytes lost in gaps.
	CountGapBytes = "http1.gap_bytes"
	// CountUnsupportedEncoding counts bodies kept raw because a content
	// coding is not one this decoder undoes (br, zstd, …).
	CountUnsupportedEncoding = "http1.unsupported_encoding"
	// CountHoldOverflow counts Upgrade/CONNECT requests whose answer came
	// too late: the client bytes that followed were parsed as HTTP.
	CountHoldOverflow = "http1.hold_overflow"
)

// ProtoName is the name this decoder is registered under.
const ProtoName = "http"

func init() {
	decoders.Register(decoders.Protocol{Name: ProtoName, Sniff: Sniff, New: New})
}

// txn is one request and its response. The Exchange and both messages share
// one allocation; the receiver of the Exchange owns all of it.
type txn struct {
	x         decoders.Exchange
	req, resp decoders.Message
	// frames back Message.Frames for the usual few packets per message.
	frames [2][4]uint64
	// upgrade is the request's Upgrade header; connect is a CONNECT request.
	upgrade  string
	connect  bool
	head     bool
	reqDone  bool
	respDone bool
	answered bool // a final response started
	emitted  bool
	// wsRetry marks a WebSocket handshake sent after a refused one
	// (decoder.refusedWS): its answer tells a retry from a request.
	wsRetry bool
}

// decoder is one connection's HTTP/1 state.
type decoder struct {
	env  *decoders.Env
	lim  decoders.Limits
	dirs [2]stream
	// q holds requests awaiting their final response, oldest at q[qh].
	q    []*txn
	qh   int
	seq  int
	done bool
	sw   *decoders.Switch
	// unsure is set once the decoder lost track of either direction:
	// bytes lost (a gap) or skipped as no message, or a request dropped
	// from a full queue. From then on a response to no request may answer
	// what the sensor did not read (a 400 to garbage), and is no sign of
	// a desync. peerUnseen is the current chunk's sensor.Chunk.PeerUnseen.
	// orphans counts the responses to no request handed on as exchanges
	// (orphan).
	unsure     bool
	peerUnseen bool
	orphans    int
	// last holds the start of the last request line (method and target,
	// cut): what a response to no request follows names the request
	// that carried the smuggled one.
	last  [72]byte
	lastN uint8
	// refusedWS is set when the server refused a WebSocket upgrade as a
	// back end refuses a smuggling attempt's (refusedUpgrade); every
	// later request is a KindRequestAfterRefusedUpgrade but a handshake
	// the server switches for, which clears it (txn.wsRetry).
	refusedWS bool
}

// noteLast keeps the start of request line rl for a response to no request
// that may follow (orphan): the method and the target without its query or
// an absolute-form target's user info, which may hold secrets (alert
// evidence quotes it).
func (d *decoder) noteLast(rl requestLine) {
	target := rl.target
	// An origin-form target ("/…", most of them) has no user info; an
	// absolute-form one's is dropped before anything is cut.
	if len(target) > 0 && target[0] != '/' {
		if i := bytes.Index(target, []byte("://")); i >= 0 {
			auth := target[i+3:]
			if j := bytes.IndexAny(auth, "/?#"); j >= 0 {
				auth = auth[:j]
			}
			if j := bytes.LastIndexByte(auth, '@'); j >= 0 {
				target = append(append(d.last[:0:0], target[:i+3]...), target[i+3+j+1:]...)
			}
		}
	}
	target = target[:min(len(target), len(d.last))]
	if i := bytes.IndexByte(target, '?'); i >= 0 {
		target = target[:i]
	}
	n := copy(d.last[:], rl.method)
	if n < len(d.last) {
		d.last[n] = ' '
		n += 1 + copy(d.last[n+1:], target)
	}
	d.lastN = uint8(n)
}

// maxOrphans bounds the exchanges of responses to no request a connection
// hands on; past it they are counted only.
const maxOrphans = 4

// orphan starts an exchange for a response to no request the sensor saw,
// or returns nil. More responses than requests is the back end reading a
// request the sensor did not (one smuggled whole in a body, CL.0), the
// most direct sign of a desync a passive sensor has, but only when the
// sensor read every client byte the server had: not on a connection
// picked up mid-stream (it answers requests sent before the capture),
// once the decoder lost track of either direction (unsure), while the
// server acknowledges client bytes not delivered yet (behind a hole, or
// dropped by the capture: peerUnseen), nor while a client line is still
// arriving (a 414 or 400 to the request line being sent). Nor is a 408:
// servers send one unasked before they close an idle connection (Apache,
// Node, HAProxy).
func (d *decoder) orphan(status int) *txn {
	c := &d.dirs[sensor.ClientToServer]
	if status == 408 || d.seq == 0 || d.unsure || d.peerUnseen || len(c.buf) > 0 || c.long || c.discard ||
		d.orphans >= maxOrphans || d.env.Conn != nil && d.env.Conn.MidStream {
		return nil
	}
	d.orphans++
	t := &txn{reqDone: true}
	t.x.Conn = d.env.Conn
	t.x.Proto = "http/1.1"
	t.x.Seq = d.seq
	d.seq++
	return t
}

// New returns a decoder for one connection.
func New(env *decoders.Env) decoders.Decoder {
	d := &decoder{env: env, lim: env.Lim()}
	mid := env.Conn != nil && env.Conn.MidStream
	for i := range d.dirs {
		s := &d.dirs[i]
		s.d = d
		s.dir = sensor.Direction(i)
		s.skipKind = CountSkipped
		if mid {
			s.state = stResync
			s.skipKind = CountMidstreamSkipped
		}
	}
	return d
}

// Feed consumes one chunk of either direction.
func (d *decoder) Feed(c *sensor.Chunk) *decoders.Switch {
	if d.done {
		return nil
	}
	dir := c.Dir & 1
	s := &d.dirs[dir]
	s.at, s.frames, s.touched = c.Time, c.Frames, nil
	d.peerUnseen = c.PeerUnseen
	if c.Gap > 0 {
		s.gap(c.Gap)
	}
	rest := s.feed(c.Data)
	if sw := d.sw; sw != nil {
		d.sw = nil
		if len(rest) > 0 {
			sw.Pending[dir] = bytes.Clone(rest)
		}
		return sw
	}
	return nil
}

// Close finishes what is in flight and emits every pending exchange.
func (d *decoder) Close(reason sensor.EndReason, at time.Time) {
	if d.done {
		return
	}
	c, s := &d.dirs[sensor.ClientToServer], &d.dirs[sensor.ServerToClient]
	for c.state == stHold {
		c.release()
	}
	c.close(reason)
	s.close(reason)
	d.flush()
	d.done = true
}

// flush emits every queued request without a response.
func (d *decoder) flush() {
	for d.pending() > 0 {
		t := d.pop()
		if !t.reqDone {
			t.req.Incomplete = true
			t.reqDone = true
		}
		d.emit(t)
	}
}

func (d *decoder) emit(t *txn) {
	if t.emitted {
		return
	}
	t.emitted = true
	d.env.Emit(&t.x)
}

func (d *decoder) anomaly(t *txn, dir sensor.Direction, kind, detail string) {
	var x *decoders.Exchange
	if t != nil && !t.emitted {
		x = &t.x
	}
	d.env.Anomaly(x, decoders.Anomaly{Kind: kind, Detail: detail, Dir: dir})
}

// newTxn starts an exchange for a request and queues it for its response.
func (d *decoder) newTxn() *txn {
	t := &txn{}
	t.x.Conn = d.env.Conn
	t.x.Seq = d.seq
	d.seq++
	t.x.Request = &t.req
	if d.pending() >= d.lim.MaxPending {
		// The oldest request will most likely never be answered: hand it
		// on without a response rather than grow the queue.
		old := d.pop()
		d.anomaly(old, sensor.ClientToServer, KindPendingOverflow, "request dropped from the pending queue")
		d.unsure = true
		d.emit(old)
	}
	d.push(t)
	return t
}

func (d *decoder) pending() int { return len(d.q) - d.qh }

func (d *decoder) push(t *txn) {
	if d.qh > 0 && len(d.q) == cap(d.q) {
		n := copy(d.q, d.q[d.qh:])
		clear(d.q[n:])
		d.q = d.q[:n]
		d.qh = 0
	}
	d.q = append(d.q, t)
}

func (d *decoder) peek() *txn {
	if d.pending() == 0 {
		return nil
	}
	return d.q[d.qh]
}

func (d *decoder) pop() *txn {
	if d.pending() == 0 {
		return nil
	}
	t := d.q[d.qh]
	d.q[d.qh] = nil
	d.qh++
	if d.qh == len(d.q) {
		d.q, d.qh = d.q[:0], 0
	}
	return t
}
