package evalkit

import (
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Attack payloads of real attack tools, for a second opinion on detection
// from values nobody tuned the detectors on (testdata/eval/extra-attacks.sh).
// The CRS regression tests are rule unit tests, many of them fragments; what
// sqlmap sends is what an attacker's tool sends. The payloads come from the
// tools' own data files, read from their Debian packages:
//
//   - sqlmap: every test of data/xml/payloads (boolean and time-based blind,
//     error-based, inline, stacked, UNION), each wrapped in the boundaries of
//     data/xml/boundaries.xml it is compatible with, as lib/core/agent.py
//     builds them (prefix, payload, comment or suffix, after the original
//     value, a negative number, or alone), placeholders filled as sqlmap
//     fills them; then once as is and once through one of sqlmap's tamper
//     scripts (evasions), re-implemented here.
//   - wfuzz: the Injections word lists (XSS, SQL, traversal, XML) and the
//     Unix and Windows traversal lists.
//
// The sampling is seeded, so two runs give the same corpus.

// sqlmapTest is one <test> of sqlmap's payload files.
type sqlmapTest struct {
	Title   string `xml:"title"`
	SType   int    `xml:"stype"`
	Level   int    `xml:"level"`
	Clause  string `xml:"clause"`
	Where   string `xml:"where"`
	Payload string `xml:"request>payload"`
	Comment string `xml:"request>comment"`
	Char    string `xml:"request>char"`
	DBMS    string `xml:"details>dbms"`
}

// sqlmapBoundary is one <boundary> of boundaries.xml.
type sqlmapBoundary struct {
	Level  int    `xml:"level"`
	Clause string `xml:"clause"`
	Where  string `xml:"where"`
	PType  int    `xml:"ptype"`
	Prefix string `xml:"prefix"`
	Suffix string `xml:"suffix"`
}

// sqlmapTechniques names sqlmap's <stype> values.
var sqlmapTechniques = map[int]string{1: "boolean", 2: "error", 3: "inline", 4: "stacked", 5: "time", 6: "union"}

// sqlmapWhere values (<where>): how the payload joins the original value.
const (
	whereAppend   = 1
	whereNegative = 2
	whereReplace  = 3
)

// parseSet reads sqlmap's comma-separated lists with ranges ("1,2,3,8,9",
// "1-8"); "0" in a clause list means any clause.
func parseSet(s string) map[int]bool {
	out := map[int]bool{}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := strconv.Atoi(lo)
		if err != nil {
			continue
		}
		b := a
		if isRange {
			if b, err = strconv.Atoi(hi); err != nil {
				continue
			}
		}
		for i := a; i <= b; i++ {
			out[i] = true
		}
	}
	return out
}

func intersects(a, b map[int]bool) bool {
	if a[0] || b[0] {
		return true
	}
	for k := range a {
		if b[k] {
			return true
		}
	}
	return false
}

// sqlmapFiller fills sqlmap's placeholders as lib/core/agent.py's
// cleanupPayload does, with one random draw per placeholder and payload.
type sqlmapFiller struct {
	r      *rand.Rand
	orig   string
	values map[string]string
}

var placeholderRe = regexp.MustCompile(`\[[A-Z_0-9]+\]`)

func (f *sqlmapFiller) fill(s string) string {
	return placeholderRe.ReplaceAllStringFunc(s, func(ph string) string {
		if v, ok := f.values[ph]; ok {
			return v
		}
		var v string
		switch {
		case strings.HasPrefix(ph, "[RANDNUM"):
			v = strconv.Itoa(1000 + f.r.IntN(9000))
		case strings.HasPrefix(ph, "[RANDSTR"):
			v = randLetters(f.r, 4)
		case ph == "[SLEEPTIME]":
			v = "5"
		case ph == "[DELIMITER_START]", ph == "[DELIMITER_STOP]":
			v = "q" + randLetters(f.r, 3) + "q"
		case ph == "[ORIGVALUE]", ph == "[ORIGINAL]":
			v = f.orig
		case ph == "[GENERIC_SQL_COMMENT]":
			v = "-- " + randLetters(f.r, 4)
		default:
			return ph
		}
		f.values[ph] = v
		return v
	})
}

// sqlmapBuild joins one test and one boundary as lib/core/agent.py's
// prefixQuery and suffixQuery do; the caller puts the result after the
// original value, after a negative number, or alone, per where.
func sqlmapBuild(t *sqlmapTest, b *sqlmapBoundary, where int, f *sqlmapFiller) string {
	expr := t.Payload
	if t.SType == 6 {
		expr = sqlmapUnion(t, f)
	}
	expr = f.fill(expr)
	var query string
	clause := parseSet(b.Clause)
	switch {
	case where == whereReplace:
		// The value is replaced: no prefix.
	case t.SType == 4 || len(clause) <= 2 && (clause[2] || clause[3]) && !clause[1]:
		// Stacked queries and GROUP BY / ORDER BY boundaries: the
		// prefix with no space after it.
		query = f.fill(b.Prefix)
	default:
		query = f.fill(b.Prefix)
		if !(strings.HasPrefix(expr, ";") || strings.HasSuffix(query, "(") ||
			strings.HasSuffix(query, ")") && (strings.HasPrefix(expr, "(") || strings.HasPrefix(expr, ")"))) {
			query += " "
		}
	}
	expr = query + expr
	comment := f.fill(t.Comment)
	expr += comment
	if where != whereReplace && b.Suffix != "" && comment == "" {
		suffix := f.fill(b.Suffix)
		if endsWord(expr) && startsWord(suffix) {
			expr += " "
		}
		expr += suffix
	}
	return expr
}

func endsWord(s string) bool   { return s != "" && isWordByte(s[len(s)-1]) }
func startsWord(s string) bool { return s != "" && isWordByte(s[0]) }
func isWordByte(c byte) bool {
	return c == '_' || '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}

// sqlmapUnion builds a UNION test's query as lib/core/agent.py's
// forgeUnionQuery does: UNION ALL SELECT with one column carrying the
// delimited marker (as hex, as sqlmap sends it) and the others NULL or the
// test's character.
func sqlmapUnion(t *sqlmapTest, f *sqlmapFiller) string {
	n := 1 + f.r.IntN(10)
	pos := f.r.IntN(n)
	filler := "NULL"
	if strings.Contains(t.Title, "[RANDNUM]") {
		filler = "[RANDNUM]"
	}
	cols := make([]string, n)
	for i := range cols {
		cols[i] = filler
	}
	hexOf := func(s string) string { return "0x" + hex.EncodeToString([]byte(s)) }
	cols[pos] = "CONCAT(" + hexOf("q"+randLetters(f.r, 3)+"q") + "," + hexOf(randLetters(f.r, 20)) + "," + hexOf("q"+randLetters(f.r, 3)+"q") + ")"
	if strings.Contains(t.DBMS, "Oracle") {
		return "UNION ALL SELECT " + strings.Join(cols, ",") + " FROM DUAL"
	}
	return "UNION ALL SELECT " + strings.Join(cols, ",")
}

// LoadSqlmap builds attack entries from sqlmap's data/xml directory (the
// payloads/ files and boundaries.xml): for every test, the compatible
// boundaries of level 1 (sqlmap's default run) and two more drawn at
// random, each once as is and once through a random tamper.
func LoadSqlmap(dir string, seed uint64) ([]Entry, error) {
	var bs struct {
		Boundaries []sqlmapBoundary `xml:"boundary"`
	}
	if err := readXML(filepath.Join(dir, "boundaries.xml"), &bs); err != nil {
		return nil, err
	}
	files, err := filepath.Glob(filepath.Join(dir, "payloads", "*.xml"))
	if err != nil || len(files) == 0 {
		return nil, fmt.Errorf("sqlmap: no payload files under %s", dir)
	}
	sort.Strings(files)
	r := rand.New(rand.NewPCG(seed, 0x5eed))
	var out []Entry
	for _, file := range files {
		var ts struct {
			Tests []sqlmapTest `xml:"test"`
		}
		if err := readXML(file, &ts); err != nil {
			return nil, err
		}
		for ti := range ts.Tests {
			t := &ts.Tests[ti]
			tech := sqlmapTechniques[t.SType]
			if tech == "" || t.SType != 6 && strings.TrimSpace(t.Payload) == "" {
				continue
			}
			var level1, others []int
			for bi := range bs.Boundaries {
				b := &bs.Boundaries[bi]
				if !intersects(parseSet(t.Clause), parseSet(b.Clause)) || !intersects(parseSet(t.Where), parseSet(b.Where)) {
					continue
				}
				if b.Level == 1 {
					level1 = append(level1, bi)
				} else {
					others = append(others, bi)
				}
			}
			r.Shuffle(len(others), func(i, j int) { others[i], others[j] = others[j], others[i] })
			chosen := append(level1, others[:min(2, len(others))]...)
			for _, bi := range chosen {
				b := &bs.Boundaries[bi]
				var where int
				for w := whereAppend; w <= whereReplace; w++ {
					if parseSet(t.Where)[w] && parseSet(b.Where)[w] {
						where = w
						break
					}
				}
				orig := "1"
				if b.PType != 1 {
					orig = "test"
				}
				f := &sqlmapFiller{r: r, orig: orig, values: map[string]string{}}
				inj := sqlmapBuild(t, b, where, f)
				lead := ""
				switch where {
				case whereAppend:
					lead = orig
				case whereNegative:
					lead = "-" + strconv.Itoa(1000+r.IntN(9000))
				}
				src := fmt.Sprintf("sqlmap:%s:%s:%d/%d", tech, "none", ti+1, bi+1)
				out = append(out, Entry{Class: "sqli", Label: LabelAttack, Source: src, Payload: lead + inj})
				tp := Tampers[r.IntN(len(Tampers))]
				src = fmt.Sprintf("sqlmap:%s:%s:%d/%d", tech, tp.Name, ti+1, bi+1)
				out = append(out, Entry{Class: "sqli", Label: LabelAttack, Source: src, Payload: lead + tp.Fn(inj, r)})
			}
		}
	}
	return out, nil
}

func readXML(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := xml.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// Tamper is one of sqlmap's tamper scripts (tamper/*.py), re-implemented:
// Fn returns the payload as the application receives it, after the one
// URL-decoding of the request (so chardoubleencode leaves one layer).
type Tamper struct {
	Name string
	Fn   func(payload string, r *rand.Rand) string
}

var sqlKeywordRe = regexp.MustCompile(`\b[A-Z]{2,}\b`)

// Tampers are the re-implemented tamper scripts.
var Tampers = []Tamper{
	{"space2comment", func(p string, _ *rand.Rand) string { return strings.ReplaceAll(p, " ", "/**/") }},
	{"randomcase", func(p string, r *rand.Rand) string {
		return sqlKeywordRe.ReplaceAllStringFunc(p, func(w string) string {
			b := []byte(w)
			for i := range b {
				if r.IntN(2) == 0 {
					b[i] += 'a' - 'A'
				}
			}
			return string(b)
		})
	}},
	{"chardoubleencode", func(p string, _ *rand.Rand) string {
		var b strings.Builder
		for i := 0; i < len(p); i++ {
			fmt.Fprintf(&b, "%%%02X", p[i])
		}
		return b.String()
	}},
	{"versionedmorekeywords", func(p string, _ *rand.Rand) string {
		return sqlKeywordRe.ReplaceAllStringFunc(p, func(w string) string { return "/*!" + w + "*/" })
	}},
	{"space2dash", func(p string, r *rand.Rand) string {
		return replaceEach(p, " ", func() string { return "--" + randLetters(r, 6) + "\n" })
	}},
	{"space2hash", func(p string, r *rand.Rand) string {
		return replaceEach(p, " ", func() string { return "#" + randLetters(r, 6) + "\n" })
	}},
	{"symboliclogical", func(p string, _ *rand.Rand) string {
		return strings.NewReplacer(" AND ", " && ", " OR ", " || ").Replace(p)
	}},
	{"equaltolike", func(p string, _ *rand.Rand) string { return strings.ReplaceAll(p, "=", " LIKE ") }},
	{"space2randomblank", func(p string, r *rand.Rand) string {
		return replaceEach(p, " ", func() string { return string("\t\n\r\f"[r.IntN(4)]) })
	}},
	{"between", func(p string, _ *rand.Rand) string {
		return betweenRe.ReplaceAllString(p, "$1 BETWEEN $2 AND $2")
	}},
	{"unmagicquotes", func(p string, _ *rand.Rand) string {
		if i := strings.IndexByte(p, '\''); i >= 0 {
			// The first quote becomes a multi-byte lead plus quote
			// and the rest of the query is cut by a comment.
			return p[:i] + "\xbf'" + p[i+1:] + "-- -"
		}
		return p
	}},
	{"apostrophemask", func(p string, _ *rand.Rand) string { return strings.ReplaceAll(p, "'", "\uff07") }},
}

// betweenRe finds the "A=B" comparisons between.py rewrites.
var betweenRe = regexp.MustCompile(`(\w+)=(\w+)`)

func replaceEach(s, old string, repl func() string) string {
	var b strings.Builder
	for {
		i := strings.Index(s, old)
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:i])
		b.WriteString(repl())
		s = s[i+len(old):]
	}
}

func randLetters(r *rand.Rand, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('a' + r.IntN(26))
	}
	return string(b)
}

// wfuzzLists maps the wfuzz word lists taken to their class.
var wfuzzLists = []struct{ path, class string }{
	{"Injections/XSS.txt", "xss"},
	{"Injections/SQL.txt", "sqli"},
	{"Injections/Traversal.txt", "lfi"},
	{"Injections/XML.txt", "xml"},
	{"vulns/dirTraversal-nix.txt", "lfi"},
	{"vulns/dirTraversal-win.txt", "lfi"},
}

// LoadWfuzz reads wfuzz's word lists under dir (share/wfuzz/wordlist).
// The lines are what the tool sends as a parameter value: a list line with
// %XX escapes is decoded once, as the application sees it, unless that gives
// bytes that are not UTF-8 (overlong forms such as %c0%ae): such a line stays
// encoded, one more layer for the detectors to undo.
func LoadWfuzz(dir string) ([]Entry, error) {
	var out []Entry
	for _, l := range wfuzzLists {
		b, err := os.ReadFile(filepath.Join(dir, l.path))
		if err != nil {
			return nil, err
		}
		for n, line := range strings.Split(string(b), "\n") {
			line = strings.TrimRight(line, "\r")
			if strings.TrimSpace(line) == "" || !utf8.ValidString(line) {
				// Raw Latin-1 bytes (a few traversal lines) do not fit
				// the corpus's JSON strings.
				continue
			}
			if d := lenientUnescape(line, false); utf8.ValidString(d) {
				line = d
			}
			out = append(out, Entry{Class: l.class, Label: LabelAttack,
				Source: fmt.Sprintf("wfuzz:%s:%d", filepath.Base(l.path), n+1), Payload: line})
		}
	}
	return out, nil
}

// wapitiFiles maps the wapiti payload files taken to their class; the .ini
// files hold "payload = …" lines.
var wapitiFiles = []struct{ path, class string }{
	{"execPayloads.txt", "rce"},
	{"blindSQLPayloads.txt", "sqli"},
	{"xssPayloads.ini", "xss"},
	{"xxePayloads.ini", "xxe"},
	{"fileHandlingPayloads.ini", "lfi"},
}

// wapitiFill replaces wapiti's placeholders as its Attack.process_line and
// xss_utils do (attack/attack.py, net/xss_utils.py): the original value,
// the line controls, the time-out, its callback endpoint and the token its
// XSS payloads carry. An XSS payload that adds attributes to the tag the
// value lands in gets the "y" wapiti puts first and a double quote as the
// separator (a value in a quoted attribute).
var wapitiFill = strings.NewReplacer(
	"[VALUE]", "1", "[DIRVALUE]", "docs", "[EXTVALUE]", "report.pdf", "[FILE_NAME]", "index.php",
	"[TAB]", "\t", "[LF]", "\n", "[FF]", "\f", "[TIME]", "6", "[TIMEOUT]", "",
	"[EXTERNAL_ENDPOINT]", "http://wapiti3.example.org/", "[SESSION_ID]", "a1b2c3", "[PATH_ID]", "2f2f",
	"[PARAM_AS_HEX]", "713d31", "[ATTR_SEP]", "\"", "[VALUE_SEP]", "\"", "__XSS__", "w4p1t1", `\0`, "\x00",
)

// LoadWapiti reads wapiti's attack payload files under dir
// (wapitiCore/data/attacks).
func LoadWapiti(dir string) ([]Entry, error) {
	var out []Entry
	for _, f := range wapitiFiles {
		b, err := os.ReadFile(filepath.Join(dir, f.path))
		if err != nil {
			return nil, err
		}
		ini := strings.HasSuffix(f.path, ".ini")
		for n, line := range strings.Split(string(b), "\n") {
			line = strings.Trim(line, " \r")
			if ini {
				v, ok := strings.CutPrefix(line, "payload = ")
				if !ok {
					continue
				}
				if strings.Contains(v, "[ATTR_SEP]") {
					v = "y" + v
				}
				line = v
			}
			if line == "" || line[0] == ';' {
				continue
			}
			out = append(out, Entry{Class: f.class, Label: LabelAttack,
				Source: fmt.Sprintf("wapiti:%s:%d", f.path, n+1), Payload: wapitiFill.Replace(line)})
		}
	}
	return out, nil
}
