package http2

import (
	"errors"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/apisensor/sensor/decoders"
	"github.com/apisensor/sensor/sensor"
)

// stream is one HTTP/2 stream: a request and its response. The Exchange
// and both messages share one allocation; the receiver of the Exchange owns
// all of it.
type stream struct {
	id        uint32
	x         decoders.Exchange
	req, resp decoders.Message
	// head is set per direction once the (final) header block was seen;
	// ended once END_STREAM was.
	head, ended [2]bool
	// raw holds the body bytes kept, before content codings are undone.
	raw         [2][]byte
	codings     [2][]string
	unsupported [2]bool
	prev, next  *stream
	// done is set when the stream is finished and its exchange emitted:
	// the exchange is then its receiver's.
	done bool
}

func (st *stream) msg(dir sensor.Direction) *decoders.Message {
	if dir == sensor.ClientToServer {
		return &st.req
	}
	return &st.resp
}

func (d *decoder) midStream() bool { return d.env.Conn != nil && d.env.Conn.MidStream }

// clientResync notes that client bytes were lost or skipped: requests in
// them may get responses, which open streams below the next one seen.
func (d *decoder) clientResync() {
	d.holeLo, d.holeHi, d.holeOpen = d.lastID[0], 0, true
}

// newStream starts tracking stream id, handing on the oldest stream when
// over the bound.
func (d *decoder) newStream(s *side, id uint32) *stream {
	if len(d.streams) >= d.lim.MaxStreams {
		old := d.first
		d.anomaly(old, s.dir, KindTooManyStreams, "over "+strconv.Itoa(d.lim.MaxStreams)+" streams")
		d.finish(old)
	}
	st := &stream{id: id}
	st.x = decoders.Exchange{Conn: d.env.Conn, Seq: d.seq, Proto: Proto, StreamID: id, Request: &st.req}
	d.seq++
	st.req.Version = Version
	st.req.Start = s.at
	d.streams[id] = st
	st.prev = d.last
	if d.last != nil {
		d.last.next = st
	} else {
		d.first = st
	}
	d.last = st
	if id == 1 {
		d.had1 = true
	}
	return st
}

// open returns the stream a HEADERS frame of side s opens, or nil when it
// must not open one.
func (d *decoder) open(s *side, id uint32) *stream {
	if s.dir == sensor.ClientToServer {
		if id%2 == 0 {
			s.invalid(nil, "client HEADERS on even stream "+strconv.Itoa(int(id)))
			return nil
		}
		if id <= d.lastID[0] {
			d.env.Counts.Inc(CountLateFrame)
			return nil
		}
		d.lastID[0] = id
		if d.holeOpen {
			d.holeHi, d.holeOpen = id, false
		}
		return d.newStream(s, id)
	}
	// A response whose request was not seen: joined mid-stream, requests
	// lost in a gap, or stream 1 of an h2c Upgrade.
	upgrade := id == 1 && d.preface && !d.had1
	switch {
	case upgrade:
	case id%2 == 0:
		if id <= d.lastID[1] {
			d.env.Counts.Inc(CountLateFrame)
			return nil
		}
		d.lastID[1] = id
	case id > d.lastID[0]:
		d.lastID[0] = id
	case d.holeLo < id && (d.holeOpen || id < d.holeHi):
	default:
		d.env.Counts.Inc(CountLateFrame)
		return nil
	}
	st := d.newStream(s, id)
	st.req.Incomplete = true
	st.head[0], st.ended[0] = true, true
	if upgrade {
		// The request was the HTTP/1.1 one, handed on with its 101: the
		// response on stream 1 answers it.
		if d.upgradeReq != nil {
			st.req = *d.upgradeReq
			st.req.Incomplete = false
			st.req.Frames = append([]uint64(nil), d.upgradeReq.Frames...)
		} else {
			st.req.Version = "HTTP/1.1"
		}
		d.env.Counts.Inc(CountUpgradeStream)
	} else {
		d.env.Counts.Inc(CountResponseOnly)
	}
	return st
}

// dataStream returns the stream DATA of side s goes to, nil when untracked.
func (d *decoder) dataStream(s *side, id uint32) *stream {
	st := d.streams[id]
	switch {
	case st == nil:
		return nil
	case st.ended[s.dir]:
		s.invalid(st, "DATA after END_STREAM")
		return nil
	case !st.head[s.dir]:
		s.invalid(st, "DATA before HEADERS")
	}
	return st
}

func (d *decoder) body(st *stream, dir sensor.Direction, p []byte) {
	m := st.msg(dir)
	m.WireBodyLen += int64(len(p))
	if room := d.lim.MaxBodyBytes - len(st.raw[dir]); len(p) > room {
		p = p[:room]
		m.BodyTruncated = true
	}
	st.raw[dir] = append(st.raw[dir], p...)
}

// endStream notes END_STREAM from dir and hands the stream on when both
// sides ended it.
func (d *decoder) endStream(st *stream, dir sensor.Direction, at time.Time) {
	st.ended[dir] = true
	st.msg(dir).End = at
	d.finishBody(st, dir)
	if st.ended[0] && st.ended[1] {
		d.finish(st)
	}
}

// reset handles RST_STREAM from side s.
func (d *decoder) reset(s *side, id uint32, code uint32) {
	st := d.streams[id]
	if st == nil {
		d.env.Counts.Inc(CountLateFrame)
		return
	}
	// A client cancelling, or a server ending, the rest of a stream whose
	// response is complete is routine.
	if !(st.ended[1] && (code == 0 || code == 8)) {
		s.anomaly(st, KindStreamReset, errorCodeName(code)+" from "+s.dir.String())
	}
	d.finish(st)
}

// finish hands st on: what did not end is marked incomplete.
func (d *decoder) finish(st *stream) {
	if st.done {
		return
	}
	st.done = true
	// A side in the middle of a DATA frame for st (the peer reset or
	// evicted it meanwhile) reads the rest of the frame as orphan data.
	for i := range d.sides {
		if d.sides[i].dst == st {
			d.sides[i].dst = nil
		}
	}
	for dir := range sensor.Direction(2) {
		if !st.ended[dir] {
			st.msg(dir).Incomplete = true
			d.finishBody(st, dir)
			st.ended[dir] = true
		}
	}
	if st.head[1] {
		st.x.Response = &st.resp
	}
	st.x.ClientFingerprint = d.fp.value
	delete(d.streams, st.id)
	if st.prev != nil {
		st.prev.next = st.next
	} else {
		d.first = st.next
	}
	if st.next != nil {
		st.next.prev = st.prev
	} else {
		d.last = st.prev
	}
	st.prev, st.next = nil, nil
	d.env.Emit(&st.x)
}

// headerBlock acts on a complete header block of side s (lost when bad;
// cut at max_header_bytes when cut).
func (d *decoder) headerBlock(s *side, h frameHeader, promised uint32, block []byte, bad, cut bool) {
	var fields []hfield
	var stats blockStats
	var err error
	if !bad {
		fields, stats, err = s.hp.decode(block, d.fields[:0], d.lim.MaxHeaders, d.lim.MaxHeaderBytes, min(d.lim.MaxLineBytes, d.lim.MaxHeaderBytes), cut)
		d.fields = fields[:0]
		if cut && errors.Is(err, errTruncated) {
			// The cut fell inside a field's representation.
			err = nil
		}
	}
	// What the block shows is noted before the stream may be handed on
	// with its head or trailers: an emitted exchange is its receiver's.
	notes := func(st *stream) {
		if cut && s.blockOver {
			s.anomaly(st, KindHeaderListTooLarge, "header block over "+strconv.Itoa(d.lim.MaxHeaderBytes)+" bytes cut")
		}
		if stats.cut > 0 {
			s.anomaly(st, KindHeaderFieldTooLong, strconv.Itoa(stats.cut)+" field values cut")
		}
		if stats.unknown > 0 {
			s.anomaly(st, KindHPACKUnknownIndex, strconv.Itoa(stats.unknown)+" fields refer to unseen table entries")
		}
		if stats.badIndex > 0 {
			s.anomaly(st, KindHPACKError, strconv.Itoa(stats.badIndex)+" fields refer to no table entry")
		}
		if stats.sizeUpdate {
			s.anomaly(st, KindHPACKError, "table size update after a field or over SETTINGS_HEADER_TABLE_SIZE")
		}
		if err != nil {
			s.anomaly(st, KindHPACKError, err.Error())
		}
		if stats.dropped > 0 {
			s.anomaly(st, KindHeaderListTooLarge, strconv.Itoa(stats.dropped)+" fields dropped")
		}
	}
	if s.dir == sensor.ClientToServer && h.typ == frameHeaders && d.preface && !d.fp.done {
		if bad || err != nil {
			// The first request's order is lost: no fingerprint.
			d.fp.done = true
		} else {
			d.fp.firstHeaders(fields)
		}
	}
	var st *stream
	switch {
	case h.typ == framePushPromise:
		st = d.promise(s, h, promised, fields, bad)
		notes(st)
	case h.stream == 0:
		s.invalid(nil, "HEADERS on stream 0")
		notes(nil)
	default:
		st = d.streams[h.stream]
		if st == nil {
			st = d.open(s, h.stream)
		}
		notes(st)
		if st != nil {
			d.headers(s, st, h, fields, bad, stats.unknown > 0)
		}
	}
}

// headers applies a HEADERS block to its stream: the message head, an
// interim response, or trailers.
func (d *decoder) headers(s *side, st *stream, h frameHeader, fields []hfield, bad, unknown bool) {
	dir := s.dir
	m := st.msg(dir)
	switch {
	case st.ended[dir]:
		s.invalid(st, "HEADERS after END_STREAM")
		return
	case !st.head[dir]:
		if dir == sensor.ServerToClient && !bad && !h.has(flagEndStream) && interim(fields) {
			// 100 Continue, 103 Early Hints: the final response follows.
			return
		}
		if m.Start.IsZero() {
			m.Start = s.at
		}
		st.head[dir] = true
		m.Version = Version
		d.setHead(dir, st, m, fields, unknown)
	default:
		if !h.has(flagEndStream) {
			s.invalid(st, "trailers without END_STREAM")
		}
		d.setTrailers(s, st, m, fields)
	}
	if bad {
		m.Incomplete = true
	}
	m.AddFrames(s.frames)
	m.End = s.at
	if h.has(flagEndStream) {
		d.endStream(st, dir, s.at)
	}
}

func interim(fields []hfield) bool {
	for _, f := range fields {
		if f.name == ":status" {
			return len(f.value) == 3 && f.value[0] == '1'
		}
	}
	return false
}

// setHead fills a message's head from its header fields. Pseudo-headers
// set the request line or status and are kept out of Headers.
func (d *decoder) setHead(dir sensor.Direction, st *stream, m *decoders.Message, fields []hfield, unknown bool) {
	var seen [5]bool // :method :path :authority :scheme :status
	regular := false
	for _, f := range fields {
		if !strings.HasPrefix(f.name, ":") {
			// A field behind an unseen entry may have been a pseudo-header.
			regular = regular || !f.unknown
			m.Headers = append(m.Headers, decoders.Header{Name: f.name, Value: f.value})
			continue
		}
		slot := -1
		switch {
		case regular:
			d.anomaly(st, dir, KindInvalidPseudoHeader, f.name+" after a regular field")
			continue
		case dir == sensor.ClientToServer:
			// A repeated pseudo-header keeps its first value, which a
			// proxy that does not reject it routes by (and says so below).
			switch f.name {
			case ":method":
				slot = 0
				if !seen[slot] {
					m.Method = f.value
				}
			case ":path":
				slot = 1
				if !seen[slot] {
					m.URI = f.value
				}
			case ":authority":
				slot = 2
				if !seen[slot] {
					m.Authority = f.value
				}
			case ":scheme":
				slot = 3
				if !decoders.Scheme(f.value) {
					// A front end that builds the URL from :scheme,
					// :authority and :path writes whatever it holds
					// ("http://evil.example/?") into the request it
					// forwards.
					d.anomaly(st, dir, KindInvalidPseudoHeader, "invalid :scheme "+strconv.Quote(f.value[:min(len(f.value), 64)]))
				}
			case ":protocol": // extended CONNECT (RFC 8441)
				continue
			}
		case f.name == ":status":
			slot = 4
			if n, err := strconv.Atoi(f.value); err == nil && len(f.value) == 3 && n >= 100 {
				m.Status = n
			} else {
				d.anomaly(st, dir, KindInvalidPseudoHeader, ":status "+strconv.Quote(f.value))
			}
		}
		switch {
		case slot < 0:
			d.anomaly(st, dir, KindInvalidPseudoHeader, "unknown "+f.name)
		case seen[slot]:
			d.anomaly(st, dir, KindInvalidPseudoHeader, "repeated "+f.name)
			if dir == sensor.ClientToServer && slot <= 2 {
				// The value a back end that takes the last one would
				// route by: kept as a header of that name, which the
				// detectors read.
				m.Headers = append(m.Headers, decoders.Header{Name: f.name, Value: f.value})
			}
		}
		if slot >= 0 {
			seen[slot] = true
		}
	}
	if dir == sensor.ClientToServer {
		m.Path, m.Query, _ = strings.Cut(m.URI, "?")
	}
	if !unknown && len(fields) > 0 {
		// A field behind an unseen table entry may be the missing one.
		switch {
		case dir == sensor.ServerToClient && !seen[4]:
			d.anomaly(st, dir, KindInvalidPseudoHeader, "missing :status")
		case dir == sensor.ClientToServer && !seen[0]:
			d.anomaly(st, dir, KindInvalidPseudoHeader, "missing :method")
		case dir == sensor.ClientToServer && !seen[1] && m.Method != "CONNECT":
			d.anomaly(st, dir, KindInvalidPseudoHeader, "missing :path")
		}
	}
	d.codings(st, dir, m.Headers)
}

func (d *decoder) setTrailers(s *side, st *stream, m *decoders.Message, fields []hfield) {
	for _, f := range fields {
		if strings.HasPrefix(f.name, ":") {
			s.anomaly(st, KindInvalidPseudoHeader, f.name+" in trailers")
			continue
		}
		m.Trailers = append(m.Trailers, decoders.Header{Name: f.name, Value: f.value})
	}
}

// promise handles a complete PUSH_PROMISE block: the promised stream's
// request is the block, and its response comes as HEADERS on that stream.
func (d *decoder) promise(s *side, h frameHeader, id uint32, fields []hfield, bad bool) *stream {
	switch {
	case s.dir == sensor.ClientToServer:
		s.invalid(nil, "PUSH_PROMISE from the client")
		return nil
	case bad:
		return nil
	case h.stream == 0 || id == 0 || id%2 == 1:
		s.invalid(nil, "PUSH_PROMISE on stream "+strconv.Itoa(int(h.stream))+" promising "+strconv.Itoa(int(id)))
		return nil
	case id <= d.lastID[1]:
		s.invalid(nil, "PUSH_PROMISE of used stream "+strconv.Itoa(int(id)))
		return nil
	}
	d.lastID[1] = id
	st := d.newStream(s, id)
	// The promised request is the server's word for the client's.
	d.setHead(sensor.ClientToServer, st, &st.req, fields, false)
	st.req.AddFrames(s.frames)
	st.req.End = s.at
	st.head[0], st.ended[0] = true, true
	return st
}

// codings collects the content codings to undo, outermost first.
func (d *decoder) codings(st *stream, dir sensor.Direction, hs []decoders.Header) {
	var ce []string
	for _, h := range hs {
		if h.Name != "content-encoding" {
			continue
		}
		for el := range strings.SplitSeq(h.Value, ",") {
			switch c := strings.ToLower(strings.TrimSpace(el)); {
			case decoders.Supported(c):
				ce = append(ce, c)
			case c == "identity", c == "":
			default:
				st.unsupported[dir] = true
			}
		}
	}
	slices.Reverse(ce)
	st.codings[dir] = ce
}

// finishBody sets a message's body from the bytes kept, undoing its
// content codings with the output capped at MaxDecompressedBytes.
func (d *decoder) finishBody(st *stream, dir sensor.Direction) {
	m := st.msg(dir)
	raw := st.raw[dir]
	st.raw[dir] = nil
	switch {
	case m.WireBodyLen == 0:
		return
	case st.unsupported[dir]:
		d.env.Counts.Inc(CountUnsupportedEncoding)
		m.Body = raw
		return
	case len(st.codings[dir]) == 0:
		m.Body = raw
		return
	}
	out, total, err := decoders.Inflate(raw, st.codings[dir], d.lim.MaxBodyBytes, d.lim.MaxDecompressedBytes)
	switch {
	case errors.Is(err, decoders.ErrTooManyCodings):
		d.anomaly(st, dir, KindTooManyEncodings, strings.Join(st.codings[dir], ", "))
		m.Body = raw
		return
	case err != nil && !(errors.Is(err, io.ErrUnexpectedEOF) && (m.BodyTruncated || m.Incomplete)):
		// A cut input legitimately ends early; anything else is corrupt.
		d.anomaly(st, dir, KindBadEncoding, err.Error())
		m.Body = raw
		return
	}
	m.Body = out
	m.ContentEncoding = slices.Clone(st.codings[dir])
	if total > int64(d.lim.MaxDecompressedBytes) {
		d.anomaly(st, dir, KindDecompressionBomb, "decompressed size over limit")
		m.BodyTruncated = true
	}
	if total > int64(len(out)) {
		m.BodyTruncated = true
	}
}
