package tier1

import (
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/apisensor/sensor/decoders"
	"github.com/apisensor/sensor/pipeline/alert"
	"github.com/apisensor/sensor/pipeline/detect/normalize"
)

var ruleSSTI = rule{
	Rule:  detectRule("ssti", "template-injection", owaspInjection, alert.Severity_SEVERITY_HIGH, alert.Confidence_CONFIDENCE_MEDIUM),
	title: "Server-side template injection",
}

var sstiFamily = family{
	name:    "ssti",
	values:  true,
	trigger: "{%<$#*[@",
	match:   matchSSTI,
}

// sstiOpeners are the template expressions of the common engines, each
// an opener and its closer: Jinja2 and Twig {{ }} / {% %}, EL and
// Freemarker ${ }, ERB and JSP <%= %>, Ruby, Thymeleaf and Pug #{ } / *{ },
// Thymeleaf [[ ]], Freemarker <#assign|list|if …> and its square-bracket
// syntax [= ] and [#assign …], ASP.NET Razor @( ) and @{ }, OGNL %{ }
// (Struts), Velocity #set( ).
// A directive's name must end its word (<#iframe is none).
var sstiOpeners = []struct {
	open, close string
	directive   bool
}{
	{"{{", "}}", false}, {"{%", "%}", false}, {"${", "}", false}, {"<%=", "%>", false}, {"<%", "%>", false},
	{"#{", "}", false}, {"*{", "}", false}, {"[[", "]]", false},
	{"<#assign", ">", true}, {"<#list", ">", true}, {"<#if", ">", true},
	{"@(", ")", false}, {"@{", "}", false},
	{"%{", "}", false}, {"[=", "]", false}, {"[#assign", "]", true}, {"#set(", ")", false},
}

// Bounds of sstiBlocks: the expressions looked at per value and the length
// of an expression's inside, in characters.
const (
	sstiMaxBlocks = 8
	sstiMaxInside = 200
)

// sstiBlocks calls fn with the inside of each template expression in s,
// left to right and not overlapping, at most sstiMaxBlocks of them, until
// fn returns true; it reports whether fn did. An inside is 1 to
// sstiMaxInside characters without a line break, up to the first closer
// (the regular expression `\{\{(.{1,200}?)\}\}|…` did this, in time
// proportional to the value times 200 per alternative: 150 ms for 64 KB of
// "{{"; this costs one bounded search per opener).
func sstiBlocks(s string, fn func(whole, inside string) bool) bool {
	found := 0
	for i := 0; i < len(s) && found < sstiMaxBlocks; i++ {
		c := s[i]
		if c != '{' && c != '$' && c != '<' && c != '#' && c != '*' && c != '[' && c != '@' && c != '%' {
			continue
		}
		for _, o := range sstiOpeners {
			if !strings.HasPrefix(s[i:], o.open) {
				continue
			}
			start := i + len(o.open)
			if o.directive && start < len(s) && wordChar(s[start]) {
				continue
			}
			end, ok := sstiClose(s, start, o.close)
			if !ok {
				continue
			}
			found++
			if fn(s[i:end+len(o.close)], s[start:end]) {
				return true
			}
			i = end + len(o.close) - 1
			break
		}
	}
	return false
}

// sstiClose finds the closer of an expression whose inside starts at
// start: the first one after at least one character, before a line break
// and within sstiMaxInside characters.
func sstiClose(s string, start int, closer string) (int, bool) {
	if start >= len(s) || s[start] == '\n' {
		return 0, false
	}
	_, first := utf8.DecodeRuneInString(s[start:])
	from := start + first
	k := strings.Index(s[from:min(len(s), from+sstiMaxInside*utf8.UTFMax+len(closer))], closer)
	if k < 0 {
		return 0, false
	}
	// A later closer would hold the same line break or more characters.
	end := from + k
	if strings.IndexByte(s[start:end], '\n') >= 0 || utf8.RuneCountInString(s[start:end]) > sstiMaxInside {
		return 0, false
	}
	return end, true
}

// sstiExpr is what makes an expression an attack rather than a template
// variable ("{{name}}", "${HOME}", "#{id}" are not): arithmetic on numbers
// (the 7*7 probe), a conditional on a constant ({% if True %}, the probe for
// engines that print no arithmetic), Python object walking (also through
// Jinja's attr filter), the engines' objects that reach
// configuration or code, and the Java and Ruby ways to run a command.
var sstiExpr = regexp.MustCompile(`\d+['"]?\s*\*\s*['"]?\d+|^\s*if\s+(?:true|1|1\s*==\s*1)\s*$` +
	`|__(?:class|mro|subclasses|globals|builtins|init|import|base|bases|dict|getattribute)__` +
	`|^\s*(?:config|self|settings)(?:\.items\(\)|\.__\w+|\s*$)` +
	`|request\.(?:application|environ)|\b(?:lipsum|cycler|joiner|namespace)\.__` +
	// Jinja's attr filter reaching the request object, or taking the
	// name to read from the request or from a list joined at run time:
	// how payloads rebuild "__class__" past a filter on underscores
	// ({{request|attr(request.args.c)}}). {{ page|attr('title') }} is
	// template code.
	`|\brequest\s*\|\s*attr\b|\|\s*attr\s*\(\s*(?:request\b|\[)` +
	`|\bt\s*\(\s*(?:java\.|runtime\s*\)|processbuilder\s*\))|java\.lang\.|getruntime|processbuilder|class\.forname|scriptenginemanager` +
	`|freemarker\.template\.utility|\.exec\s*\(|\bpopen\b|os\.system|subprocess|\bsystem\s*\(` +
	`|\beval\s*\(|\bimport\s+os|\bfile\.(?:open|read)|\bio\.popen|\bspawn\s*\(|\brequire\s*\(\s*['"]child_process` +
	`|\bsystem\.diagnostics\.process|\bprocess\.start\s*\(`)

// sstiEngines finds what reaches code through an engine's own objects:
// Twig's filters called with a PHP function's name (quoted anywhere in the
// call, also built by concatenation, 'sys'~'tem') or with a variable set to
// one ({% set f='system' %}), and the environment reached through _self;
// JSP EL's implicit objects reaching the servlet context, the session's
// attributes or reflection (${pageContext.request.getSession().setAttribute(…)};
// ${pageContext.request.contextPath} and isUserInRole('ADMIN') are every
// JSP page). It runs apart from sstiExpr, on expressions holding one of its
// literals (sstiEnginesHint): each alternative added to sstiExpr costs
// every expression.
var sstiEngines = regexp.MustCompile(`\|\s*(?:filter|map|reduce|sort|find)\s*\((?:[^)]{0,40}?['"]` + twigCallees + `['"]|\s*\(*\s*['"][\w-]*['"]\s*~|\s*[a-z_]\w*\s*\))` +
	`|^\s*set\s+[a-z_]\w*\s*=\s*['"]` + twigCallees + `['"]` +
	`|\b_self\.env\b|registerundefinedfiltercallback` +
	`|\b(?:pagecontext|applicationscope|sessionscope|requestscope)\b[^}]{0,200}?\.\s*(?:getservletcontext|setattribute|removeattribute|invalidate|getclass|forname|newinstance|getruntime|invoke)\s*\(`)

// twigCallees are the PHP functions a Twig filter is made to call.
const twigCallees = `(?:system|exec|passthru|shell_exec|popen|proc_open|assert|readfile|file_get_contents|unlink)`

// sstiEnginesHint reports whether inside holds a literal every sstiEngines
// match holds.
func sstiEnginesHint(inside string) bool {
	return strings.IndexByte(inside, '|') >= 0 || strings.Contains(inside, "_self") || strings.Contains(inside, "registerundefined") ||
		strings.Contains(inside, "scope") || strings.Contains(inside, "pagecontext") || strings.Contains(inside, "set")
}

// sstiSSI finds server-side include directives (<!--#exec cmd=…-->,
// <!--#include virtual=…-->), which servers with SSI enabled run when the
// value is written into a page.
var sstiSSI = regexp.MustCompile(`<!--#\s*(?:exec|include|echo|set|config|printenv|fsize|flastmod)\s+[a-z]+\s*=`)

func matchSSTI(_ *decoders.Param, v *normalize.Value, report reportFunc) {
	forms(v, func(s string) bool {
		if strings.Contains(s, "<!--#") {
			if m := sstiSSI.FindString(s); m != "" {
				report(&ruleSSTI, "server-side include "+snippet(m))
				return true
			}
		}
		if !strings.Contains(s, "{") && !strings.Contains(s, "<%") && !strings.Contains(s, "[[") && !strings.Contains(s, "<#") &&
			!strings.Contains(s, "@(") && !strings.Contains(s, "[=") && !strings.Contains(s, "[#") && !strings.Contains(s, "#set(") {
			return false
		}
		return sstiBlocks(s, func(whole, inside string) bool {
			if sstiExpr.MatchString(inside) || sstiEnginesHint(inside) && sstiEngines.MatchString(inside) {
				report(&ruleSSTI, "template expression "+snippet(whole))
				return true
			}
			return false
		})
	})
}
