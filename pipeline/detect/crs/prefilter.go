package crs

import (
	"github.com/apisensor/sensor/decoders"
	"github.com/apisensor/sensor/pipeline/detect"
)

// Suspicious is the suspicious mode's prefilter: it reports whether any
// parameter of x (or its raw path) holds characters or words that the
// attacks CRS finds cannot do without — a tag opening, a template or
// expression opening, a shell separator or substitution, a parent-directory
// step, a sensitive file or scheme, a known function call, or a quote with
// an SQL keyword. It reads at most scanBytes of each value and allocates
// nothing. A false positive costs one CRS run; a false negative is a
// payload neither the tier-1 detectors nor this filter saw.
func Suspicious(x *decoders.Exchange, scanBytes int) bool {
	if req := x.Request; req != nil && SuspiciousValue(bounded(req.Path, scanBytes), true) {
		return true
	}
	for i := range x.Params {
		if suspiciousParam(&x.Params[i], scanBytes) {
			return true
		}
	}
	return false
}

// suspiciousParam applies Suspicious's test to one parameter.
func suspiciousParam(p *decoders.Param, scanBytes int) bool {
	lenient := false
	switch p.Loc {
	case decoders.LocHeader:
		if !detect.ScannedHeader(p.Name) {
			return false
		}
		// User-Agent and friends are full of "; " and "(...)".
		lenient = true
	case decoders.LocPath:
		// Clients resolve dot segments; one on the wire is a probe.
		if v := p.Best(); v == ".." || v == "." {
			return true
		}
	default:
		if SuspiciousValue(bounded(p.Name, scanBytes), false) {
			return true
		}
	}
	return SuspiciousValue(bounded(p.Best(), scanBytes), lenient)
}

// keyword kinds.
const (
	kwStrong = iota + 1 // suspicious by itself
	kwSQL               // suspicious next to a quote
	kwUnion             // suspicious with kwSelect
	kwSelect            // suspicious with kwUnion
)

type keyword struct {
	word string // lower case
	kind int
	// whole tells that the keyword must end at a word boundary.
	whole bool
}

// keywords, indexed by first letter, are looked up at word starts only.
var keywords [26][]keyword

func init() {
	strong := []string{
		"sleep(", "benchmark(", "waitfor", "pg_sleep", "information_schema", "load_file",
		"outfile", "dumpfile", "xp_cmdshell", "exec(", "eval(", "system(", "passthru",
		"shell_exec", "popen(", "proc_open", "phpinfo", "base64_decode", "assert(",
		"php://", "file://", "phar://", "expect://", "zip://", "gopher://", "dict://",
		"javascript:", "vbscript:", "onerror", "onload", "onmouseover", "onfocus",
		"alert(", "prompt(", "document.cookie", "java.lang", "getruntime",
		"processbuilder", "cmd.exe", "powershell", "wget ", "curl ", "chr(", "char(",
		"concat(", "extractvalue", "updatexml",
	}
	sql := []string{
		"or", "and", "xor", "from", "where", "having", "order", "group", "insert",
		"update", "delete", "drop", "like", "null", "case", "when", "exec", "sleep",
	}
	add := func(k keyword) {
		keywords[k.word[0]-'a'] = append(keywords[k.word[0]-'a'], k)
	}
	for _, w := range strong {
		add(keyword{word: w, kind: kwStrong})
	}
	for _, w := range sql {
		add(keyword{word: w, kind: kwSQL, whole: true})
	}
	add(keyword{word: "union", kind: kwUnion, whole: true})
	add(keyword{word: "select", kind: kwSelect, whole: true})
}

// SuspiciousValue reports whether s looks like part of an injection.
// lenient drops the checks that ordinary header values fail (";" and "|"
// before a word).
func SuspiciousValue(s string, lenient bool) bool {
	var quote, sqlWord, union, sel bool
	for i := 0; i < len(s); i++ {
		c := s[i]
		next := byte(0)
		if i+1 < len(s) {
			next = s[i+1]
		}
		switch c {
		case 0, '`':
			return true
		case '<':
			if isLetter(next) || next == '!' || next == '/' || next == '?' || next == '%' {
				return true
			}
		case '$':
			if next == '{' || next == '(' {
				return true
			}
		case '#':
			if next == '{' || quote {
				return true
			}
		case '{':
			if next == '{' || next == '%' {
				return true
			}
		case '.':
			if next == '.' && i+2 < len(s) && (s[i+2] == '/' || s[i+2] == '\\') {
				return true
			}
		case '|':
			if next == '|' || (!lenient && wordFollows(s, i+1)) {
				return true
			}
		case '&':
			if next == '&' {
				return true
			}
		case ';':
			if quote || (!lenient && wordFollows(s, i+1)) {
				return true
			}
		case '\'', '"':
			quote = true
		case '-':
			if next == '-' && quote {
				return true
			}
		case '/':
			if next == '*' || hasPrefixFold(s[i:], "/etc/") || hasPrefixFold(s[i:], "/proc/") || hasPrefixFold(s[i:], "/bin/") {
				return true
			}
		case '\\':
			if hasPrefixFold(s[i:], "\\windows\\") || hasPrefixFold(s[i:], "\\system32") {
				return true
			}
		default:
			l := c | 0x20
			if l < 'a' || l > 'z' || (i > 0 && isWordByte(s[i-1])) {
				continue
			}
			for _, k := range keywords[l-'a'] {
				if !hasPrefixFold(s[i:], k.word) {
					continue
				}
				if k.whole && i+len(k.word) < len(s) && isWordByte(s[i+len(k.word)]) {
					continue
				}
				switch k.kind {
				case kwStrong:
					return true
				case kwSQL:
					sqlWord = true
				case kwUnion:
					union = true
				case kwSelect:
					sel = true
				}
			}
		}
	}
	return (quote && (sqlWord || union || sel)) || (union && sel)
}

// wordFollows reports whether s[i:], after spaces, starts with a letter:
// "; ls", "|id".
func wordFollows(s string, i int) bool {
	for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
		i++
	}
	return i < len(s) && (isLetter(s[i]) || s[i] == '/')
}

func isLetter(c byte) bool {
	c |= 0x20
	return 'a' <= c && c <= 'z'
}

func isWordByte(c byte) bool {
	return isLetter(c) || ('0' <= c && c <= '9') || c == '_'
}

// hasPrefixFold reports whether s starts with prefix, ASCII case
// insensitively; prefix is lower case.
func hasPrefixFold(s, prefix string) bool {
	if len(s) < len(prefix) {
		return false
	}
	for j := 0; j < len(prefix); j++ {
		c := s[j]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != prefix[j] {
			return false
		}
	}
	return true
}
