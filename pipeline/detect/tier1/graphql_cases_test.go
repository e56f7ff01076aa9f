package tier1_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/apisensor/sensor/decoders"
	"github.com/apisensor/sensor/pipeline/alert"
	"github.com/apisensor/sensor/pipeline/detect"
	"github.com/apisensor/sensor/pipeline/detect/tier1"
)

// gqlCase is one GraphQL request as a tool or a client sends it, over each
// transport GraphQL travels by (a reviewer's probe list: InQL,
// graphql-cop, CrackQL, BatchQL, GraphQLmap, graphw00f, Clairvoyance, and
// the queries of GitHub's, Shopify's and Apollo's clients). WS, when set,
// is a WebSocket client message (no HTTP request). Want says what should
// fire (gqlWant reads it).
type gqlCase struct {
	Name      string `json:"name"`
	Label     string `json:"label"` // attack | benign
	Tool      string `json:"tool"`
	Transport string `json:"transport"`
	Want      string `json:"want"` // what should fire (attack) or note
	req       *http.Request
	WS        string `json:"ws,omitempty"`
}

const ep = "http://api.example.com/graphql"

func jsonBody(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func mkReq(method, u, ct, body string) *http.Request {
	var r *http.Request
	if body == "" {
		r = httptest.NewRequest(method, u, nil)
	} else {
		r = httptest.NewRequest(method, u, strings.NewReader(body))
	}
	if ct != "" {
		r.Header.Set("Content-Type", ct)
	}
	r.Header.Set("User-Agent", "python-requests/2.31.0")
	r.Header.Set("Accept", "application/json")
	return r
}

func postJSON(q string) *http.Request {
	return mkReq("POST", ep, "application/json", jsonBody(map[string]any{"query": q}))
}
func postJSONv(q string, vars any, op string) *http.Request {
	m := map[string]any{"query": q, "variables": vars}
	if op != "" {
		m["operationName"] = op
	}
	return mkReq("POST", ep, "application/json", jsonBody(m))
}
func postRaw(body string) *http.Request { return mkReq("POST", ep, "application/json", body) }
func postGQL(q string) *http.Request    { return mkReq("POST", ep, "application/graphql", q) }
func getQ(q string) *http.Request {
	return mkReq("GET", ep+"?query="+url.QueryEscape(q), "", "")
}
func getVals(v url.Values) *http.Request { return mkReq("GET", ep+"?"+v.Encode(), "", "") }
func postForm(q string) *http.Request {
	return mkReq("POST", ep, "application/x-www-form-urlencoded", url.Values{"query": {q}}.Encode())
}
func postMultipart(ops string) *http.Request {
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	w.WriteField("operations", ops)
	w.WriteField("map", `{"0":["variables.file"]}`)
	fw, _ := w.CreateFormFile("0", "a.txt")
	fw.Write([]byte("hello\n"))
	w.Close()
	return mkReq("POST", ep, w.FormDataContentType(), b.String())
}
func wsTransport(id, q string) string { // graphql-transport-ws (graphql-ws lib)
	return jsonBody(map[string]any{"id": id, "type": "subscribe", "payload": map[string]any{"query": q, "variables": map[string]any{}}})
}
func wsLegacy(id, q string) string { // subscriptions-transport-ws
	return jsonBody(map[string]any{"id": id, "type": "start", "payload": map[string]any{"query": q, "variables": map[string]any{}}})
}

func friendsNest(n int) string {
	return "query { user(id: 1) { " + strings.Repeat("friends { ", n) + "name" + strings.Repeat(" }", n) + " } }"
}
func aliases(n int, f func(i int) string) string {
	var b strings.Builder
	for i := 1; i <= n; i++ {
		b.WriteString(f(i))
		b.WriteString("\n")
	}
	return b.String()
}

const introspectionQuery = `query IntrospectionQuery {
  __schema {
    queryType { name }
    mutationType { name }
    subscriptionType { name }
    types { ...FullType }
    directives { name description locations args { ...InputValue } }
  }
}
fragment FullType on __Type {
  kind name description
  fields(includeDeprecated: true) { name description args { ...InputValue } type { ...TypeRef } isDeprecated deprecationReason }
  inputFields { ...InputValue }
  interfaces { ...TypeRef }
  enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
  possibleTypes { ...TypeRef }
}
fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue }
fragment TypeRef on __Type { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } } }`

// introspectionFragFirst: the same document with fragments first (as
// Altair / some InQL versions / Postman print it).
var introspectionFragFirst = func() string {
	i := strings.Index(introspectionQuery, "fragment FullType")
	return introspectionQuery[i:] + "\n" + introspectionQuery[:i]
}()

func deepFragments(n int) string {
	var b strings.Builder
	b.WriteString("query { user(id: 1) { ...F0 } }\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "fragment F%d on User { friends { ...F%d } }\n", i, i+1)
	}
	fmt.Fprintf(&b, "fragment F%d on User { name }\n", n)
	return b.String()
}

func loginAliases(n int, sep string) string {
	return "mutation {\n" + aliases(n, func(i int) string {
		return fmt.Sprintf(`  alias%d%s: login(username: "admin", password: "pass%04d") { accessToken }`, i, sep, i)
	}) + "}"
}

func gqlCases() []gqlCase {
	var cs []gqlCase
	add := func(name, label, tool, transport, want string, r *http.Request) {
		cs = append(cs, gqlCase{Name: name, Label: label, Tool: tool, Transport: transport, Want: want, req: r})
	}
	ws := func(name, label, tool, want, msg string) {
		cs = append(cs, gqlCase{Name: name, Label: label, Tool: tool, Transport: "websocket", Want: want, WS: msg})
	}
	A, B := "attack", "benign"

	// ---------- Introspection ----------
	add("introspection full (InQL/GraphiQL/graphql-voyager)", A, "InQL", "post-json", "introspection", postJSONv(introspectionQuery, nil, "IntrospectionQuery"))
	add("graphql-cop introspection", A, "graphql-cop", "post-json", "introspection", postJSON("query cop { __schema { types { name fields { name } } } }"))
	add("introspection newline after __schema", A, "bypass", "post-json", "introspection", postJSON("query {__schema\n{queryType{name}types{name}}}"))
	add("introspection comment after __schema", A, "bypass", "post-json", "introspection", postJSON("query { __schema #x\n { types { name } } }"))
	add("introspection comma after __schema", A, "bypass", "post-json", "introspection", postJSON("{__schema,{types{name}}}"))
	add("__type(name:)", A, "Clairvoyance/manual", "post-json", "introspection", postJSON(`{ __type(name: "User") { name fields { name type { name kind } } } }`))
	add("__type newline before (", A, "bypass", "post-json", "introspection", postJSON("{ __type\n(name: \"User\") { fields { name } } }"))
	add("__type comment before (", A, "bypass", "post-json", "introspection", postJSON("{ __type #c\n(name: \"User\") { fields { name } } }"))
	add("__type comma before (", A, "bypass", "post-json", "introspection", postJSON("{ __type,(name: \"User\") { fields { name } } }"))
	add("introspection aliased", A, "bypass", "post-json", "introspection", postJSON("{ s: __schema { types { name } } }"))
	add("introspection over GET", A, "graphql-cop/InQL", "get", "introspection", getQ("query { __schema { types { name fields { name } } } }"))
	add("full introspection over GET (InQL GET mode)", A, "InQL", "get", "introspection", getQ(introspectionQuery))
	add("introspection via fragment on Query", A, "bypass", "post-json", "introspection", postJSON("query { ...Q }\nfragment Q on Query { __schema { types { name } } }"))
	add("introspection in persisted-query POST (APQ register)", A, "manual", "post-json", "introspection",
		postRaw(`{"query":"{__schema{types{name}}}","extensions":{"persistedQuery":{"version":1,"sha256Hash":"8b1a9953c4611296a827abf8c47804d7e6c49c6b5d1b1b1b1b1b1b1b1b1b1b1b"}}}`))
	add("introspection in persisted-query GET (APQ)", A, "manual", "get", "introspection",
		getVals(url.Values{"query": {"{__schema{types{name}}}"}, "extensions": {`{"persistedQuery":{"version":1,"sha256Hash":"8b1a9953c4611296a827abf8c47804d7e6c49c6b5d1b1b1b1b1b1b1b1b1b1b1b"}}`}}))
	add("introspection application/graphql", A, "GraphQLmap", "app-graphql", "introspection", postGQL("{__schema{types{name}}}"))
	add("introspection application/graphql fragments first", A, "Altair/Postman export", "app-graphql", "introspection", postGQL(introspectionFragFirst))
	add("introspection application/graphql leading comment", A, "bypass", "app-graphql", "introspection", postGQL("# schema dump\nquery { __schema { types { name } } }"))
	add("introspection application/graphql leading comma", A, "bypass", "app-graphql", "introspection", postGQL(",{__schema{types{name}}}"))
	add("introspection application/graphql leading BOM", A, "bypass", "app-graphql", "introspection", postGQL("\ufeff{__schema{types{name}}}"))
	add("introspection JSON fragments first", A, "Altair", "post-json", "introspection", postJSON(introspectionFragFirst))
	add("introspection form-urlencoded", A, "graphql-cop csrf/bypass", "post-form", "introspection", postForm("query { __schema { types { name } } }"))
	add("introspection multipart operations", A, "bypass", "multipart", "introspection", postMultipart(`{"query":"query { __schema { types { name } } }","variables":{"file":null}}`))
	add("introspection in array batch", A, "BatchQL", "post-json-batch", "introspection", postRaw(`[{"query":"{__typename}"},{"query":"{__schema{types{name}}}"}]`))
	ws("introspection graphql-transport-ws subscribe", A, "manual", "introspection", wsTransport("1", "query { __schema { types { name } } }"))
	ws("introspection subscriptions-transport-ws start", A, "manual", "introspection", wsLegacy("1", "query { __schema { types { name } } }"))
	// Its nesting (11) is within the limit: the introspection counts.
	add("graphql-cop circular introspection", A, "graphql-cop", "post-json", "introspection", postJSON("query cop { __schema { types { fields { type { fields { type { fields { type { fields { type { name } } } } } } } } } } }"))
	add("graphql-cop field suggestions probe", A, "graphql-cop", "post-json", "introspection(probe)", postJSON("query cop { __schema { directive } }"))

	// ---------- Fingerprinting / probes ----------
	add("graphw00f probe query @skip", A, "graphw00f", "post-json", "fingerprint", postJSON("query @skip {\n__typename\n}"))
	add("graphw00f probe queryy", A, "graphw00f", "post-json", "fingerprint", postJSON("queryy {\n__typename\n}"))
	// The rest of graphw00f's probes, as it sends them: {"query": …}.
	for i, q := range []string{
		"\n      query @deprecated {\n        __typename\n      }\n    ",
		"\n    query {\n      alias^:__typename\n    }  \n    ",
		"\n      query @cached {\n        __typename\n      }\n    ",
		" \n      query ! {\n        __typename\n      }\n    ",
		"\n      query { \n       __typename {  \n      }\n    ",
		"\n      query { \n        __typename @skip\n      }\n    ",
		"\n     zzz { \n        __typename \n      }\n    ",
		"\n      query {\n        alias1:__typename @deprecated\n      }\n    ",
		"\n     query @aaa@aaa { \n        __typename \n      }\n    ",
		"\n      query { \n        __typename @abc \n      }\n    ",
		" \n     query {\n       alias1$1:__typename\n     }\n    ",
		"query aa#aa { __typename }",
		" \n      query @doesnotexist {\n        __typename\n      }\n    ",
		"\n      query  {\n      alias^_:__typename { \n    }\n    ",
		"\n      query @a { __typename }\n    ",
		"\n      query { graphwoof }\n    ",
		"\n      queryy { \n        __typename\n      }\n    ",
	} {
		add(fmt.Sprintf("graphw00f probe %d", i), A, "graphw00f", "post-json", "fingerprint", postJSON(q))
	}
	add("graphw00f probe in a GET query", A, "graphw00f-like", "get", "fingerprint", getQ("query @skip { __typename }"))
	add("probe with JSON escapes", A, "evasion", "post-json", "fingerprint", postRaw(`{"query":"query @skip { \u005f\u005ftypename }"}`))
	add("probe percent-encoded in a GET", A, "evasion", "get", "fingerprint", mkReq("GET", ep+"?query=query%20%40skip%20%7B%20%5F%5Ftypename%20%7D", "", ""))
	add("probe in a form", A, "evasion", "post-form", "fingerprint", postForm("query @skip { __typename }"))
	add("probe as application/graphql", A, "evasion", "app-graphql", "fingerprint", postGQL("query @skip { __typename }"))
	add("probe in a multipart operations field", A, "evasion", "multipart", "fingerprint", postMultipart(`{"query":"queryy { __typename }","variables":{}}`))
	add("probe second in a batch", A, "evasion", "post-json-batch", "fingerprint", postRaw(`[{"query":"{ __typename }"},{"query":"query @deprecated { __typename }"}]`))
	add("probe padded past 256 bytes", A, "evasion", "post-json", "fingerprint", postJSON("query @skip {"+strings.Repeat(" ", 400)+"__typename }"))
	add("subscription probe (graphql-yoga)", A, "graphw00f", "post-json", "fingerprint", postJSON("subscription { __typename }"))
	add("health check with a comment and variables", B, "health check", "post-json", "none", postJSON("# liveness\nquery Health($x: Int) {\n  __typename,\n}"))
	add("typename under a variable's @include", B, "client", "post-json", "none", postJSON("query Ping($on: Boolean!) { __typename @include(if: $on) }"))
	add("health check { __typename }", B, "health check", "post-json", "none", postJSON("{ __typename }"))
	add("health check query with a name", B, "health check", "post-json", "none", postJSON("query HealthCheck {\n  __typename\n}\n"))
	add("health check aliased over GET", B, "health check", "get", "none", getQ("query { ok: __typename }"))
	add("graphw00f liveness check", B, "graphw00f", "post-json", "none", postJSON("\n      query {\n        __typename\n      }\n    "))
	add("graphql-cop GET __typename", A, "graphql-cop", "get", "probe (single)", getQ("query cop {__typename}"))
	add("graphql-cop mutation over GET", A, "graphql-cop", "get", "mutation-over-GET (csrf)", getQ("mutation cop {__typename}"))
	add("a field named for mutations, over GET", B, "web app", "get", "none", getQ("query Log { mutationLog(last: 5) { id mutation } }"))
	add("an operation named mutation, over GET", B, "web app", "get", "none", getQ("query mutation { me { id } }"))
	add("operationName selects the query of a query and a mutation, over GET", B, "web app", "get", "none",
		getVals(url.Values{"query": {"query Get { me { id } } mutation Set { setName(n: \"x\") { ok } }"}, "operationName": {"Get"}}))
	add("operationName selects the mutation, over GET", A, "CSRF", "get", "mutation-over-GET (csrf)",
		getVals(url.Values{"query": {"query Get { me { id } } mutation Set { setEmail(e: \"a@evil.example\") { ok } }"}, "operationName": {"Set"}}))
	add("a mutation behind a 9 KB comment, over GET", A, "CSRF", "get", "mutation-over-GET (csrf)",
		getQ("# "+strings.Repeat("x", 9000)+"\nmutation { deleteAccount { ok } }"))
	add("a mutation with a block string, over GET", A, "CSRF", "get", "mutation-over-GET (csrf)", getQ(`mutation { deleteAccount(reason: """bye""") { ok } }`))
	add("a mutation past the parameter bound, over GET", A, "CSRF", "get", "mutation-over-GET (csrf)",
		mkReq("GET", ep+"?"+strings.Repeat("a=1&", 1100)+"query="+url.QueryEscape("mutation { deleteAccount { ok } }"), "", ""))
	add("graphql-cop POST url-encoded", A, "graphql-cop", "post-form", "probe (csrf)", postForm("query {__typename}"))

	// ---------- Depth ----------
	add("depth 15 JSON", A, "manual/GraphQLmap", "post-json", "depth", postJSON(friendsNest(15)))
	add("depth 50 JSON", A, "manual", "post-json", "depth", postJSON(friendsNest(50)))
	add("depth 15 GET", A, "manual", "get", "depth", getQ(friendsNest(15)))
	add("depth 30 application/graphql", A, "manual", "app-graphql", "depth", postGQL(friendsNest(30)))
	add("depth 30 form", A, "manual", "post-form", "depth", postForm(friendsNest(30)))
	add("depth 30 multipart", A, "manual", "multipart", "depth", postMultipart(jsonBody(map[string]any{"query": friendsNest(30), "variables": map[string]any{"file": nil}})))
	ws("depth 30 graphql-transport-ws", A, "manual", "depth", wsTransport("1", "subscription { messageAdded { "+strings.Repeat("author { friends { ", 15)+"name"+strings.Repeat(" } }", 15)+" } }"))
	add("depth 20 via fragment chain", A, "manual", "post-json", "depth", postJSON(deepFragments(20)))
	add("circular fragments", A, "graphql-cop/manual", "post-json", "depth/circular", postJSON("query { user(id: 1) { ...A } }\nfragment A on User { name friends { ...B } }\nfragment B on User { name friends { ...A } }"))
	add("graphql-cop circular fragment", A, "graphql-cop", "post-json", "circular (+introspection)", postJSON("\n    query {\n        __schema { \n          ...A\n        }\n    }\n\n    fragment A on __Schema {\n        __typename\n        ...B\n    }\n\n    fragment B on __Schema {\n        ...A\n    }\n"))
	// Ten levels once inline fragments are not counted (as
	// graphql-depth-limit counts): within the limit.
	add("depth 10 through inline fragments", B, "manual", "post-json", "none", postJSON("query { node(id: \"1\") { "+strings.Repeat("... on User { friends { ", 8)+"id"+strings.Repeat(" } }", 8)+" } }"))
	// deep + padded so that each half of the cut value sees < 11 levels
	{
		pad := strings.Repeat("name email createdAt ", 45) // ~945 bytes per level
		var b strings.Builder
		b.WriteString("query {")
		for i := 0; i < 20; i++ {
			b.WriteString(" friends { " + pad)
		}
		b.WriteString(" id" + strings.Repeat(" }", 20) + " }")
		add("depth 21 padded to ~19KB (head/tail cut)", A, "evasion", "post-json", "depth", postJSON(b.String()))
	}
	{
		q := "query { " + strings.Repeat("#"+strings.Repeat("x", 200)+"\n", 45) + friendsNest(15)[8:]
		add("depth 16 after 9KB comment padding", A, "evasion", "post-json", "depth", postJSON(q))
	}

	// ---------- Aliases ----------
	add("CrackQL login aliases x100", A, "CrackQL", "post-json", "aliases", postJSON(loginAliases(100, "")))
	// At the limit (more than 20 counts), a known gap: CrackQL's own
	// default is 100 a request (the x1000 case below).
	add("CrackQL login aliases x20", A, "CrackQL -b 20", "post-json", "at the limit", postJSON(loginAliases(20, "")))
	add("graphql-cop alias overloading x101 __typename", A, "graphql-cop", "post-json", "aliases", postJSON("query cop { "+aliases(101, func(i int) string { return fmt.Sprintf("alias%d:__typename", i-1) })+" }"))
	add("OTP brute force aliases x1000 (CrackQL default)", A, "CrackQL", "post-json", "aliases",
		postJSON("mutation {"+aliases(1000, func(i int) string { return fmt.Sprintf("a%d: verifyOtp(code: \"%04d\") { ok }", i, i) })+"}"))
	add("aliases x100 via GET", A, "CrackQL-like", "get", "aliases", getQ("query {"+aliases(100, func(i int) string { return fmt.Sprintf("u%d: user(id: %d) { email }", i, i) })+"}"))
	add("aliases x100 application/graphql", A, "CrackQL-like", "app-graphql", "aliases", postGQL(loginAliases(100, "")))
	add("aliases x100 form", A, "CrackQL-like", "post-form", "aliases", postForm(loginAliases(100, "")))
	add("aliases x100 multipart", A, "CrackQL-like", "multipart", "aliases", postMultipart(jsonBody(map[string]any{"query": loginAliases(100, ""), "variables": map[string]any{"file": nil}})))
	ws("aliases x100 graphql-transport-ws", A, "manual", "aliases", wsTransport("1", "query {"+aliases(100, func(i int) string { return fmt.Sprintf("u%d: user(id: %d) { email }", i, i) })+"}"))
	add("aliases x100 with BOM before colon", A, "evasion", "post-json", "aliases", postJSON(loginAliases(100, "\ufeff")))
	{
		q := "mutation { x: __typename(a: \"\\u0022\")\n" + loginAliases(100, "")[len("mutation {"):]
		add("aliases x100 after \"\\u0022\" string (scanner desync)", A, "evasion", "post-json", "aliases", postJSON(q))
	}
	{
		q := "mutation { a0: ping(s: \"%22\") { ok }\n" + loginAliases(100, "")[len("mutation {"):]
		add("aliases x100 after \"%22\" string (scanner desync)", A, "evasion", "post-json", "aliases", postJSON(q))
	}
	{
		q := "mutation { a0: ping(s: \"&quot;\") { ok }\n" + loginAliases(100, "")[len("mutation {"):]
		add("aliases x100 after \"&quot;\" string (scanner desync)", A, "evasion", "post-json", "aliases", postJSON(q))
	}
	add("aliases x100 inside fragments", A, "manual", "post-json", "aliases", postJSON("query { ...F }\nfragment F on Query {"+aliases(100, func(i int) string { return fmt.Sprintf("u%d: user(id: %d) { email }", i, i) })+"}"))

	// ---------- Batching ----------
	{
		var ops []map[string]any
		for i := 0; i < 11; i++ {
			ops = append(ops, map[string]any{"query": "query { __typename }"})
		}
		add("graphql-cop array batch x11", A, "graphql-cop", "post-json-batch", "batch", postRaw(jsonBody(ops)))
	}
	{
		var ops []map[string]any
		for i := 0; i < 100; i++ {
			ops = append(ops, map[string]any{"query": "mutation Login($u: String!, $p: String!) { login(username: $u, password: $p) { accessToken } }", "variables": map[string]any{"u": "admin", "p": fmt.Sprintf("pass%d", i)}, "operationName": "Login"})
		}
		add("BatchQL/CrackQL array batch login x100", A, "BatchQL", "post-json-batch", "batch", postRaw(jsonBody(ops)))
	}
	{
		var ops []map[string]any
		for i := 0; i < 100; i++ {
			ops = append(ops, map[string]any{"operationName": "Login", "variables": map[string]any{"u": "admin", "p": fmt.Sprintf("pass%d", i)},
				"extensions": map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": "5a8bd4b2e9fd1b1f6b1a6b4de1c1c4e3b6c6a0b6f0d1b0c3a3e0c8d4e2b1a0f9"}}})
		}
		add("APQ array batch login x100 (hash only)", A, "manual (Apollo APQ)", "post-json-batch", "batch", postRaw(jsonBody(ops)))
	}
	{
		var ops []map[string]any
		for i := 0; i < 100; i++ {
			ops = append(ops, map[string]any{"id": "LoginMutation_7f3a", "variables": map[string]any{"u": "admin", "p": fmt.Sprintf("pass%d", i)}})
		}
		add("Relay persisted-id array batch x100", A, "manual (Relay/Hot Chocolate)", "post-json-batch", "batch", postRaw(jsonBody(ops)))
	}
	{
		var b strings.Builder
		var names []string
		for i := 0; i < 50; i++ {
			fmt.Fprintf(&b, "mutation L%d { login(username: \"admin\", password: \"pass%d\") { accessToken } }\n", i, i)
			names = append(names, fmt.Sprintf("L%d", i))
		}
		r := mkReq("POST", ep+"?batchOperations=["+strings.Join(names, ",")+"]", "application/json", jsonBody(map[string]any{"query": b.String()}))
		add("Hot Chocolate operation batching x50 operations", A, "manual (HotChocolate)", "post-json", "batch (many operations)", r)
	}
	{
		var ops []string
		for i := 0; i < 50; i++ {
			ops = append(ops, wsTransport(fmt.Sprint(i), "subscription { onMessage { id } }"))
		}
		// Not a single message: recorded as one sample message only
		_ = ops
	}

	// ---------- Directive overloading / field duplication / suggestions ----------
	add("graphql-cop directive overloading x10", A, "graphql-cop", "post-json", "directives", postJSON("query { __typename @aa@aa@aa@aa@aa@aa@aa@aa@aa@aa }"))
	add("directive overloading x5000", A, "manual (CVE-style DoS)", "post-json", "directives", postJSON("query { __typename "+strings.Repeat("@aa", 5000)+" }"))
	add("graphql-cop field duplication x500", A, "graphql-cop", "post-json", "field duplication", postJSON("query { "+strings.Repeat("__typename \n", 500)+"} "))
	add("field duplication x5000 nested", A, "manual", "post-json", "field duplication", postJSON("query { user(id: 1) { "+strings.Repeat("posts { id } ", 2000)+"} }"))
	{
		words := []string{"acount", "accounts", "addres", "adminn", "apiKey", "auth", "balance", "billing", "card", "cart", "config", "coupon", "credential", "debug", "emails", "employee", "file", "flag", "group", "hash", "internal", "invoice", "key", "ledger", "log", "member", "notes", "order", "passwd", "payment", "permission", "pin", "private", "profile", "role", "secret", "session", "setting", "ssn", "staff", "system", "tenant", "token", "transfer", "upload", "userr", "wallet", "webhook"}
		add("Clairvoyance field-suggestion bucket (48 invalid fields)", A, "Clairvoyance", "post-json", "field suggestion brute force", postJSON("query { "+strings.Join(words, " ")+" }"))
		add("Clairvoyance arg probe", A, "Clairvoyance", "post-json", "field suggestion brute force", postJSON("query { user("+strings.Join(func() []string {
			var s []string
			for _, w := range words {
				s = append(s, w+": 7")
			}
			return s
		}(), ", ")+") }"))
	}

	{
		pad := strings.Repeat("#"+strings.Repeat("x", 200)+"\n", 45)
		add("depth 16 between 9KB comment paddings", A, "evasion", "post-json", "depth", postJSON(pad+friendsNest(15)+"\n"+pad))
		add("aliases x100 between 9KB comment paddings", A, "evasion", "post-json", "aliases", postJSON(pad+loginAliases(100, "")+"\n"+pad))
		add("introspection between 9KB comment paddings", A, "evasion", "post-json", "introspection", postJSON(pad+"{__schema{types{name}}}\n"+pad))
	}
	add("subscription application/graphql depth 30", A, "manual", "app-graphql", "depth", postGQL("subscription { onEvent { "+strings.Repeat("parent { ", 29)+"id"+strings.Repeat(" }", 29)+" } }"))
	{
		words := []string{}
		for i := 0; i < 64; i++ {
			words = append(words, fmt.Sprintf("w%dname", i))
		}
		add("Clairvoyance default bucket (64 invalid fields)", A, "Clairvoyance", "post-json", "field suggestion brute force", postJSON("query { "+strings.Join(words, " ")+" }"))
	}
	// ---------- BENIGN ----------
	add("Apollo Client query with __typename everywhere", B, "Apollo Client", "post-json", "none", postJSONv(`query GetDogs($first: Int!) {
  dogs(first: $first) {
    id
    breed
    displayImage
    owner { id name avatar { url width height __typename } __typename }
    __typename
  }
}`, map[string]any{"first": 20}, "GetDogs"))
	githubPR := `query PullRequests($owner: String!, $name: String!, $after: String) {
  repository(owner: $owner, name: $name) {
    id nameWithOwner
    pullRequests(first: 25, after: $after, states: OPEN, orderBy: {field: UPDATED_AT, direction: DESC}) {
      pageInfo { hasNextPage endCursor }
      edges {
        node {
          ...PRFields
          reviews(first: 10) { nodes { author { login ...AvatarFields } state submittedAt } }
          commits(last: 1) { nodes { commit { oid statusCheckRollup { state contexts(first: 20) { nodes { ... on CheckRun { name conclusion } ... on StatusContext { context state } } } } } } }
        }
      }
    }
  }
}
fragment PRFields on PullRequest { number title url isDraft createdAt updatedAt author { login ...AvatarFields } labels(first: 10) { nodes { name color } } }
fragment AvatarFields on Actor { avatarUrl(size: 40) url }`
	add("GitHub GraphQL PR list (fragments, depth ~11 incl. statusCheckRollup)", B, "GitHub web/gh CLI", "post-json", "none", postJSONv(githubPR, map[string]any{"owner": "golang", "name": "go", "after": nil}, "PullRequests"))
	add("GitHub review threads (relay edges, depth 12)", B, "GitHub API client", "post-json", "none", postJSONv(`query($owner:String!,$repo:String!,$pr:Int!){
  repository(owner:$owner,name:$repo){
    pullRequest(number:$pr){
      reviewThreads(first:50){
        edges{ node{ isResolved
          comments(first:50){ edges{ node{ body author{ login } reactionGroups{ content users(first:5){ edges{ node{ login } } } } } } }
        } }
      }
    }
  }
}`, map[string]any{"owner": "o", "repo": "r", "pr": 1}, ""))
	shopify := `query getProductById($id: ID!) @inContext(country: US) {
  product(id: $id) {
    id title handle descriptionHtml
    featuredImage { url altText width height }
    priceRange { minVariantPrice { amount currencyCode } maxVariantPrice { amount currencyCode } }
    options { id name values }
    variants(first: 250) {
      edges { node { id title availableForSale quantityAvailable
        selectedOptions { name value }
        price { amount currencyCode }
        compareAtPrice { amount currencyCode }
        image { url altText }
      } }
    }
    collections(first: 5) { edges { node { id handle title products(first: 4) { edges { node { id handle title featuredImage { url } priceRange { minVariantPrice { amount currencyCode } } } } } } } }
    seo { title description }
  }
}`
	add("Shopify Storefront product (depth ~9-10)", B, "Shopify Hydrogen", "post-json", "none", postJSONv(shopify, map[string]any{"id": "gid://shopify/Product/1"}, "getProductById"))
	add("GitHub aliased batch fetch of 30 repos", B, "dashboard / renovate-like", "post-json", "none (arguably)", postJSON("query {\n"+aliases(30, func(i int) string {
		return fmt.Sprintf(`  repo%d: repository(owner: "org", name: "svc-%d") { stargazerCount pushedAt defaultBranchRef { name } }`, i, i)
	})+"}"))
	add("few aliases (UI comparing 3 products)", B, "web app", "post-json", "none", postJSON(`query { a: product(id: "1") { ...P } b: product(id: "2") { ...P } c: product(id: "3") { ...P } }
fragment P on Product { id title price { amount } __typename }`))
	add("Star Wars Apollo example aliases+fragments", B, "Apollo docs", "post-json", "none", postJSON(`query HeroComparison($first: Int = 3) {
  leftComparison: hero(episode: EMPIRE) { ...comparisonFields }
  rightComparison: hero(episode: JEDI) { ...comparisonFields }
}
fragment comparisonFields on Character {
  name
  friendsConnection(first: $first) { totalCount edges { node { name } } }
}`))
	{
		var ops []map[string]any
		for i, q := range []string{"query Me { me { id name __typename } }", "query Notifs { notifications(first: 5) { id read __typename } }", "query Cart { cart { id lines { id quantity } __typename } }", "query Flags { featureFlags { key enabled } }"} {
			_ = i
			ops = append(ops, map[string]any{"operationName": strings.Fields(q)[1], "variables": map[string]any{}, "query": q})
		}
		add("Apollo BatchHttpLink batch of 4", B, "Apollo Client", "post-json-batch", "none", postRaw(jsonBody(ops)))
	}
	{
		var ops []map[string]any
		for i := 0; i < 10; i++ {
			ops = append(ops, map[string]any{"operationName": "Item", "variables": map[string]any{"id": i}, "query": "query Item($id: ID!) { item(id: $id) { id name __typename } }"})
		}
		add("Apollo BatchHttpLink batch of 10 (default batchMax)", B, "Apollo Client", "post-json-batch", "none", postRaw(jsonBody(ops)))
	}
	{
		var ops []map[string]any
		for i := 0; i < 15; i++ {
			ops = append(ops, map[string]any{"operationName": "Item", "variables": map[string]any{"id": i}, "query": "query Item($id: ID!) { item(id: $id) { id name __typename } }"})
		}
		add("batch of 15 (list view, BatchHttpLink batchMax:20)", B, "Apollo Client", "post-json-batch", "none (arguable)", postRaw(jsonBody(ops)))
	}
	{
		items := []map[string]any{}
		for i := 0; i < 200; i++ {
			items = append(items, map[string]any{"sku": fmt.Sprintf("SKU-%d", i), "qty": i % 5, "meta": map[string]any{"note": "gift: yes {wrap}", "tags": []string{"a", "b"}}})
		}
		add("mutation with large JSON variables", B, "web app", "post-json", "none", postJSONv("mutation AddLines($lines: [CartLineInput!]!) { cartLinesAdd(lines: $lines) { cart { id totalQuantity } userErrors { field message } } }", map[string]any{"lines": items}, "AddLines"))
	}
	add("APQ GET hash only", B, "Apollo Client APQ", "get", "none", getVals(url.Values{"operationName": {"GetDogs"}, "variables": {`{"first":20}`}, "extensions": {`{"persistedQuery":{"version":1,"sha256Hash":"ecf4edb46db40b5132295c0291d62fb65d6759a9eedfa4d5d612dd5ec54a6b38"}}`}}))
	add("Apollo GET query (useGETForQueries)", B, "Apollo Client", "get", "none", getVals(url.Values{"operationName": {"GetDogs"}, "query": {"query GetDogs { dogs { id breed __typename } }"}, "variables": {`{}`}}))
	add("GraphiQL schema load (dev)", B, "GraphiQL IDE", "post-json", "introspection (dev benign / prod alert)", postJSONv(introspectionQuery, map[string]any{}, "IntrospectionQuery"))
	add("runtime enum lookup via __type", B, "web app form", "post-json", "introspection (benign runtime use)", postJSON(`query { __type(name: "OrderStatus") { enumValues { name description } } }`))
	add("Apollo Client possibleTypes (fragment matcher) query", B, "Apollo Client 2 IntrospectionFragmentMatcher", "post-json", "introspection (benign)", postJSON(`{ __schema { types { kind name possibleTypes { name } } } }`))
	add("string containing braces and colons", B, "web app", "post-json", "none", postJSONv(`mutation { createNote(text: "config: { a: 1, b: { c: { d: { e: { f: { g: { h: { i: { j: { k: 1 }}}}}}}}}}}", tags: ["a:b","c:d"]) { id } }`, nil, ""))
	add("block string description with braces", B, "web app", "post-json", "none", postJSON("mutation { createSnippet(code: \"\"\"\nfunc main() { if x { for { select { case <-c: { { { { { { { } } } } } } } } } } }\n\"\"\") { id } }"))
	add("string with escaped quote then aliases", B, "web app", "post-json", "none", postJSON(`query { search(q: "say \"hi\"") { a: id b: title } }`))
	add("query with URL-encoded string value", B, "web app", "post-json", "none", postJSON(`mutation { track(url: "https://shop.example/?q=%22red%20shoes", ref: "x") { ok } a: me { id } }`))
	add("Hasura where filter deep input object", B, "Hasura client", "post-json", "none", postJSON(`query { orders(where: {_and: [{status: {_eq: "paid"}}, {customer: {address: {city: {_eq: "Paris"}}}}, {items: {product: {category: {parent: {name: {_eq: "x"}}}}}}]}, limit: 10) { id total customer { name } } }`))
	add("Elasticsearch-style JSON query field (not GraphQL)", B, "search API", "post-json", "none", postRaw(`{"query":"title:(graphql OR rest) AND {a TO b}","size":10}`))
	// A MongoDB filter: nosql-operator fires, as on any such filter
	// (detect.exceptions is for admin tools); no GraphQL rule does.
	add("Mongo shell style query string field", B, "admin tool", "post-json", "nosql by design", postRaw(`{"query":"{ status: 'A', qty: { $lt: 30 }, tags: { $in: ['x'] }, a: 1, b: 2, c: 3, d: 4, e: 5, f: 6, g: 7, h: 8, i: 9, j: 10, k: 11, l: 12, m: 13, n: 14, o: 15, p: 16, q: 17, r: 18 }"}`))
	add("text/plain support message starting with query", B, "support form", "text", "none", mkReq("POST", "http://api.example.com/support", "text/plain", "query about my order: {order: 123, item: abc}"))
	ws("graphql-ws benign subscription with __typename", B, "Apollo Client + graphql-ws", "none", wsTransport("1", "subscription OnCommentAdded($postId: ID!) { commentAdded(postId: $postId) { id content author { id name __typename } __typename } }"))
	ws("graphql-ws connection_init", B, "graphql-ws", "none", `{"type":"connection_init","payload":{"authorization":"Bearer eyJhbGciOi..."}}`)
	add("multipart upload (benign)", B, "apollo-upload-client", "multipart", "none", postMultipart(`{"query":"mutation ($file: Upload!) { singleUpload(file: $file) { id filename mimetype __typename } }","variables":{"file":null}}`))
	// An operations field longer than the decoders keep of a value: read
	// whole from the body.
	add("multipart upload, deep query behind 9 KB of comment", A, "evasion", "multipart", "depth",
		postMultipart(`{"query":"# `+strings.Repeat("x", 9000)+`\n{ `+strings.Repeat("a { ", 20)+"id"+strings.Repeat(" }", 20)+` }","variables":{}}`))
	add("multipart upload, deep query behind 9 KB after a part Go refuses", A, "evasion", "multipart", "depth",
		mkReq("POST", ep, "multipart/form-data; boundary=XB; charset", "--XB\r\nContent-Disposition: form-data; name=\"pad\"\r\nbroken header line\r\n\r\nx\r\n"+
			"--XB\r\nContent-Disposition: form-data; name=\"operations\"\r\n\r\n"+
			`{"query":"# `+strings.Repeat("x", 9000)+`\n{ `+strings.Repeat("a { ", 20)+"id"+strings.Repeat(" }", 20)+` }","variables":{}}`+"\r\n--XB--\r\n"))
	add("multipart upload with a long benign query", B, "apollo-upload-client", "multipart", "none",
		postMultipart(`{"query":"mutation ($file: Upload!, $note: String) { singleUpload(file: $file, note: $note) { id } }","variables":{"file":null,"note":"`+strings.Repeat("n", 9000)+`"}}`))
	add("Relay modern query with many fragments", B, "Relay", "post-json", "none", postJSON(`query AppQuery($id: ID!) { viewer { ...Header_viewer ...Feed_viewer } node(id: $id) { __typename ...Story_story id } }
fragment Header_viewer on Viewer { actor { name profilePicture { uri } id } }
fragment Feed_viewer on Viewer { newsFeed(first: 10) { edges { node { ...Story_story id __typename } cursor } pageInfo { endCursor hasNextPage } } }
fragment Story_story on Story { title summary createdAt poster { ...Avatar_actor id } thumbnail { ...Image_image } comments(first: 3) { edges { node { text author { ...Avatar_actor id } id } } } }
fragment Avatar_actor on Actor { name profilePicture { ...Image_image } }
fragment Image_image on Image { uri width height }`))
	add("Apollo GET printed multi-line query with aliases (2-space indent)", B, "Apollo Client useGETForQueries", "get", "none", getVals(url.Values{"operationName": {"HeroComparison"}, "query": {"query HeroComparison($first: Int = 3) {\n  leftComparison: hero(episode: EMPIRE) {\n    ...comparisonFields\n    __typename\n  }\n  rightComparison: hero(episode: JEDI) {\n    ...comparisonFields\n    __typename\n  }\n}\n\nfragment comparisonFields on Character {\n  name\n  __typename\n}"}, "variables": {`{}`}}))
	add("GET multi-line query, unindented alias lines (hand-written/curl)", B, "curl / hand-written", "get", "none", getQ("{\nme: viewer {\nlogin\n}\nrepo: repository(owner:\"a\", name:\"b\") {\nid\n}\n}"))
	add("union search with nested inline fragments (graphql-depth-limit depth 10, 12 braces +2 inline)", B, "GitHub client", "post-json", "none", postJSON(`query { search(query: "is:pr author:me", type: ISSUE, first: 20) { nodes { ... on PullRequest { number repository { nameWithOwner } commits(last: 1) { nodes { commit { statusCheckRollup { contexts(first: 10) { nodes { ... on CheckRun { name conclusion checkSuite { app { name } } } ... on StatusContext { context state } } } } } } } } } } }`))
	add("CMS HTML with odd &quot; (27-inch) then nested JSON config string", B, "CMS", "post-json", "none", postJSON(`mutation { updateProduct(id: "1", descriptionHtml: "<p>Screen: 27&quot; IPS</p>", seo: { title: "Monitor" }) { product { id title } userErrors { field message } } a1: x { id } a2: y { id } }`))
	add("GitHub timeline union query (graphql-depth-limit depth 7, 3 inline fragments)", B, "GitHub client", "post-json", "none", postJSON(`query { search(query: "is:pr is:open review-requested:@me", type: ISSUE, first: 20) { nodes { ... on PullRequest { timelineItems(first: 20, itemTypes: [REVIEW_REQUESTED_EVENT]) { nodes { ... on ReviewRequestedEvent { requestedReviewer { ... on User { login } ... on Team { members(first: 10) { nodes { login } } } } } } } } } } }`))
	add("Apollo GET printed query with id field (urql/Apollo GET)", B, "Apollo useGETForQueries / urql preferGetMethod", "get", "none", getVals(url.Values{"operationName": {"GetDogs"}, "query": {"query GetDogs {\n  dogs {\n    id\n    breed\n    __typename\n  }\n}"}, "variables": {`{}`}}))
	return cs
}

// gqlWant returns the rule a case must raise ("" for none), and whether no
// other alert may come with it. Probes a single request cannot tell from a
// client (graphql-cop's valid __typename queries, Clairvoyance's
// field-name buckets without their answer) are expected to raise nothing
// of the graphql family: a rate or the answer tells them, not one request.
func gqlWant(c gqlCase) (rule string, alone bool) {
	w := c.Want
	switch {
	case strings.HasPrefix(w, "introspection/"), strings.HasPrefix(w, "depth"), strings.HasPrefix(w, "circular"):
		return "graphql-depth", false
	case strings.HasPrefix(w, "introspection"):
		return "graphql-introspection", false
	case w == "aliases", w == "none (arguably)":
		// 30 aliased repositories in one GitHub query are past the
		// limit, by design.
		return "graphql-aliases", false
	case strings.HasPrefix(w, "batch"), w == "none (arguable)":
		// So is a batch of 15 (Apollo's BatchHttpLink sends 10).
		return "graphql-batch", false
	case w == "directives":
		return "graphql-directives", false
	case w == "fingerprint":
		return "graphql-fingerprint", false
	case strings.HasPrefix(w, "mutation-over-GET"):
		return "graphql-mutation-over-get", false
	case w == "field duplication":
		return "graphql-breadth", false
	case w == "none":
		return "", true
	}
	return "", false
}

// TestGraphQLCases runs every case through the default detectors and
// holds each to gqlWant.
func TestGraphQLCases(t *testing.T) {
	ds, err := detect.New(append([]string{"injection"}, tier1.Names()...), detect.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range gqlCases() {
		var x *decoders.Exchange
		if c.WS != "" {
			x = wsExchange(c.WS)
		} else {
			x = reqExchange(c.req)
		}
		as := inspectWith(ds, x)
		var rules []string
		for _, a := range as {
			rules = append(rules, a.RuleId)
		}
		want, alone := gqlWant(c)
		switch {
		case want != "" && !slices.Contains(rules, want):
			t.Errorf("%s (%s, %s): want %s, got %v", c.Name, c.Tool, c.Transport, want, rules)
		case alone && len(rules) > 0:
			t.Errorf("%s (%s, %s): want no alert, got %v", c.Name, c.Tool, c.Transport, rules)
		case want == "" && !alone && slices.ContainsFunc(rules, func(r string) bool { return strings.HasPrefix(r, "graphql-") }):
			t.Errorf("%s (%s, %s): want no graphql alert, got %v", c.Name, c.Tool, c.Transport, rules)
		}
	}
}

// reqExchange rebuilds req as the decoders give it: an exchange with its
// parameters.
func reqExchange(req *http.Request) *decoders.Exchange {
	x := &decoders.Exchange{Proto: "http/1.1"}
	m := &decoders.Message{Method: req.Method, URI: req.URL.RequestURI(), Path: req.URL.EscapedPath(), Query: req.URL.RawQuery, Version: "HTTP/1.1"}
	m.Headers = append(m.Headers, decoders.Header{Name: "Host", Value: req.Host})
	for k, vs := range req.Header {
		for _, v := range vs {
			m.Headers = append(m.Headers, decoders.Header{Name: http.CanonicalHeaderKey(k), Value: v})
		}
	}
	if req.Body != nil {
		m.Body, _ = io.ReadAll(req.Body)
	}
	x.Request = m
	decoders.ExtractParams(x, nil)
	return x
}

// wsExchange is a WebSocket client message as the decoders give it.
func wsExchange(msg string) *decoders.Exchange {
	x := &decoders.Exchange{Proto: "websocket"}
	x.Request = &decoders.Message{Method: "WEBSOCKET", URI: "/graphql", Version: "websocket",
		Headers: []decoders.Header{{Name: "Host", Value: "api.example.com"}}, Body: []byte(msg)}
	decoders.ExtractParams(x, nil)
	return x
}

// TestMutationCrossSite: a mutation in a request another site's page could
// make a victim's browser send, cookies and all, without a preflight.
func TestMutationCrossSite(t *testing.T) {
	ds, err := detect.New(append([]string{"injection"}, tier1.Names()...), detect.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	form := func(v url.Values, hs ...string) *http.Request {
		return withHeaders(mkReq("POST", ep, "application/x-www-form-urlencoded", v.Encode()), hs...)
	}
	text := func(body string, hs ...string) *http.Request {
		return withHeaders(mkReq("POST", ep, "text/plain;charset=UTF-8", body), hs...)
	}
	upload := func() *http.Request {
		return postMultipart(`{"query":"mutation ($file: Upload!) { singleUpload(file: $file) { id } }","variables":{"file":null}}`)
	}
	const cookie = "Cookie: session=4f2a9c"
	for _, tc := range []struct {
		name string
		req  *http.Request
		want string // a piece of the evidence; "" for no alert of the rule
	}{
		{"form with cookies", form(url.Values{"query": {"mutation { deleteAccount { ok } }"}}, cookie), "mutation in a POST of application/x-www-form-urlencoded with ambient credentials"},
		{"text/plain JSON from another site", text(`{"query":"mutation SetEmail { setEmail(e: \"a@evil.example\") { ok } }"}`, cookie, "Origin: https://evil.example"), "mutation SetEmail in a POST of text/plain with ambient credentials, no preflight asked, from https://evil.example"},
		{"text/plain from the site itself", text(`{"query":"mutation { like(id: 3) { ok } }"}`, cookie, "Origin: http://api.example.com"), "no preflight asked"},
		{"multipart upload with cookies", withHeaders(upload(), cookie), "in a POST of multipart/form-data"},
		{"a batch with a mutation", text(`[{"query":"{ me { id } }"},{"query":"mutation { logout { ok } }"}]`, cookie), "mutation in a POST of text/plain"},
		{"operationName selects the mutation", form(url.Values{"query": {"query Get { me { id } } mutation Set { setName(n: \"x\") { ok } }"}, "operationName": {"Set"}}, cookie), "mutation Set"},

		{"Basic credentials, no cookies", form(url.Values{"query": {"mutation { deleteAccount { ok } }"}}, "Authorization: Basic dTpw"), "with ambient credentials"},
		{"Sec-Fetch-Site cross-site", form(url.Values{"query": {"mutation { deleteAccount { ok } }"}}, cookie, "Sec-Fetch-Site: cross-site"), "sent cross-site (Sec-Fetch-Site)"},
		{"a multipart form's plain query field", withHeaders(multipartFields(map[string]string{"query": "mutation { deleteAccount { ok } }"}), cookie), "in a POST of multipart/form-data"},
		{"no content type (a no-cors fetch of a Blob)", withHeaders(mkReq("POST", ep, "", `{"query":"mutation { deleteAccount { ok } }"}`), cookie), "in a POST of no content type"},
		{"JSON names in another case (Go servers)", text(`{"Query":"mutation { deleteAccount { ok } }"}`, cookie), "mutation in a POST of text/plain"},
		{"a second query name in another case", text(`{"query":"{ me { id } }","QUERY":"mutation { deleteAccount { ok } }"}`, cookie), "mutation in a POST of text/plain"},
		{"OperationName in another case", text(`{"query":"query A { me { id } } mutation B { deleteAccount { ok } }","OperationName":"B"}`, cookie), "mutation B"},
		{"operations with text after the JSON (gqlgen)", withHeaders(multipartFields(map[string]string{"operations": `{"query":"mutation { deleteAccount { ok } }"} x`}), cookie), "in a POST of multipart/form-data"},
		{"a form body that is JSON (gqlgen's form transport)", withHeaders(mkReq("POST", ep, "application/x-www-form-urlencoded", `{"query":"mutation { deleteAccount { ok } }"}`), cookie), "mutation in a POST of application/x-www-form-urlencoded"},
		{"a form body that is a document", withHeaders(mkReq("POST", ep, "application/x-www-form-urlencoded", `mutation { deleteAccount { ok } }`), cookie), "mutation in a POST of application/x-www-form-urlencoded"},
		{"operationName in the URL", withHeaders(mkReq("POST", ep+"?operationName=B", "application/x-www-form-urlencoded", url.Values{"query": {"query A { me { id } } mutation B { deleteAccount { ok } }"}}.Encode()), cookie), "mutation B"},
		{"the document in the URL of a form POST", withHeaders(mkReq("POST", ep+"?query="+url.QueryEscape("mutation { deleteAccount { ok } }"), "application/x-www-form-urlencoded", "a=1"), cookie), "mutation in a POST"},
		{"an escape JavaScript keeps", withHeaders(mkReq("POST", ep, "application/x-www-form-urlencoded", "query="+url.QueryEscape("mutation { deleteAccount { ok } } #")+"%zz"), cookie), "mutation in a POST"},
		{"past a thousand fields", withHeaders(mkReq("POST", ep, "application/x-www-form-urlencoded", strings.Repeat("a=1&", 1100)+"query="+url.QueryEscape("mutation { deleteAccount { ok } }")), cookie), "mutation in a POST"},

		{"a form body that starts with JSON", withHeaders(mkReq("POST", ep, "application/x-www-form-urlencoded", "{}&query="+url.QueryEscape("mutation { deleteAccount { ok } }")), cookie), "mutation in a POST"},
		{"a document whose comment says query=", withHeaders(mkReq("POST", ep, "application/x-www-form-urlencoded", "mutation { deleteAccount { ok } } #query="), cookie), "mutation in a POST"},
		{"a block string", form(url.Values{"query": {`mutation { deleteAccount(reason: """bye""") { ok } }`}}, cookie), "mutation in a POST"},
		{"a block string in text/plain JSON", text(`{"query":"mutation { deleteAccount(reason: \"\"\"bye\"\"\") { ok } }"}`, cookie), "mutation in a POST"},
		{"a letter of the keyword escaped", withHeaders(mkReq("POST", ep, "application/x-www-form-urlencoded", "query=m%75tation+%7B+deleteAccount+%7B+ok+%7D+%7D"), cookie), "mutation in a POST"},
		{"Sec-Fetch-Site same-site (a sibling subdomain)", form(url.Values{"query": {"mutation { deleteAccount { ok } }"}}, cookie, "Sec-Fetch-Site: same-site"), "mutation in a POST"},

		{"the site's own page (Sec-Fetch-Site same-origin)", form(url.Values{"query": {"mutation { deleteAccount { ok } }"}}, cookie, "Sec-Fetch-Site: same-origin"), ""},
		{"a text/plain beacon", text(`{"event":"page_view","path":"/checkout","ts":1732900000}`, cookie), ""},
		{"no cookies", form(url.Values{"query": {"mutation { deleteAccount { ok } }"}}), ""},
		{"a search form for mutation testing", withHeaders(mkReq("POST", "http://shop.example.com/search", "application/x-www-form-urlencoded", "query=mutation+testing+tools"), cookie), ""},
		{"a search for the word mutation", withHeaders(mkReq("POST", "http://shop.example.com/search", "application/x-www-form-urlencoded", "query=mutation"), cookie), ""},
		{"a beacon about mutation analysis", text(`{"query":"mutation analysis","results":12}`, cookie), ""},
		{"Hot Chocolate's preflight header", withHeaders(upload(), cookie, "GraphQL-Preflight: 1"), ""},
		{"graphql-yoga's CSRF header", withHeaders(upload(), cookie, "x-graphql-yoga-csrf: 1"), ""},
		{"the upload forcing a preflight", withHeaders(upload(), cookie, "Apollo-Require-Preflight: true"), ""},
		{"a bearer token", form(url.Values{"query": {"mutation { deleteAccount { ok } }"}}, cookie, "Authorization: Bearer eyJhbGciOi.x.y"), ""},
		{"a CSRF token", form(url.Values{"query": {"mutation { deleteAccount { ok } }"}}, cookie, "X-CSRF-Token: 9f8e"), ""},
		{"JSON asks for a preflight", withHeaders(postJSON("mutation { deleteAccount { ok } }"), cookie), ""},
		{"operationName selects the query", form(url.Values{"query": {"query Get { me { id } } mutation Set { setName(n: \"x\") { ok } }"}, "operationName": {"Get"}}, cookie), ""},
		{"a query", form(url.Values{"query": {"{ me { id mutationCount } }"}}, cookie), ""},
	} {
		x := reqExchange(tc.req)
		as := inspectWith(ds, x)
		var got, value, name string
		for _, a := range as {
			for _, e := range a.Evidence {
				if e.Rule == "graphql-mutation-csrf" {
					got, value, name = e.Matched, e.Value, e.Name
				}
			}
		}
		if got != "" && !strings.Contains(value, "mutation") {
			t.Errorf("%s: the evidence quotes %q, not the mutation", tc.name, value)
		}
		if got != "" && strings.Contains(tc.name, "multipart upload") && name != "operations" {
			t.Errorf("%s: the evidence names %q, not operations", tc.name, name)
		}
		switch {
		case tc.want == "" && got != "":
			t.Errorf("%s: want no graphql-mutation-csrf, got %q", tc.name, got)
		case tc.want != "" && !strings.Contains(got, tc.want):
			t.Errorf("%s: want evidence with %q, got %q", tc.name, tc.want, got)
		case strings.Contains(tc.name, "itself") && strings.Contains(got, "from "):
			t.Errorf("%s: same origin quoted as another site: %q", tc.name, got)
		}
	}
}

// withHeaders adds "Name: value" headers to r.
func withHeaders(r *http.Request, hs ...string) *http.Request {
	for _, h := range hs {
		k, v, _ := strings.Cut(h, ": ")
		r.Header.Add(k, v)
	}
	return r
}

// multipartFields is a multipart/form-data POST of the fields.
func multipartFields(fields map[string]string) *http.Request {
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	for k, v := range fields {
		w.WriteField(k, v)
	}
	w.Close()
	return mkReq("POST", ep, w.FormDataContentType(), b.String())
}

// TestMutationCrossSiteTruncated: a body longer than the sensor keeps is
// read as far as it was kept.
func TestMutationCrossSiteTruncated(t *testing.T) {
	ds, err := detect.New(append([]string{"injection"}, tier1.Names()...), detect.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	var up bytes.Buffer
	w := multipart.NewWriter(&up)
	w.WriteField("operations", `{"query":"mutation ($file: Upload!) { singleUpload(file: $file) { id } }","variables":{"file":null}}`)
	w.WriteField("map", `{"0":["variables.file"]}`)
	fw, _ := w.CreateFormFile("0", "photo.jpg")
	fw.Write(bytes.Repeat([]byte{0xff, 0xd8, 0x00, 0x10}, 20000))
	w.Close()
	for name, req := range map[string]*http.Request{
		"a padded form":          mkReq("POST", ep, "application/x-www-form-urlencoded", "query="+url.QueryEscape("mutation { deleteAccount { ok } }")+"&pad="+strings.Repeat("x", 70000)),
		"an 80 KB upload":        mkReq("POST", ep, w.FormDataContentType(), up.String()),
		"padded text/plain JSON": mkReq("POST", ep, "text/plain", `{"query":"mutation { deleteAccount { ok } }","variables":{"pad":"`+strings.Repeat("x", 70000)+`"}}`),
	} {
		x := reqExchange(withHeaders(req, "Cookie: session=1"))
		x.Request.Body, x.Request.BodyTruncated = x.Request.Body[:64<<10], true
		as := inspectWith(ds, x)
		if !slices.ContainsFunc(as, func(a *alert.Alert) bool {
			return slices.ContainsFunc(a.Evidence, func(e *alert.Evidence) bool { return e.Rule == "graphql-mutation-csrf" })
		}) {
			t.Errorf("%s, cut at 64 KB: no graphql-mutation-csrf", name)
		}
	}
}

// TestFieldEnumeration: a bucket of guessed field names, answered with an
// error for each (Clairvoyance), as servers word them.
func TestFieldEnumeration(t *testing.T) {
	ds, err := detect.New(append([]string{"injection"}, tier1.Names()...), detect.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	var words []string
	for i := range 64 {
		words = append(words, fmt.Sprintf("w%dname", i))
	}
	bucket := "query { " + strings.Join(words, " ") + " }"
	answer := func(n int, msg func(w string) string) string {
		var es []string
		for _, w := range words[:n] {
			es = append(es, `{"message":`+strconv.Quote(msg(w))+`,"locations":[{"line":1,"column":9}]}`)
		}
		return `{"errors":[` + strings.Join(es, ",") + `]}`
	}
	graphqlJS := func(w string) string { return `Cannot query field "` + w + `" on type "Query". Did you mean "name"?` }
	masked := func(w string) string { return `Cannot query field "` + w + `" on type "Query".` }
	java := func(w string) string {
		return "Validation error (FieldUndefined@[" + w + "]) : Field '" + w + "' in type 'Query' is undefined"
	}
	hotChocolate := func(w string) string { return "The field `" + w + "` does not exist on the type `Query`." }
	for _, tc := range []struct {
		name    string
		req     *http.Request
		status  int
		body    string
		want    bool
		outcome alert.Outcome
	}{
		{"graphql-js with suggestions", postJSON(bucket), 400, answer(64, graphqlJS), true, alert.Outcome_OUTCOME_LIKELY_SUCCESSFUL},
		{"suggestions masked", postJSON(bucket), 200, answer(64, masked), true, alert.Outcome_OUTCOME_ATTEMPTED},
		{"graphql-java", postJSON(bucket), 200, answer(40, java), true, alert.Outcome_OUTCOME_ATTEMPTED},
		// Hot Chocolate answers five errors unless MaxAllowedErrors is raised.
		{"Hot Chocolate, its error cap raised", postJSON(bucket), 200, answer(20, hotChocolate), true, alert.Outcome_OUTCOME_ATTEMPTED},
		{"a batch", postRaw(`[{"query":"` + bucket + `"}]`), 200, "[" + answer(64, graphqlJS) + "]", true, alert.Outcome_OUTCOME_LIKELY_SUCCESSFUL},
		{"async-graphql, extensions before the errors", postJSON(bucket), 200,
			`{"data":null,"extensions":{"trace":1},` + strings.TrimPrefix(answer(64, func(w string) string { return `Unknown field "` + w + `" on type "Query".` }), "{"), true, alert.Outcome_OUTCOME_ATTEMPTED},
		{"a byte order mark", postJSON(bucket), 200, "\ufeff" + answer(64, masked), true, alert.Outcome_OUTCOME_ATTEMPTED},
		{"eight graphql-java argument errors (two markers each)", postJSON(bucket), 200,
			answer(8, func(w string) string {
				return "Validation error (UnknownArgument@[user]) : Unknown field argument '" + w + "'"
			}), false, 0},
		{"eight errors with Apollo's development stack traces", postJSON(bucket), 400, `{"errors":[` + strings.Repeat(`{"message":"Cannot query field \"a\" on type \"Query\".","extensions":{"stacktrace":["GraphQLError: Cannot query field \"a\" on type \"Query\".","    at Object.Field"]}},`, 7) +
			`{"message":"Cannot query field \"b\" on type \"Query\"."}]}`, false, 0},
		{"a search API's own errors", mkReq("GET", "http://shop.example.com/api/search?query=shoes", "", ""), 400,
			answer(20, func(w string) string { return `Unknown field "` + w + `" in fields parameter` }), false, 0},
		{"over GET", getQ(bucket), 200, answer(64, graphqlJS), true, alert.Outcome_OUTCOME_LIKELY_SUCCESSFUL},
		{"a client left behind by a schema change", postJSON(bucket), 400, answer(3, graphqlJS), false, 0},
		{"the messages in a page no GraphQL request asked for", mkReq("GET", "http://docs.example.com/errors", "", ""), 200, answer(64, graphqlJS), false, 0},
	} {
		x := reqExchange(tc.req)
		x.Response = &decoders.Message{Status: tc.status, Version: "HTTP/1.1", Body: []byte(tc.body),
			Headers: []decoders.Header{{Name: "Content-Type", Value: "application/json"}}}
		as := inspectWith(ds, x)
		var got *alert.Alert
		for _, a := range as {
			if a.RuleId == "graphql-field-enumeration" {
				got = a
			}
		}
		switch {
		case tc.want && got == nil:
			t.Errorf("%s: no graphql-field-enumeration", tc.name)
		case !tc.want && got != nil:
			t.Errorf("%s: graphql-field-enumeration %v", tc.name, got.Evidence)
		case got != nil && got.Outcome != tc.outcome:
			t.Errorf("%s: outcome %v, want %v", tc.name, got.Outcome, tc.outcome)
		}
	}
}

// TestMutationEdges: a quoted-printable multipart part (Go's multipart
// reader decodes it) and a base64 one (Django's does), a GET mutation past a low parameter bound, and a
// Clairvoyance bucket batched after an operation that ran.
func TestMutationEdges(t *testing.T) {
	ds, err := detect.New(append([]string{"injection"}, tier1.Names()...), detect.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	rules := func(x *decoders.Exchange) []string {
		var out []string
		as := inspectWith(ds, x)
		for _, a := range as {
			out = append(out, a.RuleId)
		}
		return out
	}
	qp := "--B\r\nContent-Disposition: form-data; name=\"operations\"\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n" +
		"{\"query\":\"=6Du=\r\ntation { deleteAccount { ok } }\"}\r\n--B--\r\n"
	x := reqExchange(withHeaders(mkReq("POST", ep, "multipart/form-data; boundary=B", qp), "Cookie: session=1"))
	if got := rules(x); !slices.Contains(got, "graphql-mutation-csrf") {
		t.Errorf("a quoted-printable operations part: %v", got)
	}

	// Django decodes a part in base64 (graphene-file-upload).
	b64 := "--B\r\nContent-Disposition: form-data; name=\"operations\"\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
		base64.StdEncoding.EncodeToString([]byte(`{"query":"mutation { deleteAccount { ok } }"}`)) + "\r\n--B--\r\n"
	x = reqExchange(withHeaders(mkReq("POST", ep, "multipart/form-data; boundary=B", b64), "Cookie: session=1"))
	if got := rules(x); !slices.Contains(got, "graphql-mutation-csrf") {
		t.Errorf("a base64 operations part: %v", got)
	}

	x = reqExchange(mkReq("GET", ep+"?"+strings.Repeat("a=1&", 20)+"query="+url.QueryEscape("mutation { deleteAccount { ok } }"), "", ""))
	x.Params = nil
	l := decoders.DefaultLimits()
	l.MaxParams = 16
	decoders.ExtractParams(x, &l)
	if got := rules(x); !slices.Contains(got, "graphql-mutation-over-get") {
		t.Errorf("a GET mutation past max_params 16: %v", got)
	}

	var words, errs []string
	for i := range 20 {
		words = append(words, fmt.Sprintf("w%dname", i))
		errs = append(errs, `{"message":"Cannot query field \"`+words[i]+`\" on type \"Query\"."}`)
	}
	x = reqExchange(postRaw(`[{"query":"{ __typename }"},{"query":"query { ` + strings.Join(words, " ") + ` }"}]`))
	x.Response = &decoders.Message{Status: 200, Body: []byte(`[{"data":{"__typename":"Query"}},{"errors":[` + strings.Join(errs, ",") + `]}]`)}
	if got := rules(x); !slices.Contains(got, "graphql-field-enumeration") {
		t.Errorf("a bucket batched after an operation that ran: %v", got)
	}
}

// inspectWith runs the detectors over x, in order, and returns their alerts.
func inspectWith(ds []detect.Detector, x *decoders.Exchange) []*alert.Alert {
	var as []*alert.Alert
	for _, d := range ds {
		as = d.Inspect(x, as)
	}
	return as
}
