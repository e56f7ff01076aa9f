package behave

import "github.com/apisensor/sensor/pipeline/alert"

// Detector is the detector name on every alert of this package.
const Detector = "behave"

// rule is one behaviour; the endpoint-level windows that only learn
// baselines are rules too, without an alert.
type rule uint8

const (
	ruleStuffing rule = iota
	ruleDistributed
	ruleBrute
	ruleEnum
	ruleScanner
	ruleRate
	ruleFingerprint
	ruleRegular
	ruleSharing
	ruleUnauth
	ruleEndpointRate // endpoint baseline of per-client rates: no alert
	ruleEnumSlow     // enumeration over the long window: rule id "enumeration"
	numRules
)

// ruleInfo is what an alert of a rule says about it.
type ruleInfo struct {
	id         string
	category   string
	owasp      []string
	severity   alert.Severity
	confidence alert.Confidence
	// early rules alert when the threshold is crossed (revision 1) and
	// again at window close with the final counts; the others are judged
	// at window close only (they compare with baselines or need every
	// timestamp).
	early bool
}

// OWASP API Security Top 10 2023.
const (
	api1 = "API1:2023" // broken object level authorization
	api2 = "API2:2023" // broken authentication
	api4 = "API4:2023" // unrestricted resource consumption
	api6 = "API6:2023" // unrestricted access to sensitive business flows
)

var rules = [numRules]ruleInfo{
	ruleStuffing:     {id: "credential-stuffing", category: "credential-stuffing", owasp: []string{api2}, severity: alert.Severity_SEVERITY_HIGH, confidence: alert.Confidence_CONFIDENCE_HIGH, early: true},
	ruleDistributed:  {id: "distributed-credential-stuffing", category: "credential-stuffing", owasp: []string{api2}, severity: alert.Severity_SEVERITY_HIGH, confidence: alert.Confidence_CONFIDENCE_MEDIUM},
	ruleBrute:        {id: "brute-force", category: "brute-force", owasp: []string{api2}, severity: alert.Severity_SEVERITY_HIGH, confidence: alert.Confidence_CONFIDENCE_HIGH, early: true},
	ruleEnum:         {id: "enumeration", category: "object-enumeration", owasp: []string{api1, api6}, severity: alert.Severity_SEVERITY_HIGH, confidence: alert.Confidence_CONFIDENCE_MEDIUM},
	ruleScanner:      {id: "scanner", category: "scanner", owasp: []string{api6}, severity: alert.Severity_SEVERITY_MEDIUM, confidence: alert.Confidence_CONFIDENCE_HIGH, early: true},
	ruleRate:         {id: "rate-abuse", category: "rate-abuse", owasp: []string{api4}, severity: alert.Severity_SEVERITY_MEDIUM, confidence: alert.Confidence_CONFIDENCE_MEDIUM},
	ruleFingerprint:  {id: "fingerprint-mismatch", category: "bot", owasp: []string{api6}, severity: alert.Severity_SEVERITY_MEDIUM, confidence: alert.Confidence_CONFIDENCE_MEDIUM, early: true},
	ruleRegular:      {id: "regular-intervals", category: "bot", owasp: []string{api6}, severity: alert.Severity_SEVERITY_LOW, confidence: alert.Confidence_CONFIDENCE_MEDIUM},
	ruleSharing:      {id: "token-sharing", category: "token-sharing", owasp: []string{api2}, severity: alert.Severity_SEVERITY_MEDIUM, confidence: alert.Confidence_CONFIDENCE_MEDIUM, early: true},
	ruleUnauth:       {id: "unauthenticated-access", category: "broken-authentication", owasp: []string{api1}, severity: alert.Severity_SEVERITY_HIGH, confidence: alert.Confidence_CONFIDENCE_MEDIUM},
	ruleEndpointRate: {id: "endpoint-rate"},
	ruleEnumSlow:     {id: "enumeration", category: "object-enumeration", owasp: []string{api1, api6}, severity: alert.Severity_SEVERITY_HIGH, confidence: alert.Confidence_CONFIDENCE_MEDIUM},
}

// RuleIDs lists the rule ids the engine can raise, in a fixed order.
func RuleIDs() []string {
	var ids []string
	for r := range ruleEndpointRate {
		ids = append(ids, rules[r].id)
	}
	return ids
}
