package tier1

import (
	"regexp"
	"strings"

	"github.com/apisensor/sensor/decoders"
	"github.com/apisensor/sensor/pipeline/alert"
	"github.com/apisensor/sensor/pipeline/detect/normalize"
)

var (
	ruleXXE = rule{
		Rule:  detectRule("xxe-external-entity", "xxe", owaspXXE, alert.Severity_SEVERITY_HIGH, alert.Confidence_CONFIDENCE_HIGH),
		title: "XML external entity",
	}
	ruleXMLExpansion = rule{
		Rule:  detectRule("xml-entity-expansion", "xxe", owaspXXE, alert.Severity_SEVERITY_MEDIUM, alert.Confidence_CONFIDENCE_MEDIUM),
		title: "XML entity expansion",
	}
)

// The XML decoder hands a document type declaration over as the parameter
// "!DOCTYPE" (decoders/params_xml.go); a body that did not parse as XML
// comes as the body, where a declaration is looked for too.
var xxeFamily = family{
	name: "xxe",
	scope: func(p *decoders.Param) bool {
		return p.Loc == decoders.LocXML && p.Name == "!DOCTYPE" || p.Loc == decoders.LocBody || p.Loc == decoders.LocMultipart
	},
	locs:  locXML | locBody | locMultipart,
	match: matchXXE,
	pre: func(_ *decoders.Param, in *input) bool {
		return strings.Contains(in.best, "ENTITY") || strings.Contains(in.best, "entity") || in.mayChange()
	},
}

var (
	xxeExternal = regexp.MustCompile(`<!entity\s+(?:%\s*)?[^\s>]+\s+(?:system|public)\s*(?:"[^"]*"\s*)?["']([^"']{0,120})`)
	xxeEntity   = regexp.MustCompile(`<!entity\s`)
)

// expansionEntities is how many entity declarations make a document look
// like an expansion bomb ("billion laughs").
const expansionEntities = 8

func matchXXE(_ *decoders.Param, v *normalize.Value, report reportFunc) {
	forms(v, func(s string) bool {
		if m := xxeExternal.FindStringSubmatch(s); m != nil {
			report(&ruleXXE, "external entity "+snippet(m[1]))
			return true
		}
		if n := len(xxeEntity.FindAllStringIndex(s, expansionEntities)); n >= expansionEntities {
			report(&ruleXMLExpansion, "many entity declarations")
			return true
		}
		return false
	})
}
