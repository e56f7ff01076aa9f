package http1

import (
	"bytes"

	"github.com/apisensor/sensor/decoders"
)

// Sniff recognises HTTP/1 from the first bytes of each direction: a known
// method and a space from the client, "HTTP/1." from the server. Seen the
// other way round it answers Reversed. A connection picked up mid-stream
// may start inside a message, so there a start line after a CRLF counts.
func Sniff(client, server []byte, midStream bool) decoders.Verdict {
	c, s := classify(client), classify(server)
	switch {
	case c == sniffRequest:
		return decoders.Yes
	case c == sniffResponse:
		return decoders.Reversed
	case s == sniffResponse:
		return decoders.Yes
	case s == sniffRequest:
		return decoders.Reversed
	}
	if midStream {
		c, s = search(client), search(server)
		switch {
		case c == sniffRequest, s == sniffResponse:
			return decoders.Yes
		case c == sniffResponse, s == sniffRequest:
			return decoders.Reversed
		}
		// The next message start may be further on.
		return decoders.NeedMore
	}
	if c == sniffMaybe && s != sniffNo {
		return decoders.NeedMore
	}
	return decoders.No
}

type sniffClass uint8

const (
	sniffNo sniffClass = iota
	sniffMaybe
	sniffRequest
	sniffResponse
)

// classify tells what the bytes at the start of a stream begin. Empty lines
// before a request line are skipped, as servers do (RFC 9112 section 2.2).
func classify(b []byte) sniffClass {
	b = bytes.TrimLeft(b, "\r\n")
	if len(b) == 0 {
		return sniffMaybe
	}
	n := min(len(b), len(statusPrefix))
	if string(b[:n]) == statusPrefix[:n] {
		if n == len(statusPrefix) {
			return sniffResponse
		}
		return sniffMaybe
	}
	for i, c := range b {
		if c == ' ' {
			if knownMethod(b[:i]) != "" {
				return sniffRequest
			}
			return sniffNo
		}
		if i >= 12 || !isMethodChar(c) {
			return sniffNo
		}
	}
	return sniffMaybe
}

// search looks for a start line after a CRLF.
func search(b []byte) sniffClass {
	for {
		i := bytes.Index(b, crlf)
		if i < 0 {
			return sniffNo
		}
		b = b[i+2:]
		if c := classify(b); c == sniffRequest || c == sniffResponse {
			return c
		}
	}
}

var crlf = []byte("\r\n")
