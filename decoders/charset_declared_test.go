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
			if want := "request body in " + tc.page; note != want {
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
// EBCDIC pages are known, in any case and spelling; ASCII-based IBM and
// Windows pages, and Unicode, are not EBCDIC.
func TestEBCDICPageNames(t *testing.T) {
	for name, want := range map[string]string{
		"IBM037": "IBM037", "ibm-37": "IBM037", "cp037": "IBM037", "CP037": "IBM037", "csIBM037": "IBM037",
		"ebcdic-cp-us": "IBM037", "cs-ebcdic-cp-ca": "IBM037", "cpibm37": "IBM037", "037": "IBM037", `"IBM_037"`: "IBM037",
		"IBM500": "IBM500", "ebcdic_cp_ch": "IBM500", "cp1026": "IBM1026", "IBM01140": "IBM1140", "IBM-1047": "IBM1047",
		"CCSID01047": "IBM1047", "cp875": "IBM875", "IBM273": "IBM273", "ebcdic-cp-gb": "IBM285", "IBM01149": "IBM1149",
		"utf-8": "", "UTF-16": "", "ibm437": "", "IBM850": "", "cp1252": "", "windows-1252": "", "iso-8859-1": "",
		"us-ascii": "", "": "", "ibm": "", "cp": "", "ebcdic": "", "ibm0000000037": "", strings.Repeat("x", 40): "",
	} {
		page, got := ebcdicPage(name)
		if got != want || (page != nil) != (want != "") {
			t.Errorf("ebcdicPage(%q) = %q, want %q", name, got, want)
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
		if cs, ok := declaredCharset(ct, body); ok && cs.kind == KindBodyEBCDIC {
			if out := cs.decode(nil, body); !utf8.Valid(out) {
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
			if len(x.Anomalies) != 1 || x.Anomalies[0].Kind != KindBodyUTF7 || x.Anomalies[0].Detail != "request body in UTF-7" {
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
