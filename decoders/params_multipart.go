package decoders

import (
	"bytes"
	"encoding/base64"
	"errors"
	"io"
	"mime/multipart"
	"net/textproto"
	"slices"
	"strings"
	"unicode/utf8"
)

// KindMultipartMalformed is the anomaly of a multipart body whose part
// headers mime/multipart refuses (a NUL or control byte in a header line,
// a line without a colon), which the parameters were then read from
// leniently. Servers read such bodies: Apache Commons FileUpload took the
// Struts S2-046 exploit's file name with a NUL in it, and a parser that stops
// at the first bad header would leave every later part unread.
const KindMultipartMalformed = "http.multipart_malformed"

// KindMultipartBase64 is the anomaly of a multipart body with a part in
// base64 transfer encoding, which the parameters were read from decoded.
// RFC 7578 deprecates transfer encodings in form data and browsers never
// send one, but Django's parser decodes a base64 field, so a payload can
// reach it past filters that read the part's bytes.
const KindMultipartBase64 = "http.multipart_base64"

// KindMultipartCharset is the anomaly of a multipart field whose own
// Content-Type names an EBCDIC code page or UTF-7, which was read converted
// too: Commons FileUpload (Spring, Struts) decodes a field in its part's
// charset, so "text/plain; charset=ibm037" hides a payload from a filter
// that reads the bytes.
const KindMultipartCharset = "http.multipart_part_charset"

// KindMultipartBoundaries is the anomaly of a multipart body whose
// Content-Types name more than one boundary (boundary=a; boundary=b, or
// boundary and boundary* apart), or that a boundary the standard reading
// (the first parameter) does not find splits (a reading servers differ
// on: "A,B" is "A" to Werkzeug), which the parts were read by each of:
// servers differ on which counts (PHP and ASP.NET take the first; Django,
// Werkzeug, busboy and Commons FileUpload the last; Go refuses the
// request), a known way past a filter that reads the other.
const KindMultipartBoundaries = "http.multipart_boundaries"

// maxBoundaries bounds the boundaries a multipart body is read by.
const maxBoundaries = 4

// boundaries returns the boundaries the Content-Type values cts name, as
// the servers that read them find one, each once: every boundary and
// boundary* parameter (Django, busboy and Commons FileUpload take the
// last, Go refuses more than one), a bare value cut at the first byte no
// token holds (Werkzeug: "A,B" is "A", "A/x" is "A"), and PHP's reading
// of the first "boundary" in the text, wherever it stands ("x;
// xboundary=A", "boundary= A", a quote kept), to the next ',' or ';', and
// ASP.NET's (aspnetAttr). At most maxBoundaries: the first found and the
// last ones, since servers take either end.
func boundaries(cts ...string) []string {
	var all []string
	add := func(v string) {
		switch {
		case v == "" || slices.Contains(all, v):
		case len(all) == 4*maxBoundaries:
			all[len(all)-1] = v // the last stays the last
		default:
			all = append(all, v)
		}
	}
	for _, ct := range cts {
		if !containsFold(ct, "boundary") {
			continue
		}
		// The first occurrence's readings first, so that the last
		// parameter stays last.
		add(phpBoundary(ct))
		add(aspnetAttr(ct, "boundary"))
		eachParamValue(ct, "boundary", func(v, written string) {
			add(written) // boundary* as written, for a server that ignores RFC 2231
			add(tokenPrefix(v))
			add(v)
		})
	}
	if len(all) > maxBoundaries {
		all = append(all[:maxBoundaries-1], all[len(all)-1])
	}
	return all
}

// declaredBoundaries counts the distinct boundary parameters (boundary,
// boundary* decoded) the Content-Type values cts name, up to two.
func declaredBoundaries(cts []string) int {
	var seen []string
	for _, ct := range cts {
		eachParamValue(ct, "boundary", func(v, _ string) {
			if v != "" && !slices.Contains(seen, v) && len(seen) < 2 {
				seen = append(seen, v)
			}
		})
	}
	return len(seen)
}

// tokenPrefix returns the start of v up to the first byte an HTTP token
// does not hold (RFC 9110 tchar).
func tokenPrefix(v string) string {
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte("\"(),/:;<=>?@[\\]{}", c) >= 0 {
			return v[:i]
		}
	}
	return v
}

// aspnetAttr returns attribute name of header value v as ASP.NET reads it
// (HttpRequest.GetAttributeFromHeader, for the charset and the boundary):
// the first instance of the name, in any case, that a ';', ',' or space
// precedes and an '=' or space follows — inside another parameter's quoted
// value too — then a quoted value to its closing quote, else the text to
// the next space or ',' (a ';' is no end), trimmed.
func aspnetAttr(v, name string) string {
	i := 1
	for {
		j := indexFold(v[min(i, len(v)):], name)
		if j < 0 {
			return ""
		}
		i += j
		if i+len(name) >= len(v) {
			return ""
		}
		prev, next := v[i-1], v[i+len(name)]
		if (prev == ';' || prev == ',' || prev == ' ' || prev == '\t') && (next == '=' || next == ' ' || next == '\t') {
			break
		}
		i += len(name)
	}
	rest := strings.TrimLeft(v[i+len(name):], " \t")
	if !strings.HasPrefix(rest, "=") {
		return ""
	}
	rest = strings.TrimLeft(rest[1:], " \t")
	if strings.HasPrefix(rest, "\"") {
		k := strings.IndexByte(rest[1:], '"')
		if k <= 0 {
			return ""
		}
		return strings.TrimSpace(rest[1 : 1+k])
	}
	if k := strings.IndexAny(rest, " ,"); k >= 0 {
		rest = rest[:k]
	}
	return strings.TrimSpace(rest)
}

// phpBoundary returns the boundary PHP's multipart parser reads from
// Content-Type ct: after the first "boundary" (in any case) and the '='
// after it, a quoted value to its closing quote, else the text to the
// next ',' or ';', untrimmed.
func phpBoundary(ct string) string {
	i := indexFold(ct, "boundary")
	if i < 0 {
		return ""
	}
	rest := ct[i:]
	j := strings.IndexByte(rest, '=')
	if j < 0 {
		return ""
	}
	v := rest[j+1:]
	if strings.HasPrefix(v, "\"") {
		if k := strings.IndexByte(v[1:], '"'); k >= 0 {
			return v[1 : 1+k]
		}
		return v[1:]
	}
	if k := strings.IndexAny(v, ",;"); k >= 0 {
		v = v[:k]
	}
	return v
}

// partsRead says what eachPart met in a multipart body: part headers it read
// leniently (KindMultipartMalformed), parts in base64 (KindMultipartBase64).
type partsRead struct{ malformed, base64 bool }

// or merges what two readings met.
func (r partsRead) or(o partsRead) partsRead {
	return partsRead{malformed: r.malformed || o.malformed, base64: r.base64 || o.base64}
}

// multipart extracts the fields of a multipart body. A truncated body yields
// the parts (and the part content) read before its end. A part header that
// mime/multipart refuses does not end the reading: that part and the ones
// after it are read leniently (eachPart), as far as the parameter bound
// lets, and malformed is true.
func (e *extractor) multipart(body []byte, boundary string) partsRead {
	buf := make([]byte, min(e.maxBytes+utf8.UTFMax, len(body)))
	return eachPart(body, boundary, func(cd, ct string, r io.Reader, lenient bool) bool {
		if e.full() {
			return false
		}
		e.part(cd, ct, r, len(body), buf)
		return true
	})
}

// eachPart calls fn with the Content-Disposition, Content-Type and content
// of each part of a multipart body, as servers read it: mime/multipart's
// parts (NextPart undoes quoted-printable transfer encoding, as servers
// do), and past a part header it refuses, that part and the ones after it
// as lenientParts splits them (lenient set; malformed true). A part in
// base64 is decoded first (base64Readings). fn returns false to stop.
func eachPart(body []byte, boundary string, fn func(cd, ct string, r io.Reader, lenient bool) bool) (seen partsRead) {
	emit := func(cd, ct, cte string, r io.Reader, lenient bool) bool {
		if !equalFold(strings.TrimSpace(cte), "base64") {
			return fn(cd, ct, r, lenient)
		}
		seen.base64 = true
		raw, _ := io.ReadAll(io.LimitReader(r, int64(len(body))))
		for _, b := range base64Readings(raw) {
			if !fn(cd, ct, bytes.NewReader(b), lenient) {
				return false
			}
		}
		return true
	}
	r := multipart.NewReader(bytes.NewReader(body), boundary)
	for read := 0; ; read++ {
		p, err := r.NextPart()
		if err != nil {
			var bad textproto.ProtocolError
			if errors.As(err, &bad) {
				lenientParts(body, boundary, read, func(cd, ct, cte string, content []byte) bool {
					return emit(cd, ct, cte, bytes.NewReader(content), true)
				})
				seen.malformed = true
			}
			return seen
		}
		// Of repeated transfer encodings Django takes the last.
		var cte string
		if vs := p.Header.Values("Content-Transfer-Encoding"); len(vs) > 0 {
			cte = vs[len(vs)-1]
		}
		if !emit(p.Header.Get("Content-Disposition"), p.Header.Get("Content-Type"), cte, p, false) {
			return seen
		}
	}
}

// base64Readings returns the readings of the content of a part in base64
// transfer encoding: its bytes as they are, which servers that ignore the
// encoding read (PHP, Go, Tomcat), and, when it decodes to something, what
// Django makes of it: decoded, white space and any other byte outside the
// alphabet dropped (Python's b64decode; a length it would refuse is read
// anyway, the last lone character dropped).
func base64Readings(raw []byte) [][]byte {
	clean := bytes.Map(func(r rune) rune {
		if r == ' ' || r == '\t' || r == '\r' || r == '\n' {
			return -1
		}
		return r
	}, raw)
	if dec, err := base64.StdEncoding.DecodeString(string(clean)); err == nil {
		if len(dec) == 0 {
			return [][]byte{raw}
		}
		return [][]byte{raw, dec}
	}
	alpha := bytes.Map(func(r rune) rune {
		if 'A' <= r && r <= 'Z' || 'a' <= r && r <= 'z' || '0' <= r && r <= '9' || r == '+' || r == '/' {
			return r
		}
		return -1
	}, clean)
	if len(alpha)%4 == 1 {
		alpha = alpha[:len(alpha)-1] // a lone last character decodes to nothing
	}
	dec, err := base64.RawStdEncoding.DecodeString(string(alpha))
	if err != nil || len(dec) == 0 {
		return [][]byte{raw}
	}
	return [][]byte{raw, dec}
}

// lenientParts calls fn with the Content-Disposition, Content-Type and
// content of each part of body after the first skip, read as servers with
// forgiving parsers do: a part is what lies between two boundary lines (a
// line that starts with "--" and the boundary, then "--" for the last, or
// blanks and the line's end), its headers are the lines before the first
// empty one, split at their first colon, whatever bytes they hold. A
// boundary inside a line is content, as it is to mime/multipart. fn
// returns false to stop.
func lenientParts(body []byte, boundary string, skip int, fn func(cd, ct, cte string, content []byte) bool) {
	delim := []byte("--" + boundary)
	// next returns the start of the first boundary line at or after from,
	// the start of the part after it, and whether it closes the body.
	next := func(from int) (at, after int, last bool) {
		for from < len(body) {
			i := bytes.Index(body[from:], delim)
			if i < 0 {
				return -1, 0, false
			}
			at, after = from+i, from+i+len(delim)
			from = after
			if at > 0 && body[at-1] != '\n' {
				continue
			}
			if bytes.HasPrefix(body[after:], []byte("--")) {
				return at, after + 2, true
			}
			j := after
			for j < len(body) && (body[j] == ' ' || body[j] == '\t') {
				j++
			}
			if j < len(body) && body[j] == '\r' {
				j++
			}
			if j == len(body) || body[j] == '\n' {
				return at, min(j+1, len(body)), false
			}
		}
		return -1, 0, false
	}
	at, start, last := next(0)
	for n := 0; at >= 0 && !last; n++ {
		end, after, closing := next(start)
		part := body[start:]
		if end >= 0 {
			part = body[start:end]
		}
		at, start, last = end, after, closing
		if n < skip {
			continue
		}
		head, content, ok := cutHeaders(part)
		if !ok {
			continue
		}
		if end >= 0 {
			// The line break before a boundary line belongs to it.
			content = bytes.TrimSuffix(bytes.TrimSuffix(content, []byte("\n")), []byte("\r"))
		}
		var cd, ct, cte string
		for _, line := range bytes.Split(head, []byte("\n")) {
			k, v, ok := bytes.Cut(bytes.TrimSuffix(line, []byte("\r")), []byte(":"))
			if !ok {
				continue
			}
			switch k = bytes.TrimSpace(k); {
			case cd == "" && equalFold(string(k), "content-disposition"):
				cd = string(bytes.TrimSpace(v))
			case ct == "" && equalFold(string(k), "content-type"):
				ct = string(bytes.TrimSpace(v))
			case equalFold(string(k), "content-transfer-encoding"):
				cte = string(bytes.TrimSpace(v)) // the last, as Django takes it
			}
		}
		if !fn(cd, ct, cte, content) {
			return
		}
	}
}

// MultipartFields returns the whole values of the fields named name (parts
// without a file name) of m's multipart body, read as ExtractParams reads
// it: by every boundary its Content-Types name (boundaries), each taken
// leniently, mime/multipart's parts, and past a part header it refuses the
// lenient reading. For a detector that must see a value longer than the
// parameters keep of it.
func MultipartFields(m *Message, name string) []string {
	cts := contentTypes(m.Headers)
	body := m.Body
	var out []string
	for _, boundary := range boundaries(cts.list()...) {
		out = multipartFields(out, body, boundary, name)
	}
	return out
}

// multipartFields appends to out the whole values of the fields named name
// of body's parts by boundary.
func multipartFields(out []string, body []byte, boundary, name string) []string {
	eachPart(body, boundary, func(cd, _ string, r io.Reader, _ bool) bool {
		if n, _ := mediaParam(cd, "name"); n != name {
			return true
		}
		if plain, ext, _, _ := mediaParamForms(cd, "filename"); plain != "" || ext != "" {
			return true
		}
		v, _ := io.ReadAll(io.LimitReader(r, int64(len(body))))
		out = append(out, string(v))
		return true
	})
	return out
}

// cutHeaders splits a part at the empty line that ends its headers
// (CRLF or LF line ends).
func cutHeaders(part []byte) (head, content []byte, ok bool) {
	if len(part) > 0 && (part[0] == '\n' || bytes.HasPrefix(part, []byte("\r\n"))) {
		return nil, bytes.TrimPrefix(bytes.TrimPrefix(part, []byte("\r")), []byte("\n")), true
	}
	if h, c, ok := bytes.Cut(part, []byte("\r\n\r\n")); ok {
		return h, c, true
	}
	return bytes.Cut(part, []byte("\n\n"))
}

// part extracts one part, whose Content-Disposition is cd and Content-Type
// ct; its content is read from r, at most bodyLen bytes, buf being the
// scratch space for a field's value.
func (e *extractor) part(cd, ct string, r io.Reader, bodyLen int, buf []byte) {
	var head [64]byte // an uploaded file's first bytes (uploadKind)
	// Part.FileName would strip the directories of the filename, and
	// "../../x" is exactly what a path traversal detector must see:
	// parse the disposition here.
	name, _ := mediaParam(cd, "name")
	if e.recode != nil {
		e.recodedPart(cd, name, r, buf)
		return
	}
	e.name(LocMultipart, name)
	// A file name given both ways is read both ways: servers differ
	// on which wins (mediaParamForms). An empty one makes no file:
	// Go, PHP and others read the part as a field.
	if plain, ext, okPlain, okExt := mediaParamForms(cd, "filename"); plain != "" || ext != "" {
		fn := e.concat(name, ".filename")
		if okPlain && !e.full() {
			e.add(LocMultipart, fn, plain, decodePlain)
		}
		if okExt && (!okPlain || ext != plain) && !e.full() {
			e.add(LocMultipart, fn, ext, decodePlain)
		}
		if ct != "" && !e.full() {
			e.add(LocMultipart, e.concat(name, ".content_type"), ct, noDecode)
		}
		// An uploaded document the server parses is read as a body
		// of its type would be: an SVG avatar or an XML import with
		// an external entity (XXE), a JSON import with a gadget's
		// $type. Other files (images, archives, text) are data, and
		// NextPart skips the rest of their content.
		n, _ := io.ReadFull(r, head[:])
		kind := uploadKind(ct, plain, ext, head[:n])
		if kind == bodyNone {
			return
		}
		// As much of it as a body would be read: the whole part, which
		// the body's limit bounds.
		doc := append([]byte(nil), head[:n]...)
		if n == len(head) {
			rest, _ := io.ReadAll(io.LimitReader(r, int64(bodyLen)))
			doc = append(doc, rest...)
		}
		doc, _ = wideBody(ct, doc)
		doc = bytes.TrimPrefix(doc, []byte("\ufeff"))
		if kind == bodyXML {
			e.xml(doc)
		} else if e.json(string(doc)) && !e.full() {
			// A document JSON parsers read more leniently than this
			// one (comments, single quotes): its text, as a body's.
			e.add(LocMultipart, e.concat(name, ".content"), e.keep(stringPart(cut(doc, e.maxBytes+utf8.UTFMax))), decodePlain)
		}
		return
	}
	// A field without a file name: the application reads a string,
	// whatever its bytes (a guess at binary would be the sender's to
	// steer: a few control bytes before a payload); stringPart keeps
	// what a long binary one says.
	n, _ := io.ReadFull(r, buf)
	if !e.full() {
		e.add(LocMultipart, name, e.keep(stringPart(buf[:n])), decodePlain)
	}
	if ct != "" && !e.full() {
		// A field whose own type names a charset servers convert from
		// (Commons FileUpload's getString, and so Spring's and
		// Struts' fields, decodes a part in its charset): read so too.
		if cs := declaredCharsets(ct, nil); len(cs) > 0 && cs[0].header {
			e.recode = cs[0].decode
			e.add(LocMultipart, name, e.keep(buf[:n]), noDecode)
			e.recode = nil
			e.partCharset = true
		}
	}
	if n == len(buf) && !e.full() {
		// A field longer than the bound: its tail too, as add reads a
		// long value's (padding).
		rest, _ := io.ReadAll(io.LimitReader(r, int64(bodyLen)))
		if len(rest) > 0 {
			whole := append(append([]byte(nil), buf...), rest...)
			e.add(LocMultipart, name, e.keep(stringPart(cutTail(whole, e.maxBytes))), decodePlain)
		}
	}
}

// recodedPart adds the field of a multipart body read again in the charset
// it is declared in (extractor.reread), its content (up to the value bound)
// converted; its name, in the part's headers, is the first reading's (an
// ASCII name reads the same either way; Django converts one that is not),
// and a file is data, read as such already.
func (e *extractor) recodedPart(cd, name string, r io.Reader, buf []byte) {
	if _, _, okPlain, okExt := mediaParamForms(cd, "filename"); okPlain || okExt || e.full() {
		return
	}
	n, _ := io.ReadFull(r, buf[:min(len(buf), e.maxBytes)])
	if !e.full() {
		e.add(LocMultipart, name, e.keep(buf[:n]), noDecode) // add converts it
	}
}

// uploadKind returns how an uploaded file of content type ct and file name
// plain or ext, whose content starts with head, is parsed: bodyXML for
// XML documents (any XML type, or SVG, XHTML, XAML, XSD, XSLT, WSDL, DTD,
// RSS, Atom, plists, XLIFF, KML, GPX by name), bodyJSON for JSON (any JSON
// type, or .json, .ndjson, .geojson, .har), else bodyNone. The type or the
// name's extension decides, as servers pick a parser by either; and a file
// that is not declared text but starts as XML or SVG does
// (<?xml, <!DOCTYPE, <svg): image libraries pick their reader from the
// content (an SVG named avatar.png is read as SVG).
func uploadKind(ct, plain, ext string, head []byte) bodyKind {
	_, typ, sub := mediaType(ct)
	if k := documentKind(sub); k != bodyNone {
		return k
	}
	for _, fn := range [2]string{plain, ext} {
		dot := strings.LastIndexByte(fn, '.')
		if dot < 0 {
			continue
		}
		switch strings.ToLower(strings.TrimRight(fn[dot+1:], " .")) {
		case "xml", "svg", "xhtml", "xaml", "xsd", "xsl", "xslt", "wsdl", "dtd", "rss", "atom", "plist", "xlf", "xliff", "kml", "gpx":
			return bodyXML
		case "json", "ndjson", "geojson", "har":
			return bodyJSON
		}
	}
	if !equalFold(typ, "text") && (sniffBody(head) == bodyXML || hasPrefixFold(bytes.TrimLeft(head, " \t\r\n\ufeff"), "<svg")) {
		return bodyXML
	}
	return bodyNone
}
