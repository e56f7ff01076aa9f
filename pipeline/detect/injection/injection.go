// Package injection is the "injection" detector: it runs libinjection's SQL
// injection and XSS classifiers over every request parameter of an exchange
// (query, path, form, JSON, XML, multipart, cookies and the headers an
// attacker controls), and over the decoded path and query as wholes.
//
// It raises at most one alert per rule ("sqli", "xss") per exchange, listing
// every matching parameter as evidence (bounded), and reads the response for
// signs that the attack worked (pipeline/detect/confirm): a DBMS error, a
// reflected payload. Input comes from the pipeline through detect.Detector,
// on its own or, when a Walker follows it in the detector list (tier 1's
// families do in the defaults), through the walker's pass over the
// parameters (see Merge and Scan); it keeps no state between calls.
package injection

//go:generate go run gen_sqlwords.go

import (
	"encoding/base64"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/corazawaf/libinjection-go"

	"github.com/apisensor/sensor/decoders"
	"github.com/apisensor/sensor/pipeline/alert"
	"github.com/apisensor/sensor/pipeline/detect"
	"github.com/apisensor/sensor/pipeline/detect/confirm"
	"github.com/apisensor/sensor/pipeline/detect/literals"
	"github.com/apisensor/sensor/pipeline/detect/normalize"
)

// Name is the detector's registered name.
const Name = "injection"

func init() {
	detect.Register(Name, func(cfg detect.Config) (detect.Detector, error) { return New(cfg) })
}

// owasp is A03:2021 (Injection). The API Security Top 10 2023 has no
// injection entry (API8:2019 "Injection" became API8:2023 "Security
// Misconfiguration"); confirm adds API8:2023 when the response discloses a
// database error or a stack trace.
var owasp = []string{"A03:2021"}

var (
	ruleSQLi = detect.Rule{
		ID: "sqli", Category: "sql-injection", OWASP: owasp,
		Severity: alert.Severity_SEVERITY_HIGH, Confidence: alert.Confidence_CONFIDENCE_MEDIUM,
	}
	ruleXSS = detect.Rule{
		ID: "xss", Category: "xss", OWASP: owasp,
		Severity: alert.Severity_SEVERITY_MEDIUM, Confidence: alert.Confidence_CONFIDENCE_MEDIUM,
	}
)

// maxURLDecodes bounds the rounds of URL-decoding applied to the whole path
// and query; a payload encoded more often than this is itself suspicious
// and reported by the decoders as an anomaly.
const maxURLDecodes = 3

// Detector is the injection detector. It is stateless apart from its
// settings and a memo of values found clean (which changes no verdict), so
// one value serves every worker.
type Detector struct {
	cfg     detect.Config
	confirm confirm.Config
	// memos holds *memos, one per goroutine at a time.
	memos *sync.Pool
	// walker, once Merge set it, runs the detector's checks in its own
	// walk over the parameters, and its own after them.
	walker Walker
}

// New returns the detector.
func New(cfg detect.Config) (*Detector, error) {
	pool := &sync.Pool{New: func() any { return &memos{values: normalize.NewMemo(), shapes: normalize.NewMemo()} }}
	return &Detector{cfg: cfg, confirm: confirm.DefaultConfig(), memos: pool}, nil
}

// memos is what the detector remembers on one goroutine.
type memos struct {
	// values holds the values (as passed to the classifiers) neither
	// classifier matched.
	values *normalize.Memo
	// shapes holds the SQL shapes (sqliShape) of values libinjection's
	// SQL classifier did not match, and shape is the buffer one is built
	// in.
	shapes *normalize.Memo
	shape  []byte
}

// Walker is a detector that walks an exchange's parameters for checks of
// its own and can run this detector's first in the same walk, through
// Scan: Start before the first parameter, Param on each parameter it does
// not already know clean, End after the last, and this detector's alerts
// before its own. A parameter it remembers clean must be one Param
// reported nothing on, and its memory key must hold everything Param
// reads (see Scan.Param).
type Walker interface {
	detect.Detector
	detect.Merger
	// Lead makes d's checks part of the walk, or returns false to refuse
	// (other settings, a detector already leading).
	Lead(d *Detector) bool
}

// Name implements detect.Detector: "injection", and the walker's name
// after a "+" once merged.
func (d *Detector) Name() string {
	if d.walker != nil {
		return Name + "+" + d.walker.Name()
	}
	return Name
}

// Config returns the settings the detector was built with.
func (d *Detector) Config() detect.Config { return d.cfg }

// Merge implements detect.Merger: a Walker right after the detector takes
// its checks into its walk, so that each parameter is read, prefiltered
// and remembered clean once for both; the detectors after that are
// offered to the walker. The alerts are those of the detectors apart, in
// the same order.
func (d *Detector) Merge(next detect.Detector) bool {
	if d.walker != nil {
		return d.walker.Merge(next)
	}
	w, ok := next.(Walker)
	if !ok || !w.Lead(d) {
		return false
	}
	d.walker = w
	return true
}

// Walker returns the detector whose walk runs d's checks, or nil.
func (d *Detector) Walker() Walker { return d.walker }

// finding accumulates one rule's alert on one exchange.
type finding struct {
	rule  *detect.Rule
	a     *alert.Alert
	count int // matches, including those past the evidence bound
	// first match, for the summary
	loc  decoders.Location
	name string
	// locations that matched, so the whole-path/query pass does not repeat
	// what a parameter already showed
	path, query bool
	// last is the index of the parameter last added as evidence, so the
	// raw form of a parameter whose decoded form matched is not added too.
	last int
	// payloads holds the matching values, at most maxPayloads, for the
	// response check.
	payloads []string
}

// maxPayloads bounds the matching values whose echo or effect the response
// check looks for.
const maxPayloads = 8

// Pseudo parameter indexes for the whole path and the whole query.
const (
	wholePath  = -2
	wholeQuery = -3
)

// Inspect implements detect.Detector.
func (d *Detector) Inspect(x *decoders.Exchange, out []*alert.Alert) []*alert.Alert {
	if d.walker != nil {
		return d.walker.Inspect(x, out)
	}
	if x.Request == nil {
		return out
	}
	var s Scan
	d.Start(&s, x)
	for i := range x.Params {
		if p := &x.Params[i]; detect.Scanned(p) {
			s.Param(i, ShapeOf(p.Best()))
		}
	}
	return s.End(out)
}

// Scan is the detector's work on one exchange, parameter by parameter. It
// lets a detector that walks the parameters for checks of its own run
// these in the same walk (tier 1 does: pipeline/detect/tier1), so that a
// parameter is read once and, when neither found anything, remembered
// clean once. Inspect is Start, Param on every parameter, then End.
type Scan struct {
	d         *Detector
	x         *decoders.Exchange
	memo      *memos
	sqli, xss finding
}

// Start begins the checks of exchange x, which has a request, in s.
func (d *Detector) Start(s *Scan, x *decoders.Exchange) {
	*s = Scan{
		d: d, x: x, memo: d.memos.Get().(*memos),
		sqli: finding{rule: &ruleSQLi, last: -1},
		xss:  finding{rule: &ruleXSS, last: -1},
	}
}

// Param checks parameter i of the exchange, whose most decoded value has
// shape best (ShapeOf, which a caller that scanned the value's bytes
// already may have read off its own scan), and reports whether either
// classifier matched it. What it reads of the parameter is its location,
// name, value, decoded value and decoding rounds: a parameter equal in
// those to one it passed passes too.
func (s *Scan) Param(i int, best Shape) bool {
	p := &s.x.Params[i]
	if !detect.Scanned(p) {
		return false
	}
	n := s.sqli.count + s.xss.count
	v := p.Best()
	s.d.check(s.x, s.memo, &s.sqli, &s.xss, i, p.Loc, p.Name, v, best, p.Decodes)
	if p.Decodes > 0 && p.Value != v && !(p.Decodes == 1 && transportEncoded(p.Loc)) {
		// The back end may decode fewer times than the decoder did,
		// so the raw form is checked too.
		s.d.check(s.x, s.memo, &s.sqli, &s.xss, i, p.Loc, p.Name, p.Value, ShapeOf(p.Value), 0)
	}
	return s.sqli.count+s.xss.count != n
}

// End runs the checks on the exchange as a whole, appends the alerts to
// out and releases s.
func (s *Scan) End(out []*alert.Alert) []*alert.Alert {
	d, x, memo, sqli, xss := s.d, s.x, s.memo, &s.sqli, &s.xss
	// The whole path and query catch payloads split across segments or in
	// a request the decoder could not split; each rule is skipped where a
	// parameter of that location already matched.
	req := x.Request
	if req.Path != "" {
		sqli.skipIf(sqli.path, wholePath)
		xss.skipIf(xss.path, wholePath)
		if sqli.last != wholePath || xss.last != wholePath {
			v, n := decodeAll(req.Path, url.PathUnescape)
			d.check(x, memo, sqli, xss, wholePath, decoders.LocPath, "", v, ShapeOf(v), n)
		}
	}
	// The whole query only when the decoder found no parameter in it.
	// Otherwise it adds false positives and nothing else: the "name="
	// before a value changes what libinjection sees (q="Quote" -- Author
	// reads as string, operator, comment: 5.5% of the Debian fortunes sent
	// as a search), while the pieces of a payload split across parameters
	// (1'/*&b=*/OR…, id=1 union/*&id=*/select…) already match one by one.
	if req.Query != "" && !hasQueryParams(x.Params) {
		sqli.skipIf(sqli.query, wholeQuery)
		xss.skipIf(xss.query, wholeQuery)
		if sqli.last != wholeQuery || xss.last != wholeQuery {
			v, n := decodeAll(req.Query, url.QueryUnescape)
			d.check(x, memo, sqli, xss, wholeQuery, decoders.LocQuery, "", v, ShapeOf(v), n)
		}
	}
	d.memos.Put(memo)
	for _, f := range []*finding{sqli, xss} {
		if f.a == nil {
			continue
		}
		f.a.Summary = summary(f)
		confirm.Apply(f.a, x, f.payloads, d.confirm)
		out = append(out, f.a)
	}
	*s = Scan{}
	return out
}

// check runs the classifiers over value v of parameter idx, whose shape
// is sh, each unless its finding already holds that parameter. A value
// both classifiers passed goes into memo, and a value in memo is skipped:
// the verdicts depend on v alone.
func (d *Detector) check(x *decoders.Exchange, m *memos, sqli, xss *finding, idx int, loc decoders.Location, name, v string, sh Shape, decodes int) {
	memo := m.values
	if sh.plain() {
		return
	}
	if len(v) > d.cfg.ScanBytes {
		v = v[:d.cfg.ScanBytes]
	}
	// Most fresh API values (prices, SKUs, street names) are inert to
	// both classifiers, which need not run; they are told apart without
	// the memo's hashing, which is for what is left. A value the XSS
	// checks read goes to the memo before sqliInert's keyword lookups,
	// which a value seen before then skips.
	xssDue := xss.last != idx && !sh.xssInert()
	sqliDue := sqli.last != idx
	if !xssDue && (!sqliDue || sh.sqliInert(v)) {
		return
	}
	found, sum := memo.Lookup(v)
	if found {
		return
	}
	if xssDue && sqliDue {
		sqliDue = !sh.sqliInert(v)
	}
	both, hit := sqli.last != idx && xss.last != idx, false
	if sqliDue {
		// Values of the same SQL shape get the same verdict: one found
		// clean before costs a pass and a lookup instead of the
		// classifier's three.
		// (A value that has no shape gives an empty key, never found nor
		// remembered.)
		m.shape = sqliShape(v, m.shape[:0])
		if found, shapeSum := m.shapes.LookupBytes(m.shape); !found {
			if fp, ok, raw := sqliMatchRaw(v); ok {
				d.add(x, sqli, idx, loc, name, v, "libinjection fingerprint "+fp+encodedNote(decodes))
				hit = true
			} else if !raw {
				m.shapes.Insert(shapeSum)
			}
		}
	}
	if xssDue {
		if xssMarkupBytes(v) && libXSS(v) {
			d.add(x, xss, idx, loc, name, v, "libinjection xss"+encodedNote(decodes))
			hit = true
		} else if m := xssExtra(v, d.cfg.ScanBytes); m != "" {
			d.add(x, xss, idx, loc, name, v, m+encodedNote(decodes))
			hit = true
		}
	}
	if both && !hit {
		memo.Insert(sum)
	}
}

func (d *Detector) add(x *decoders.Exchange, f *finding, idx int, loc decoders.Location, name, value, matched string) {
	f.last = idx
	if f.a == nil {
		f.a = d.cfg.NewAlert(x, Name, f.rule, "")
		f.loc, f.name = loc, name
	}
	f.count++
	if len(f.payloads) < maxPayloads {
		f.payloads = append(f.payloads, value)
	}
	switch loc {
	case decoders.LocPath:
		f.path = true
	case decoders.LocQuery:
		f.query = true
	}
	d.cfg.AddRuleEvidence(f.a, loc, name, value, matched, f.rule.ID)
}

// transportEncoded reports whether values at loc travel URL-encoded and
// every back end decodes them once before use: the query, a form body,
// the path. There a value decoded once is what the application reads, and
// its raw form ("%27+OR+1%3D1") is no second reading worth checking; a
// cookie, a JSON string or a header is used as sent, so one that the
// sensor URL-decoded is checked both ways (and so is a parameter name,
// which may be a cookie's).
func transportEncoded(loc decoders.Location) bool {
	switch loc {
	case decoders.LocQuery, decoders.LocForm, decoders.LocPath:
		return true
	}
	return false
}

// hasQueryParams reports whether the decoder split any parameter out of
// the query string.
func hasQueryParams(params []decoders.Param) bool {
	for i := range params {
		if params[i].Loc == decoders.LocQuery {
			return true
		}
	}
	return false
}

// skipIf makes check skip pseudo parameter idx for this finding when done
// is set.
func (f *finding) skipIf(done bool, idx int) {
	if done {
		f.last = idx
	}
}

func encodedNote(decodes int) string {
	if decodes < 2 {
		return ""
	}
	return " (URL-encoded " + strconv.Itoa(decodes) + " times)"
}

var ruleTitle = map[string]string{"sqli": "SQL injection", "xss": "Cross-site scripting"}

// wholeTitle names a location checked as a whole (evidence without a name).
var wholeTitle = map[decoders.Location]string{
	decoders.LocPath:  "path",
	decoders.LocQuery: "query string",
}

// summary renders "SQL injection in query parameter id (and 2 more)".
func summary(f *finding) string {
	var b strings.Builder
	b.WriteString(ruleTitle[f.rule.ID])
	b.WriteString(" in ")
	if f.name == "" && wholeTitle[f.loc] != "" {
		b.WriteString(wholeTitle[f.loc])
	} else {
		b.WriteString(detect.LocationTitle(f.loc))
		if f.name != "" {
			b.WriteByte(' ')
			b.WriteString(alert.Snippet(f.name, 64))
		}
	}
	if f.count > 1 {
		b.WriteString(" (and ")
		b.WriteString(strconv.Itoa(f.count - 1))
		b.WriteString(" more)")
	}
	return b.String()
}

// decodeAll URL-decodes s until it stops changing (at most maxURLDecodes
// rounds) and returns the result and the number of rounds that changed it.
func decodeAll(s string, unescape func(string) (string, error)) (string, int) {
	n := 0
	for n < maxURLDecodes && strings.ContainsAny(s, "%+") {
		d, err := unescape(s)
		if err != nil || d == s {
			break
		}
		s = d
		n++
	}
	return s, n
}

// Shape is the set of kinds of byte a value holds, from one pass over it:
// what plain, xssInert and sqliInert's byte test ask of every value. A
// value's shape is the union of its bytes' shapes.
type Shape uint8

// The kinds of byte.
const (
	shapeLetter Shape = 1 << iota // ASCII letter
	shapeDigit
	shapeSep   // space , _ - /: inert to both classifiers
	shapeAt    // @: inert to XSS
	shapeDot   // .: inert to SQL, and to XSS without letters
	shapeColon // :, inert to XSS without letters
	shapeHigh  // past ASCII but 0xA0: a word byte to libinjection's SQL tokenizer
	shapeOther
)

var shapeOfByte = func() (t [256]Shape) {
	for c := range t {
		t[c] = shapeOther
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c], t[c-'a'+'A'] = shapeLetter, shapeLetter
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = shapeDigit
	}
	for _, c := range []byte(" ,_-/") {
		t[c] = shapeSep
	}
	t['@'], t['.'], t[':'] = shapeAt, shapeDot, shapeColon
	for c := 0x80; c < 0x100; c++ {
		t[c] = shapeHigh
	}
	t[0xa0] = shapeOther // white space to libinjection
	return t
}()

// ShapeOf returns the shape of v.
func ShapeOf(v string) Shape {
	var s Shape
	for i := 0; i < len(v); i++ {
		s |= shapeOfByte[v[i]]
	}
	return s
}

// plain reports whether the value holds only ASCII letters and digits.
// Neither classifier can match such a value (a single word or number is
// never an injection; FuzzPlainNeverMatches checks it), and most API
// values are like this, so skipping them saves most of the detector's
// time.
func (s Shape) plain() bool { return s&^(shapeLetter|shapeDigit) == 0 }

// xssInert reports whether the value holds only letters, digits, space
// and , _ - / @, or, with no letter, only those and '.' ':' (prices,
// dates, times, versions, IP addresses: a member access, a script URL and
// every tag need a letter): neither libinjection's XSS classifier nor
// xssExtra can match it (FuzzXSSInertNeverMatches, FuzzXSSInertNumbers),
// so search terms, SKUs, sort keys, field lists and numbers skip both,
// which is most of their cost on API traffic. Markup needs '<', an
// attribute '=', a script URL ':', script '(' '.' '[' or '`', a string a
// quote, and every encoding xssExtra undoes '&', '%', '\', '+' or a byte
// past ASCII.
func (s Shape) xssInert() bool {
	return s&^(shapeLetter|shapeDigit|shapeSep|shapeAt) == 0 ||
		s&shapeLetter == 0 && s&(shapeOther|shapeHigh) == 0
}

// sqliBytes reports whether the value holds only sqliInert's bytes.
func (s Shape) sqliBytes() bool {
	return s&^(shapeLetter|shapeDigit|shapeSep|shapeDot|shapeHigh) == 0
}

// sqliInert reports whether libinjection's SQL classifier cannot match v,
// the value of shape s, without running it: v holds only letters, digits,
// bytes past ASCII, space and _ . , / - (a quote, a parenthesis, an
// operator but the minus and the slash, a comment but -- and /*, a
// variable's @ and the no-break space 0xA0, white space to it, need
// libinjection), no comment (-- or /*), no number's dot glued to a letter
// (1.e5), no word of libinjectionWords in any case, and no such word after
// a number glued to letters (2select, 1fUNION: the tokenizer ends the
// number where its exponent, hex digits or d/f suffix end, and reads the
// rest as a word; 550e8400, 41d4 and 0x1f are numbers and barewords, so
// UUIDs and hex ids pass). A word with a byte past ASCII is none (its
// tokenizer reads those as word bytes, and its keywords are ASCII), unless
// that byte starts ı or ſ, which its lookup upper-cases to I and S. Its
// tokens are then numbers, barewords, commas, dots and the operators - and
// /, and no fingerprint in libinjection's table is made of those
// (TestSQLiInertExhaustive, FuzzSQLiInertNeverMatches). Prices, SKUs, ids,
// UUIDs, street names in any script, field lists and most paths pass: on
// fresh API values this skips about half of libinjection's calls.
func (s Shape) sqliInert(v string) bool {
	if !s.sqliBytes() {
		return false
	}
	// Words (runs of letters, '_', digits and bytes past ASCII) are read
	// whole in the inner loop; what is between them is looked at once.
	for i := 0; i < len(v); {
		k := inertKindOf[v[i]]
		switch k {
		case inertDigit:
			// A number, or a word that starts with one: 12_ab, 1e5.
			i++
			for i < len(v) && inertKindOf[v[i]] == inertDigit {
				i++
			}
			if i < len(v) && inertKindOf[v[i]] == inertLetter {
				// A number glued to letters (550e8400, 41d4, 0x1f, 2select):
				// the tokenizer ends the number somewhere in the run, after an
				// exponent, hex digits or a d/f suffix, and reads the rest as
				// a word. The rest starts with a letter or '_', so no suffix
				// of the run that does may be a keyword.
				start := i
				for i < len(v) && inertKindOf[v[i]] != inertSep && inertKindOf[v[i]] != inertDash && inertKindOf[v[i]] != inertSlash {
					if inertKindOf[v[i]] == inertHigh {
						return false
					}
					i++
				}
				for k := start; k < i; k++ {
					if inertKindOf[v[k]] != inertDigit && literals.HasUpper(libinjectionWordSet, v[k:i]) {
						return false
					}
				}
			}
			if i < len(v) && inertKindOf[v[i]] == inertHigh {
				return false // a number cut before a word past ASCII: 12é
			}
			continue
		case inertDash:
			if i+1 < len(v) && v[i+1] == '-' {
				return false
			}
			i++
			continue
		case inertSlash:
			if i+1 < len(v) && v[i+1] == '*' {
				return false
			}
			i++
			continue
		case inertSep:
			i++
			continue
		}
		// A word: letters, '_', bytes past ASCII and the digits within.
		start, high := i, false
		if k != inertUnder && i > 1 && v[i-1] == '.' && digit(v[i-2]) {
			return false // a number's dot glued to a letter: 1.e5
		}
		for ; i < len(v); i++ {
			switch inertKindOf[v[i]] {
			case inertLetter:
				continue
			case inertHigh:
				if i > start && inertKindOf[v[i-1]] == inertDigit {
					return false
				}
				if asciiUpper(v, i) {
					return false // unıon, ſelect: a keyword to its lookup
				}
				high = true
				continue
			case inertUnder, inertDigit:
				continue
			}
			break
		}
		if high {
			continue // no keyword
		}
		if literals.HasUpper(libinjectionWordSet, v[start:i]) {
			return false
		}
	}
	return true
}

// What sqliInert makes of each byte.
const (
	inertSep    uint8 = iota // ' ' , . and what sqliBytes keeps out
	inertLetter              // ASCII letters
	inertUnder               // _
	inertHigh                // past ASCII
	inertDigit
	inertDash  // -: a comment when doubled
	inertSlash // /: a comment before '*'
)

var inertKindOf = func() (t [256]uint8) {
	for c := 'a'; c <= 'z'; c++ {
		t[c], t[c-'a'+'A'] = inertLetter, inertLetter
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = inertDigit
	}
	for c := 0x80; c < 0x100; c++ {
		t[c] = inertHigh
	}
	t['_'], t['-'], t['/'] = inertUnder, inertDash, inertSlash
	return t
}()

// libinjectionWordSet is libinjectionWords with a cheap first check: most
// words of prose are turned away by their length and end bytes.
var libinjectionWordSet = literals.NewWordsOf(libinjectionWords)

// xssMarkupBytes reports whether v holds a byte libinjection's XSS
// classifier needs to match: a tag's '<' or '>', an attribute value's
// '=', a script URL's ':', a backtick or an entity's '&'. Its matches are
// tags, comments, event-handler and URL attribute values, all of which
// need one (FuzzXSSMarkupBytes); prose with quotes and parentheses, which
// xssInert lets through, skips it. Bytes past ASCII are no markup to its
// byte-wise tokenizer (it skips them before a URL, as whitespace): names
// and addresses in other scripts (Jürgen, Łukasz, République) skip it
// too. The spellings of '<' that need decoding (fullwidth, 7-bit, UTF-7,
// entities) are xssExtra's.
func xssMarkupBytes(v string) bool {
	for i := 0; i < len(v); i++ {
		switch v[i] {
		case '<', '>', '=', ':', '`', '&':
			return true
		}
	}
	return false
}

// sqliMatch runs libinjection's SQL classifier on v and returns the
// fingerprint of a match that counts: not a function-shaped one outside
// SQL context (see functionShape), not one made only by symbols quoted in
// prose (see quotedSymbolsOnly).
func sqliMatch(v string) (string, bool) {
	fp, ok, _ := sqliMatchRaw(v)
	return fp, ok
}

// sqliMatchRaw is sqliMatch, and also reports whether libinjection itself
// matched v (before the checks that set such matches aside).
func sqliMatchRaw(v string) (fp string, ok, raw bool) {
	raw, fp = isSQLi(v)
	if !raw || functionShape(fp) && !sqlContext(v) || quotedSymbolsOnly(v) || numberCompoundsOnly(v) || inchMarkOnly(v) {
		return fp, false, raw
	}
	return fp, true, raw
}

// isSQLi is libinjection.IsSQLi, run on v with its letters upper-cased
// (see upperForSQLi) when that is the same: its keyword lookup upper-cases
// every word it looks up, an allocation per lower-case word, which makes
// about a third of its time on prose and search terms.
func isSQLi(v string) (bool, string) {
	if u, ok := upperForSQLi(v); ok {
		v = u
	}
	return libinjection.IsSQLi(v)
}

// upperForSQLi returns v with its ASCII letters upper-cased, and true, when
// that changes nothing of libinjection's SQL verdict and fingerprint
// (FuzzUpperForSQLi compares them): it folds keywords, number prefixes
// (0x, 0b, 1e5) and string prefixes (N'x', X'41', B'01', E'x', U&'x')
// to upper case, and string contents do not count. What it reads case by case is
// kept: a letter after a backslash (\N is NULL, \n is not), and values
// holding "sp_password", which it looks for in lower case, a '$' (the tags
// of PostgreSQL's $tag$ strings compare exactly) or an Oracle q'…' string
// (its delimiter may be a letter) are left alone. A value with no
// lower-case letter gains nothing and is left alone too.
func upperForSQLi(v string) (string, bool) {
	lower := false
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case 'a' <= c && c <= 'z':
			lower = true
		case c == '$':
			return v, false
		case c == '\'' && i > 0 && v[i-1]|0x20 == 'q':
			return v, false
		}
	}
	if !lower || strings.Contains(v, "sp_password") {
		return v, false
	}
	b := []byte(v)
	for i, c := range b {
		if 'a' <= c && c <= 'z' && (i == 0 || b[i-1] != '\\') {
			b[i] = c - ('a' - 'A')
		}
	}
	return string(b), true
}

// inchMarkOnly reports whether libinjection's SQL match on v comes from an
// inch mark: v's only quote is a double quote right after a digit and
// before a space or the end ("usb-c cable 27\" and 2-person", "27\" like
// new or 128gb"), which libinjection reads as a string closed before AND
// or OR, the shape of a breakout. With the mark taken out the value must
// still be SQL injection to count, as a payload would be: 1" or 1=1 -- is
// one without its quote too (TestInchMark).
func inchMarkOnly(v string) bool {
	i := strings.IndexByte(v, '"')
	if i <= 0 || v[i-1] < '0' || v[i-1] > '9' || i+1 < len(v) && v[i+1] != ' ' ||
		strings.IndexByte(v[i+1:], '"') >= 0 || strings.ContainsAny(v, "'`") {
		return false
	}
	_, ok := sqliMatch(v[:i] + v[i+1:])
	return !ok
}

// numberCompoundsOnly reports whether libinjection's SQL match on v comes
// from a number joined to a word by a hyphen in plain words — "tent or
// 2-person", "gift and 3-pack", "24-inch or 27-inch": libinjection reads
// the number, a minus and a column after OR or AND. v must hold nothing but
// letters, digits, spaces and hyphens (a payload needs more: a quote, a
// parenthesis, a comment), and with each compound made one word
// ("xxperson") it must still be SQL injection to count.
func numberCompoundsOnly(v string) bool {
	var b []byte
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case wordByte(c) && c != '_' || c == ' ':
			continue
		case c != '-':
			return false
		}
		// A hyphen between a number starting a word and a letter.
		j := i
		for j > 0 && '0' <= v[j-1] && v[j-1] <= '9' {
			j--
		}
		if j == i || j > 0 && v[j-1] != ' ' || i+1 >= len(v) || !letter(v[i+1]) {
			continue
		}
		k := i + 1
		for k < len(v) && letter(v[k]) {
			k++
		}
		if w := strings.ToLower(v[i+1 : k]); sqlKeywords[w] || sqlOperands[w] {
			continue // 1-null, 1-version: SQL, not a product size
		}
		if b == nil {
			b = []byte(v)
		}
		for k := j; k <= i; k++ {
			b[k] = 'x'
		}
	}
	if b == nil {
		return false
	}
	ok, _ := isSQLi(string(b))
	return !ok
}

// asciiUpper reports whether v[i:] starts with one of the two characters
// past ASCII that strings.ToUpper, which libinjection's keyword lookup
// uses, turns into an ASCII letter: U+0131 ı (I) and U+017F ſ (S).
func asciiUpper(v string, i int) bool {
	return i+1 < len(v) && (v[i] == 0xc4 && v[i+1] == 0xb1 || v[i] == 0xc5 && v[i+1] == 0xbf)
}

func digit(c byte) bool { return '0' <= c && c <= '9' }

func letter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

// sqlOperands are the words besides sqlKeywords that keep "1-word" SQL:
// literals and operators an injection subtracts or chains (1-true, 1-div).
var sqlOperands = map[string]bool{
	"true": true, "false": true, "div": true, "mod": true, "rlike": true, "regexp": true, "is": true,
	"in": true, "then": true, "else": true, "end": true, "pg": true,
}

// quotedSymbolsOnly reports whether libinjection's SQL match on v comes
// from symbols quoted in prose — "use '*' as a wildcard", "the \"--\"
// separator", "a tag starting with \">\"": the quotes open and close around
// punctuation with spaces outside them, which libinjection reads as a
// string, an operator and a string. v with each such symbol replaced by a
// letter must still be SQL injection to count. A breakout quotes the other
// way round (1'='1, x' || 'y: the quotes touch the strings' contents), so
// it is left alone.
func quotedSymbolsOnly(v string) bool {
	t, n := neutralQuotedSymbols(v)
	if n == 0 {
		return false
	}
	ok, _ := isSQLi(t)
	return !ok
}

// neutralQuotedSymbols returns v with the punctuation of each standalone
// quoted symbol ('*', "--", ">") replaced by "x", and how many it replaced.
func neutralQuotedSymbols(v string) (string, int) {
	var b []byte
	n := 0
	for i := 0; i < len(v); i++ {
		q := v[i]
		if q != '\'' && q != '"' && q != '`' || i > 0 && !symbolEdge(v[i-1], true) {
			continue
		}
		j := i + 1
		for j < len(v) && j-i <= 4 && symbolByte(v[j]) && v[j] != q {
			j++
		}
		if j == i+1 || j >= len(v) || v[j] != q || j+1 < len(v) && !symbolEdge(v[j+1], false) {
			continue
		}
		if b == nil {
			b = []byte(v)
		}
		for k := i + 1; k < j; k++ {
			b[k] = 'x'
		}
		n++
		i = j
	}
	if n == 0 {
		return v, 0
	}
	return string(b), n
}

// symbolByte reports ASCII punctuation other than quotes.
func symbolByte(c byte) bool {
	return c > ' ' && c < 0x7f && !wordByte(c) && c != '\'' && c != '"' && c != '`'
}

// symbolEdge reports whether c may stand before (open) or after a quoted
// symbol in prose: a space or bracket, and after it also sentence
// punctuation.
func symbolEdge(c byte, open bool) bool {
	switch c {
	case ' ', '\t', '\n', '\r', '(', '[', '{':
		return true
	case ')', ']', '}', ',', '.', ';', ':', '?', '!':
		return !open
	}
	return false
}

// functionShape reports a libinjection fingerprint made only of function
// calls, bare words, numbers and operators ("f(1)o", "nof(1"): the shape of
// arithmetic and spreadsheet formulas ("sqrt(16) = 4", "sum(1..n)") as much
// as of SQL, so such a match needs sqlContext to count.
func functionShape(fp string) bool {
	return strings.IndexByte(fp, 'f') >= 0 && strings.Trim(fp, "fn1o(),") == ""
}

// sqlKeywords are the words that put a function-shaped value in SQL: query
// clauses, boolean logic, and the functions injections use to delay, read
// files or leak data.
var sqlKeywords = map[string]bool{
	"select": true, "union": true, "from": true, "where": true, "and": true, "or": true, "xor": true,
	"not": true, "null": true, "sleep": true, "benchmark": true, "waitfor": true, "delay": true,
	"insert": true, "update": true, "delete": true, "drop": true, "exec": true, "having": true,
	"order": true, "group": true, "case": true, "when": true, "like": true, "char": true, "chr": true,
	"concat": true, "version": true, "database": true, "user": true, "load_file": true,
	"extractvalue": true, "updatexml": true, "pg_sleep": true, "if": true, "ascii": true,
	"substring": true, "substr": true, "mid": true, "cast": true, "convert": true, "hex": true,
	"unhex": true, "md5": true, "count": true, "information_schema": true, "schema": true,
}

// sqlContext reports whether v holds a quote, a comment, a statement
// separator or a SQL keyword: what a function call needs to be SQL.
func sqlContext(v string) bool {
	if strings.ContainsAny(v, "'\"`;#") || strings.Contains(v, "--") || strings.Contains(v, "/*") {
		return true
	}
	for i := 0; i < len(v); {
		for i < len(v) && !wordByte(v[i]) {
			i++
		}
		j := i
		for j < len(v) && wordByte(v[j]) {
			j++
		}
		if j > i && j-i <= 18 && sqlKeywords[strings.ToLower(v[i:j])] {
			return true
		}
		i = j
	}
	return false
}

func wordByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_'
}

// libXSS is libinjection's XSS verdict on s, less what it flags that runs
// nothing: document type declarations (<!DOCTYPE html>, quoted in developer
// text; an SVG's or a DocBook file's with entities for styles and names in
// its internal subset) and rich text (inertMarkup), read without its
// declarations. Every place that asks libinjection about markup asks this.
func libXSS(s string) bool {
	if !libinjection.IsXSS(s) {
		return false
	}
	t := withoutDoctypes(s)
	if t != s && !libinjection.IsXSS(t) {
		return false
	}
	return !inertMarkup(t)
}

// withoutDoctypes returns v with its document type declarations removed
// (doctypeEnd says where each ends), or v when it has none.
func withoutDoctypes(v string) string {
	if len(v) >= 7 && strings.EqualFold(v[:7], "doctype") {
		// The XML decoder hands a declaration over without its "<!".
		v = "<!" + v
	}
	i := indexFold(v, "<!doctype")
	if i < 0 {
		return v
	}
	var b strings.Builder
	for i >= 0 {
		b.WriteString(v[:i])
		end := doctypeEnd(v[i:])
		if end < 0 {
			v = ""
			break
		}
		v = v[i+end:]
		i = indexFold(v, "<!doctype")
	}
	b.WriteString(v)
	return b.String()
}

// doctypeEnd returns the length of the declaration d starts with: to its
// first '>', as an HTML parser ends it, or, with an internal subset ("["
// before that '>') that holds only what a DTD does (<!ENTITY …>, <!ELEMENT
// …>, <!ATTLIST …>, <!NOTATION …>, comments, processing instructions,
// parameter entity references), to the "]>" that closes it; -1 when it
// does not end. A subset holding other markup (<!DOCTYPE html [><base
// href=…>]>) ends at the first '>' as HTML reads it.
func doctypeEnd(d string) int {
	gt := strings.IndexByte(d, '>')
	if open := strings.IndexByte(d, '['); open >= 0 && (gt < 0 || open < gt) {
		for j := open; ; {
			k := strings.IndexByte(d[j:], ']')
			if k < 0 {
				break
			}
			j += k + 1
			rest := strings.TrimLeft(d[j:], " \t\r\n")
			// (The XML decoder hands a declaration over without its
			// closing '>'.)
			if strings.HasPrefix(rest, ">") || rest == "" {
				if dtdOnly(d[open+1 : j-1]) {
					return min(len(d), len(d)-len(rest)+1)
				}
				break
			}
		}
	}
	if gt < 0 {
		return -1
	}
	return gt + 1
}

// dtdOnly reports whether every '<' of an internal subset starts a
// declaration, a comment or a processing instruction.
func dtdOnly(subset string) bool {
	for i := strings.IndexByte(subset, '<'); i >= 0; {
		r := subset[i+1:]
		if !strings.HasPrefix(r, "!") && !strings.HasPrefix(r, "?") {
			return false
		}
		if strings.HasPrefix(r, "!") && !strings.HasPrefix(r, "!--") && !hasPrefixFold(r[1:], "entity") &&
			!hasPrefixFold(r[1:], "element") && !hasPrefixFold(r[1:], "attlist") && !hasPrefixFold(r[1:], "notation") {
			return false
		}
		j := strings.IndexByte(r, '<')
		if j < 0 {
			break
		}
		i += 1 + j
	}
	return true
}

// hasPrefixFold reports whether s starts with lower-case prefix p, ASCII
// case ignored.
func hasPrefixFold(s, p string) bool {
	return len(s) >= len(p) && strings.EqualFold(s[:len(p)], p)
}

// indexFold is strings.Index with ASCII case folding of s; sub is lower
// case.
func indexFold(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		if strings.EqualFold(s[i:i+len(sub)], sub) {
			return i
		}
	}
	return -1
}

// xssExtra catches what libinjection's HTML tokenizer misses: markup
// hidden behind encodings it does not undo (HTML entities, \uXXXX, %uXXXX,
// fullwidth forms, UTF-7), and script that needs no tag: DOM sinks and
// globals reached by name, JSFuck, javascript: URLs, and event handler
// attributes injected into an existing tag. It returns what matched, or "".
func xssExtra(v string, maxBytes int) string {
	t := v
	if encoded(v) {
		t = widen(normalize.Normalize(v, 0, maxBytes).Text)
		if t != v && libXSS(t) {
			return "libinjection xss (after decoding)"
		}
		if s, ok := sevenBit(t); ok && libXSS(s) {
			return "libinjection xss (after 7-bit folding)"
		}
	}
	if len(t) > 4 && (t[0] == '\'' || t[0] == '"' || t[0] == '\\') {
		if m := jsBreakout.FindString(t); m != "" {
			return "script string breakout " + alert.Snippet(m, 60)
		}
	}
	var buf [512]byte
	l := lowerASCII(t, buf[:0])
	for n, from := 0, 0; n < 4; n++ {
		i := strings.Index(l[from:], "data:image/svg+xml")
		if i < 0 {
			break
		}
		from += i + len("data:image/svg+xml")
		// Parameters may come before ";base64," (charset=utf-8).
		if j := strings.Index(l[from:min(len(l), from+100)], ";base64,"); j >= 0 {
			if m := svgDataScript(t[from+j+len(";base64,"):]); m != "" {
				return m
			}
		}
	}
	if strings.Contains(l, "<scr") {
		// A tag split by another that a filter strips once
		// (<scr<script>ipt>): what is left is a script tag.
		if s := scriptTagStrip.Replace(l); s != l && strings.Contains(s, "<script") {
			return "nested tag " + alert.Snippet(l, 60)
		}
	}
	if strings.IndexByte(l, '<') >= 0 {
		if m := xssSpacedTag.FindString(l); m != "" {
			return "tag " + alert.Snippet(m, 60)
		}
		if m := xssMarkup.FindString(l); m != "" {
			return "markup " + alert.Snippet(m, 60)
		}
	}
	if strings.ContainsAny(l, "\t\n\r") && strings.Contains(l, "script") {
		// Browsers drop tabs and line feeds inside a URL scheme
		// (java\tscript:, ja&NewLine;vascript: once decoded).
		if m := xssScheme.FindString(controlBreaks.Replace(l)); m != "" {
			return "script " + alert.Snippet(strings.TrimSpace(m), 60)
		}
	}
	hints := literals.Find(xssHints, l)
	if hints&xssHintAny == 0 {
		return ""
	}
	if strings.Contains(l, "/*") {
		// Comments between a name and its member (document/**/.cookie),
		// or inside one, which the hints must see joined.
		l = stripComments(l)
		hints = literals.Find(xssHints, l)
	}
	// Most text passes xssScriptHints ("on" is in many words): each part
	// of the expression runs only on values holding a literal every match
	// of it holds.
	if m := xssScriptMatch(l, hints); m != "" {
		return "script " + alert.Snippet(strings.TrimSpace(m), 60)
	}
	if h := eventHandler(l); h != "" {
		return "event handler " + h
	}
	return ""
}

// jsBreakout is a value that closes the JavaScript string it is written
// into, runs a statement and comments out the rest of the line: a quote
// (perhaps escaped, and closing brackets), a ';' or ',', something that
// calls, assigns or tags a template, and a "//" ending the value. This is
// how XSS tools probe a reflection inside a script
// ("';[1].map(alert)//", "';onerror=alert;throw 1//",
// "';self[atob('YWxlcnQ=')](1)//") with no alert(1) to find.
var jsBreakout = regexp.MustCompile(`^\\?['"]\s*[)}\]]*\s*[;,]\s*[^\n]{0,300}?[(=\x60][^\n]{0,300}//\s*$`)

// svgDataScript decodes the base64 of a data:image/svg+xml URL (an avatar
// or a background an application embeds, which a browser runs when it is
// opened as a document) and reports script in the picture.
func svgDataScript(b64 string) string {
	// Browsers decode a data: URL's base64 forgivingly: white space in it
	// is skipped.
	var buf []byte
	for end := 0; end < len(b64) && len(buf) < 1<<14; end++ {
		switch c := b64[end]; {
		case 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '+' || c == '/' || c == '=':
			buf = append(buf, c)
		case c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r':
		default:
			end = len(b64)
		}
	}
	d, err := base64.StdEncoding.DecodeString(string(buf))
	if err != nil {
		d, err = base64.RawStdEncoding.DecodeString(strings.TrimRight(string(buf), "="))
	}
	if err != nil || len(d) == 0 {
		return ""
	}
	svg := string(d)
	if libXSS(svg) {
		return "script in an SVG data: URL " + alert.Snippet(svg, 60)
	}
	return ""
}

// scriptTagStrip is a filter that deletes script tags once.
var scriptTagStrip = strings.NewReplacer("<script>", "", "</script>", "")

// sevenBit folds what decoders that drop the high bit (US-ASCII read as
// 7 bits: 0xBC is '<', 0xBE '>', 0xA2 '"') or accept overlong UTF-8 (C0 BC
// is '<') make of a value: raw bytes 0x80-0xFF, Latin-1 characters
// (U+0080-U+00FF, "¼script¾") and two-byte overlong forms become the ASCII
// byte of their low seven bits. It reports false, doing nothing, when v
// holds no 0xBC byte, which every such spelling of '<' has.
func sevenBit(v string) (string, bool) {
	if strings.IndexByte(v, 0xbc) < 0 {
		return "", false
	}
	b := make([]byte, 0, len(v))
	for i := 0; i < len(v); {
		c := v[i]
		if c < 0x80 {
			b = append(b, c)
			i++
			continue
		}
		if (c == 0xc0 || c == 0xc1) && i+1 < len(v) && v[i+1]&0xc0 == 0x80 {
			// Overlong two-byte form of an ASCII byte.
			b = append(b, (c&0x1f)<<6|v[i+1]&0x3f)
			i += 2
			continue
		}
		r, n := utf8.DecodeRuneInString(v[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			b = append(b, c&0x7f)
		case r >= 0x80 && r <= 0xff:
			b = append(b, byte(r)&0x7f)
		default:
			b = append(b, v[i:i+n]...)
		}
		i += n
	}
	return string(b), true
}

// encoded reports whether v holds an encoding normalize undoes or widen
// maps: an entity, a percent or backslash escape, UTF-7, non-ASCII.
func encoded(v string) bool {
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case c >= 0x80, c == '&', c == '%', c == '\\', c == '+':
			return true
		}
	}
	return false
}

// lowerASCII returns s lower-cased (ASCII), built in buf when it fits.
func lowerASCII(s string, buf []byte) string {
	if len(s) > cap(buf) {
		return strings.ToLower(s)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		buf = append(buf, c)
	}
	return string(buf)
}

// xssScriptHints are substrings every match of xssScriptParts or event handler
// holds one of.
var xssScriptHints = []string{"document", "window", "self", "top", "parent", "globalthis", "frames", "[]", "script", "data", "on", "alert", "prompt", "confirm", "settimeout", "setinterval", "eval", "call", "apply", "srcdoc", "import"}

// xssHints finds both lists in one pass: group 0 is xssScriptHints, group
// k+1 the literals of xssScriptParts[k].
var xssHints = literals.MustNew(append([][]string{xssScriptHints}, xssPartNeeds()...)...)

// xssHintAny is xssHints' group of xssScriptHints.
const xssHintAny = 1 << 0

func xssPartNeeds() [][]string {
	out := make([][]string, len(xssScriptParts))
	for k, p := range xssScriptParts {
		out[k] = p.needs
	}
	return out
}

// eventHandlers are the HTML event handler attributes injections set when
// they break into an existing tag (" onload=", "' onerror=").
var eventHandlers = map[string]bool{
	"load": true, "error": true, "mouseover": true, "mouseenter": true, "mousemove": true, "focus": true,
	"focusin": true, "blur": true, "click": true, "dblclick": true, "animationstart": true, "animationend": true,
	"transitionend": true, "toggle": true, "pageshow": true, "begin": true, "end": true, "input": true,
	"change": true, "keydown": true, "keyup": true, "submit": true, "resize": true, "scroll": true, "wheel": true,
	"pointerover": true, "pointerdown": true, "auxclick": true, "beforeprint": true, "afterprint": true,
	"hashchange": true, "message": true, "popstate": true, "unload": true, "beforeunload": true,
}

// notEvents are the words that start with "on" and name no event handler:
// English words and the keys of configuration and struct tags
// ("online=true", `validate:"oneof=a b"`).
var notEvents = map[string]bool{
	"line": true, "set": true, "ion": true, "ions": true, "board": true, "boarding": true, "going": true,
	"ward": true, "wards": true, "site": true, "prem": true, "premise": true, "premises": true, "eof": true,
	"call": true, "demand": true, "screen": true, "stage": true, "shore": true, "look": true, "looker": true,
	"slaught": true, "tology": true, "cology": true, "erous": true,
}

// eventHandler returns the first "on<event>=" of l that starts the value
// or follows a quote, a space or a slash, or "". An attribute that is not
// a known event counts where it looks like markup (browsers add events,
// and any on* attribute is a handler): after a quote that closes an
// attribute value, inside an open tag, or alone after leading whitespace
// (the value appended to a tag, " onanything=").
func eventHandler(l string) string {
	var at attrScan
	for i := strings.Index(l, "on"); i >= 0; {
		// HTML's attribute separators: space, tab, line feed, form
		// feed, carriage return (read as a line feed), and '/'.
		if i == 0 || strings.IndexByte("\"' /\t\n\f\r", l[i-1]) >= 0 {
			j := i + 2
			for j < len(l) && 'a' <= l[j] && l[j] <= 'z' {
				j++
			}
			k := j
			for k < len(l) && (l[k] == ' ' || l[k] == '\t' || l[k] == '\n' || l[k] == '\f' || l[k] == '\r') {
				k++
			}
			if k < len(l) && l[k] == '=' {
				name := l[i+2 : j]
				if eventHandlers[name] {
					return l[i : k+1]
				}
				if len(name) >= 3 && !notEvents[name] && (k+1 == len(l) || l[k+1] != '=') && at.place(l, i) {
					return l[i : k+1]
				}
			}
		}
		n := strings.Index(l[i+2:], "on")
		if n < 0 {
			break
		}
		i += 2 + n
	}
	return ""
}

// attrScan remembers, for place, where l's text starts and the last angle
// bracket before the offset asked about last: offsets only grow, and
// looking back from each would make a value of many "on…=" quadratic.
type attrScan struct {
	set     bool
	text    int // the first byte that is no white space
	angle   int // the last '<' or '>' before scanned, or -1
	scanned int
}

// place reports whether l[i:] starts where an attribute goes: after only
// whitespace (i > 0), after a quote that closes an attribute value and a
// separator (`" on`, `'/on`), or inside a tag opened before it and not
// closed (`<x on`, `<"on`). A quote right before the name is not enough:
// prose quotes query strings ("onlyActive=true"). Calls on one l must
// come with growing i.
func (at *attrScan) place(l string, i int) bool {
	if i == 0 {
		return false
	}
	if !at.set {
		at.set, at.angle = true, -1
		at.text = len(l) - len(strings.TrimLeft(l, " \t\n\r"))
	}
	if i <= at.text {
		return true
	}
	if before := strings.TrimRight(l[:i], " \t\n\r/"); before != "" && len(before) < i {
		if c := before[len(before)-1]; c == '"' || c == '\'' {
			return true
		}
	}
	for ; at.scanned < i; at.scanned++ {
		if c := l[at.scanned]; c == '<' || c == '>' {
			at.angle = at.scanned
		}
	}
	lt := at.angle
	if lt < 0 || l[lt] != '<' || lt+1 >= i {
		return false
	}
	c := l[lt+1]
	return 'a' <= c && c <= 'z' || lt+2 == i && (c == '"' || c == '\'')
}

// schemeMention reports whether l[i:j], a match of xssScriptParts, is a script
// URL scheme named in text rather than used: quoted alone ("javascript:"),
// followed by an ellipsis ("javascript:..."), or a title's or a sentence's
// colon ("JavaScript: The Good Parts", "javascript:// comments explained"):
// words follow it, with none of the bytes script needs to call, assign,
// index, reach a member or escape anything but a sentence's closing
// punctuation, and a lone word is no global whose value would become the
// page (jsGlobals). Nothing follows the colon to run.
func schemeMention(l string, i, j int) bool {
	if j == 0 || l[j-1] != ':' || j == len(l) {
		return false
	}
	if strings.HasPrefix(l[j:], "...") || strings.HasPrefix(l[j:], "\u2026") {
		return true
	}
	if rest := l[j:]; rest[0] == ' ' || strings.HasPrefix(rest, "// ") {
		// A sentence may end with its punctuation; one word is a
		// mention unless it is a global whose value becomes the page
		// ("javascript: name" returns window.name).
		words := strings.TrimRight(rest, " .!?")
		f := strings.Fields(strings.TrimLeft(words, " /"))
		if len(f) >= 1 && !strings.ContainsAny(words, "()=`[];%\\{}<>'\"+.") && (len(f) >= 2 || !jsGlobals[f[0]]) {
			return true
		}
	}
	q := l[i]
	return (q == '"' || q == '\'') && l[j] == q
}

// jsGlobals are the names whose value a script URL made of one returns
// into the page.
var jsGlobals = map[string]bool{"name": true, "opener": true, "parent": true, "top": true, "self": true,
	"window": true, "document": true, "location": true, "origin": true, "frames": true}

// xssScheme finds script URL schemes; controlBreaks removes what browsers
// ignore inside one.
var (
	xssScheme     = regexp.MustCompile(`(?:^|[\s"'=(])(?:javascript|vbscript|livescript)\s*:`)
	controlBreaks = strings.NewReplacer("\t", "", "\n", "", "\r", "")
)

// entityBreaks removes (or turns to a colon) the named entities that
// split URL schemes, in their usual spellings.
var entityBreaks = strings.NewReplacer("&tab;", "", "&Tab;", "", "&TAB;", "", "&newline;", "", "&NewLine;", "",
	"&Newline;", "", "&NEWLINE;", "", "&colon;", ":", "&Colon;", ":", "&COLON;", ":")

// widen turns fullwidth ASCII forms (U+FF01 to U+FF5E, "＜script＞") and the
// UTF-7 encodings of < and > (+ADw-, +AD4-) into ASCII, as lenient
// decoders and old browsers do, and drops the named entities that split a
// URL scheme.
func widen(s string) string {
	if strings.Contains(s, "+AD") {
		s = strings.NewReplacer("+ADw-", "<", "+AD4-", ">", "+ACI-", "\"", "+ACc-", "'").Replace(s)
	}
	if strings.Contains(s, "&") {
		// HTML5 named entities for the tab, the line feed and the colon,
		// which split a URL scheme (ja&Tab;vascript&colon;): browsers
		// drop tabs and line feeds inside a scheme.
		s = entityBreaks.Replace(s)
	}
	if !strings.Contains(s, "\xef\xbc") && !strings.Contains(s, "\xef\xbd") {
		return s
	}
	return strings.Map(fullwidthASCII, s)
}

// fullwidthASCII returns the ASCII character a fullwidth form (U+FF01 to
// U+FF5E) stands for, or r.
func fullwidthASCII(r rune) rune {
	if r >= 0xff01 && r <= 0xff5e {
		return r - 0xff01 + '!'
	}
	return r
}

// xssScriptParts find script that runs without a new tag: the DOM objects
// an injection reads or writes (document.cookie, document.domain,
// window.location, document.write), globals called by name to dodge
// keyword filters (window["alert"], self['eval']), JSFuck ((![]+[])),
// javascript:/vbscript: URLs, and the alert(1)/prompt(document.domain)
// probes. The alternatives are grouped by literals every match of them
// holds (needs, found in one pass by xssHints), and a group runs only on a
// value holding one of its literals: the alternation of them all, one
// expression, cost about 300 ns a byte on any text holding one literal of
// any group ("[", "data"; 2.3 ms for 8 KB), a group alone a fraction of
// it. Not "window": each alternative that names it holds another literal
// ("location", "[", a dialog's name), and every Windows user agent holds
// "window".
var xssScriptParts = []struct {
	needs []string
	re    *regexp.Regexp
}{
	{[]string{"document"}, regexp.MustCompile(`\bdocument\s*\)?\s*(?:\.\s*|\[\s*['"\x60])(?:cookie|domain|write(?:ln)?\s*\(|location\b|body\.appendchild|createelement\s*\()` +
		// Writing into the page through a selected element
		// (document.querySelector("p").innerHTML=…).
		`|\bdocument\s*\.\s*(?:queryselector(?:all)?|getelementbyid|getelementsby[a-z]+)\s*\([^()]{0,80}\)\s*(?:\[\s*\d+\s*\]\s*)?\.\s*(?:textcontent|innerhtml|outerhtml|innertext)\s*=(?:[^=]|$)`)},
	// The dialog probes: alert(1), prompt(document.domain), and called
	// with no argument or a string (alert(), prompt('x')) at the start of
	// the value or after what ends a string, a statement or an
	// attribute, not in prose ("the confirm() dialog"; a lone "+" is a
	// space in a raw query).
	{[]string{"alert", "prompt", "confirm"}, regexp.MustCompile(`\b(?:alert|prompt|confirm)\s*\(\s*(?:\d|document\b|window\b|\/)` +
		`|(?:^|[;'">(={},|&:!]|['"]\s*\+)\s*(?:alert|prompt|confirm)\s*\(\s*(?:\)|['"\x60])`)},
	{[]string{"location"}, regexp.MustCompile(`\bwindow\s*\.\s*location\s*(?:=|\.\s*(?:href|replace|assign))`)},
	// Globals indexed by a string, JSFuck.
	{[]string{"["}, regexp.MustCompile(`\b(?:window|self|top|parent|globalthis|frames)\s*\[\s*['"\x60]` +
		`|\(\s*!\s*\[\s*\]\s*\+?\s*\[\s*\]\s*\)|!!\s*\[\s*\]|\[\s*\]\s*\[\s*['"]constructor`)},
	// Script URLs, also in a CSS url() (x:url(javascript:…)).
	{[]string{"script"}, regexp.MustCompile(`(?:^|[\s"'=(])(?:javascript|vbscript|livescript)\s*:` +
		`|\burl\s*\(\s*['"]?\s*(?:javascript|vbscript|livescript)\b`)},
	// A data: URL whose content is markup (data:,<svg onload=…>).
	{[]string{"data"}, regexp.MustCompile(`\bdata\s*:\s*text/html` +
		`|\bdata\s*:\s*(?:[a-z]+/[a-z0-9.+-]+)?(?:\s*;\s*[a-z0-9=.-]+)*\s*,\s*<\s*[a-z!/?]`)},
	// Breaking out of a JavaScript string into a timer or eval
	// (x";setTimeout(name,1)//); a timer whose code is a string or which
	// makes the whole value (setInterval(code, 1)); base64 decoded into
	// an evaluating sink (eval(atob('…'))).
	{[]string{"settimeout", "setinterval", "eval", "function", "atob", "btoa"}, regexp.MustCompile(`['"]\s*[;,]\s*(?:settimeout|setinterval|eval|function)\s*\(` +
		`|\bset(?:timeout|interval)\s*\(\s*['"\x60]` +
		`|^\s*set(?:timeout|interval)\s*\(\s*[a-z_$][\w$.]*\s*,\s*\d+\s*\)\s*;?\s*$` +
		`|\b(?:eval|set(?:timeout|interval)|function|write(?:ln)?)\s*\(\s*(?:atob|btoa)\s*\(`)},
	// Calls through tagged templates, which need no parentheses
	// ([].sort.call`${alert}1`, alert`1`).
	{[]string{"`"}, regexp.MustCompile(`\.\s*(?:call|apply)\s*\x60|\b(?:alert|prompt|confirm|eval)\s*\x60`)},
	// Attributes injected into an existing tag that load a document or
	// redirect a form (' formaction=, " srcdoc=).
	{[]string{"formaction", "srcdoc"}, regexp.MustCompile(`(?:^|['"\s/])(?:formaction|srcdoc)\s*=`)},
}

// xssScriptMatch returns the first match of the parts of xssScriptParts whose
// literals hints (xssHints' groups found in l) holds, that is no mention
// of a scheme in prose; "" if none. Each part is asked for its first
// xssPartMatches matches.
func xssScriptMatch(l string, hints uint64) string {
	for k, part := range xssScriptParts {
		if hints&(1<<(k+1)) == 0 {
			continue
		}
		for _, m := range part.re.FindAllStringIndex(l, xssPartMatches) {
			if !schemeMention(l, m[0], m[1]) {
				return l[m[0]:m[1]]
			}
		}
	}
	return ""
}

// xssPartMatches bounds the matches of a part xssScriptMatch looks at, so
// that a value of many scheme mentions costs a bounded scan. The whole
// expression was asked for four; a part is asked for twelve, as one part's
// match hid what another's finds: a document.querySelector(…).innerHTML=
// mention's 80 bytes of arguments hold up to eight "vbscript:" mentions,
// which the script part must step past to reach a fifth match that the
// whole expression found (FuzzXSSScriptParts).
const xssPartMatches = 12

// xssMarkup finds markup that needs no script to do harm and that
// libinjection lets through: an input whose pattern attribute makes the
// browser run an attacker's regular expression (CSS :invalid leaks, ReDoS),
// a form that posts off-site (credential capture), and Internet Explorer's
// HTML component import (<?import implementation="x.htc">).
var xssMarkup = regexp.MustCompile(`<\s*(?:input|textarea)\b[^<>]{0,200}?\spattern\s*=|<\s*form\b[^<>]{0,200}?\saction\s*=\s*['"]?\s*(?:[a-z]+:)?//` +
	`|<\s*\??\s*import[^<>]{0,80}?implementation\s*=`)

// xssSpacedTag finds the names of dangerous tags spelled with spaces or a
// namespace prefix (<f o r m, <d i a l o g, < x: script, <v:vmlframe),
// which some filters and parsers fold back together.
var xssSpacedTag = regexp.MustCompile(`<\s*(?:` + spaced("script", "form", "dialog", "iframe", "svg", "img", "object", "embed", "body", "details", "input", "video", "audio", "style", "base", "meta", "math") + `)\b|<\s*(?:[a-z]*\s*:\s*(?:script|svg|iframe|vmlframe)\b)`)

// spaced returns an alternation of names with at least one space between
// each of their letters.
func spaced(names ...string) string {
	var b strings.Builder
	for i, n := range names {
		if i > 0 {
			b.WriteByte('|')
		}
		for j := 0; j < len(n); j++ {
			if j > 0 {
				b.WriteString(`\s+`)
			}
			b.WriteByte(n[j])
		}
	}
	return b.String()
}

// stripComments replaces each /*…*/ of s with a space.
func stripComments(s string) string {
	var b strings.Builder
	for {
		i := strings.Index(s, "/*")
		if i < 0 {
			break
		}
		j := strings.Index(s[i+2:], "*/")
		if j < 0 {
			break
		}
		b.WriteString(s[:i])
		b.WriteByte(' ')
		s = s[i+2+j+2:]
	}
	b.WriteString(s)
	return b.String()
}

// sqliShape appends to buf v as libinjection's SQL classifier sees it: each
// word it can only read as a bareword written "zz", and each digit of a
// number standing alone '1'. Values of one shape get the same verdict and
// fingerprint from it (FuzzSQLiShape, TestSQLiShapeCorpus): what it reads
// of a bareword is that it is not a keyword, and of a plain number its
// length. Searches, addresses and notes that differ only in their words
// and numbers ("levi's kids' sunglasses", "o'neill desk chair") then share
// one entry of the detector's memo of shapes found clean. Words and numbers
// stay as they are unless libinjection's tokenizer is bound to read them
// whole and alone: a run of letters, digits and bytes past ASCII (but its
// white space 0xA0) between white space, quotes, parentheses and
// operators; not after '@' (a variable), '$', '.', '`', '\' or '_' (part
// of a longer token) nor at the start of a prefixed string (X'41'), not
// a keyword of its table or a word it looks for
// before a parenthesis (USER, DATABASE, PASSWORD, LOCALTIME…), not one
// letter (N'…', X'…', Q'…' strings start so), not holding ı or ſ (its
// lookup upper-cases them to I and S), not a number glued to letters (1e5,
// 0x41). It returns buf empty for a value too long to remember, and for
// one holding an Oracle q'…' string, whose delimiter may be a letter or a
// digit: the string ends at that byte before a quote, which a word or
// number replaced could add or take away (q'dfoo bad' or 1=1 -- is a
// match, q'dfoo cat' or 1=1 -- is not; NQ'…' too).
func sqliShape(v string, buf []byte) []byte {
	if len(v) > normalize.MemoMaxKey {
		return buf[:0]
	}
	for i := 0; i < len(v); {
		if !shapeUnitByte(v[i]) {
			if v[i] == '\'' && i > 0 && v[i-1]|0x20 == 'q' {
				return buf[:0] // q'…'
			}
			buf = append(buf, v[i])
			i++
			continue
		}
		j := i + 1
		for j < len(v) && shapeUnitByte(v[j]) {
			j++
		}
		u := v[i:j]
		switch {
		case i > 0 && !shapeEdge(v[i-1]), j < len(v) && !shapeEdge(v[j]),
			i > 1 && (v[i-1] == '\'' || v[i-1] == '"') && shapeUnitByte(v[i-2]):
			// Not alone, or the start of a prefixed string's body
			// (X'41', B'01', N'…', Q'[…]'), which it checks.
			buf = append(buf, u...)
		case digit(u[0]):
			if !detect.AllDigits(u) {
				buf = append(buf, u...)
				break
			}
			for range u {
				buf = append(buf, '1')
			}
		case len(u) >= 2 && shapeBareword(u):
			buf = append(buf, 'z', 'z')
		default:
			buf = append(buf, u...)
		}
		i = j
	}
	return buf
}

// shapeUnitByte reports a byte of what sqliShape may replace.
func shapeUnitByte(c byte) bool {
	return 'a' <= c|0x20 && c|0x20 <= 'z' || digit(c) || c >= 0x80 && c != 0xa0
}

// shapeEdges are the bytes around a word or number that libinjection's
// tokenizer ends it at and starts nothing with that reads it.
var shapeEdges = func() (t [256]bool) {
	for _, c := range []byte(" \t\n\r\v\f,;()'\":!?&|<>=+*/%^~[]{}#-") {
		t[c] = true
	}
	return t
}()

func shapeEdge(c byte) bool { return shapeEdges[c] }

// shapeBareword reports whether libinjection reads word w (letters,
// digits, bytes past ASCII, starting with a letter or such a byte) as a
// bareword whatever follows it: not a keyword of its table, and not a
// name its folding looks for.
func shapeBareword(w string) bool {
	if !letter(w[0]) && w[0] < 0x80 {
		return false
	}
	ascii := true
	for i := 0; i < len(w); i++ {
		if w[i] >= 0x80 {
			if asciiUpper(w, i) {
				return false // unıon, ſelect
			}
			ascii = false
		}
	}
	if !ascii {
		return true // no keyword has bytes past ASCII
	}
	if literals.HasUpper(libinjectionWordSet, w) {
		return false
	}
	for _, n := range foldedNames {
		if len(w) == len(n) && strings.EqualFold(w, n) {
			return false
		}
	}
	return true
}

// foldedNames are the words libinjection's folding looks for before a
// parenthesis that are not in its keyword table's words.
var foldedNames = [...]string{"USER", "DATABASE", "PASSWORD", "LOCALTIME", "LOCALTIMESTAMP"}
