package tier1

import (
	"slices"

	"github.com/apisensor/sensor/pipeline/alert"
	"github.com/apisensor/sensor/pipeline/detect"
)

func detectRule(id, category string, owasp []string, sev alert.Severity, conf alert.Confidence) detect.Rule {
	return detect.Rule{ID: id, Category: category, OWASP: slices.Clone(owasp), Severity: sev, Confidence: conf}
}
