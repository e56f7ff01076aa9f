package evalkit

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
)

// Placement is where in a request a payload is sent.
type Placement string

// The placements of the evaluation. Every one but Protobuf is an HTTP
// request; Protobuf is the string field of a gRPC call.
const (
	Query     Placement = "query"
	Path      Placement = "path"
	JSON      Placement = "json"
	Form      Placement = "form"
	Multipart Placement = "multipart"
	XML       Placement = "xml"
	Header    Placement = "header"
	Cookie    Placement = "cookie"
	GraphQL   Placement = "graphql"
	Protobuf  Placement = "protobuf"
)

// ArgName sends the payload as the name of a query parameter
// ("?<payload>=1"). It is not one of the placements, so it is not in
// Placements nor in "all": ask for it by name (PLACEMENTS=argname). The CRS
// tests put 560 of their payloads in argument names.
const ArgName Placement = "argname"

// RawPath sends the payload as the end of the URL path with its slashes
// and dots as they are ("/api/v1/files/../../etc/passwd"), every other
// byte but the unreserved ones percent-encoded: a client that builds a URL
// from a file name, or a tool that sends a path as is (curl
// --path-as-is). The decoder splits it into segments, so this is what the
// detectors' checks of the whole path see. Not one of the issue's
// placements: PLACEMENTS=rawpath.
const RawPath Placement = "rawpath"

// JSON16 sends the JSON placement's body in UTF-16LE without a byte order
// mark, as "application/json": Jackson and Python's json read it as well as
// UTF-8 (they tell the encoding from the zero bytes of the first
// characters, RFC 4627), and a filter that reads the bytes as they come
// sees a NUL in every other byte. Not one of the placements:
// PLACEMENTS=json16.
const JSON16 Placement = "json16"

// Form037 sends the form placement's body declared in IBM037
// ("application/x-www-form-urlencoded; charset=ibm037"), every byte of each
// name and value's IBM037 form percent-encoded, as ASP.NET decodes a form in
// the request's encoding (Dalili, "WAF bypass techniques using request
// encoding"). A filter that reads the bytes as UTF-8 sees letters past
// ASCII and no quote. Payloads IBM037 cannot write (characters past
// Latin-1, invalid UTF-8) are not sent. Not one of the placements:
// PLACEMENTS=form037.
const Form037 Placement = "form037"

// JSON037 sends the JSON placement's body written in IBM037 and declared so
// ("application/json; charset=IBM037"), which Spring's Jackson converter
// reads through a reader of that charset; characters past ASCII are \u
// escapes, so every payload is sent. PLACEMENTS=json037.
const JSON037 Placement = "json037"

// Form7 sends the form placement's body written in UTF-7 and declared so
// ("charset=utf-7"), as Django reads one: the body decoded from UTF-7, then
// split and percent-decoded (in UTF-7 again). Letters and digits are
// themselves, the bytes that delimit or escape a form (& = % space,
// controls) percent-encoded, '+' as "%2B-", every other character a UTF-7
// run ("'" is "+ACc-"): a filter that reads the bytes sees no quote,
// bracket or operator. Payloads that are not valid UTF-8 are not sent.
// PLACEMENTS=form7.
const Form7 Placement = "form7"

// Multipart64 sends the multipart placement's description field in base64
// (Content-Transfer-Encoding: base64), which Django's multipart parser
// decodes (RFC 7578 deprecates it; browsers never send it).
// PLACEMENTS=multipart64.
const Multipart64 Placement = "multipart64"

// MultipartLast sends the multipart placement's body under a Content-Type
// that names two boundaries, a decoy first and the body's last
// ("multipart/form-data; boundary=decoy; boundary=…"): Django, Werkzeug,
// busboy and Commons FileUpload take the last, PHP and ASP.NET the first,
// so a filter that reads the first sees no part. PLACEMENTS=multipartlast.
const MultipartLast Placement = "multipartlast"

// WebSocket sends the payload in a WebSocket message, over HTTP/1.1 after an
// Upgrade to the server's /ws: a GraphQL-over-WebSocket subscription
// (graphql-transport-ws) whose variable $q is the payload
// (WebSocketMessage). The message's "id" is the tag: a message has no
// headers. Not one of the placements: PLACEMENTS=websocket.
const WebSocket Placement = "websocket"

// WebSocketPath is where the evaluation server takes WebSocket upgrades.
const WebSocketPath = "/ws"

// Placements lists every placement of the evaluation in report order.
var Placements = []Placement{Query, Path, JSON, Form, Multipart, XML, Header, Cookie, GraphQL, Protobuf}

// Extra lists the placements sent only when asked for.
var Extra = []Placement{ArgName, RawPath, JSON16, WebSocket, Form037, JSON037, Form7, Multipart64, MultipartLast}

// known is Placements then Extra: the report order of every placement.
var known = append(slices.Clone(Placements), Extra...)

// Protocols of the evaluation traffic.
const (
	ProtoH1   = "h1"
	ProtoH2C  = "h2c"
	ProtoGRPC = "grpc"
)

// ParsePlacements parses a comma-separated list ("all" for every one).
func ParsePlacements(s string) ([]Placement, error) {
	if s == "all" || s == "" {
		return Placements, nil
	}
	var out []Placement
	for _, f := range strings.Split(s, ",") {
		p := Placement(strings.TrimSpace(f))
		if !p.valid() {
			return nil, fmt.Errorf("unknown placement %q", p)
		}
		out = append(out, p)
	}
	return out, nil
}

func (p Placement) valid() bool { return slices.Contains(known, p) }

// Applicable reports whether payload can be sent in placement p as it is: a
// header value cannot hold control characters (HTTP forbids them and
// clients refuse them), XML text holds only XML characters, escaped or not
// (XML 1.0 section 2.2: no C0 control but tab and line breaks, no U+FFFE or
// U+FFFF, valid UTF-8; encoding/xml writes U+FFFD for the others), and a
// protobuf string must be valid UTF-8.
func Applicable(p Placement, payload string) bool {
	switch p {
	case XML:
		if !utf8.ValidString(payload) {
			return false
		}
		for _, r := range payload {
			if r < 0x20 && r != '\t' && r != '\n' && r != '\r' || r == 0xfffe || r == 0xffff {
				return false
			}
		}
	case Header:
		for _, c := range []byte(payload) {
			if c < 0x20 && c != '\t' || c == 0x7f {
				return false
			}
		}
		return strings.TrimSpace(payload) != ""
	case Protobuf:
		return utf8.ValidString(payload)
	case Form037:
		_, ok := ibm037(payload)
		return ok
	case Form7:
		return utf8.ValidString(payload)
	}
	return true
}

// ibm037 writes s, valid UTF-8, in IBM037 (golang.org/x/text's table, not
// the sensor's); ok is false when IBM037 has no byte for one of its
// characters.
func ibm037(s string) ([]byte, bool) {
	if !utf8.ValidString(s) {
		return nil, false
	}
	var out []byte
	for _, r := range s {
		b, ok := charmap.CodePage037.EncodeRune(r)
		if !ok {
			return nil, false
		}
		out = append(out, b)
	}
	return out, true
}

// utf7Form writes s, valid UTF-8, as a form value in UTF-7 for a server
// that decodes the whole body from UTF-7 before it splits it (Form7).
func utf7Form(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9':
			b.WriteRune(r)
		case r == '+':
			// Percent-decoded, "+-" is UTF-7's '+'; "%2B" alone
			// would start a run.
			b.WriteString("%2B-")
		case r < 0x20 || r == 0x7f || strings.ContainsRune("&=% ", r):
			fmt.Fprintf(&b, "%%%02X", r)
		default:
			var units []byte
			for _, u := range utf16.Encode([]rune{r}) {
				units = append(units, byte(u>>8), byte(u))
			}
			b.WriteString("+" + base64.RawStdEncoding.EncodeToString(units) + "-")
		}
	}
	return b.String()
}

// asciiJSON escapes every character of JSON text b past ASCII as \uXXXX
// (UTF-16 surrogate pairs past the BMP), as JSON allows anywhere in a
// string, so that any code page with ASCII's characters can write it.
func asciiJSON(b []byte) []byte {
	var out []byte
	for _, r := range string(b) {
		if r < utf8.RuneSelf {
			out = append(out, byte(r))
			continue
		}
		for _, u := range utf16.Encode([]rune{r}) {
			out = fmt.Appendf(out, "\\u%04x", u)
		}
	}
	return out
}

// TagHeader is the request header (gRPC metadata key) that carries a
// request's tag. The detectors skip x-request-id (tracers set it), so the tag
// cannot raise an alert of its own.
const TagHeader = "x-request-id"

// Tag names one request of the evaluation: corpus id and placement.
func Tag(id int, p Placement) string { return "eval-" + strconv.Itoa(id) + "-" + string(p) }

// ParseTag is the inverse of Tag.
func ParseTag(s string) (id int, p Placement, ok bool) {
	rest, found := strings.CutPrefix(s, "eval-")
	if !found {
		return 0, "", false
	}
	num, pl, found := strings.Cut(rest, "-")
	if !found {
		return 0, "", false
	}
	id, err := strconv.Atoi(num)
	if err != nil || id <= 0 || !Placement(pl).valid() {
		return 0, "", false
	}
	return id, Placement(pl), true
}

// WebSocketMessage is the WebSocket placement's message: a subscribe of
// graphql-transport-ws whose id is the tag and whose variable $q is payload.
func WebSocketMessage(id int, payload string) []byte {
	return jsonBody(map[string]any{"id": Tag(id, WebSocket), "type": "subscribe",
		"payload": map[string]any{"query": GraphQLSubscription, "variables": map[string]any{"q": payload, "first": 10}}})
}

// GraphQLSubscription is the operation of the WebSocket placement.
const GraphQLSubscription = "subscription Search($q: String!, $first: Int) { search(q: $q, first: $first) { id title price } }"

// GraphQLQuery is the operation of the GraphQL placement; the payload is its
// variable $q.
const GraphQLQuery = "query Search($q: String!, $first: Int) { search(q: $q, first: $first) { id title price } }"

// ClientUserAgent is the User-Agent of every request whose placement is not
// Header.
const ClientUserAgent = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"

// NewRequest builds the HTTP request that carries payload in placement p
// (any but Protobuf) to the evaluation server at base ("http://host:port"),
// encoded as a browser or API client would: URL-encoded in the query, path,
// form and cookie, escaped in JSON and XML, raw in the header.
func NewRequest(ctx context.Context, p Placement, base string, id int, payload string) (*http.Request, error) {
	method, target, ctype := http.MethodGet, "", ""
	var body []byte
	switch p {
	case Query:
		target = "/api/v1/search?q=" + url.QueryEscape(payload) + "&page=1&sort=relevance"
	case ArgName:
		target = "/api/v1/search?" + url.QueryEscape(payload) + "=1&page=1"
	case Path:
		target = "/api/v1/items/" + escapeComponent(payload) + "/reviews"
	case RawPath:
		target = "/api/v1/files/" + escapePath(payload)
	case JSON, JSON16:
		method, ctype = http.MethodPost, "application/json"
		body = jsonBody(map[string]any{"post_id": 4242, "author": "sam", "body": payload, "tags": []string{"help", "api"}})
		if p == JSON16 {
			body = utf16LE(string(body))
		}
	case Form:
		method, ctype = http.MethodPost, "application/x-www-form-urlencoded"
		body = []byte(url.Values{"name": {"Alex Martin"}, "email": {"alex@example.com"}, "message": {payload}}.Encode())
	case Form037:
		method, ctype = http.MethodPost, "application/x-www-form-urlencoded; charset=ibm037"
		var pairs []string
		for _, kv := range [][2]string{{"name", "Alex Martin"}, {"email", "alex@example.com"}, {"message", payload}} {
			k, okK := ibm037(kv[0])
			v, okV := ibm037(kv[1])
			if !okK || !okV {
				return nil, fmt.Errorf("placement %s: IBM037 cannot write the payload", p)
			}
			pairs = append(pairs, escapeBut(string(k), "")+"="+escapeBut(string(v), ""))
		}
		body = []byte(strings.Join(pairs, "&"))
	case Form7:
		method, ctype = http.MethodPost, "application/x-www-form-urlencoded; charset=utf-7"
		body = []byte("name=" + utf7Form("Alex Martin") + "&email=" + utf7Form("alex@example.com") + "&message=" + utf7Form(payload))
	case JSON037:
		method, ctype = http.MethodPost, "application/json; charset=IBM037"
		body, _ = ibm037(string(asciiJSON(jsonBody(map[string]any{"post_id": 4242, "author": "sam", "body": payload, "tags": []string{"help", "api"}}))))
	case Multipart, MultipartLast, Multipart64:
		method = http.MethodPost
		var b bytes.Buffer
		w := multipart.NewWriter(&b)
		if err := w.SetBoundary("----evalboundary7MA4YWxkTrZu0gW"); err != nil {
			return nil, err
		}
		_ = w.WriteField("title", "Quarterly report")
		if p == Multipart64 {
			h := textproto.MIMEHeader{}
			h.Set("Content-Disposition", `form-data; name="description"`)
			h.Set("Content-Transfer-Encoding", "base64")
			pw, _ := w.CreatePart(h)
			_, _ = io.WriteString(pw, base64.StdEncoding.EncodeToString([]byte(payload)))
		} else {
			_ = w.WriteField("description", payload)
		}
		fw, _ := w.CreateFormFile("file", "report.csv")
		_, _ = io.WriteString(fw, "month,revenue\njan,1200\nfeb,1350\n")
		if err := w.Close(); err != nil {
			return nil, err
		}
		body, ctype = b.Bytes(), w.FormDataContentType()
		if p == MultipartLast {
			ctype = "multipart/form-data; boundary=decoy7MA4YWxkTrZu0gW; boundary=" + w.Boundary()
		}
	case XML:
		method, ctype = http.MethodPost, "application/xml"
		var b bytes.Buffer
		b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n<order><id>1001</id><customer>sam</customer><note>")
		if err := xml.EscapeText(&b, []byte(payload)); err != nil {
			return nil, err
		}
		b.WriteString("</note></order>\n")
		body = b.Bytes()
	case Header, Cookie:
		target = "/api/v1/profile"
	case GraphQL:
		method, ctype, target = http.MethodPost, "application/json", "/graphql"
		body = jsonBody(map[string]any{"operationName": "Search", "query": GraphQLQuery, "variables": map[string]any{"q": payload, "first": 10}})
	default: // Protobuf, WebSocket
		return nil, fmt.Errorf("placement %q is not an HTTP request", p)
	}
	if target == "" {
		target = map[Placement]string{JSON: "/api/v1/comments", JSON16: "/api/v1/comments", JSON037: "/api/v1/comments", Form: "/api/v1/contact",
			Form037: "/api/v1/contact", Form7: "/api/v1/contact", Multipart: "/api/v1/upload", Multipart64: "/api/v1/upload", MultipartLast: "/api/v1/upload", XML: "/api/v1/orders"}[p]
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, base+target, rd)
	if err != nil {
		return nil, fmt.Errorf("build %s request: %w", p, err)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", ClientUserAgent)
	req.Header.Set(TagHeader, Tag(id, p))
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	switch p {
	case Header:
		req.Header.Set("User-Agent", payload)
	case Cookie:
		req.Header.Set("Cookie", "session=8c1f0e2ab7d94e55; lang=en; last_search="+escapeComponent(payload))
	}
	return req, nil
}

// utf16LE writes s, valid UTF-8, in UTF-16LE.
func utf16LE(s string) []byte {
	var b []byte
	for _, u := range utf16.Encode([]rune(s)) {
		b = binary.LittleEndian.AppendUint16(b, u)
	}
	return b
}

// jsonBody is json.Marshal without Go's \u003c escaping of <, > and &, as
// browsers and most API clients send JSON.
func jsonBody(v any) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v) // maps of strings and ints always encode
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}

// escapePath percent-encodes what a path cannot hold as it is: every byte
// but the unreserved ones, '/' and the sub-delimiters and ':' '@' RFC 3986
// allows in a segment (so Tomcat's "..;/" stays).
func escapePath(s string) string { return escapeBut(s, "-_.~/!$&'()*+,;=:@") }

// escapeComponent percent-encodes every byte but the unreserved ones, as
// JavaScript's encodeURIComponent does: safe in a path segment and in a
// cookie value, and decoded by a plain %XX decoder (no + for space).
func escapeComponent(s string) string { return escapeBut(s, "-_.~") }

// escapeBut percent-encodes every byte of s but ASCII letters, digits and
// the bytes of keep.
func escapeBut(s, keep string) string {
	var b strings.Builder
	for _, c := range []byte(s) {
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte(keep, c) >= 0 {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", c)
	}
	return b.String()
}
