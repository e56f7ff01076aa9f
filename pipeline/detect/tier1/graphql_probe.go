package tier1

import (
	"bytes"
	"slices"
	"strings"

	"github.com/apisensor/sensor/decoders"
	"github.com/apisensor/sensor/pipeline/alert"
)

// mayProbe reports text that may be an engine probe (fingerprintProbe): it
// names __typename or graphw00f's field.
func mayProbe(s string) bool {
	return strings.Contains(s, "typename") || strings.Contains(s, "graphwoof") || strings.Contains(s, "graphw00f")
}

// Bounds of what fingerprintProbe reads: probes are a few dozen tokens.
const (
	maxProbeBytes  = 4096
	maxProbeTokens = 64
)

// fingerprintProbe returns doc, its white space squeezed, when it is an
// engine probe: a document whose operations ask only for __typename (or
// graphw00f's own graphwoof and graphw00f) and that every server refuses,
// each engine in its own words, which is what fingerprinting tools read
// (graphw00f; the engines' answers are in its docs): a definition that is
// none (queryy, zzz, aaa { __typename }), a stray character (query !,
// alias^:, alias1$1:), braces or parentheses left open, a selection set or
// arguments on __typename, a fragment defined and never spread (caliban's
// probe), or a directive where none is valid: any on such a document but
// @skip and @include on a field with their one if argument (query @skip,
// @deprecated, @aaa@aaa, @cached, __typename @abc). Health checks and
// clients send typename queries a server answers — "{ __typename }",
// "query Health($x: Int) { ok: __typename }", with comments and commas
// where GraphQL ignores them, "{ __typename @include(if: $on) }" — which
// are not probes; nor is any document asking for another field. Else "".
// Probes with no typename in them (an empty query, "aaa", "query { aaa
// }") are what a client's bug sends too: not told.
func fingerprintProbe(doc string) string {
	if len(doc) > maxProbeBytes || !mayProbe(doc) {
		return ""
	}
	toks, ok := gqlTokens(doc)
	if !ok {
		return ""
	}
	pp := probeParser{toks: toks}
	only, tool := pp.typenameOnly()
	if !only && !commentedSelection(doc, toks) {
		return ""
	}
	if !tool && pp.document() {
		return "" // a document the server answers
	}
	return strings.Join(strings.Fields(doc), " ")
}

// commentedSelection reports a document whose selection set is comment:
// no brace outside comments, and __typename after a '#' ("query aa#aa {
// __typename }", graphw00f's probe of GraphQL API for WordPress).
func commentedSelection(doc string, toks []gqlToken) bool {
	for _, t := range toks {
		if t.kind == '{' {
			return false
		}
	}
	h := strings.IndexByte(doc, '#')
	return len(toks) > 0 && toks[0].kind == 'n' && h >= 0 && strings.Contains(doc[h:], "__typename")
}

// gqlToken is a lexical token of a GraphQL document: a name, a string, a
// number (kind 'n', 's', '0'), a punctuator (its byte; "..." is '.'), or a
// byte GraphQL has no token for ('?').
type gqlToken struct {
	kind byte
	text string
}

// gqlTokens splits doc into tokens, what GraphQL ignores (white space,
// commas, comments, a byte order mark) left out; false past maxProbeTokens.
func gqlTokens(doc string) ([]gqlToken, bool) {
	var toks []gqlToken
	for i := graphqlSkip(doc, 0); i < len(doc); i = graphqlSkip(doc, i) {
		if len(toks) == maxProbeTokens {
			return nil, false
		}
		c, start := doc[i], i
		var kind byte
		switch {
		case c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z':
			for i++; i < len(doc) && isNameByte(doc[i]); i++ {
			}
			kind = 'n'
		case c == '-' || '0' <= c && c <= '9':
			n := graphqlNumber(doc[i:])
			if n == 0 {
				n = 1
				kind = '?'
			} else {
				kind = '0'
			}
			i += n
		case c == '"':
			i = min(graphqlString(doc, i), len(doc))
			kind = 's'
		case c == '.' && strings.HasPrefix(doc[i:], "..."):
			i += 3
			kind = '.'
		case strings.IndexByte("!$&()[]{}:=@|", c) >= 0:
			i++
			kind = c
		default:
			i++
			kind = '?'
		}
		toks = append(toks, gqlToken{kind: kind, text: doc[start:i]})
	}
	return toks, true
}

// probeParser reads the tokens of a document as a server's parser and
// validator would, as far as a probe needs.
type probeParser struct {
	toks []gqlToken
	i    int
	// defined and spread are the fragments defined and spread.
	defined, spread []string
}

func (pp *probeParser) peek() gqlToken {
	if pp.i < len(pp.toks) {
		return pp.toks[pp.i]
	}
	return gqlToken{}
}

func (pp *probeParser) next() gqlToken {
	t := pp.peek()
	pp.i++
	return t
}

// accept consumes the next token when it is of kind k.
func (pp *probeParser) accept(k byte) bool {
	if pp.peek().kind == k {
		pp.i++
		return true
	}
	return false
}

// typenameOnly reports whether the operations of the document ask for
// __typename (graphwoof, graphw00f) and nothing else: every name in a
// field's place is one of them, and no fragment is spread into an
// operation. A name is in a field's place when it is inside braces and not
// an argument (inside parentheses), a directive's name, an alias (before a
// colon), a fragment's name or type condition, and not inside a fragment
// definition. Read token by token, not parsed: it must hold for broken
// documents too. tool reports graphw00f's own field (graphwoof,
// graphw00f), which no schema has.
func (pp *probeParser) typenameOnly() (only, tool bool) {
	depth, parens, fields := 0, 0, 0
	inFragment := false // inside a fragment definition's selection set
	for k, t := range pp.toks {
		switch t.kind {
		case '(':
			parens++
		case ')':
			parens--
		case '{':
			depth++
		case '}':
			depth--
			if depth <= 0 {
				depth, inFragment = 0, false
			}
		case '.':
			if depth > 0 && !inFragment && k+1 < len(pp.toks) && pp.toks[k+1].kind == 'n' && pp.toks[k+1].text != "on" {
				return false, false // a fragment spread into an operation
			}
		case 'n':
			if depth == 0 {
				if t.text == "fragment" {
					inFragment = true
				}
				continue
			}
			prev := gqlToken{}
			if k > 0 {
				prev = pp.toks[k-1]
			}
			after := gqlToken{}
			if k+1 < len(pp.toks) {
				after = pp.toks[k+1]
			}
			switch {
			case inFragment || parens > 0 || prev.kind == '@' || prev.kind == '$' || prev.kind == '.' ||
				prev.kind == 'n' && prev.text == "on" || t.text == "on" && after.kind == 'n' ||
				strings.IndexByte(":?$!0=s", after.kind) >= 0:
				// Not a field: an argument, a directive, a variable, a
				// fragment's type condition, an alias (an alias broken by
				// a stray byte, alias^: or alias1$1:, too).
			case t.text == "__typename":
				fields++
			case t.text == "graphwoof" || t.text == "graphw00f":
				fields++
				tool = true
			default:
				return false, false
			}
		}
	}
	return fields > 0, tool
}

// document reports whether the tokens are a document a server answers,
// as far as a typename-only one goes: definitions that parse, fields
// without arguments or selections, directives only as above, every
// fragment defined spread.
func (pp *probeParser) document() bool {
	if len(pp.toks) == 0 {
		return false
	}
	for pp.i < len(pp.toks) {
		if !pp.definition() {
			return false
		}
	}
	for _, d := range pp.defined {
		if !slices.Contains(pp.spread, d) {
			return false // graphql-js: fragment never used
		}
	}
	return true
}

func (pp *probeParser) definition() bool {
	t := pp.peek()
	switch {
	case t.kind == '{':
		return pp.selectionSet()
	case t.kind == 'n' && (t.text == "query" || t.text == "mutation"):
		// (A subscription may not select __typename alone: graphql-js
		// refuses an introspection field at its root.)
		pp.next()
		pp.accept('n')
		if pp.peek().kind == '(' && !pp.variables() {
			return false
		}
		if pp.peek().kind == '@' {
			return false // no directive on a typename-only operation
		}
		return pp.selectionSet()
	case t.kind == 'n' && t.text == "fragment":
		pp.next()
		name := pp.next()
		if name.kind != 'n' || name.text == "on" || pp.next().text != "on" || pp.next().kind != 'n' {
			return false
		}
		pp.defined = append(pp.defined, name.text)
		return pp.skipSelection()
	}
	return false
}

// variables reads variable definitions: "($x: Int = 1, $y: [ID!]!)".
func (pp *probeParser) variables() bool {
	pp.next() // (
	for !pp.accept(')') {
		if !pp.accept('$') || !pp.accept('n') || !pp.accept(':') {
			return false
		}
		for depth := 0; ; pp.next() {
			t := pp.peek()
			if depth == 0 && (t.kind == '$' || t.kind == ')') {
				break
			}
			switch t.kind {
			case 0, '?', '{', '}', '(', '@':
				return false
			case '[':
				depth++
			case ']':
				depth--
			}
		}
	}
	return true
}

// selectionSet reads "{ field… }": fields (with an alias), fragment spreads
// and inline fragments.
func (pp *probeParser) selectionSet() bool {
	if !pp.accept('{') {
		return false
	}
	n := 0
	for !pp.accept('}') {
		switch t := pp.peek(); {
		case t.kind == '.':
			pp.next()
			if pp.peek().kind == 'n' && pp.peek().text != "on" {
				pp.spread = append(pp.spread, pp.next().text)
				if !pp.directives() {
					return false
				}
				break
			}
			if pp.peek().text == "on" {
				pp.next()
				if !pp.accept('n') {
					return false
				}
			}
			if !pp.directives() || !pp.selectionSet() {
				return false
			}
		case t.kind == 'n':
			pp.next()
			if pp.accept(':') && !pp.accept('n') {
				return false
			}
			// __typename takes no argument and has no selections.
			if k := pp.peek().kind; k == '(' || k == '{' || !pp.directives() {
				return false
			}
		default:
			return false
		}
		n++
	}
	return n > 0
}

// directives reads a field's directives: only @skip and @include, each with
// its one argument if, a boolean or a variable, each at most once.
func (pp *probeParser) directives() bool {
	var seen []string
	for pp.accept('@') {
		name := pp.next()
		if name.kind != 'n' || name.text != "skip" && name.text != "include" {
			return false
		}
		for _, s := range seen {
			if s == name.text {
				return false
			}
		}
		seen = append(seen, name.text)
		if !pp.accept('(') || pp.next().text != "if" || !pp.accept(':') {
			return false
		}
		switch v := pp.next(); {
		case v.kind == '$':
			if !pp.accept('n') {
				return false
			}
		case v.kind == 'n' && (v.text == "true" || v.text == "false"):
		default:
			return false
		}
		if !pp.accept(')') {
			return false
		}
	}
	return true
}

// skipSelection skips a selection set, braces balanced (a fragment's: what
// it asks for is not the operation's).
func (pp *probeParser) skipSelection() bool {
	if !pp.accept('{') {
		return false
	}
	for depth := 1; depth > 0; {
		switch pp.next().kind {
		case 0:
			return false
		case '{':
			depth++
		case '}':
			depth--
		}
	}
	return true
}

// fingerprintOutcome: the engine named itself when it answered the probe
// in its own words — GraphQL errors (or Sangria's syntaxError), or data
// whose root type's name is an engine's (Hasura's query_root, WPGraphQL's
// QueryRoot, graphql-go's RootQuery); a refusal before the engine (401,
// 403, 429) is blocked; any other answer told nothing.
func fingerprintOutcome(x *decoders.Exchange) alert.Outcome {
	r := x.Response
	if r == nil || r.Status == 0 {
		return alert.Outcome_OUTCOME_UNSPECIFIED
	}
	switch r.Status {
	case 401, 403, 429:
		return alert.Outcome_OUTCOME_BLOCKED
	}
	b := decoders.BodyText(r)
	for _, sign := range [...]string{`"errors"`, `"syntaxError"`, `"query_root"`, `"QueryRoot"`, `"RootQuery"`} {
		if bytes.Contains(b, []byte(sign)) {
			return alert.Outcome_OUTCOME_LIKELY_SUCCESSFUL
		}
	}
	return alert.Outcome_OUTCOME_ATTEMPTED
}
