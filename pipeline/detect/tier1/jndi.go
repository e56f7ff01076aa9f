package tier1

import (
	"regexp"
	"strings"

	"github.com/apisensor/sensor/decoders"
	"github.com/apisensor/sensor/pipeline/alert"
	"github.com/apisensor/sensor/pipeline/detect/normalize"
)

var ruleJNDI = rule{
	Rule:  detectRule("jndi-lookup", "jndi-injection", owaspInjection, alert.Severity_SEVERITY_CRITICAL, alert.Confidence_CONFIDENCE_HIGH),
	title: "JNDI lookup (Log4Shell)",
}

// ruleTextLookup is Apache Commons Text's string interpolation
// (CVE-2022-42889, "Text4Shell"): StringSubstitutor's default lookups run a
// script, fetch a URL, read a file or resolve a name.
var ruleTextLookup = rule{
	Rule:  detectRule("commons-text-lookup", "code-injection", owaspInjection, alert.Severity_SEVERITY_CRITICAL, alert.Confidence_CONFIDENCE_HIGH),
	title: "Apache Commons Text lookup (Text4Shell)",
}

// Log4j expands lookups in anything it logs, so every parameter counts,
// every header included.
var jndiFamily = family{
	name:    "jndi",
	scope:   func(*decoders.Param) bool { return true },
	trigger: "${",
	match:   matchJNDI,
}

var (
	// Lookups that evaluate to a fixed string, used to spell "jndi"
	// without writing it: ${lower:j}, ${upper:n}, ${::-d}, ${env:X:-i},
	// ${date:'j'}, ${date:} (nothing). Each pass rewrites the innermost
	// ones.
	jndiCase    = regexp.MustCompile(`\$\{(?:lower|upper):([^${}]*)\}`)
	jndiDefault = regexp.MustCompile(`\$\{[^${}]*?:-([^${}]*)\}`)
	jndiDate    = regexp.MustCompile(`\$\{date:(?:'([^'${}]*)')?\}`)
	// jndiRecursive finds the self-referencing lookups of CVE-2021-45105,
	// which recurse until Log4j's stack overflows: a lookup whose name is
	// itself a lookup built of defaults and escapes (${${::-${::-$${::-j}}}}),
	// or of a context value the request sets (${${ctx:loginId}}).
	jndiRecursive = regexp.MustCompile(`\$\{\$\{(?:::-\$\{::-\$\$\{|ctx:)`)
	jndiLookup    = regexp.MustCompile(`\$\{\s*jndi\s*:\s*([a-z]*)`)
	// textLookup finds Commons Text's lookups that run, fetch or read in
	// the forms they take: ${script:ENGINE:…}, ${url:CHARSET:SCHEME:…},
	// ${file:CHARSET:PATH}, ${xml:PATH:XPATH}, ${properties:PATH::KEY},
	// ${dns:address|…}. What follows the lookup's name must be what it
	// reads: ${url:https://x}, ${file:app.yml} and ${xml:classpath:beans.xml}
	// are Spring placeholders with a default.
	textLookup = regexp.MustCompile(`\$\{\s*(?:script\s*:\s*[a-z][\w.-]*\s*:` +
		`|url\s*:\s*[\w.:-]{2,40}?\s*:\s*(?:https?|ftp|file|jar)\s*:` +
		`|file\s*:\s*` + charsetName + `\s*:` +
		`|(?:xml|properties)\s*:\s*(?:[a-z]:)?[/\\.~][^:{}\n]{0,200}:` +
		`|dns\s*:\s*(?:address|canonical-name|name)\s*\|)`)
)

// charsetName matches the names of the charsets Java knows.
const charsetName = `(?:utf|iso|us-ascii|ascii|latin|windows|cp|ibm|gb|big5|euc|shift_jis|sjis|koi8|x-)[\w.:-]{0,30}`

func matchJNDI(_ *decoders.Param, v *normalize.Value, report reportFunc) {
	forms(v, func(s string) bool {
		if !strings.Contains(s, "${") {
			return false
		}
		obfuscated := false
		found := func(r *rule, what string) bool {
			if obfuscated {
				what += " (obfuscated lookups)"
			}
			report(r, what)
			return true
		}
		if m := jndiRecursive.FindString(s); m != "" {
			return found(&ruleJNDI, "recursive lookup "+snippet(m)+" (CVE-2021-45105)")
		}
		for range 8 {
			if m := jndiLookup.FindStringSubmatch(s); m != nil {
				return found(&ruleJNDI, "lookup ${jndi:"+m[1])
			}
			if m := textLookup.FindString(s); m != "" {
				return found(&ruleTextLookup, "Commons Text lookup "+snippet(m))
			}
			d := jndiCase.ReplaceAllString(s, "$1")
			if d != s && (strings.Contains(d, "ı") || strings.Contains(d, "ſ")) {
				// Java upper-cases the dotless i and the long s to I and
				// S (${upper:ı}), and Log4j reads the lookup's name in
				// any case.
				d = strings.NewReplacer("ı", "i", "ſ", "s").Replace(d)
			}
			d = jndiDefault.ReplaceAllString(d, "$1")
			d = jndiDate.ReplaceAllString(d, "$1")
			if d == s {
				return false
			}
			s, obfuscated = d, true
		}
		return false
	})
}
