package decoders

import (
	"encoding/base64"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"unicode/utf16"
	"unicode/utf8"
)

// toEBCDIC writes s in EBCDIC code page n; ok is false when the page has
// no byte for one of its characters.
func toEBCDIC(s string, n int) (b []byte, ok bool) {
	page := ebcdicPages[n]
	for _, r := range s {
		c := -1
		for i, pr := range page {
			if pr == r {
				c = i
				break
			}
		}
		if c < 0 {
			return nil, false
		}
		b = append(b, byte(c))
	}
	return b, true
}

// mustEBCDIC is toEBCDIC for text every page writes.
func mustEBCDIC(t testing.TB, s string, n int) []byte {
	t.Helper()
	b, ok := toEBCDIC(s, n)
	if !ok {
		t.Fatalf("%q has a character IBM%03d lacks", s, n)
	}
	return b
}

// escapeAll percent-encodes every byte of b, as a client sending EBCDIC
// bytes through an ASCII form does (ASP.NET's request encoding).
func escapeAll(b []byte) string {
	var sb strings.Builder
	for _, c := range b {
		fmt.Fprintf(&sb, "%%%02X", c)
	}
	return sb.String()
}

// hasParam reports whether ps hold a parameter of loc named name whose most
// decoded value is value.
func hasParam(ps []Param, loc Location, name, value string) bool {
	for _, p := range ps {
		if p.Loc == loc && p.Name == name && p.Best() == value {
			return true
		}
	}
	return false
}

// TestEBCDICBodies: a body in an EBCDIC code page yields the parameters the
// servers that honour its charset read, beside those of its bytes, and the
// exchange records the page.
func TestEBCDICBodies(t *testing.T) {
	const atk = "1' OR '1'='1"
	form := func(n int) string {
		return escapeAll(mustEBCDIC(t, "q", n)) + "=" + escapeAll(mustEBCDIC(t, atk, n))
	}
	multipart := "--XB\r\nContent-Disposition: form-data; name=\"q\"\r\n\r\n" + string(mustEBCDIC(t, atk, 37)) +
		"\r\n--XB\r\nContent-Disposition: form-data; name=\"f\"; filename=\"a.txt\"\r\n\r\n" + string(mustEBCDIC(t, "x", 37)) + "\r\n--XB--\r\n"
	xmlDoc := `<?xml version="1.0" encoding="IBM500"?><r><q>` + atk + `</q></r>`
	for _, tc := range []struct {
		name, ct, body string
		loc            Location
		param, page    string
	}{
		{"form, each field's bytes escaped (ASP.NET)", "application/x-www-form-urlencoded; charset=ibm037", form(37), LocForm, "q", "IBM037"},
		{"form, IBM500 by its IANA name", "application/x-www-form-urlencoded; charset=ebcdic-cp-be", form(500), LocForm, "q", "IBM500"},
		{"form, the euro page by Java's name", "application/x-www-form-urlencoded; charset=IBM01140", form(1140), LocForm, "q", "IBM1140"},
		// Django decodes the body, then a value with an escape again:
		// "%7D" is the page's quote (Python: parse_qsl(body.decode("cp037"),
		// encoding="cp037")).
		{"form written in the page (Django)", "application/x-www-form-urlencoded; charset=cp037", string(mustEBCDIC(t, "q="+atk, 37)), LocForm, "q", "IBM037"},
		{"form written in the page with the page's escapes (Django)", "application/x-www-form-urlencoded; charset=cp037",
			string(mustEBCDIC(t, "q="+escapeAll(mustEBCDIC(t, atk, 37)), 37)), LocForm, "q", "IBM037"},
		{"json written in the page (Spring)", "application/json; charset=IBM-1047", string(mustEBCDIC(t, `{"q":"`+atk+`"}`, 1047)), LocJSON, "q", "IBM1047"},
		{"xml by its first bytes and declaration", "application/xml", string(mustEBCDIC(t, xmlDoc, 500)), LocXML, "/r/q", "IBM500"},
		{"xml by its first bytes, no type", "", string(mustEBCDIC(t, `<?xml version="1.0"?><q>`+atk+`</q>`, 37)), LocXML, "/q", "IBM037"},
		{"multipart field (Django)", `multipart/form-data; boundary=XB; charset="IBM273"`, multipart, LocMultipart, "q", "IBM273"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.name == "multipart field (Django)" {
				// IBM273 writes the quote and digits as IBM037 does.
				tc.body = strings.Replace(tc.body, string(mustEBCDIC(t, atk, 37)), string(mustEBCDIC(t, atk, 273)), 1)
			}
			x := req("/", "", tc.body, "Content-Type", tc.ct)
			ExtractParams(x, nil)
			if !hasParam(x.Params, tc.loc, tc.param, atk) {
				t.Errorf("no %s parameter %s = %q in\n%s", tc.loc, tc.param, atk, fmtParams(x.Params))
			}
			var note string
			for _, a := range x.Anomalies {
				if a.Kind == KindBodyEBCDIC {
					note = a.Detail
				}
			}
			if want := "request in " + tc.page; note != want {
				t.Errorf("anomaly %q, want %q", note, want)
			}
		})
	}
}

// TestEBCDICClaimIgnored: a body declared in an EBCDIC page but written in
// ASCII is read as written too, for the servers that ignore the charset
// (PHP, Go): declaring a page hides nothing.
func TestEBCDICClaimIgnored(t *testing.T) {
	const atk = "1' OR '1'='1"
	for _, tc := range []struct {
		ct, body string
		loc      Location
		name     string
	}{
		{"application/x-www-form-urlencoded; charset=ibm037", "q=" + url.QueryEscape(atk), LocForm, "q"},
		{"application/json; charset=cp500", `{"q":"` + atk + `"}`, LocJSON, "q"},
		{"multipart/form-data; boundary=XB; charset=ibm037", "--XB\r\nContent-Disposition: form-data; name=\"q\"\r\n\r\n" + atk + "\r\n--XB--\r\n", LocMultipart, "q"},
	} {
		x := req("/", "", tc.body, "Content-Type", tc.ct)
		ExtractParams(x, nil)
		if !hasParam(x.Params, tc.loc, tc.name, atk) {
			t.Errorf("%s: no %s parameter %s = %q in\n%s", tc.ct, tc.loc, tc.name, atk, fmtParams(x.Params))
		}
	}
}

// TestEBCDICPageNames: the names Java, .NET, Python and IANA give the
// EBCDIC pages and UTF-7 are known, in any case and spelling; ASCII-based
// IBM and Windows pages, and Unicode, are not.
func TestCharsetNames(t *testing.T) {
	for name, want := range map[string]string{
		"IBM037": "IBM037", "ibm-37": "IBM037", "cp037": "IBM037", "CP037": "IBM037", "csIBM037": "IBM037",
		"ebcdic-cp-us": "IBM037", "cs-ebcdic-cp-ca": "IBM037", "cpibm37": "IBM037", "037": "IBM037", `"IBM_037"`: "IBM037",
		"ibm039": "IBM037", "IBM500": "IBM500", "ebcdic_cp_ch": "IBM500", "cp1026": "IBM1026", "IBM01140": "IBM1140",
		"IBM-1047": "IBM1047", "CCSID01047": "IBM1047", "cp875": "IBM875", "x-IBM875": "IBM875", "IBM273": "IBM273",
		"ebcdic-cp-gb": "IBM285", "IBM01149": "IBM1149", "cp424": "IBM424", "ebcdic-cp-he": "IBM424", "csibm424": "IBM424",
		"424": "IBM424", "IBM870": "IBM870", "IBM1025": "IBM1025", "IBM420": "IBM420", "IBM918": "IBM918",
		"IBM1097": "IBM1097", "IBM1112": "IBM1112", "IBM1122": "IBM1122", "IBM1123": "IBM1123",
		"utf-7": "UTF-7", "UTF7": "UTF-7", "u7": "UTF-7", "utf_7": "UTF-7", `"utf 7"`: "UTF-7", "unicode_1_1_utf_7": "UTF-7",
		"unicode-2-0-utf-7": "UTF-7", "x-unicode-1-1-utf-7": "UTF-7", "csUnicode11UTF7": "UTF-7", "csUTF7": "UTF-7",
		"utf-8": "", "UTF-16": "", "ibm437": "", "IBM850": "", "cp1252": "", "windows-1252": "", "iso-8859-1": "",
		"us-ascii": "", "": "", "ibm": "", "cp": "", "ebcdic": "", "ibm0000000037": "", strings.Repeat("x", 40): "",
		"IBM939": "", "cp1250": "", "koi8-r": "",
	} {
		c, ok := namedCharset(name)
		if c.name != want || ok != (want != "") {
			t.Errorf("namedCharset(%q) = %q, want %q", name, c.name, want)
		}
	}
}

// TestEBCDICPagesShareInvariants: every page writes letters, digits, the
// space and the characters of SQL, shell and markup payloads somewhere, and
// IBM037 writes "' or 1=1--" as Dalili's examples show it.
func TestEBCDICPagesShareInvariants(t *testing.T) {
	if got := fmt.Sprintf("% X", mustEBCDIC(t, "' or 1=1--", 37)); got != "7D 40 96 99 40 F1 7E F1 60 60" {
		t.Errorf("IBM037 writes %s", got)
	}
	for n := range ebcdicPages {
		if _, ok := toEBCDIC("abcxyzABCXYZ0189 '\"<>()=;-/*.,%_?:&+", n); !ok {
			t.Errorf("IBM%d lacks a character of payloads", n)
		}
	}
}

// FuzzDeclaredCharset: any body declared in any page or in UTF-7, or starting as
// EBCDIC XML, gives parameters within the bound, valid UTF-8 when converted
// from EBCDIC, and never a panic.
func FuzzDeclaredCharset(f *testing.F) {
	f.Add("application/x-www-form-urlencoded; charset=ibm037", []byte("%7D%40%96%99=%F1"))
	f.Add("application/json; charset=cp500", []byte{0xc0, 0x7f, 0x98, 0x7f, 0x7a, 0xf1, 0xd0})
	f.Add("multipart/form-data; boundary=B; charset=IBM01140", []byte("--B\r\nContent-Disposition: form-data; name=\"\xa8\"\r\n\r\n\x7d\r\n--B--\r\n"))
	f.Add("", []byte{0x4c, 0x6f, 0xa7, 0x94, 0x93, 0x40, 0x85, 0x95, 0x83, 0x96, 0x84, 0x89, 0x95, 0x87, 0x7e, 0x7f})
	f.Add("text/xml", []byte("Lo\xa7\x94"))
	f.Add("application/x-www-form-urlencoded; charset=utf-7", []byte("q=+ACc- or 1+AD0-1--&r=+2D3eAA-+2D0-x+-"))
	f.Add("text/xml", []byte(`<?xml version="1.0" encoding="utf-7"?>+ADw-!DOCTYPE a+AD4-`))
	f.Fuzz(func(t *testing.T, ct string, body []byte) {
		x := req("/", "", string(body), "Content-Type", ct)
		l := DefaultLimits()
		l.MaxParams = 64
		ExtractParams(x, &l)
		if len(x.Params) > l.MaxParams {
			t.Fatalf("%d parameters past the bound %d", len(x.Params), l.MaxParams)
		}
		css := declaredCharsets(ct, body)
		if len(css) > maxCharsets {
			t.Fatalf("%d charsets", len(css))
		}
		for _, cs := range css {
			if out := cs.decode(nil, body); cs.kind == KindBodyEBCDIC && !utf8.Valid(out) {
				t.Fatalf("% x converted is not UTF-8: % x", body, out)
			}
		}
	})
}

// TestUTF7: fromUTF7 reads what Python's codec reads (Django decodes with
// it): base64 runs of UTF-16 after '+', ended by '-' or any other byte,
// surrogate pairs joined.
func TestUTF7(t *testing.T) {
	for in, want := range map[string]string{
		"Hi Mom -+Jjo--!":    "Hi Mom -\u263a-!",
		"+ZeVnLIqe-":         "日本語",
		"A+ImIDkQ.":          "A\u2262\u0391.",
		"+-":                 "+",
		"+2D3eAA-":           "😀",
		"+ACc- or 1+AD0-1--": "' or 1=1--",
		"+AGEAYgBj":          "abc",
		"a+AGE":              "aa",
		"+2D0-x":             "\ufffdx",
		"+3gA-y":             "\ufffdy",
		"+AGEA-":             "a",
		"plain text":         "plain text",
		"+":                  "",
	} {
		if got := string(fromUTF7(nil, []byte(in))); got != want {
			t.Errorf("fromUTF7(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestUTF7Bodies: a form declared in UTF-7, written in it (Django) or with
// each field's UTF-7 bytes escaped (ASP.NET), and an XML document whose
// declaration names it (.NET Framework's XmlReader), yield the parameters
// of their UTF-8 forms, beside their bytes', and the exchange records it.
func TestUTF7Bodies(t *testing.T) {
	const atk = "1' OR '1'='1"
	utf7 := "1+ACc- OR +ACc-1+ACc-+AD0-+ACc-1"
	for _, tc := range []struct {
		name, ct, body string
		loc            Location
		param, want    string
	}{
		{"form written in it (Django)", "application/x-www-form-urlencoded; charset=UTF-7", "q=" + utf7, LocForm, "q", atk},
		{"form with each field's bytes escaped (ASP.NET)", "application/x-www-form-urlencoded; charset=utf-7", "q=" + url.QueryEscape(utf7), LocForm, "q", atk},
		{"xml declaring it", "application/xml", `<?xml version="1.0" encoding="UTF-7"?>+ADw-r+AD4APA-q+AD4-` + utf7 + `+ADw-/q+AD4APA-/r+AD4-`, LocXML, "/r/q", atk},
	} {
		t.Run(tc.name, func(t *testing.T) {
			x := req("/", "", tc.body, "Content-Type", tc.ct)
			ExtractParams(x, nil)
			if !hasParam(x.Params, tc.loc, tc.param, tc.want) {
				t.Errorf("no %s parameter %s = %q in\n%s", tc.loc, tc.param, tc.want, fmtParams(x.Params))
			}
			if len(x.Anomalies) != 1 || x.Anomalies[0].Kind != KindBodyUTF7 || x.Anomalies[0].Detail != "request in UTF-7" {
				t.Errorf("anomalies %+v", x.Anomalies)
			}
		})
	}
	// A form said to be UTF-7 is read as its bytes too: '+' a space.
	x := req("/", "", "q="+url.QueryEscape(atk)+"+--", "Content-Type", "application/x-www-form-urlencoded; charset=utf-7")
	ExtractParams(x, nil)
	if !hasParam(x.Params, LocForm, "q", atk+" --") {
		t.Errorf("the bytes' reading is lost:\n%s", fmtParams(x.Params))
	}
}

// FuzzUTF7: text written in UTF-7 (every character past the direct ones in
// a base64 run, as RFC 2152 encoders write it) reads back as itself, and
// text without '+' is itself.
func FuzzUTF7(f *testing.F) {
	f.Add("1' OR '1'='1")
	f.Add("日本語 😀 +x")
	f.Add("<script>alert(1)</script>")
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) {
			return
		}
		var b []byte
		for _, r := range s {
			if r < 0x80 && r != '+' && r != '-' && (r == ' ' || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9') {
				b = append(b, byte(r))
				continue
			}
			var units []byte
			for _, u := range utf16.Encode([]rune{r}) {
				units = append(units, byte(u>>8), byte(u))
			}
			b = append(b, '+')
			b = append(b, base64.RawStdEncoding.EncodeToString(units)...)
			b = append(b, '-')
		}
		if got := string(fromUTF7(nil, b)); got != s {
			t.Fatalf("%q as %q read back as %q", s, b, got)
		}
		if !strings.Contains(s, "+") {
			if got := string(fromUTF7(nil, []byte(s))); got != s {
				t.Fatalf("%q read as %q", s, got)
			}
		}
	})
}

// TestDeclaredCharsetEvasions: the ways past a reading of the first
// charset only, of the Content-Type only, or of the body only, each read
// as the server that honours them reads it.
func TestDeclaredCharsetEvasions(t *testing.T) {
	const atk = "1' OR '1'='1"
	cp := func(s string) string { return string(mustEBCDIC(t, s, 37)) }
	for _, tc := range []struct {
		name, method, query, ct, body string
		loc                           Location
		param, want                   string
	}{
		// Django and Spring take the last of repeated parameters.
		{"a second charset", "POST", "", "application/x-www-form-urlencoded; charset=utf-8; charset=cp037", cp("q=" + atk), LocForm, "q", atk},
		{"charset* (RFC 2231)", "POST", "", "application/json; charset=utf-8; charset*=utf-8''ibm037", cp(`{"q":"` + atk + `"}`), LocJSON, "q", atk},
		// ASP.NET finds a charset inside another parameter's value.
		{"a charset ASP.NET finds in a quoted value", "POST", "", `application/x-www-form-urlencoded; x="a,charset=utf-7,"`, "q=" + url.QueryEscape("1+ACc- OR +ACc-1+ACc-+AD0-+ACc-1"), LocForm, "q", atk},
		// An XML parser reads the document's own first bytes.
		{"EBCDIC XML under another charset", "POST", "", "application/xml; charset=utf-7", cp(`<?xml version="1.0" encoding="IBM037"?><q>` + atk + `</q>`), LocXML, "/q", atk},
		// ASP.NET decodes the query string in the request's encoding.
		{"a GET's query string", "GET", escapeAll(mustEBCDIC(t, "q", 37)) + "=" + escapeAll(mustEBCDIC(t, atk, 37)), "application/x-www-form-urlencoded; charset=ibm037", "", LocQuery, "q", atk},
		// Django: '+' a space, and nothing converted without a '%'
		// (Python: parse_qsl(body.decode("cp037"), encoding="cp037")).
		{"Django's reading, '+' for spaces", "POST", "", "application/x-www-form-urlencoded; charset=cp037", cp("q='+or+1=1--"), LocForm, "q", "' or 1=1--"},
		{"Django's reading, a character past ASCII kept", "POST", "", "application/x-www-form-urlencoded; charset=cp037", cp("q=é%7D"), LocForm, "q", "é'"},
		{"Django's reading, the ASCII run converted again", "POST", "", "application/x-www-form-urlencoded; charset=cp037", cp("q=a%7D"), LocForm, "q", "/'"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			x := req("/", tc.query, tc.body, "Content-Type", tc.ct)
			x.Request.Method = tc.method
			ExtractParams(x, nil)
			if !hasParam(x.Params, tc.loc, tc.param, tc.want) {
				t.Errorf("no %s parameter %s = %q in\n%s", tc.loc, tc.param, tc.want, fmtParams(x.Params))
			}
		})
	}
	// A value that grows past the bound once converted keeps its tail.
	x := req("/", "", "q="+strings.Repeat("\x9f", 4500)+cp(atk), "Content-Type", "application/x-www-form-urlencoded; charset=ibm037")
	ExtractParams(x, nil)
	found := false
	for _, p := range only(x.Params, LocForm) {
		found = found || strings.HasSuffix(p.Best(), "¤"+atk)
	}
	if !found {
		t.Errorf("the tail of a value grown past the bound is lost:\n%s", fmtParams(x.Params))
	}
	// Three charsets at most: the first and the last.
	if got := declaredCharsets("text/plain; charset=cp037; charset=cp500; charset=cp1026; charset=utf-7", nil); len(got) != maxCharsets || got[0].name != "IBM037" || got[len(got)-1].name != "UTF-7" {
		t.Errorf("charsets %+v", got)
	}
	// Three charsets at most.
	if got := declaredCharsets("text/plain; charset=cp037; charset=cp500; charset=utf-7; charset=cp1026; charset=cp037", nil); len(got) != maxCharsets {
		t.Errorf("%d charsets", len(got))
	}
}

// TestDeclaredCharsetsCheap: the charsets of nearly every request cost no
// allocation.
func TestDeclaredCharsetsCheap(t *testing.T) {
	body := []byte(`{"a":1}`)
	for _, ct := range []string{"application/json", "application/json; charset=utf-8", "application/json;charset=UTF-8", ""} {
		if n := testing.AllocsPerRun(100, func() { declaredCharsets(ct, body) }); n != 0 {
			t.Errorf("%q: %v allocations", ct, n)
		}
	}
}

// TestMultipartPartCharset: a multipart field whose own type names an
// EBCDIC page or UTF-7 is read converted too (Commons FileUpload decodes a
// field in its part's charset), and the exchange records it; a part in
// UTF-8 is read once.
func TestMultipartPartCharset(t *testing.T) {
	const atk = "1' OR '1'='1"
	for _, tc := range []struct{ partCT, content, want string }{
		{"text/plain; charset=ibm037", string(mustEBCDIC(t, atk, 37)), atk},
		{"text/plain; charset=UTF-7", "1+ACc- OR +ACc-1+ACc-+AD0-+ACc-1", atk},
		{"text/plain; charset=utf-8", atk, ""},
	} {
		body := "--XB\r\nContent-Disposition: form-data; name=\"q\"\r\nContent-Type: " + tc.partCT + "\r\n\r\n" + tc.content + "\r\n--XB--\r\n"
		x := req("/", "", body, "Content-Type", "multipart/form-data; boundary=XB")
		ExtractParams(x, nil)
		mp := only(x.Params, LocMultipart)
		if tc.want == "" {
			if len(mp) != 1 || len(x.Anomalies) != 0 {
				t.Errorf("%s: %d parameters, anomalies %v", tc.partCT, len(mp), x.Anomalies)
			}
			continue
		}
		if !hasParam(x.Params, LocMultipart, "q", tc.want) {
			t.Errorf("%s: no field q = %q in\n%s", tc.partCT, tc.want, fmtParams(x.Params))
		}
		if len(x.Anomalies) != 1 || x.Anomalies[0].Kind != KindMultipartCharset {
			t.Errorf("%s: anomalies %+v", tc.partCT, x.Anomalies)
		}
	}
}

// FuzzASPNETAttr: any header value is read without a panic, and a value
// found is one the header holds.
func FuzzASPNETAttr(f *testing.F) {
	f.Add(`application/x-www-form-urlencoded; x="a,charset=utf-7,"`, "charset")
	f.Add(`multipart/form-data; boundary="A B" ,boundary=C`, "boundary")
	f.Add("charset=", "charset")
	f.Fuzz(func(t *testing.T, v, name string) {
		name = strings.ToLower(name)
		if name == "" || strings.Trim(name, "abcdefghijklmnopqrstuvwxyz") != "" {
			return
		}
		if got := aspnetAttr(v, name); got != "" && !strings.Contains(v, got) {
			t.Fatalf("aspnetAttr(%q, %q) = %q, not in the header", v, name, got)
		}
	})
}
