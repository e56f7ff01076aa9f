// Package tier1 holds the fast detectors that run on every exchange, one per
// attack family: OS command injection ("cmdi"), path traversal and local file
// inclusion ("traversal"), server-side request forgery ("ssrf"), NoSQL
// operator injection ("nosqli"), server-side template injection ("ssti"),
// JNDI lookups ("jndi"), XML external entities ("xxe"), CRLF and mail header
// injection ("crlf", "mailinj"), LDAP injection ("ldapi") and GraphQL abuse
// ("graphql"). SQL injection and XSS are the "injection" detector's.
//
// Input: exchanges from the pipeline through detect.Detector; each detector
// reads the flattened request parameters, normalised by
// pipeline/detect/normalize, and keeps no state between calls. Output: at
// most one alert per rule per exchange, every matching parameter listed as
// evidence (bounded, redacted). Each family first checks a parameter for the
// characters its payloads cannot do without, so benign values cost a byte
// scan and no allocation.
package tier1

import (
	"strconv"
	"strings"

	"github.com/apisensor/sensor/decoders"
	"github.com/apisensor/sensor/pipeline/alert"
	"github.com/apisensor/sensor/pipeline/detect"
	"github.com/apisensor/sensor/pipeline/detect/normalize"
)

// OWASP mappings shared by the families.
var (
	owaspInjection = []string{"A03:2021", "API8:2023"}
	owaspSSRF      = []string{"A10:2021", "API7:2023"}
	owaspXXE       = []string{"A05:2021", "API8:2023"}
)

// rule is a detect.Rule with what the family needs to report it.
type rule struct {
	detect.Rule
	// title starts the alert's summary ("OS command injection").
	title string
	// confirm, when set, looks at the exchange's response for signs that
	// the attack worked and raises the alert's confidence and severity.
	// It is the place for response evidence (issue 5, part 3).
	confirm func(x *decoders.Exchange, a *alert.Alert)
}

// reportFunc records one match of rule r on the parameter being checked;
// matched says what matched (pattern and the matching text).
type reportFunc func(r *rule, matched string)

// family is one detector's logic.
type family struct {
	name string
	// scope reports whether the family looks at parameter p.
	scope func(p *decoders.Param) bool
	// trigger lists the bytes without which no payload of the family can
	// be in a value; a value with none of them (and that normalisation
	// cannot change) is skipped. Empty means every value in scope is
	// checked.
	trigger  string
	triggers *byteSet
	// pre, when set, replaces the trigger check: it reports whether
	// parameter p, whose most decoded value is best, is worth
	// normalising.
	pre func(p *decoders.Param, best string) bool
	// match checks parameter p, whose value normalised is v.
	match func(p *decoders.Param, v *normalize.Value, report reportFunc)
	// whole, when set, checks the exchange as a whole after the
	// parameters (GraphQL batching).
	whole func(x *decoders.Exchange, report func(r *rule, p *decoders.Param, matched string))
}

// families lists every detector of the package.
var families = []*family{
	&cmdiFamily, &traversalFamily, &ssrfFamily, &nosqliFamily, &sstiFamily, &jndiFamily,
	&xxeFamily, &crlfFamily, &mailFamily, &ldapFamily, &graphqlFamily,
}

func init() {
	for _, f := range families {
		f.triggers = newByteSet(f.trigger)
		detect.Register(f.name, func(cfg detect.Config) (detect.Detector, error) {
			return &Detector{fam: f, cfg: cfg.WithDefaults()}, nil
		})
	}
}

// Names returns the names of the package's detectors.
func Names() []string {
	names := make([]string, len(families))
	for i, f := range families {
		names[i] = f.name
	}
	return names
}

// Detector is one family's detector. It is stateless apart from its
// settings, so one value serves every worker.
type Detector struct {
	fam *family
	cfg detect.Config
}

// Name implements detect.Detector.
func (d *Detector) Name() string { return d.fam.name }

// finding accumulates one rule's alert on one exchange.
type finding struct {
	rule  *rule
	a     *alert.Alert
	count int
	loc   decoders.Location
	name  string
}

// scan is one Inspect call's state. It is allocated only when a parameter
// gets past its family's prefilter, so benign exchanges cost none.
type scan struct {
	d     *Detector
	x     *decoders.Exchange
	found []finding
	// the parameter being matched, its normalised value, and the findings
	// (bit per index) it already added evidence to
	p      *decoders.Param
	v      normalize.Value
	seen   uint64
	report reportFunc
}

// Inspect implements detect.Detector.
func (d *Detector) Inspect(x *decoders.Exchange, out []*alert.Alert) []*alert.Alert {
	if x.Request == nil {
		return out
	}
	var sc *scan
	for i := range x.Params {
		p := &x.Params[i]
		if !d.fam.scope(p) {
			continue
		}
		best := p.Best()
		if !d.fam.worth(p, best) {
			continue
		}
		if sc == nil {
			sc = &scan{d: d, x: x}
			sc.report = sc.reportParam
		}
		sc.p, sc.seen = p, 0
		sc.v = normalize.Normalize(best, p.Decodes, d.cfg.ScanBytes)
		d.fam.match(p, &sc.v, sc.report)
	}
	if d.fam.whole != nil {
		if sc == nil {
			sc = &scan{d: d, x: x}
		}
		d.fam.whole(x, func(r *rule, p *decoders.Param, matched string) { sc.add(r, p, p.Best(), matched) })
	}
	if sc == nil {
		return out
	}
	for i := range sc.found {
		f := &sc.found[i]
		f.a.Summary = summary(f)
		if f.rule.confirm != nil {
			f.rule.confirm(x, f.a)
		}
		out = append(out, f.a)
	}
	return out
}

// reportParam records a match on the current parameter, once per rule.
func (sc *scan) reportParam(r *rule, matched string) {
	for j := range sc.found {
		if sc.found[j].rule == r && sc.seen&(1<<j) != 0 {
			return
		}
	}
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
		sc.found = append(sc.found, finding{rule: r, a: sc.d.cfg.NewAlert(sc.x, sc.d.fam.name, &r.Rule, ""), loc: p.Loc, name: p.Name})
	}
	f := &sc.found[i]
	f.count++
	sc.d.cfg.AddEvidence(f.a, p.Loc, p.Name, value, matched)
	return i
}

// worth reports whether parameter p may hold a payload of the family.
func (f *family) worth(p *decoders.Param, best string) bool {
	if f.pre != nil {
		return f.pre(p, best)
	}
	return f.triggers.empty() || f.triggers.any(best) || normalize.MayChange(best)
}

var locTitle = map[decoders.Location]string{
	decoders.LocPath:      "path segment",
	decoders.LocQuery:     "query parameter",
	decoders.LocHeader:    "header",
	decoders.LocCookie:    "cookie",
	decoders.LocForm:      "form field",
	decoders.LocJSON:      "JSON field",
	decoders.LocMultipart: "multipart field",
	decoders.LocXML:       "XML field",
	decoders.LocBody:      "body",
	decoders.LocProtobuf:  "protobuf field",
}

// summary renders "OS command injection in query parameter host (and 2
// more)".
func summary(f *finding) string {
	var b strings.Builder
	b.WriteString(f.rule.title)
	b.WriteString(" in ")
	if t, ok := locTitle[f.loc]; ok {
		b.WriteString(t)
	} else {
		b.WriteString(alert.Snippet(string(f.loc), 32))
	}
	if f.name != "" {
		b.WriteByte(' ')
		b.WriteString(alert.Snippet(f.name, 64))
	}
	if f.count > 1 {
		b.WriteString(" (and ")
		b.WriteString(strconv.Itoa(f.count - 1))
		b.WriteString(" more)")
	}
	return b.String()
}

// byteSet is a set of bytes for prefilters.
type byteSet [4]uint64

func newByteSet(s string) *byteSet {
	var b byteSet
	for i := 0; i < len(s); i++ {
		b[s[i]>>6] |= 1 << (s[i] & 63)
	}
	return &b
}

func (b *byteSet) empty() bool { return *b == byteSet{} }

func (b *byteSet) has(c byte) bool { return b[c>>6]&(1<<(c&63)) != 0 }

// any reports whether s holds a byte of the set.
func (b *byteSet) any(s string) bool {
	for i := 0; i < len(s); i++ {
		if b.has(s[i]) {
			return true
		}
	}
	return false
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
