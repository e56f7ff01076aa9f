package decoders

import "strings"

// maxDecodeRounds bounds the repeated URL-decoding of one value: four rounds
// unwrap any encoding depth seen in practice (double and triple encoding are
// evasion tricks; more is noise) while bounding the work per value.
const maxDecodeRounds = 4

// URLDecode percent-decodes s once, leniently: an invalid escape ("%zz", a
// trailing "%") is kept literally instead of failing, since the point is to
// see what a lenient server would see. With plusSpace set, '+' becomes a space
// (query strings and form bodies only). It reports whether s changed; when it
// did not, s itself is returned without allocating.
func URLDecode(s string, plusSpace bool) (string, bool) {
	if !needsDecode(s, plusSpace) {
		return s, false
	}
	var b strings.Builder
	b.Grow(len(s))
	decodeTo(&b, s, plusSpace)
	return b.String(), true
}

// DecodeRepeated URL-decodes s until it stops changing or maxRounds rounds
// have run, and returns the result with the number of rounds that changed it:
// "%2527" gives "'" and 2, the signature of double encoding.
func DecodeRepeated(s string, plusSpace bool, maxRounds int) (string, int) {
	n := 0
	for n < maxRounds {
		d, changed := URLDecode(s, roundPlus(s, plusSpace, n))
		if !changed {
			break
		}
		s = d
		n++
	}
	return s, n
}

// roundPlus reports whether decoding round n of s reads '+' as a space. The
// first round does (with plusSpace); a later one only when it also has a %XX
// escape to decode, the sign that the value was encoded again. A plus left
// with no escape beside it was sent as %2B and means a plus: "C%2B%2B" is
// "C++", not double encoding, and "x%27%252Bemail--" is "x'+email--".
func roundPlus(s string, plusSpace bool, n int) bool {
	return plusSpace && (n == 0 || needsDecode(s, false))
}

// needsDecode reports whether decoding s would change it: it holds a valid
// %XX escape, or a '+' when plusSpace is set.
func needsDecode(s string, plusSpace bool) bool {
	if plusSpace && strings.IndexByte(s, '+') >= 0 {
		return true
	}
	for i := 0; ; {
		j := strings.IndexByte(s[i:], '%')
		if j < 0 {
			return false
		}
		i += j
		if i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
			return true
		}
		i++
	}
}

// decodeTo appends the lenient decoding of s to b, copying runs without
// escapes in one write.
func decodeTo(b *strings.Builder, s string, plusSpace bool) {
	start := 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]):
			b.WriteString(s[start:i])
			b.WriteByte(unhex(s[i+1])<<4 | unhex(s[i+2]))
			i += 2
			start = i + 1
		case c == '+' && plusSpace:
			b.WriteString(s[start:i])
			b.WriteByte(' ')
			start = i + 1
		}
	}
	b.WriteString(s[start:])
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c <= 'F':
		return c - 'A' + 10
	default:
		return c - 'a' + 10
	}
}
