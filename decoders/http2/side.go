package http2

import (
	"encoding/binary"
	"strconv"
	"time"

	"github.com/apisensor/sensor/sensor"
)

// readState is where a direction's frame reader is.
type readState uint8

const (
	stPreface readState = iota // matching the client preface
	stHeader                   // reading a 9-byte frame header
	stPayload                  // reading a frame's payload
	stResync                   // looking for a frame boundary
)

// Bounds on what is kept of control frames: their fixed fields, and enough
// SETTINGS for any real peer. The rest of an oversized frame is skipped.
const (
	maxSettingsKeep = 16 << 10
	maxGoAwayKeep   = 8 + 256
)

// side is the frame reader and HPACK state of one direction.
type side struct {
	d     *decoder
	dir   sensor.Direction
	state readState
	// at and frames describe the chunk being read.
	at     time.Time
	frames []uint64
	// maxFrame is the largest frame this side may send: the other side's
	// SETTINGS_MAX_FRAME_SIZE.
	maxFrame uint32
	// hp decodes the header blocks this side sends.
	hp hpackDecoder

	pre int // preface bytes matched
	hb  [headerLen]byte
	hn  int // frame header bytes in hb
	h   frameHeader
	// need counts payload bytes still to come; keep how many of the
	// payload to buffer in buf.
	need, keep int
	buf        []byte
	// corrupt is set when part of the payload was lost or not kept.
	corrupt bool
	// cut is set when a header frame's payload is kept only up to the
	// header block bound: what was kept is sound, the rest is skipped.
	cut bool

	// DATA frames stream to dst: pos counts payload bytes read, dataEnd is
	// where padding starts.
	dst          *stream
	pos, dataEnd int

	// The header block being assembled from HEADERS or PUSH_PROMISE and
	// CONTINUATION frames.
	block     []byte
	blockOpen bool
	blockBad  bool // lost (a gap, bad framing, a flood): not decodable
	// blockCut is set when the block is kept only in part and decoded as
	// far as it goes: over max_header_bytes (blockOver), or a
	// CONTINUATION flood.
	blockCut  bool
	blockOver bool
	blockHdr  frameHeader
	promised  uint32
	conts     int
}

func (s *side) anomaly(st *stream, kind, detail string) { s.d.anomaly(st, s.dir, kind, detail) }

func (s *side) invalid(st *stream, detail string) { s.anomaly(st, KindInvalidFrame, detail) }

// feed reads p, which follows the bytes already read without a gap.
func (s *side) feed(p []byte) {
	for len(p) > 0 {
		switch s.state {
		case stPreface:
			n := min(len(p), len(Preface)-s.pre)
			if string(p[:n]) != Preface[s.pre:s.pre+n] {
				if !s.d.midStream() {
					s.anomaly(nil, KindBadPreface, "")
				}
				s.d.env.Counts.Add(CountSkipped, uint64(s.pre))
				s.hp.stale = true
				s.startResync()
				continue
			}
			s.pre += n
			p = p[n:]
			if s.pre == len(Preface) {
				// The connection starts here: the client's table is empty.
				s.d.preface = true
				s.hp.stale = false
				s.state = stHeader
			}
		case stHeader:
			n := copy(s.hb[s.hn:], p)
			s.hn += n
			p = p[n:]
			if s.hn == headerLen {
				s.hn = 0
				s.startFrame(parseHeader(s.hb[:]))
			}
		case stPayload:
			n := min(s.need, len(p))
			s.payload(p[:n])
			p = p[n:]
			s.need -= n
			if s.need == 0 {
				s.endFrame()
			}
		case stResync:
			p = s.resync(p)
		}
	}
}

func (s *side) startResync() {
	s.state = stResync
	s.buf = s.buf[:0]
	s.hn = 0
	s.dst = nil
	if s.dir == sensor.ClientToServer {
		s.d.clientResync()
	}
}

// resync buffers at most resyncWindow bytes and drops them one by one until
// a run of plausible frames starts at the front; it returns the bytes of p
// it did not take.
func (s *side) resync(p []byte) []byte {
	return s.scan(p, false)
}

// scan is resync; with final, no more bytes will come, so a candidate that
// runs past the end is no candidate.
func (s *side) scan(p []byte, final bool) []byte {
	for {
		n := min(resyncWindow-len(s.buf), len(p))
		s.buf = append(s.buf, p[:n]...)
		p = p[n:]
		i, found := 0, false
	scan:
		for ; i < len(s.buf); i++ {
			switch chainAt(s.buf[i:], s.maxFrame, final || len(s.buf)-i >= resyncWindow, true) {
			case chainYes:
				found = true
				break scan
			case chainMore:
				break scan
			}
		}
		if i > 0 {
			s.d.env.Counts.Add(CountSkipped, uint64(i))
			s.buf = s.buf[:copy(s.buf, s.buf[i:])]
		}
		if found {
			rest := s.buf
			s.buf = nil
			s.state = stHeader
			s.feed(rest)
			return p
		}
		if len(p) == 0 {
			return nil
		}
	}
}

// flush reads what a resynchronising side still holds, at the end.
func (s *side) flush() {
	if s.state == stResync && len(s.buf) > 0 {
		s.scan(nil, true)
	}
	if s.state == stResync {
		s.d.env.Counts.Add(CountSkipped, uint64(len(s.buf)))
		s.buf = nil
	}
}

// gap handles n bytes lost before the next chunk. Inside a frame payload
// the framing survives (a DATA frame loses body bytes, other frames are
// dropped); anywhere else the reader looks for the next frame boundary, and
// the header blocks lost with the bytes make the HPACK table stale.
func (s *side) gap(n int) {
	s.d.env.Counts.Add(CountGapBytes, uint64(n))
	s.anomaly(s.dst, KindGap, strconv.Itoa(n)+" bytes lost")
	if s.state == stPayload && n < s.need && (s.h.typ != frameData || !s.h.has(flagPadded) || s.pos > 0) {
		s.need -= n
		if s.h.typ == frameData {
			s.pos += n
			if s.dst != nil {
				s.dst.msg(s.dir).Incomplete = true
			}
			return
		}
		s.corrupt = true
		return
	}
	if s.state == stResync {
		s.d.env.Counts.Add(CountSkipped, uint64(len(s.buf)))
		s.buf = s.buf[:0]
		return
	}
	if s.state == stPayload && s.h.typ == frameData && s.dst != nil {
		s.dst.msg(s.dir).Incomplete = true
	}
	s.abandonBlock()
	s.hp.stale = true
	s.startResync()
}

// startFrame sets up reading the payload of the frame h heads.
func (s *side) startFrame(h frameHeader) {
	s.h, s.pos, s.corrupt, s.cut, s.dst = h, 0, false, false, nil
	s.buf = s.buf[:0]
	s.need = int(h.length)
	if h.length > s.maxFrame {
		s.anomaly(nil, KindFrameTooLarge, h.typeName()+" of "+strconv.Itoa(int(h.length))+" bytes")
	}
	if s.blockOpen && (h.typ != frameContinuation || h.stream != s.blockHdr.stream) {
		s.invalid(nil, h.typeName()+" where CONTINUATION was expected")
		s.abandonBlock()
	}
	switch h.typ {
	case frameData:
		s.keep = 0
		s.startData()
	case frameHeaders, framePushPromise, frameContinuation:
		s.keep = int(h.length)
		if h.typ == frameContinuation && s.blockBad {
			s.keep = 0
		} else if room := s.d.lim.MaxHeaderBytes - len(s.block); int(h.length) > room {
			// The block is kept up to the bound and decoded as far as it
			// goes rather than lost: its first fields are the
			// pseudo-headers, :path with the query among them. The
			// anomaly goes on the stream when the block ends.
			s.keep, s.cut = max(room, 0), true
		}
	case frameSettings:
		s.keep = min(int(h.length), maxSettingsKeep)
	case frameGoAway:
		s.keep = min(int(h.length), maxGoAwayKeep)
	case framePriority, frameRSTStream, framePing, frameWindowUpdate:
		s.keep = min(int(h.length), 8)
	default:
		s.keep = 0
	}
	if s.need == 0 {
		s.endFrame()
		return
	}
	s.state = stPayload
}

func (s *side) payload(p []byte) {
	if s.h.typ == frameData {
		s.data(p)
		return
	}
	if room := s.keep - len(s.buf); room > 0 {
		s.buf = append(s.buf, p[:min(room, len(p))]...)
	}
}

func (s *side) startData() {
	h := s.h
	s.dataEnd = int(h.length)
	if h.stream == 0 {
		s.invalid(nil, "DATA on stream 0")
		return
	}
	if h.has(flagPadded) && h.length == 0 {
		s.invalid(nil, "DATA padded without a pad length")
		return
	}
	s.dst = s.d.dataStream(s, h.stream)
}

// data takes DATA payload bytes: the pad length, the data, the padding.
func (s *side) data(p []byte) {
	for len(p) > 0 {
		switch {
		case s.pos == 0 && s.h.has(flagPadded):
			pad := int(p[0])
			s.pos++
			p = p[1:]
			if pad >= int(s.h.length) {
				s.invalid(s.dst, "DATA padding longer than the frame")
				pad = int(s.h.length) - 1
			}
			s.dataEnd = int(s.h.length) - pad
		case s.pos < s.dataEnd:
			n := min(len(p), s.dataEnd-s.pos)
			if s.dst != nil {
				s.d.body(s.dst, s.dir, p[:n])
			} else {
				s.d.env.Counts.Add(CountOrphanData, uint64(n))
			}
			s.pos += n
			p = p[n:]
		default:
			s.pos += len(p)
			return
		}
	}
}

// endFrame acts on a frame whose payload was read.
func (s *side) endFrame() {
	s.state = stHeader
	h, p := s.h, s.buf
	if s.corrupt && h.typ != frameHeaders && h.typ != framePushPromise && h.typ != frameContinuation && h.typ != frameData {
		return
	}
	if s.dir == sensor.ClientToServer && s.d.preface && !s.d.fp.done {
		s.d.fp.clientFrame(h, p)
	}
	switch h.typ {
	case frameData:
		if s.dst != nil {
			s.dst.msg(s.dir).AddFrames(s.frames)
			if h.has(flagEndStream) {
				s.d.endStream(s.dst, s.dir, s.at)
			}
		}
		s.dst = nil
	case frameHeaders:
		s.headersFrame(h, p)
	case framePushPromise:
		s.pushFrame(h, p)
	case frameContinuation:
		s.continuation(h, p)
	case framePriority:
		if h.stream == 0 || h.length != 5 {
			s.invalid(nil, "PRIORITY of "+strconv.Itoa(int(h.length))+" bytes on stream "+strconv.Itoa(int(h.stream)))
		}
	case frameRSTStream:
		if h.stream == 0 || h.length != 4 {
			s.invalid(nil, "RST_STREAM of "+strconv.Itoa(int(h.length))+" bytes on stream "+strconv.Itoa(int(h.stream)))
			return
		}
		s.d.reset(s, h.stream, binary.BigEndian.Uint32(p))
	case frameSettings:
		s.settings(h, p)
	case framePing:
		if h.stream != 0 || h.length != 8 {
			s.invalid(nil, "PING of "+strconv.Itoa(int(h.length))+" bytes on stream "+strconv.Itoa(int(h.stream)))
		}
	case frameGoAway:
		if h.stream != 0 || h.length < 8 {
			s.invalid(nil, "GOAWAY of "+strconv.Itoa(int(h.length))+" bytes on stream "+strconv.Itoa(int(h.stream)))
			return
		}
		last := binary.BigEndian.Uint32(p) & 0x7fffffff
		code := binary.BigEndian.Uint32(p[4:])
		detail := errorCodeName(code) + " last stream " + strconv.Itoa(int(last))
		if dbg := p[8:]; len(dbg) > 0 {
			detail += ": " + strconv.QuoteToASCII(string(dbg[:min(len(dbg), 64)]))
		}
		s.anomaly(nil, KindGoAway, detail)
	case frameWindowUpdate:
		if h.length != 4 {
			s.invalid(nil, "WINDOW_UPDATE of "+strconv.Itoa(int(h.length))+" bytes")
		} else if binary.BigEndian.Uint32(p)&0x7fffffff == 0 {
			s.invalid(nil, "WINDOW_UPDATE of 0")
		}
	default:
		s.d.env.Counts.Inc(CountUnknownFrame)
	}
}

// unpad strips a header frame's padding and the extra fixed fields that
// follow the pad length.
func (s *side) unpad(h frameHeader, p []byte, extra int) ([]byte, bool) {
	pad := 0
	if h.has(flagPadded) {
		if len(p) < 1 {
			return nil, false
		}
		pad = int(p[0])
		p = p[1:]
	}
	if len(p) < extra+pad {
		return nil, false
	}
	return p[:len(p)-pad], true
}

// unpadCut is unpad for a payload kept only in part (cut): the padding at
// its end may be partly kept or not at all.
func (s *side) unpadCut(h frameHeader, p []byte, extra int) ([]byte, bool) {
	start, end := 0, int(h.length)
	if h.has(flagPadded) {
		if len(p) < 1 {
			return nil, false
		}
		start, end = 1, end-int(p[0])
	}
	if end < start+extra || len(p) < start+extra {
		return nil, false
	}
	return p[start:min(end, len(p))], true
}

func (s *side) headersFrame(h frameHeader, p []byte) {
	extra := 0
	if h.has(flagPriority) {
		extra = 5
	}
	frag, ok := s.unpad(h, p, extra)
	if s.cut {
		frag, ok = s.unpadCut(h, p, extra)
	}
	if !ok && !s.corrupt {
		s.invalid(nil, "HEADERS padding longer than the frame")
	}
	s.openBlock(h, frag[min(extra, len(frag)):], 0, s.corrupt || !ok)
}

func (s *side) pushFrame(h frameHeader, p []byte) {
	frag, ok := s.unpad(h, p, 4)
	if s.cut {
		frag, ok = s.unpadCut(h, p, 4)
	}
	if !ok && !s.corrupt {
		s.invalid(nil, "PUSH_PROMISE padding longer than the frame")
	}
	var promised uint32
	if ok {
		promised = binary.BigEndian.Uint32(frag) & 0x7fffffff
		frag = frag[4:]
	}
	s.openBlock(h, frag, promised, s.corrupt || !ok)
}

func (s *side) openBlock(h frameHeader, frag []byte, promised uint32, bad bool) {
	s.blockOpen, s.blockHdr, s.promised, s.conts, s.blockBad = true, h, promised, 0, bad
	s.blockCut, s.blockOver = s.cut, s.cut
	s.block = append(s.block[:0], frag...)
	if h.has(flagEndHeaders) {
		s.closeBlock()
	}
}

func (s *side) continuation(h frameHeader, p []byte) {
	if !s.blockOpen {
		// Its block's start was lost (or never sent): entries it adds
		// are unknown from now on.
		s.invalid(nil, "CONTINUATION without HEADERS")
		s.hp.stale = true
		return
	}
	s.conts++
	flood := s.conts > s.d.lim.MaxContinuationFrames
	if s.conts == s.d.lim.MaxContinuationFrames+1 && !s.blockBad {
		s.anomaly(nil, KindContinuationFlood, "over "+strconv.Itoa(s.d.lim.MaxContinuationFrames)+" CONTINUATION frames")
	}
	if s.corrupt {
		s.blockBad = true
	}
	if s.cut {
		s.blockCut, s.blockOver = true, true
	}
	if flood {
		// What came before the flood is decoded; the rest is skipped.
		s.blockCut = true
	} else if !s.blockBad {
		s.block = append(s.block, p...)
	}
	if h.has(flagEndHeaders) {
		s.closeBlock()
	}
}

// abandonBlock ends a header block that will not be completed.
func (s *side) abandonBlock() {
	if s.blockOpen {
		s.blockBad = true
		s.closeBlock()
	}
}

func (s *side) closeBlock() {
	s.blockOpen = false
	if s.blockBad {
		s.block = s.block[:0]
		s.hp.stale = true
	}
	s.d.headerBlock(s, s.blockHdr, s.promised, s.block, s.blockBad, s.blockCut && !s.blockBad)
	if s.blockCut {
		// The entries the lost part of the block added are unknown.
		s.hp.stale = true
	}
	s.blockCut, s.blockOver = false, false
	s.block = s.block[:0]
	if cap(s.block) > 4<<10 {
		// Large blocks are rare: do not keep their buffer per connection.
		s.block = nil
	}
}

func (s *side) settings(h frameHeader, p []byte) {
	if h.stream != 0 || h.length%6 != 0 || (h.has(flagAck) && h.length != 0) {
		s.invalid(nil, "SETTINGS of "+strconv.Itoa(int(h.length))+" bytes on stream "+strconv.Itoa(int(h.stream)))
		return
	}
	peer := &s.d.sides[s.dir.Reverse()]
	for ; len(p) >= 6; p = p[6:] {
		v := binary.BigEndian.Uint32(p[2:])
		switch binary.BigEndian.Uint16(p) {
		case settingHeaderTableSize:
			// Bounds the table of the headers the peer sends.
			peer.hp.allowed = int(min(v, 1<<30))
		case settingMaxFrameSize:
			if v < defaultMaxFrame || v > maxFrameLimit {
				s.invalid(nil, "SETTINGS_MAX_FRAME_SIZE "+strconv.Itoa(int(v)))
				continue
			}
			peer.maxFrame = v
		}
	}
}
