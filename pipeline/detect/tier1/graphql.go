package tier1

import (
	"bytes"
	"cmp"
	"encoding/json"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/apisensor/sensor/decoders"
	"github.com/apisensor/sensor/pipeline/alert"
	"github.com/apisensor/sensor/pipeline/detect"
	"github.com/apisensor/sensor/pipeline/detect/normalize"
)

var (
	owaspGraphQLLimits = []string{"API4:2023"}
	owaspGraphQLConfig = []string{"API8:2023"}

	ruleGQLIntrospection = rule{
		Rule:      detectRule("graphql-introspection", "graphql-abuse", owaspGraphQLConfig, alert.Severity_SEVERITY_LOW, alert.Confidence_CONFIDENCE_HIGH),
		title:     "GraphQL introspection",
		noConfirm: true,
	}
	ruleGQLDepth = rule{
		Rule:      detectRule("graphql-depth", "graphql-abuse", owaspGraphQLLimits, alert.Severity_SEVERITY_MEDIUM, alert.Confidence_CONFIDENCE_HIGH),
		title:     "Deeply nested GraphQL query",
		noConfirm: true,
	}
	ruleGQLAliases = rule{
		Rule:      detectRule("graphql-aliases", "graphql-abuse", owaspGraphQLLimits, alert.Severity_SEVERITY_MEDIUM, alert.Confidence_CONFIDENCE_HIGH),
		title:     "GraphQL alias flooding",
		noConfirm: true,
	}
	ruleGQLBatch = rule{
		Rule:      detectRule("graphql-batch", "graphql-abuse", owaspGraphQLLimits, alert.Severity_SEVERITY_MEDIUM, alert.Confidence_CONFIDENCE_HIGH),
		title:     "GraphQL batching",
		noConfirm: true,
	}
	ruleGQLDirectives = rule{
		Rule:      detectRule("graphql-directives", "graphql-abuse", owaspGraphQLLimits, alert.Severity_SEVERITY_MEDIUM, alert.Confidence_CONFIDENCE_HIGH),
		title:     "GraphQL directive overloading",
		noConfirm: true,
	}
	// ruleGQLMutationGET is a mutation sent as a GET request's query,
	// which the GraphQL-over-HTTP specification forbids servers to run
	// ("GET requests MUST NOT be used for executing mutation
	// operations"): a server that does can be made to run it by any page
	// a victim's browser loads (CSRF; graphql-cop's probe).
	ruleGQLMutationGET = rule{
		Rule:      detectRule("graphql-mutation-over-get", "graphql-abuse", owaspGraphQLConfig, alert.Severity_SEVERITY_MEDIUM, alert.Confidence_CONFIDENCE_HIGH),
		title:     "GraphQL mutation over GET",
		noConfirm: true,
		outcome:   mutationOutcome,
	}
	// ruleGQLMutationForm is a mutation a server took in a request a
	// browser sends to another site without asking it first (no CORS
	// preflight): a POST of a form, a multipart form or text/plain, with
	// the victim's cookies and nothing only a script of the site itself
	// could add. Any page the victim opens can send it (CSRF): the reason
	// Apollo Server 4 refuses such requests (csrfPrevention) and
	// graphql-cop probes for them.
	ruleGQLMutationForm = rule{
		Rule:      detectRule("graphql-mutation-csrf", "graphql-abuse", owaspGraphQLConfig, alert.Severity_SEVERITY_MEDIUM, alert.Confidence_CONFIDENCE_MEDIUM),
		title:     "GraphQL mutation open to cross-site requests",
		noConfirm: true,
		outcome:   mutationOutcome,
	}
	// ruleGQLFieldProbe is a request the server answered with many
	// unknown-field or unknown-argument errors: a bucket of guessed names
	// (Clairvoyance, InQL's bruteforcer) that maps a schema whose
	// introspection is off, the field suggestions of the errors ("Did you
	// mean …") telling it the names that exist.
	ruleGQLFieldProbe = rule{
		Rule:      detectRule("graphql-field-enumeration", "graphql-abuse", owaspGraphQLConfig, alert.Severity_SEVERITY_MEDIUM, alert.Confidence_CONFIDENCE_HIGH),
		title:     "GraphQL schema enumeration",
		noConfirm: true,
		outcome:   fieldProbeOutcome,
	}
	// ruleGQLFingerprint is a request whose document only asks for
	// __typename in a way no client writes and every server refuses,
	// each engine in its own words: graphw00f's probes (query @skip {
	// __typename }, queryy { __typename }, alias^:__typename, …), which
	// name the engine behind an endpoint from the wording of its errors so
	// that its known weaknesses can be looked up (graphql-threat-matrix).
	ruleGQLFingerprint = rule{
		Rule:      detectRule("graphql-fingerprint", "graphql-abuse", owaspGraphQLConfig, alert.Severity_SEVERITY_LOW, alert.Confidence_CONFIDENCE_MEDIUM),
		title:     "GraphQL engine fingerprinting",
		noConfirm: true,
		outcome:   fingerprintOutcome,
	}
	ruleGQLBreadth = rule{
		Rule:      detectRule("graphql-breadth", "graphql-abuse", owaspGraphQLLimits, alert.Severity_SEVERITY_MEDIUM, alert.Confidence_CONFIDENCE_HIGH),
		title:     "Oversized GraphQL selection",
		noConfirm: true,
	}
)

// Limits past which a GraphQL request is abuse rather than a client's
// query. Depth counts nested selection sets, the operation's own among
// them, fragments spread in and inline fragments (... on Type { }) not
// counted, as graphql-depth-limit does; Relay's connections take two
// levels a list (edges { node { } }), and GitHub's own clients send 13
// (review threads, their comments, their reactions' users), the standard
// introspection query 13.
// Aliases and operations in one batch are the ways to ask one question
// many times in a request (CrackQL's logins, BatchQL). Directives: a
// client puts two or three on a field (@include, @skip, @client, @defer);
// graphql-cop's overloading probe puts ten. Selections: the largest types
// of public schemas have about a hundred fields, a field repeated
// hundreds of times is graphql-cop's duplication probe, and fragments
// that spread each other twice over multiply a query's size like the
// billion laughs.
const (
	maxGraphQLDepth      = 15
	maxGraphQLAliases    = 20
	maxGraphQLBatch      = 10
	maxGraphQLDirectives = 5
	maxGraphQLSelections = 200
	maxGraphQLExpanded   = 5000
	// maxGraphQLNesting bounds nesting with inline fragments counted:
	// "... { ... { … } }" thousands deep selects nothing, but costs a
	// parser its stack.
	maxGraphQLNesting = 4 * maxGraphQLDepth
)

// GraphQL travels as the "query" of a JSON request or of each operation of
// a batch, of a WebSocket subscribe message (graphql-ws and
// graphql-transport-ws: payload.query), a GET request's or a form's query
// parameter, the operations field of a multipart upload
// (graphql-multipart-request-spec), or a body sent as application/graphql.
// A query or form parameter counts only when it reads as a document: a
// search box named query holds text.
var graphqlFamily = family{
	name:  "graphql",
	scope: isGraphQLQuery,
	locs:  locJSON | locBody | locQuery | locForm | locMultipart,
	match: matchGraphQL,
	pre:   func(*decoders.Param, *input) bool { return true },
	whole: graphqlWhole,
}

// isGraphQLQuery reports a parameter that carries a GraphQL document.
func isGraphQLQuery(p *decoders.Param) bool {
	switch p.Loc {
	case decoders.LocJSON:
		// A document starts as one: the tail the decoders keep of a long
		// one, which starts anywhere (inside a string), is read whole by
		// graphqlWhole instead. An engine probe need not
		// (fingerprintProbe: "queryy { __typename }").
		return graphqlJSONName(p.Name) && (graphqlDocStart(p.Value) || mayProbe(p.Value))
	case decoders.LocQuery, decoders.LocForm:
		return p.Name == "query" && (graphqlDocStart(p.Best()) || mayProbe(p.Best()))
	case decoders.LocMultipart:
		return p.Name == "operations"
	case decoders.LocBody:
		return graphqlDocStart(p.Value) || mayProbe(p.Value)
	}
	return false
}

// graphqlJSONName reports a JSON name that holds a query document:
// "query", and "query" under array elements and a WebSocket message's
// payload ("[3].query", "payload.query", "[0].payload.query").
func graphqlJSONName(name string) bool {
	rest, ok := strings.CutSuffix(name, "query")
	if !ok {
		return false
	}
	if rest == "" {
		return true
	}
	rest, ok = strings.CutSuffix(rest, ".")
	if !ok {
		return false
	}
	rest = strings.TrimSuffix(rest, "payload")
	for rest != "" {
		i := strings.IndexByte(rest, ']')
		if rest[0] != '[' || i < 2 || strings.Trim(rest[1:i], "0123456789") != "" {
			return false
		}
		rest = rest[i+1:]
		if rest != "" && rest != "." && !strings.HasPrefix(rest, "[") {
			return false
		}
		rest = strings.TrimPrefix(rest, ".")
	}
	return true
}

// graphqlDocStart reports text that starts, past what GraphQL ignores
// (white space, commas, a byte order mark, comments), with a selection
// set or an operation or fragment keyword.
func graphqlDocStart(s string) bool {
	s = s[graphqlSkip(s, 0):]
	if strings.HasPrefix(s, "{") {
		return true
	}
	for _, kw := range [...]string{"query", "mutation", "subscription", "fragment"} {
		if strings.HasPrefix(s, kw) && (len(s) == len(kw) || !isNameByte(s[len(kw)])) {
			return true
		}
	}
	return false
}

// graphqlParam reports a query or form parameter named query that holds a
// GraphQL document as clients send one by GET (graphqlDocument): its line
// breaks and "alias: field" lines are GraphQL's, not a shell's or a header
// block's. The sender shapes the value, so the test is strict: a value that
// is no such document stays shell and header text.
func graphqlParam(p *decoders.Param) bool {
	return p.Name == "query" && (p.Loc == decoders.LocQuery || p.Loc == decoders.LocForm) && graphqlDocument(p.Best())
}

// graphqlDocument reports text that is an executable GraphQL document as
// clients write one: it starts as a document does (graphqlDocStart) and
// ends where its braces close, outside strings it holds only GraphQL's
// names and punctuators, numbers only inside arguments, strings without
// line breaks (a block string is a schema's description, not a GET
// query's), and it says it is GraphQL: an operation keyword, or selections
// nested at least twice. "{ me { id } }" and "query GetDogs {\n dogs {\n
// id\n }\n}" are; "{ me }\r\nSet-Cookie: a=1", "{\nsleep 10\n}",
// "{\nid\n}" (a shell's command group) and a block string holding a header
// block are not.
func graphqlDocument(s string) bool {
	if !graphqlDocStart(s) {
		return false
	}
	braces, parens, depth := 0, 0, 0
	closed, keyword := false, s[graphqlSkip(s, 0)] != '{'
	for i := graphqlSkip(s, 0); i < len(s); i = graphqlSkip(s, i) {
		c := s[i]
		if closed {
			// Past a definition's closing brace only another
			// definition may follow.
			if !graphqlDocStart(s[i:]) {
				return false
			}
			closed = false
		}
		switch {
		case c == '"':
			if strings.HasPrefix(s[i:], `"""`) {
				return false
			}
			end := graphqlString(s, i)
			if end > len(s) || s[end-1] != '"' || end-i < 2 {
				return false
			}
			i = end
		case 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '_':
			for i++; i < len(s) && isNameByte(s[i]); i++ {
			}
		case '0' <= c && c <= '9' || c == '-':
			// A number: an argument's or a default's value, as GraphQL
			// writes one (-?digits, a fraction, an exponent), and then
			// no name byte ("-Cookie" is none).
			if parens == 0 {
				return false
			}
			n := graphqlNumber(s[i:])
			if n == 0 || i+n < len(s) && isNameByte(s[i+n]) {
				return false
			}
			i += n
		case c == '.' && strings.HasPrefix(s[i:], "..."):
			i += 3
		case c == '{':
			braces++
			depth = max(depth, braces)
			i++
		case c == '}':
			if braces == 0 {
				return false
			}
			braces--
			closed = braces == 0 && parens == 0
			i++
		case c == '(':
			parens++
			i++
		case c == ')':
			if parens == 0 {
				return false
			}
			parens--
			i++
		case strings.IndexByte("!$&[]:=@|", c) >= 0:
			i++
		default:
			return false
		}
	}
	return braces == 0 && parens == 0 && depth > 0 && (keyword || depth >= 2)
}

// graphqlNumber returns the length of the GraphQL number s starts with
// (-?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?: leading zeros, which the grammar
// forbids, are let pass), or 0.
func graphqlNumber(s string) int {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	digits := func() int {
		j := i
		for i < len(s) && '0' <= s[i] && s[i] <= '9' {
			i++
		}
		return i - j
	}
	if digits() == 0 {
		return 0
	}
	if i < len(s) && s[i] == '.' {
		i++
		if digits() == 0 {
			return 0
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if digits() == 0 {
			return 0
		}
	}
	return i
}

// graphqlSkip returns the index of the first byte from i that GraphQL
// does not ignore.
func graphqlSkip(s string, i int) int {
	for i < len(s) {
		switch c := s[i]; {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ',':
			i++
		case c == '#':
			for i < len(s) && s[i] != '\n' && s[i] != '\r' {
				i++
			}
		case c == 0xef && strings.HasPrefix(s[i:], "\ufeff"):
			i += 3
		default:
			return i
		}
	}
	return i
}

// graphqlText returns the document a parameter holds as the server reads
// it: a JSON string unescaped once (what the decoder gives), a query or
// form value URL-decoded. Not normalised further: "\u0022" inside a
// GraphQL string is a quote to the server's JSON parser and then a
// character of the string to its GraphQL parser, never both.
func graphqlText(p *decoders.Param) string {
	if p.Loc == decoders.LocQuery || p.Loc == decoders.LocForm {
		return p.Best()
	}
	return p.Value
}

func matchGraphQL(p *decoders.Param, _ *normalize.Value, report reportFunc) {
	check := func(doc string) {
		reportGraphQL(graphqlShape(doc), report, nil)
		if probe := fingerprintProbe(doc); probe != "" {
			report(&ruleGQLFingerprint, "engine probe "+snippet(probe))
		}
	}
	if p.Loc != decoders.LocMultipart {
		check(graphqlText(p))
		return
	}
	for _, q := range operationsQueries(p.Value) {
		check(q)
	}
}

// reportGraphQL reports what st exceeds and skip (the pieces of a value
// read already) did not.
func reportGraphQL(st gqlStats, report reportFunc, skip *gqlStats) {
	var s gqlStats
	if skip != nil {
		s = *skip
	}
	if st.introspection != "" && s.introspection == "" {
		report(&ruleGQLIntrospection, "introspection field "+st.introspection)
	}
	switch {
	case s.cycle != "" || s.depth > maxGraphQLDepth || s.nesting > maxGraphQLNesting:
	case st.cycle != "":
		report(&ruleGQLDepth, "fragments spread in a cycle: "+snippet(st.cycle))
	case st.depth > maxGraphQLDepth:
		report(&ruleGQLDepth, "selection depth "+strconv.Itoa(st.depth)+" > "+strconv.Itoa(maxGraphQLDepth))
	case st.nesting > maxGraphQLNesting:
		report(&ruleGQLDepth, "selection sets nested "+strconv.Itoa(st.nesting)+" deep, inline fragments counted, > "+strconv.Itoa(maxGraphQLNesting))
	}
	if st.aliases > maxGraphQLAliases && s.aliases <= maxGraphQLAliases {
		report(&ruleGQLAliases, strconv.Itoa(st.aliases)+" aliases > "+strconv.Itoa(maxGraphQLAliases))
	}
	if st.operations > maxGraphQLBatch && s.operations <= maxGraphQLBatch {
		report(&ruleGQLBatch, strconv.Itoa(st.operations)+" operations in one document > "+strconv.Itoa(maxGraphQLBatch))
	}
	if st.directives > maxGraphQLDirectives && s.directives <= maxGraphQLDirectives {
		report(&ruleGQLDirectives, strconv.Itoa(st.directives)+" directives on one field > "+strconv.Itoa(maxGraphQLDirectives))
	}
	switch {
	case s.selections > maxGraphQLSelections || s.expanded > maxGraphQLExpanded || s.spreads > maxGraphQLSpreads:
	case st.spreads > maxGraphQLSpreads:
		report(&ruleGQLBreadth, strconv.Itoa(st.spreads)+" fragment spreads > "+strconv.Itoa(maxGraphQLSpreads))
	case st.selections > maxGraphQLSelections:
		report(&ruleGQLBreadth, strconv.Itoa(st.selections)+" selections in one selection set > "+strconv.Itoa(maxGraphQLSelections))
	case st.expanded > maxGraphQLExpanded:
		report(&ruleGQLBreadth, "more than "+strconv.Itoa(maxGraphQLExpanded)+" selections once fragments are spread")
	}
}

// operationsQueries returns the query documents of a multipart upload's
// operations field: a JSON operation or an array of them, read as
// gqlRequests reads them.
func operationsQueries(s string) []string {
	var out []string
	for _, r := range gqlRequests(s) {
		out = append(out, r.query)
	}
	return out
}

// gqlStats is what graphqlShape finds in a document.
type gqlStats struct {
	// depth is the deepest nesting of selection sets, fragments spread
	// in, inline fragments not counted; cycle names fragments that spread
	// each other in a cycle ("A → B → A"), which no server may run.
	depth int
	cycle string
	// aliases counts "alias: field" selections.
	aliases int
	// directives is the most directives on one selection.
	directives int
	// selections is the most selections in one selection set; expanded
	// counts the selections of the document's operations once fragments
	// are spread (saturating).
	selections, expanded int
	// introspection is the first __schema or __type field.
	introspection string
	// operations counts the operations the document defines; servers
	// that batch by operation (Hot Chocolate) run them all.
	operations int
	// nesting is the deepest nesting of selection sets, inline fragments
	// counted; spreads counts the fragment spreads (past
	// maxGraphQLSpreads, the later ones are not followed).
	nesting, spreads int
}

// gqlDef is one operation or fragment definition of a document.
type gqlDef struct {
	name string // a fragment's name; "" for an operation
	// depth is the deepest nesting of the definition's own selection
	// sets; selections counts them all.
	depth, selections int
	spreads           []gqlSpread
}

// gqlSpread is a fragment spread, at a nesting depth.
type gqlSpread struct {
	name  string
	depth int
}

// maxGraphQLSpreads bounds the spreads recorded of a document (a spread
// costs at least four bytes, so a 64 KB body holds fewer than 16,000).
const maxGraphQLSpreads = 4096

// graphqlShape reads a query document: its nesting, aliases, directives,
// selections and introspection fields, skipping strings and comments, and
// then spreads its fragments. It does not validate; text that is no
// GraphQL gives what its braces and names give.
func graphqlShape(s string) gqlStats {
	var st gqlStats
	var defs []gqlDef
	cur := -1 // the definition being read, an index into defs
	// sets holds, per open selection set, whether it is an inline
	// fragment's (not counted in depth) and its selections so far.
	type set struct {
		inline     bool
		selections int
	}
	var sets []set
	depth, parens, spreads := 0, 0, 0
	// What came before the next name: '@' (a directive), "..." (a spread
	// or an inline fragment), "on" (a type condition), ':' (an alias's
	// field), the fragment keyword (its name).
	const (
		prevNone = iota
		prevAt
		prevSpread
		prevOn
		prevColon
		prevFragment
		prevString    // a string: a colon after it is a JSON key's, no alias
		prevOperation // an operation keyword: a name next is the operation's
	)
	prev, inlineNext, fieldDirectives := prevNone, false, 0
	for i := graphqlSkip(s, 0); i < len(s); i = graphqlSkip(s, i) {
		c := s[i]
		switch {
		case c == '"':
			i = graphqlString(s, i)
			if parens == 0 {
				prev = prevString
			}
			continue
		case isNameByte(c) && !('0' <= c && c <= '9'):
			j := i + 1
			for j < len(s) && isNameByte(s[j]) {
				j++
			}
			name := s[i:j]
			i = j
			if parens > 0 {
				continue
			}
			if len(sets) == 0 {
				// Between definitions: an operation keyword, its name, or
				// a fragment's keyword, name and type condition.
				switch {
				case prev == prevOperation:
					// The operation's name ("query mutation { … }").
					prev = prevNone
				case prev == prevFragment:
					defs = append(defs, gqlDef{name: name})
					cur, prev = len(defs)-1, prevNone
				case name == "fragment":
					prev = prevFragment
				case name == "query" || name == "mutation" || name == "subscription":
					defs = append(defs, gqlDef{})
					cur, prev = len(defs)-1, prevOperation
				}
				continue
			}
			switch prev {
			case prevAt:
				fieldDirectives++
				st.directives = max(st.directives, fieldDirectives)
			case prevSpread:
				if name == "on" {
					prev = prevOn
					continue
				}
				if spreads < maxGraphQLSpreads && cur >= 0 {
					defs[cur].spreads = append(defs[cur].spreads, gqlSpread{name, depth})
				}
				spreads++
				sets[len(sets)-1].selections++
				st.selections = max(st.selections, sets[len(sets)-1].selections)
				fieldDirectives = 0
			case prevOn:
				// A type condition.
			case prevColon:
				// The field an alias names: "alias: field" (a value after
				// the colon, as in "{a: 1}", is no GraphQL selection).
				st.aliases++
				if st.introspection == "" && (name == "__schema" || name == "__type") {
					st.introspection = name
				}
			default:
				sets[len(sets)-1].selections++
				st.selections = max(st.selections, sets[len(sets)-1].selections)
				fieldDirectives = 0
				if st.introspection == "" && (name == "__schema" || name == "__type") {
					st.introspection = name
				}
			}
			prev = prevNone
			continue
		case c == '.' && strings.HasPrefix(s[i:], "..."):
			i += 3
			if parens == 0 {
				prev = prevSpread
				// An inline fragment: "... on T {", "... @include(…) {",
				// "... {".
				k := graphqlSkip(s, i)
				inlineNext = k < len(s) && (s[k] == '{' || s[k] == '@' ||
					strings.HasPrefix(s[k:], "on") && (k+2 == len(s) || !isNameByte(s[k+2])))
			}
			continue
		}
		i++
		if parens > 0 {
			switch c {
			case '(':
				parens++
			case ')':
				parens--
			}
			continue
		}
		switch c {
		case '(':
			parens++
		case '@':
			prev = prevAt
			continue
		case ':':
			if len(sets) > 0 && prev == prevNone {
				prev = prevColon
				continue
			}
		case '{':
			if len(sets) == 0 && cur < 0 {
				// An anonymous operation: "{ … }".
				defs = append(defs, gqlDef{})
				cur = len(defs) - 1
			}
			if len(sets) == 0 || !inlineNext {
				depth++
				if cur >= 0 {
					defs[cur].depth = max(defs[cur].depth, depth)
				}
			}
			sets = append(sets, set{inline: len(sets) > 0 && inlineNext})
			st.nesting = max(st.nesting, len(sets))
			inlineNext = false
		case '}':
			if n := len(sets); n > 0 {
				top := sets[n-1]
				if !top.inline {
					depth--
				}
				if cur >= 0 {
					defs[cur].selections += top.selections
				}
				sets = sets[:n-1]
				if len(sets) > 0 {
					// An inline fragment's selections are its parent's.
					if top.inline {
						sets[len(sets)-1].selections += top.selections
						st.selections = max(st.selections, sets[len(sets)-1].selections)
						defs[cur].selections -= top.selections
					}
				} else {
					cur = -1
				}
			}
		}
		prev = prevNone
	}
	graphqlSpread(&st, defs)
	st.spreads = spreads
	return st
}

// graphqlString returns the index past the string at s[i] (a quote):
// "…" with its escapes, or a block string """…""" (where \""" is a quote
// of the text); the end of s when it is not closed.
func graphqlString(s string, i int) int {
	if strings.HasPrefix(s[i:], `"""`) {
		for j := i + 3; j < len(s); j++ {
			switch {
			case strings.HasPrefix(s[j:], `\"""`):
				j += 3
			case strings.HasPrefix(s[j:], `"""`):
				return j + 3
			}
		}
		return len(s)
	}
	for j := i + 1; j < len(s); j++ {
		switch s[j] {
		case '\\':
			j++
		case '"', '\n', '\r':
			// A line break ends a bad string: the parser stops there.
			return j + 1
		}
	}
	return len(s)
}

// graphqlSpread sets st's depth, cycle and expanded size from the
// definitions: a fragment spread at depth d adds the fragment's depth
// less one (its selection set is the one it is spread in).
func graphqlSpread(st *gqlStats, defs []gqlDef) {
	spread := false
	for _, d := range defs {
		spread = spread || len(d.spreads) > 0
	}
	if !spread {
		// No fragment is spread: each definition is what it holds.
		for _, d := range defs {
			st.depth = max(st.depth, d.depth)
			if d.name == "" {
				st.operations++
				st.expanded = max(st.expanded, d.selections)
			}
		}
		return
	}
	frags := make(map[string]int, len(defs))
	for i, d := range defs {
		if d.name != "" {
			if _, dup := frags[d.name]; !dup {
				frags[d.name] = i
			}
		}
	}
	const (
		unseen = iota
		open
		done
	)
	state := make([]uint8, len(defs))
	depth := make([]int, len(defs))
	size := make([]int, len(defs))
	var path []string
	var visit func(i int) bool
	visit = func(i int) bool {
		switch state[i] {
		case done:
			return true
		case open:
			if st.cycle == "" {
				from := len(path) - 1
				for from > 0 && path[from] != defs[i].name {
					from--
				}
				st.cycle = strings.Join(append(path[from:len(path):len(path)], defs[i].name), " → ")
			}
			return false
		}
		state[i] = open
		path = append(path, defs[i].name)
		d, n := defs[i].depth, defs[i].selections
		for _, sp := range defs[i].spreads {
			j, ok := frags[sp.name]
			if !ok || !visit(j) {
				continue
			}
			d = max(d, sp.depth+depth[j]-1)
			n = min(n+size[j], maxGraphQLExpanded+1)
		}
		path = path[:len(path)-1]
		state[i], depth[i], size[i] = done, d, n
		return true
	}
	for i, d := range defs {
		if d.name == "" {
			st.operations++
		}
		if d.name == "" && visit(i) {
			st.depth = max(st.depth, depth[i])
			st.expanded = max(st.expanded, size[i])
		}
	}
	// Fragments no operation spreads still count for their cycles and
	// depth (a request of fragments alone is no query, but costs a
	// parser the same).
	for i, d := range defs {
		if d.name != "" && visit(i) {
			st.depth = max(st.depth, depth[i])
		}
	}
}

func isNameByte(c byte) bool {
	return c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

// graphqlWhole checks what no parameter shows alone: a batch of operations
// (a JSON array whose elements carry a query, an operation name or a
// persisted query's hash), and a document longer than the decoders keep
// of a value, which they hand over as its two ends: it is read whole from
// the request again, and what it exceeds that its ends did not is
// reported.
func graphqlWhole(x *decoders.Exchange, report func(r *rule, p *decoders.Param, matched string)) {
	// An element is an operation when it carries one of
	// graphqlOperationField's, or an id and variables (Relay's stored
	// queries: {"id": "LoginMutation_7f3a", "variables": {…}}). An
	// element's fields come one after the other.
	ops, elem, counted := 0, -1, false
	var id, vars bool
	var last *decoders.Param
	for i := range x.Params {
		p := &x.Params[i]
		if p.Name == "" || p.Name[0] != '[' || p.Loc != decoders.LocJSON {
			continue
		}
		n, rest, ok := arrayElement(p.Name)
		if !ok {
			continue
		}
		if n != elem {
			elem, counted, id, vars = n, false, false, false
		}
		id = id || rest == "id"
		vars = vars || strings.HasPrefix(rest, "variables.")
		strong, weak := graphqlOperationField(rest)
		if !counted && (strong || (weak || id && vars) && graphqlPath(x)) {
			counted, last = true, p
			ops++
		}
	}
	if ops > maxGraphQLBatch {
		report(&ruleGQLBatch, last, strconv.Itoa(ops)+" operations in one request > "+strconv.Itoa(maxGraphQLBatch))
	}
	switch x.Request.Method {
	case "GET":
		mutationOverGET(x, report)
	case "POST":
		mutationCrossSite(x, report)
	}
	if r := x.Response; r != nil && errorsFirst(r.Body) {
		fieldEnumeration(x, report)
	}
	multipartRead := false
	for i := 0; i+1 < len(x.Params); i++ {
		p := &x.Params[i]
		// Names first: neighbours' mostly differ in length, locations
		// mostly not.
		if x.Params[i+1].Name != p.Name || x.Params[i+1].Loc != p.Loc || !graphqlPlace(p) {
			continue
		}
		// The value's pieces: its head, its tail, perhaps a squeezed
		// copy.
		j := i + 1
		for j < len(x.Params) && x.Params[j].Loc == p.Loc && x.Params[j].Name == p.Name {
			j++
		}
		if p.Loc == decoders.LocMultipart {
			// The body holds every operations field: read once.
			if multipartRead {
				i = j - 1
				continue
			}
			multipartRead = true
		}
		docs, ok := graphqlWholeText(x, p)
		if !ok {
			i = j - 1
			continue
		}
		// What the pieces raised already (those read as documents).
		var pieces gqlStats
		for k := i; k < j; k++ {
			if !isGraphQLQuery(&x.Params[k]) || p.Loc == decoders.LocMultipart {
				// A piece of an operations field is cut JSON, no
				// operation matchGraphQL could read.
				continue
			}
			ps := graphqlShape(graphqlText(&x.Params[k]))
			pieces.depth = max(pieces.depth, ps.depth)
			pieces.aliases = max(pieces.aliases, ps.aliases)
			pieces.directives = max(pieces.directives, ps.directives)
			pieces.selections = max(pieces.selections, ps.selections)
			pieces.expanded = max(pieces.expanded, ps.expanded)
			pieces.operations = max(pieces.operations, ps.operations)
			pieces.nesting = max(pieces.nesting, ps.nesting)
			pieces.spreads = max(pieces.spreads, ps.spreads)
			if pieces.cycle == "" {
				pieces.cycle = ps.cycle
			}
			if pieces.introspection == "" {
				pieces.introspection = ps.introspection
			}
		}
		for _, doc := range docs {
			reportGraphQL(graphqlShape(doc), func(r *rule, matched string) { report(r, p, matched+" (read whole)") }, &pieces)
		}
		i = j - 1
	}
}

// graphqlPlace reports a parameter where a GraphQL document travels, by
// its place alone: the pieces of a long one need not start as one (8 KB
// of comments first).
func graphqlPlace(p *decoders.Param) bool {
	switch p.Loc {
	case decoders.LocJSON:
		return graphqlJSONName(p.Name)
	case decoders.LocQuery, decoders.LocForm:
		return p.Name == "query"
	case decoders.LocBody:
		return true
	case decoders.LocMultipart:
		return p.Name == "operations"
	}
	return false
}

// arrayElement splits "[3].query" into 3 and "query".
func arrayElement(name string) (int, string, bool) {
	i := strings.IndexByte(name, ']')
	if i < 2 {
		return 0, "", false
	}
	n, err := strconv.Atoi(name[1:i])
	if err != nil {
		return 0, "", false
	}
	return n, strings.TrimPrefix(name[i+1:], "."), true
}

// graphqlOperationField reports a field that makes an array element an
// operation: its query, its operation name or a persisted query's hash
// (strong), or a stored document's id (weak: Relay's and Meta's doc_id,
// names other bulk APIs use too).
func graphqlOperationField(name string) (strong, weak bool) {
	switch name {
	case "query", "operationName", "extensions.persistedQuery.sha256Hash":
		return true, false
	case "documentId", "doc_id", "queryId":
		return false, true
	}
	return false, false
}

// graphqlPath reports a request to a GraphQL endpoint by its path:
// /graphql anywhere in it, or one ending in /gql or /graph.
func graphqlPath(x *decoders.Exchange) bool {
	p := strings.ToLower(strings.TrimSuffix(x.Request.Path, "/"))
	return strings.Contains(p, "graphql") || strings.HasSuffix(p, "/gql") || strings.HasSuffix(p, "/graph")
}

// graphqlWholeText returns p's document read whole from the request, when
// the request holds it whole: the JSON body (not cut at the body bound; in
// UTF-8, converted as the decoders read it), every value of the name in the
// query string or a form body (servers differ on which of several they
// take: each is read), or the body itself.
func graphqlWholeText(x *decoders.Exchange, p *decoders.Param) ([]string, bool) {
	m := x.Request
	switch p.Loc {
	case decoders.LocQuery:
		vs := queryValues(m.Query, p.Name)
		return vs, len(vs) > 0
	case decoders.LocForm:
		if m.BodyTruncated {
			return nil, false
		}
		vs := queryValues(string(decoders.BodyText(m)), p.Name)
		return vs, len(vs) > 0
	case decoders.LocBody:
		return []string{string(decoders.BodyText(m))}, !m.BodyTruncated
	case decoders.LocJSON:
		if m.BodyTruncated {
			return nil, false
		}
		var doc any
		if json.Unmarshal(decoders.BodyText(m), &doc) != nil {
			return nil, false
		}
		s, ok := jsonAt(doc, p.Name)
		return []string{s}, ok
	case decoders.LocMultipart:
		if m.BodyTruncated {
			return nil, false
		}
		var docs []string
		for _, v := range decoders.MultipartFields(m, p.Name) {
			docs = append(docs, operationsQueries(v)...)
		}
		return docs, len(docs) > 0
	}
	return nil, false
}

// queryValues returns every value of name in a query string, read as
// servers read one: pairs split at '&' (a ';' is no separator to most),
// decoded leniently (decoders.URLDecode: '+' a space, an escape that is no
// escape, "%zz", kept as JavaScript's URLSearchParams and querystring keep
// it; Go's ParseQuery drops such a pair: what runs on one server is read).
func queryValues(q, name string) []string {
	var out []string
	for pair := range strings.SplitSeq(q, "&") {
		k, v, _ := strings.Cut(pair, "=")
		if key, _ := decoders.URLDecode(k, true); key == name {
			val, _ := decoders.URLDecode(v, true)
			out = append(out, val)
		}
	}
	return out
}

// jsonAt returns the string at a flattened JSON name ("query",
// "[2].query", "payload.query").
func jsonAt(doc any, name string) (string, bool) {
	for name != "" {
		if name[0] == '[' {
			n, rest, ok := arrayElement(name)
			a, isArray := doc.([]any)
			if !ok || !isArray || n >= len(a) {
				return "", false
			}
			doc, name = a[n], rest
			continue
		}
		key, rest, _ := strings.Cut(name, ".")
		if i := strings.IndexByte(key, '['); i > 0 {
			key, rest = key[:i], name[i:]
		}
		o, ok := doc.(map[string]any)
		if !ok {
			return "", false
		}
		doc, name = o[key], rest
	}
	s, ok := doc.(string)
	return s, ok
}

// queryCut reports whether the decoders' parameter bound (max_params) may
// have dropped some of the query string's parameters: they extract the
// path, the query string, then the headers, so the query string is whole
// when a later location's parameter was kept.
func queryCut(x *decoders.Exchange) bool {
	if len(x.Params) == 0 {
		return false
	}
	switch x.Params[len(x.Params)-1].Loc {
	case decoders.LocPath, decoders.LocQuery, decoders.LocName:
		return true
	}
	return false
}

// mutationOverGET reports a GET request whose query parameter's document
// runs a mutation: its only operation, or the one operationName selects
// (servers run that one alone). Every value of query is read whole from
// the query string, as servers differ on which one they take and a long
// document's middle is no parameter (the decoders keep its two ends).
func mutationOverGET(x *decoders.Exchange, report func(r *rule, p *decoders.Param, matched string)) {
	var first *decoders.Param
	for i := range x.Params {
		if p := &x.Params[i]; p.Loc == decoders.LocQuery && p.Name == "query" {
			first = p
			break
		}
	}
	q := x.Request.Query
	if first == nil && (!queryCut(x) || !mayHoldMutation(q)) {
		// No query parameter: none, or one the parameter bound
		// dropped, which the query string still holds.
		return
	}
	names := queryValues(q, "operationName")
	for _, doc := range queryValues(q, "query") {
		if name, ok := selectedMutation(doc, names); ok {
			p := first
			if p == nil {
				p = &decoders.Param{Loc: decoders.LocQuery, Name: "query", Value: doc}
			}
			report(&ruleGQLMutationGET, p, mutationLabel(name)+" in a GET request's query")
			return
		}
	}
}

// mutationCrossSite reports a POST whose GraphQL document runs a mutation
// (its only operation, or the one an operationName selects) and that a
// page of another site could have made the victim's browser send, no CORS
// preflight asked: a simple content type or none (a form, a multipart
// form as graphql-upload takes, text/plain or a typeless body holding the
// JSON), ambient credentials (cookies, or the Basic, Digest, NTLM or
// Negotiate authorization a browser repeats by itself) and none of the
// headers clients add to force a preflight or carry a CSRF token or a
// bearer token. The documents are read from the body (and the URL, which
// some servers prefer for a POST too) as the servers read them: every
// field named query or operationName in any case (Go's JSON decoding
// matches names so), a JSON value with text after it, a form body that is
// itself JSON or a document (gqlgen's form transport), the kept start of
// a body too long for the sensor. A cross-site Origin or Sec-Fetch-Site is
// quoted: that request came from another site.
func mutationCrossSite(x *decoders.Exchange, report func(r *rule, p *decoders.Param, matched string)) {
	m := x.Request
	ct, _ := decoders.Get(m.Headers, "content-type")
	ct, _, _ = strings.Cut(ct, ";")
	ct = strings.TrimSpace(ct)
	var loc decoders.Location
	switch {
	case strings.EqualFold(ct, "application/x-www-form-urlencoded"):
		loc = decoders.LocForm
	case strings.EqualFold(ct, "multipart/form-data"):
		loc = decoders.LocMultipart
	case ct == "" || strings.EqualFold(ct, "text/plain"):
		loc = decoders.LocJSON // the decoders sniff JSON in it
	default:
		return
	}
	if !crossSiteable(m.Headers) {
		return
	}
	raw := decoders.BodyText(m)
	if loc == decoders.LocMultipart {
		// Parts are read from the body as sent, and may be
		// quoted-printable (Go's multipart reader decodes it): the
		// fields' names are asked for instead.
		raw = m.Body
		if !bytes.Contains(raw, []byte("operations")) && !bytes.Contains(raw, []byte("query")) && !bytes.Contains(raw, []byte("name*")) &&
			!mayHoldMutation(m.Query) {
			return
		}
	} else if !bodyMayHoldMutation(raw) && !mayHoldMutation(m.Query) {
		return
	}
	body := string(raw)
	if m.BodyTruncated && loc == decoders.LocForm {
		// What was kept: the pairs but the last, which may be cut.
		body = body[:max(0, strings.LastIndexByte(body, '&'))]
	}
	// The operation names that may select in any document: the URL's, and
	// a form's or a multipart body's fields (a request's own JSON names
	// are its gqlRequest.names).
	names := queryValues(m.Query, "operationName")
	var reqs []gqlRequest
	switch loc {
	case decoders.LocForm:
		// Servers differ: a form (most), a JSON body or a document
		// after an optional "query=" (gqlgen's form transport). Each
		// reading counts.
		reqs = gqlRequests(body)
		if doc := strings.TrimPrefix(body, "query="); graphqlDocStart(doc) {
			reqs = append(reqs, gqlRequest{query: doc, name: "query"})
		}
		names = append(names, queryValues(body, "operationName")...)
		for _, q := range queryValues(body, "query") {
			reqs = append(reqs, gqlRequest{query: q, name: "query"})
		}
	case decoders.LocMultipart:
		for _, v := range decoders.MultipartFields(m, "operations") {
			for _, r := range gqlRequests(v) {
				r.name = "operations"
				reqs = append(reqs, r)
			}
		}
		names = append(names, decoders.MultipartFields(m, "operationName")...)
		for _, q := range decoders.MultipartFields(m, "query") {
			reqs = append(reqs, gqlRequest{query: q, name: "query"})
		}
	default:
		reqs = gqlRequests(body)
		if len(reqs) == 0 && m.BodyTruncated {
			// The kept start of a JSON body too long to parse whole:
			// the fields the decoders read in it.
			for i := range x.Params {
				switch p := &x.Params[i]; {
				case p.Loc != decoders.LocJSON:
				case strings.EqualFold(p.Name[strings.LastIndexAny(p.Name, ".]")+1:], "operationName"):
					names = append(names, p.Value)
				case graphqlJSONName(strings.ToLower(p.Name)):
					reqs = append(reqs, gqlRequest{query: p.Value, name: p.Name})
				}
			}
		}
	}
	// A document in the URL of such a POST (express-graphql,
	// graphene-django and graphql-go read it first).
	for _, q := range queryValues(m.Query, "query") {
		reqs = append(reqs, gqlRequest{query: q, name: "query", inURL: true})
	}
	for _, r := range reqs {
		op, ok := selectedMutation(r.query, slices.Concat(r.names, names))
		if !ok {
			continue
		}
		what := mutationLabel(op) + " in a POST of " + cmp.Or(strings.ToLower(ct), "no content type") + " with ambient credentials, no preflight asked"
		if o := crossSiteOrigin(m); o != "" {
			what += ", " + o
		}
		p := &decoders.Param{Loc: loc, Name: cmp.Or(r.name, "query"), Value: r.query}
		if r.inURL {
			p.Loc = decoders.LocQuery
		}
		report(&ruleGQLMutationForm, p, what)
		return
	}
}

// fieldEnumeration reports a GraphQL request answered with at least
// minFieldProbeErrors errors naming a field or an argument the schema does
// not have. A client's query names what its schema had when it was
// written (a client left behind by a schema change misses a few); a
// schema-guessing tool sends buckets of dictionary words as fields or
// arguments (Clairvoyance's hold 64) and reads which ones the errors name,
// and which the field suggestions offer instead. Errors are counted by the
// messages of the servers' validation: graphql-js and what is built on it
// (Apollo, graphql-yoga, graphql-core, graphene, Strawberry), gqlgen,
// graphql-php, Sangria, graphql-java, graphql-ruby, Hot Chocolate,
// async-graphql and Juniper. Hot Chocolate stops validating at five errors
// unless told otherwise (ValidationOptions.MaxAllowedErrors): a bucket is
// not told from a stale client there.
func fieldEnumeration(x *decoders.Exchange, report func(r *rule, p *decoders.Param, matched string)) {
	var doc *decoders.Param
	for i := range x.Params {
		if p := &x.Params[i]; isGraphQLQuery(p) {
			doc = p
			break
		}
	}
	if doc == nil && !graphqlPath(x) {
		return
	}
	body := decoders.BodyText(x.Response)
	n := unknownFieldErrors(body)
	if n < minFieldProbeErrors {
		return
	}
	if doc == nil {
		doc = &decoders.Param{Loc: decoders.LocBody, Name: "query"}
	}
	what := strconv.Itoa(n) + " unknown-field and unknown-argument errors in the answer"
	if fieldSuggestions(body) {
		what += ", with field suggestions"
	}
	report(&ruleGQLFieldProbe, doc, what)
}

// unknownFieldErrors counts the errors of an answer whose message names a
// field or an argument the schema does not have: each "message" member
// once, whatever else it or what follows it up to the next one holds (a
// stack trace that repeats it, as Apollo Server's in development; a
// message with two of the markers, as graphql-java's for an argument).
func unknownFieldErrors(body []byte) int {
	key := []byte(`"message"`)
	n := 0
	for i := bytes.Index(body, key); i >= 0; {
		rest := body[i+len(key):]
		j := bytes.Index(rest, key)
		seg := rest
		if j >= 0 {
			seg = rest[:j]
		}
		if slices.ContainsFunc(unknownFieldMessages, func(m string) bool { return bytes.Contains(seg, []byte(m)) }) {
			n++
		}
		if j < 0 {
			break
		}
		i += len(key) + j
	}
	return n
}

// errorsFirst reports a JSON answer whose first member is "errors", or
// one whose "data" is null (nothing ran, whatever comes before the
// errors: async-graphql writes its extensions first), or a batch (read
// whole: a probe may follow an operation that ran): how servers answer a
// request that failed validation. Other answers are turned away by their
// first bytes.
func errorsFirst(body []byte) bool {
	i := 0
	if len(body) >= 3 && body[0] == 0xef && body[1] == 0xbb && body[2] == 0xbf {
		i = 3 // a byte order mark
	}
	if i = skipJSONSpace(body, i); i < len(body) && body[i] == '[' {
		// A batch: a probe's answer may follow another's data.
		return true
	}
	if i >= len(body) || body[i] != '{' {
		return false
	}
	b := body[skipJSONSpace(body, i+1):]
	if len(b) >= 6 && string(b[:6]) == `"data"` {
		j := skipJSONSpace(b, 6)
		if j >= len(b) || b[j] != ':' {
			return false
		}
		j = skipJSONSpace(b, j+1)
		return len(b) >= j+4 && string(b[j:j+4]) == "null" && bytes.Contains(b[j+4:], []byte(`"errors"`))
	}
	return len(b) >= 8 && string(b[:8]) == `"errors"`
}

// skipJSONSpace returns the index of the first byte of b at or past i
// that is not JSON's white space.
func skipJSONSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\n' || b[i] == '\r' || b[i] == '\t') {
		i++
	}
	return i
}

// minFieldProbeErrors is the fewest unknown-field errors one answer holds
// for graphql-field-enumeration: more names than a client left behind by a
// schema change misses, fewer than a guessing tool's bucket.
const minFieldProbeErrors = 16

// unknownFieldMessages are the pieces of the validation errors servers
// give for a field or an argument a type does not have, one per error.
var unknownFieldMessages = []string{
	"Cannot query field ",        // graphql-js, gqlgen, graphql-php, Sangria, Absinthe
	"FieldUndefined",             // graphql-java
	"doesn't exist on type",      // graphql-ruby
	"does not exist on the type", // Hot Chocolate
	"Unknown field ",             // async-graphql, Juniper
	"Unknown argument ",          // graphql-js, async-graphql, Juniper
	"doesn't accept argument",    // graphql-ruby
	"UnknownArgument",            // graphql-java
}

// fieldSuggestions reports an answer whose errors suggest names: what
// makes a guessing tool's work short.
func fieldSuggestions(body []byte) bool {
	return bytes.Contains(body, []byte("Did you mean")) || bytes.Contains(body, []byte("did you mean"))
}

// fieldProbeOutcome: a probe answered with suggestions told its sender
// names of the schema; without them it learned which guesses exist.
func fieldProbeOutcome(x *decoders.Exchange) alert.Outcome {
	if r := x.Response; r != nil && fieldSuggestions(decoders.BodyText(r)) {
		return alert.Outcome_OUTCOME_LIKELY_SUCCESSFUL
	}
	return alert.Outcome_OUTCOME_ATTEMPTED
}

// mutationLabel names a mutation in evidence: "mutation SetEmail", or
// "mutation" for an anonymous one.
func mutationLabel(name string) string {
	if name == "" {
		return "mutation"
	}
	return "mutation " + snippet(name)
}

// mayHoldMutation reports whether a query string may spell the keyword
// "mutation": as is, or with a letter percent-encoded (every one of them
// is %6X or %7X). bodyMayHoldMutation asks the same of a body, which may
// hold JSON: a \u escape too, percent-encoded or not.
// Cheap tests before a body is parsed: a text/plain beacon or a login form
// holds none of them.
func mayHoldMutation(q string) bool {
	for i := strings.IndexByte(q, '%'); i >= 0 && i+1 < len(q); {
		if q[i+1] == '6' || q[i+1] == '7' {
			return true
		}
		j := strings.IndexByte(q[i+1:], '%')
		if j < 0 {
			break
		}
		i += 1 + j
	}
	return strings.Contains(q, "mutation")
}

func bodyMayHoldMutation(b []byte) bool {
	for i := bytes.IndexByte(b, '%'); i >= 0 && i+1 < len(b); {
		if c := b[i+1]; c == '6' || c == '7' || c == '5' && i+2 < len(b) && b[i+2]|0x20 == 'c' {
			return true
		}
		j := bytes.IndexByte(b[i+1:], '%')
		if j < 0 {
			break
		}
		i += 1 + j
	}
	return bytes.Contains(b, []byte("mutation")) || bytes.Contains(b, []byte(`\u`))
}

// gqlRequest is a GraphQL request's document, the operation names its own
// JSON gives, and where it was: a field's name (its batch element for
// JSON), or the URL.
type gqlRequest struct {
	query string
	names []string
	name  string
	inURL bool
}

// gqlRequests reads the GraphQL requests of a JSON text: an object, or a
// batch of them, its first value read as a streaming decoder reads it
// (text after it ignored, as gqlgen's multipart transport does). Every
// member named query or operationName in any case counts: JavaScript
// servers take the exact name, Go's encoding/json any case (the last).
// Nil when s holds no JSON object or array.
func gqlRequests(s string) []gqlRequest {
	var v any
	if json.NewDecoder(strings.NewReader(s)).Decode(&v) != nil {
		return nil
	}
	one := func(o map[string]any, at string) []gqlRequest {
		var rs []gqlRequest
		var names []string
		for k, v := range o {
			if t, ok := v.(string); ok && strings.EqualFold(k, "operationName") {
				names = append(names, t)
			}
		}
		for k, v := range o {
			if t, ok := v.(string); ok && strings.EqualFold(k, "query") {
				rs = append(rs, gqlRequest{query: t, names: names, name: at + k})
			}
		}
		return rs
	}
	switch v := v.(type) {
	case map[string]any:
		if rs := one(v, ""); rs != nil {
			return rs
		}
		return []gqlRequest{}
	case []any:
		out := []gqlRequest{}
		for i, e := range v {
			if o, ok := e.(map[string]any); ok {
				out = append(out, one(o, "["+strconv.Itoa(i)+"].")...)
			}
		}
		return out
	}
	return nil
}

// selectedMutation returns the name of the mutation document doc runs: its
// only operation, or the one one of names selects (servers run that one
// alone).
func selectedMutation(doc string, names []string) (string, bool) {
	if !strings.Contains(doc, "mutation") || !graphqlDocStart(doc) {
		return "", false
	}
	ops := graphqlOperations(doc)
	for _, op := range ops {
		if op.kind == "mutation" && op.set && (len(ops) == 1 || slices.Contains(names, op.name)) {
			return op.name, true
		}
	}
	return "", false
}

// crossSiteable reports whether a request with headers hs is one a page of
// another site could make the victim's browser send without a preflight:
// it carries credentials the browser adds by itself (cookies, or an
// Authorization of a scheme it repeats: Basic, Digest, NTLM, Negotiate)
// and no header that only the site's own script (or a non-browser client)
// adds. Proxies and tracers add headers of their own on the way, so the
// list is of what clients add, not of what browsers do not.
func crossSiteable(hs []decoders.Header) bool {
	ambient := false
	for _, h := range hs {
		switch {
		case strings.EqualFold(h.Name, "cookie"):
			ambient = true
		case strings.EqualFold(h.Name, "authorization"):
			scheme, _, _ := strings.Cut(strings.TrimSpace(h.Value), " ")
			switch strings.ToLower(scheme) {
			case "basic", "digest", "ntlm", "negotiate":
				ambient = true
			default:
				return false // a bearer token: the page's own script set it
			}
		case slices.ContainsFunc(preflightHeaders, func(n string) bool { return strings.EqualFold(h.Name, n) }):
			return false
		case strings.EqualFold(h.Name, "sec-fetch-site") && strings.EqualFold(strings.TrimSpace(h.Value), "same-origin"):
			// A browser says the site's own page sent it (no page can
			// set this header): not this request, at least.
			return false
		}
	}
	return ambient
}

// preflightHeaders are the request headers a browser sends to another site
// only after a CORS preflight, that clients add to force one (Apollo
// Server's csrfPrevention takes the two apollo ones, Hot Chocolate's
// GraphQL-Preflight, graphql-yoga's CSRF plugin its own) or carry a CSRF
// token.
var preflightHeaders = []string{"apollo-require-preflight", "x-apollo-operation-name", "graphql-preflight",
	"x-graphql-yoga-csrf", "x-csrf-token", "x-xsrf-token", "csrf-token", "x-csrftoken", "x-requested-with"}

// crossSiteOrigin describes what says the request came from another site:
// an Origin naming another host than the request's, or Sec-Fetch-Site
// cross-site (a header no page can set); "" when neither does.
func crossSiteOrigin(m *decoders.Message) string {
	if o := foreignOrigin(m); o != "" {
		return "from " + snippet(o)
	}
	if v, _ := decoders.Get(m.Headers, "sec-fetch-site"); strings.EqualFold(v, "cross-site") {
		return "sent cross-site (Sec-Fetch-Site)"
	}
	return ""
}

// foreignOrigin returns the request's Origin when it names another host
// (and port) than the request's, else "".
func foreignOrigin(m *decoders.Message) string {
	o, ok := decoders.Get(m.Headers, "origin")
	if !ok || o == "" || o == "null" {
		return o // "null": a sandboxed or file page, another site too
	}
	u, err := url.Parse(o)
	if err != nil || u.Host == "" {
		return o
	}
	host := m.Authority
	if host == "" {
		host, _ = decoders.Get(m.Headers, "host")
	}
	if sameOrigin(u, host) {
		return ""
	}
	return o
}

// sameOrigin reports whether origin u names host (a Host or :authority
// value): the same name (detect.SplitHostPort: any case, no trailing dot),
// and the same port when host gives one (the sensor does not know the
// request's scheme, so a host without a port takes the origin's).
func sameOrigin(u *url.URL, host string) bool {
	h, port := detect.SplitHostPort(host)
	oh, op := detect.SplitHostPort(u.Host)
	if h != oh {
		return false
	}
	if port == "" {
		return true
	}
	if op == "" {
		switch strings.ToLower(u.Scheme) {
		case "http":
			op = "80"
		case "https":
			op = "443"
		}
	}
	return op == port
}

// gqlOperation is one operation a document defines: its kind ("query" for
// the shorthand { … }) and name.
type gqlOperation struct {
	kind, name string
	// set: its selection set began (what a word after "mutation" in
	// prose lacks).
	set bool
}

// graphqlOperations lists the operations document s defines, read at its
// top level only (strings, comments, arguments and selections skipped).
func graphqlOperations(s string) []gqlOperation {
	var ops []gqlOperation
	depth, parens := 0, 0
	// pending: an operation or fragment keyword was read and its
	// selection set has not begun; nameNext: a name now is its name.
	pending, fragment, nameNext := false, false, false
	for i := graphqlSkip(s, 0); i < len(s); i = graphqlSkip(s, i) {
		c := s[i]
		switch {
		case c == '"':
			i = graphqlString(s, i)
			continue
		case c == '(':
			parens++
			nameNext = false
		case c == ')':
			parens = max(0, parens-1)
		case parens > 0:
		case c == '{':
			if depth == 0 && !pending {
				ops = append(ops, gqlOperation{kind: "query"}) // the shorthand
			}
			if depth == 0 && len(ops) > 0 && !fragment {
				ops[len(ops)-1].set = true
			}
			depth++
			pending, fragment, nameNext = false, false, false
		case c == '}':
			depth = max(0, depth-1)
		case depth == 0 && isNameByte(c) && !('0' <= c && c <= '9'):
			j := i + 1
			for j < len(s) && isNameByte(s[j]) {
				j++
			}
			name := s[i:j]
			switch {
			case nameNext:
				if !fragment {
					ops[len(ops)-1].name = name
				}
				nameNext = false
			case pending:
				// A type condition, a directive, a variable's type.
			case name == "query" || name == "mutation" || name == "subscription":
				ops = append(ops, gqlOperation{kind: name})
				pending, nameNext = true, true
			case name == "fragment":
				pending, fragment, nameNext = true, true, true
			}
			i = j
			continue
		default:
			nameNext = nameNext && c != '@' && c != '$'
		}
		i++
	}
	return ops
}

// mutationOutcome reads the answer to a mutation sent over GET: refused
// (405, as the GraphQL-over-HTTP specification asks, or another 4xx), run
// (a 2xx JSON result with data and no errors: the server is open to CSRF),
// or neither (errors in a 2xx, which may be the refusal or the mutation's
// own failure).
func mutationOutcome(x *decoders.Exchange) alert.Outcome {
	r := x.Response
	switch {
	case r == nil || r.Status == 0:
		return alert.Outcome_OUTCOME_UNSPECIFIED
	case r.Status >= 400 && r.Status < 500:
		return alert.Outcome_OUTCOME_BLOCKED
	case r.Status/100 != 2:
		return alert.Outcome_OUTCOME_ATTEMPTED
	}
	var res struct {
		Data   json.RawMessage `json:"data"`
		Errors json.RawMessage `json:"errors"`
	}
	var errs []json.RawMessage
	if json.Unmarshal(decoders.BodyText(r), &res) == nil && len(res.Data) > 0 && string(res.Data) != "null" &&
		(len(res.Errors) == 0 || json.Unmarshal(res.Errors, &errs) == nil && len(errs) == 0) {
		return alert.Outcome_OUTCOME_LIKELY_SUCCESSFUL
	}
	return alert.Outcome_OUTCOME_ATTEMPTED
}
