package http1

import (
	"bytes"
	"iter"
	"strings"

	"github.com/apisensor/sensor/decoders"
)

type requestLine struct {
	method, target, version []byte
	spaces                  bool // whitespace inside the target
}

// parseRequestLine parses "method SP request-target SP HTTP/1.x". With
// strict set the method must be a known one (resynchronisation), else any
// token will do.
func parseRequestLine(line []byte, strict bool) (requestLine, bool) {
	var rl requestLine
	sp1 := bytes.IndexByte(line, ' ')
	sp2 := bytes.LastIndexByte(line, ' ')
	if sp1 <= 0 || sp2 <= sp1 || sp1 > maxMethodLen {
		return rl, false
	}
	rl.method = line[:sp1]
	if !isToken(rl.method) || (strict && knownMethod(rl.method) == "") {
		return rl, false
	}
	rl.version = line[sp2+1:]
	if !isVersion(rl.version) {
		return rl, false
	}
	rl.target = trimOWS(line[sp1+1 : sp2])
	if len(rl.target) == 0 {
		return rl, false
	}
	rl.spaces = bytes.IndexByte(rl.target, ' ') >= 0 || bytes.IndexByte(rl.target, '\t') >= 0
	return rl, true
}

// parseCutRequestLine parses a request line that was cut: prefix is its
// start, tail its last bytes (without CR) and n its length. The version is
// read from tail; the target is what prefix holds of it.
func parseCutRequestLine(prefix, tail []byte, n int64, strict bool) (requestLine, bool) {
	var rl requestLine
	sp1 := bytes.IndexByte(prefix, ' ')
	sp2 := bytes.LastIndexByte(tail, ' ')
	if sp1 <= 0 || sp1 > maxMethodLen || sp2 < 0 {
		return rl, false
	}
	rl.method = prefix[:sp1]
	if !isToken(rl.method) || (strict && knownMethod(rl.method) == "") {
		return rl, false
	}
	rl.version = tail[sp2+1:]
	if !isVersion(rl.version) {
		return rl, false
	}
	// The tail may overlap the prefix: the target ends at the cut or at
	// the space before the version, whichever comes first.
	end := int64(len(prefix))
	if at := n - int64(len(tail)) + int64(sp2); at < end {
		end = at
	}
	if end <= int64(sp1) {
		return rl, false
	}
	rl.target = trimOWS(prefix[sp1+1 : end])
	if len(rl.target) == 0 {
		return rl, false
	}
	rl.spaces = bytes.IndexByte(rl.target, ' ') >= 0 || bytes.IndexByte(rl.target, '\t') >= 0
	return rl, true
}

type statusLine struct {
	version []byte
	status  int
	reason  []byte
}

// parseStatusLine parses "HTTP/1.x SP 3DIGIT [SP reason]".
func parseStatusLine(line []byte) (statusLine, bool) {
	var sl statusLine
	if len(line) < 12 || !isVersion(line[:8]) || line[8] != ' ' {
		return sl, false
	}
	sl.version = line[:8]
	for _, c := range line[9:12] {
		if c < '0' || c > '9' {
			return sl, false
		}
		sl.status = sl.status*10 + int(c-'0')
	}
	if sl.status < 100 {
		return sl, false
	}
	rest := line[12:]
	if len(rest) > 0 {
		if rest[0] != ' ' {
			return sl, false
		}
		sl.reason = trimOWS(rest)
	}
	return sl, true
}

func isVersion(b []byte) bool {
	return len(b) == 8 && string(b[:7]) == statusPrefix && b[7] >= '0' && b[7] <= '9'
}

// splitTarget splits a request-target into path and query, undecoded. For
// the absolute form the scheme and authority are left out.
func splitTarget(uri string) (path, query string) {
	p := uri
	abs := false
	if len(p) > 0 && p[0] != '/' {
		if i := strings.Index(p, "://"); i > 0 && decoders.Scheme(p[:i]) {
			rest := p[i+3:]
			j := strings.IndexAny(rest, "/?#")
			if j < 0 {
				return "/", ""
			}
			p, abs = rest[j:], true
		}
	}
	if q := strings.IndexByte(p, '?'); q >= 0 {
		path, query = p[:q], p[q+1:]
	} else {
		path = p
	}
	if abs && (path == "" || path[0] != '/') {
		path = "/"
	}
	return path, query
}

// parseChunkSize parses "hex [BWS ; ext]"; extensions are ignored.
func parseChunkSize(b []byte) (int64, bool) {
	var v int64
	n := 0
	for ; n < len(b); n++ {
		c := b[n]
		var h byte
		switch {
		case c >= '0' && c <= '9':
			h = c - '0'
		case c|0x20 >= 'a' && c|0x20 <= 'f':
			h = c | 0x20 - 'a' + 10
		default:
			goto done
		}
		if v > 1<<55 {
			return 0, false
		}
		v = v<<4 | int64(h)
	}
done:
	if n == 0 {
		return 0, false
	}
	rest := trimOWS(b[n:])
	if len(rest) > 0 && rest[0] != ';' {
		return 0, false
	}
	return v, true
}

// parseDecimal parses a Content-Length value.
func parseDecimal(s string) (int64, bool) {
	if len(s) == 0 || len(s) > 18 {
		return 0, false
	}
	var v int64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int64(c-'0')
	}
	return v, true
}

// splitList yields the non-empty elements of a comma-separated list,
// trimmed of whitespace.
func splitList(s string) iter.Seq[string] {
	return func(yield func(string) bool) {
		for s != "" {
			var el string
			if i := strings.IndexByte(s, ','); i >= 0 {
				el, s = s[:i], s[i+1:]
			} else {
				el, s = s, ""
			}
			el = strings.Trim(el, " \t")
			if el != "" && !yield(el) {
				return
			}
		}
	}
}

// lowerCoding returns the canonical name of a coding this decoder knows,
// or "" for any other.
func lowerCoding(s string) string {
	for _, c := range [...]string{"chunked", "gzip", "x-gzip", "deflate", "identity", "br", "zstd"} {
		if strings.EqualFold(s, c) {
			return c
		}
	}
	return ""
}

// upgradeName maps an Upgrade header value to the protocol to switch to.
func upgradeName(v string) string {
	for el := range splitList(v) {
		switch {
		case strings.EqualFold(el, "h2c"):
			return "h2c"
		case strings.EqualFold(el, "websocket"):
			return "websocket"
		}
		return strings.ToLower(el)
	}
	return ""
}

// upgradesWebSocket reports whether Upgrade header value v asks for
// WebSocket among its protocols.
func upgradesWebSocket(v string) bool {
	for el := range splitList(v) {
		if strings.EqualFold(el, "websocket") {
			return true
		}
	}
	return false
}

func trimOWS(b []byte) []byte {
	i, j := 0, len(b)
	for i < j && (b[i] == ' ' || b[i] == '\t') {
		i++
	}
	for j > i && (b[j-1] == ' ' || b[j-1] == '\t') {
		j--
	}
	return b[i:j]
}

// tchar is RFC 9110's token character set.
var tchar = func() (t [256]bool) {
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c] = true
		t[c-'a'+'A'] = true
	}
	for _, c := range "!#$%&'*+-.^_`|~" {
		t[c] = true
	}
	return t
}()

func isTchar(c byte) bool { return tchar[c] }

func isToken(b []byte) bool {
	for _, c := range b {
		if !tchar[c] {
			return false
		}
	}
	return len(b) > 0
}

// isMethodChar admits the characters of known methods.
func isMethodChar(c byte) bool { return c >= 'A' && c <= 'Z' || c == '-' }

// knownMethod returns the method name when b is a registered method that
// Sniff and resynchronisation accept, else "".
func knownMethod(b []byte) string {
	switch string(b) {
	case "GET":
		return "GET"
	case "POST":
		return "POST"
	case "PUT":
		return "PUT"
	case "DELETE":
		return "DELETE"
	case "PATCH":
		return "PATCH"
	case "HEAD":
		return "HEAD"
	case "OPTIONS":
		return "OPTIONS"
	case "CONNECT":
		return "CONNECT"
	case "TRACE":
		return "TRACE"
	case "QUERY":
		return "QUERY"
	case "PROPFIND":
		return "PROPFIND"
	case "PROPPATCH":
		return "PROPPATCH"
	case "MKCOL":
		return "MKCOL"
	case "COPY":
		return "COPY"
	case "MOVE":
		return "MOVE"
	case "LOCK":
		return "LOCK"
	case "UNLOCK":
		return "UNLOCK"
	case "SEARCH":
		return "SEARCH"
	case "REPORT":
		return "REPORT"
	case "MKCALENDAR":
		return "MKCALENDAR"
	case "MKACTIVITY":
		return "MKACTIVITY"
	case "CHECKOUT":
		return "CHECKOUT"
	case "MERGE":
		return "MERGE"
	case "ACL":
		return "ACL"
	case "BIND":
		return "BIND"
	case "UNBIND":
		return "UNBIND"
	case "REBIND":
		return "REBIND"
	case "LINK":
		return "LINK"
	case "UNLINK":
		return "UNLINK"
	case "PURGE":
		return "PURGE"
	case "M-SEARCH":
		return "M-SEARCH"
	case "NOTIFY":
		return "NOTIFY"
	case "SUBSCRIBE":
		return "SUBSCRIBE"
	case "UNSUBSCRIBE":
		return "UNSUBSCRIBE"
	}
	return ""
}

// The intern functions return constants for common wire strings, or ""
// (false) when b must be copied.

func internVersion(b []byte) string {
	switch string(b) {
	case "HTTP/1.1":
		return "HTTP/1.1"
	case "HTTP/1.0":
		return "HTTP/1.0"
	}
	return ""
}

func internReason(b []byte) (string, bool) {
	switch string(b) {
	case "":
		return "", true
	case "OK":
		return "OK", true
	case "Created":
		return "Created", true
	case "No Content":
		return "No Content", true
	case "Continue":
		return "Continue", true
	case "Switching Protocols":
		return "Switching Protocols", true
	case "Moved Permanently":
		return "Moved Permanently", true
	case "Found":
		return "Found", true
	case "Not Modified":
		return "Not Modified", true
	case "Bad Request":
		return "Bad Request", true
	case "Unauthorized":
		return "Unauthorized", true
	case "Forbidden":
		return "Forbidden", true
	case "Not Found":
		return "Not Found", true
	case "Internal Server Error":
		return "Internal Server Error", true
	}
	return "", false
}

// commonNames are header names kept as constants; index 0 means none.
var commonNames = [...]string{"", "Host", "User-Agent", "Accept", "Accept-Encoding", "Accept-Language", "Authorization", "Cache-Control", "Connection", "Content-Encoding", "Content-Length", "Content-Type", "Cookie", "Date", "ETag", "Expires", "Keep-Alive", "Last-Modified", "Location", "Origin", "Pragma", "Referer", "Server", "Set-Cookie", "Transfer-Encoding", "Upgrade", "Vary", "X-Forwarded-For", "X-Request-Id", "host", "user-agent", "accept", "content-type", "content-length", "connection", "date", "server"}

// nameIndex returns the index of b in commonNames, or 0.
func nameIndex(b []byte) uint8 {
	switch string(b) {
	case "Host":
		return 1
	case "User-Agent":
		return 2
	case "Accept":
		return 3
	case "Accept-Encoding":
		return 4
	case "Accept-Language":
		return 5
	case "Authorization":
		return 6
	case "Cache-Control":
		return 7
	case "Connection":
		return 8
	case "Content-Encoding":
		return 9
	case "Content-Length":
		return 10
	case "Content-Type":
		return 11
	case "Cookie":
		return 12
	case "Date":
		return 13
	case "ETag":
		return 14
	case "Expires":
		return 15
	case "Keep-Alive":
		return 16
	case "Last-Modified":
		return 17
	case "Location":
		return 18
	case "Origin":
		return 19
	case "Pragma":
		return 20
	case "Referer":
		return 21
	case "Server":
		return 22
	case "Set-Cookie":
		return 23
	case "Transfer-Encoding":
		return 24
	case "Upgrade":
		return 25
	case "Vary":
		return 26
	case "X-Forwarded-For":
		return 27
	case "X-Request-Id":
		return 28
	case "host":
		return 29
	case "user-agent":
		return 30
	case "accept":
		return 31
	case "content-type":
		return 32
	case "content-length":
		return 33
	case "connection":
		return 34
	case "date":
		return 35
	case "server":
		return 36
	}
	return 0
}

// fieldKind tells whether a header name is one that decides framing.
func fieldKind(name []byte) uint8 {
	switch len(name) {
	case 14:
		if equalFoldLower(name, "content-length") {
			return fkContentLength
		}
	case 17:
		if equalFoldLower(name, "transfer-encoding") {
			return fkTransferEncoding
		}
	case 16:
		if equalFoldLower(name, "content-encoding") {
			return fkContentEncoding
		}
	case 7:
		if equalFoldLower(name, "upgrade") {
			return fkUpgrade
		}
	}
	return fkNone
}

// equalFoldLower compares b with lower, an ASCII lower-case string.
func equalFoldLower(b []byte, lower string) bool {
	if len(b) != len(lower) {
		return false
	}
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}
