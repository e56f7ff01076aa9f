package tier1

import (
	"regexp"
	"strings"

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
	trigger: "{%<$#*[",
	match:   matchSSTI,
}

// sstiBlock finds a template expression of the common engines: Jinja2 and
// Twig {{ }} / {% %}, EL and Freemarker ${ }, ERB and JSP <%= %>, Ruby,
// Thymeleaf and Pug #{ } / *{ } / [[ ]], Freemarker <#…>. Group 1..7 is the
// inside.
var sstiBlock = regexp.MustCompile(`\{\{(.{1,200}?)\}\}|\{%(.{1,200}?)%\}|\$\{(.{1,200}?)\}|<%=?(.{1,200}?)%>|[#*]\{(.{1,200}?)\}|\[\[(.{1,200}?)\]\]|<#(?:assign|list|if)\b(.{1,200}?)>`)

// sstiExpr is what makes an expression an attack rather than a template
// variable ("{{name}}", "${HOME}", "#{id}" are not): arithmetic on numbers
// (the 7*7 probe), a conditional on a constant ({% if True %}, the probe for
// engines that print no arithmetic), Python object walking, the engines' objects that reach
// configuration or code, and the Java and Ruby ways to run a command.
var sstiExpr = regexp.MustCompile(`\d+\s*\*\s*['"]?\d+|^\s*if\s+(?:true|1|1\s*==\s*1)\s*$` +
	`|__(?:class|mro|subclasses|globals|builtins|init|import|base|bases|dict|getattribute)__` +
	`|^\s*(?:config|self|settings)(?:\.items\(\)|\.__\w+|\s*$)` +
	`|request\.(?:application|environ)|\b(?:lipsum|cycler|joiner|namespace)\.__` +
	`|\bt\s*\(\s*java\.|java\.lang\.|getruntime|processbuilder|class\.forname|scriptenginemanager` +
	`|freemarker\.template\.utility|\.exec\s*\(|\bpopen\b|os\.system|subprocess|\bsystem\s*\(` +
	`|\beval\s*\(|\bimport\s+os|\bfile\.(?:open|read)|\bio\.popen|\bspawn\s*\(|\brequire\s*\(\s*['"]child_process`)

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
		if !strings.Contains(s, "{") && !strings.Contains(s, "<%") && !strings.Contains(s, "[[") && !strings.Contains(s, "<#") {
			return false
		}
		for _, m := range sstiBlock.FindAllStringSubmatchIndex(s, 8) {
			for g := 2; g+1 < len(m); g += 2 {
				if m[g] < 0 {
					continue
				}
				if sstiExpr.MatchString(s[m[g]:m[g+1]]) {
					report(&ruleSSTI, "template expression "+snippet(s[m[0]:m[1]]))
					return true
				}
			}
		}
		return false
	})
}
