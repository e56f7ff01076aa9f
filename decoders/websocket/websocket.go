// Package websocket decodes the WebSocket protocol (RFC 6455) on a connection
// an HTTP/1.1 Upgrade handed over, or one joined after its upgrade (Sniff),
// so that what a client sends in its
// messages (GraphQL subscriptions, JSON-RPC, chat and trading APIs) reaches
// the detectors as a request body does.
//
// Each message the client sends (text, or binary that is text) is emitted as
// an exchange of its own: Proto "websocket", Method "WEBSOCKET", the upgrade
// request's target in URI and its Host header, the message in Body, and no
// response (WebSocket pairs nothing). Its parameters are those of the body
// (JSON flattened, anything else as one body value), not the upgrade
// request's path, query and headers again: those were inspected once, on the
// upgrade exchange. Server messages are parsed, to keep the compression
// context, and not emitted.
//
// Frames are unmasked; fragmented messages are joined, control frames between
// fragments taken apart; permessage-deflate (RFC 7692) is undone, with or
// without context takeover (the previous 32 KiB of a direction's messages
// are the next one's dictionary). A message keeps at most
// Limits.MaxBodyBytes; a compressed one is kept and inflated whole up to
// Limits.MaxDecompressedBytes, for that dictionary; past those it is cut and
// flagged. Protocol violations are counted and
// flagged (websocket.*); a gap in a direction ends the decoding of that
// direction, as frame boundaries are lost.
package websocket

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"time"
	"unicode/utf8"

	"github.com/apisensor/sensor/decoders"
	"github.com/apisensor/sensor/sensor"
)

// ProtoName is the name the HTTP/1 decoder switches to.
const ProtoName = "websocket"

// Method is the Method of the exchange of a client message.
const Method = "WEBSOCKET"

// Anomaly kinds, counted under their names.
const (
	// KindUnmasked: a client frame without a mask (RFC 6455 5.1: the
	// server must close); KindMasked: a server frame with one.
	KindUnmasked = "websocket.client_frame_unmasked"
	KindMasked   = "websocket.server_frame_masked"
	// KindBadOpcode: a reserved opcode; the direction is no longer decoded.
	KindBadOpcode = "websocket.reserved_opcode"
	// KindBadControl: a control frame fragmented or over 125 bytes.
	KindBadControl = "websocket.bad_control_frame"
	// KindBadContinuation: a continuation with no message open, or a new
	// message before the open one ended.
	KindBadContinuation = "websocket.bad_continuation"
	// KindReservedBits: RSV2 or RSV3 set, or RSV1 on a continuation or
	// a control frame (no extension defines them).
	KindReservedBits = "websocket.reserved_bits"
	// KindBadDeflate: a compressed message that does not inflate; it is
	// kept as it came.
	KindBadDeflate = "websocket.bad_deflate"
	// KindDecompressionBomb: a message past MaxDecompressedBytes.
	KindDecompressionBomb = "websocket.decompression_bomb"
	// KindDeflateContextLost: a compressed message cut or past the bomb
	// bound, or that did not inflate: its end, which the next compressed
	// messages of the direction may refer back to, is unknown.
	KindDeflateContextLost = "websocket.deflate_context_lost"
	// KindTruncated: a message past MaxBodyBytes, cut.
	KindTruncated = "websocket.message_truncated"
	// KindGap: bytes lost in a direction; it is no longer decoded.
	KindGap = "websocket.gap"
)

// Counter names.
const (
	CountClientMessages = "websocket.client_messages"
	CountServerMessages = "websocket.server_messages"
	CountBinarySkipped  = "websocket.binary_not_text"
)

func init() {
	decoders.Register(decoders.Protocol{Name: ProtoName, Sniff: Sniff, New: New})
}

// Sniff recognises a WebSocket connection joined after its upgrade: a
// long-lived socket (a subscription, a trading feed) open before the capture
// or the sensor started, which would otherwise stay invisible until it
// reconnects. Only mid-stream: a connection seen from its start begins with
// the HTTP upgrade, which the HTTP/1 decoder hands over. The client's bytes
// must be masked WebSocket frames from their first byte, with a text frame
// whose unmasked payload is UTF-8 without control bytes and whose next
// frames are sound too: a key's XOR can turn some text (Japanese, Chinese)
// into ASCII, never into such a chain. The server's bytes are not asked: a
// feed's window may have slid off a frame start before the client spoke.
func Sniff(client, server []byte, midStream bool) decoders.Verdict {
	if !midStream {
		return decoders.No
	}
	switch sniffFrames(client, true) {
	case decoders.Yes:
		return decoders.Yes
	case decoders.NeedMore:
		return decoders.NeedMore
	}
	if sniffFrames(server, true) == decoders.Yes && sniffFrames(client, false) != decoders.No {
		return decoders.Reversed
	}
	return decoders.No
}

// sniffFrames says whether b, from its first byte, is WebSocket frames,
// masked as a client's are or not as a server's: Yes with a text frame
// whose payload (its first 16 bytes or more, unmasked) is UTF-8 and every
// frame header before it sound (minimal lengths, known opcodes, control
// frames short and whole); NeedMore while b is empty or still inside such a
// frame's start; No otherwise.
func sniffFrames(b []byte, masked bool) decoders.Verdict {
	if len(b) == 0 {
		return decoders.NeedMore
	}
	more := decoders.NeedMore
	for len(b) >= 2 {
		b0, b1 := b[0], b[1]
		op, fin, rsv1 := b0&0x0f, b0&0x80 != 0, b0&0x40 != 0
		if b0&0x30 != 0 || op > opBinary && op < opClose || op > opPong || (b1&0x80 != 0) != masked {
			return decoders.No
		}
		hlen := 2 + extLen(b1)
		if len(b) < hlen {
			return more
		}
		n := payloadLen(b)
		if hlen == 4 && n < 126 || hlen == 10 && (n < 1<<16 || n >= 1<<63) {
			return decoders.No // not the minimal length encoding
		}
		if op >= opClose && (!fin || n > 125 || rsv1) {
			return decoders.No
		}
		var key [4]byte
		if masked {
			if len(b) < hlen+4 {
				return more
			}
			copy(key[:], b[hlen:])
			hlen += 4
		}
		have := min(uint64(len(b)-hlen), n)
		if op == opText && !rsv1 && (have == n || have >= 16) {
			p := bytes.Clone(b[hlen : hlen+int(have)])
			for i := range p {
				p[i] ^= key[i&3]
			}
			if !utf8.Valid(p) && !(have < n && utf8.Valid(trimCutRune(p))) {
				return decoders.No
			}
			if len(p) >= 4 {
				if hasControl(p) {
					return decoders.No
				}
				more = decoders.Yes
			}
		}
		if have < n {
			return more
		}
		b = b[hlen+int(n):]
	}
	return more
}

// extLen is how many extended payload length bytes follow a frame header's
// second byte b1 (RFC 6455 5.2).
func extLen(b1 byte) int {
	switch b1 & 0x7f {
	case 126:
		return 2
	case 127:
		return 8
	}
	return 0
}

// payloadLen reads the payload length of the frame header at h's start,
// which holds at least 2+extLen(h[1]) bytes.
func payloadLen(h []byte) uint64 {
	switch h[1] & 0x7f {
	case 126:
		return uint64(binary.BigEndian.Uint16(h[2:]))
	case 127:
		return binary.BigEndian.Uint64(h[2:])
	}
	return uint64(h[1] & 0x7f)
}

// trimCutRune drops an incomplete UTF-8 sequence at the end of p.
func trimCutRune(p []byte) []byte {
	for i := 1; i < utf8.UTFMax && i <= len(p); i++ {
		if utf8.RuneStart(p[len(p)-i]) {
			if !utf8.FullRune(p[len(p)-i:]) {
				return p[:len(p)-i]
			}
			break
		}
	}
	return p
}

// Opcodes (RFC 6455 5.2).
const (
	opContinuation = 0x0
	opText         = 0x1
	opBinary       = 0x2
	opClose        = 0x8
	opPing         = 0x9
	opPong         = 0xa
)

// dictBytes is the deflate window: what a compressed message may refer back
// to in the direction's earlier messages.
const dictBytes = 32 << 10

// readChunk is the least inflated output read at a time onto the
// dictionary's end.
const readChunk = 16 << 10

type decoder struct {
	env   *decoders.Env
	lim   decoders.Limits
	req   *decoders.Message // the upgrade request
	sides [2]side
	seq   int
}

// side is one direction's frame parser.
type side struct {
	dead bool
	fed  bool
	buf  []byte // header bytes not yet parsed (at most 14)
	// The frame being read.
	inFrame   bool
	remaining uint64
	mask      [4]byte
	masked    bool
	maskPos   int
	control   bool
	finOnEnd  bool // the frame is a data frame with FIN: its end ends the message
	// The message being gathered.
	open       bool
	opcode     byte
	compressed bool
	msg        []byte
	cut        bool
	wire       int64 // payload bytes of the message on the wire
	// m is the client message's exchange request, filled as the message
	// comes (nil for the server's, which are not emitted).
	m *decoders.Message
	// pending holds the message's anomalies, for its exchange.
	pending []decoders.Anomaly
	// dict ends with the direction's earlier messages (their last
	// dictBytes or more), for permessage-deflate with context takeover.
	dict []byte
}

// maxPending bounds the anomalies kept for one message's exchange (each is
// counted anyway).
const maxPending = 8

// New returns a decoder for a connection upgraded to WebSocket.
func New(env *decoders.Env) decoders.Decoder {
	return &decoder{env: env, lim: env.Lim()}
}

// Upgraded keeps the upgrade request, whose target and host each message's
// exchange carries, and numbers the messages on from the HTTP exchanges.
func (d *decoder) Upgraded(sw *decoders.Switch) { d.req, d.seq = sw.Request, sw.Seq }

func (d *decoder) Feed(c *sensor.Chunk) *decoders.Switch {
	s := &d.sides[c.Dir]
	if s.dead {
		return nil
	}
	if c.Gap > 0 && (s.fed || d.req != nil) {
		d.anomaly(nil, c.Dir, KindGap, "")
		s.dead = true
		return nil
	}
	s.fed = s.fed || len(c.Data) > 0
	data := c.Data
	for len(data) > 0 && !s.dead {
		if !s.inFrame {
			n, ok := d.header(s, c, data)
			data = data[n:]
			if !ok {
				return nil // more header bytes to come
			}
			continue
		}
		n := int(min(s.remaining, uint64(len(data))))
		d.payload(s, data[:n])
		s.remaining -= uint64(n)
		data = data[n:]
		if s.remaining == 0 {
			d.endFrame(s, c)
		}
	}
	return nil
}

// header parses a frame header from s.buf and data; it returns how much of
// data it used and whether the header is whole.
func (d *decoder) header(s *side, c *sensor.Chunk, data []byte) (int, bool) {
	used := 0
	if len(s.buf) < 2 {
		k := min(2-len(s.buf), len(data))
		s.buf = append(s.buf, data[:k]...)
		used = k
		if len(s.buf) < 2 {
			return used, false
		}
	}
	b0, b1 := s.buf[0], s.buf[1]
	p := 2 + extLen(b1) // the masking key's offset
	need := p + 4*int(b1>>7)
	if len(s.buf) < need {
		k := min(need-len(s.buf), len(data)-used)
		s.buf = append(s.buf, data[used:used+k]...)
		used += k
		if len(s.buf) < need {
			return used, false
		}
	}
	h := s.buf
	s.buf = s.buf[:0]
	fin, rsv, op := b0&0x80 != 0, b0&0x70, b0&0x0f
	length := payloadLen(h) &^ (1 << 63)
	s.masked = b1&0x80 != 0
	if s.masked {
		copy(s.mask[:], h[p:p+4])
	}
	s.maskPos = 0
	switch {
	case c.Dir == sensor.ClientToServer && !s.masked:
		d.anomaly(nil, c.Dir, KindUnmasked, "")
	case c.Dir == sensor.ServerToClient && s.masked:
		d.anomaly(nil, c.Dir, KindMasked, "")
	}
	s.control = op&0x8 != 0
	switch {
	case op > opBinary && op < opClose || op > opPong:
		d.anomaly(nil, c.Dir, KindBadOpcode, opName(op))
		s.dead = true
		return used, true
	case s.control:
		if !fin || length > 125 {
			d.anomaly(nil, c.Dir, KindBadControl, opName(op))
		}
		if rsv != 0 {
			d.anomaly(nil, c.Dir, KindReservedBits, "")
		}
	case op == opContinuation:
		if !s.open {
			d.anomaly(nil, c.Dir, KindBadContinuation, "continuation with no message open")
			s.startMessage(opBinary, false, c)
		}
		if rsv != 0 {
			d.anomaly(nil, c.Dir, KindReservedBits, "")
		}
	default:
		if s.open {
			// The open message ends here, cut: receivers fail the
			// connection, and what came of it is still worth a look.
			d.anomaly(nil, c.Dir, KindBadContinuation, "new message before the last one ended")
			d.endMessage(s, c.Dir, c.Time, true)
		}
		if rsv&0x30 != 0 {
			d.anomaly(nil, c.Dir, KindReservedBits, "")
		}
		s.startMessage(op, rsv&0x40 != 0, c)
	}
	if !s.control {
		if s.m != nil {
			s.m.AddFrames(c.Frames)
		}
		s.finOnEnd = fin
	}
	s.inFrame, s.remaining = true, length
	if length == 0 {
		d.endFrame(s, c)
	}
	return used, true
}

// startMessage opens a message of opcode op.
func (s *side) startMessage(op byte, compressed bool, c *sensor.Chunk) {
	s.open, s.opcode, s.compressed = true, op, compressed
	s.msg, s.cut, s.wire = s.msg[:0], false, 0
	if c.Dir == sensor.ClientToServer {
		s.m = &decoders.Message{Start: c.Time}
	}
}

// payload takes p, the next bytes of the current frame's payload.
func (d *decoder) payload(s *side, p []byte) {
	if s.control {
		return // close, ping and pong carry nothing to inspect
	}
	s.wire += int64(len(p))
	// A compressed message is kept whole up to the bomb bound, so that
	// it inflates to its end and the next message's dictionary is known.
	keep := d.lim.MaxBodyBytes
	if s.compressed {
		keep = max(keep, d.lim.MaxDecompressedBytes)
	}
	if room := keep - len(s.msg); room > 0 {
		start := len(s.msg)
		s.msg = append(s.msg, p[:min(len(p), room)]...)
		s.unmask(s.msg[start:])
	}
	if int64(len(s.msg)) < s.wire {
		s.cut = true
	}
	s.maskPos += len(p)
}

// unmask undoes the frame's mask on b, the frame's bytes from maskPos on.
func (s *side) unmask(b []byte) {
	if !s.masked {
		return
	}
	for i := range b {
		b[i] ^= s.mask[(s.maskPos+i)&3]
	}
}

// endFrame closes the current frame.
func (d *decoder) endFrame(s *side, c *sensor.Chunk) {
	s.inFrame = false
	if s.control {
		return // close, ping and pong carry nothing to inspect
	}
	if s.finOnEnd {
		d.endMessage(s, c.Dir, c.Time, false)
	}
}

// endMessage hands on the message gathered: inflated when it was
// compressed, emitted as an exchange when the client sent it and it is
// text.
func (d *decoder) endMessage(s *side, dir sensor.Direction, at time.Time, incomplete bool) {
	s.open = false
	m := s.m
	s.m = nil
	// body is s.msg, reused for the next message, unless inflated.
	body, size := s.msg, len(s.msg)
	var codings []string
	if s.compressed {
		out, total, err := d.inflate(s, dir)
		switch {
		case err != nil:
			d.messageAnomaly(s, dir, KindBadDeflate, err.Error())
		default:
			body, size, codings = out, total, []string{"permessage-deflate"}
		}
	}
	if s.cut {
		d.messageAnomaly(s, dir, KindTruncated, "")
	}
	if dir == sensor.ServerToClient {
		d.env.Counts.Inc(CountServerMessages)
		s.pending = s.pending[:0]
		return
	}
	d.env.Counts.Inc(CountClientMessages)
	if s.opcode == opBinary && !decoders.TextLike(body) {
		// Protobuf, MessagePack, CBOR…: nothing a parameter parser
		// reads without a schema. Text with a few bytes that are no
		// UTF-8 is still text: JSON parsers take them in strings.
		d.env.Counts.Inc(CountBinarySkipped)
		s.pending = s.pending[:0]
		return
	}
	body = body[:min(len(body), d.lim.MaxBodyBytes)]
	if codings == nil {
		body = bytes.Clone(body)
	}
	m.End, m.Method, m.Version = at, Method, "websocket"
	m.Body, m.BodyTruncated, m.WireBodyLen = body, s.cut || size > d.lim.MaxBodyBytes, s.wire
	m.ContentEncoding, m.Incomplete = codings, incomplete
	if r := d.req; r != nil {
		m.URI, m.Authority = r.URI, r.Authority
		if h, ok := decoders.Get(r.Headers, "Host"); ok {
			m.Headers = []decoders.Header{{Name: "Host", Value: h}}
		}
	}
	x := &decoders.Exchange{Conn: d.env.Conn, Seq: d.seq, Proto: ProtoName, Request: m}
	d.seq++
	x.Anomalies = append(x.Anomalies, s.pending...)
	s.pending = s.pending[:0]
	d.env.Emit(x)
}

// inflate undoes permessage-deflate on the message (RFC 7692 7.2.2: the
// sender dropped the final empty block's 00 00 ff ff), with the
// direction's earlier messages as the dictionary. It keeps MaxBodyBytes of
// the output and reads on to MaxDecompressedBytes (the bomb bound) for the
// last 32 KiB, the next message's dictionary; a message cut or past the
// bound loses it, flagged: the sender's window still has it, so the next
// compressed messages may not inflate.
func (d *decoder) inflate(s *side, dir sensor.Direction) (out []byte, total int, err error) {
	// The trailer goes past s.msg's length: s.msg stays the message as
	// it came, should it not inflate.
	r := decoders.FlateReader(bytes.NewReader(append(s.msg, 0, 0, 0xff, 0xff)), s.dict)
	defer decoders.PutFlate(r)
	// The output is read onto the dictionary's end (the reader copied the
	// dictionary): the earlier messages' end, then this one's, is the
	// next message's. Its buffer keeps its size, dictBytes+readChunk.
	if cap(s.dict) == 0 {
		s.dict = make([]byte, 0, dictBytes+readChunk)
	}
	for total <= d.lim.MaxDecompressedBytes {
		if cap(s.dict)-len(s.dict) < readChunk {
			s.dict = append(s.dict[:0], s.dict[len(s.dict)-dictBytes:]...)
		}
		var n int
		n, err = r.Read(s.dict[len(s.dict):cap(s.dict)])
		got := s.dict[len(s.dict) : len(s.dict)+n]
		s.dict = s.dict[:len(s.dict)+n]
		total += n
		if room := d.lim.MaxBodyBytes - len(out); room > 0 {
			out = append(out, got[:min(n, room)]...)
		}
		if err != nil {
			break
		}
	}
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF):
		err = nil // the sync flush ends the input without a final block
	case err == nil: // past the bound
		d.messageAnomaly(s, dir, KindDecompressionBomb, "")
		s.cut = true
	}
	if err != nil && !errors.Is(err, io.EOF) {
		d.loseContext(s, dir)
		return nil, 0, err
	}
	if s.cut {
		d.loseContext(s, dir)
	}
	return out, total, nil
}

// loseContext forgets the direction's dictionary, flagged.
func (d *decoder) loseContext(s *side, dir sensor.Direction) {
	s.dict = s.dict[:0]
	d.messageAnomaly(s, dir, KindDeflateContextLost, "")
}

// anomaly counts a on the connection and records it on x when x is set.
func (d *decoder) anomaly(x *decoders.Exchange, dir sensor.Direction, kind, detail string) {
	d.env.Anomaly(x, decoders.Anomaly{Kind: kind, Detail: detail, Dir: dir})
}

// messageAnomaly counts an anomaly and keeps it for the exchange of the
// message s gathers.
func (d *decoder) messageAnomaly(s *side, dir sensor.Direction, kind, detail string) {
	a := decoders.Anomaly{Kind: kind, Detail: detail, Dir: dir}
	d.env.Anomaly(nil, a)
	if len(s.pending) < maxPending {
		s.pending = append(s.pending, a)
	}
}

// Close hands on a client message still open, marked incomplete.
func (d *decoder) Close(_ sensor.EndReason, at time.Time) {
	s := &d.sides[sensor.ClientToServer]
	if s.open && !s.dead && s.wire > 0 {
		d.endMessage(s, sensor.ClientToServer, at, true)
	}
}

func opName(op byte) string {
	switch op {
	case opContinuation:
		return "continuation"
	case opText:
		return "text"
	case opBinary:
		return "binary"
	case opClose:
		return "close"
	case opPing:
		return "ping"
	case opPong:
		return "pong"
	}
	return "opcode " + string("0123456789abcdef"[op&0xf])
}

func hasControl(p []byte) bool {
	for _, c := range p[:len(p)-1] {
		if c < 0x20 && c != '\t' && c != '\n' && c != '\r' || c == 0x7f {
			return true
		}
	}
	return false
}
