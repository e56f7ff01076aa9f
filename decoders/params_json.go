package decoders

import (
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// AppendJSONParams appends the leaves of one JSON text to dst, named and
// bounded as ExtractParams names and bounds a JSON body (location json; at most
// l.MaxParams parameters in dst in all), and returns dst with the number of
// leaves dropped. A syntax error before the end adds the whole text as a body
// parameter, as ExtractParams does. The gRPC layer uses it for the messages of
// application/grpc+json calls, which are not one HTTP body.
func AppendJSONParams(dst []Param, body []byte, l *Limits) ([]Param, int) {
	if l == nil {
		d := DefaultLimits()
		l = &d
	}
	e := extractor{max: l.MaxParams, maxBytes: l.MaxParamBytes, maxNest: l.MaxNesting, out: dst}
	if e.json(string(body)) {
		e.text(body, true)
	}
	return e.out, e.dropped
}

// jsonFrame is one open object or array.
type jsonFrame struct {
	arr     bool
	idx     int // current element of an array
	pathLen int // length of the path naming this container
}

// json extracts the leaves of one or more consecutive JSON values.
//
// It is a small iterative scanner rather than encoding/json's Decoder.Token,
// which allocates per token and is several times slower: it keeps one path
// buffer and a stack bounded by maxNest, and slices values out of s when they
// need no unescaping. It stops at the first syntax error, keeping what it
// extracted, and reports true when that error is not simply the end of s
// (a truncated body is not a syntax error).
func (e *extractor) json(s string) (syntaxErr bool) {
	var pathArr [256]byte
	var stackArr [32]jsonFrame
	path, stack := pathArr[:0], stackArr[:0]
	afterValue := false
	i := 0
	for {
		i = skipJSONSpace(s, i)
		if i >= len(s) {
			return false
		}
		c := s[i]
		if afterValue {
			if len(stack) == 0 {
				// Another top-level value (NDJSON, or trailing garbage).
				afterValue, path = false, path[:0]
				continue
			}
			top := &stack[len(stack)-1]
			switch {
			case c == ',':
				i = skipJSONSpace(s, i+1)
				if top.arr {
					top.idx++
					path = appendIndex(path[:top.pathLen], top.idx)
				} else {
					var ok bool
					if path, i, ok = e.jsonKey(s, i, path[:top.pathLen]); !ok {
						return i < len(s)
					}
				}
				afterValue = false
			case c == '}' && !top.arr, c == ']' && top.arr:
				path = path[:top.pathLen]
				stack = stack[:len(stack)-1]
				i++
			default:
				return true
			}
			continue
		}

		switch {
		case c == '{' || c == '[':
			if len(stack) >= e.maxNest {
				e.dropped++
				i = skipJSONContainer(s, i)
				afterValue = true
				continue
			}
			fr := jsonFrame{arr: c == '[', pathLen: len(path)}
			i = skipJSONSpace(s, i+1)
			if i >= len(s) {
				return false
			}
			if s[i] == '}' && !fr.arr || s[i] == ']' && fr.arr {
				i++
				afterValue = true
				continue
			}
			stack = append(stack, fr)
			if fr.arr {
				path = appendIndex(path, 0)
				continue
			}
			var ok bool
			if path, i, ok = e.jsonKey(s, i, path); !ok {
				return i < len(s)
			}
			continue
		case c == '"':
			end, esc, ok := scanJSONString(s, i)
			if !ok {
				if !e.full() {
					// Truncated inside the string: keep what there is.
					e.jsonLeaf(path, s[i+1:], esc, decodePlain)
				}
				return false
			}
			if !e.full() {
				e.jsonLeaf(path, s[i+1:end], esc, decodePlain)
			}
			i = end + 1
		case c == '-' || '0' <= c && c <= '9':
			j := i + 1
			for j < len(s) && isJSONNumByte(s[j]) {
				j++
			}
			if !e.full() {
				e.jsonLeaf(path, s[i:j], false, noDecode)
			}
			i = j
		default:
			lit := jsonLiteral(c)
			if lit == "" {
				return true
			}
			if !strings.HasPrefix(s[i:], lit) {
				// A prefix of the literal cut by the end is truncation.
				return !strings.HasPrefix(lit, s[i:])
			}
			if !e.full() {
				e.add(LocJSON, e.keep(path), lit, noDecode)
			}
			i += len(lit)
		}
		afterValue = true
	}
}

// jsonKey reads `"key" :` at s[i] and appends ".key" (or "key" at the top) to
// path, which holds the containing object's path.
func (e *extractor) jsonKey(s string, i int, path []byte) ([]byte, int, bool) {
	if i >= len(s) || s[i] != '"' {
		return path, i, false
	}
	end, esc, ok := scanJSONString(s, i)
	if !ok {
		return path, len(s), false
	}
	if len(path) > 0 {
		path = append(path, '.')
	}
	start := len(path)
	if esc {
		path = appendJSONUnescaped(path, s[i+1:end], len(s))
	} else {
		path = append(path, s[i+1:end]...)
	}
	if key := path[start:]; !plainName(key) {
		// The path buffer is reused: name gets a copy.
		e.name(LocJSON, string(key))
	}
	i = skipJSONSpace(s, end+1)
	if i >= len(s) || s[i] != ':' {
		return path, i, false
	}
	return path, i + 1, true
}

// jsonLeaf adds one leaf; the caller has checked full.
func (e *extractor) jsonLeaf(path []byte, raw string, esc bool, mode decodeMode) {
	name := e.keep(path)
	if esc {
		// Unescaped whole when longer than the bound: its tail is read
		// too (add).
		limit := e.maxBytes + utf8.UTFMax
		if len(raw) > e.maxBytes {
			limit = len(raw)
		}
		e.scratch = appendJSONUnescaped(e.scratch[:0], raw, limit)
		e.addKept(LocJSON, name, e.scratch, mode)
		return
	}
	e.add(LocJSON, name, raw, mode)
}

// scanJSONString finds the closing quote of the string opening at s[i]. It
// reports whether the string holds escapes and whether it is terminated.
func scanJSONString(s string, i int) (end int, esc bool, ok bool) {
	j := i + 1
	for {
		k := strings.IndexByte(s[j:], '"')
		if k < 0 {
			return len(s), strings.IndexByte(s[i+1:], '\\') >= 0, false
		}
		q := j + k
		bs := 0
		for p := q - 1; p > i && s[p] == '\\'; p-- {
			bs++
		}
		if bs%2 == 0 {
			return q, strings.IndexByte(s[i+1:q], '\\') >= 0, true
		}
		j = q + 1
	}
}

// appendJSONUnescaped appends the unescaped form of a JSON string body,
// stopping before the output would pass limit bytes. Invalid escapes are kept
// literally and lone surrogates become U+FFFD: the value is evidence, not
// data to reject.
func appendJSONUnescaped(dst []byte, raw string, limit int) []byte {
	start := len(dst)
	for i := 0; i < len(raw); {
		c := raw[i]
		if c != '\\' || i+1 >= len(raw) {
			if len(dst)-start >= limit {
				break
			}
			dst = append(dst, c)
			i++
			continue
		}
		var r rune
		n := 2
		switch raw[i+1] {
		case '"', '\\', '/':
			r = rune(raw[i+1])
		case 'b':
			r = '\b'
		case 'f':
			r = '\f'
		case 'n':
			r = '\n'
		case 'r':
			r = '\r'
		case 't':
			r = '\t'
		case 'u':
			r1, ok := hex4(raw, i+2)
			if !ok {
				r, n = '\\', 1
				break
			}
			r, n = r1, 6
			if utf16.IsSurrogate(r1) {
				r = utf8.RuneError
				if r2, ok := hex4(raw, i+8); ok && raw[i+6] == '\\' && raw[i+7] == 'u' {
					if d := utf16.DecodeRune(r1, r2); d != utf8.RuneError {
						r, n = d, 12
					}
				}
			}
		default:
			r, n = '\\', 1
		}
		if len(dst)-start+utf8.RuneLen(r) > limit {
			break
		}
		dst = utf8.AppendRune(dst, r)
		i += n
	}
	return dst
}

// hex4 parses the four hex digits at s[i:].
func hex4(s string, i int) (rune, bool) {
	if i+4 > len(s) {
		return 0, false
	}
	var r rune
	for _, c := range []byte(s[i : i+4]) {
		if !isHex(c) {
			return 0, false
		}
		r = r<<4 | rune(unhex(c))
	}
	return r, true
}

// skipJSONContainer returns the index after the container opening at s[i],
// or len(s). It only matches brackets (outside strings): the subtree is not
// extracted, so it need not be valid.
func skipJSONContainer(s string, i int) int {
	depth := 0
	for ; i < len(s); i++ {
		switch s[i] {
		case '{', '[':
			depth++
		case '}', ']':
			depth--
			if depth == 0 {
				return i + 1
			}
		case '"':
			end, _, ok := scanJSONString(s, i)
			if !ok {
				return len(s)
			}
			i = end
		}
	}
	return len(s)
}

func skipJSONSpace(s string, i int) int {
	for i < len(s) && (s[i] == ' ' || s[i] == '\n' || s[i] == '\r' || s[i] == '\t') {
		i++
	}
	return i
}

func isJSONNumByte(c byte) bool {
	return '0' <= c && c <= '9' || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-'
}

func jsonLiteral(c byte) string {
	switch c {
	case 't':
		return "true"
	case 'f':
		return "false"
	case 'n':
		return "null"
	}
	return ""
}

func appendIndex(path []byte, i int) []byte {
	path = append(path, '[')
	path = strconv.AppendInt(path, int64(i), 10)
	return append(path, ']')
}
