package tier1

import (
	"net/url"
	"regexp"
	"strings"

	"github.com/apisensor/sensor/decoders"
	"github.com/apisensor/sensor/pipeline/alert"
	"github.com/apisensor/sensor/pipeline/detect/normalize"
)

var (
	ruleNoSQLOperator = rule{
		Rule:  detectRule("nosql-operator", "nosql-injection", owaspInjection, alert.Severity_SEVERITY_MEDIUM, alert.Confidence_CONFIDENCE_MEDIUM),
		title: "NoSQL operator injection",
	}
	ruleNoSQLJS = rule{
		Rule:  detectRule("nosql-js", "nosql-injection", owaspInjection, alert.Severity_SEVERITY_HIGH, alert.Confidence_CONFIDENCE_HIGH),
		title: "NoSQL JavaScript injection",
	}
)

var nosqliFamily = family{
	name: "nosqli",
	// A path segment too: /users/{"$ne":null} reaches a handler that
	// parses its id as JSON (or a filter), and no benign segment holds an
	// operator key. A protobuf field too: gRPC services take filters as
	// JSON text or as a google.protobuf.Struct, whose keys the decoder
	// makes names.
	scope: func(p *decoders.Param) bool {
		switch p.Loc {
		case decoders.LocQuery, decoders.LocForm, decoders.LocJSON, decoders.LocCookie, decoders.LocMultipart, decoders.LocPath,
			decoders.LocProtobuf:
			return true
		}
		return false
	},
	locs:  locQuery | locForm | locJSON | locCookie | locMultipart | locPath | locProtobuf,
	match: matchNoSQL,
	pre: func(p *decoders.Param, in *input) bool {
		return in.has('$') || in.mayChange() || dollarName(p.Name) ||
			(in.has('\'') || in.has('"') || in.has(';')) && nosqlJSHint(in.best)
	},
}

// nosqlJS finds a break out of a string that a $where clause or a
// mapReduce function evaluates as JavaScript: after at most one token and
// a quote (or a number and a semicolon), a statement or operator that
// makes the clause true or runs something: "' && this.password.match(/.*/)//",
// "'; return true; var x='", "0;return true", "'; db.users.drop(); var x='",
// "'; sleep(5000); var x='". Code in a text field has words before it.
var nosqlJS = regexp.MustCompile(`^[^\s'"]{0,64}['"]\s*\)?\s*(?:;|&&|\|\|)\s*(?:return\s*\(?\s*(?:true\b|1\b|''|""|this\b|'[^']*'\s*==|"[^"]*"\s*==)|this\.\w+|db\.\w+\.|sleep\s*\(\s*\d)` +
	`|^\s*\d*\s*;\s*return\s*\(?\s*(?:true|1)\b`)

// designToken finds the "$value" key a design token has beside its
// "$type" (the W3C format).
var designToken = regexp.MustCompile(`["']\$value["']\s*:`)

// nosqlJSShape reports the start every nosqlJS match has: a quote after
// at most 64 bytes that are no blank nor quote, or a semicolon after
// blanks and digits.
func nosqlJSShape(s string) bool {
	if t := strings.TrimLeft(s, " \t\n\r\f0123456789"); t != "" && t[0] == ';' {
		return true
	}
	for i := 0; i < len(s) && i <= 64; i++ {
		switch c := s[i]; {
		case c == '\'' || c == '"':
			return true
		case reSpace(c):
			return false
		}
	}
	return false
}

// nosqlJSHint reports a literal every nosqlJS match holds.
func nosqlJSHint(s string) bool {
	return strings.Contains(s, "this.") || strings.Contains(s, "return") || strings.Contains(s, "db.") || strings.Contains(s, "sleep")
}

// nosqlOps are the MongoDB operators that change what a query matches ($eq
// and $in do not widen a match and are left out).
// $type matches any value of a BSON type ({"password":{"$type":2}} is a
// login bypass) but is also Json.NET's type tag: it counts with a BSON
// type for a value (bsonType). $jsonSchema with an empty schema matches
// everything; the aggregation stages read other collections ($lookup,
// $graphLookup, $unionWith) or overwrite them ($out, $merge).
const nosqlOps = `ne|gt|gte|lt|lte|nin|regex|exists|not|or|and|nor|elemmatch|expr|where|function|accumulator|type|jsonschema|lookup|graphlookup|unionwith|out|merge`

var (
	// nosqlName finds an operator as a name segment: user.$ne, user[$ne],
	// $where.
	nosqlName = regexp.MustCompile(`(?:^|[.\[])\$(` + nosqlOps + `)(?:$|[.\[\]])`)
	// nosqlValue finds an operator key inside a JSON text value.
	nosqlValue = regexp.MustCompile(`(?:^\s*["']?\$(where)|[{,]\s*["']?\$(` + nosqlOps + `))["']?\s*:\s*(["']?[\w-]*)`)
	// nosqlBracket finds an operator in bracket syntax inside a value
	// (u_id[$ne]=1, [$regex]^adm): a query string or form body carried
	// in a parameter, which a server that parses it again (qs, PHP)
	// turns into an operator object.
	nosqlBracket = regexp.MustCompile(`\[\$(` + nosqlOps + `)\]`)
)

func matchNoSQL(p *decoders.Param, v *normalize.Value, report reportFunc) {
	name := strings.ToLower(p.Name)
	if strings.IndexByte(name, '%') >= 0 {
		if d, err := url.QueryUnescape(name); err == nil {
			name = d
		}
	}
	if strings.IndexByte(name, '$') >= 0 {
		if m := nosqlName.FindStringSubmatch(name); m != nil && (m[1] != "type" || bsonType(v.Text)) {
			reportNoSQL(m[1], "operator $"+m[1]+" in name "+snippet(name), report)
			return
		}
	}
	forms(v, func(s string) bool {
		if nosqlJSShape(s) && nosqlJSHint(s) {
			if m := nosqlJS.FindString(s); m != "" {
				report(&ruleNoSQLJS, "JavaScript "+snippet(m))
				return true
			}
		}
		// The other patterns need the operator's '$'.
		if strings.IndexByte(s, '$') < 0 {
			return false
		}
		for _, m := range nosqlValue.FindAllStringSubmatch(s, 16) {
			op, arg := m[1]+m[2], m[3]
			// A design token's $type has a $value beside it.
			if op != "type" || bsonType(arg) && !designToken.MatchString(s) {
				reportNoSQL(op, "operator $"+op+" in value", report)
				return true
			}
		}
		if strings.Contains(s, "[$") {
			if m := nosqlBracket.FindStringSubmatch(s); m != nil {
				reportNoSQL(m[1], "operator $"+m[1]+" in value "+snippet(s), report)
				return true
			}
		}
		return false
	})
}

func reportNoSQL(op, matched string, report reportFunc) {
	switch op {
	case "where", "function", "accumulator": // the operators that run JavaScript
		report(&ruleNoSQLJS, matched)
	default:
		report(&ruleNoSQLOperator, matched)
	}
}

// bsonType reports whether v names a BSON type as $type takes it: a
// number or an alias ("string", "objectId"), not Json.NET's
// "Namespace.Class, Assembly". "number" is left out: design tokens (the
// W3C format, {"$value":1.5,"$type":"number"}) use it, and a number
// matches no password.
func bsonType(v string) bool {
	v = strings.Trim(strings.TrimSpace(v), `"'`)
	if v == "" {
		return false
	}
	if strings.Trim(v, "-0123456789") == "" {
		return true
	}
	switch strings.ToLower(v) {
	case "double", "string", "object", "array", "bindata", "objectid", "bool", "date", "null", "regex",
		"javascript", "int", "timestamp", "long", "decimal", "minkey", "maxkey", "undefined", "symbol":
		return true
	}
	return false
}

// dollarName reports whether a parameter name holds '$' or its escape %24.
func dollarName(name string) bool {
	return strings.IndexByte(name, '$') >= 0 || strings.IndexByte(name, '%') >= 0 && strings.Contains(name, "%24")
}
