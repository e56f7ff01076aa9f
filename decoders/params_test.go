package decoders

import (
	"encoding/base64"
	"fmt"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// p builds an expected Param without decoding.
func p(loc Location, name, value string) Param {
	return Param{Loc: loc, Name: name, Value: value}
}

// pd builds an expected Param with its decoded form.
func pd(loc Location, name, value, decoded string, n int) Param {
	return Param{Loc: loc, Name: name, Value: value, Decoded: decoded, Decodes: n}
}

func req(path, query string, body string, hs ...string) *Exchange {
	m := &Message{Method: "POST", Path: path, Query: query, Body: []byte(body)}
	for i := 0; i+1 < len(hs); i += 2 {
		m.Headers = append(m.Headers, Header{Name: hs[i], Value: hs[i+1]})
	}
	return &Exchange{Request: m}
}

func only(ps []Param, loc Location) []Param {
	var out []Param
	for _, x := range ps {
		if x.Loc == loc {
			out = append(out, x)
		}
	}
	return out
}

type paramCase struct {
	name string
	x    *Exchange
	want []Param
}

func runParamCases(t *testing.T, loc Location, cases []paramCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			l := DefaultLimits()
			if dropped := ExtractParams(tc.x, &l); dropped != 0 {
				t.Errorf("dropped = %d, want 0", dropped)
			}
			got := only(tc.x.Params, loc)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got\n%s\nwant\n%s", fmtParams(got), fmtParams(tc.want))
			}
		})
	}
}

func fmtParams(ps []Param) string {
	var b strings.Builder
	for _, x := range ps {
		fmt.Fprintf(&b, "  %s %q = %q (%q ×%d)\n", x.Loc, x.Name, x.Value, x.Decoded, x.Decodes)
	}
	return b.String()
}

func TestExtractPath(t *testing.T) {
	runParamCases(t, LocPath, []paramCase{
		{"segments", req("/api/v1/users/42", "", ""), []Param{
			p(LocPath, "0", "api"), p(LocPath, "1", "v1"), p(LocPath, "2", "users"), p(LocPath, "3", "42"),
		}},
		{"empty segments skipped", req("//a///b/", "", ""), []Param{p(LocPath, "0", "a"), p(LocPath, "1", "b")}},
		{"matrix kept", req("/a;jsessionid=1/b;x=y", "", ""), []Param{p(LocPath, "0", "a;jsessionid=1"), p(LocPath, "1", "b;x=y")}},
		{"encoded traversal", req("/files/%2e%2e%252f", "", ""), []Param{
			p(LocPath, "0", "files"), pd(LocPath, "1", "%2e%2e%252f", "../", 2),
		}},
		{"plus is not space", req("/a+b", "", ""), []Param{p(LocPath, "0", "a+b")}},
		{"root", req("/", "", ""), nil},
		{"asterisk", req("*", "", ""), []Param{p(LocPath, "0", "*")}},
	})
}

func TestExtractQuery(t *testing.T) {
	runParamCases(t, LocQuery, []paramCase{
		{"pairs", req("/", "a=1&b=two", ""), []Param{p(LocQuery, "a", "1"), p(LocQuery, "b", "two")}},
		{"no value and empty pairs", req("/", "flag&&x=&=v", ""), []Param{
			p(LocQuery, "flag", ""), p(LocQuery, "x", ""), p(LocQuery, "", "v"),
		}},
		{"semicolon is not a separator", req("/", "a=1;b=2", ""), []Param{p(LocQuery, "a", "1;b=2")}},
		{"name decoded once", req("/", "us%2545r+x%5B%5D=1", ""), []Param{p(LocQuery, "us%45r x[]", "1")}},
		{"plus and percent", req("/", "q=a+b%20c", ""), []Param{pd(LocQuery, "q", "a+b%20c", "a b c", 1)}},
		{"double encoding", req("/", "id=1%2527", ""), []Param{pd(LocQuery, "id", "1%2527", "1'", 2)}},
		{"triple encoding", req("/", "x=%25252e", ""), []Param{pd(LocQuery, "x", "%25252e", ".", 3)}},
		{"invalid escapes kept", req("/", "x=%zz%4&y=100%", ""), []Param{p(LocQuery, "x", "%zz%4"), p(LocQuery, "y", "100%")}},
		{"equals in value", req("/", "t=a=b", ""), []Param{p(LocQuery, "t", "a=b")}},
		// A plus sent as %2B is a plus, not a space decoded twice.
		{"encoded plus", req("/", "x=%2B", ""), []Param{pd(LocQuery, "x", "%2B", "+", 1)}},
		{"plus decoded with escapes", req("/", "x=%252B+a%2Bb", ""), []Param{pd(LocQuery, "x", "%252B+a%2Bb", "+ a b", 2)}},
	})
}

func TestExtractHeadersCookies(t *testing.T) {
	x := req("/", "", "",
		"Host", "example.com",
		"User-Agent", "sqlmap%2F1.7",
		"Cookie", "sid=abc; theme = dark ;;flag",
		"X-Api-Key", "k",
		"cookie", "b=%27",
	)
	x.Request.Trailers = []Header{{"X-Trailer", "t"}}
	runParamCases(t, LocHeader, []paramCase{{"headers", x, []Param{
		p(LocHeader, "host", "example.com"),
		pd(LocHeader, "user-agent", "sqlmap%2F1.7", "sqlmap/1.7", 1),
		p(LocHeader, "x-api-key", "k"),
		p(LocHeader, "x-trailer", "t"),
	}}})
	x.Params = nil
	runParamCases(t, LocCookie, []paramCase{{"cookies", x, []Param{
		p(LocCookie, "sid", "abc"),
		p(LocCookie, "theme", "dark"),
		p(LocCookie, "flag", ""),
		pd(LocCookie, "b", "%27", "'", 1),
	}}})
}

// TestRepeatedPath: the other value of a repeated HTTP/2 :path, kept as a
// header, has its query read as a back end that routes by it reads it.
func TestRepeatedPath(t *testing.T) {
	x := req("/ok", "", "", ":path", "/x?id=1%27+OR+1%3D1--")
	runParamCases(t, LocQuery, []paramCase{{"repeated path", x, []Param{pd(LocQuery, "id", "1%27+OR+1%3D1--", "1' OR 1=1--", 1)}}})
}

func TestExtractForm(t *testing.T) {
	const ct = "Content-Type"
	runParamCases(t, LocForm, []paramCase{
		{"form", req("/", "", "user=bob&pass=a+b%26c", ct, "application/x-www-form-urlencoded; charset=UTF-8"), []Param{
			p(LocForm, "user", "bob"), pd(LocForm, "pass", "a+b%26c", "a b&c", 1),
		}},
		{"case-insensitive type", req("/", "", "a=1", ct, "Application/X-WWW-Form-URLEncoded"), []Param{p(LocForm, "a", "1")}},
		{"truncated", req("/", "", "a=1&b=%2", ct, "application/x-www-form-urlencoded"), []Param{p(LocForm, "a", "1"), p(LocForm, "b", "%2")}},
	})
}

func TestExtractJSON(t *testing.T) {
	const ct = "Content-Type"
	j := func(body string) *Exchange { return req("/", "", body, ct, "application/json") }
	runParamCases(t, LocJSON, []paramCase{
		{"nested", j(`{"user":{"name":"bob","age":42,"admin":false,"x":null},"items":[{"id":1},{"id":2.5e3}],"ok":true}`), []Param{
			p(LocJSON, "user.name", "bob"), p(LocJSON, "user.age", "42"), p(LocJSON, "user.admin", "false"),
			p(LocJSON, "user.x", "null"), p(LocJSON, "items[0].id", "1"), p(LocJSON, "items[1].id", "2.5e3"),
			p(LocJSON, "ok", "true"),
		}},
		{"top-level array", j(` [ {"x":"a"}, [1, [2]], "s" ] `), []Param{
			p(LocJSON, "[0].x", "a"), p(LocJSON, "[1][0]", "1"), p(LocJSON, "[1][1][0]", "2"), p(LocJSON, "[2]", "s"),
		}},
		{"top-level scalar", j(`"x"`), []Param{p(LocJSON, "", "x")}},
		{"escapes", j(`{"a\"b":"l\u00e9\n\ud83d\ude00\"\\\/","\u0024ne":"%27"}`), []Param{
			p(LocJSON, `a"b`, "lé\n😀\"\\/"), pd(LocJSON, "$ne", "%27", "'", 1),
		}},
		{"bad escapes kept", j(`{"a":"\x\u12\ud800z"}`), []Param{p(LocJSON, "a", `\x\u12`+"\uFFFDz")}},
		{"nosql operator", j(`{"user":{"$ne":null},"pw":{"$gt":""}}`), []Param{
			p(LocJSON, "user.$ne", "null"), p(LocJSON, "pw.$gt", ""),
		}},
		{"keys with dots kept", j(`{"a.b":{"c[0]":1}}`), []Param{p(LocJSON, "a.b.c[0]", "1")}},
		{"empty containers", j(`{"a":{},"b":[],"c":[{}],"d":1}`), []Param{p(LocJSON, "d", "1")}},
		{"graphql", j(`{"query":"query { user(id: 1) { name } }","variables":{"id":"1 OR 1=1"}}`), []Param{
			p(LocJSON, "query", "query { user(id: 1) { name } }"), p(LocJSON, "variables.id", "1 OR 1=1"),
		}},
		{"ndjson", j("{\"a\":1}\n{\"a\":2}\n"), []Param{p(LocJSON, "a", "1"), p(LocJSON, "a", "2")}},
		{"truncated string", j(`{"a":1,"b":"hel`), []Param{p(LocJSON, "a", "1"), p(LocJSON, "b", "hel")}},
		{"truncated literal", j(`{"a":[1,tr`), []Param{p(LocJSON, "a[0]", "1")}},
		{"truncated key", j(`{"a":1,"bb`), []Param{p(LocJSON, "a", "1")}},
		{"syntax error", j(`{"a":1,"b" 2}`), []Param{p(LocJSON, "a", "1")}},
		{"vendor type", req("/", "", `{"a":1}`, ct, "application/vnd.api+json; charset=utf-8"), []Param{p(LocJSON, "a", "1")}},
		{"text/json", req("/", "", `{"a":1}`, ct, "TEXT/JSON"), []Param{p(LocJSON, "a", "1")}},
		{"sniffed without type", req("/", "", "\n [1]"), []Param{p(LocJSON, "[0]", "1")}},
		{"sniffed text/plain", req("/", "", `{"a":"b"}`, ct, "text/plain;charset=utf-8"), []Param{p(LocJSON, "a", "b")}},
		{"not sniffed for other types", req("/", "", `{"a":1}`, ct, "application/octet-stream"), nil},
	})
}

// TestExtractFallbackBody checks that a body that fails to parse as what it
// claims to be is still handed to detectors whole.
func TestExtractFallbackBody(t *testing.T) {
	const ct = "Content-Type"
	runParamCases(t, LocBody, []paramCase{
		{"json trailing garbage", req("/", "", `{"a":1} ' OR 1=1`, ct, "application/json"), []Param{p(LocBody, "", `{"a":1} ' OR 1=1`)}},
		{"jsonp", req("/", "", `cb({"a":1})`, ct, "application/json"), []Param{p(LocBody, "", `cb({"a":1})`)}},
		{"json truncated is not an error", req("/", "", `{"a":"x`, ct, "application/json"), nil},
		{"xml unsupported version", req("/", "", `<?xml version="1.1"?><a>x</a>`, ct, "text/xml"), []Param{
			p(LocBody, "", `<?xml version="1.1"?><a>x</a>`),
		}},
	})
}

func TestExtractXML(t *testing.T) {
	const ct = "Content-Type"
	x := func(body string) *Exchange { return req("/", "", body, ct, "application/xml") }
	const xxe = `DOCTYPE foo [ <!ENTITY xxe SYSTEM "file:///etc/passwd"> ]`
	runParamCases(t, LocXML, []paramCase{
		{"elements and attributes", x(`<?xml version="1.0"?><root id="7"><a>  hello  </a><b><c k="v">x%27</c></b></root>`), []Param{
			p(LocXML, "/root/@id", "7"), p(LocXML, "/root/a", "  hello  "), p(LocXML, "/root/b/c/@k", "v"),
			pd(LocXML, "/root/b/c", "x%27", "x'", 1),
		}},
		{"mixed content", x(`<a>x<b>y</b>z</a>`), []Param{p(LocXML, "/a/b", "y"), p(LocXML, "/a", "xz")}},
		// A line break before a mail command and a blank after a file
		// name are kept; indentation of child elements is no text. XML
		// reads every CRLF as LF, as the application's parser does.
		{"blanks kept", x("<a>\n  <b>\r\nQUIT</b>\n  <c>shell.jsp </c>\n</a>"), []Param{
			p(LocXML, "/a/b", "\nQUIT"), p(LocXML, "/a/c", "shell.jsp "),
		}},
		// The last line break stays when indentation follows it.
		{"line break before indentation", x("<a>\n        QUIT</a>"), []Param{p(LocXML, "/a", "\n        QUIT")}},
		{"xxe", x(`<?xml version="1.0"?><!` + xxe + `><foo>&xxe;</foo>`), []Param{
			p(LocXML, "!DOCTYPE", xxe), p(LocXML, "/foo", "&xxe;"),
		}},
		{"soap", req("/", "", `<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"><soap:Body><m:Get xmlns:m="urn:x"><m:Id>1</m:Id></m:Get></soap:Body></soap:Envelope>`,
			ct, "application/soap+xml; charset=utf-8"), []Param{
			p(LocXML, "/soap:Envelope/@xmlns:soap", "http://www.w3.org/2003/05/soap-envelope"),
			p(LocXML, "/soap:Envelope/soap:Body/m:Get/@xmlns:m", "urn:x"),
			p(LocXML, "/soap:Envelope/soap:Body/m:Get/m:Id", "1"),
		}},
		{"cdata and entities", x(`<a><![CDATA[<script>]]>&lt;b&gt;</a>`), []Param{p(LocXML, "/a", "<script><b>")}},
		{"self-closing", x(`<a><b x="1"/><c/></a>`), []Param{p(LocXML, "/a/b/@x", "1")}},
		{"truncated", x(`<a><b>one</b><c>tw`), []Param{p(LocXML, "/a/b", "one"), p(LocXML, "/a/c", "tw")}},
		{"declared charset read as is", x(`<?xml version="1.0" encoding="ISO-8859-1"?><a>b</a>`), []Param{p(LocXML, "/a", "b")}},
		{"sniffed", req("/", "", "<!DOCTYPE a><a>1</a>"), []Param{p(LocXML, "!DOCTYPE", "DOCTYPE a"), p(LocXML, "/a", "1")}},
	})
}

func TestExtractMultipart(t *testing.T) {
	body := strings.Join([]string{
		"--XyZ",
		`Content-Disposition: form-data; name="title"`,
		"",
		"hello%2527",
		"--XyZ",
		`Content-Disposition: form-data; name="upload"; filename="../../shell.php"`,
		"Content-Type: application/x-php",
		"",
		"<?php system($_GET['c']); ?>",
		"--XyZ",
		`Content-Disposition: form-data; name="bin"`,
		"",
		"\x00\x01\x02",
		"--XyZ",
		`Content-Disposition: form-data; name="path"`,
		"",
		"../../etc/passwd\x00.png",
		"--XyZ",
		`Content-Disposition: form-data; name="nuls"`,
		"",
		"\x00../\x00../\x00../etc/passwd",
		"--XyZ",
		`Content-Disposition: form-data; name="utf16"`,
		"",
		".\x00.\x00/\x00i\x00m\x00g\x00.\x00p\x00n\x00g\x00",
		"--XyZ",
		`Content-Disposition: form-data; name="f2"; filename*=UTF-8''%E2%82%AC.txt`,
		"",
		"x",
		"--XyZ",
		`Content-Disposition: form-data; name="empty"`,
		"",
		"",
		"--XyZ--",
		"",
	}, "\r\n")
	const ct = "Content-Type"
	runParamCases(t, LocMultipart, []paramCase{
		{"fields and files", req("/", "", body, ct, `multipart/form-data; boundary="XyZ"`), []Param{
			pd(LocMultipart, "title", "hello%2527", "hello'", 2),
			p(LocMultipart, "upload.filename", "../../shell.php"),
			p(LocMultipart, "upload.content_type", "application/x-php"),
			// A field is a string to the application, whatever its
			// bytes: binary, NULs (the truncation trick), UTF-16.
			p(LocMultipart, "bin", "\x00\x01\x02"),
			p(LocMultipart, "path", "../../etc/passwd\x00.png"),
			p(LocMultipart, "nuls", "\x00../\x00../\x00../etc/passwd"),
			p(LocMultipart, "utf16", ".\x00.\x00/\x00i\x00m\x00g\x00.\x00p\x00n\x00g\x00"),
			p(LocMultipart, "f2.filename", "€.txt"),
			p(LocMultipart, "empty", ""),
		}},
		{"truncated", req("/", "", body[:60], ct, "multipart/form-data; boundary=XyZ"), []Param{p(LocMultipart, "title", "hello")}},
		{"no boundary", req("/", "", body, ct, "multipart/form-data"), nil},
		{"garbage type params", req("/", "", body[:60], ct, `multipart/form-data; ;;boundary=XyZ; boundary=other; x="`), []Param{p(LocMultipart, "title", "hello")}},
	})
}

// TestExtractMultipartMalformed: a part header mime/multipart refuses (the
// NUL of Struts S2-046's file name, a control byte, a line without a
// colon) does not hide that part nor the ones after it, and is recorded.
func TestExtractMultipartMalformed(t *testing.T) {
	for _, c := range []struct{ bad, want string }{
		{"Content-Disposition: form-data; name=\"f\"; filename=\"%{(#_='multipart/form-data')}\x00b\"",
			"f.filename=%{(#_='multipart/form-data')}\x00b|f.content_type=text/plain"},
		{"Content-Disposition: form-data; name=\"f\x01\"", "f\x01=second"},
		{"no colon here\r\nContent-Disposition: form-data; name=\"f\"", "f=second"},
	} {
		body := "--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nfirst\r\n" +
			"--XyZ\r\n" + c.bad + "\r\nContent-Type: text/plain\r\n\r\nsecond\r\n" +
			"--XyZ\nContent-Disposition: form-data; name=\"c\"\n\n;cat /etc/passwd\n" +
			"--XyZ--\r\n"
		x := req("/", "", body, "Content-Type", "multipart/form-data; boundary=XyZ")
		if got, want := multipartPairs(x), "a=first|"+c.want+"|c=;cat /etc/passwd"; got != want {
			t.Errorf("%q:\n got %q\nwant %q", c.bad, got, want)
		}
		if len(x.Anomalies) != 1 || x.Anomalies[0].Kind != KindMultipartMalformed {
			t.Errorf("%q: anomalies %+v, want one %s", c.bad, x.Anomalies, KindMultipartMalformed)
		}
	}
	// A boundary inside a line is content, before the bad part and in it:
	// it neither ends the body nor cuts a part.
	body := "--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nhello x--XyZ-- bye\r\n" +
		"--XyZ\r\nContent-Disposition: form-data; name=\"f\x01\"\r\n\r\nx--XyZ\r\n' or 1=1--\r\n" +
		"--XyZ\r\nContent-Disposition: form-data; name=\"c\"\r\n\r\nthird\r\n--XyZ--\r\n"
	x := req("/", "", body, "Content-Type", "multipart/form-data; boundary=XyZ")
	if got, want := multipartPairs(x), "a=hello x--XyZ-- bye|f\x01=x--XyZ\r\n' or 1=1--|c=third"; got != want {
		t.Errorf("boundaries inside lines:\n got %q\nwant %q", got, want)
	}
	// A refused part with no content keeps its headers.
	x = req("/", "", "--b\r\nContent-Disposition: form-data; name=\"f\"; filename=\"shell.jsp\x00.png\"\r\n\r\n--b\r\nContent-Disposition: form-data; name=\"c\"\r\n\r\nthird\r\n--b--\r\n",
		"Content-Type", "multipart/form-data; boundary=b")
	if got, want := multipartPairs(x), "f.filename=shell.jsp\x00.png|c=third"; got != want {
		t.Errorf("empty refused part:\n got %q\nwant %q", got, want)
	}
}

// TestExtractMultipartBase64: a part in base64 transfer encoding is read as
// its bytes (servers that ignore the encoding) and decoded (Django decodes
// it: white space and bytes outside the alphabet dropped); a repeated
// transfer encoding is read as Django reads it, the last; the exchange
// records the encoding. A file's content is read decoded too (an SVG's
// entity).
func TestExtractMultipartBase64(t *testing.T) {
	const atk = "1' UNION SELECT password FROM users--"
	b64 := base64.StdEncoding.EncodeToString([]byte(atk))
	wrapped := b64[:20] + "\r\n" + b64[20:]
	junk := b64[:8] + "!" + b64[8:]
	// Valid base64 once its spaces are dropped, and a payload as it is.
	both := "0 union select password from users abc"
	for _, c := range []struct {
		name, head, content string
		want                []string
	}{
		{"base64", "Content-Transfer-Encoding: base64\r\n", b64, []string{b64, atk}},
		{"lines of base64, the header in capitals", "CONTENT-TRANSFER-ENCODING: BASE64\r\n", wrapped, []string{wrapped, atk}},
		{"junk in base64", "Content-Transfer-Encoding: base64\r\n", junk, []string{junk, atk}},
		{"a payload that is base64 too", "Content-Transfer-Encoding: base64\r\n", both, []string{both, string(mustDecode(t, strings.ReplaceAll(both, " ", "")))}},
		{"the last of two encodings", "Content-Transfer-Encoding: 8bit\r\nContent-Transfer-Encoding: base64\r\n", b64, []string{b64, atk}},
		{"not the first of two", "Content-Transfer-Encoding: base64\r\nContent-Transfer-Encoding: 8bit\r\n", b64, []string{b64}},
		{"quoted-printable, as before", "Content-Transfer-Encoding: quoted-printable\r\n", "1=27 UNION", []string{"1' UNION"}},
	} {
		body := "--XB\r\n" + c.head + "Content-Disposition: form-data; name=\"q\"\r\n\r\n" + c.content + "\r\n--XB--\r\n"
		x := req("/", "", body, "Content-Type", "multipart/form-data; boundary=XB")
		var want []string
		for _, w := range c.want {
			want = append(want, "q="+w)
		}
		if got := multipartPairs(x); got != strings.Join(want, "|") {
			t.Errorf("%s:\n got %q\nwant %q", c.name, got, strings.Join(want, "|"))
		}
		if b := len(c.want) == 2; b != (len(x.Anomalies) == 1 && x.Anomalies[0].Kind == KindMultipartBase64) {
			t.Errorf("%s: anomalies %+v", c.name, x.Anomalies)
		}
	}
	svg := base64.StdEncoding.EncodeToString([]byte(`<!DOCTYPE s [<!ENTITY x SYSTEM "file:///etc/passwd">]><s>&x;</s>`))
	x := req("/", "", "--XB\r\nContent-Disposition: form-data; name=\"f\"; filename=\"a.svg\"\r\nContent-Type: image/svg+xml\r\nContent-Transfer-Encoding: base64\r\n\r\n"+svg+"\r\n--XB--\r\n",
		"Content-Type", "multipart/form-data; boundary=XB")
	ExtractParams(x, nil)
	if !hasParam(x.Params, LocXML, "!DOCTYPE", `DOCTYPE s [<!ENTITY x SYSTEM "file:///etc/passwd">]`) {
		t.Errorf("an SVG in base64: %s", fmtParams(x.Params))
	}
}

// TestExtractMultipartBoundaries: a multipart body whose Content-Type names
// several boundaries is read by each (PHP and ASP.NET take the first,
// Django, Werkzeug, busboy and Commons FileUpload the last), and the
// exchange records it; one boundary, in any of its spellings, is read as
// before.
func TestExtractMultipartBoundaries(t *testing.T) {
	part := func(b, v string) string {
		return "--" + b + "\r\nContent-Disposition: form-data; name=\"q\"\r\n\r\n" + v + "\r\n--" + b + "--\r\n"
	}
	for _, c := range []struct {
		ct, body, want string
		anomaly        bool
	}{
		{"multipart/form-data; boundary=b1; boundary=b2", part("b2", "last"), "q=last", true},
		{"multipart/form-data; boundary=b1; boundary=b2", part("b1", "first"), "q=first", true},
		{`multipart/form-data; boundary="b2"; boundary=b1`, part("b1", "second"), "q=second", true},
		{"multipart/form-data; boundary=b1; boundary*=utf-8''b2", part("b2", "ext"), "q=ext", true},
		{"multipart/form-data; boundary=b1; boundary=b2", part("b1", "one") + part("b2", "two"), "q=one|q=two", true},
		{"multipart/form-data; boundary=b2; boundary=b2", part("b2", "same"), "q=same", false},
		{"multipart/form-data; BOUNDARY=b2", part("b2", "upper"), "q=upper", false},
		{"multipart/form-data; boundary=b2; charset=utf-8", part("b2", "plain"), "q=plain", false},
		// Werkzeug cuts a bare value at a byte no token holds.
		{"multipart/form-data; boundary=A,B", part("A", "comma"), "q=comma", true},
		{"multipart/form-data; boundary=A/x", part("A", "slash"), "q=slash", true},
		// PHP reads the first "boundary" anywhere, untrimmed.
		{"multipart/form-data; xboundary=A; boundary=B", part("A", "php"), "q=php", true},
		{"multipart/form-data; boundary*=utf-8''A", part("utf-8''A", "raw"), "q=raw", true},
		// ASP.NET finds one inside another parameter's quoted value.
		{`multipart/form-data; x=",boundary=A,"; boundary=B`, part("A", "aspnet"), "q=aspnet", true},
		// Past the bound, the first and the last count.
		{"multipart/form-data; boundary=a; boundary=b; boundary=c; boundary=d; boundary=D", part("D", "last"), "q=last", true},
		// No boundary splits it: read as text.
		{"multipart/form-data; boundary=Z", part("Y", "text"), "", false},
	} {
		x := req("/", "", c.body, "Content-Type", c.ct)
		if got := multipartPairs(x); got != c.want {
			t.Errorf("%s:\n got %q\nwant %q", c.ct, got, c.want)
		}
		if got := len(x.Anomalies) == 1 && x.Anomalies[0].Kind == KindMultipartBoundaries; got != c.anomaly {
			t.Errorf("%s: anomalies %+v", c.ct, x.Anomalies)
		}
		m := x.Request
		if got := strings.Join(MultipartFields(m, "q"), "|"); c.want != "" && "q="+strings.ReplaceAll(got, "|", "|q=") != c.want {
			t.Errorf("%s: MultipartFields %q", c.ct, got)
		}
		if c.want == "" && !hasParam(x.Params, LocBody, "", part("Y", "text")) {
			t.Errorf("%s: the body not read as text:\n%s", c.ct, fmtParams(x.Params))
		}
	}
	// Two Content-Types: the parts by both, once each, and the fields
	// whole by both (MultipartFields).
	x := req("/", "", part("A", "one")+part("B", "two"), "Content-Type", "multipart/form-data; boundary=A", "Content-Type", "multipart/form-data; boundary=B")
	if got := multipartPairs(x); got != "q=one|q=two" {
		t.Errorf("two multipart Content-Types: %q", got)
	}
	if got := MultipartFields(x.Request, "q"); strings.Join(got, "|") != "one|two" {
		t.Errorf("two multipart Content-Types: MultipartFields %q", got)
	}
	x = req("/", "", part("B", "json first"), "Content-Type", "application/json", "Content-Type", "multipart/form-data; boundary=B")
	if got := MultipartFields(x.Request, "q"); strings.Join(got, "|") != "json first" {
		t.Errorf("a JSON type then a multipart one: MultipartFields %q", got)
	}
}

// TestExtractContentTypes: a request with two Content-Types that differ has
// its body read as each (servers differ on which counts), and the exchange
// records it; the same one twice is one.
func TestExtractContentTypes(t *testing.T) {
	const atk = "1' or '1'='1"
	mp := "--XB\r\nContent-Disposition: form-data; name=\"q\"\r\n\r\n" + atk + "\r\n--XB--\r\n"
	for _, c := range []struct {
		cts  []string
		body string
		loc  Location
		n    int
	}{
		{[]string{"text/plain", "application/x-www-form-urlencoded"}, "q=" + url.QueryEscape(atk), LocForm, 2},
		{[]string{"application/octet-stream", "application/json"}, `{"q":"` + atk + `"}`, LocJSON, 2},
		{[]string{"application/json", "multipart/form-data; boundary=XB"}, mp, LocMultipart, 2},
		{[]string{"application/json", "application/json"}, `{"q":"` + atk + `"}`, LocJSON, 1},
		{[]string{"application/json", "application/json; charset=utf-8"}, `{"q":"` + atk + `"}`, LocJSON, 2},
		// Past the bound, the first and the last count.
		{[]string{"application/json", "text/plain", "text/csv", "application/x-www-form-urlencoded"}, "q=" + url.QueryEscape(atk), LocForm, 4},
	} {
		var hs []string
		for _, ct := range c.cts {
			hs = append(hs, "Content-Type", ct)
		}
		x := req("/", "", c.body, hs...)
		ExtractParams(x, nil)
		if !hasParam(x.Params, c.loc, "q", atk) {
			t.Errorf("%v: no %s parameter q in\n%s", c.cts, c.loc, fmtParams(x.Params))
		}
		if got := len(x.Anomalies) == 1 && x.Anomalies[0].Kind == KindContentTypes; got != (c.n > 1) {
			t.Errorf("%v: anomalies %+v", c.cts, x.Anomalies)
		}
		// Values that read the body alike read it once.
		if n := len(only(x.Params, c.loc)); n != 1 {
			t.Errorf("%v: %d %s parameters", c.cts, n, c.loc)
		}
	}
}

// mustDecode decodes standard base64.
func mustDecode(t *testing.T, s string) []byte {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// multipartPairs extracts x's parameters and lists its multipart ones as
// name=value, joined by '|'.
func multipartPairs(x *Exchange) string {
	ExtractParams(x, nil)
	var got []string
	for _, p := range only(x.Params, LocMultipart) {
		got = append(got, p.Name+"="+p.Value)
	}
	return strings.Join(got, "|")
}

// TestExtractBinaryFields: a multipart field whose file name is empty is a
// field; a long binary field or text body gives its printable runs, and a
// payload among its bytes is one.
func TestExtractBinaryFields(t *testing.T) {
	noise := make([]byte, 3000)
	for i := range noise {
		noise[i] = byte(i*131) | 0x80 // no printable ASCII
	}
	atk := "1' UNION SELECT password FROM users--"
	bin := string(noise[:1500]) + atk + string(noise[1500:])
	body := "--XB\r\nContent-Disposition: form-data; name=\"q\"; filename=\"\"\r\n\r\n" + atk +
		"\r\n--XB\r\nContent-Disposition: form-data; name=\"blob\"\r\n\r\n" + bin + "\r\n--XB--\r\n"
	x := req("/", "", body, "Content-Type", "multipart/form-data; boundary=XB")
	ExtractParams(x, nil)
	want := []Param{p(LocMultipart, "q", atk), p(LocMultipart, "blob", atk)}
	if got := only(x.Params, LocMultipart); !reflect.DeepEqual(got, want) {
		t.Errorf("got\n%s\nwant\n%s", fmtParams(got), fmtParams(want))
	}
	x = req("/", "", bin, "Content-Type", "text/plain")
	ExtractParams(x, nil)
	if got := only(x.Params, LocBody); len(got) != 1 || got[0].Value != atk {
		t.Errorf("text body: %s", fmtParams(got))
	}
}

// TestExtractFilenameBothForms: a file name given as filename and as
// filename* is read both ways (Go's mime, Spring and RFC 6266 take
// filename*, PHP filename).
func TestExtractFilenameBothForms(t *testing.T) {
	body := "--XB\r\nContent-Disposition: form-data; name=\"f\"; filename=\"a.jpg\"; filename*=UTF-8''shell.php\r\n\r\nx\r\n--XB--\r\n"
	x := req("/", "", body, "Content-Type", "multipart/form-data; boundary=XB")
	ExtractParams(x, nil)
	var got []string
	for _, p := range x.Params {
		if p.Name == "f.filename" {
			got = append(got, p.Value)
		}
	}
	if strings.Join(got, ",") != "a.jpg,shell.php" {
		t.Errorf("file names %q, want both forms", got)
	}
}

func TestExtractTextBody(t *testing.T) {
	const ct = "Content-Type"
	runParamCases(t, LocBody, []paramCase{
		{"text", req("/", "", "query { a }", ct, "application/graphql"), []Param{p(LocBody, "", "query { a }")}},
		{"plain", req("/", "", "hi%20there", ct, "text/plain"), []Param{pd(LocBody, "", "hi%20there", "hi there", 1)}},
		{"binary skipped", req("/", "", "\x89PNG\r\n\x1a\n\x00\x00", ct, "image/png"), nil},
		{"a stray byte kept", req("/", "", "a\xffb", ct, "application/octet-stream"), []Param{p(LocBody, "", "a\xffb")}},
		// A type that says text decides, whatever the bytes: control
		// bytes before a payload would otherwise hide it.
		{"text/plain kept whatever its bytes", req("/", "", "\x01\x01\xff\xff1' OR '1'='1", ct, "text/plain"), []Param{p(LocBody, "", "\x01\x01\xff\xff1' OR '1'='1")}},
		{"no type: by its look", req("/", "", "\x01\x01\x01\x01x", ct, ""), nil},
		{"bytes that are no utf-8 skipped", req("/", "", "\xff\xfe\xfd\x80\x81\x82\xc0\xc1abcdefgh", ct, "application/octet-stream"), nil},
		{"cut rune at end allowed", req("/", "", "caf\xc3", ct, "text/csv"), []Param{p(LocBody, "", "caf\xc3")}},
		{"no body", req("/", "", "", ct, "text/plain"), nil},
	})
}

func TestExtractLimits(t *testing.T) {
	t.Run("max params", func(t *testing.T) {
		x := req("/a/b", "x=1&y=2&z=3", `{"a":[1,2,3,4]}`, "Content-Type", "application/json", "Host", "h")
		l := DefaultLimits()
		l.MaxParams = 5
		dropped := ExtractParams(x, &l)
		if len(x.Params) != 5 || dropped != 6 {
			t.Fatalf("got %d params, %d dropped; want 5 and 6:\n%s", len(x.Params), dropped, fmtParams(x.Params))
		}
	})
	t.Run("existing params count", func(t *testing.T) {
		x := req("/a/b", "", "")
		x.Params = []Param{{Loc: "protobuf", Name: "1", Value: "v"}}
		l := DefaultLimits()
		l.MaxParams = 2
		if dropped := ExtractParams(x, &l); dropped != 1 || len(x.Params) != 2 || x.Params[0].Loc != "protobuf" {
			t.Fatalf("dropped %d:\n%s", dropped, fmtParams(x.Params))
		}
	})
	t.Run("padded values read at both ends", func(t *testing.T) {
		pad := strings.Repeat(" ", 9000)
		const payload = "' UNION SELECT password FROM users-- -"
		for _, c := range []struct {
			name, query, body, ct string
			loc                   Location
		}{
			{"query", "q=a" + pad + url.QueryEscape(payload), "", "", LocQuery},
			{"json", "", `{"q":"a` + pad + `\u0027` + payload[1:] + `"}`, "application/json", LocJSON},
			{"json both sides", "", `{"q":"a` + pad + `\u0027` + payload[1:] + pad + `"}`, "application/json", LocJSON},
			{"xml both sides", "", "<r><q>a" + pad + payload + pad + "</q></r>", "application/xml", LocXML},
			{"json unescaped", "", `{"q":"a` + pad + payload + `"}`, "application/json", LocJSON},
			{"xml", "", "<r><q>a" + pad + payload + "</q></r>", "application/xml", LocXML},
			{"form", "", "q=a" + pad + url.QueryEscape(payload), "application/x-www-form-urlencoded", LocForm},
			{"text", "", "a" + pad + payload, "text/plain", LocBody},
			{"multipart", "", "--b\r\nContent-Disposition: form-data; name=\"q\"\r\n\r\na" + pad + payload + "\r\n--b--\r\n", "multipart/form-data; boundary=b", LocMultipart},
			// Padded on both sides: the value decoded and squeezed.
			{"both sides", "q=a" + url.QueryEscape(pad+payload+pad), "", "", LocQuery},
			{"both sides, %20", "q=a" + strings.Repeat("%20", 9000) + url.PathEscape(payload) + strings.Repeat("%20", 9000), "", "", LocQuery},
		} {
			x := req("/", c.query, c.body, "Content-Type", c.ct)
			ExtractParams(x, nil)
			var head, tail bool
			for _, q := range only(x.Params, c.loc) {
				head = head || strings.HasPrefix(q.Value, "a ")
				tail = tail || strings.HasSuffix(strings.TrimRight(q.Best(), " "), payload)
			}
			if !head || !tail {
				t.Errorf("%s: head %v, tail %v:\n%s", c.name, head, tail, fmtParams(only(x.Params, c.loc)))
			}
		}
	})
	t.Run("value bytes on rune boundary", func(t *testing.T) {
		x := req("/", "k="+strings.Repeat("é", 10)+"&"+strings.Repeat("n", 20)+"=%41%41%41%41%41%41%41%41%41%41",
			`{"s":"\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9"}`, "Content-Type", "application/json")
		l := DefaultLimits()
		l.MaxParamBytes = 9
		ExtractParams(x, &l)
		// A value past the bound is read at both ends (add).
		want := []Param{
			p(LocQuery, "k", "éééé"),
			p(LocQuery, "k", "éééé"),
			pd(LocQuery, "nnnnnnnnn", "%41%41%41", "AAA", 1),
			pd(LocQuery, "nnnnnnnnn", "%41%41%41", "AAA", 1),
			p(LocJSON, "s", "éééé"),
			p(LocJSON, "s", "éééé"),
		}
		if got := append(only(x.Params, LocQuery), only(x.Params, LocJSON)...); !reflect.DeepEqual(got, want) {
			t.Fatalf("got\n%s", fmtParams(got))
		}
	})
	t.Run("json nesting", func(t *testing.T) {
		body := `{"a":` + strings.Repeat(`{"b":`, 10) + `1` + strings.Repeat(`}`, 10) + `,"c":"after"}`
		x := req("/", "", body, "Content-Type", "application/json")
		l := DefaultLimits()
		l.MaxNesting = 3
		dropped := ExtractParams(x, &l)
		if got, want := only(x.Params, LocJSON), []Param{p(LocJSON, "c", "after")}; dropped != 1 || !reflect.DeepEqual(got, want) {
			t.Fatalf("dropped %d, got\n%s", dropped, fmtParams(got))
		}
	})
	t.Run("xml nesting", func(t *testing.T) {
		body := `<a>` + strings.Repeat(`<b>`, 10) + `deep` + strings.Repeat(`</b>`, 10) + `<c>after</c></a>`
		x := req("/", "", body, "Content-Type", "text/xml")
		l := DefaultLimits()
		l.MaxNesting = 3
		dropped := ExtractParams(x, &l)
		if got, want := only(x.Params, LocXML), []Param{p(LocXML, "/a/c", "after")}; dropped != 1 || !reflect.DeepEqual(got, want) {
			t.Fatalf("dropped %d, got\n%s", dropped, fmtParams(got))
		}
	})
	t.Run("xml padding does not hide text", func(t *testing.T) {
		x := req("/", "", "<a>"+strings.Repeat(" ", 100)+"payload</a>", "Content-Type", "text/xml")
		l := DefaultLimits()
		l.MaxParamBytes = 16
		ExtractParams(x, &l)
		if got, want := only(x.Params, LocXML), []Param{p(LocXML, "/a", "    payload")}; !reflect.DeepEqual(got, want) {
			t.Fatalf("got\n%s", fmtParams(got))
		}
	})
	t.Run("no request", func(t *testing.T) {
		if d := ExtractParams(&Exchange{}, nil); d != 0 {
			t.Fatal(d)
		}
	})
}

func TestURLDecode(t *testing.T) {
	for _, tc := range []struct {
		in        string
		plus      bool
		want      string
		changed   bool
		rounds    int
		repeated  string
		maxRounds int
	}{
		{"abc", true, "abc", false, 0, "abc", 4},
		{"a+b", false, "a+b", false, 0, "a+b", 4},
		{"a+b", true, "a b", true, 1, "a b", 4},
		{"%2527", false, "%27", true, 2, "'", 4},
		{"%25252527", false, "%252527", true, 2, "%2527", 2},
		{"%zz%", false, "%zz%", false, 0, "%zz%", 4},
		{"%e2%82%AC", false, "€", true, 1, "€", 4},
		{"%%41", false, "%A", true, 1, "%A", 4},
		// A plus sent as %2B stays a plus: not double encoding.
		{"C%2B%2B", true, "C++", true, 1, "C++", 4},
		{"x%27%252Bemail--", true, "x'%2Bemail--", true, 2, "x'+email--", 4},
	} {
		got, changed := URLDecode(tc.in, tc.plus)
		if got != tc.want || changed != tc.changed {
			t.Errorf("URLDecode(%q, %v) = %q, %v; want %q, %v", tc.in, tc.plus, got, changed, tc.want, tc.changed)
		}
		rep, n := DecodeRepeated(tc.in, tc.plus, tc.maxRounds)
		if rep != tc.repeated || n != tc.rounds {
			t.Errorf("DecodeRepeated(%q, %v, %d) = %q, %d; want %q, %d", tc.in, tc.plus, tc.maxRounds, rep, n, tc.repeated, tc.rounds)
		}
	}
}

func TestMediaParam(t *testing.T) {
	for _, tc := range []struct {
		v, key, want string
		ok           bool
	}{
		{`form-data; name="a"; filename="b"`, "name", "a", true},
		{`form-data; name="a"; filename="b"`, "filename", "b", true},
		{`form-data; name=a`, "filename", "", false},
		{`form-data; name="a\"b"`, "name", `a"b`, true},
		{`form-data; name="unterminated`, "name", "unterminated", true},
		{`form-data; NAME=x; name=y`, "name", "x", true},
		{`form-data; filename*=utf-8'en'a%20b`, "filename", "a b", true},
		{`form-data; filename=""`, "filename", "", true},
		{`form-data; novalue; name = "a" `, "name", "a", true},
		{`multipart/form-data;boundary=----x`, "boundary", "----x", true},
	} {
		got, ok := mediaParam(tc.v, tc.key)
		if got != tc.want || ok != tc.ok {
			t.Errorf("mediaParam(%q, %q) = %q, %v; want %q, %v", tc.v, tc.key, got, ok, tc.want, tc.ok)
		}
	}
}

func TestCut(t *testing.T) {
	s := "aé€😀"
	for max := 0; max <= len(s)+1; max++ {
		c := cut(s, max)
		if len(c) > max || !utf8.ValidString(c) || !strings.HasPrefix(s, c) || len(s)-len(c) > 0 && max-len(c) >= 4 {
			t.Errorf("cut(%q, %d) = %q", s, max, c)
		}
	}
}

// TestExtractNames checks that a parameter name that is no identifier is
// added as a LocName parameter, once, and that plain names are not.
func TestExtractNames(t *testing.T) {
	const ct = "Content-Type"
	runParamCases(t, LocName, []paramCase{
		{"query", req("/", "a%20b=1&user_id=2&filter[price][gte]=3&java.lang.Runtime=4&%3Cscript%3E=5", ""), []Param{
			p(LocName, "query parameter", "a b"), p(LocName, "query parameter", "java.lang.Runtime"), p(LocName, "query parameter", "<script>"),
		}},
		{"double-encoded query name", req("/", "x%2527=1", ""), []Param{pd(LocName, "query parameter", "x%27", "x'", 1)}},
		{"form", req("/", "", "name=Bob&1'+OR+'1'%3D'1=x", ct, "application/x-www-form-urlencoded"), []Param{
			p(LocName, "form field", "1' OR '1'='1"),
		}},
		{"cookie", req("/", "", "", "Cookie", "sid=1; $(id)=2"), []Param{p(LocName, "cookie", "$(id)")}},
		{"json keys, once per exchange", req("/", "", `{"a":{"__x y":1},"list":[{"k'":1},{"k'":2}],"имя":"ok"}`, ct, "application/json"), []Param{
			p(LocName, "JSON field", "__x y"), p(LocName, "JSON field", "k'"),
		}},
		{"multipart", req("/", "", "--b\r\nContent-Disposition: form-data; name=\"a;id\"\r\n\r\nv\r\n--b--\r\n", ct, "multipart/form-data; boundary=b"), []Param{
			p(LocName, "multipart field", "a;id"),
		}},
		{"plain names", req("/", "a=1&b_c=2&d-e=3&f[g]=4&%D0%B8%D0%BC%D1%8F=6", ""), nil},
	})
}

func TestPlainName(t *testing.T) {
	for _, tc := range []struct {
		s    string
		want bool
	}{
		{"user_id", true}, {"filter[price][gte]", true}, {"имя", true}, {"名前", true}, {"", true},
		{"$top", false}, {"a.b", false}, {"http:x", false}, {"a b", false}, {"a'", false}, {"<x>", false}, {"a;b", false}, {"a(b)", false}, {"a/b", false}, {"a\x00", false}, {"a\u00a0b", false},
	} {
		if got := plainName(tc.s); got != tc.want {
			t.Errorf("plainName(%q) = %v, want %v", tc.s, got, tc.want)
		}
		if got := plainName([]byte(tc.s)); got != tc.want {
			t.Errorf("plainName([]byte(%q)) = %v, want %v", tc.s, got, tc.want)
		}
	}
}

// TestExtractUploadedDocuments: an uploaded file the server parses (XML,
// SVG, JSON, by type or by name) is read as a body of its type; other
// files are not read.
func TestExtractUploadedDocuments(t *testing.T) {
	part := func(name, file, ct, content string) string {
		return "--XU\r\nContent-Disposition: form-data; name=\"" + name + "\"; filename=\"" + file + "\"\r\nContent-Type: " + ct + "\r\n\r\n" + content + "\r\n"
	}
	body := part("avatar", "me.svg", "image/svg+xml", `<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/hostname">]><svg><text>&x;</text></svg>`) +
		part("import", "data.bin", "application/json", `{"$type":"System.Diagnostics.Process, System","n":1}`) +
		part("feed", "feed.rss", "application/octet-stream", `<rss><item>a</item></rss>`) +
		part("photo", "cat.png", "image/png", "\x89PNG\r\n\x1a\n<a>b</a>") +
		part("notes", "notes.txt", "text/plain", `<?xml version="1.0"?><n>c</n>`) +
		"--XU--\r\n"
	x := req("/", "", body, "Content-Type", "multipart/form-data; boundary=XU")
	ExtractParams(x, nil)
	var got []string
	for _, p := range x.Params {
		got = append(got, string(p.Loc)+" "+p.Name+"="+p.Value)
	}
	want := []string{
		"multipart avatar.filename=me.svg", "multipart avatar.content_type=image/svg+xml",
		`xml !DOCTYPE=DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/hostname">]`, "xml /svg/text=&x;",
		"multipart import.filename=data.bin", "multipart import.content_type=application/json",
		"json $type=System.Diagnostics.Process, System", "json n=1",
		"multipart feed.filename=feed.rss", "multipart feed.content_type=application/octet-stream", "xml /rss/item=a",
		"multipart photo.filename=cat.png", "multipart photo.content_type=image/png",
		"multipart notes.filename=notes.txt", "multipart notes.content_type=text/plain",
	}
	for _, w := range want {
		if !slices.Contains(got, w) {
			t.Errorf("no %q in %q", w, got)
		}
	}
	for _, g := range got {
		if strings.Contains(g, "/a=") || strings.Contains(g, "/n=") {
			t.Errorf("read a file that is data: %q", g)
		}
	}
}

// TestMultipartFields reads a field whole as ExtractParams reads the body:
// past a part header mime/multipart refuses, with a boundary parameter it
// would refuse, under any disposition, files left out.
func TestMultipartFields(t *testing.T) {
	long := strings.Repeat("q", 10000)
	for _, tc := range []struct {
		name, ct, body string
		want           []string
	}{
		{"plain", "multipart/form-data; boundary=B",
			"--B\r\nContent-Disposition: form-data; name=\"operations\"\r\n\r\n" + long + "\r\n--B--\r\n", []string{long}},
		{"after a refused header", "multipart/form-data; boundary=B",
			"--B\r\nContent-Disposition: form-data; name=\"a\"\r\nno colon here\r\n\r\nx\r\n--B\r\nContent-Disposition: form-data; name=\"operations\"\r\n\r\n" + long + "\r\n--B--\r\n", []string{long}},
		{"boundary parameters Go refuses", "multipart/form-data; boundary=B; charset",
			"--B\r\nContent-Disposition: attachment; name=\"operations\"\r\n\r\nv1\r\n--B\r\nContent-Disposition: form-data; name=operations; filename=\"f\"\r\n\r\nfile\r\n--B--\r\n", []string{"v1"}},
		{"other names", "multipart/form-data; boundary=B",
			"--B\r\nContent-Disposition: form-data; name=\"map\"\r\n\r\n{}\r\n--B--\r\n", nil},
		{"no boundary", "multipart/form-data", "--B\r\n", nil},
	} {
		m := &Message{Headers: []Header{{Name: "Content-Type", Value: tc.ct}}, Body: []byte(tc.body)}
		if got := MultipartFields(m, "operations"); !slices.Equal(got, tc.want) {
			t.Errorf("%s: %d values %.40q, want %d", tc.name, len(got), got, len(tc.want))
		}
	}
}
