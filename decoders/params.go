package decoders

import (
	"bytes"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/apisensor/sensor/sensor"
)

// ExtractParams flattens every parameter of x.Request into x.Params as
// (Location, Name, Value), the same way for every protocol, so that detectors
// never re-parse requests. It appends to x.Params (parameters a protocol
// decoder already put there, such as protobuf fields, are kept and count
// towards the limit) and is meant to be called once per exchange, after the
// request is complete and before the exchange is emitted.
//
// Naming scheme, per location (these names appear in alerts):
//
//	path       one per non-empty segment of the raw path; Name is its index
//	           among non-empty segments, from "0". Matrix parameters (";k=v")
//	           stay in the value.
//	query      one per "&"-separated pair ("a=1&b" gives a=1 and b=""); Name is
//	           URL-decoded once ('+' is a space), Value is raw. ';' is not a
//	           separator, as in Go since 1.17.
//	header     every request header and trailer except Cookie; Name is the
//	           lower-cased field name, Value as sent.
//	cookie     one per ';'-separated pair of every Cookie header, trimmed.
//	form       application/x-www-form-urlencoded body, named like query.
//	json       every leaf (string, number, true, false, null) of a JSON body
//	           (any */*json* type, or a missing or text/plain type whose body
//	           starts with '{' or '['): Name is the path with '.' between keys
//	           and "[i]" for array elements ("user.name", "items[0].id",
//	           "[0].x" under a top-level array, "" for a top-level scalar).
//	           Keys are unescaped but otherwise kept as they are, so a key
//	           holding '.' or '[' makes an ambiguous path, and NoSQL operators
//	           show up in it ("user.$ne"). Value is the unescaped string, or
//	           the literal text of a number, "true", "false" or "null".
//	           Consecutive top-level values (NDJSON) restart the path.
//	multipart  multipart/* body: a part without a filename gives Name = its
//	           form field name and Value = its content when that is text; a
//	           file part gives "<field>.filename" (the filename as sent,
//	           path included) and "<field>.content_type".
//	xml        XML body (any */*xml* type, or a missing or text/plain type whose
//	           body starts with "<?xml" or "<!DOCTYPE"): element text, trimmed,
//	           named by its slash path with prefixes as written
//	           ("/soap:Envelope/soap:Body/a"); attributes as "/root/a/@attr";
//	           a DOCTYPE as "!DOCTYPE" with the directive text as Value
//	           (entities are never resolved).
//	body       any other non-empty body that looks like text, with Name "";
//	           also added when a JSON or XML body has a syntax error before its
//	           end, so that a payload hidden behind the error is still seen.
//
// Every string-valued parameter also gets Decoded/Decodes: Value URL-decoded
// until stable (at most 4 rounds; '+' is a space only in query and form).
// Names and values are cut to l.MaxParamBytes on a UTF-8 boundary; Decoded is
// decoded from the cut value. At most l.MaxParams parameters are kept; dropped
// counts those that were not: past MaxParams, plus one per JSON or XML subtree
// deeper than l.MaxNesting (skipped whole).
//
// Bodies are read as the decoder kept them (already de-chunked and
// decompressed); a truncated body yields what parsed before its end. A body
// in UTF-16 or UTF-32 is read converted to UTF-8 (wideBody), which is
// recorded on x.Anomalies (KindBodyUnicode) for the caller to count.
func ExtractParams(x *Exchange, l *Limits) (dropped int) {
	m := x.Request
	if m == nil {
		return 0
	}
	if l == nil {
		d := DefaultLimits()
		l = &d
	}
	e := extractor{
		max:      l.MaxParams,
		maxBytes: l.MaxParamBytes,
		maxNest:  l.MaxNesting,
		out:      x.Params,
	}
	e.ctl = contentTypes(m.Headers)
	cts := e.ctl.list()
	body, enc := wideBody(cts[0], m.Body)
	kind := classifyBody(cts[0], body)
	e.reserve(m, body, kind)

	e.path(m.Path)
	e.pairs(LocQuery, m.Query)
	e.headers(m.Headers)
	e.headers(m.Trailers)
	e.cookies(m.Headers)
	e.readBody(x, cts[0], body, enc, kind)
	if len(cts) > 1 {
		read := [maxContentTypes]string{readingKey(cts[0])}
		for i, ct := range cts[1:] {
			// Two values that read the body alike ("application/json"
			// and "application/json; charset=utf-8") read it once.
			read[i+1] = readingKey(ct)
			if !slices.Contains(read[:i+1], read[i+1]) {
				body, enc := wideBody(ct, m.Body)
				e.readBody(x, ct, body, enc, classifyBody(ct, body))
			}
		}
	}
	if len(cts) > 1 && len(x.Anomalies) < maxAnomalies {
		x.Anomalies = append(x.Anomalies, Anomaly{Kind: KindContentTypes, Detail: strconv.Itoa(len(cts)) + " Content-Types, the body read as each", Dir: sensor.ClientToServer})
	}
	if e.multipartRead.malformed && len(x.Anomalies) < maxAnomalies {
		x.Anomalies = append(x.Anomalies, Anomaly{Kind: KindMultipartMalformed, Detail: "multipart part header refused by a strict parser, read leniently", Dir: sensor.ClientToServer})
	}
	if e.oddBoundary && len(x.Anomalies) < maxAnomalies {
		x.Anomalies = append(x.Anomalies, Anomaly{Kind: KindMultipartBoundaries, Detail: "multipart body whose boundary servers read differently, read by each", Dir: sensor.ClientToServer})
	}
	if e.partCharset && len(x.Anomalies) < maxAnomalies {
		x.Anomalies = append(x.Anomalies, Anomaly{Kind: KindMultipartCharset, Detail: "multipart part declared in EBCDIC or UTF-7, read converted", Dir: sensor.ClientToServer})
	}
	if e.multipartRead.base64 && len(x.Anomalies) < maxAnomalies {
		x.Anomalies = append(x.Anomalies, Anomaly{Kind: KindMultipartBase64, Detail: "multipart part in base64 transfer encoding, read decoded", Dir: sensor.ClientToServer})
	}

	x.Params = e.out
	return e.dropped
}

// KindContentTypes is the anomaly of a request with Content-Type headers
// that differ, whose body was read as each: servers differ on which counts
// (Go, Node and Tomcat take the first; a proxy may join them, and a
// framework match the joined value by its start or its end), a known way
// to have a filter read a body as another type than the application.
const KindContentTypes = "http.content_types"

// maxContentTypes bounds the Content-Types a body is read as.
const maxContentTypes = 3

// ctList is a request's Content-Type values, without an allocation for
// the one nearly every request has.
type ctList struct {
	v [maxContentTypes]string
	n int
}

func (l *ctList) list() []string { return l.v[:l.n] }

// contentTypes returns the request's Content-Type values, each once: the
// first, and the last ones past the bound (servers take either end: Go,
// Node and Tomcat the first, a WSGI server the last); one empty value when
// there is none.
func contentTypes(hs []Header) ctList {
	var l ctList
	for _, h := range hs {
		if len(h.Name) != len("content-type") || !equalFold(h.Name, "content-type") || l.n > 0 && slices.Contains(l.v[:l.n], h.Value) {
			continue
		}
		if l.n == maxContentTypes {
			copy(l.v[1:], l.v[2:]) // keep the first; the last move up
			l.n--
		}
		l.v[l.n] = h.Value
		l.n++
	}
	if l.n == 0 {
		l.n = 1
	}
	return l
}

// readingKey says how Content-Type ct makes the body read: its media type,
// lower-cased, and the parameters that change the reading (boundary, a
// charset other than utf-8), so that two values with the same key read the
// body alike.
func readingKey(ct string) string {
	mt, _, _ := mediaType(ct)
	if strings.IndexByte(ct, ';') < 0 {
		return strings.ToLower(mt)
	}
	k := strings.ToLower(mt)
	eachMediaParam(ct, func(name, v string) {
		if name = strings.ToLower(name); name == "boundary" || name == "boundary*" || name == "charset" && !equalFold(v, "utf-8") || name == "charset*" {
			k += ";" + name + "=" + v
		}
	})
	return k
}

// readBody reads the request's body as Content-Type ct says: body, of kind
// kind, is the body converted from UTF-16 or UTF-32 when it is written so
// (enc names it: KindBodyUnicode), and it is read again in a charset it is
// declared in (reread); both are recorded on x.
func (e *extractor) readBody(x *Exchange, ct string, body []byte, enc string, kind bodyKind) {
	m := x.Request
	if enc != "" && len(x.Anomalies) < maxAnomalies {
		x.Anomalies = append(x.Anomalies, Anomaly{Kind: KindBodyUnicode, Detail: "request body in " + enc, Dir: sensor.ClientToServer})
	}
	e.body(body, kind, ct)
	if enc != "" {
		return
	}
	for _, cs := range declaredCharsets(ct, body) {
		if len(body) > 0 {
			e.reread(body, kind, ct, cs.decode)
		}
		if cs.header && m.Query != "" {
			// ASP.NET decodes the query string in the request's
			// encoding too (HttpRequest.QueryStringEncoding is its
			// ContentEncoding), a GET's included.
			e.recode = cs.decode
			e.pairs(LocQuery, m.Query)
			e.recode = nil
		}
		if len(x.Anomalies) < maxAnomalies {
			x.Anomalies = append(x.Anomalies, Anomaly{Kind: cs.kind, Detail: "request in " + cs.name, Dir: sensor.ClientToServer})
		}
	}
}

// extractor accumulates the parameters of one request.
//
// Names and values that are not substrings of the request (lower-cased header
// names, JSON paths, unescaped or decoded values) are appended to one arena
// and sliced from it, so a request costs a few allocations, not one per
// parameter. The arena is only ever appended to: strings already sliced from
// it stay valid when it grows.
type extractor struct {
	max, maxBytes, maxNest int
	out                    []Param
	dropped                int
	arena                  strings.Builder
	scratch                []byte
	// names holds the first LocName values added, so that a key repeated
	// in every element of an array is added once.
	names []string
	// multipartRead is what the body's multipart parts held
	// (KindMultipartMalformed, KindMultipartBase64); oddBoundary: servers
	// differ on its boundary (KindMultipartBoundaries).
	multipartRead partsRead
	oddBoundary   bool
	// ctl holds the request's Content-Type values (contentTypes);
	// multipartDone: the body was read as multipart by their boundaries;
	// partCharset: a part was read again in the charset its own type
	// names (KindMultipartCharset).
	ctl           ctList
	multipartDone bool
	partCharset   bool
	// recode, while set, converts the names and values being added from
	// the charset a body is declared in, once percent-decoded (reread).
	recode func(dst, src []byte) []byte
	// recodeEscaped: only what holds an escape is converted
	// (recodedValue: Django's reading).
	recodeEscaped bool
}

// reread reads again body, of kind kind, declared (or, for XML, found) to be
// in a charset that decode converts from (declaredCharsets: EBCDIC, UTF-7), as
// the servers that honour the charset read it; the parameters already read
// from its bytes as they are stay, for the servers that ignore it (PHP, Go,
// Express), so that declaring a charset a body is not written in hides
// nothing either. The readings added:
//   - the whole body converted, then parsed as its type says (Spring's JSON,
//     XML parsers); a form's values that hold an escape are converted again
//     once percent-decoded, as Django's parse_qsl does (Python's unquote
//     decodes a value with '%' in the request's charset); a multipart body
//     is not, as its boundaries would not survive;
//   - for a form, each name and value percent-decoded, then converted, as
//     ASP.NET (HttpUtility.UrlDecode with the request's encoding) and Tomcat
//     read it, and for a multipart body each field's content (Django decodes
//     fields in the request's charset; files are data).
func (e *extractor) reread(body []byte, kind bodyKind, ct string, decode func(dst, src []byte) []byte) {
	defer func() { e.recode, e.recodeEscaped = nil, false }()
	if kind != bodyMultipart {
		conv := decode(make([]byte, 0, len(body)+len(body)/4), body)
		switch k := classifyBody(ct, conv); k {
		case bodyForm:
			e.recode, e.recodeEscaped = decode, true
			e.pairs(LocForm, string(conv))
		case bodyMultipart:
		default:
			e.body(conv, k, ct)
		}
	}
	e.recode, e.recodeEscaped = decode, false
	switch kind {
	case bodyForm:
		e.pairs(LocForm, string(body))
	case bodyMultipart:
		for _, b := range boundaries(e.ctl.list()...) {
			e.multipart(body, b)
		}
	}
}

// recodedValue returns value, a name or value of a request read again in
// the charset e.recode converts from (reread), as the servers that honour
// the charset read it, and whether that differs from value:
//   - Django's form, read from the converted body (recodeEscaped): '+' is
//     a space, and a value that holds a '%' has each run of ASCII
//     characters percent-decoded to bytes and converted, its other
//     characters kept (Python's parse_qsl, then unquote with the request's
//     encoding, which converts nothing in a value without '%');
//   - ASP.NET's and Tomcat's, read from the body's bytes, and a multipart
//     field's: percent-decoded once (as mode says), then every byte
//     converted.
func (e *extractor) recodedValue(value string, mode decodeMode) (string, bool) {
	if !e.recodeEscaped {
		src := value
		if mode != noDecode {
			if d, n := e.decode(value, mode == decodePlus, 1); n > 0 {
				src = d
			}
		}
		e.scratch = e.recode(e.scratch[:0], []byte(src))
		return e.keepScratch(), true
	}

	v := value
	if mode == decodePlus {
		v = strings.ReplaceAll(v, "+", " ")
	}
	if strings.IndexByte(v, '%') < 0 {
		return v, v != value
	}
	e.scratch = e.scratch[:0]
	for i := 0; i < len(v); {
		j := i
		if v[i] < utf8.RuneSelf {
			for j < len(v) && v[j] < utf8.RuneSelf {
				j++
			}
			run, _ := URLDecode(v[i:j], false)
			e.scratch = e.recode(e.scratch, []byte(run))
		} else {
			for j < len(v) && v[j] >= utf8.RuneSelf {
				j++
			}
			e.scratch = append(e.scratch, v[i:j]...)
		}
		i = j
	}
	return e.keepScratch(), true
}

// keepScratch copies e.scratch into the arena.
func (e *extractor) keepScratch() string {
	start := e.arena.Len()
	e.arena.Write(e.scratch)
	return e.arena.String()[start:]
}

// decodeMode says whether and how a value is URL-decoded into Decoded.
type decodeMode uint8

const (
	noDecode    decodeMode = iota
	decodePlain            // %XX only
	decodePlus             // %XX and '+' as space: query and form
)

// reserve sizes the output and the arena once, from cheap counts.
func (e *extractor) reserve(m *Message, body []byte, kind bodyKind) {
	n := strings.Count(m.Path, "/") + 1 + len(m.Headers) + len(m.Trailers) + 4
	if m.Query != "" {
		n += strings.Count(m.Query, "&") + 1
	}
	arena := len(m.Query)
	for _, h := range m.Headers {
		arena += len(h.Name)
	}
	switch kind {
	case bodyJSON:
		leaves := bytes.Count(body, []byte{','}) + 1
		n += leaves
		// Paths and unescaped strings; a body of few long strings needs
		// little.
		arena += min(2*len(body), 64*min(leaves, e.max))
	case bodyForm:
		n += bytes.Count(body, []byte{'&'}) + 1
		arena += len(body)
	case bodyMultipart, bodyXML:
		n += 8
		arena += len(body)
	}
	if room := e.max - len(e.out); n > room {
		n = max(room, 0)
	}
	if cap(e.out)-len(e.out) < n {
		out := make([]Param, len(e.out), len(e.out)+n)
		copy(out, e.out)
		e.out = out
	}
	e.arena.Grow(arena)
}

// full reports whether the parameter about to be added does not fit, and
// counts it as dropped if so. Callers check it before building a name.
func (e *extractor) full() bool {
	if len(e.out) < e.max {
		return false
	}
	e.dropped++
	return true
}

// add appends one parameter; the caller has checked full.
//
// A value longer than the bound is added twice, its head and its tail:
// padding a value past what a filter reads (8 KB of spaces, then the
// payload) is a known way past WAFs and sensors that read only the start.
// One over twice the bound, padded on both sides, is added once more,
// decoded, with its runs of white space squeezed; what else its middle
// holds is not read.
func (e *extractor) add(loc Location, name, value string, mode decodeMode) {
	if len(value) > e.maxBytes {
		e.add(loc, name, cut(value, e.maxBytes), mode)
		if !e.full() {
			e.add(loc, name, cutTail(value, e.maxBytes), mode)
		}
		// Padded on both sides, a payload sits between the two: the
		// value is read once more decoded, with its runs of white space
		// squeezed, as SQL and shells read them ("%20" or "+" padding
		// too).
		if len(value) > 2*e.maxBytes && !e.full() {
			whole := value
			if mode != noDecode {
				if d, n := e.decode(value, mode == decodePlus, maxDecodeRounds); n > 0 {
					whole = d
				}
			}
			if sq := squeezeSpace(whole); sq != "" {
				e.add(loc, name, sq, noDecode)
			}
		}
		return
	}
	var decoded string
	var n int
	switch {
	case e.recode != nil && loc != LocName:
		// A value of a request read again (reread; a name is converted
		// before it is added as one).
		if d, changed := e.recodedValue(value, mode); changed {
			decoded, n = d, 1
		}
		if len(decoded) > e.maxBytes {
			// A conversion may grow a value past the bound (a byte past
			// ASCII is two or three in UTF-8): its head and its tail,
			// as a long value's.
			e.put(loc, name, value, cut(decoded, e.maxBytes))
			if !e.full() {
				e.put(loc, name, value, cutTail(decoded, e.maxBytes))
			}
			return
		}
	case mode != noDecode:
		if decoded, n = e.decode(value, mode == decodePlus, maxDecodeRounds); n == 0 {
			decoded = ""
		}
	}
	// Filling a reserved slot field by field avoids the bulk write barriers
	// of zeroing and copying a whole Param while the GC runs; every field is
	// written, so whatever the slot held is overwritten.
	if len(e.out) == cap(e.out) {
		e.out = append(e.out, Param{})
	} else {
		e.out = e.out[:len(e.out)+1]
	}
	q := &e.out[len(e.out)-1]
	q.Loc, q.Name, q.Value, q.Decoded, q.Decodes = loc, cut(name, e.maxBytes), value, decoded, n
}

// put appends a parameter decoded once (add's rare path, out of its way).
func (e *extractor) put(loc Location, name, value, decoded string) {
	if len(e.out) == cap(e.out) {
		e.out = append(e.out, Param{})
	} else {
		e.out = e.out[:len(e.out)+1]
	}
	q := &e.out[len(e.out)-1]
	q.Loc, q.Name, q.Value, q.Decoded, q.Decodes = loc, cut(name, e.maxBytes), value, decoded, 1
}

// decode is DecodeRepeated writing into the arena.
func (e *extractor) decode(s string, plusSpace bool, rounds int) (string, int) {
	n := 0
	for n < rounds {
		plus := roundPlus(s, plusSpace, n)
		if !needsDecode(s, plus) {
			break
		}
		start := e.arena.Len()
		decodeTo(&e.arena, s, plus)
		s = e.arena.String()[start:]
		n++
	}
	return s, n
}

// addKept adds b, a value in scratch space, copied into the arena: whole
// when it is longer than the bound, so that add reads it as it reads any
// long value (its head, its tail, squeezed).
func (e *extractor) addKept(loc Location, name string, b []byte, mode decodeMode) {
	if len(b) <= e.maxBytes {
		e.add(loc, name, e.keep(b), mode)
		return
	}
	start := e.arena.Len()
	e.arena.Write(b)
	e.add(loc, name, e.arena.String()[start:], mode)
}

// keep copies b, cut to the value bound, into the arena.
func (e *extractor) keep(b []byte) string {
	b = cut(b, e.maxBytes)
	start := e.arena.Len()
	e.arena.Write(b)
	return e.arena.String()[start:]
}

// concat returns a+b from the arena.
func (e *extractor) concat(a, b string) string {
	start := e.arena.Len()
	e.arena.WriteString(a)
	e.arena.WriteString(b)
	return e.arena.String()[start:]
}

func (e *extractor) path(p string) {
	idx := 0
	for p != "" {
		var seg string
		seg, p, _ = strings.Cut(p, "/")
		if seg == "" {
			continue
		}
		if !e.full() {
			e.add(LocPath, strconv.Itoa(idx), seg, decodePlain)
		}
		idx++
	}
}

// pairs extracts "k=v&k=v" pairs (query string, form body).
func (e *extractor) pairs(loc Location, q string) {
	for q != "" {
		var kv string
		kv, q, _ = strings.Cut(q, "&")
		if kv == "" || e.full() {
			continue
		}
		k, v, _ := strings.Cut(kv, "=")
		if e.recode != nil {
			k, _ = e.recodedValue(cut(k, e.maxBytes), decodePlus)
		} else {
			k, _ = e.decode(cut(k, e.maxBytes), true, 1)
		}
		e.add(loc, k, v, decodePlus)
		e.name(loc, k)
	}
}

// namedTitles says what a LocName parameter names, per location.
var namedTitles = map[Location]string{
	LocQuery: "query parameter", LocForm: "form field", LocCookie: "cookie",
	LocMultipart: "multipart field", LocJSON: "JSON field",
}

// name adds the name of a parameter of loc as a LocName parameter when it
// is not a plain identifier and there is room. It is decoded as a value is
// (once more than the pairs' single round, for double encoding).
func (e *extractor) name(loc Location, name string) {
	name = cut(name, e.maxBytes)
	if plainName(name) || slices.Contains(e.names, name) || e.full() {
		return
	}
	if len(e.names) < maxNames {
		e.names = append(e.names, name)
	}
	e.add(LocName, namedTitles[loc], name, decodePlain)
}

// maxNames bounds extractor.names: past it a name is added again when it
// repeats (still within MaxParams).
const maxNames = 32

func plainASCII(c byte) bool {
	return c == '_' || c == '-' || c == '[' || c == ']' ||
		'0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}

// plainName reports whether a parameter name is an identifier as APIs
// write them: letters (any script), digits and "_-[]", such as "user_id",
// "filter[price][gte]", "имя". Such a name holds nothing the detectors look
// for. A dot, a colon or a dollar sign is enough for one ("java.lang.Runtime",
// "class.module.classLoader", "http:2852039166", "$_COOKIE", "process.env"),
// so dotted names ("user.name") are scanned too. An ASCII name (a JSON key
// still in the path buffer) is read without a copy.
func plainName[T string | []byte](s T) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 0x80 {
			return plainUnicode(string(s[i:]))
		} else if !plainASCII(c) {
			return false
		}
	}
	return true
}

// plainUnicode is plainName of a name with a non-ASCII character.
func plainUnicode(s string) bool {
	for _, r := range s {
		switch {
		case r < 0x80 && plainASCII(byte(r)):
		case r >= 0x80 && (unicode.IsLetter(r) || unicode.IsDigit(r)):
		default:
			return false
		}
	}
	return true
}

func (e *extractor) headers(hs []Header) {
	for _, h := range hs {
		if equalFold(h.Name, "cookie") || e.full() {
			continue
		}
		e.add(LocHeader, e.lower(h.Name), h.Value, decodePlain)
		if h.Name == ":path" {
			// A repeated HTTP/2 :path's other value (decoders/http2
			// keeps the first as the request's): its query as a back
			// end that routes by the last one reads it.
			if _, q, ok := strings.Cut(h.Value, "?"); ok {
				e.pairs(LocQuery, q)
			}
		}
	}
}

// lower returns s lower-cased (ASCII), from the arena when it has upper case.
func (e *extractor) lower(s string) string {
	i := 0
	for i < len(s) && !('A' <= s[i] && s[i] <= 'Z') {
		i++
	}
	if i == len(s) {
		return s
	}
	start := e.arena.Len()
	e.arena.WriteString(s[:i])
	for ; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		e.arena.WriteByte(c)
	}
	return e.arena.String()[start:]
}

func (e *extractor) cookies(hs []Header) {
	for _, h := range hs {
		if !equalFold(h.Name, "cookie") {
			continue
		}
		for v := h.Value; v != ""; {
			var pair string
			pair, v, _ = strings.Cut(v, ";")
			pair = strings.Trim(pair, " \t")
			if pair == "" || e.full() {
				continue
			}
			k, val, _ := strings.Cut(pair, "=")
			k = strings.TrimRight(k, " \t")
			e.add(LocCookie, k, strings.TrimLeft(val, " \t"), decodePlain)
			e.name(LocCookie, k)
		}
	}
}

// bodyKind is how a request body is parsed.
type bodyKind uint8

const (
	bodyNone bodyKind = iota
	bodyText
	bodyForm
	bodyJSON
	bodyXML
	bodyMultipart
)

// classifyBody picks the body parser from the Content-Type's media type,
// compared case-insensitively and without allocating; parameters and garbage
// after the media type are ignored. Without a type, or with text/plain, the
// body is sniffed for JSON and XML.
func classifyBody(ct string, body []byte) bodyKind {
	if len(body) == 0 {
		return bodyNone
	}
	mt, typ, sub := mediaType(ct)
	switch {
	case equalFold(mt, "application/x-www-form-urlencoded"):
		return bodyForm
	case equalFold(typ, "multipart"):
		return bodyMultipart
	}
	if k := documentKind(sub); k != bodyNone {
		return k
	}
	if sniffed(mt) {
		return sniffBody(body)
	}
	return bodyText
}

// documentKind returns the kind of document a media subtype names: JSON
// for any with "json" (json, x-json, ld+json, x-ndjson), XML for any with
// "xml" (xml, svg+xml, soap+xml, xml-dtd), else bodyNone.
func documentKind(sub string) bodyKind {
	switch {
	case containsFold(sub, "json"):
		return bodyJSON
	case containsFold(sub, "xml"):
		return bodyXML
	}
	return bodyNone
}

// mediaType splits the media type of Content-Type ct, without parameters
// and spaces, into its type and subtype.
func mediaType(ct string) (mt, typ, sub string) {
	mt, _, _ = strings.Cut(ct, ";")
	mt = strings.TrimSpace(mt)
	typ, sub, _ = strings.Cut(mt, "/")
	return mt, typ, sub
}

// sniffed reports whether a body of media type mt is sniffed for JSON and
// XML: it has no type, or text/plain.
func sniffed(mt string) bool { return mt == "" || equalFold(mt, "text/plain") }

func sniffBody(body []byte) bodyKind {
	b := bytes.TrimLeft(body, " \t\r\n\ufeff")
	switch {
	case len(b) == 0:
		return bodyText
	case b[0] == '{' || b[0] == '[':
		return bodyJSON
	case hasPrefixFold(b, "<?xml") || hasPrefixFold(b, "<!doctype"):
		return bodyXML
	}
	return bodyText
}

func (e *extractor) body(body []byte, kind bodyKind, ct string) {
	var syntaxErr bool
	switch kind {
	case bodyNone:
		return
	case bodyForm:
		e.pairs(LocForm, string(body))
	case bodyJSON:
		syntaxErr = e.json(string(body))
	case bodyXML:
		syntaxErr = e.xml(body)
	case bodyMultipart:
		// By each boundary any Content-Type names (servers differ on
		// which counts, and a proxy may join the values:
		// KindMultipartBoundaries); a body no boundary splits is read as
		// text, so that a boundary this reading missed hides nothing.
		if e.multipartDone {
			return // by another Content-Type's reading, with the same boundaries
		}
		e.multipartDone = true
		// Servers differ when the types name several boundaries, or
		// when the body is split by one the standard reading (the first
		// boundary parameter, Go's) does not find.
		n := len(e.out)
		var std string
		for _, ct := range e.ctl.list() {
			if std, _ = mediaParam(ct, "boundary"); std != "" {
				break
			}
		}
		e.oddBoundary = declaredBoundaries(e.ctl.list()) > 1
		for _, b := range boundaries(e.ctl.list()...) {
			before := len(e.out)
			e.multipartRead = e.multipartRead.or(e.multipart(body, b))
			e.oddBoundary = e.oddBoundary || len(e.out) > before && b != std
		}
		if len(e.out) == n {
			e.text(body, true)
		}
	case bodyText:
		e.text(body, textual(ct))
	}
	if syntaxErr {
		e.text(body, true)
	}
}

// text adds the whole body as one LocBody parameter: always when its type
// says it is text (declared, so it reaches the application as a string),
// otherwise when it looks like text. The look is a guess the sender
// controls: a few control characters before a payload make any text look
// binary, so it only decides for bodies whose type says nothing of text.
func (e *extractor) text(body []byte, declared bool) {
	b := cut(body, e.maxBytes+utf8.UTFMax)
	if e.full() || !declared && !TextLike(b) {
		return
	}
	if declared {
		b = stringPart(b) // an undeclared body here is text-like already
	}
	e.add(LocBody, "", e.keep(b), decodePlain)
	if len(body) > e.maxBytes && !e.full() {
		// Its tail too, as add reads a long value's (padding).
		e.add(LocBody, "", e.keep(stringPart(cutTail(body, e.maxBytes))), decodePlain)
	}
}

// stringPart is what of b, a value the application reads as a string,
// the detectors read: b itself when it looks like text or is short (the
// truncation tricks, "../../etc/passwd\x00.png", are), else the runs of
// at least 8 printable ASCII bytes, joined by spaces. A payload put among
// binary bytes to look binary is such a run; a file, compressed or not,
// has few (each byte is printable about one time in three), so detectors
// are not run over megabytes of noise in which they would find something.
func stringPart(b []byte) []byte {
	if len(b) <= 256 || TextLike(b) {
		return b
	}
	var out []byte
	for i := 0; i < len(b); {
		j := i
		for j < len(b) && (b[j] >= 0x20 && b[j] < 0x7f || b[j] == '\t' || b[j] == '\n' || b[j] == '\r') {
			j++
		}
		if j-i >= 8 {
			if len(out) > 0 {
				out = append(out, ' ')
			}
			out = append(out, b[i:j]...)
		}
		i = j + 1
	}
	return out
}

// textual reports whether a body of Content-Type ct is text by its type:
// text/*, or a JSON, XML or GraphQL document (one that did not parse). A
// body without a type is not: gRPC joined mid-stream (its content type in
// HPACK state never seen) and raw uploads come so.
func textual(ct string) bool {
	_, typ, sub := mediaType(ct)
	return equalFold(typ, "text") || documentKind(sub) != bodyNone || containsFold(sub, "graphql")
}

// TextLike reports whether b looks like text: no NUL, and few control
// characters or bytes that are no UTF-8 (two, or at most one in ten; an
// incomplete rune at the end is none: bodies are cut). The look is the
// sender's to steer, so it decides only where nothing else tells text from
// binary: bodies whose type says nothing of text (extractor.text) and
// WebSocket binary messages.
func TextLike(b []byte) bool {
	n, odd := len(b), 0
	for len(b) > 0 {
		c := b[0]
		if c < utf8.RuneSelf {
			switch {
			case c == 0:
				return false
			case c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f', c == 0x7f:
				odd++
			}
			b = b[1:]
			continue
		}
		r, size := utf8.DecodeRune(b)
		if r == utf8.RuneError && size == 1 && (utf8.FullRune(b) || len(b) >= utf8.UTFMax) {
			odd++
		}
		b = b[size:]
	}
	return odd <= 2 || odd*10 <= n
}

// squeezeSpace returns s with each run of white space, NULs and invisible
// padding (spaceWidth) written as one space, or "" when s has no run of
// two or more.
func squeezeSpace(s string) string {
	run, prev := false, false
	for i := 0; i < len(s) && !run; {
		n := spaceWidth(s, i)
		run = n > 0 && prev
		prev = n > 0
		i += max(n, 1)
	}
	if !run {
		return ""
	}
	var b strings.Builder
	prev = false
	for i := 0; i < len(s); {
		if n := spaceWidth(s, i); n > 0 {
			if !prev {
				b.WriteByte(' ')
			}
			prev = true
			i += n
			continue
		}
		prev = false
		b.WriteByte(s[i])
		i++
	}
	return b.String()
}

// spaceWidth returns the length of the white space or padding character at
// s[i]: ASCII white space and NUL, and the invisible characters a payload
// is padded with as well (zero-width space, joiners, word joiner, byte
// order mark, soft hyphen); 0 for any other.
func spaceWidth(s string, i int) int {
	switch c := s[i]; {
	case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v' || c == 0:
		return 1
	case c != 0xe2 && c != 0xef && c != 0xc2:
		// ASCII, and the lead and continuation bytes of other
		// characters: one compare (the padding characters start with
		// these three).
		return 0
	}
	r, n := utf8.DecodeRuneInString(s[i:])
	switch r {
	case '\u200b', '\u200c', '\u200d', '\u2060', '\ufeff', '\u00ad':
		return n
	}
	return 0
}

// LongPieces returns what is read of a value longer than max, as
// ExtractParams reads a long parameter (add): its head and its tail, and,
// when it is longer than twice max and has runs of white space or
// invisible padding (squeezeSpace), the head and tail of it with them
// squeezed. Each piece is at most max bytes; a
// value no longer than max is its one piece. For extractors of their own
// (decoders/protobuf).
func LongPieces(value string, max int) []string {
	if len(value) <= max || max <= 0 {
		return []string{value}
	}
	out := []string{cut(value, max), cutTail(value, max)}
	if len(value) > 2*max {
		if sq := squeezeSpace(value); sq != "" {
			out = append(out, cut(sq, max))
			if len(sq) > max {
				out = append(out, cutTail(sq, max))
			}
		}
	}
	return out
}

// cutTail returns the last max bytes of s, or fewer, so as to start
// on a UTF-8 rune boundary.
func cutTail[T string | []byte](s T, max int) T {
	if len(s) <= max {
		return s
	}
	i := len(s) - max
	for j := 0; j < utf8.UTFMax-1 && i < len(s) && !utf8.RuneStart(s[i]); j++ {
		i++
	}
	return s[i:]
}

// cut shortens s to at most max bytes without splitting a UTF-8 sequence
// (when s is UTF-8 there).
func cut[T string | []byte](s T, max int) T {
	if len(s) <= max {
		return s
	}
	i := max
	for j := 0; j < utf8.UTFMax-1 && i > 0 && !utf8.RuneStart(s[i]); j++ {
		i--
	}
	return s[:i]
}

// mediaParam returns the value of parameter key of a header value like
// `form-data; name="a"; filename="b"`. It is lenient where
// mime.ParseMediaType is strict, because servers are too and evasions use the
// difference: duplicates (the first wins), unterminated quotes, missing
// values. An RFC 2231 "key*" form is used when "key" is absent.
func mediaParam(v, key string) (string, bool) {
	plain, ext, okPlain, okExt := mediaParamForms(v, key)
	if okPlain {
		return plain, true
	}
	return ext, okExt
}

// mediaParamForms returns both forms of parameter key: "key" as written and
// "key*" (RFC 2231: charset'lang'percent-encoded) decoded. Servers differ on
// which wins when both are there (Go's mime, Spring and RFC 6266 take
// "key*", PHP "key"): a file name given both ways is read both ways.
func mediaParamForms(v, key string) (plain, ext string, okPlain, okExt bool) {
	eachMediaParam(v, func(k, val string) {
		switch {
		case !okPlain && equalFold(k, key):
			plain, okPlain = val, true
		case !okExt && len(k) == len(key)+1 && k[len(k)-1] == '*' && equalFold(k[:len(key)], key):
			ext, okExt = val, true
		}
	})
	if okExt {
		ext = extValue(ext)
	}
	return plain, ext, okPlain, okExt
}

// eachMediaParam calls fn with the name and value of each parameter of
// header value v ("type/sub; a=1; b=\"x\""), in order, repeated ones
// each time, values as written (a quoted one unquoted).
func eachMediaParam(v string, fn func(k, val string)) {
	_, v, _ = strings.Cut(v, ";")
	for v != "" {
		var k, val string
		k, v = cutParamToken(v, '=')
		k = strings.TrimSpace(k)
		if len(v) > 0 && v[0] == '=' {
			val, v = cutParamValue(v[1:])
		} else if len(v) > 0 {
			v = v[1:] // ';'
		}
		fn(k, val)
	}
}

// eachParamValue calls fn with each value of parameter key (lower case) of
// header value v, in order: key's as written, key*'s (RFC 2231) decoded,
// with written its text as written ("" for key's).
func eachParamValue(v, key string, fn func(val, written string)) {
	eachMediaParam(v, func(k, val string) {
		switch {
		case equalFold(k, key):
			fn(val, "")
		case len(k) == len(key)+1 && k[len(key)] == '*' && equalFold(k[:len(key)], key):
			fn(extValue(val), val)
		}
	})
}

// extValue decodes an RFC 2231 value: charset'lang'percent-encoded.
func extValue(v string) string {
	if i := strings.LastIndexByte(v, '\''); i >= 0 {
		v = v[i+1:]
	}
	v, _ = URLDecode(v, false)
	return v
}

// cutParamToken splits v at the first stop byte or ';'.
func cutParamToken(v string, stop byte) (string, string) {
	for i := 0; i < len(v); i++ {
		if v[i] == stop || v[i] == ';' {
			return v[:i], v[i:]
		}
	}
	return v, ""
}

// cutParamValue reads a token or quoted string and skips to after the next
// ';'. An unterminated quote runs to the end.
func cutParamValue(v string) (string, string) {
	v = strings.TrimLeft(v, " \t")
	if len(v) == 0 || v[0] != '"' {
		val, rest := cutParamToken(v, ';')
		if rest != "" {
			rest = rest[1:]
		}
		return strings.TrimSpace(val), rest
	}
	var b []byte
	for i := 1; i < len(v); i++ {
		switch v[i] {
		case '\\':
			if b == nil {
				b = append(make([]byte, 0, len(v)), v[1:i]...)
			}
			if i+1 < len(v) {
				i++
				b = append(b, v[i])
			}
			continue
		case '"':
			val := v[1:i]
			if b != nil {
				val = string(b)
			}
			_, rest := cutParamToken(v[i+1:], ';')
			if rest != "" {
				rest = rest[1:]
			}
			return val, rest
		}
		if b != nil {
			b = append(b, v[i])
		}
	}
	if b != nil {
		return string(b), ""
	}
	return v[1:], ""
}

// indexFold returns the index of the first instance of sub, lower-case
// ASCII letters, in s in any case, or -1.
func indexFold(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i]|0x20 == sub[0] && equalFold(s[i:i+len(sub)], sub) {
			return i
		}
	}
	return -1
}

func containsFold(s, sub string) bool { return indexFold(s, sub) >= 0 }

func hasPrefixFold(b []byte, prefix string) bool {
	return len(b) >= len(prefix) && equalFold(string(b[:len(prefix)]), prefix)
}
