package decoders

import (
	"encoding/binary"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// KindBodyUnicode is the anomaly of a request body written in UTF-16 or
// UTF-32, which the parameters were read from once converted to UTF-8. API
// clients send UTF-8; the wide forms are a known way past filters that read
// the bytes as they come (a NUL in every other byte hides every keyword),
// while the back end reads them as well as UTF-8: Jackson and Python's json
// detect them from the first bytes (RFC 4627), XML parsers from the byte
// order mark or the declaration, ASP.NET and others from the charset.
const KindBodyUnicode = "http.body_utf16_utf32"

// Unicode encodings a body may be written in.
const (
	encUTF16LE = "utf-16le"
	encUTF16BE = "utf-16be"
	encUTF32LE = "utf-32le"
	encUTF32BE = "utf-32be"
)

// wideBody returns body converted to UTF-8, and the encoding it was in, when
// it is written in UTF-16 or UTF-32: as a byte order mark says, else as the
// Content-Type's charset says, else, for a body that may be JSON or XML (the
// media type names either, or none), as its first bytes show. A body in none
// of these is returned as it is, with "".
//
// Whatever names the encoding, the bytes must agree: after a byte order
// mark the first character is ASCII in that encoding, else the zero bytes
// of the first two characters say it. Every wide body worth reading starts
// so (a JSON or XML document, a form's first name), and a byte order mark
// or a charset put before or on a body in UTF-8 is a way to hide it from a
// reader that believes them, when the back end does not (PHP and Go ignore
// a form's charset and skip a multipart preamble; Jackson reads JSON's
// encoding from its bytes).
func wideBody(ct string, body []byte) ([]byte, string) {
	if len(body) < 4 {
		return body, ""
	}
	if enc, skip := bomEncoding(body); enc != "" {
		// After a byte order mark the first character alone must be
		// ASCII: XML's '<' may be followed by a name in any script.
		if !asciiFirst(body[skip:], enc) {
			return body, ""
		}
		return fromWide(body[skip:], enc), enc
	}
	enc := charsetEncoding(ct, body)
	if enc == "" && mayBeMarkup(ct) {
		enc = zeroPattern(body)
	}
	if enc == "" || zeroPattern(body) != enc {
		return body, ""
	}
	return fromWide(body, enc), enc
}

// BodyText returns m's body as UTF-8, converted from UTF-16 or UTF-32 as
// ExtractParams reads a body (wideBody), for a detector that reads a body
// whole: a JSON or XML body in UTF-16 is what Jackson and .NET parse.
func BodyText(m *Message) []byte {
	ct, _ := Get(m.Headers, "content-type")
	b, _ := wideBody(ct, m.Body)
	return b
}

// asciiFirst reports whether b starts with an ASCII character other than
// NUL written in enc.
func asciiFirst(b []byte, enc string) bool {
	ascii := func(c byte) bool { return c != 0 && c < 0x80 }
	switch enc {
	case encUTF16LE:
		return len(b) >= 2 && ascii(b[0]) && b[1] == 0
	case encUTF16BE:
		return len(b) >= 2 && b[0] == 0 && ascii(b[1])
	case encUTF32LE:
		return len(b) >= 4 && ascii(b[0]) && b[1] == 0 && b[2] == 0 && b[3] == 0
	case encUTF32BE:
		return len(b) >= 4 && b[0] == 0 && b[1] == 0 && b[2] == 0 && ascii(b[3])
	}
	return false
}

// bomEncoding reads a UTF-16 or UTF-32 byte order mark.
func bomEncoding(b []byte) (string, int) {
	switch {
	case len(b) >= 4 && b[0] == 0xff && b[1] == 0xfe && b[2] == 0 && b[3] == 0:
		return encUTF32LE, 4
	case len(b) >= 4 && b[0] == 0 && b[1] == 0 && b[2] == 0xfe && b[3] == 0xff:
		return encUTF32BE, 4
	case len(b) >= 2 && b[0] == 0xff && b[1] == 0xfe:
		return encUTF16LE, 2
	case len(b) >= 2 && b[0] == 0xfe && b[1] == 0xff:
		return encUTF16BE, 2
	}
	return "", 0
}

// charsetEncoding reads a wide charset in the Content-Type. "utf-16" and
// "utf-32" name no byte order: the first bytes decide, little-endian (what
// Windows writes) unless the first is zero.
func charsetEncoding(ct string, b []byte) string {
	cs, ok := mediaParam(ct, "charset")
	if !ok {
		return ""
	}
	cs = strings.ToLower(strings.Trim(cs, "\"' "))
	switch cs {
	case encUTF16LE, encUTF16BE, encUTF32LE, encUTF32BE:
		return cs
	case "utf-16", "utf16", "ucs-2", "unicode":
		if len(b) > 0 && b[0] == 0 {
			return encUTF16BE
		}
		return encUTF16LE
	case "utf-32", "utf32", "ucs-4":
		if len(b) > 0 && b[0] == 0 {
			return encUTF32BE
		}
		return encUTF32LE
	}
	return ""
}

// mayBeMarkup reports whether a body of media type ct is parsed or sniffed
// as JSON or XML (classifyBody).
func mayBeMarkup(ct string) bool {
	mt, _, sub := mediaType(ct)
	return sniffed(mt) || documentKind(sub) != bodyNone
}

// zeroPattern tells the encoding of text whose first two characters are
// ASCII from where its zero bytes are.
func zeroPattern(b []byte) string {
	if len(b) < 4 {
		return ""
	}
	z := [4]bool{b[0] == 0, b[1] == 0, b[2] == 0, b[3] == 0}
	switch z {
	case [4]bool{true, true, true, false}:
		return encUTF32BE
	case [4]bool{false, true, true, true}:
		return encUTF32LE
	case [4]bool{true, false, true, false}:
		return encUTF16BE
	case [4]bool{false, true, false, true}:
		return encUTF16LE
	}
	return ""
}

// fromWide converts b from enc to UTF-8. An odd trailing byte (a cut body)
// is dropped; an invalid code unit becomes U+FFFD.
func fromWide(b []byte, enc string) []byte {
	out := make([]byte, 0, len(b))
	order := binary.ByteOrder(binary.LittleEndian)
	if enc == encUTF16BE || enc == encUTF32BE {
		order = binary.BigEndian
	}
	switch enc {
	case encUTF32LE, encUTF32BE:
		for ; len(b) >= 4; b = b[4:] {
			r := order.Uint32(b)
			out = utf8.AppendRune(out, rune(min(r, utf8.MaxRune+1))) // past the range: U+FFFD
		}
	default:
		for ; len(b) >= 2; b = b[2:] {
			u := order.Uint16(b)
			if utf16.IsSurrogate(rune(u)) && len(b) >= 4 {
				if r := utf16.DecodeRune(rune(u), rune(order.Uint16(b[2:]))); r != utf8.RuneError {
					out = utf8.AppendRune(out, r)
					b = b[2:]
					continue
				}
			}
			out = utf8.AppendRune(out, rune(u)) // a lone surrogate: U+FFFD
		}
	}
	return out
}
