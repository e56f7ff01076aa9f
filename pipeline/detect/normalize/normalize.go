// Package normalize turns one parameter value into the forms the tier-1
// detectors match against: decoded the ways a back end might decode it, then
// folded so that case, comments and whitespace tricks do not hide a payload.
//
// Input is a parameter value as the decoders left it (decoders.Param.Best(),
// already URL-decoded until stable, with the number of rounds); output is a
// Value whose Steps say which decodings changed it, for alert evidence. The
// work is bounded: a value is cut to the caller's scan bound first, and every
// step only shrinks it.
package normalize

import (
	"encoding/base64"
	"html"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Steps records the decodings and foldings that changed a value.
type Steps uint16

const (
	URL      Steps = 1 << iota // URL-decoded (by the decoders or here)
	Double                     // URL-decoded twice or more
	HTML                       // HTML character references
	Escape                     // \uXXXX, \xXX or %uXXXX escapes
	Overlong                   // overlong UTF-8 forms of . / \
	Base64                     // the value is base64 of printable text
	Comment                    // /*…*/ comments removed
	IFS                        // ${IFS} and $IFS shell word separators
)

var stepNames = []struct {
	s    Steps
	name string
}{
	{Double, "double URL-encoded"}, {HTML, "HTML entities"}, {Escape, "escapes"},
	{Overlong, "overlong UTF-8"}, {Base64, "base64"}, {Comment, "comments"}, {IFS, "${IFS}"},
}

// String names the notable steps ("double URL-encoded, HTML entities"); a
// single URL-decoding is not notable and is left out.
func (s Steps) String() string {
	var b strings.Builder
	for _, n := range stepNames {
		if s&n.s != 0 {
			if b.Len() > 0 {
				b.WriteString(", ")
			}
			b.WriteString(n.name)
		}
	}
	return b.String()
}

// Value is one parameter value in its matching forms.
type Value struct {
	// Text is the value decoded (URL, HTML entities, escapes, overlong
	// UTF-8), case kept.
	Text string
	// Fold is Text lower-cased (ASCII), with /*…*/ comments, ${IFS} and
	// tabs turned into single spaces. Line breaks are kept.
	Fold string
	// Base64 is the folded text a base64 value decodes to, when the value
	// looks like base64 (at least MinBase64 characters of its alphabet) and
	// decodes to printable text; "" otherwise.
	Base64 string
	// Steps records what changed the value.
	Steps Steps
}

// Forms returns Fold and, when set, Base64: the strings to match.
func (v *Value) Forms() []string {
	if v.Base64 == "" {
		return []string{v.Fold}
	}
	return []string{v.Fold, v.Base64}
}

// MinBase64 is the shortest value tried as base64: shorter ones are mostly
// words and identifiers that happen to use the alphabet.
const MinBase64 = 16

// maxRounds bounds the decode rounds done here, after the decoders' own
// URL-decoding.
const maxRounds = 3

// Normalize returns the forms of s, a value the decoders URL-decoded
// urlDecodes times, reading at most max bytes of it (all when max <= 0).
func Normalize(s string, urlDecodes, max int) Value {
	if max > 0 && len(s) > max {
		s = cutUTF8(s, max)
	}
	var v Value
	switch {
	case urlDecodes >= 2:
		v.Steps |= URL | Double
	case urlDecodes == 1:
		v.Steps |= URL
	}
	v.Text = decode(s, &v.Steps)
	v.Fold = fold(v.Text, &v.Steps)
	if b, ok := decodeBase64(v.Text); ok {
		var st Steps
		v.Base64 = fold(decode(b, &st), &st)
		v.Steps |= Base64
	}
	return v
}

// MayChange reports whether Normalize could give a Text or Base64 form
// other than s itself (apart from case): detectors whose own characters do
// not occur in s skip it when this is false.
func MayChange(s string) bool {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '&', '\\', '%', 0xc0, 0xc1, 0xe0:
			return true
		}
	}
	return Base64Text(s)
}

// ChangeBytes are the bytes that make MayChange true by themselves; a
// caller that already knows s has none of them calls Base64Text instead.
const ChangeBytes = "&\\%\xc0\xc1\xe0"

// Base64Text reports whether s looks like base64 (see Value.Base64) and its
// start decodes to printable text: MayChange for a value without
// ChangeBytes.
func Base64Text(s string) bool {
	return looksBase64(s) && DecodesToText(s)
}

// DecodesToText is Base64Text's second half, for a caller that knows s
// looks like base64 (at least MinBase64 bytes of letters, digits and
// + / - _, with a letter and not only lower-case ones, a length that is
// not 1 modulo 4, no '=' but at the end): whether its start decodes to
// printable text. It does not allocate. It decodes eight characters (six
// bytes) at a time and stops at the first control byte: the random bytes
// of a token or an id have one within a few bytes, and the whole 48 are
// decoded only for what is text.
func DecodesToText(s string) bool {
	s = strings.TrimRight(s, "=")
	n := min(len(s), 64) &^ 3
	var buf [48]byte
	enc := base64.RawStdEncoding
	if strings.IndexByte(s, '-') >= 0 || strings.IndexByte(s, '_') >= 0 {
		enc = base64.RawURLEncoding
	}
	// The last three bytes may be cut off below: a control byte or a
	// malformed UTF-8 sequence before them settles it. Random bytes hold
	// one of either within a few bytes (most bytes past ASCII do not
	// start a valid sequence), so an id or a token costs one chunk.
	m, kept, valid := 0, n/4*3-3, 0
	for i := 0; i < n; i += 8 {
		j := min(i+8, n)
		k, err := enc.Decode(buf[m:], []byte(s[i:j]))
		if err != nil {
			return false
		}
		if m < kept && hasControl(buf[m:min(m+k, kept)]) {
			return false
		}
		m += k
		// buf[:valid] is whole runes; a sequence that starts before kept
		// and is complete in buf[:m] stays in what is checked below,
		// where a trimmed end cannot make it valid.
		for valid < min(m, kept) {
			if buf[valid] < utf8.RuneSelf {
				valid++
				continue
			}
			if !utf8.FullRune(buf[valid:m]) {
				break
			}
			r, size := utf8.DecodeRune(buf[valid:m])
			if r == utf8.RuneError && size == 1 {
				return false
			}
			valid += size
		}
	}
	// A cut may split a UTF-8 sequence at the end: leave room for it.
	b := buf[:m]
	for i := 0; i < 3 && len(b) > 0 && !utf8.Valid(b); i++ {
		b = b[:len(b)-1]
	}
	return printable(b)
}

// decode applies HTML, escape, overlong and URL decoding until the value
// stops changing, at most maxRounds times.
func decode(s string, st *Steps) string {
	for range maxRounds {
		before := s
		if strings.IndexByte(s, '&') >= 0 {
			if d := html.UnescapeString(s); d != s {
				s, *st = d, *st|HTML
			}
		}
		if strings.IndexByte(s, '\\') >= 0 || strings.Contains(s, "%u") || strings.Contains(s, "%U") {
			if d := unescape(s); d != s {
				s, *st = d, *st|Escape
			}
		}
		if d := overlong(s); d != s {
			s, *st = d, *st|Overlong
		}
		if strings.IndexByte(s, '%') >= 0 {
			if d, ok := urlDecode(s); ok && d != s {
				if *st&URL != 0 {
					*st |= Double
				}
				s, *st = d, *st|URL
			}
		}
		if s == before {
			break
		}
	}
	return s
}

// unescape decodes \uXXXX, \u{X…}, \xXX and %uXXXX escapes; anything else
// is kept as it is.
func unescape(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		c := s[i]
		if (c == '\\' || c == '%') && i+1 < len(s) {
			n := s[i+1]
			switch {
			case (n == 'u' || n == 'U') && i+6 <= len(s) && allHex(s[i+2:i+6]):
				r, _ := strconv.ParseUint(s[i+2:i+6], 16, 32)
				b.WriteRune(rune(r))
				i += 6
				continue
			case c == '\\' && n == 'u' && i+3 < len(s) && s[i+2] == '{':
				if end := strings.IndexByte(s[i+3:min(len(s), i+12)], '}'); end > 0 && allHex(s[i+3:i+3+end]) {
					r, _ := strconv.ParseUint(s[i+3:i+3+end], 16, 32)
					if r <= utf8.MaxRune {
						b.WriteRune(rune(r))
						i += 4 + end
						continue
					}
				}
			case c == '\\' && (n == 'x' || n == 'X') && i+4 <= len(s) && allHex(s[i+2:i+4]):
				r, _ := strconv.ParseUint(s[i+2:i+4], 16, 8)
				b.WriteByte(byte(r))
				i += 4
				continue
			}
		}
		b.WriteByte(c)
		i++
	}
	return b.String()
}

// overlong maps the overlong UTF-8 encodings of '.', '/' and '\' (which old
// decoders accepted, so traversal payloads use them) to the characters.
func overlong(s string) string {
	if !hasOverlongLead(s) {
		return s
	}
	return overlongReplacer.Replace(s)
}

func hasOverlongLead(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == 0xc0 || c == 0xc1 || c == 0xe0 {
			return true
		}
	}
	return false
}

var overlongReplacer = strings.NewReplacer(
	"\xc0\xae", ".", "\xc0\xaf", "/", "\xc1\x9c", "\\", "\xc1\x1c", "\\",
	"\xe0\x80\xae", ".", "\xe0\x80\xaf", "/", "\xc0\x2e", ".", "\xc0\x2f", "/",
)

// urlDecode decodes %XX escapes (not '+': a JSON or header value keeps its
// plus signs); an invalid escape is kept as it is.
func urlDecode(s string) (string, bool) {
	var b strings.Builder
	changed := false
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
			if !changed {
				b.Grow(len(s))
				b.WriteString(s[:i])
				changed = true
			}
			b.WriteByte(unhex(s[i+1])<<4 | unhex(s[i+2]))
			i += 2
			continue
		}
		if changed {
			b.WriteByte(s[i])
		}
	}
	if !changed {
		return s, false
	}
	return b.String(), true
}

// fold lower-cases s (ASCII) and turns comments, ${IFS} and tabs into
// spaces. It does not allocate when s needs none of it.
func fold(s string, st *Steps) string {
	if !needsFold(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '/' && strings.HasPrefix(s[i:], "/*"):
			if end := strings.Index(s[i+2:], "*/"); end < 0 {
				i = len(s)
			} else {
				i += end + 4
			}
			*st |= Comment
			b.WriteByte(' ')
			continue
		case c == '$':
			if n := ifsLen(s[i:]); n > 0 {
				*st |= IFS
				b.WriteByte(' ')
				i += n
				continue
			}
		case c == '\t' || c == '\v' || c == '\f':
			c = ' '
		case 'A' <= c && c <= 'Z':
			c += 'a' - 'A'
		}
		b.WriteByte(c)
		i++
	}
	return b.String()
}

func needsFold(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case 'A' <= c && c <= 'Z', c == '\t', c == '\v', c == '\f':
			return true
		case c == '/' && i+1 < len(s) && s[i+1] == '*':
			return true
		case c == '$' && ifsLen(s[i:]) > 0:
			return true
		}
	}
	return false
}

// ifsLen returns the length of a ${IFS}, ${IFS%??} or $IFS (with an
// optional $9-style positional after it) at the start of s, or 0.
func ifsLen(s string) int {
	switch {
	case hasPrefixFold(s, "${ifs}"):
		return 6
	case hasPrefixFold(s, "${ifs%??}"):
		return 9
	case hasPrefixFold(s, "$ifs"):
		n := 4
		if len(s) > 5 && s[4] == '$' && '0' <= s[5] && s[5] <= '9' {
			n = 6
		}
		return n
	}
	return 0
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// looksBase64 reports whether s could be base64 worth decoding: long
// enough, only the alphabet (standard or URL-safe), padding only at the
// end, and not all letters or all digits (words and numbers).
func looksBase64(s string) bool {
	if len(s) < MinBase64 {
		return false
	}
	s = strings.TrimRight(s, "=")
	if len(s)%4 == 1 {
		return false
	}
	var letters, digits int
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z':
			letters++
		case '0' <= c && c <= '9':
			digits++
		case c == '+', c == '/', c == '-', c == '_':
		default:
			return false
		}
	}
	return letters > 0 && !(digits == 0 && isLowerWord(s))
}

// isLowerWord reports a value of only lower-case letters, which is a word
// far more often than base64.
func isLowerWord(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 'a' || s[i] > 'z' {
			return false
		}
	}
	return true
}

// decodeBase64 decodes s when it looks like base64 of printable text.
func decodeBase64(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if !looksBase64(s) {
		return "", false
	}
	raw := strings.TrimRight(s, "=")
	enc := base64.RawStdEncoding
	if strings.ContainsAny(raw, "-_") {
		enc = base64.RawURLEncoding
	}
	b, err := enc.DecodeString(raw)
	if err != nil || !printable(b) {
		return "", false
	}
	return string(b), true
}

// printable reports text: valid UTF-8 without control characters other
// than tab and line breaks.
func printable(b []byte) bool {
	return len(b) > 0 && utf8.Valid(b) && !hasControl(b)
}

// hasControl reports whether b holds a control byte other than a tab or a
// line break.
func hasControl(b []byte) bool {
	for _, c := range b {
		if c < 0x20 && c != '\t' && c != '\n' && c != '\r' || c == 0x7f {
			return true
		}
	}
	return false
}

func cutUTF8(s string, n int) string {
	for n > 0 && n < len(s) && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func allHex(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isHex(s[i]) {
			return false
		}
	}
	return true
}

func unhex(c byte) byte {
	switch {
	case c >= 'a':
		return c - 'a' + 10
	case c >= 'A':
		return c - 'A' + 10
	}
	return c - '0'
}
