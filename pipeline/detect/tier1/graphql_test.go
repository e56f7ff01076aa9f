package tier1

import (
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/apisensor/sensor/decoders"
	"github.com/apisensor/sensor/pipeline/alert"
)

func TestGraphQLShape(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		want gqlStats
	}{
		{"flat", "{ me { id name } }", gqlStats{depth: 2, selections: 2, expanded: 3, operations: 1}},
		{"named operation", "query Q($id: ID!) @cached { user(id: $id) { name } }", gqlStats{depth: 2, selections: 1, expanded: 2, operations: 1}},
		// An inline fragment is not a level; its selections are its
		// parent's.
		{"inline fragments", "{ node { ... on User { name email } ... @include(if: $x) { id } ... { age } } }",
			gqlStats{depth: 2, directives: 1, selections: 4, expanded: 5, operations: 1}},
		// A spread at depth 2 of a fragment 2 deep reaches 3.
		{"fragment spread", "query { user { ...F } } fragment F on User { friends { name } }",
			gqlStats{depth: 3, selections: 1, expanded: 4, operations: 1}},
		{"fragments first", "fragment F on User { friends { name } } { user { ...F } }",
			gqlStats{depth: 3, selections: 1, expanded: 4, operations: 1}},
		{"cycle", "{ a { ...A } } fragment A on T { name b { ...B } } fragment B on T { name a { ...A } }",
			gqlStats{depth: 4, cycle: "A → B → A", selections: 2, expanded: 8, operations: 1}},
		{"self spread", "fragment A on T { ...A } { a { ...A } }", gqlStats{depth: 2, cycle: "A → A", selections: 1, expanded: 3, operations: 1}},
		{"aliases", "{ a: user(id: 1) { name } b: user(id: 2) { n: name } }", gqlStats{depth: 2, aliases: 3, selections: 2, expanded: 4, operations: 1}},
		// A value after a colon is no alias (a MongoDB filter in a field
		// named query).
		{"values", `{ status: "A", qty: 30 }`, gqlStats{depth: 1, selections: 2, expanded: 2, operations: 1}},
		{"directives", "{ __typename @a @b @c @d @e @f }", gqlStats{depth: 1, directives: 6, selections: 1, expanded: 1, operations: 1}},
		{"introspection", "{ __type(name: \"User\") { name } }", gqlStats{depth: 2, selections: 1, expanded: 2, introspection: "__type", operations: 1}},
		{"aliased introspection", "{ s: __schema { types { name } } }", gqlStats{depth: 3, aliases: 1, selections: 1, expanded: 3, introspection: "__schema", operations: 1}},
		// Strings, block strings and comments hold no structure.
		{"strings", `{ a(x: "{ { __schema", y: """ } \""" { """) # { {
			{ b } }`, gqlStats{depth: 2, selections: 1, expanded: 2, operations: 1}},
		{"typename is no introspection", "{ __typename __schemaX }", gqlStats{depth: 1, selections: 2, expanded: 2, operations: 1}},
		{"two operations", "query A { a } query B { b } mutation C { c }", gqlStats{depth: 1, selections: 1, expanded: 1, operations: 3}},
	}
	for _, tt := range tests {
		got := graphqlShape(tt.doc)
		got.nesting, got.spreads = 0, 0 // TestGraphQLNesting
		if got != tt.want {
			t.Errorf("%s: graphqlShape(%q)\n got %+v\nwant %+v", tt.name, tt.doc, got, tt.want)
		}
	}
	// Fragments that spread the next twice over multiply the query's
	// size: it saturates past the limit.
	var b strings.Builder
	b.WriteString("{ a { ...F0 } }")
	for i := range 20 {
		b.WriteString(" fragment F" + strconv.Itoa(i) + " on T { x ...F" + strconv.Itoa(i+1) + " ...F" + strconv.Itoa(i+1) + " }")
	}
	b.WriteString(" fragment F20 on T { x }")
	if st := graphqlShape(b.String()); st.expanded <= maxGraphQLExpanded {
		t.Errorf("fragment explosion: expanded %d", st.expanded)
	}
}

// TestGraphQLNesting: inline fragments nested thousands deep count, as
// does a document of more spreads than are followed.
func TestGraphQLNesting(t *testing.T) {
	deep := "{ a " + strings.Repeat("... { ", 3000) + "b" + strings.Repeat(" }", 3000) + " }"
	if st := graphqlShape(deep); st.depth != 1 || st.nesting != 3001 {
		t.Errorf("inline nesting: %+v", st)
	}
	many := "{ a { " + strings.Repeat("...z ", maxGraphQLSpreads+1) + "} } fragment z on T { b }"
	if st := graphqlShape(many); st.spreads != maxGraphQLSpreads+1 {
		t.Errorf("spreads: %+v", st)
	}
}

func TestGraphQLDocument(t *testing.T) {
	for doc, want := range map[string]bool{
		"{ me { id } }": true,
		"query GetDogs {\n  dogs {\n    id\n    breed\n  }\n}":                               true,
		"query Q($n: Int = -1, $f: Float = 1.5) { a(n: $n) { ...F } } fragment F on A { b }": true,
		"{\nviewer: me\n}":                  false, // nothing says GraphQL (and "{\nid\n}" is a shell group)
		"query {\nviewer: me\n}":            true,
		"{\nid\n}":                          false,
		"{\nsleep 10\n}":                    false,
		"query { a(x: 1e+5, y: -2) { b } }": true,
		"{ a(x: \"\"\"\r\nSet-Cookie: a\r\n\"\"\") { id } }": false,
		"{ a(x: \"a\nb\") { id } }":                          false,
		"{ me }\r\nSet-Cookie: a=1":                          false,
		"{\r\nSet-Cookie: a=1 }":                             false,
		"{ a } junk":                                         false,
		"{ a }}":                                             false,
		"{ a ":                                               false,
		"search for { braces }":                              false,
		"{ a(x: \"; id\") }":                                 false,
		"query { a(x: \"; id\") }":                           true,
		"{ a } ; id":                                         false,
	} {
		if got := graphqlDocument(doc); got != want {
			t.Errorf("graphqlDocument(%q) = %v, want %v", doc, got, want)
		}
	}
}

func TestGraphQLJSONName(t *testing.T) {
	for name, want := range map[string]bool{
		"query": true, "[3].query": true, "payload.query": true, "[0].payload.query": true,
		"variables.query": false, "search.query": false, "[x].query": false, "query2": false, "subquery": false,
	} {
		if got := graphqlJSONName(name); got != want {
			t.Errorf("graphqlJSONName(%q) = %v, want %v", name, got, want)
		}
	}
}

func TestJSONAt(t *testing.T) {
	x := &decoders.Exchange{Request: &decoders.Message{Body: []byte(`[{"query":"a"},{"payload":{"query":"b"},"items":[{"q":"c"}]}]`)}}
	for name, want := range map[string]string{"[0].query": "a", "[1].payload.query": "b", "[1].items[0].q": "c"} {
		got, ok := graphqlWholeText(x, &decoders.Param{Loc: decoders.LocJSON, Name: name})
		if !ok || len(got) != 1 || got[0] != want {
			t.Errorf("%s: got %q %v, want %q", name, got, ok, want)
		}
	}
	if _, ok := graphqlWholeText(x, &decoders.Param{Loc: decoders.LocJSON, Name: "[2].query"}); ok {
		t.Error("[2].query found")
	}
	// Every value of a repeated name, a pair that does not decode
	// skipped, not the whole string.
	x.Request.Query = "query=%7B+a+%7D&x=%zz;y&query=%7B+b+%7D"
	got, _ := graphqlWholeText(x, &decoders.Param{Loc: decoders.LocQuery, Name: "query"})
	if !slices.Equal(got, []string{"{ a }", "{ b }"}) {
		t.Errorf("query values %q", got)
	}
}

// FuzzGraphQLShape: any text is read without a panic, in bounds, and a
// document graphqlDocument accepts starts as one.
func FuzzGraphQLShape(f *testing.F) {
	for _, s := range []string{
		"{ me { id } }", "query { a { ...F } } fragment F on T { b { ...F } }", `{ a(x: """ \""" """) }`,
		"{ ... on T { a } ... @x { b } }", "fragment", "{ a: b: c }", "\ufeff,# c\n{ __schema { types { name } } }",
		"{ a @b(c: {d: [1, 2]}) @e }", "{{{{}}}}", `{ a(x: "\`, "query mutation { a } mutation M($v: I = {a: 1}) @d { b }",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		st := graphqlShape(s)
		if st.depth < 0 || st.depth > len(s) || st.aliases > len(s) || st.selections > len(s) {
			t.Fatalf("graphqlShape(%q) = %+v", s, st)
		}
		if graphqlDocument(s) && !graphqlDocStart(s) {
			t.Fatalf("graphqlDocument(%q) without a document's start", s)
		}
		// Each operation starts with a keyword or a '{'.
		if ops := graphqlOperations(s); len(ops) > strings.Count(s, "{")+strings.Count(s, "query")+strings.Count(s, "mutation")+strings.Count(s, "subscription") {
			t.Fatalf("graphqlOperations(%q) = %d operations", s, len(ops))
		}
	})
}

// TestMutationOutcome: what the answer to a mutation over GET shows.
func TestMutationOutcome(t *testing.T) {
	for _, tc := range []struct {
		status int
		body   string
		want   alert.Outcome
	}{
		{200, `{"data":{"deleteUser":{"id":"7"}}}`, alert.Outcome_OUTCOME_LIKELY_SUCCESSFUL},
		{200, `{"data": null, "errors":[{"message":"Can only perform a mutation operation from a POST request."}]}`, alert.Outcome_OUTCOME_ATTEMPTED},
		{200, `{"data": null}`, alert.Outcome_OUTCOME_ATTEMPTED},
		{200, `{"data":{"ok":true},"errors":[]}`, alert.Outcome_OUTCOME_LIKELY_SUCCESSFUL},
		{200, `{"data":{"ok":true},"errors":null}`, alert.Outcome_OUTCOME_LIKELY_SUCCESSFUL},
		{200, `{"data":{"ok":null},"errors":[{"message":"denied"}]}`, alert.Outcome_OUTCOME_ATTEMPTED},
		{200, `<html>not json</html>`, alert.Outcome_OUTCOME_ATTEMPTED},
		{405, `{"errors":[{"message":"GET supports only query operation"}]}`, alert.Outcome_OUTCOME_BLOCKED},
		{400, ``, alert.Outcome_OUTCOME_BLOCKED},
		{500, `{}`, alert.Outcome_OUTCOME_ATTEMPTED},
		{0, ``, alert.Outcome_OUTCOME_UNSPECIFIED},
	} {
		x := &decoders.Exchange{Request: &decoders.Message{Method: "GET"}}
		if tc.status != 0 {
			x.Response = &decoders.Message{Status: tc.status, Body: []byte(tc.body),
				Headers: []decoders.Header{{Name: "Content-Type", Value: "application/json"}}}
		}
		if got := mutationOutcome(x); got != tc.want {
			t.Errorf("%d %s: %v, want %v", tc.status, tc.body, got, tc.want)
		}
	}
}

func TestGraphQLOperations(t *testing.T) {
	for _, tc := range []struct{ doc, want string }{
		{"{ me { id } }", "query:"},
		{"mutation { del(id: 1) { ok } }", "mutation:"},
		{"query mutation { me { id } }", "query:mutation"},
		{"query Get($m: String = \"mutation\") @live { me { mutation } } mutation Set { set(v: \"{\") { ok } }", "query:Get mutation:Set"},
		{"fragment mutation on Mutation { ok } # mutation X { }\nquery Q { ...mutation }", "query:Q"},
		{"subscription S { onEvent(filter: {kind: \"mutation\"}) { id } }", "subscription:S"},
	} {
		var got []string
		for _, op := range graphqlOperations(tc.doc) {
			got = append(got, op.kind+":"+op.name)
		}
		if strings.Join(got, " ") != tc.want {
			t.Errorf("%q: %q, want %q", tc.doc, strings.Join(got, " "), tc.want)
		}
	}
}

func TestSameOrigin(t *testing.T) {
	for _, tc := range []struct {
		origin, host string
		want         bool
	}{
		{"https://api.example.com", "api.example.com", true},
		{"https://API.example.com", "api.example.com:443", true},
		{"http://api.example.com:8080", "api.example.com:8080", true},
		{"http://[::1]:8080", "[::1]:8080", true},
		{"https://evil.example", "api.example.com", false},
		{"https://api.example.com", "api.example.com:8443", false},
		{"https://api.example.com.evil.example", "api.example.com", false},
	} {
		u, err := url.Parse(tc.origin)
		if err != nil {
			t.Fatal(err)
		}
		if got := sameOrigin(u, tc.host); got != tc.want {
			t.Errorf("sameOrigin(%s, %s) = %v, want %v", tc.origin, tc.host, got, tc.want)
		}
	}
}

// FuzzMutationCrossSite: any POST body, type, URL query and Origin is read
// without a panic, and an alert quotes a mutation.
func FuzzMutationCrossSite(f *testing.F) {
	f.Add("application/x-www-form-urlencoded", "query=mutation+%7B+a+%7D", "", "https://evil.example")
	f.Add("text/plain;charset=UTF-8", `[{"query":"{ a }"},{"QUERY":"mutation B { b }","operationName":"B"}]`, "", "null")
	f.Add("multipart/form-data; boundary=b", "--b\r\nContent-Disposition: form-data; name=\"operations\"\r\n\r\n{\"query\":\"mutation { u }\"} x\r\n--b--\r\n", "operationName=X", "")
	f.Add("", `mutation { a }`, "query=mutation%zz", "http://[::1]:80")
	f.Fuzz(func(t *testing.T, ct, body, query, origin string) {
		m := &decoders.Message{Method: "POST", URI: "/graphql?" + query, Path: "/graphql", Query: query, Version: "HTTP/1.1",
			Headers: []decoders.Header{{Name: "Host", Value: "api.example.com"}, {Name: "Content-Type", Value: ct},
				{Name: "Cookie", Value: "s=1"}, {Name: "Origin", Value: origin}}, Body: []byte(body)}
		x := &decoders.Exchange{Proto: "http/1.1", Request: m}
		decoders.ExtractParams(x, nil)
		mutationCrossSite(x, func(r *rule, p *decoders.Param, matched string) {
			if r != &ruleGQLMutationForm || !strings.Contains(p.Value, "mutation") || matched == "" {
				t.Fatalf("reported %s on %+v: %q", r.ID, p, matched)
			}
		})
	})
}

func TestErrorsFirst(t *testing.T) {
	for _, tc := range []struct {
		body string
		want bool
	}{
		{`{"errors":[{"message":"x"}]}`, true},
		{"\n{\n  \"errors\" : []}", true},
		{`{"data":null,"errors":[]}`, true},
		{"{ \"data\" : null ,\n \"errors\": []}", true},
		{`{"data":{"a":1},"errors":[]}`, false},
		{`{"items":[],"errors":[]}`, false},
		{`[{"errors":[]}]`, true},
		{`[1,{"errors":[]}]`, true},
		{`[{"data":{"a":1}},{"errors":[]}]`, true},
		{"\xef\xbb\xbf{\"errors\":[]}", true},
		{`{"data":null,"extensions":{},"errors":[]}`, true},
		{``, false},
		{`{"data":nul`, false},
	} {
		if got := errorsFirst([]byte(tc.body)); got != tc.want {
			t.Errorf("errorsFirst(%q) = %v, want %v", tc.body, got, tc.want)
		}
	}
}

// FuzzFieldEnumeration: any answer to a GraphQL request is read without a
// panic, and an alert counts at least minFieldProbeErrors errors.
func FuzzFieldEnumeration(f *testing.F) {
	f.Add(`{"errors":[{"message":"Cannot query field \"a\" on type \"Query\". Did you mean \"b\"?"}]}`)
	f.Add(`{"data":null,"errors":[{"message":"Unknown field \"a\" on type \"Query\""}]}`)
	f.Add(" \n{\"errors\"")
	f.Fuzz(func(t *testing.T, body string) {
		m := &decoders.Message{Method: "POST", URI: "/graphql", Path: "/graphql", Version: "HTTP/1.1",
			Headers: []decoders.Header{{Name: "Content-Type", Value: "application/json"}}, Body: []byte(`{"query":"{ a b c }"}`)}
		x := &decoders.Exchange{Proto: "http/1.1", Request: m, Response: &decoders.Message{Status: 200, Body: []byte(body)}}
		decoders.ExtractParams(x, nil)
		graphqlWhole(x, func(r *rule, p *decoders.Param, matched string) {
			if r == &ruleGQLFieldProbe && !errorsFirst(x.Response.Body) {
				t.Fatalf("reported %s on an answer whose errors do not come first: %q", r.ID, body)
			}
		})
	})
}

// FuzzMayHoldMutation: the cheap tests before a body or a query string is
// parsed say no only when no reading of it spells "mutation".
func FuzzMayHoldMutation(f *testing.F) {
	for _, s := range []string{"mutation", "m%75tation", "%6Dutation", "\\u006dutation", "%5Cu006dutation", "a=1&b=%20", "%", "%7"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		decoded, _ := decoders.URLDecode(s, true)
		spelled := strings.Contains(s, "mutation") || strings.Contains(decoded, "mutation") ||
			strings.Contains(s, `\u`) || strings.Contains(decoded, `\u`)
		if strings.Contains(s, "mutation") || strings.Contains(decoded, "mutation") {
			if !mayHoldMutation(s) {
				t.Errorf("mayHoldMutation(%q) = false; decoded %q", s, decoded)
			}
		}
		if spelled && !bodyMayHoldMutation([]byte(s)) {
			t.Errorf("bodyMayHoldMutation(%q) = false; decoded %q", s, decoded)
		}
	})
}

// TestFingerprintProbe: documents asking only for __typename in a way every
// server refuses are probes; those clients and health checks send, and any
// document asking for another field, are not.
func TestFingerprintProbe(t *testing.T) {
	pad := strings.Repeat(" ", 300)
	for doc, want := range map[string]bool{
		// graphw00f's probes and their variants.
		"query @skip { __typename }":                                             true,
		"query @deprecated { __typename }":                                       true,
		"query @cached { __typename }":                                           true,
		"query @aaa@aaa { __typename }":                                          true,
		"query @include(if: falsee) { __typename }":                              true,
		"query { __typename @deprecated }":                                       true,
		"query { __typename @ deprecated }":                                      true,
		"query { __typename @skip }":                                             true,
		"query { __typename @skip(aa: true) }":                                   true,
		"query { __typename @abc }":                                              true,
		"query { __typename @skip(if: true) @skip(if: true) }":                   true,
		"queryy { __typename }":                                                  true,
		"zzz { __typename }":                                                     true,
		"aa { __typename }":                                                      true,
		"query ! { __typename }":                                                 true,
		"query { alias^:__typename }":                                            true,
		"query { alias1$1:__typename }":                                          true,
		"query {\n alias\n :__typename @deprecated }":                            true,
		"query {alias1 ,:__typename @deprecated}":                                true,
		"query { __typename { } }":                                               true,
		"query  {\n  __typename { \n}\n":                                         true,
		"query { __typename":                                                     true,
		"query { __typename(a: 1) }":                                             true,
		"query aa#aa { __typename }":                                             true,
		"#{\nquery @skip { __typename }":                                         true,
		"query @deprecated(reason: \"x\") { __typename }":                        true,
		"query { graphwoof }":                                                    true,
		"query {\n  graphw00f\n}":                                                true,
		"query { __typename } fragment woof on __Schema { directives { name } }": true,
		"query @skip { __typename } query B { __typename }":                      true,
		"subscription { __typename }":                                            true,
		"query @skip { __typename }" + pad:                                       true,
		pad + "query @skip {" + pad + "__typename }":                             true,
		// What clients and health checks send.
		"{ __typename }":                       false,
		"{__typename}":                         false,
		"query { __typename }":                 false,
		"query Health { __typename }":          false,
		"mutation { ok: __typename }":          false,
		"# health check\n{ __typename }":       false,
		"{ __typename } # ping":                false,
		"{\n __typename\n # TODO\n}":           false,
		"{ __typename, }":                      false,
		"query Health($x: Int) { __typename }": false,
		"query Ping($skip: Boolean!) { __typename @skip(if: $skip) }": false,
		"query { __typename @include(if: true) }":                     false,
		"{ a: __typename b: __typename }":                             false,
		"{ __typename __typename }":                                   false,
		"query { ... on Query { __typename } }":                       false,
		"query { ...F } fragment F on Query { __typename }":           false,
		"query { me { id __typename } }":                              false,
		"query @skip { me { __typename } }":                           false,
		"query { ...F } fragment F on Query { secret }":               false,
		"query A($v: [ID!]! = [1]) { __typename }":                    false,
		"__typename":                              false,
		"query { __schema { __typename } }":       false,
		"query {\n  # __typename\n  me { id }\n}": false,
		"":              false,
		"aaa":           false,
		"query { aaa }": false,
	} {
		if got := fingerprintProbe(doc) != ""; got != want {
			t.Errorf("fingerprintProbe(%q) = %v, want %v", doc, got, want)
		}
	}
}

// TestFingerprintOutcome: an engine that answered a probe in its own words
// — errors, or a root type's name — named itself; one refused before it
// did not, nor one that answered data any engine answers.
func TestFingerprintOutcome(t *testing.T) {
	for _, tc := range []struct {
		r    *decoders.Message
		want alert.Outcome
	}{
		{nil, alert.Outcome_OUTCOME_UNSPECIFIED},
		{&decoders.Message{Status: 200, Body: []byte(`{"errors":[{"message":"Directive \"@skip\" argument \"if\" of type \"Boolean!\" is required, but it was not provided."}]}`)}, alert.Outcome_OUTCOME_LIKELY_SUCCESSFUL},
		{&decoders.Message{Status: 400, Body: []byte(`{"syntaxError":"Syntax error while parsing GraphQL query. Invalid input \"queryy\""}`)}, alert.Outcome_OUTCOME_LIKELY_SUCCESSFUL},
		{&decoders.Message{Status: 200, Body: []byte(`{"data":{"__typename":"query_root"}}`)}, alert.Outcome_OUTCOME_LIKELY_SUCCESSFUL},
		{&decoders.Message{Status: 200, Body: []byte(`{"data":{"alias1$1":"QueryRoot"}}`)}, alert.Outcome_OUTCOME_LIKELY_SUCCESSFUL},
		{&decoders.Message{Status: 401, Body: []byte(`{"errors":[{"message":"Unauthorized"}]}`)}, alert.Outcome_OUTCOME_BLOCKED},
		{&decoders.Message{Status: 403, Body: []byte(`<html>Forbidden</html>`)}, alert.Outcome_OUTCOME_BLOCKED},
		{&decoders.Message{Status: 200, Body: []byte(`{"data":{"__typename":"Query"}}`)}, alert.Outcome_OUTCOME_ATTEMPTED},
	} {
		x := &decoders.Exchange{Response: tc.r}
		if got := fingerprintOutcome(x); got != tc.want {
			t.Errorf("%v: %v, want %v", tc.r, got, tc.want)
		}
	}
}

// FuzzFingerprintProbe: any document is read without a panic; a health
// check's typename query, with any of what GraphQL ignores put between its
// tokens, is never a probe, and the same query with a directive on its
// operation always is.
func FuzzFingerprintProbe(f *testing.F) {
	f.Add("query @skip { __typename }", " ", uint8(0))
	f.Add("query aa#aa { __typename }", ",", uint8(1))
	f.Add("{\n#__typename\n{", "# x\n", uint8(2))
	f.Fuzz(func(t *testing.T, doc, ignored string, form uint8) {
		fingerprintProbe(doc)
		// What GraphQL ignores: white space, commas, comments.
		if strings.Trim(ignored, " \t\r\n,") != "" && !(strings.HasPrefix(strings.TrimLeft(ignored, " \t,"), "#") && strings.HasSuffix(ignored, "\n") && !strings.ContainsAny(strings.TrimSuffix(ignored, "\n"), "\r\n")) {
			return
		}
		plain := [...][]string{
			{"{", "__typename", "}"},
			{"query", "Health", "{", "ok", ":", "__typename", "}"},
			{"query", "(", "$x", ":", "Int", ")", "{", "__typename", "@include", "(", "if", ":", "$x", ")", "}"},
		}[form%3]
		doc = strings.Join(plain, ignored+" ")
		if p := fingerprintProbe(doc); p != "" {
			t.Fatalf("a health check read as a probe: %q", doc)
		}
		if i := slices.Index(plain, "{"); i >= 0 {
			probe := append([]string{"query", "@skip", ignored}, plain[i:]...)
			if d := strings.Join(probe, " "); fingerprintProbe(d) == "" {
				t.Fatalf("a directive on the operation not read as a probe: %q", d)
			}
		}
	})
}
