package decoders

//go:generate go run gen_ebcdic.go

import (
	"bytes"
	"encoding/binary"
	"fmt"
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

// KindBodyEBCDIC is the anomaly of a request declared in an EBCDIC code
// page (IBM037 and its kin) by its Content-Type, or whose body is XML in
// EBCDIC, which the parameters were also read from converted
// (extractor.reread). No API client writes EBCDIC; it is a known way past
// filters (Dalili, "WAF bypass techniques using request encoding", 2017):
// Django decodes a form in the charset its Content-Type names, ASP.NET and
// Tomcat the bytes of each percent-decoded form field (ASP.NET the query
// string's too), Spring a JSON body, and Java's and .NET's XML parsers a
// document that starts with "<?xml" in EBCDIC, so "' or 1=1--" travels as
// 7D 40 96 99 40 F1 7E F1 60 60.
const KindBodyEBCDIC = "http.body_ebcdic"

// KindBodyUTF7 is the anomaly of a request declared in UTF-7, which the
// parameters were also read from converted: "' or 1=1--" travels as
// "+ACc- or 1+AD0-1--". Django decodes a form in it (Python's codec), and
// ASP.NET on the .NET Framework a form, a query string and an XML document
// that declares it.
const KindBodyUTF7 = "http.body_utf7"

// bodyCharset is a charset other than UTF-8, UTF-16 and UTF-32 that a
// request is read again from (extractor.reread).
type bodyCharset struct {
	// kind is the anomaly recorded, name the charset as it is known.
	kind, name string
	// decode appends src, in the charset, to dst as UTF-8.
	decode func(dst, src []byte) []byte
	// header: the Content-Type names it (ASP.NET then decodes the query
	// string in it too), rather than the body's first bytes.
	header bool
}

// maxCharsets bounds the charsets a request is read again in.
const maxCharsets = 3

// declaredCharsets returns the charsets, EBCDIC or UTF-7, a request of
// Content-Type ct with body body is declared in: the one ASP.NET finds
// (aspnetAttr), every charset parameter of ct (a repeated one too: Django
// and Spring take the last, others the first, and charset* as RFC 2231
// writes it), then, whatever ct says (an
// XML parser reads the document, not the header), a body that starts with
// "<?xm" in EBCDIC (4C 6F A7 94, XML 1.0 appendix F) in the page its
// declaration names (IBM037 when it names none known), and an XML
// declaration in ASCII that names UTF-7. At most maxCharsets, each once: the
// first and the last ones.
func declaredCharsets(ct string, body []byte) []bodyCharset {
	var out []bodyCharset
	add := func(c bodyCharset) {
		for _, o := range out {
			if o.name == c.name {
				return
			}
		}
		if len(out) == maxCharsets {
			// Keep the first and the last: servers take either end.
			copy(out[1:], out[2:])
			out = out[:len(out)-1]
		}
		out = append(out, c)
	}
	if strings.IndexByte(ct, ';') >= 0 && containsFold(ct, "charset") {
		// ASP.NET's reading first: it may find one inside another
		// parameter's value (x="a,charset=utf-7,").
		if c, ok := namedCharset(aspnetAttr(ct, "charset")); ok {
			c.header = true
			add(c)
		}
		eachParamValue(ct, "charset", func(v, _ string) {
			if c, ok := namedCharset(v); ok {
				c.header = true
				add(c)
			}
		})
	}
	switch {
	case bytes.HasPrefix(body, []byte{0x4c, 0x6f, 0xa7, 0x94}):
		// The declaration is written in characters every page shares.
		decl := fromEBCDIC(nil, body[:min(len(body), 128)], ebcdicPages[37])
		if c, ok := namedCharset(xmlEncoding(decl)); ok && c.kind == KindBodyEBCDIC {
			add(c)
		} else {
			add(ebcdicCharset(ebcdicPages[37], "IBM037"))
		}
	case bytes.HasPrefix(body, []byte("<?xml")):
		if c, ok := namedCharset(xmlEncoding(body[:min(len(body), 128)])); ok && c.kind == KindBodyUTF7 {
			add(c)
		}
	}
	return out
}

// xmlEncoding returns the encoding an XML declaration at the start of b
// names, "" when none.
func xmlEncoding(b []byte) string {
	if end := bytes.Index(b, []byte("?>")); end > 0 {
		b = b[:end]
	}
	i := bytes.Index(b, []byte("encoding"))
	if i < 0 {
		return ""
	}
	v := bytes.TrimLeft(b[i+len("encoding"):], " \t\r\n=")
	if len(v) == 0 || v[0] != '"' && v[0] != '\'' {
		return ""
	}
	j := bytes.IndexByte(v[1:], v[0])
	if j < 0 {
		return ""
	}
	return string(v[1 : 1+j])
}

// namedCharset returns the charset name names when it is EBCDIC or UTF-7,
// as Java, .NET, Python and the IANA registry name them, in any case and
// with or without separators ("IBM-037", "ibm_037" and "IBM 037" are one
// name): for EBCDIC, IBM037, ibm-37, cp037, CP01140, csIBM500, CCSID01047,
// x-IBM875, ebcdic-cp-us, Python's ibm039 and Java's bare "037", a page
// glibc has (ebcdic_tables.go); for UTF-7, utf-7, u7, csUTF7 and the
// unicode-1-1-utf-7 and unicode-2-0-utf-7 names. Any other charset,
// ASCII-based code pages such as IBM437 and IBM850 among them, gives false.
func namedCharset(name string) (bodyCharset, bool) {
	var b [32]byte
	n := 0
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c == '-' || c == '_' || c == ' ' || c == '"' || c == '\'' || c == '.':
			continue
		case 'A' <= c && c <= 'Z':
			c += 'a' - 'A'
		}
		if n == len(b) {
			return bodyCharset{}, false
		}
		b[n] = c
		n++
	}
	switch string(b[:n]) { // no copy: the compiler compares the bytes
	case "utf8", "usascii", "iso88591", "windows1252", "":
		return bodyCharset{}, false // nearly every request: no lookup
	case "utf7", "u7", "csutf7", "unicode11utf7", "unicode20utf7", "xunicode11utf7", "xunicode20utf7", "csunicode11utf7":
		return bodyCharset{kind: KindBodyUTF7, name: "UTF-7", decode: fromUTF7}, true
	}
	s := string(b[:n])
	num, ok := ebcdicNames[strings.TrimPrefix(s, "cs")]
	if !ok {
		// A number, bare as Java takes it ("037") or after a prefix.
		rest := s
		for _, prefix := range []string{"csibm", "cpibm", "xibm", "ibm", "ccsid", "cp"} {
			if r, found := strings.CutPrefix(s, prefix); found {
				rest = r
				break
			}
		}
		num, ok = pageNumber(rest)
	}
	if page := ebcdicPages[num]; ok && page != nil {
		return ebcdicCharset(page, fmt.Sprintf("IBM%03d", num)), true
	}
	return bodyCharset{}, false
}

// ebcdicCharset is the bodyCharset of an EBCDIC code page.
func ebcdicCharset(page *[256]rune, name string) bodyCharset {
	return bodyCharset{kind: KindBodyEBCDIC, name: name, decode: func(dst, src []byte) []byte { return fromEBCDIC(dst, src, page) }}
}

// pageNumber reads a code page number of at most 5 digits, leading zeros
// allowed ("037", "01140").
func pageNumber(s string) (int, bool) {
	if s == "" || len(s) > 5 {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		n = n*10 + int(s[i]-'0')
	}
	return n, true
}

// ebcdicNames are the IANA names of EBCDIC pages that carry no number
// (lower case, without separators).
var ebcdicNames = map[string]int{
	"ebcdiccpus": 37, "ebcdiccpca": 37, "ebcdiccpwt": 37, "ebcdiccpnl": 37,
	"ebcdiccpbe": 500, "ebcdiccpch": 500, "ebcdiccpdk": 277, "ebcdiccpno": 277,
	"ebcdiccpfi": 278, "ebcdiccpse": 278, "ebcdiccpit": 280, "ebcdiccpes": 284,
	"ebcdiccpgb": 285, "ebcdiccpfr": 297, "ebcdiccpis": 871, "ebcdiccphe": 424,
	"ebcdiccpar1": 420, "ebcdiccpgr": 423, "ebcdiccpyu": 870, "ebcdiccyrillic": 880,
	"ibm039": 37, // Python's alias of cp037
}

// ebcdicPages holds, per IBM code page number, the character of every
// byte: IBM037 and the pages written as their differences from it
// (ebcdic_tables.go).
var ebcdicPages = func() map[int]*[256]rune {
	pages := map[int]*[256]rune{37: &ebcdic037}
	for n, diff := range ebcdicDiffs {
		t := ebcdic037
		for i := 0; i+1 < len(diff); i += 2 {
			t[diff[i]] = diff[i+1]
		}
		pages[n] = &t
	}
	return pages
}()

// fromEBCDIC appends b, written in EBCDIC code page page, to dst as UTF-8.
func fromEBCDIC(dst, b []byte, page *[256]rune) []byte {
	for _, c := range b {
		if r := page[c]; r < utf8.RuneSelf {
			dst = append(dst, byte(r))
		} else {
			dst = utf8.AppendRune(dst, r)
		}
	}
	return dst
}

// fromUTF7 appends src, in UTF-7 (RFC 2152), to dst as UTF-8: a run of
// modified base64 after '+' is UTF-16, ended by any other byte (a '-' is
// absorbed); "+-" is '+'; every other byte is itself. A lone surrogate
// becomes U+FFFD; the bits left at a run's end are dropped, as decoders do.
func fromUTF7(dst, src []byte) []byte {
	for i := 0; i < len(src); {
		c := src[i]
		i++
		if c != '+' {
			dst = append(dst, c)
			continue
		}
		if i < len(src) && src[i] == '-' {
			dst = append(dst, '+')
			i++
			continue
		}
		var acc uint32
		var nbits uint
		high := rune(-1) // a high surrogate waiting for its pair
		for ; i < len(src) && base64Value[src[i]] >= 0; i++ {
			acc = acc<<6 | uint32(base64Value[src[i]])
			if nbits += 6; nbits < 16 {
				continue
			}
			nbits -= 16
			u := rune(acc >> nbits & 0xffff)
			acc &= 1<<nbits - 1
			switch {
			case high >= 0 && utf16.IsSurrogate(u) && u >= 0xdc00:
				dst = utf8.AppendRune(dst, utf16.DecodeRune(high, u))
				high = -1
				continue
			case high >= 0:
				dst = utf8.AppendRune(dst, utf8.RuneError)
				high = -1
			}
			if u >= 0xd800 && u < 0xdc00 {
				high = u
				continue
			}
			dst = utf8.AppendRune(dst, u) // a lone low surrogate: U+FFFD
		}
		if high >= 0 {
			dst = utf8.AppendRune(dst, utf8.RuneError)
		}
		if i < len(src) && src[i] == '-' {
			i++
		}
	}
	return dst
}

// base64Value is the value of each byte of the base64 alphabet, -1 for the
// others.
var base64Value = func() (t [256]int8) {
	for i := range t {
		t[i] = -1
	}
	for i, c := range []byte("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/") {
		t[c] = int8(i)
	}
	return t
}()
