package evalkit

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"io"
	"mime"
	"mime/multipart"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"
	"unicode/utf16"

	"golang.org/x/text/encoding/charmap"
)

func crsYAML(rule, data, uri, extraHeaders, expect string) string {
	return `rule_id: ` + rule + `
tests:
  - test_id: 1
    stages:
      - input:
          headers:
            Host: localhost
            User-Agent: "OWASP CRS test agent"
            Accept: "*/*"
` + extraHeaders + `          method: POST
          uri: "` + uri + `"
` + data + `        output:
          log:
            ` + expect + `
`
}

func TestParseCRSTests(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want []CRSTest
	}{
		{"form body", crsYAML("942100", `          data: "var=1234 OR 1=1"`+"\n", "/post", "", "expect_ids: [942100]"),
			[]CRSTest{{Rule: 942100, Test: 1, Class: "sqli", Payload: "1234 OR 1=1"}}},
		{"query decoded, plus is space", crsYAML("941100", "", "/get?a=b&x=%3Cscript%3Ealert(1)%3C/script%3E+y", "", "expect_ids: [941100]"),
			[]CRSTest{{Rule: 941100, Test: 1, Class: "xss", Payload: "<script>alert(1)</script> y"}}},
		{"not expected to match", crsYAML("942100", `          data: "var=1234 OR 1=1"`+"\n", "/post", "", "no_expect_ids: [942100]"), nil},
		{"family not taken", crsYAML("920100", `          data: "var=x"`+"\n", "/post", "", "expect_ids: [920100]"), nil},
		{"header value", crsYAML("944150", "", "/", "            Referer: \"${jndi:ldap://x/a}\"\n", "expect_ids: [944150]"),
			[]CRSTest{{Rule: 944150, Test: 1, Class: "java", Payload: "${jndi:ldap://x/a}"}}},
		{"ftw marker header ignored", crsYAML("930110", "", "/get?a=..;/", "            X-FTW: \"This should trip\"\n", "expect_ids: [930110]"),
			[]CRSTest{{Rule: 930110, Test: 1, Class: "lfi", Payload: "..;/"}}},
		{"cookie value", crsYAML("932100", "", "/", "            Cookie: \"a=b; c=%3Bcat%20/etc/passwd\"\n", "expect_ids: [932100]"),
			[]CRSTest{{Rule: 932100, Test: 1, Class: "rce", Payload: ";cat /etc/passwd"}}},
		{"path when nothing else", crsYAML("930130", "", "/.env", "", "expect_ids: [930130]"),
			[]CRSTest{{Rule: 930130, Test: 1, Class: "lfi", Payload: "/.env"}}},
		{"json body", crsYAML("934100", `          data: '{"a":"x","b":["require(\"child_process\")"]}'`+"\n", "/post", "            Content-Type: application/json\n", "expect_ids: [934100]"),
			[]CRSTest{{Rule: 934100, Test: 1, Class: "generic", Payload: `require("child_process")`}}},
		{"xml text kept encoded", crsYAML("931100", `          data: '<a><t>ftp%3A%2F%2F1.1.1.1</t></a>'`+"\n", "/api", "            Content-Type: application/xml\n", "expect_ids: [931100]"),
			[]CRSTest{{Rule: 931100, Test: 1, Class: "rfi", Payload: "ftp%3A%2F%2F1.1.1.1"}}},
		{"body without = is a decoded name", crsYAML("933180", `          data: "%24%7Bx%7D"`+"\n", "/", "", "expect_ids: [933180]"),
			[]CRSTest{{Rule: 933180, Test: 1, Class: "php", Payload: "${x}"}}},
		{"multipart file name, not content", crsYAML("930110", "          data: \"--b\\r\\nContent-Disposition: form-data; name=\\\"file\\\"; filename=\\\"../1.7z\\\"\\r\\n\\r\\nBINARYDATA-LONGER-THAN-NAME\\r\\n--b--\\r\\n\"\n", "/post", "            Content-Type: \"multipart/form-data; boundary=b\"\n", "expect_ids: [930110]"),
			[]CRSTest{{Rule: 930110, Test: 1, Class: "lfi", Payload: "../1.7z"}}},
		{"path when the query is a flag", crsYAML("930130", "", "/@id/__x00__?import", "", "expect_ids: [930130]"),
			[]CRSTest{{Rule: 930130, Test: 1, Class: "lfi", Payload: "/@id/__x00__"}}},
		{"data as lines", crsYAML("932100", "          data:\n            - \"a=1\"\n            - \"b=;id\"\n", "/post", "            Content-Type: text/plain\n", "expect_ids: [932100]"),
			[]CRSTest{{Rule: 932100, Test: 1, Class: "rce", Payload: "a=1\r\nb=;id"}}},
	}
	fp := strings.Replace(crsYAML("942440", `          data: "t=0.mhOs6JFXLHyE21dFS41Px17BxIjQ-2ql"`+"\n", "/get", "", "expect_ids: [942440]"),
		"  - test_id: 1\n", "  - test_id: 1\n    desc: \"FYI : Turnstile token are still matched\"\n", 1)
	tests = append(tests, struct {
		name string
		yaml string
		want []CRSTest
	}{"known false positive left out", fp, nil})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseCRSTests([]byte(tt.yaml), nil)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

// TestCRSOracle checks that the payload is the value the rule matched when
// the guess (the longest value) would take a filler beside it.
func TestCRSOracle(t *testing.T) {
	oracle, err := NewCRSOracle()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, yaml, want string
	}{
		{"attack in an argument name", crsYAML("941181", `          data: '-->=941181-3'`+"\n", "/post", "", "expect_ids: [941181]"), "-->"},
		{"attack shorter than a filler", crsYAML("941160", "", "/get/char_test?mime=text/xml&body=%22onzoom%3D", "", "expect_ids: [941160]"), `"onzoom=`},
		{"cookie name", crsYAML("932130", "", "/get", "            Cookie: \">(cmd)=931120-4\"\n", "expect_ids: [932130]"), ">(cmd)"},
		{"json key without the body processor's prefix", crsYAML("944260", `          data: '{"class.module.classLoader.resources.context.parent.pipeline.first.pattern":"x"}'`+"\n", "/post", "            Content-Type: application/json\n", "expect_ids: [944260]"),
			"class.module.classLoader.resources.context.parent.pipeline.first.pattern"},
		{"cookie value URL-decoded", crsYAML("932100", "", "/", "            Cookie: \"a=b; c=%3Bcat%20/etc/passwd\"\n", "expect_ids: [932100]"), ";cat /etc/passwd"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseCRSTests([]byte(tt.yaml), oracle)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 1 || got[0].Payload != tt.want {
				t.Errorf("got %+v, want payload %q", got, tt.want)
			}
		})
	}
}

func TestParseCRSParanoia(t *testing.T) {
	conf := `SecRule TX:DETECTION_PARANOIA_LEVEL "@lt 1" "id:942011,phase:1,pass,nolog,skipAfter:END"
SecRule ARGS "@detectSQLi" \
    "id:942100,\
    tag:'paranoia-level/1',\
    chain"
    SecRule MATCHED_VAR "@rx x" "t:none"
SecRule ARGS "@rx y" \
    "id:942200,\
    tag:'paranoia-level/2'"
`
	got := ParseCRSParanoia([]byte(conf))
	want := map[int]int{942100: 1, 942200: 2}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestLibinjectionLabel(t *testing.T) {
	tests := []struct {
		name, file          string
		input, class, label string
		ok                  bool
	}{
		{"test-sqli-004", "--TEST--\nsqli test\n--INPUT--\n1 = 1 OR 1\n--EXPECTED--\n1&1\n\n", "1 = 1 OR 1", "sqli", LabelAttack, true},
		{"test-sqli-001", "--TEST--\nsqli test\n--INPUT--\nfoo 'bar'\n--EXPECTED--\n\n", "foo 'bar'", "", "", false},
		{"test-xss-001", "--TEST--\nx\n--INPUT--\n<script>alert(1);</script>\n--EXPECTED--\n1\n", "<script>alert(1);</script>", "xss", LabelAttack, true},
		{"test-xss-005", "--TEST--\nx\n--INPUT--\nhello world\n--EXPECTED--\n0\n", "hello world", ClassBenign, LabelBenign, true},
		{"test-xss-009", "--TEST--\nx\n--INPUT--\na\nb\n--EXPECTED--\n1\n", "a\nb", "xss", LabelAttack, true},
		{"test-html5-001", "--TEST--\nx\n--INPUT--\nfoo\n--EXPECTED--\nDATA_TEXT,3,foo\n", "foo", "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lt, err := ParseLibinjectionTest(tt.name, tt.file)
			if err != nil {
				t.Fatal(err)
			}
			if lt.Input != tt.input {
				t.Errorf("input %q, want %q", lt.Input, tt.input)
			}
			class, label, ok := lt.Label()
			if class != tt.class || label != tt.label || ok != tt.ok {
				t.Errorf("label %q %q %v, want %q %q %v", class, label, ok, tt.class, tt.label, tt.ok)
			}
		})
	}
	if _, err := ParseLibinjectionTest("x", "--TEST--\nno input\n"); err == nil {
		t.Error("no error for a file without --INPUT--")
	}
}

func TestParseBenign(t *testing.T) {
	in := "# comment\n## names\nO'Brien\nC:\\Users\\me\n\n## code (quoted)\nls -la | grep foo\\nnext line\n"
	got, err := ParseBenign(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := []Entry{
		{Class: ClassBenign, Label: LabelBenign, Source: "benign:names", Payload: "O'Brien"},
		{Class: ClassBenign, Label: LabelBenign, Source: "benign:names", Payload: `C:\Users\me`},
		{Class: ClassBenign, Label: LabelBenign, Source: "benign:code", Payload: "ls -la | grep foo\nnext line"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
	for _, bad := range []string{"value before section\n", "## q (quoted)\nbad \" quote\n"} {
		if _, err := ParseBenign(strings.NewReader(bad)); err == nil {
			t.Errorf("no error for %q", bad)
		}
	}
}

func TestDedupeSampleCorpusRoundTrip(t *testing.T) {
	in := []Entry{
		{Class: "sqli", Label: LabelAttack, Source: "a", Payload: "' or 1=1"},
		{Class: "xss", Label: LabelAttack, Source: "b", Payload: "' or 1=1"},
		{Class: ClassBenign, Label: LabelBenign, Source: "c", Payload: "' or 1=1"},
		{Class: ClassBenign, Label: LabelBenign, Source: "d", Payload: "O'Brien <b>"},
		{Class: "sqli", Label: LabelAttack, Source: "e", Payload: "1 union select 2"},
		{Class: "sqli", Label: LabelAttack, Source: "f", Payload: "1;drop table t"},
	}
	out, conflicts := Dedupe(in)
	if len(out) != 4 || len(conflicts) != 1 || conflicts[0].Source != "c" {
		t.Fatalf("dedupe: %+v, conflicts %+v", out, conflicts)
	}
	Number(out)
	s := Sample(out, 1)
	var attacks, benign int
	for _, e := range s {
		if e.Attack() {
			attacks++
		} else {
			benign++
		}
	}
	if attacks != 1 || benign != 1 {
		t.Errorf("sample kept %d attacks, %d benign; want 1 and every benign", attacks, benign)
	}
	if !reflect.DeepEqual(Sample(out, 1), s) {
		t.Error("sample not deterministic")
	}
	var b bytes.Buffer
	if err := WriteCorpus(&b, out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "<b>") {
		t.Error("corpus is HTML-escaped")
	}
	back, err := ReadCorpus(&b)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, out) {
		t.Errorf("round trip: %+v, want %+v", back, out)
	}
	for _, bad := range []string{
		`{"id":1,"class":"benign","label":"attack","payload":"x"}`,
		`{"id":0,"class":"sqli","label":"attack","payload":"x"}`,
		`{"id":1,"class":"sqli","label":"attack","payload":""}`,
		`{"id":1,"class":"sqli","label":"attack","payload":"x"}` + "\n" + `{"id":1,"class":"sqli","label":"attack","payload":"y"}`,
	} {
		if _, err := ReadCorpus(strings.NewReader(bad)); err == nil {
			t.Errorf("no error for %s", bad)
		}
	}
}

func TestTag(t *testing.T) {
	for _, p := range Placements {
		id, got, ok := ParseTag(Tag(42, p))
		if !ok || id != 42 || got != p {
			t.Errorf("ParseTag(Tag(42, %s)) = %d %s %v", p, id, got, ok)
		}
	}
	for _, bad := range []string{"", "eval-", "eval-x-query", "eval-1-nowhere", "eval-0-query", "req-1-query"} {
		if _, _, ok := ParseTag(bad); ok {
			t.Errorf("ParseTag(%q) ok", bad)
		}
	}
}

func TestApplicable(t *testing.T) {
	tests := []struct {
		p       Placement
		payload string
		want    bool
	}{
		{Header, "${jndi:ldap://x}", true},
		{Header, "a\r\nb", false},
		{Header, "a\x00b", false},
		{Header, "a\tb", true},
		{Protobuf, "ok", true},
		{Protobuf, "\xc0\xae", false},
		{Query, "a\r\n\x00", true},
		{XML, "<x>&amp;\t\r\n日本", true},
		{XML, ".\x00./etc/passwd", false},
		{XML, "a\fb", false},
		{XML, "a\xffb", false},
		{XML, "a\uffffb", false},
		{Form037, "1' OR '1'='1 é¬", true},
		{Form037, "日本", false},
		{Form037, "a\xffb", false},
		{JSON037, "日本", true},
		{Form7, "日本", true},
		{Form7, "a\xffb", false},
	}
	for _, tt := range tests {
		if got := Applicable(tt.p, tt.payload); got != tt.want {
			t.Errorf("Applicable(%s, %q) = %v", tt.p, tt.payload, got)
		}
	}
}

// TestUTF7Form: the form7 placement's encoding; each form was checked with
// what Django does to a body (Python: body.decode("utf-7"), then parse_qsl
// with encoding="utf-7"), which gives the input back.
func TestUTF7Form(t *testing.T) {
	for in, want := range map[string]string{
		"1' or 1=1--":    "1+ACc-%20or%201%3D1+AC0-+AC0-",
		"<script>":       "+ADw-script+AD4-",
		"a+b&c":          "a%2B-b%26c",
		"日本 😀":           "+ZeU-+Zyw-%20+2D3eAA-",
		"tab\there \x00": "tab%09here%20%00",
	} {
		if got := utf7Form(in); got != want {
			t.Errorf("utf7Form(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestNewRequest checks that every HTTP placement carries the payload so
// that the usual decoding of that placement gives it back unchanged.
func TestNewRequest(t *testing.T) {
	payloads := []string{"1' OR '1'='1", "<script>alert(1)</script>", "a+b c&d=e;f/g%41", "../../etc/passwd", "日本 \"q\"", "..;/x?y#z"}
	for _, payload := range payloads {
		for _, p := range append(slices.Clone(Placements[:len(Placements)-1]), RawPath, JSON16, Form037, JSON037, Multipart64, MultipartLast) {
			if !Applicable(p, payload) {
				continue
			}
			req, err := NewRequest(context.Background(), p, "http://127.0.0.1:1", 7, payload)
			if err != nil {
				t.Fatal(err)
			}
			if got := req.Header.Get(TagHeader); got != Tag(7, p) {
				t.Errorf("%s: tag %q", p, got)
			}
			var body []byte
			if req.Body != nil {
				body, _ = io.ReadAll(req.Body)
			}
			got := decodePlacement(t, p, req.URL.EscapedPath(), req.URL.RawQuery, req.Header.Get("Content-Type"), req.Header.Get("User-Agent"), req.Header.Get("Cookie"), body)
			if got != payload {
				t.Errorf("%s: got %q, want %q", p, got, payload)
			}
		}
	}
	if _, err := NewRequest(context.Background(), Protobuf, "http://127.0.0.1:1", 1, "x"); err == nil {
		t.Error("protobuf is not an HTTP placement")
	}
}

func decodePlacement(t *testing.T, p Placement, path, rawQuery, ctype, ua, cookie string, body []byte) string {
	t.Helper()
	switch p {
	case Query:
		q, err := url.ParseQuery(rawQuery)
		if err != nil {
			t.Fatal(err)
		}
		return q.Get("q")
	case Path:
		seg := strings.Split(path, "/")[4]
		s, err := url.PathUnescape(seg)
		if err != nil {
			t.Fatal(err)
		}
		return s
	case RawPath:
		s, err := url.PathUnescape(strings.TrimPrefix(path, "/api/v1/files/"))
		if err != nil {
			t.Fatal(err)
		}
		return s
	case JSON, JSON16, JSON037:
		if p == JSON037 {
			// As Spring reads it: through a reader of the charset.
			var err error
			if body, err = charmap.CodePage037.NewDecoder().Bytes(body); err != nil {
				t.Fatal(err)
			}
		}
		if p == JSON16 {
			u := make([]uint16, len(body)/2)
			for i := range u {
				u[i] = uint16(body[2*i]) | uint16(body[2*i+1])<<8
			}
			body = []byte(string(utf16.Decode(u)))
		}
		var v struct{ Body string }
		if err := json.Unmarshal(body, &v); err != nil {
			t.Fatal(err)
		}
		return v.Body
	case GraphQL:
		var v struct{ Variables struct{ Q string } }
		if err := json.Unmarshal(body, &v); err != nil {
			t.Fatal(err)
		}
		return v.Variables.Q
	case Form:
		q, err := url.ParseQuery(string(body))
		if err != nil {
			t.Fatal(err)
		}
		return q.Get("message")
	case Form037:
		// As ASP.NET reads it: each field percent-decoded to bytes,
		// then decoded in the request's charset.
		if !strings.HasSuffix(ctype, "charset=ibm037") {
			t.Fatalf("content type %q", ctype)
		}
		q, err := url.ParseQuery(string(body))
		if err != nil {
			t.Fatal(err)
		}
		for k, vs := range q {
			name, _ := charmap.CodePage037.NewDecoder().String(k)
			if name == "message" {
				v, _ := charmap.CodePage037.NewDecoder().String(vs[0])
				return v
			}
		}
	case Multipart, Multipart64, MultipartLast:
		if p == MultipartLast {
			// As Django reads it: the last boundary.
			ctype = ctype[:strings.Index(ctype, ";")] + ctype[strings.LastIndex(ctype, ";"):]
		}
		if p == Multipart64 {
			// As Django reads it: the part's transfer encoding undone.
			_, params, _ := mime.ParseMediaType(ctype)
			r := multipart.NewReader(bytes.NewReader(body), params["boundary"])
			for {
				part, err := r.NextPart()
				if err != nil {
					t.Fatal(err)
				}
				if part.FormName() == "description" {
					if part.Header.Get("Content-Transfer-Encoding") != "base64" {
						t.Fatal("no transfer encoding")
					}
					b, _ := io.ReadAll(base64.NewDecoder(base64.StdEncoding, part))
					return string(b)
				}
			}
		}
		_, params, err := mime.ParseMediaType(ctype)
		if err != nil {
			t.Fatal(err)
		}
		f, err := multipart.NewReader(bytes.NewReader(body), params["boundary"]).ReadForm(1 << 20)
		if err != nil {
			t.Fatal(err)
		}
		return f.Value["description"][0]
	case XML:
		var v struct {
			Note string `xml:"note"`
		}
		if err := xml.Unmarshal(body, &v); err != nil {
			t.Fatal(err)
		}
		return v.Note
	case Header:
		return ua
	case Cookie:
		for _, c := range strings.Split(cookie, "; ") {
			if v, ok := strings.CutPrefix(c, "last_search="); ok {
				s, err := url.PathUnescape(v)
				if err != nil {
					t.Fatal(err)
				}
				return s
			}
		}
	}
	t.Fatalf("%s: payload not found", p)
	return ""
}

func TestScore(t *testing.T) {
	corpus := []Entry{
		{ID: 1, Class: "sqli", Label: LabelAttack, Source: "crs:942100/1", PL: 1, Payload: "1 or 1=1"},
		{ID: 2, Class: "sqli", Label: LabelAttack, Source: "crs:942200/1", PL: 2, Payload: "x' --"},
		{ID: 3, Class: "xss", Label: LabelAttack, Source: "libinjection:test-xss-001", Payload: "<script>"},
		{ID: 4, Class: ClassBenign, Label: LabelBenign, Source: "benign:names", Payload: "O'Brien"},
		{ID: 5, Class: ClassBenign, Label: LabelBenign, Source: "benign:names", Payload: "D'Angelo"},
	}
	sqli := []AlertRef{{ID: "a", Detector: "injection", RuleID: "sqli"}}
	exchanges := strings.Join([]string{
		`{"app_proto":"http","request":{"version":"HTTP/1.1","headers":[["x-request-id","eval-1-query"]]},"alerts":[{"id":"a","detector":"injection","rule_id":"sqli"}]}`,
		`{"app_proto":"http","request":{"version":"HTTP/2","headers":[["x-request-id","eval-1-query"]]},"alerts":[{"id":"b","detector":"injection","rule_id":"sqli"}]}`,
		`{"app_proto":"http","request":{"version":"HTTP/1.1","headers":[["x-request-id","eval-2-query"]]}}`,
		`{"app_proto":"grpc","grpc":{"service":"eval.v1.Search"},"request":{"version":"HTTP/2","headers":[["x-request-id","eval-3-protobuf"]]},"alerts":[{"id":"c","detector":"injection","rule_id":"xss"}]}`,
		`{"app_proto":"http","request":{"version":"HTTP/1.1","headers":[["X-Request-Id","eval-4-query"]]},"alerts":[{"id":"d","detector":"injection","rule_id":"sqli"}]}`,
		`{"app_proto":"http","request":{"version":"HTTP/1.1","headers":[["x-request-id","eval-5-query"]]}}`,
		`{"app_proto":"http","request":{"version":"HTTP/1.1","headers":[["user-agent","curl"]]}}`,
		`{"app_proto":"http","response":{"status":200}}`,
	}, "\n")
	seen, st, err := ReadExchanges(strings.NewReader(exchanges))
	if err != nil {
		t.Fatal(err)
	}
	if st != (ExchangeStats{Exchanges: 8, Untagged: 2}) {
		t.Errorf("stats %+v", st)
	}
	if got := seen[Key{1, Query, ProtoH1}]; !reflect.DeepEqual(got, sqli) {
		t.Errorf("h1 alerts %+v", got)
	}
	if _, ok := seen[Key{3, Protobuf, ProtoGRPC}]; !ok {
		t.Error("gRPC exchange not keyed as grpc")
	}
	sent := []Sent{
		{ID: 1, Placement: Query, Proto: ProtoH1, Status: 200},
		{ID: 1, Placement: Query, Proto: ProtoH2C, Status: 200},
		{ID: 2, Placement: Query, Proto: ProtoH1, Status: 200},
		{ID: 2, Placement: Header, Proto: ProtoH1, Skipped: true},
		{ID: 2, Placement: Query, Proto: ProtoH2C, Status: 200}, // lost
		{ID: 3, Placement: Protobuf, Proto: ProtoGRPC, Status: 200},
		{ID: 4, Placement: Query, Proto: ProtoH1, Status: 200},
		{ID: 5, Placement: Query, Proto: ProtoH1, Status: 200},
		{ID: 5, Placement: Query, Proto: ProtoH2C, Err: "connection refused"},
	}
	res, err := Score(corpus, sent, seen)
	if err != nil {
		t.Fatal(err)
	}
	cell := func(class string, p Placement, proto string) Cell {
		return res.Sum(func(c *Cell) bool { return c.Class == class && c.Placement == p && c.Proto == proto })
	}
	checks := []struct {
		name string
		got  Cell
		want Cell
	}{
		{"sqli query h1", cell("sqli", Query, ProtoH1), Cell{Total: 2, Flagged: 1}},
		{"sqli query h2c", cell("sqli", Query, ProtoH2C), Cell{Total: 1, Flagged: 1, Lost: 1}},
		{"sqli header h1", cell("sqli", Header, ProtoH1), Cell{Skipped: 1}},
		{"xss protobuf grpc", cell("xss", Protobuf, ProtoGRPC), Cell{Total: 1, Flagged: 1}},
		{"benign query h1", cell(ClassBenign, Query, ProtoH1), Cell{Total: 2, Flagged: 1}},
		{"benign query h2c", cell(ClassBenign, Query, ProtoH2C), Cell{Failed: 1}},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: %+v, want %+v", c.name, c.got, c.want)
		}
	}
	if len(res.Misses) != 1 || res.Misses[0].ID != 2 || len(res.FalsePositives) != 1 || res.FalsePositives[0].ID != 4 {
		t.Errorf("misses %+v, false positives %+v", res.Misses, res.FalsePositives)
	}
	if got := res.Detectors["injection/sqli"]; got != [2]int{2, 1} {
		t.Errorf("injection/sqli fired %v, want [2 1]", got)
	}
	if res.ByPL[1] != (Cell{Total: 2, Flagged: 2}) || res.ByPL[2] != (Cell{Total: 1}) || res.ByPL[0] != (Cell{Total: 1, Flagged: 1}) {
		t.Errorf("by PL %+v", res.ByPL)
	}
	if res.ByShape != [2]Cell{{Total: 4, Flagged: 3}, {}} {
		t.Errorf("by shape %+v", res.ByShape)
	}
	v := res.Verdicts()
	if len(v) != 4 || v[0].Placement != Query || v[1].Placement != Header || v[2].Placement != Protobuf || v[3].Placement != "all" {
		t.Fatalf("verdicts %+v", v)
	}
	// Query: 2 of 3 attacks, 1 of 2 benign: fails both targets.
	if v[0].Pass || v[0].Attacks.Total != 3 || v[0].Benign.Flagged != 1 {
		t.Errorf("query verdict %+v", v[0])
	}
	var md, cases bytes.Buffer
	res.WriteMarkdown(&md)
	res.WriteCases(&cases, 10)
	for _, want := range []string{"| sqli |", "| query | 3 | 2 | 66.7% |", "FAIL", "| CRS PL2 | 1 | 0.0% (0/1) |", "| with syntax | 4 | 75.0% (3/4) |",
		// No benign value sent in protobuf: no false-positive rate, no verdict.
		"| protobuf | 1 | 1 | 100.0% | 0 | 0 | n/a | 0 | 0 | n/a (no benign values) |"} {
		if !strings.Contains(md.String(), want) {
			t.Errorf("markdown lacks %q:\n%s", want, md.String())
		}
	}
	if !strings.Contains(cases.String(), "| crs:942200 | 1 | 1 |") || !strings.Contains(cases.String(), `2 sqli crs:942200/1 h1  "x' --"`) || !strings.Contains(cases.String(), "injection/sqli \"O'Brien\"") {
		t.Errorf("cases:\n%s", cases.String())
	}
	if _, err := Score(corpus, []Sent{{ID: 99, Placement: Query, Proto: ProtoH1}}, seen); err == nil {
		t.Error("no error for an id outside the corpus")
	}
}

func TestLoneToken(t *testing.T) {
	for _, c := range []struct {
		payload string
		want    bool
	}{
		{"ABS(", true},
		{"SLEEP   (", true},
		{"visudo\n", true},
		{"settings.php", true},
		{"4294967296", true},
		{"java.lang.Runtime", true},
		{"", false},
		{"(", false},
		{"sleep(5)", false},
		{"1 or 1=1", false},
		{"x' --", false},
		{"ls foo bar", false},
		{"$where", false},
		{"../etc/passwd", false},
		{"<script>", false},
	} {
		if got := LoneToken(c.payload); got != c.want {
			t.Errorf("LoneToken(%q) = %v, want %v", c.payload, got, c.want)
		}
	}
}

func TestSnippet(t *testing.T) {
	if got := Snippet("日本語", 4); got != "日…" {
		t.Errorf("Snippet = %q", got)
	}
	if got := Snippet("abc", 3); got != "abc" {
		t.Errorf("Snippet = %q", got)
	}
}

func FuzzParseCRSTests(f *testing.F) {
	f.Add([]byte(crsYAML("942100", `          data: "var=1234 OR 1=1"`+"\n", "/post", "", "expect_ids: [942100]")))
	f.Add([]byte(crsYAML("932100", "", "/?a=%zz&b=%41", "            Cookie: \"x\"\n", "expect_ids: [932100]")))
	f.Add([]byte("rule_id: 941100\ntests: [{stages: [{input: {data: [1, 2]}}]}]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		tests, err := ParseCRSTests(data, nil)
		if err != nil {
			return
		}
		for _, tt := range tests {
			if tt.Payload == "" || len(tt.Payload) > MaxPayload {
				t.Fatalf("payload of %d bytes", len(tt.Payload))
			}
		}
	})
}

func FuzzReadExchanges(f *testing.F) {
	f.Add(`{"request":{"version":"HTTP/2","headers":[["x-request-id","eval-1-json"]]},"alerts":[{"id":"a"}]}`)
	f.Add(`{"grpc":{},"request":{"headers":[["x-request-id","eval-9-protobuf"],["x","y"]]}}` + "\n\n{}")
	f.Fuzz(func(t *testing.T, s string) {
		seen, st, err := ReadExchanges(strings.NewReader(s))
		if err != nil {
			return
		}
		if len(seen) > st.Exchanges {
			t.Fatalf("%d keys from %d exchanges", len(seen), st.Exchanges)
		}
	})
}
