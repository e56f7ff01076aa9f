package http2

import (
	"github.com/apisensor/sensor/decoders"
)

// Preface is the client connection preface (RFC 9113 §3.4).
const Preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"

// Sniff recognises HTTP/2 with prior knowledge by the client preface (seen
// from the server side it answers Reversed). On a connection joined
// mid-stream it looks for a run of back-to-back plausible frames in either
// direction, and tells the client side by the request or response
// pseudo-header a HEADERS frame starts with, or by PUSH_PROMISE.
func Sniff(client, server []byte, midStream bool) decoders.Verdict {
	c, s := prefaceMatch(client), prefaceMatch(server)
	switch {
	case c == matchFull:
		return decoders.Yes
	case s == matchFull:
		return decoders.Reversed
	}
	if midStream {
		cf, cside := findFrames(client)
		sf, sside := findFrames(server)
		switch {
		case cf == chainYes && cside == sideServer, sf == chainYes && sside == sideClient:
			return decoders.Reversed
		case cf == chainYes, sf == chainYes:
			return decoders.Yes
		}
		// The next frame boundary may come once the window slides.
		return decoders.NeedMore
	}
	if c == matchPrefix {
		// Includes no client bytes yet.
		return decoders.NeedMore
	}
	return decoders.No
}

type prefaceVerdict uint8

const (
	matchNo prefaceVerdict = iota
	matchPrefix
	matchFull
)

func prefaceMatch(b []byte) prefaceVerdict {
	n := min(len(b), len(Preface))
	if string(b[:n]) != Preface[:n] {
		return matchNo
	}
	if n == len(Preface) {
		return matchFull
	}
	return matchPrefix
}

type sideHint uint8

const (
	sideUnknown sideHint = iota
	sideClient
	sideServer
)

// findFrames looks for a run of frames anywhere in b and says which side
// sent it when the frames tell.
func findFrames(b []byte) (chainVerdict, sideHint) {
	more := chainNo
	for i := 0; i+headerLen <= len(b); i++ {
		switch chainAt(b[i:], defaultMaxFrame, false, false) {
		case chainYes:
			return chainYes, frameSide(b[i:])
		case chainMore:
			more = chainMore
		}
	}
	return more, sideUnknown
}

// frameSide guesses the sender of the frames that b starts with: requests
// start their header block with :method, :path, :scheme or :authority
// (static indexes 1-7), responses with :status (8-14); only servers push.
func frameSide(b []byte) sideHint {
	for k := 0; k < chainFrames && len(b) >= headerLen; k++ {
		h := parseHeader(b)
		p := b[headerLen:min(len(b), headerLen+int(h.length))]
		b = b[min(len(b), headerLen+int(h.length)):]
		switch h.typ {
		case framePushPromise:
			return sideServer
		case frameHeaders:
			if h.stream%2 == 0 {
				return sideServer
			}
			if h.has(flagPadded) && len(p) > 0 {
				p = p[1:]
			}
			if h.has(flagPriority) {
				p = p[min(len(p), 5):]
			}
			for len(p) > 0 && p[0]&0xe0 == 0x20 {
				// Skip a table size update (one byte when small).
				if _, rest, err := readInt(p, 5); err == nil {
					p = rest
				} else {
					p = nil
				}
			}
			if len(p) == 0 {
				continue
			}
			var i byte
			switch {
			case p[0]&0x80 != 0: // indexed field
				i = p[0] & 0x7f
			case p[0]&0xc0 == 0x40: // literal with indexing
				i = p[0] & 0x3f
			default: // literal without indexing, or never indexed
				i = p[0] & 0x0f
			}
			switch {
			case i >= 1 && i <= 7:
				return sideClient
			case i >= 8 && i <= 14:
				return sideServer
			}
		}
	}
	return sideUnknown
}
