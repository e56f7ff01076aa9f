package grpc

import (
	"strings"

	"github.com/apisensor/sensor/decoders"
)

// b64 maps a base64 character to its value, 0xff for others. Both the
// standard and the URL-safe alphabets are accepted: the point is to see what
// a lenient proxy would decode.
var b64 = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xff
	}
	const std = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	for i := 0; i < len(std); i++ {
		t[std[i]] = byte(i)
	}
	t['-'], t['_'] = 62, 63
	return t
}()

// decodeText undoes grpc-web-text: the framed body in base64. Servers encode
// each write on its own, so a body is often several padded base64 runs back
// to back, with '=' in the middle; whitespace is skipped. It returns what
// decoded and whether the whole text was valid. With cut set (the body was
// truncated) an incomplete last quantum is dropped without complaint; without
// it, an unpadded last quantum of 2 or 3 characters is accepted.
func decodeText(b []byte, cut bool) ([]byte, bool) {
	out := make([]byte, 0, len(b)/4*3+3)
	var q [4]byte
	n := 0
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch c {
		case ' ', '\t', '\r', '\n':
			continue
		case '=':
			if n < 2 {
				return out, false
			}
			out = flushQuantum(out, q, n)
			n = 0
			// Skip the rest of the padding.
			for i+1 < len(b) && b[i+1] == '=' {
				i++
			}
			continue
		}
		v := b64[c]
		if v == 0xff {
			return out, false
		}
		q[n] = v
		n++
		if n == 4 {
			out = append(out, q[0]<<2|q[1]>>4, q[1]<<4|q[2]>>2, q[2]<<6|q[3])
			n = 0
		}
	}
	switch {
	case n == 0 || cut:
		return out, true
	case n == 1:
		return out, false
	}
	return flushQuantum(out, q, n), true
}

// flushQuantum appends the bytes of a partial quantum of n (2 or 3)
// characters.
func flushQuantum(out []byte, q [4]byte, n int) []byte {
	out = append(out, q[0]<<2|q[1]>>4)
	if n == 3 {
		out = append(out, q[1]<<4|q[2]>>2)
	}
	return out
}

// parseTrailerBlock reads the payload of a grpc-web trailer frame: lines of
// "name:value" separated by CRLF (LF alone accepted). Names are lower-cased
// and both sides trimmed. It keeps at most maxHeaders fields and returns the
// number of non-empty lines without ':'.
func parseTrailerBlock(p []byte, maxHeaders int) (hs []decoders.Header, bad int) {
	s := string(p)
	for s != "" {
		var line string
		line, s, _ = strings.Cut(s, "\n")
		line = strings.TrimRight(line, "\r")
		if strings.TrimSpace(line) == "" {
			continue
		}
		name, value, ok := strings.Cut(line, ":")
		if !ok {
			bad++
			continue
		}
		if len(hs) >= maxHeaders {
			continue
		}
		hs = append(hs, decoders.Header{
			Name:  strings.ToLower(strings.TrimSpace(name)),
			Value: strings.Trim(value, " \t"),
		})
	}
	return hs, bad
}
