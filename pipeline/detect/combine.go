package detect

import (
	"slices"

	"github.com/apisensor/sensor/pipeline/alert"
)

// Combine folds the alerts raised on one exchange that report the same
// category (libinjection, a tier-1 signature and CRS all seeing one SQL
// injection) into one alert, so an analyst gets one alert per attack and
// exchange with every matcher's evidence, not one per detector. It works in
// place on alerts, which must all come from the same exchange, and returns
// the shortened slice; onFold, when not nil, sees each alert folded away.
//
// The alert kept is the first of its group: detectors run tier 1 first, so
// an alert's id, detector and rule do not change when a second-tier detector
// (CRS) is switched on or off. It takes the
// group's highest severity, confidence and outcome, the union of OWASP ids,
// and the others' evidence and response evidence, each tagged with the
// detector and rule that found it. Detectors that agree corroborate each
// other: the confidence rises one step. Alerts without a
// category (behaviour, weaknesses that do not overlap) are left alone.
func Combine(alerts []*alert.Alert, maxEvidence int, onFold func(folded *alert.Alert)) []*alert.Alert {
	if len(alerts) < 2 {
		return alerts
	}
	for i := 0; i < len(alerts); i++ {
		a := alerts[i]
		if a.GetCategory() == "" {
			continue
		}
		agreed := false
		for j := i + 1; j < len(alerts); {
			b := alerts[j]
			if b.GetCategory() != a.GetCategory() {
				j++
				continue
			}
			fold(a, b, maxEvidence)
			alerts = slices.Delete(alerts, j, j+1)
			agreed = true
			if onFold != nil {
				onFold(b)
			}
		}
		if agreed && a.Confidence < alert.Confidence_CONFIDENCE_HIGH {
			a.Confidence++
		}
	}
	return alerts
}

// fold adds what alert b found to alert a.
func fold(a, b *alert.Alert, maxEvidence int) {
	a.Severity = max(a.Severity, b.Severity)
	a.Confidence = max(a.Confidence, b.Confidence)
	if rank(b.Outcome) > rank(a.Outcome) {
		a.Outcome = b.Outcome
		if b.Outcome == alert.Outcome_OUTCOME_LIKELY_SUCCESSFUL {
			a.Summary = b.Summary
		}
	}
	for _, o := range b.Owasp {
		AddOWASP(a, o)
	}
	tag := b.Detector + "/"
	for _, e := range b.Evidence {
		if len(a.Evidence) >= maxEvidence {
			break
		}
		if hasEvidence(a.Evidence, e) {
			continue
		}
		e.Rule = tag + ruleOf(b, e)
		a.Evidence = append(a.Evidence, e)
	}
	for _, e := range b.ResponseEvidence {
		if !hasEvidence(a.ResponseEvidence, e) {
			AddResponseEvidence(a, e)
		}
	}
}

// rank orders outcomes by how much they tell: a confirmed success beats a
// block, which beats a bare attempt.
func rank(o alert.Outcome) int {
	switch o {
	case alert.Outcome_OUTCOME_LIKELY_SUCCESSFUL:
		return 3
	case alert.Outcome_OUTCOME_BLOCKED:
		return 2
	case alert.Outcome_OUTCOME_ATTEMPTED:
		return 1
	}
	return 0
}

func ruleOf(a *alert.Alert, e *alert.Evidence) string {
	if e.Rule != "" {
		return e.Rule
	}
	return a.RuleId
}

// hasEvidence reports whether es already holds the same finding: same place
// and same matcher output. The message is part of the output: two CRS
// rules on one argument share the place, the variable ("ARGS:sort") and
// the value, and only their messages tell 942100 (libinjection) from
// 942160 (sleep()).
func hasEvidence(es []*alert.Evidence, e *alert.Evidence) bool {
	for _, x := range es {
		if x.Location == e.Location && x.Name == e.Name && x.Matched == e.Matched && x.Value == e.Value && x.Message == e.Message {
			return true
		}
	}
	return false
}
