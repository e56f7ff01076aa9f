// Package tier1 holds the fast detectors that run on every exchange, one per
// attack family: OS command injection ("cmdi"), path traversal and local file
// inclusion ("traversal"), server-side request forgery ("ssrf"), NoSQL
// operator injection ("nosqli"), server-side template injection ("ssti"),
// JNDI lookups ("jndi"), XML external entities ("xxe"), CRLF and mail header
// injection ("crlf", "mailinj"), LDAP injection ("ldapi"), GraphQL abuse
// ("graphql"), code injection in PHP, Java, Node.js and Perl ("codei") and
// the SQL injection techniques libinjection misses ("sqlsig"). SQL
// injection and XSS are otherwise the "injection" detector's
// (pipeline/detect/injection), which, listed right before the families as
// the defaults have it, runs its checks first in their walk over the
// parameters (Detector.Lead).
//
// Input: exchanges from the pipeline through detect.Detector; each detector
// reads the flattened request parameters, normalised by
// pipeline/detect/normalize, and keeps no state between calls. Output: at
// most one alert per rule per exchange, every matching parameter listed as
// evidence (bounded, redacted), with the outcome the response shows
// (pipeline/detect/confirm: file content after a traversal, command output,
// cloud metadata after SSRF, an evaluated template, …). Each family first checks a parameter for the
// characters its payloads cannot do without, so benign values cost a byte
// scan and no allocation.
package tier1

import (
	"math/bits"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/apisensor/sensor/decoders"
	"github.com/apisensor/sensor/pipeline/alert"
	"github.com/apisensor/sensor/pipeline/detect"
	"github.com/apisensor/sensor/pipeline/detect/confirm"
	"github.com/apisensor/sensor/pipeline/detect/injection"
	"github.com/apisensor/sensor/pipeline/detect/normalize"
)

// OWASP mappings shared by the families. Injection is A03:2021 alone: the
// API Security Top 10 2023 has no injection entry (API8:2019 "Injection"
// became API8:2023 "Security Misconfiguration"); confirm adds API8:2023 when
// the response discloses a stack trace or an interpreter error.
var (
	owaspInjection = []string{"A03:2021"}
	owaspSSRF      = []string{"A10:2021", "API7:2023"}
	owaspXXE       = []string{"A05:2021", "API8:2023"}
)

// rule is a detect.Rule with what the family needs to report it.
type rule struct {
	detect.Rule
	// title starts the alert's summary ("OS command injection").
	title string
	// noConfirm marks a rule that reports no attack attempt whose success
	// the response could show (GraphQL abuse); every other rule's alert
	// gets an outcome and response evidence from confirm.Apply.
	noConfirm bool
	// outcome, when set, reads the response for a rule whose success
	// confirm does not know how to tell (graphql-mutation-over-get).
	outcome func(x *decoders.Exchange) alert.Outcome
}

// reportFunc records one match of rule r on the parameter being checked;
// matched says what matched (pattern and the matching text).
type reportFunc func(r *rule, matched string)

// family is one detector's logic.
type family struct {
	name string
	// scope reports whether the family looks at parameter p.
	scope func(p *decoders.Param) bool
	// locs, when not zero, holds every location scope can accept, so
	// parameters elsewhere are skipped without calling it.
	locs locSet
	// values, set instead of scope, means detect.Scanned, which several
	// families share and gates.pick asks once per parameter.
	values bool
	// moreHeaders, with values, reports the request headers beyond
	// detect.ScannedHeader the family reads (by lower-case name).
	moreHeaders func(name string) bool
	// trigger lists the bytes without which no payload of the family can
	// be in a value; a value with none of them (and that normalisation
	// cannot change) is skipped. Empty means every value in scope is
	// checked.
	trigger  string
	triggers classSet // classMask(trigger)
	// pre, when set, replaces the trigger check: it reports whether
	// parameter p, whose most decoded value is best, is worth
	// normalising.
	pre func(p *decoders.Param, in *input) bool
	// match checks parameter p, whose value normalised is v.
	match func(p *decoders.Param, v *normalize.Value, report reportFunc)
	// whole, when set, checks the exchange as a whole after the
	// parameters (GraphQL batching).
	whole func(x *decoders.Exchange, report func(r *rule, p *decoders.Param, matched string))
}

// families lists every detector of the package.
var families = []*family{
	&cmdiFamily, &traversalFamily, &ssrfFamily, &nosqliFamily, &sstiFamily, &jndiFamily,
	&xxeFamily, &crlfFamily, &mailFamily, &ldapFamily, &graphqlFamily, &codeiFamily, &sqlsigFamily, &uploadFamily,
}

// base64Classes are the classes of the bytes of base64 (both alphabets,
// with padding).
var base64Classes classSet

func init() {
	changeMask = classMask(normalize.ChangeBytes)
	classMask(classBytes)
	base64Classes = classMask("+/-_=") | upperClass | lowerClass | digitClass
	for _, f := range families {
		f.triggers = classMask(f.trigger)
		detect.Register(f.name, func(cfg detect.Config) (detect.Detector, error) {
			d := &Detector{fams: []*family{f}, name: f.name, cfg: cfg.WithDefaults(), confirm: confirm.DefaultConfig(), memos: newMemos()}
			d.gates = newGates(d.fams)
			return d, nil
		})
	}
}

// Names returns the names of the package's detectors (the families; the
// "injection" detector that may lead them is registered by its own
// package).
func Names() []string {
	names := make([]string, len(families))
	for i, f := range families {
		names[i] = f.name
	}
	return names
}

// Detector runs one or more families, after the injection detector's
// checks when it leads them. Each family registers on its own, but
// detect.New merges families listed next to each other into one Detector
// (see Merge), so they share the walk over the parameters, the memo of
// clean ones, the prefilter and the normalisation; the injection detector
// listed right before them joins the walk too (see Lead). It is stateless
// apart from its settings, so one value serves every worker.
type Detector struct {
	fams []*family
	// gates sorts fams for the walk (see gates.pick).
	gates gates
	// inj, when set, is the injection detector, whose checks run first on
	// each parameter and whose alerts come first.
	inj     *injection.Detector
	name    string
	cfg     detect.Config
	confirm confirm.Config
	// memos holds *normalize.Memo of the parameters (see memoKey) in
	// which no family of fams found anything, one per goroutine at a
	// time. A memo changes no verdict: the families read nothing of a
	// parameter but what the key holds.
	memos *sync.Pool
}

func newMemos() *sync.Pool {
	return &sync.Pool{New: func() any { return normalize.NewMemo() }}
}

// Name implements detect.Detector: the family names joined with "+".
func (d *Detector) Name() string { return d.name }

// Merge implements detect.Merger: next joins d when it is a tier-1
// detector with the same settings. Families run in the order merged and
// report in that order, so the alerts are those of the separate detectors.
func (d *Detector) Merge(next detect.Detector) bool {
	n, ok := next.(*Detector)
	if !ok || !detect.SameSettings(n.cfg, d.cfg) || n.confirm != d.confirm {
		return false
	}
	d.fams = append(d.fams, n.fams...)
	d.gates = newGates(d.fams)
	d.name += "+" + n.name
	// What d found clean may not be clean for the merged families.
	d.memos = newMemos()
	return true
}

// Lead implements injection.Walker: the injection detector, listed right
// before d, runs its checks first in d's walk and reports first, so that
// a parameter is read, prefiltered and remembered clean once for both.
// The memo key (memoKey) holds everything its checks read of a parameter.
func (d *Detector) Lead(inj *injection.Detector) bool {
	if d.inj != nil || !detect.SameSettings(inj.Config(), d.cfg) {
		return false
	}
	d.inj = inj
	// What d found clean may not be clean for injection.
	d.memos = newMemos()
	return true
}

// finding accumulates one rule's alert on one exchange.
type finding struct {
	rule  *rule
	a     *alert.Alert
	count int
	loc   decoders.Location
	name  string
	// payloads holds the matching values (as sent, decoded, and
	// normalised when that differs), at most maxPayloads, for the
	// response check.
	payloads []string
}

// maxPayloads bounds the matching values whose echo or effect the response
// check looks for.
const maxPayloads = 8

// scan is one family's state in one Inspect call, kept in a pooled state.
type scan struct {
	d     *Detector
	fam   *family
	x     *decoders.Exchange
	found []finding
	// the parameter being matched, its normalised value, and the findings
	// (bit per index) it already added evidence to
	p      *decoders.Param
	v      normalize.Value
	seen   uint64
	report reportFunc
	// hits points to state.hits, counted up by each report on a
	// parameter.
	hits *int
	// reportWhole is addWhole, made once for the family's whole check.
	reportWhole func(r *rule, p *decoders.Param, matched string)
}

// input is one parameter's value with what the families' prefilters share,
// computed at most once per parameter.
type input struct {
	best string
	// classes has the bit of every byte class (see classBit) in best.
	classes classSet
	// shape is injection.ShapeOf(best), found in the same pass.
	shape injection.Shape
	// may caches normalize.MayChange(best): 0 unknown, 1 false, 2 true.
	may int8
}

// classSet is a set of byte classes, a bit each.
type classSet uint64

// Prefilter byte classes: every byte a family's trigger or pre looks for,
// and normalize.ChangeBytes, has a bit of its own (the low bits, given by
// classMask), so one pass over a value answers every family's trigger
// check. Every byte also has one of the shared classes below, which tell
// the prefilters what else a value holds without scanning it again, and,
// between those and its own, its injection.Shape, which the injection
// detector would otherwise scan the value again for.
var (
	classBit   = sharedClassBits()
	changeMask classSet
	ownClasses int
)

// The shared classes: ASCII upper-case letters, lower-case letters,
// digits, bytes past ASCII, and the other ASCII bytes that have no class of
// their own (classMask takes a byte out of otherClass when it gives it one).
const (
	upperClass classSet = 1 << (63 - iota)
	lowerClass
	digitClass
	highClass
	otherClass
	sharedClasses = upperClass | lowerClass | digitClass | highClass | otherClass
	shapeShift    = 64 - 5 - 8
	shapeBits     = classSet(0xff) << shapeShift
	maxOwnClasses = shapeShift
)

// sharedClassBits gives every byte its shared class and its shape. It
// initialises classBit, before any init function of the package asks
// classMask for classes of its own.
func sharedClassBits() (t [256]classSet) {
	for c := range 256 {
		t[c] = classSet(injection.ShapeOf(string([]byte{byte(c)}))) << shapeShift
		switch {
		case 'A' <= c && c <= 'Z':
			t[c] |= upperClass
		case 'a' <= c && c <= 'z':
			t[c] |= lowerClass
		case '0' <= c && c <= '9':
			t[c] |= digitClass
		case c >= 0x80:
			t[c] |= highClass
		default:
			t[c] |= otherClass
		}
	}
	return t
}

// classBytes are the bytes prefilters look for besides the families'
// triggers: pre's, and normalize.ChangeBytes.
const classBytes = "$:+!<@_\r\n" + normalize.ChangeBytes

// classMask returns the own classes of the bytes of s, giving a class to
// each new byte. Letters and digits have only their shared class.
func classMask(s string) classSet {
	var m classSet
	for i := 0; i < len(s); i++ {
		c := s[i]
		if classBit[c]&^(sharedClasses|shapeBits) == 0 {
			if classBit[c]&(upperClass|lowerClass|digitClass) != 0 {
				panic("tier1: a letter or digit as a prefilter byte class")
			}
			if ownClasses == maxOwnClasses {
				panic("tier1: too many prefilter byte classes")
			}
			classBit[c] = classBit[c]&^otherClass | 1<<ownClasses
			ownClasses++
		}
		m |= classBit[c] &^ (sharedClasses | shapeBits)
	}
	return m
}

func (in *input) reset(best string) {
	in.best, in.may = best, 0
	// Four accumulators keep the loop from waiting on one register.
	var m0, m1, m2, m3 classSet
	i := 0
	for ; i+4 <= len(best); i += 4 {
		m0 |= classBit[best[i]]
		m1 |= classBit[best[i+1]]
		m2 |= classBit[best[i+2]]
		m3 |= classBit[best[i+3]]
	}
	for ; i < len(best); i++ {
		m0 |= classBit[best[i]]
	}
	m := m0 | m1 | m2 | m3
	in.classes, in.shape = m&^shapeBits, injection.Shape(m>>shapeShift)
}

// has reports whether the value holds byte c, which must be in classBytes
// or a trigger.
func (in *input) has(c byte) bool { return in.classes&classBit[c]&^sharedClasses != 0 }

// hasAny reports whether the value holds a byte of one of the classes cs.
func (in *input) hasAny(cs classSet) bool { return in.classes&cs != 0 }

// mayChange reports normalize.MayChange(in.best).
func (in *input) mayChange() bool {
	if in.may == 0 {
		in.may = 1
		if in.classes&changeMask != 0 || in.classes&^base64Classes == 0 && in.classes&(upperClass|lowerClass) != 0 &&
			len(in.best) >= normalize.MinBase64 && in.base64Text() {
			in.may = 2
		}
	}
	return in.may == 2
}

// base64Text reports normalize.Base64Text(in.best) for a value of only
// base64's bytes, with a letter, at least normalize.MinBase64 long. The
// classes answer what normalize would scan the value for, unless it holds
// an '=' (padding only at the end).
func (in *input) base64Text() bool {
	if in.has('=') {
		return normalize.Base64Text(in.best)
	}
	return len(in.best)%4 != 1 && in.classes != lowerClass && normalize.DecodesToText(in.best)
}

// maxFamilies bounds the families one Detector runs: the package's own.
const maxFamilies = 16

// state is one Inspect call's scratch: the parameter being checked and a
// scan per family. States are pooled so that an exchange costs no
// allocation unless it raises an alert; each is used by one goroutine at a
// time.
type state struct {
	in    input
	scans [maxFamilies]scan
	// used has bit k set when scans[k] took part in this call.
	used uint32
	// inj is the injection detector's scan of the exchange.
	inj injection.Scan
	// hits counts the reports on parameters; key is the memo key of the
	// parameter being checked.
	hits int
	key  []byte
	// path holds the ends of the request path as parameters (wholePath).
	path [maxPathEnds]decoders.Param
}

var states = sync.Pool{New: func() any {
	st := new(state)
	for k := range st.scans {
		sc := &st.scans[k]
		sc.report = sc.reportParam
		sc.reportWhole = sc.addWhole
		sc.hits = &st.hits
	}
	return st
}}

// scanFor returns family k's scan, starting it on this call if needed.
func (st *state) scanFor(k int, d *Detector, f *family, x *decoders.Exchange) *scan {
	sc := &st.scans[k]
	if st.used&(1<<k) == 0 {
		st.used |= 1 << k
		sc.d, sc.fam, sc.x = d, f, x
	}
	return sc
}

// release clears what the call left in st, so that the pool holds no
// exchange or alert, and puts it back.
func (st *state) release() {
	st.in = input{}
	st.inj = injection.Scan{}
	st.path = [maxPathEnds]decoders.Param{}
	for k := range st.scans {
		if st.used&(1<<k) == 0 {
			continue
		}
		sc := &st.scans[k]
		clear(sc.found)
		sc.found = sc.found[:0]
		sc.d, sc.fam, sc.x, sc.p, sc.v, sc.seen = nil, nil, nil, nil, normalize.Value{}, 0
	}
	st.used, st.hits = 0, 0
	states.Put(st)
}

// Inspect implements detect.Detector.
func (d *Detector) Inspect(x *decoders.Exchange, out []*alert.Alert) []*alert.Alert {
	if x.Request == nil {
		return out
	}
	fams := d.fams[:min(len(d.fams), maxFamilies)]
	st := states.Get().(*state)
	defer st.release()
	in := &st.in
	memo := d.memos.Get().(*normalize.Memo)
	defer d.memos.Put(memo)
	if d.inj != nil {
		d.inj.Start(&st.inj, x)
	}
	for i := range x.Params {
		p := &x.Params[i]
		// Headers, path segments and tokens repeat from one request to
		// the next: a parameter found clean before costs a lookup.
		loc := locBit(p.Loc)
		st.key = memoKey(st.key, p, loc)
		found, sum := memo.LookupBytes(st.key)
		if found {
			continue
		}
		hits := st.hits
		in.reset(p.Best())
		if d.inj != nil && st.inj.Param(i, in.shape) {
			st.hits++
		}
		d.families(st, fams, x, p, loc, ^famSet(0))
		if st.hits == hits {
			memo.Insert(sum)
		}
	}
	// The end of the path (wholePath): the injection detector does not
	// see it, and the memo does not hold it, as an entry would say clean
	// for checks that did not run on it (the injection detector's, those
	// of the families left out).
	for _, p := range st.path[:wholePath(x, &st.path)] {
		if mask := d.gates.pathFams &^ st.found(); mask != 0 {
			in.reset(p.Best())
			d.families(st, fams, x, &p, locPath, mask)
		}
	}
	if d.inj != nil {
		out = st.inj.End(out)
	}
	for k, f := range fams {
		if f.whole != nil {
			f.whole(x, st.scanFor(k, d, f, x).reportWhole)
		}
	}
	for k := range fams {
		if st.used&(1<<k) == 0 {
			continue
		}
		sc := &st.scans[k]
		for i := range sc.found {
			f := &sc.found[i]
			f.a.Summary = summary(f)
			if !f.rule.noConfirm {
				confirm.Apply(f.a, x, f.payloads, d.confirm)
			}
			if f.rule.outcome != nil {
				detect.SetOutcome(f.a, f.rule.outcome(x))
			}
			out = append(out, f.a)
		}
	}
	return out
}

// families runs on parameter p, whose location has bit loc and whose value
// st.in holds, the families of mask that pick wants.
func (d *Detector) families(st *state, fams []*family, x *decoders.Exchange, p *decoders.Param, loc locSet, mask famSet) {
	run := d.gates.pick(fams, p, loc, &st.in) & mask
	if run == 0 {
		return
	}
	v := normalize.Normalize(st.in.best, p.Decodes, d.cfg.ScanBytes)
	for ; run != 0; run &= run - 1 {
		k := bits.TrailingZeros16(uint16(run))
		sc := st.scanFor(k, d, fams[k], x)
		sc.p, sc.seen, sc.v = p, 0, v
		fams[k].match(p, &sc.v, sc.report)
	}
}

// found returns the families that found something on this call.
func (st *state) found() famSet {
	var f famSet
	for u := st.used; u != 0; u &= u - 1 {
		if k := bits.TrailingZeros32(u); len(st.scans[k].found) > 0 {
			f |= 1 << k
		}
	}
	return f
}

// wholePath puts in ps the ends of the request's path, as parameters
// (location path, no name: "the request path" in a summary) for the
// families that read values, when its bytes say it may carry what its
// segments hide, and returns how many: the decoder splits the path at its
// slashes, so "cat /etc/passwd" or "<?php system($_GET[c]); ?>/x" ending a
// URL reaches the families as pieces that say nothing apart ("cat ",
// "etc", "passwd"). Each segment is read decoded, as a server routes it
// (/api/v1/%66iles is /api/v1/files). An end starts at each segment with a
// byte other than a letter, a digit or - . _ ~ @ : , = (segmentOdd), as a
// payload appended to a route does (/api/v1/files/cat /etc/passwd), and at
// each empty segment, with the payload's own leading slash
// (/api/v1/files//etc/[p]asswd): the route before it would hide what a
// check anchors at a value's start, and so would an earlier odd segment
// (/api/v1/projects/My Project/files/cat /etc/passwd). At most
// maxPathEnds ends; one of a single segment is that segment, checked
// already. A path of plain segments alone, as nearly every API path is,
// costs one byte scan. traversal and ssrf read the path whole themselves
// (traversalPath, ssrfPath), and the injection detector runs libinjection
// on it; a family that found something in the exchange already is not
// asked again.
func wholePath(x *decoders.Exchange, ps *[maxPathEnds]decoders.Param) int {
	raw := x.Request.Path
	// Nearly every path is plain: one pass, four bytes a step, tells.
	var odd uint8
	i := 0
	for ; i+4 <= len(raw); i += 4 {
		odd |= oddPathByte[raw[i]] | oddPathByte[raw[i+1]] | oddPathByte[raw[i+2]] | oddPathByte[raw[i+3]]
	}
	for ; i < len(raw); i++ {
		odd |= oddPathByte[raw[i]]
	}
	if odd == 0 {
		return 0
	}
	// Segments are cut at the slashes as sent: an encoded slash (%2F)
	// stays in its segment, as most servers route it, and a payload sent
	// as one segment is that segment's.
	n := 0
	for seg, i := 0, 0; i <= len(raw) && n < maxPathEnds; i++ {
		if i < len(raw) && raw[i] != '/' {
			continue
		}
		from := -1
		switch {
		case i == seg && seg > 0:
			from = i // the slash after an empty segment
		case segmentOdd(decodedSegment(raw[seg:i]), i < len(raw)):
			from = seg
		}
		seg = i + 1
		if from < 0 || strings.IndexByte(strings.TrimPrefix(raw[from:], "/"), '/') < 0 {
			continue // not an end, or one of a single segment
		}
		tail, rounds := decoders.DecodeRepeated(raw[from:], false, 4)
		ps[n] = decoders.Param{Loc: decoders.LocPath, Value: raw[from:], Decodes: rounds}
		if rounds > 0 {
			ps[n].Decoded = tail
		}
		n++
	}
	return n
}

// decodedSegment returns path segment seg decoded as a server routes it.
func decodedSegment(seg string) string {
	if strings.IndexByte(seg, '%') < 0 {
		return seg
	}
	d, _ := decoders.DecodeRepeated(seg, false, 4)
	return d
}

// maxPathEnds bounds the ends of a path checked (wholePath).
const maxPathEnds = 4

// segmentOdd reports whether path segment seg (decoded; slashed: a slash
// follows it) makes the path worth checking from it on: it has a byte
// oddPathByte marks, but in path parameters (";jsessionid=ABC!1", ";a",
// which Tomcat and Jetty drop; ";cat /x" with its space, ";+cat+" with a
// form's spaces or ";$(id)" are none), and a colon only when a slash
// follows it (php:// is a wrapper, /v1/items:batchGet a custom method).
func segmentOdd(seg string, slashed bool) bool {
	if k := strings.IndexByte(seg, ';'); k >= 0 && pathParams.MatchString(seg[k:]) {
		seg = seg[:k]
	}
	for k := 0; k < len(seg); k++ {
		if c := seg[k]; oddPathByte[c] != 0 && (c != ':' || k == len(seg)-1 && slashed) {
			return true
		}
	}
	return false
}

// pathParams matches a segment's path parameters: ";name=value" and more.
var pathParams = regexp.MustCompile("^;[^\\s|&$`<>(){}'\"\\\\+*?]*$")

// oddPathByte is 1 for the bytes of a path segment that may make it worth
// checking with the segments after it: all but letters, digits,
// - . _ ~ @ , = (names, addresses and times in routes: /users/a@b.example/)
// and the slash between segments. '%' is odd (what it encodes may be), and
// so is '+', a space in a command line sent as a form would send it; the
// colon is segmentOdd's to decide.
var oddPathByte = func() (t [256]uint8) {
	for c := 0; c < 256; c++ {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("-._~/@,=", byte(c)) >= 0) {
			t[c] = 1
		}
	}
	return t
}()

// memoKey returns, in b's storage, what the families read of parameter
// p, whose location has bit loc: its location (a byte for the decoders'
// own, else its length and bytes), decoding rounds, name and value in both
// forms. The lengths, two bytes each (the bound keeps every piece under
// 64 KB; a location's, one), keep different splits of the same bytes apart
// (FuzzMemoKeyApart).
func memoKey(b []byte, p *decoders.Param, loc locSet) []byte {
	if len(p.Loc)+len(p.Name)+len(p.Value)+len(p.Decoded)+7 > normalize.MemoMaxKey || uint(p.Decodes) > 255 || len(p.Loc) > 255 {
		return b[:0] // too long to remember: an empty key
	}
	b = b[:0]
	if loc != locOther {
		b = append(b, byte(bits.TrailingZeros16(uint16(loc))))
	} else {
		b = append(b, 0xff, byte(len(p.Loc)))
		b = append(b, p.Loc...)
	}
	b = append(b, byte(p.Decodes), byte(len(p.Name)), byte(len(p.Name)>>8))
	b = append(b, p.Name...)
	b = append(b, byte(len(p.Value)), byte(len(p.Value)>>8))
	b = append(b, p.Value...)
	if p.Decoded != "" {
		b = append(b, p.Decoded...)
	}
	return b
}

// addWhole records a match of a check on the whole exchange.
func (sc *scan) addWhole(r *rule, p *decoders.Param, matched string) {
	sc.add(r, p, p.Best(), matched)
}

// reportParam records a match on the current parameter, once per rule.
func (sc *scan) reportParam(r *rule, matched string) {
	for j := range sc.found {
		if sc.found[j].rule == r && sc.seen&(1<<j) != 0 {
			return
		}
	}
	*sc.hits++
	if note := sc.v.Steps.String(); note != "" {
		matched += " (" + note + ")"
	}
	j := sc.add(r, sc.p, sc.v.Text, matched)
	if j < 64 {
		sc.seen |= 1 << j
	}
}

// add appends evidence to rule r's alert, starting it if needed, and
// returns the finding's index.
func (sc *scan) add(r *rule, p *decoders.Param, value, matched string) int {
	i := 0
	for i < len(sc.found) && sc.found[i].rule != r {
		i++
	}
	if i == len(sc.found) {
		sc.found = append(sc.found, finding{rule: r, a: sc.d.cfg.NewAlert(sc.x, sc.fam.name, &r.Rule, ""), loc: p.Loc, name: p.Name})
	}
	f := &sc.found[i]
	f.count++
	f.addPayload(p.Best())
	if value != p.Best() {
		f.addPayload(value)
	}
	sc.d.cfg.AddRuleEvidence(f.a, p.Loc, p.Name, value, matched, r.ID)
	return i
}

// addPayload records value for the response check.
func (f *finding) addPayload(value string) {
	if len(f.payloads) < maxPayloads {
		f.payloads = append(f.payloads, value)
	}
}

// locSet is a set of parameter locations, a bit each; locOther stands for
// any location not listed.
type locSet uint16

const (
	locPath locSet = 1 << iota
	locQuery
	locHeader
	locCookie
	locForm
	locJSON
	locMultipart
	locXML
	locBody
	locProtobuf
	locName
	locOther
)

// locBit returns l's bit.
func locBit(l decoders.Location) locSet {
	switch l {
	case decoders.LocPath:
		return locPath
	case decoders.LocQuery:
		return locQuery
	case decoders.LocHeader:
		return locHeader
	case decoders.LocCookie:
		return locCookie
	case decoders.LocForm:
		return locForm
	case decoders.LocJSON:
		return locJSON
	case decoders.LocMultipart:
		return locMultipart
	case decoders.LocXML:
		return locXML
	case decoders.LocBody:
		return locBody
	case decoders.LocProtobuf:
		return locProtobuf
	case decoders.LocName:
		return locName
	}
	return locOther
}

// famSet is a set of a Detector's families, bit k for fams[k].
type famSet uint16

// gates is what a Detector knows of its families before it reads a
// parameter: which look at each location, which let a value in by its
// trigger bytes alone, and which share detect.Scanned as their scope.
type gates struct {
	// byLoc holds, per location bit (locBit), the families whose locs
	// take it.
	byLoc [16]famSet
	// triggered are the families that a trigger byte or a value
	// normalisation may change lets in (no pre), byClass those of them
	// that each own byte class lets in, and classes every such class.
	triggered famSet
	byClass   [maxOwnClasses]famSet
	classes   classSet
	// values are the families whose scope is detect.Scanned; moreHeaders
	// those of them that read more headers.
	values, moreHeaders famSet
	// pathFams are the families that read values and have no check of
	// the request path of their own (wholePath).
	pathFams famSet
}

func newGates(fams []*family) gates {
	var g gates
	for k, f := range fams[:min(len(fams), maxFamilies)] {
		bit := famSet(1) << k
		if f.values {
			g.values |= bit
			if f.moreHeaders != nil {
				g.moreHeaders |= bit
			}
			if f.whole == nil {
				g.pathFams |= bit
			}
		}
		for l := range g.byLoc {
			if f.locs == 0 || f.locs&(1<<l) != 0 {
				g.byLoc[l] |= bit
			}
		}
		// Families with pre decide in it; those with neither pre nor a
		// trigger take every value in scope.
		if f.pre == nil && f.triggers != 0 {
			g.triggered |= bit
			g.classes |= f.triggers
			for c := f.triggers; c != 0; c &= c - 1 {
				g.byClass[bits.TrailingZeros64(uint64(c))] |= bit
			}
		}
	}
	return g
}

// pick returns the families that check parameter p, whose location has
// bit loc and whose value in holds: those that look at its location, take
// it in their scope and find it worth normalising (worth). The families'
// checks in scope and pre only read p and in, so asking in any order
// gives the same set.
func (g *gates) pick(fams []*family, p *decoders.Param, loc locSet, in *input) famSet {
	cand := g.byLoc[bits.TrailingZeros16(uint16(loc))]
	if cand == 0 {
		return 0
	}
	if cand&g.values != 0 && !detect.Scanned(p) {
		drop := g.values // asked once for the families that share it
		for m := drop & g.moreHeaders; m != 0; m &= m - 1 {
			if k := bits.TrailingZeros16(uint16(m)); fams[k].moreHeaders(p.Name) {
				drop &^= 1 << k
			}
		}
		cand &^= drop
	}
	if t := cand & g.triggered; t != 0 {
		// A family of triggers only goes on with one of its bytes, or
		// with a value normalisation may change.
		var hit famSet
		for c := in.classes & g.classes; c != 0; c &= c - 1 {
			hit |= g.byClass[bits.TrailingZeros64(uint64(c))]
		}
		if t&^hit != 0 && !in.mayChange() {
			cand &^= t &^ hit
		}
	}
	run := cand
	for c := cand; c != 0; c &= c - 1 {
		k := bits.TrailingZeros16(uint16(c))
		f := fams[k]
		if !f.values && !f.scope(p) || f.pre != nil && !f.pre(p, in) {
			run &^= 1 << k
		}
	}
	return run
}

// summary renders "OS command injection in query parameter host (and 2
// more)".
func summary(f *finding) string {
	var b strings.Builder
	b.WriteString(f.rule.title)
	b.WriteString(" in ")
	if f.loc == decoders.LocPath && f.name == "" {
		// A path segment has its index for a name: this is the whole
		// path (traversalPath, ssrfPath).
		b.WriteString("the request path")
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

// snippet bounds the text quoted in a matched string.
func snippet(s string) string { return alert.Snippet(s, 80) }

// forms calls fn on each matching form of v, stopping when it returns true.
func forms(v *normalize.Value, fn func(s string) bool) {
	if fn(v.Fold) {
		return
	}
	if v.Base64 != "" {
		fn(v.Base64)
	}
}
