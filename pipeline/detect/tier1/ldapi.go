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
// another: "*)(uid=*", ")(|(", "*)(&", "admin)(!(…"; or, starting with a
// wildcard, nests a composed filter into the assertion it completes
// ("*(|(mail=*))", "*(|(objectclass=*))").
var ldapBreakout = regexp.MustCompile(`\*\s*\)+\s*\(\s*(?:[|&!]|[a-z][\w.-]*\s*[~<>]?=)|\)\s*\(\s*[|&!]\s*(?:\(|\)|[a-z][\w-]*\s*[~<>]?=)|\)\s*\(\s*[a-z][\w.-]*\s*[~<>]?=\s*\*|^[^()]*\)+\s*\(\s*[|&]\s*$` +
	`|^\s*\*\s*\(\s*[|&!]\s*\(\s*[a-z][\w.-]*\s*[~<>]?=`)

func matchLDAP(_ *decoders.Param, v *normalize.Value, report reportFunc) {
	forms(v, func(s string) bool {
		if !strings.Contains(s, ")(") && !strings.Contains(s, ") (") && !strings.Contains(s, "*)") && !strings.HasPrefix(strings.TrimSpace(s), "*(") {
			return false
		}
		if m := ldapBreakout.FindString(s); m != "" {
			report(&ruleLDAP, "filter breakout "+snippet(m))
			return true
		}
		return false
	})
}
