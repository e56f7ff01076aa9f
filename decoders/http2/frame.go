package http2

import "encoding/binary"

// Frame types (RFC 9113 §6).
const (
	frameData         = 0x0
	frameHeaders      = 0x1
	framePriority     = 0x2
	frameRSTStream    = 0x3
	frameSettings     = 0x4
	framePushPromise  = 0x5
	framePing         = 0x6
	frameGoAway       = 0x7
	frameWindowUpdate = 0x8
	frameContinuation = 0x9
)

// Frame flags.
const (
	flagEndStream  = 0x1
	flagAck        = 0x1
	flagEndHeaders = 0x4
	flagPadded     = 0x8
	flagPriority   = 0x20
)

// Settings identifiers used here.
const (
	settingHeaderTableSize = 0x1
	settingMaxFrameSize    = 0x5
)

const (
	headerLen = 9
	// defaultMaxFrame is SETTINGS_MAX_FRAME_SIZE until a peer raises it.
	defaultMaxFrame = 1 << 14
	// maxFrameLimit is the largest SETTINGS_MAX_FRAME_SIZE allowed.
	maxFrameLimit = 1<<24 - 1
)

var frameNames = [...]string{"DATA", "HEADERS", "PRIORITY", "RST_STREAM", "SETTINGS", "PUSH_PROMISE", "PING", "GOAWAY", "WINDOW_UPDATE", "CONTINUATION"}

// validFlags lists, per known type, the flags it defines. Undefined flags
// must be ignored by receivers, but a sender never sets them: they make a
// strong signal when looking for frame boundaries.
var validFlags = [...]uint8{
	frameData:         flagEndStream | flagPadded,
	frameHeaders:      flagEndStream | flagEndHeaders | flagPadded | flagPriority,
	framePriority:     0,
	frameRSTStream:    0,
	frameSettings:     flagAck,
	framePushPromise:  flagEndHeaders | flagPadded,
	framePing:         flagAck,
	frameGoAway:       0,
	frameWindowUpdate: 0,
	frameContinuation: flagEndHeaders,
}

var errorCodes = [...]string{"NO_ERROR", "PROTOCOL_ERROR", "INTERNAL_ERROR", "FLOW_CONTROL_ERROR", "SETTINGS_TIMEOUT", "STREAM_CLOSED", "FRAME_SIZE_ERROR", "REFUSED_STREAM", "CANCEL", "COMPRESSION_ERROR", "CONNECT_ERROR", "ENHANCE_YOUR_CALM", "INADEQUATE_SECURITY", "HTTP_1_1_REQUIRED"}

func errorCodeName(c uint32) string {
	if int(c) < len(errorCodes) {
		return errorCodes[c]
	}
	return "0x" + hex32(c)
}

func hex32(v uint32) string {
	const digits = "0123456789abcdef"
	var b [8]byte
	for i := 7; i >= 0; i-- {
		b[i] = digits[v&0xf]
		v >>= 4
	}
	return string(b[:])
}

// frameHeader is the fixed 9-byte frame header.
type frameHeader struct {
	length uint32
	typ    uint8
	flags  uint8
	stream uint32
	// reserved is the high bit of the stream field, which must be clear.
	reserved bool
}

func parseHeader(b []byte) frameHeader {
	s := binary.BigEndian.Uint32(b[5:9])
	return frameHeader{
		length:   uint32(b[0])<<16 | uint32(b[1])<<8 | uint32(b[2]),
		typ:      b[3],
		flags:    b[4],
		stream:   s & 0x7fffffff,
		reserved: s&0x80000000 != 0,
	}
}

func (h frameHeader) has(f uint8) bool { return h.flags&f != 0 }

func (h frameHeader) typeName() string {
	if int(h.typ) < len(frameNames) {
		return frameNames[h.typ]
	}
	return "0x" + hex32(uint32(h.typ))[6:]
}

// plausible tells whether h may be a real frame header, strictly: a known
// type with only its defined flags, the right stream (zero or not) and a
// length valid for the type and within maxFrame. It is used to find frame
// boundaries in bytes whose start was not seen.
func plausible(h frameHeader, maxFrame uint32) bool {
	if h.reserved || int(h.typ) >= len(validFlags) || h.flags&^validFlags[h.typ] != 0 || h.length > maxFrame {
		return false
	}
	switch h.typ {
	case frameSettings:
		return h.stream == 0 && h.length%6 == 0 && (!h.has(flagAck) || h.length == 0)
	case framePing:
		return h.stream == 0 && h.length == 8
	case frameGoAway:
		return h.stream == 0 && h.length >= 8
	case frameWindowUpdate:
		return h.length == 4
	case framePriority:
		return h.stream != 0 && h.length == 5
	case frameRSTStream:
		return h.stream != 0 && h.length == 4
	case framePushPromise:
		return h.stream != 0 && h.length >= 4
	}
	return h.stream != 0
}

// chainFrames is how many back-to-back plausible frames make a boundary
// believable.
const chainFrames = 3

// resyncWindow bounds the bytes looked at from one candidate boundary: two
// default-size frames and the third header fit.
const resyncWindow = 2*(headerLen+defaultMaxFrame) + headerLen + 64

// chainVerdict is the result of checking one candidate frame boundary.
type chainVerdict uint8

const (
	chainNo chainVerdict = iota
	chainMore
	chainYes
)

// chainAt checks whether b starts a run of back-to-back plausible frames.
// Only the first resyncWindow bytes count, so the answer does not depend on
// how the bytes were cut into chunks; complete tells that b holds all the
// bytes there will be up to the window (else the answer may be chainMore).
// The first frame may not be a CONTINUATION: its block's start is lost.
//
// With atEnd, b ends where the bytes received so far end, and a shorter run
// that ends exactly there is taken: senders write whole frames, so frame
// ends and chunk ends tend to meet. Two frames, or one HEADERS frame whose
// header block parses to its last byte, are then enough: a peer that
// sends one request and waits must not be held up until its next one.
func chainAt(b []byte, maxFrame uint32, complete, atEnd bool) chainVerdict {
	off := 0
	for k := 0; k < chainFrames; k++ {
		if off+headerLen > resyncWindow {
			// The run leaves the window: two frames are enough then.
			if k >= 2 {
				return chainYes
			}
			return chainNo
		}
		if atEnd && off == len(b) && (k >= 2 || k == 1 && wholeBlock(b)) {
			return chainYes
		}
		if off+headerLen > len(b) {
			if complete {
				return chainNo
			}
			return chainMore
		}
		h := parseHeader(b[off:])
		if !plausible(h, maxFrame) || (k == 0 && h.typ == frameContinuation) {
			return chainNo
		}
		off += headerLen + int(h.length)
	}
	return chainYes
}

// wholeBlock tells whether b is one HEADERS frame carrying a whole header
// block that parses exactly to its end (table indexes are not checked).
func wholeBlock(b []byte) bool {
	h := parseHeader(b)
	if h.typ != frameHeaders || !h.has(flagEndHeaders) || h.has(flagPadded) {
		return false
	}
	p := b[headerLen:]
	if h.has(flagPriority) {
		p = p[min(len(p), 5):]
	}
	if len(p) == 0 {
		return false
	}
	var d hpackDecoder
	d.limit, d.max, d.allowed, d.stale = 1<<16, 1<<16, 1<<16, true
	_, _, err := d.decode(p, nil, 0, 0, 0, false)
	return err == nil
}
