package grpc

import (
	"encoding/binary"
	"errors"
	"io"
	"strconv"
	"strings"

	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/apisensor/sensor/decoders"
	"github.com/apisensor/sensor/decoders/protobuf"
	"github.com/apisensor/sensor/sensor"
)

// Message prefix flags (gRPC over HTTP/2, and the grpc-web trailer bit).
const (
	flagCompressed = 0x01
	flagTrailer    = 0x80
	prefixLen      = 5
)

// frame is one length-prefixed message cut out of a body.
type frame struct {
	flag    byte
	length  int    // declared
	payload []byte // what the body holds of it
	cut     bool   // payload is shorter than length
}

// frameErr says why framing stopped before the end of a body.
type frameErr uint8

const (
	frameOK       frameErr = iota
	frameBadFlag           // undefined flag bits: the framing is lost
	frameTrailing          // fewer than prefixLen bytes left, body not cut
)

// nextFrame reads the frame at b[off:]. It returns ok false at the end of b,
// with err set when the end is not clean. A frame whose declared length runs
// past the end of b is returned with cut set; it is always the last.
func nextFrame(b []byte, off int, web bool) (f frame, next int, ok bool, err frameErr) {
	if off >= len(b) {
		return f, off, false, frameOK
	}
	if len(b)-off < prefixLen {
		return f, len(b), false, frameTrailing
	}
	f.flag = b[off]
	allowed := byte(flagCompressed)
	if web {
		allowed |= flagTrailer
	}
	if f.flag&^allowed != 0 {
		return f, len(b), false, frameBadFlag
	}
	n := binary.BigEndian.Uint32(b[off+1:])
	f.length = int(n)
	start := off + prefixLen
	if uint64(n) > uint64(len(b)-start) {
		f.payload, f.cut = b[start:], true
		return f, len(b), true, frameOK
	}
	f.payload = b[start : start+int(n)]
	return f, start + int(n), true, frameOK
}

// walker turns the bodies of one exchange into gRPC messages.
type walker struct {
	env   *decoders.Env
	x     *decoders.Exchange
	lim   *decoders.Limits
	plim  protobuf.Limits
	codec codec
	// json renders messages as JSON (Enricher.JSON).
	json bool
	// paramMax bounds len(x.Params) for the parameters added here.
	paramMax int
}

// messages splits m's body into gRPC messages, decodes them and, for the
// request, appends their parameters to x.Params. It returns the messages kept
// (at most Limits.MaxGRPCMessages), the number seen, and the header lines of
// a grpc-web trailer frame.
func (w *walker) messages(m *decoders.Message, dir sensor.Direction, text bool, encoding string, md protoreflect.MessageDescriptor) (kept []decoders.GRPCMessage, total int, trailers []decoders.Header) {
	body := m.Body
	// A body cut by the capture ends wherever it ends: no framing anomaly
	// for its last message.
	cut := m.BodyTruncated || m.Incomplete
	if text {
		var ok bool
		if body, ok = decodeText(body, cut); !ok {
			w.anomaly(KindWebBadBase64, "grpc-web-text body is not base64; decoded "+strconv.Itoa(len(body))+" bytes before the error", dir)
			cut = true
		}
	}
	web := w.x.GRPC.Web

	// Count first: parameter names carry the message index only when the
	// request holds several messages.
	var trailerSeen bool
	for off := 0; ; {
		f, next, ok, _ := nextFrame(body, off, web)
		if !ok {
			break
		}
		if f.flag&flagTrailer == 0 {
			total++
		}
		off = next
	}
	if total > 0 {
		kept = make([]decoders.GRPCMessage, 0, min(total, w.lim.MaxGRPCMessages))
	}
	if total > w.lim.MaxGRPCMessages {
		w.env.Counts.Add(CountMessagesDropped, uint64(total-w.lim.MaxGRPCMessages))
	}
	indexed := dir == sensor.ClientToServer && total > 1
	budget := w.lim.MaxDecompressedBytes

	idx := 0
	for off := 0; ; {
		f, next, ok, ferr := nextFrame(body, off, web)
		switch ferr {
		case frameBadFlag:
			w.anomaly(KindBadFrame, "message flag 0x"+strconv.FormatUint(uint64(body[off]), 16)+" at offset "+strconv.Itoa(off), dir)
		case frameTrailing:
			if !cut {
				w.anomaly(KindBadFrame, strconv.Itoa(len(body)-off)+" stray bytes after the last message", dir)
			}
		}
		if !ok {
			break
		}
		off = next
		if f.length > MaxMessageBytes {
			w.anomaly(KindMessageTooLarge, "declared length "+strconv.Itoa(f.length), dir)
		} else if f.cut && !cut {
			w.anomaly(KindBadFrame, "declared length "+strconv.Itoa(f.length)+" past the body end ("+strconv.Itoa(len(f.payload))+" bytes left)", dir)
		}
		if f.flag&flagTrailer != 0 {
			trailers = w.trailerFrame(f, dir, encoding, trailerSeen)
			trailerSeen = true
			continue
		}
		if trailerSeen {
			w.anomaly(KindWebBadTrailer, "message after the trailer frame", dir)
		}
		msg := decoders.GRPCMessage{
			Index:      idx,
			Compressed: f.flag&flagCompressed != 0,
			Length:     f.length,
			Data:       f.payload,
			Truncated:  f.cut,
		}
		idx++
		keep := len(kept) < w.lim.MaxGRPCMessages
		if !keep && dir != sensor.ClientToServer {
			continue // responses past the bound are only counted
		}
		decode := true
		if msg.Compressed {
			decode = w.inflate(&msg, encoding, &budget, dir)
		}
		if decode {
			w.decode(&msg, md, dir, indexed, keep)
		}
		if keep {
			kept = append(kept, msg)
		}
	}
	return kept, total, trailers
}

// Codings for decoders.Inflate, shared so that no call allocates them.
var (
	codingGzip    = []string{"gzip"}
	codingDeflate = []string{"deflate"}
)

// inflate undoes the message's compression in place and reports whether the
// result is worth decoding. The bytes kept over all messages of a direction
// are bounded by Limits.MaxDecompressedBytes (budget), each message by
// Limits.MaxBodyBytes.
func (w *walker) inflate(msg *decoders.GRPCMessage, encoding string, budget *int, dir sensor.Direction) bool {
	var codings []string
	switch enc := strings.ToLower(strings.TrimSpace(encoding)); enc {
	case "gzip":
		codings = codingGzip
	case "deflate":
		codings = codingDeflate
	case "", "identity":
		// The spec makes this a protocol error; the payload is most
		// likely plain, so it is still decoded.
		w.anomaly(KindBadCompression, "compressed flag without grpc-encoding", dir)
		return true
	default:
		w.env.Counts.Inc(CountUnknownEncoding)
		return false
	}
	if *budget <= 0 {
		// Spent by the messages before: this one and the rest are not
		// read (a stream of small messages that inflate to the bound
		// each, then the payload), which is said once.
		if *budget == 0 {
			w.anomaly(KindDecompressionBudget, "messages from "+strconv.Itoa(msg.Index)+" on not inflated: the "+
				strconv.Itoa(w.lim.MaxDecompressedBytes)+" decompressed bytes of the direction are spent", dir)
			*budget = -1
		}
		msg.Data, msg.Truncated = nil, true
		return false
	}
	out, total, err := decoders.Inflate(msg.Data, codings, min(w.lim.MaxBodyBytes, *budget), w.lim.MaxDecompressedBytes)
	*budget -= len(out)
	switch {
	case total > int64(w.lim.MaxDecompressedBytes):
		w.anomaly(KindDecompressionBomb, "message "+strconv.Itoa(msg.Index)+" inflates past "+strconv.Itoa(w.lim.MaxDecompressedBytes)+" bytes", dir)
	case err != nil && !(msg.Truncated && errors.Is(err, io.ErrUnexpectedEOF)):
		w.anomaly(KindBadCompression, "message "+strconv.Itoa(msg.Index)+": "+encoding+": "+err.Error(), dir)
	}
	msg.Data = out
	if err != nil || total > int64(len(out)) {
		msg.Truncated = true
	}
	return true
}

// decode fills msg.JSON (when kept) and, for a request, appends the message's
// parameters.
func (w *walker) decode(msg *decoders.GRPCMessage, md protoreflect.MessageDescriptor, dir sensor.Direction, indexed, keep bool) {
	req := dir == sensor.ClientToServer
	if !req && !w.json {
		return // responses are decoded only to be shown
	}
	keep = keep && w.json
	start := len(w.x.Params)
	switch w.codec {
	case codecJSON:
		if keep {
			msg.JSON = string(msg.Data)
		}
		if req {
			l := *w.lim
			l.MaxParams = w.paramMax
			var dropped int
			w.x.Params, dropped = decoders.AppendJSONParams(w.x.Params, msg.Data, &l)
			w.dropped(dropped)
		}
	case codecProto:
		tree, err := protobuf.DecodeWith(msg.Data, md, w.plim)
		// A message cut by the capture is malformed at its end, which is
		// not the sender's doing.
		if err != nil && !(msg.Truncated && (errors.Is(err, protobuf.ErrMalformed) || errors.Is(err, protobuf.ErrSchemaMismatch))) {
			w.anomaly(protobuf.AnomalyKind(err), "message "+strconv.Itoa(msg.Index)+": "+err.Error(), dir)
		}
		if keep {
			msg.JSON = protobuf.JSON(tree)
		}
		if req {
			w.protoParams(tree)
		}
	default:
		return
	}
	if indexed {
		prefixNames(w.x.Params[start:], msg.Index)
	}
}

// protoParams appends the parameters of tree within paramMax.
func (w *walker) protoParams(tree *protobuf.Message) {
	room := w.paramMax - len(w.x.Params)
	if room <= 0 {
		// protobuf.Limits has no zero bound: walk into nothing to count
		// what is dropped.
		l := w.plim
		l.MaxParams = 1
		ps, dropped := protobuf.AppendParams(nil, tree, l)
		w.dropped(dropped + len(ps))
		return
	}
	l := w.plim
	l.MaxParams = room
	var dropped int
	w.x.Params, dropped = protobuf.AppendParams(w.x.Params, tree, l)
	w.dropped(dropped)
}

func (w *walker) dropped(n int) {
	if n > 0 {
		w.env.Counts.Add(decoders.CountParamsDropped, uint64(n))
	}
}

// prefixNames puts "[i]." before each name ("[i]" alone for an empty one).
func prefixNames(ps []decoders.Param, i int) {
	if len(ps) == 0 {
		return
	}
	var b strings.Builder
	pre := "[" + strconv.Itoa(i) + "]"
	for j := range ps {
		b.Reset()
		b.Grow(len(pre) + 1 + len(ps[j].Name))
		b.WriteString(pre)
		if ps[j].Name != "" {
			b.WriteByte('.')
			b.WriteString(ps[j].Name)
		}
		ps[j].Name = b.String()
	}
}

// trailerFrame reads a grpc-web trailer frame: HTTP/1-style header lines.
func (w *walker) trailerFrame(f frame, dir sensor.Direction, encoding string, again bool) []decoders.Header {
	if dir == sensor.ClientToServer {
		w.anomaly(KindBadFrame, "grpc-web trailer frame in a request", dir)
		return nil
	}
	if again {
		w.anomaly(KindWebBadTrailer, "second trailer frame", dir)
	}
	p := f.payload
	if f.flag&flagCompressed != 0 {
		msg := decoders.GRPCMessage{Data: p, Truncated: f.cut}
		budget := w.lim.MaxHeaderBytes
		if !w.inflate(&msg, encoding, &budget, dir) {
			return nil
		}
		p = msg.Data
	}
	hs, bad := parseTrailerBlock(p, w.lim.MaxHeaders)
	if bad > 0 && !f.cut {
		w.anomaly(KindWebBadTrailer, strconv.Itoa(bad)+" trailer lines without ':'", dir)
	}
	return hs
}

func (w *walker) anomaly(kind, detail string, dir sensor.Direction) {
	w.env.Anomaly(w.x, decoders.Anomaly{Kind: kind, Detail: detail, Dir: dir})
}
