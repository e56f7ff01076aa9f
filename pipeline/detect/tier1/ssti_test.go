package tier1

import (
	"regexp"
	"testing"
)

// sstiBlockRef is the regular expression sstiBlocks replaced: the
// reference it must agree with.
var sstiBlockRef = regexp.MustCompile(`\{\{(.{1,200}?)\}\}|\{%(.{1,200}?)%\}|\$\{(.{1,200}?)\}|<%=?(.{1,200}?)%>|[#*]\{(.{1,200}?)\}|\[\[(.{1,200}?)\]\]|<#(?:assign|list|if)\b(.{1,200}?)>|@\((.{1,200}?)\)|@\{(.{1,200}?)\}|%\{(.{1,200}?)\}|\[=(.{1,200}?)\]|\[#assign\b(.{1,200}?)\]|#set\((.{1,200}?)\)`)

// sstiRef lists what sstiBlockRef finds in s, whole and inside.
func sstiRef(s string) [][2]string {
	var out [][2]string
	for _, m := range sstiBlockRef.FindAllStringSubmatchIndex(s, sstiMaxBlocks) {
		for g := 2; g+1 < len(m); g += 2 {
			if m[g] >= 0 {
				out = append(out, [2]string{s[m[0]:m[1]], s[m[g]:m[g+1]]})
				break
			}
		}
	}
	return out
}

func sstiScan(s string) [][2]string {
	var out [][2]string
	sstiBlocks(s, func(whole, inside string) bool {
		out = append(out, [2]string{whole, inside})
		return false
	})
	return out
}

var sstiSeeds = []string{
	"{{7*7}}", "${7*7}", "<%= 7*7 %>", "<%=%>", "<%%>", "#{7*7}", "*{7*7}", "[[${7*7}]]", "{%if true%}",
	"<#assign ex=\"x\"?new()>", "<#assignx>", "<#if", "{{}}}", "{{{{x}}", "${{7*7}}", "{{a\nb}}", "{{\n}}",
	"a{{b}}c${d}e#{f}g", "{{" + string(make([]byte, 300)) + "}}", "{{é}}", "{{\xff}}", "x}}{{y}}", "$", "{",
	"{{1}}{{2}}{{3}}{{4}}{{5}}{{6}}{{7}}{{8}}{{9}}", "<%", "<#list x as y>", "[[]]]", "{%%}%}",
	"@(7*7)", "@{var x = 1;}", "@{{7*7}}", "a@b.com", "@()", "@(a\nb)",
	"%{7*7}", "%{{7*7}}", "[=7*7]", "[#assign x=1]", "[#assignx]", "#set($a=1)", "#set()", "[[=x]]",
}

func TestSSTIBlocksMatchRegexp(t *testing.T) {
	for _, s := range sstiSeeds {
		got, want := sstiScan(s), sstiRef(s)
		if len(got) != len(want) {
			t.Errorf("%q: scanner %q, regexp %q", s, got, want)
			continue
		}
		for i := range got {
			if got[i] != want[i] {
				t.Errorf("%q: scanner %q, regexp %q", s, got, want)
				break
			}
		}
	}
}

func FuzzSSTIBlocks(f *testing.F) {
	for _, s := range sstiSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, want := sstiScan(s), sstiRef(s)
		if len(got) != len(want) {
			t.Fatalf("%q: scanner %q, regexp %q", s, got, want)
		}
		for i := range got {
			if got[i] != want[i] {
				t.Fatalf("%q: scanner %q, regexp %q", s, got, want)
			}
		}
	})
}

// FuzzSSTIEnginesHint checks that sstiEnginesHint lets in every expression
// sstiEngines matches.
func FuzzSSTIEnginesHint(f *testing.F) {
	for _, s := range []string{"['id']|filter('system')", "['x']|map('sys'~'tem')", "_self.env.getfilter(\"id\")",
		"_self.env.registerundefinedfiltercallback(\"exec\")", "pagecontext.request.getsession()", "applicationscope.get('x')", "sessionscope.a.b()"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if sstiEngines.MatchString(s) && !sstiEnginesHint(s) {
			t.Fatalf("sstiEngines matches %q, which sstiEnginesHint turns away", s)
		}
	})
}
