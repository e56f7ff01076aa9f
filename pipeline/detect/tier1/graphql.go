package tier1

import (
	"regexp"
	"strconv"
	"strings"

	"github.com/apisensor/sensor/decoders"
	"github.com/apisensor/sensor/pipeline/alert"
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
)

// Limits past which a GraphQL request is abuse rather than a client's
// query: selection nesting, aliases, operations in one batch.
const (
	maxGraphQLDepth   = 10
	maxGraphQLAliases = 20
	maxGraphQLBatch   = 10
)

var graphqlFamily = family{
	name:  "graphql",
	scope: isGraphQLQuery,
	locs:  locJSON | locBody,
	match: matchGraphQL,
	pre:   func(*decoders.Param, *input) bool { return true },
	whole: graphqlBatch,
}

// isGraphQLQuery reports the query document of a GraphQL request: the
// "query" field of a JSON body or of one operation of a batch ("[3].query"),
// or a body sent as application/graphql.
func isGraphQLQuery(p *decoders.Param) bool {
	switch p.Loc {
	case decoders.LocJSON:
		return p.Name == "query" || strings.HasSuffix(p.Name, "].query") && p.Name[0] == '['
	case decoders.LocBody:
		s := strings.TrimLeft(p.Value, " \t\r\n")
		return strings.HasPrefix(s, "query") || strings.HasPrefix(s, "{") || strings.HasPrefix(s, "mutation")
	}
	return false
}

var introspection = regexp.MustCompile(`\b__schema\b|\b__type\s*\(`)

func matchGraphQL(_ *decoders.Param, v *normalize.Value, report reportFunc) {
	s := v.Fold
	if m := introspection.FindString(s); m != "" {
		report(&ruleGQLIntrospection, "introspection field "+m)
	}
	depth, aliases := graphqlShape(s)
	if depth > maxGraphQLDepth {
		report(&ruleGQLDepth, "selection depth "+strconv.Itoa(depth)+" > "+strconv.Itoa(maxGraphQLDepth))
	}
	if aliases > maxGraphQLAliases {
		report(&ruleGQLAliases, strconv.Itoa(aliases)+" aliases > "+strconv.Itoa(maxGraphQLAliases))
	}
}

// graphqlShape returns the deepest selection-set nesting of a query
// document and its number of aliases ("name: field" outside arguments),
// skipping strings and comments.
func graphqlShape(s string) (depth, aliases int) {
	braces, parens := 0, 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '"':
			if strings.HasPrefix(s[i:], `"""`) {
				end := strings.Index(s[i+3:], `"""`)
				if end < 0 {
					return depth, aliases
				}
				i += end + 5
				continue
			}
			for i++; i < len(s) && s[i] != '"'; i++ {
				if s[i] == '\\' {
					i++
				}
			}
		case '#':
			for i < len(s) && s[i] != '\n' {
				i++
			}
		case '{':
			if parens == 0 {
				braces++
				depth = max(depth, braces)
			}
		case '}':
			if parens == 0 && braces > 0 {
				braces--
			}
		case '(':
			parens++
		case ')':
			if parens > 0 {
				parens--
			}
		case ':':
			if parens == 0 && braces > 0 && i > 0 && isNameByte(prevNonSpace(s, i)) {
				aliases++
			}
		}
	}
	return depth, aliases
}

func prevNonSpace(s string, i int) byte {
	for i--; i >= 0; i-- {
		if c := s[i]; c != ' ' && c != '\n' && c != '\r' && c != ',' {
			return c
		}
	}
	return 0
}

func isNameByte(c byte) bool {
	return c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

// graphqlBatch reports a JSON array of more than maxGraphQLBatch
// operations.
func graphqlBatch(x *decoders.Exchange, report func(r *rule, p *decoders.Param, matched string)) {
	ops := 0
	var last *decoders.Param
	for i := range x.Params {
		// A batch is a JSON array of operations ("[0].query"); the first
		// byte of the name turns away the other parameters.
		p := &x.Params[i]
		if p.Name != "" && p.Name[0] == '[' && p.Loc == decoders.LocJSON && isGraphQLQuery(p) {
			ops++
			last = p
		}
	}
	if ops > maxGraphQLBatch {
		report(&ruleGQLBatch, last, strconv.Itoa(ops)+" operations in one request > "+strconv.Itoa(maxGraphQLBatch))
	}
}
