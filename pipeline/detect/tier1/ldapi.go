package tier1

import (
	"regexp"
	"strings"

	"github.com/apisensor/sensor/decoders"
	"github.com/apisensor/sensor/pipeline/alert"
	"github.com/apisensor/sensor/pipeline/detect/normalize"
)

var ruleLDAP = rule{
	Rule:  detectRule("ldap-injection", "ldap-injection", owaspInjection, alert.Severity_SEVERITY_HIGH, alert.Confidence_CONFIDENCE_MEDIUM),
	title: "LDAP injection",
}

var ldapFamily = family{
	name:    "ldapi",
	values:  true,
	trigger: ")",
	match:   matchLDAP,
}

// ldapBreakout finds a value that closes the filter it is put in and opens
// another: "*)(uid=*", ")(|(", "*)(&", "admin)(!(…", "admin*)((|userpassword=*)";
// or, starting with a wildcard, nests a composed filter into the assertion
// it completes ("*(|(mail=*))", "*(|(objectclass=*))"); a blind extraction
// of an attribute one character at a time ("admin)(userPassword=a*"), a
// comparison ("admin)(cn>=a", "x)(uid~=admn"), an extensible match
// ("*)(userAccountControl:1.2.840.113556.1.4.803:=2)"), or a NUL that cuts
// the rest of the filter off ("*))%00").
var ldapBreakout = regexp.MustCompile(`\*\s*\)+\s*\(\s*(?:[|&!]|` + ldapAttr + `\s*[~<>:]?=)|\)\s*\(+\s*[|&!]\s*(?:\(|\)|[a-z][\w-]*\s*[~<>]?=)` +
	`|\)\s*\(\s*` + ldapAttr + `\s*(?:[~<>:]?=\s*[^()\s]{0,64}\*|[~<>]=)|^[^()]*\)+\s*\(\s*[|&]\s*$` +
	`|^\s*\*\s*\(\s*[|&!]\s*\(\s*[a-z][\w.-]*\s*[~<>]?=|[\w*]\)+\x00`)

// ldapAttr is an attribute description, with an extensible match's rule
// ("cn", "userAccountControl:1.2.840.113556.1.4.803:", "objectClass:").
const ldapAttr = `[a-z][\w.-]*(?::[\w.-]*)*`

func matchLDAP(_ *decoders.Param, v *normalize.Value, report reportFunc) {
	forms(v, func(s string) bool {
		if !strings.Contains(s, ")(") && !strings.Contains(s, ") (") && !strings.Contains(s, "*)") && !strings.HasPrefix(strings.TrimSpace(s), "*(") &&
			!strings.Contains(s, ")\x00") {
			return false
		}
		if wholeFilter(s) {
			return false
		}
		// A breakout closes the application's parenthesis: somewhere it
		// has closed more than it opened ("admin)(cn>=a",
		// "(uid=*))(|(uid=*"), or it is the wildcard that opens a nested
		// filter ("*(|(mail=*))"). Code and prose close what they open
		// ("fn(a)(b<=c)", "Smith (CEO)(email=john*"); a wildcard that
		// closes an assertion ("(cn=*)(|(cn=*") is LDAP's alone.
		if !closesMore(s) && !strings.HasPrefix(strings.TrimSpace(s), "*(") && !strings.Contains(s, "*)") {
			return false
		}
		if m := ldapBreakout.FindString(s); m != "" {
			report(&ruleLDAP, "filter breakout "+snippet(m))
			return true
		}
		return false
	})
}

// wholeFilter reports a value that is a filter of its own, not a piece
// that breaks out of one: it starts with '(' and ends with the ')' that
// closes it ("(|(cn=John*)(mail=john*))", an LDAP browser's or a
// directory sync's setting), with no NUL.
func wholeFilter(s string) bool {
	t := strings.TrimSpace(s)
	if len(t) < 2 || t[0] != '(' || t[len(t)-1] != ')' || strings.IndexByte(t, 0) >= 0 {
		return false
	}
	depth := 0
	for i := 0; i < len(t); i++ {
		switch t[i] {
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 && i != len(t)-1 {
				return false // "(a)(b)": two filters side by side
			}
			if depth < 0 {
				return false
			}
		}
	}
	return depth == 0
}

// closesMore reports whether some prefix of s has more ')' than '('.
func closesMore(s string) bool {
	depth := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '(':
			depth++
		case ')':
			if depth--; depth < 0 {
				return true
			}
		}
	}
	return false
}
