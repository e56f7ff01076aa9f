package http1

import (
	"bytes"
	"encoding/binary"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/apisensor/sensor/decoders"
	"github.com/apisensor/sensor/sensor"
)

// state is where a direction's parser stands.
type state uint8

const (
	stStart     state = iota // expecting a message start line, in sync
	stResync                 // skipping bytes up to the next message start
	stHeaders                // header block
	stBody                   // Content-Length body
	stChunkSize              // chunk-size line
	stChunkData              // chunk data
	stChunkEnd               // CRLF closing chunk data
	stTrailers               // trailer block of a chunked body
	stBodyClose              // response body delimited by the end of the connection
	stHold                   // client bytes after Upgrade/CONNECT, awaiting the answer
)

// Header kinds that decide framing or the next protocol.
const (
	fkNone uint8 = iota
	fkContentLength
	fkTransferEncoding
	fkContentEncoding
	fkUpgrade
)

// field is a framing header; its value is str[v0:v1].
type field struct {
	kind   uint8
	v0, v1 int32
}

// Once-per-message anomaly flags.
const (
	onceBareLF uint8 = 1 << iota
	onceBareCR
	onceObsFold
	onceTooMany
	onceTooLarge
	onceLongLine
)

// span locates one header field in sb.
// It holds no pointer, so that appending to spans needs no write barrier.
type span struct {
	n0, n1 int32
	v0, v1 int32
	name   uint8 // index in commonNames; 0 when the name is in sb
	kind   uint8
	store  bool
}

// pendStr is a start-line string waiting for flush.
type pendStr struct {
	dst    *string
	p0, p1 int32
}

// maxFramingOnly bounds framing headers kept past the header limits.
const maxFramingOnly = 32

// tailLen is how many last bytes of an over-long line are kept: enough for
// " HTTP/1.1\r", the version that ends a request line.
const tailLen = 16

// maxMethodLen bounds a method token: a longer run of token characters at a
// message start is not HTTP.
const maxMethodLen = 32

// stream is one direction's parser.
type stream struct {
	d     *decoder
	dir   sensor.Direction
	state state
	// discard skips bytes up to and including the next '\n' (the rest of a
	// line that was rejected or too long).
	discard  bool
	skipKind string
	// long is set inside a line over its limit that is still parsed: buf
	// holds its first bytes (at most the kept prefix), tail its last ones,
	// and the bytes between are dropped up to the '\n' without being
	// buffered. longLen counts the line's bytes so far.
	long    bool
	longLen int64
	tail    [tailLen]byte
	ntail   int

	// Current chunk context.
	at      time.Time
	frames  []uint64
	touched *decoders.Message

	// buf holds a partial line; lineAt and lineFrames tell where a partial
	// start line began, for the message it may become.
	buf        []byte
	lineAt     time.Time
	lineFrames []uint64

	// Message being parsed. t is nil for a response without request; msg is
	// then scratch, as it is for an interim (1xx) response.
	t       *txn
	msg     *decoders.Message
	scratch *decoders.Message
	keep    bool // keep body bytes
	interim bool
	tent101 bool // msg is a tentative 101 answer to t, not yet popped

	// Strings of the start line and of the header (or trailer) block are
	// gathered in sb and become one string when the block ends (flush).
	sb          []byte
	spans       []span
	strs        [3]pendStr
	nstrs       int
	fields      []field
	str         string // sb as flushed
	lastSpan    bool   // the previous header line's value ends sb
	nHeaders    int
	hosts       int // Host lines of the request
	headerBytes int
	once        uint8
	remaining   int64
	body        []byte
	capped      bool // bytes of the body were lost: keep no more
	layers      []string
	unsupported bool
	teCodings   []string

	// Client side: bytes after an Upgrade/CONNECT request, held until its
	// answer says whether they are HTTP.
	hold   *txn
	held   []byte
	heldAt time.Time
}

func (s *stream) lim() *decoders.Limits { return &s.d.lim }

func (s *stream) anomaly(kind, detail string) {
	s.d.anomaly(s.t, s.dir, kind, detail)
}

func (s *stream) anomalyOnce(flag uint8, kind, detail string) {
	if s.once&flag == 0 {
		s.once |= flag
		s.anomaly(kind, detail)
	}
}

// touch records that the current chunk carried bytes of the message.
func (s *stream) touch() {
	m := s.msg
	if s.touched != m {
		m.AddFrames(s.frames)
		s.touched = m
	}
	m.End = s.at
}

// feed parses data and returns what is left when the decoder switched
// protocols.
func (s *stream) feed(data []byte) []byte {
	for len(data) > 0 && !s.d.done {
		switch s.state {
		case stBody, stChunkData:
			n := len(data)
			if int64(n) > s.remaining {
				n = int(s.remaining)
			}
			s.bodyBytes(data[:n])
			data = data[n:]
			s.remaining -= int64(n)
			if s.remaining == 0 {
				if s.state == stBody {
					s.endMessage(false)
				} else {
					s.state = stChunkEnd
				}
			}
		case stBodyClose:
			s.bodyBytes(data)
			data = nil
		case stHold:
			data = s.holdBytes(data)
		default:
			if s.long {
				line, rest, done := s.longMore(data)
				data = rest
				if done {
					s.cutLine(line)
				}
				continue
			}
			if s.discard {
				i := bytes.IndexByte(data, '\n')
				n := len(data)
				if i >= 0 {
					n = i + 1
					s.discard = false
				}
				if s.state == stResync {
					s.skipped(n)
				}
				data = data[n:]
				continue
			}
			if s.state == stStart || s.state == stResync {
				data = s.seekStart(data)
				continue
			}
			limit, keep := s.lim().MaxLineBytes, 0
			switch s.state {
			case stHeaders, stTrailers:
				limit, keep = s.lim().MaxHeaderBytes, s.headerKeep()
			case stChunkSize:
				// The size leads the line: extensions padding it
				// must not cost the body.
				keep = limit
			}
			line, rest, r := s.nextLine(data, limit, keep)
			data = rest
			switch r {
			case lineDone:
				s.touch()
				s.onLine(line)
			case lineCut:
				s.touch()
				s.cutLine(line)
			case lineLong:
				s.longLine()
			}
		}
	}
	return data
}

type lineResult uint8

const (
	lineMore lineResult = iota // partial line buffered, data consumed
	lineDone                   // whole line returned, without its '\n'
	lineLong                   // over the limit: rest follows the line, or discard is set
	lineCut                    // over the limit: the kept prefix is returned, tail set
)

// nextLine returns the next whole line, from data in place when the line
// starts there, else from buf. A returned line aliases data or buf and is
// valid until the next call.
//
// A line over limit is dropped when keep is 0. Otherwise its first keep
// bytes (keep <= limit) and its last tailLen bytes are kept and the rest is
// skipped without being buffered: lineCut returns the prefix once the line
// has ended, and until then the line continues in long mode (lineMore).
func (s *stream) nextLine(data []byte, limit, keep int) (line, rest []byte, r lineResult) {
	i := bytes.IndexByte(data, '\n')
	if i < 0 {
		if len(s.buf)+len(data) > limit {
			if keep > 0 {
				s.startLong(data, keep)
				return nil, nil, lineMore
			}
			s.resetBuf()
			s.discard = true
			return nil, nil, lineLong
		}
		s.keepPartial(data)
		return nil, nil, lineMore
	}
	if len(s.buf)+i > limit {
		if keep > 0 {
			s.startLong(data[:i], keep)
			s.long = false
			line = s.buf
			s.resetBuf()
			return line, data[i+1:], lineCut
		}
		s.resetBuf()
		return nil, data[i+1:], lineLong
	}
	if len(s.buf) == 0 {
		s.lineAt = s.at
		s.lineFrames = s.lineFrames[:0]
		return data[:i], data[i+1:], lineDone
	}
	s.buf = append(s.buf, data[:i]...)
	line = s.buf
	s.buf = s.buf[:0]
	return line, data[i+1:], lineDone
}

func (s *stream) keepPartial(data []byte) {
	if len(s.buf) == 0 {
		s.lineAt = s.at
		s.lineFrames = s.lineFrames[:0]
	}
	s.buf = append(s.buf, data...)
	s.lineTouch()
}

// lineTouch records that the current chunk carried bytes of a line: of the
// message being parsed, or of the start line of one to come.
func (s *stream) lineTouch() {
	if s.msg != nil {
		s.touch()
	} else if len(s.lineFrames) < decoders.MaxFrames {
		s.lineFrames = append(s.lineFrames, s.frames...)
	}
}

// startLong enters long mode for a line found over its limit: buf holds
// its start, p the line's bytes in the current chunk.
func (s *stream) startLong(p []byte, keep int) {
	if len(s.buf) == 0 {
		s.lineAt = s.at
		s.lineFrames = s.lineFrames[:0]
	}
	s.lineTouch()
	s.ntail = 0
	s.addTail(s.buf)
	s.addTail(p)
	s.longLen = int64(len(s.buf) + len(p))
	if len(s.buf) >= keep {
		s.buf = s.buf[:keep]
	} else {
		s.buf = append(s.buf, p[:min(len(p), keep-len(s.buf))]...)
	}
	s.long = true
}

// longMore skips bytes of a long line; at its end it returns the kept
// prefix, valid until the next call.
func (s *stream) longMore(data []byte) (line, rest []byte, done bool) {
	s.lineTouch()
	i := bytes.IndexByte(data, '\n')
	if i < 0 {
		s.addTail(data)
		s.longLen += int64(len(data))
		return nil, nil, false
	}
	s.addTail(data[:i])
	s.longLen += int64(i)
	s.long = false
	line = s.buf
	s.resetBuf()
	return line, data[i+1:], true
}

// addTail keeps the last tailLen bytes seen of a long line.
func (s *stream) addTail(p []byte) {
	if len(p) >= tailLen {
		s.ntail = copy(s.tail[:], p[len(p)-tailLen:])
		return
	}
	if drop := s.ntail + len(p) - tailLen; drop > 0 {
		copy(s.tail[:], s.tail[drop:s.ntail])
		s.ntail -= drop
	}
	s.ntail += copy(s.tail[s.ntail:], p)
}

// headerKeep is how much of an over-long header line is kept: a start-line
// bound, so that one huge field leaves room in the header block for the
// fields after it.
func (s *stream) headerKeep() int {
	return min(s.lim().MaxLineBytes, s.lim().MaxHeaderBytes)
}

// resetBuf empties buf, letting go of a large one so that an idle
// connection stays small.
func (s *stream) resetBuf() {
	if cap(s.buf) > 4096 {
		s.buf = nil
	} else {
		s.buf = s.buf[:0]
	}
}

// controlIndex returns the index of the first control byte (below 0x20,
// or DEL) in b, or -1; eight bytes a step (a request target is read for
// one on every request).
func controlIndex(b []byte) int {
	const lo, hi = 0x0101010101010101, 0x8080808080808080
	i := 0
	for ; i+8 <= len(b); i += 8 {
		x := binary.LittleEndian.Uint64(b[i:])
		// A byte below 0x20 borrows in x-0x20…, DEL is 0x7f: x^0x7f… has
		// a zero byte there. Bytes of 0x80 and up are no control.
		low := (x - 0x20*lo) &^ x & hi
		del := ((x ^ 0x7f*lo) - lo) &^ (x ^ 0x7f*lo) & hi
		if low|del != 0 {
			break
		}
	}
	for ; i < len(b); i++ {
		if c := b[i]; c < 0x20 || c == 0x7f {
			return i
		}
	}
	return -1
}

// hasControl reports a control byte other than HTAB in b.
func hasControl(b []byte) bool {
	for _, c := range b {
		if c < 0x20 && c != '\t' || c == 0x7f {
			return true
		}
	}
	return false
}

// trimCR strips the '\r' of a CRLF line end and reports a bare LF.
func trimCR(line []byte) ([]byte, bool) {
	if n := len(line); n > 0 && line[n-1] == '\r' {
		return line[:n-1], false
	}
	return line, true
}

func (s *stream) skipped(n int) {
	if n > 0 {
		s.d.env.Counts.Add(s.skipKind, uint64(n))
	}
	s.d.unsure = true
}

// garbage handles bytes that are not a message start: the first ones of a
// run raise http1.non_http, the rest are skipped quietly.
func (s *stream) garbage(n int) {
	if s.state == stStart {
		s.d.anomaly(nil, s.dir, KindNonHTTP, "bytes where a message start was expected")
		s.state = stResync
	}
	s.skipped(n)
}

// seekStart looks for a message start line at the start of data (with what
// buf holds before it). In stStart any token is a method and anything else is
// non-HTTP; in stResync only known methods count and the rest is skipped.
func (s *stream) seekStart(data []byte) []byte {
	strict := s.state == stResync
	// Empty lines between messages are tolerated (RFC 9112 §2.2).
	switch {
	case len(s.buf) == 0 && data[0] == '\n':
		return data[1:]
	case len(s.buf) == 0 && len(data) > 1 && data[0] == '\r' && data[1] == '\n':
		return data[2:]
	case len(s.buf) == 1 && s.buf[0] == '\r' && data[0] == '\n':
		s.buf = s.buf[:0]
		return data[1:]
	}
	var pre [maxMethodLen + 2]byte
	p := append(pre[:0], s.buf[:min(len(s.buf), len(pre))]...)
	p = append(p, data[:min(len(data), len(pre)-len(p))]...)
	if !couldStart(s.dir, p, strict) {
		s.garbage(len(s.buf))
		s.resetBuf()
		s.discard = true
		return data
	}
	buffered := len(s.buf)
	line, rest, r := s.nextLine(data, s.lim().MaxLineBytes, s.lim().MaxLineBytes)
	switch r {
	case lineMore:
		return nil
	case lineCut:
		s.cutLine(line)
		return rest
	case lineLong:
		if !strict {
			s.d.anomaly(nil, s.dir, KindLineTooLong, "start line over limit")
			s.state = stResync
		}
		// Skipped: what was buffered and what the line took of data; a
		// rest of the line still to come is counted as it is discarded.
		s.skipped(buffered + len(data) - len(rest))
		return rest
	}
	if s.startLine(line, strict) {
		return rest
	}
	s.garbage(len(line) + 1)
	return rest
}

// couldStart tells whether p, the first bytes of a line, may begin a start
// line of the direction: a status line from the server, a request line from
// the client. It errs on "maybe" while p is too short to tell.
func couldStart(dir sensor.Direction, p []byte, strict bool) bool {
	if len(p) == 1 && p[0] == '\r' {
		return true
	}
	if dir == sensor.ServerToClient {
		n := min(len(p), len(statusPrefix))
		return string(p[:n]) == statusPrefix[:n]
	}
	for i, c := range p {
		if c == ' ' {
			if i == 0 {
				return false
			}
			return !strict || knownMethod(p[:i]) != ""
		}
		if i >= maxMethodLen || !isTchar(c) || (strict && !isMethodChar(c)) {
			return false
		}
	}
	return true
}

const statusPrefix = "HTTP/1."

// startLine parses a start line; it reports false when line is not one.
func (s *stream) startLine(line []byte, strict bool) bool {
	content, bare := trimCR(line)
	if s.dir == sensor.ClientToServer {
		rl, ok := parseRequestLine(content, strict)
		cr := false
		if i := bytes.IndexByte(content, '\r'); !ok && i > 0 {
			// "GET / HTTP/1.1\rHost: x": a processor that ends lines at
			// a bare CR reads a request line there. So does the sensor,
			// rather than see no request at all, and says so; what
			// follows the CR on that line is not read as a header (as
			// that processor would): the anomaly is what tells.
			if rl, ok = parseRequestLine(content[:i], strict); ok {
				cr = true
			}
		}
		if !ok {
			return false
		}
		s.beginRequest(rl)
		if cr {
			s.anomalyOnce(onceBareCR, KindBareCR, "CR alone ends the request line")
		}
	} else {
		sl, ok := parseStatusLine(content)
		if !ok {
			return false
		}
		s.beginResponse(sl)
	}
	if bare {
		s.anomalyOnce(onceBareLF, KindBareLF, "line ended by LF without CR")
	}
	return true
}

// beginRequest starts a request from its parsed request line.
func (s *stream) beginRequest(rl requestLine) {
	t := s.d.newTxn()
	m := &t.req
	m.Frames = t.frames[0][:0]
	s.begin(t, m, true)
	s.d.noteLast(rl)
	if m.Method = knownMethod(rl.method); m.Method == "" {
		s.stash(&m.Method, rl.method)
	}
	if m.Version = internVersion(rl.version); m.Version == "" {
		s.stash(&m.Version, rl.version)
	}
	s.stash(&m.URI, rl.target)
	t.connect = m.Method == "CONNECT"
	t.head = m.Method == "HEAD"
	t.x.Proto = "http/1.1"
	if m.Version == "HTTP/1.0" {
		t.x.Proto = "http/1.0"
	}
	if rl.spaces {
		s.anomaly(KindSpaceInTarget, "whitespace inside the request-target")
	}
	if i := controlIndex(rl.target); i >= 0 {
		s.anomaly(KindControlInTarget, "byte 0x"+strconv.FormatUint(uint64(rl.target[i]), 16)+" in the request-target")
	}
}

// beginResponse starts a response (or an interim one) from its parsed
// status line.
func (s *stream) beginResponse(sl statusLine) {
	var t *txn
	var m *decoders.Message
	interim, tent := false, false
	switch {
	case sl.status == 101 && s.d.peek() != nil:
		// Tentative until the headers tell whether it switches.
		t = s.d.peek()
		m, tent = &t.resp, true
	case sl.status >= 100 && sl.status < 200:
		// Interim (100 Continue, 103 Early Hints, …): the final
		// response to the same request is still to come.
		t, interim = s.d.peek(), true
	default:
		t = s.d.pop()
		if t == nil {
			if t = s.d.orphan(sl.status); t == nil {
				s.d.anomaly(nil, s.dir, KindResponseWithoutRequest, "")
				break
			}
			s.d.anomaly(t, s.dir, KindResponseWithoutRequest, "after "+strconv.Quote(string(s.d.last[:s.d.lastN])))
		}
		t.answered = true
		t.x.Response = &t.resp
		m = &t.resp
		switch {
		case t.wsRetry && sl.status == 101:
			// A retried handshake the server took: the client's.
			s.d.refusedWS = false
		case t.wsRetry && sl.status < 400:
			// A "retry" the server served as a plain request is one
			// like the others after the refusal (a request that names
			// itself an upgrade to pass for a retry). One refused again
			// (a 4xx) leaves the connection as it was.
			s.d.anomaly(t, sensor.ClientToServer, KindRequestAfterRefusedUpgrade, "a WebSocket handshake after a refused one, served with "+strconv.Itoa(sl.status))
		case t.upgrade != "" && refusedUpgrade(t, sl.status):
			// Set before the held bytes are released below: they are
			// the requests that follow the refusal.
			s.d.refusedWS = true
		}
		if c := &s.d.dirs[sensor.ClientToServer]; c.hold == t && !(t.connect && sl.status/100 == 2) {
			c.release()
		}
	}
	keep := m != nil
	if m == nil {
		if s.scratch == nil {
			s.scratch = &decoders.Message{}
		}
		*s.scratch = decoders.Message{}
		m = s.scratch
	} else {
		m.Frames = t.frames[1][:0]
	}
	s.begin(t, m, keep)
	s.interim, s.tent101 = interim, tent
	m.Status = sl.status
	if m.Version = internVersion(sl.version); m.Version == "" {
		s.stash(&m.Version, sl.version)
	}
	var known bool
	if m.Reason, known = internReason(sl.reason); !known {
		s.stash(&m.Reason, sl.reason)
	}
}

// cutLine handles the kept prefix of a line that went over its limit; tail
// and longLen describe the whole line.
func (s *stream) cutLine(prefix []byte) {
	tail := s.tail[:s.ntail]
	bare := len(tail) == 0 || tail[len(tail)-1] != '\r'
	n := s.longLen // the line's length, without its '\n'
	if !bare {
		tail, n = tail[:len(tail)-1], n-1
	}
	detail := "line of " + strconv.FormatInt(n, 10) + " bytes cut to " + strconv.Itoa(len(prefix))
	switch s.state {
	case stStart, stResync:
		if !s.cutStartLine(prefix, tail, n, detail) {
			if s.state == stStart {
				s.d.anomaly(nil, s.dir, KindLineTooLong, "start line over limit")
				s.state = stResync
			}
			s.skipped(int(min(s.longLen+1, 1<<40)))
			return
		}
	case stHeaders, stTrailers:
		s.anomalyOnce(onceLongLine, KindHeaderLineTooLong, detail)
		if len(prefix) > 0 {
			s.headerLine(prefix)
		}
	case stChunkSize:
		// Flagged before the size ends the message, so that it is on it.
		s.anomaly(KindChunkLineTooLong, detail)
		s.chunkSize(prefix)
	}
	if bare {
		s.anomalyOnce(onceBareLF, KindBareLF, "line ended by LF without CR")
	}
}

// cutStartLine starts a message from the kept prefix of an over-long start
// line: a request keeps its target up to the cut, its version read from the
// tail; a response its status, with the reason cut. It reports false when
// the line is not a start line.
func (s *stream) cutStartLine(prefix, tail []byte, n int64, detail string) bool {
	if s.dir == sensor.ServerToClient {
		sl, ok := parseStatusLine(prefix)
		if !ok {
			return false
		}
		s.beginResponse(sl)
		s.anomaly(KindStatusLineTooLong, detail)
		return true
	}
	rl, ok := parseCutRequestLine(prefix, tail, n, s.state == stResync)
	if !ok {
		return false
	}
	s.beginRequest(rl)
	s.anomaly(KindRequestLineTooLong, detail)
	return true
}

// begin starts parsing message m of t.
func (s *stream) begin(t *txn, m *decoders.Message, keep bool) {
	s.t, s.msg, s.keep = t, m, keep
	s.interim, s.tent101 = false, false
	m.Start = s.lineAt
	m.AddFrames(s.lineFrames)
	s.lineFrames = s.lineFrames[:0]
	s.touched = nil
	s.touch()
	s.state = stHeaders
	s.skipKind = CountSkipped
	s.fields, s.str = s.fields[:0], ""
	s.spans = s.spans[:0]
	s.lastSpan = false
	s.sb, s.nstrs = s.sb[:0], 0
	s.nHeaders, s.headerBytes, s.once, s.hosts = 0, 0, 0, 0
	s.remaining = 0
	s.body, s.capped = nil, false
	s.layers, s.unsupported = s.layers[:0], false
	s.teCodings = s.teCodings[:0]
}

// onLine handles one whole line of a header block or chunked framing.
func (s *stream) onLine(line []byte) {
	content, bare := trimCR(line)
	if bare {
		s.anomalyOnce(onceBareLF, KindBareLF, "line ended by LF without CR")
	}
	if s.dir == sensor.ClientToServer && bytes.IndexByte(content, '\r') >= 0 {
		// (A request's: a response's odd line ends are a server bug,
		// no smuggling.)
		s.anomalyOnce(onceBareCR, KindBareCR, "CR inside a line")
	}
	switch s.state {
	case stHeaders, stTrailers:
		if len(content) == 0 {
			s.flush()
			if s.state == stTrailers {
				s.endMessage(false)
			} else if s.dir == sensor.ClientToServer {
				s.requestHeadersDone()
			} else {
				s.responseHeadersDone()
			}
			return
		}
		s.headerLine(content)
	case stChunkSize:
		s.chunkSize(content)
	case stChunkEnd:
		if len(content) != 0 {
			s.anomaly(KindInvalidChunkFraming, "chunk data not followed by CRLF")
			s.endMessage(true)
			return
		}
		s.state = stChunkSize
	}
}

// chunkSize handles a chunk-size line.
func (s *stream) chunkSize(content []byte) {
	n, ok := parseChunkSize(content)
	if !ok {
		s.anomaly(KindInvalidChunkSize, clip(content))
		s.endMessage(true)
		return
	}
	if n >= 1<<31 {
		// Past 31 bits a 32-bit parser wraps the size (2^32+5 reads as
		// 5) and the rest of the chunk as the next request.
		s.anomaly(KindInvalidChunkSize, "chunk size "+strconv.FormatInt(n, 10)+" past 31 bits")
	}
	if i := bytes.IndexByte(content, ';'); i >= 0 && hasControl(content[i+1:]) {
		s.anomaly(KindInvalidChunkSize, "control byte in a chunk extension")
	}
	if n == 0 {
		s.state = stTrailers
		return
	}
	if s.keep && !s.capped {
		if room := s.lim().MaxBodyBytes - len(s.body); room > 0 {
			s.body = slices.Grow(s.body, int(min(n, int64(room))))
		}
	}
	s.remaining = n
	s.state = stChunkData
}

// longLine handles a line over its limit that cannot be cut (the CRLF after
// chunk data): the framing is lost. (Start, header and chunk-size lines
// are cut and kept instead: cutLine.)
func (s *stream) longLine() {
	s.anomaly(KindLineTooLong, "chunk framing line over limit")
	s.endMessage(true)
}

// headerLine parses one header (or trailer) field line. Names and values
// are copied to sb; flush makes them strings.
func (s *stream) headerLine(line []byte) {
	trailer := s.state == stTrailers
	s.headerBytes += len(line) + 2
	if line[0] == ' ' || line[0] == '\t' {
		s.anomalyOnce(onceObsFold, KindObsFold, "header continuation line")
		if !s.lastSpan {
			return
		}
		sp := &s.spans[len(s.spans)-1]
		if sp.kind == fkContentLength {
			s.anomaly(KindFoldedContentLength, "")
		}
		if v := trimOWS(line); len(v) > 0 && len(s.sb) < s.lim().MaxHeaderBytes {
			if sp.v1 > sp.v0 {
				s.sb = append(s.sb, ' ')
			}
			s.sb = append(s.sb, v...)
			sp.v1 = int32(len(s.sb))
		}
		return
	}
	s.lastSpan = false
	colon := bytes.IndexByte(line, ':')
	if colon <= 0 {
		s.anomaly(KindInvalidHeaderName, "header line without a name and colon")
		return
	}
	name := line[:colon]
	if c := name[len(name)-1]; c == ' ' || c == '\t' {
		s.anomaly(KindInvalidHeaderName, "whitespace before colon")
		name = bytes.TrimRight(name, " \t")
		if len(name) == 0 {
			return
		}
	}
	known := nameIndex(name)
	if known == 0 && !isToken(name) {
		s.anomaly(KindInvalidHeaderName, clip(name))
	}
	kind := fkNone
	if !trailer {
		kind = fieldKind(name)
		if len(name) == 4 && s.dir == sensor.ClientToServer && equalFoldLower(name, "host") {
			// Counted past the header limits too: a second Host
			// behind filler headers is still one.
			if s.hosts++; s.hosts == 2 {
				s.anomaly(KindDuplicateHost, "")
			}
		}
	}
	s.nHeaders++
	store := true
	if s.nHeaders > s.lim().MaxHeaders {
		store = false
		s.anomalyOnce(onceTooMany, KindTooManyHeaders, "")
	}
	if s.headerBytes > s.lim().MaxHeaderBytes {
		store = false
		s.anomalyOnce(onceTooLarge, KindHeadersTooLarge, "")
	}
	if !store && (kind == fkNone || len(s.spans) >= s.lim().MaxHeaders+maxFramingOnly ||
		len(s.sb)+len(line) > 2*s.lim().MaxHeaderBytes) {
		return
	}
	sp := span{kind: kind, store: store, name: known}
	if store {
		if known == 0 {
			sp.n0 = int32(len(s.sb))
			s.sb = append(s.sb, name...)
			sp.n1 = int32(len(s.sb))
		}
	}
	sp.v0 = int32(len(s.sb))
	s.sb = append(s.sb, trimOWS(line[colon+1:])...)
	sp.v1 = int32(len(s.sb))
	s.spans = append(s.spans, sp)
	s.lastSpan = true
}

// stash copies b to sb; flush sets *dst to it.
func (s *stream) stash(dst *string, b []byte) {
	p := &s.strs[s.nstrs]
	s.nstrs++
	p.dst, p.p0 = dst, int32(len(s.sb))
	s.sb = append(s.sb, b...)
	p.p1 = int32(len(s.sb))
}

// flush turns what sb holds into strings of the message: one allocation
// for the start line and the whole header block.
func (s *stream) flush() {
	m := s.msg
	if s.nstrs == 0 && len(s.spans) == 0 {
		return
	}
	str := string(s.sb)
	for _, p := range s.strs[:s.nstrs] {
		*p.dst = str[p.p0:p.p1]
	}
	if s.nstrs > 0 && s.dir == sensor.ClientToServer && !s.t.connect {
		m.Path, m.Query = splitTarget(m.URI)
	}
	s.nstrs = 0
	n := 0
	for _, sp := range s.spans {
		if sp.store {
			n++
		}
	}
	var hs []decoders.Header
	if n > 0 {
		hs = make([]decoders.Header, 0, n)
	}
	s.fields = s.fields[:0]
	s.str = str
	for _, sp := range s.spans {
		v := str[sp.v0:sp.v1]
		if sp.store {
			name := commonNames[sp.name]
			if sp.name == 0 {
				name = str[sp.n0:sp.n1]
			}
			hs = append(hs, decoders.Header{Name: name, Value: v})
		}
		if sp.kind != fkNone {
			s.fields = append(s.fields, field{sp.kind, sp.v0, sp.v1})
		}
	}
	if s.state == stTrailers {
		m.Trailers = hs
	} else {
		m.Headers = hs
	}
	s.spans = s.spans[:0]
	s.lastSpan = false
	if cap(s.sb) > 4096 {
		s.sb = nil
	} else {
		s.sb = s.sb[:0]
	}
}

type bodyMode uint8

const (
	bodyNone bodyMode = iota
	bodyLength
	bodyChunked
	bodyClose
)

// framing applies RFC 9112 §6.3 to the framing headers of the message.
func (s *stream) framing(isReq bool) (bodyMode, int64) {
	var cl int64 = -1
	clBad, teSeen, lastChunked, teBad := false, false, false, false
	for _, f := range s.fields {
		switch f.kind {
		case fkContentLength:
			for el := range splitList(s.val(f)) {
				v, ok := parseDecimal(el)
				switch {
				case !ok:
					if !clBad {
						s.anomaly(KindInvalidContentLength, clip([]byte(el)))
					}
					clBad = true
				case cl < 0:
					cl = v
				case v == cl:
					s.anomaly(KindDuplicateContentLength, "")
				default:
					s.anomaly(KindConflictingCL, "")
				}
			}
		case fkTransferEncoding:
			teSeen = true
			for el := range splitList(s.val(f)) {
				lastChunked = false
				switch c := lowerCoding(el); c {
				case "chunked":
					lastChunked = true
				case "gzip", "x-gzip", "deflate":
					s.teCodings = append(s.teCodings, c)
				default:
					teBad = true
					s.anomaly(KindUnknownTE, clip([]byte(el)))
				}
			}
		}
	}
	if teSeen {
		if cl >= 0 || clBad {
			s.anomaly(KindCLWithTE, "")
		}
		if lastChunked {
			if s.msg.Version == "HTTP/1.0" {
				s.anomaly(KindChunkedBelowHTTP11, "")
			}
			return bodyChunked, 0
		}
		if !teBad {
			s.anomaly(KindUnknownTE, "chunked is not the final coding")
		}
		if isReq {
			return bodyNone, 0
		}
		return bodyClose, 0
	}
	switch {
	case clBad && isReq:
		return bodyNone, 0
	case clBad:
		return bodyClose, 0
	case cl > 0:
		return bodyLength, cl
	case cl == 0 || isReq:
		return bodyNone, 0
	}
	return bodyClose, 0
}

// codings collects the codings to undo, outermost first: transfer codings
// other than chunked, then content codings, each in reverse order of
// application.
func (s *stream) codings() {
	for i := len(s.teCodings) - 1; i >= 0; i-- {
		s.layers = append(s.layers, s.teCodings[i])
	}
	var ce []string
	for _, f := range s.fields {
		if f.kind != fkContentEncoding {
			continue
		}
		for el := range splitList(s.val(f)) {
			switch c := lowerCoding(el); {
			case decoders.Supported(c):
				ce = append(ce, c)
			case c == "identity":
			default:
				s.unsupported = true
			}
		}
	}
	for i := len(ce) - 1; i >= 0; i-- {
		s.layers = append(s.layers, ce[i])
	}
}

func (s *stream) val(f field) string { return s.str[f.v0:f.v1] }

func (s *stream) startBody(mode bodyMode, n int64) {
	s.codings()
	switch mode {
	case bodyNone:
		s.endMessage(false)
	case bodyLength:
		if s.keep {
			s.body = make([]byte, 0, int(min(n, int64(s.lim().MaxBodyBytes))))
		}
		s.remaining = n
		s.state = stBody
	case bodyChunked:
		s.state = stChunkSize
	case bodyClose:
		s.state = stBodyClose
	}
}

// refusedUpgrade reports whether status, the answer to WebSocket upgrade
// request t, refuses it as a back end refuses a WebSocket smuggling
// attempt: a 426 (RFC 6455 §4.4, the version it asked is not spoken), or
// any answer but 101 to a Sec-WebSocket-Version that is not 13, the only
// one (the attack's "1337"). A 401, 403 or 404 to a well-formed handshake
// (an expired token, a moved endpoint) on a pooled proxy connection that
// carries other requests next is no such sign, nor is a handshake without
// the version (or with it past the header limits) answered so.
func refusedUpgrade(t *txn, status int) bool {
	if status == 101 || !upgradesWebSocket(t.upgrade) {
		return false
	}
	if status == 426 {
		return true
	}
	v, ok := decoders.Get(t.req.Headers, "Sec-WebSocket-Version")
	return ok && strings.TrimSpace(v) != "13"
}

func (s *stream) requestHeadersDone() {
	t := s.t
	for _, f := range s.fields {
		if f.kind == fkUpgrade && t.upgrade == "" {
			t.upgrade = s.val(f)
		}
	}
	if s.d.refusedWS {
		// A client may retry the handshake (with another version): its
		// answer tells (beginResponse). Any other request is one the
		// proxy may have tunnelled.
		if upgradesWebSocket(t.upgrade) {
			t.wsRetry = true
		} else {
			s.anomaly(KindRequestAfterRefusedUpgrade, "a request after the server refused a WebSocket upgrade")
		}
	}
	s.startBody(s.framing(true))
}

func (s *stream) responseHeadersDone() {
	t, st := s.t, s.msg.Status
	if s.tent101 {
		var up string
		for _, f := range s.fields {
			if f.kind == fkUpgrade {
				up = s.val(f)
				break
			}
		}
		if up == "" {
			up = t.upgrade
		}
		if up != "" && t.upgrade != "" {
			s.switchTo(upgradeName(up))
			return
		}
		s.anomaly(KindUnexpected101, "101 without an Upgrade request")
		t.resp = decoders.Message{}
		s.t, s.msg, s.tent101 = nil, nil, false
		s.state = stStart
		return
	}
	if t != nil && !s.interim && t.connect && st/100 == 2 {
		s.switchTo("tunnel")
		return
	}
	if st/100 == 1 || st == 204 || st == 304 || (t != nil && t.head) {
		s.endMessage(false)
		return
	}
	s.startBody(s.framing(false))
}

// switchTo ends the decoder: the exchange of the switch is emitted and the
// bytes past the switch point go to the next protocol.
func (s *stream) switchTo(proto string) {
	d := s.d
	t := s.t
	if s.tent101 {
		d.pop()
		t.answered = true
		t.x.Response = &t.resp
	}
	s.t, s.msg = nil, nil
	sw := &decoders.Switch{Proto: proto, At: s.at, Seq: d.seq}
	if t != nil {
		req := t.req // a copy: the upgrade exchange keeps its own
		sw.Request = &req
	}
	c := &d.dirs[sensor.ClientToServer]
	if c.state == stHold && c.hold == t {
		sw.Pending[sensor.ClientToServer] = c.held
		c.held, c.hold = nil, nil
		c.state = stStart
	}
	if !t.reqDone {
		t.req.Incomplete = true
		t.reqDone = true
	}
	t.respDone = true
	d.emit(t)
	d.flush()
	d.sw = sw
	d.done = true
}

// endMessage finishes the current message; an incomplete one leaves the
// direction out of sync.
func (s *stream) endMessage(incomplete bool) {
	m, t := s.msg, s.t
	if incomplete {
		m.Incomplete = true
	}
	s.flush()
	s.finishBody()
	s.msg, s.t = nil, nil
	s.state = stStart
	if incomplete {
		s.state = stResync
	}
	if s.dir == sensor.ClientToServer {
		t.reqDone = true
		switch {
		case t.respDone:
			s.d.emit(t)
		case !incomplete && !t.answered && (t.upgrade != "" || t.connect):
			s.state = stHold
			s.hold = t
		}
		return
	}
	if s.interim || t == nil || m == s.scratch {
		s.interim = false
		return
	}
	if s.tent101 {
		// A 101 cut short: whether the protocol switched is unknown, so
		// the answer stands as a (broken) final response.
		s.tent101 = false
		s.d.pop()
		t.answered = true
		t.x.Response = &t.resp
		if c := &s.d.dirs[sensor.ClientToServer]; c.hold == t {
			c.release()
		}
	}
	t.respDone = true
	if t.reqDone {
		s.d.emit(t)
	}
}

func (s *stream) bodyBytes(p []byte) {
	s.touch()
	m := s.msg
	m.WireBodyLen += int64(len(p))
	if !s.keep {
		return
	}
	if s.capped {
		m.BodyTruncated = true
		return
	}
	if room := s.lim().MaxBodyBytes - len(s.body); len(p) > room {
		p = p[:room]
		m.BodyTruncated = true
	}
	s.body = append(s.body, p...)
}

func (s *stream) finishBody() {
	m := s.msg
	body := s.body
	s.body = nil
	if !s.keep {
		return
	}
	if m.WireBodyLen > 0 && (len(s.layers) > 0 || s.unsupported) {
		s.decodeBody(m, body)
		return
	}
	m.Body = body
}

// holdBytes keeps client bytes that follow an Upgrade or CONNECT request
// until the server answers; past the bound they are parsed as HTTP.
func (s *stream) holdBytes(data []byte) []byte {
	if len(s.held)+len(data) <= s.lim().MaxBodyBytes {
		if len(s.held) == 0 {
			s.heldAt = s.at
		}
		s.held = append(s.held, data...)
		return nil
	}
	s.d.env.Counts.Inc(CountHoldOverflow)
	s.release()
	return data
}

// release parses the held client bytes as HTTP.
func (s *stream) release() {
	if s.state != stHold {
		return
	}
	held := s.held
	s.held, s.hold = nil, nil
	s.state = stStart
	if len(held) == 0 {
		return
	}
	at, frames, touched := s.at, s.frames, s.touched
	s.at, s.frames, s.touched = s.heldAt, nil, nil
	s.feed(held)
	s.at, s.frames, s.touched = at, frames, touched
}

// gap handles n bytes lost before the next chunk.
func (s *stream) gap(n int) {
	s.d.env.Counts.Add(CountGapBytes, uint64(n))
	s.d.unsure = true
	s.release()
	s.discard, s.long = false, false
	switch s.state {
	case stStart, stResync:
		if len(s.buf) > 0 && s.state == stStart {
			s.d.anomaly(nil, s.dir, KindGap, "bytes lost inside a start line")
		}
		s.resetBuf()
		s.state = stResync
		return
	case stBody, stChunkData, stBodyClose:
		if s.state == stBodyClose || int64(n) < s.remaining {
			// The framing survives: skip the lost bytes and stay in sync.
			s.anomaly(KindGap, "bytes lost inside a body")
			m := s.msg
			m.Incomplete, m.BodyTruncated = true, true
			m.WireBodyLen += int64(n)
			s.capped = true
			if s.state != stBodyClose {
				s.remaining -= int64(n)
			}
			return
		}
	}
	s.anomaly(KindGap, "bytes lost inside a message")
	s.resetBuf()
	s.endMessage(true)
}

// close ends the direction when the connection ends.
func (s *stream) close(reason sensor.EndReason) {
	switch s.state {
	case stStart, stResync, stHold:
		return
	case stBodyClose:
		s.endMessage(reason != sensor.EndFIN)
	default:
		s.endMessage(true)
	}
}

// clip bounds text copied from the wire into an anomaly detail.
func clip(b []byte) string {
	const n = 64
	if len(b) > n {
		b = b[:n]
	}
	return string(b)
}
