package tier1

import (
	"slices"
	"strings"
	"testing"

	"github.com/apisensor/sensor/decoders"
	"github.com/apisensor/sensor/pipeline/alert"
)

// TestConfirm runs the detectors over exchanges with responses: the
// response decides each alert's outcome, and every evidence entry names
// its rule.
func TestConfirm(t *testing.T) {
	tests := []struct {
		name     string
		param    decoders.Param
		status   int
		ct, body string
		headers  []decoders.Header
		rule     string
		outcome  alert.Outcome
		sev      alert.Severity
		respRule string // first response evidence rule
		owasp    string
	}{
		{"traversal reads passwd", param(lQ, "file", "../../../etc/passwd"), 200, "text/plain", "root:x:0:0:root:/root:/bin/bash\nbin:x:1:1::/:/usr/sbin/nologin\n", nil,
			"path-traversal", alert.Outcome_OUTCOME_LIKELY_SUCCESSFUL, alert.Severity_SEVERITY_CRITICAL, "passwd", "A03:2021"},
		{"traversal, 404", param(lQ, "file", "../../../etc/passwd"), 404, "application/json", `{"error":"not found"}`, nil,
			"path-traversal", alert.Outcome_OUTCOME_ATTEMPTED, alert.Severity_SEVERITY_HIGH, "", "A03:2021"},
		{"cmdi runs id", param(lQ, "host", "127.0.0.1;id"), 200, "text/html", "<pre>PING 127.0.0.1\nuid=33(www-data) gid=33(www-data) groups=33(www-data)</pre>", nil,
			"cmdi", alert.Outcome_OUTCOME_LIKELY_SUCCESSFUL, alert.Severity_SEVERITY_CRITICAL, "id-output", "A03:2021"},
		{"ssrf reads metadata", param(lJ, "url", "http://169.254.169.254/latest/meta-data/"), 200, "text/plain", "ami-id\nami-launch-index\ninstance-id\n", nil,
			"ssrf-metadata", alert.Outcome_OUTCOME_LIKELY_SUCCESSFUL, alert.Severity_SEVERITY_CRITICAL, "aws-ami", "A10:2021,API7:2023"},
		{"ssti evaluated", param(lQ, "name", "{{7*7}}"), 200, "application/json", `{"hello":"49"}`, nil,
			"ssti", alert.Outcome_OUTCOME_LIKELY_SUCCESSFUL, alert.Severity_SEVERITY_CRITICAL, "ssti-evaluated", "A03:2021"},
		{"ssti engine error", param(lQ, "name", "{{7*'7'}}"), 500, "text/plain", "jinja2.exceptions.UndefinedError: 'x' is undefined", nil,
			"ssti", alert.Outcome_OUTCOME_LIKELY_SUCCESSFUL, alert.Severity_SEVERITY_CRITICAL, "jinja2", "A03:2021,API8:2023"},
		{"nosql stack trace", param(lJ, "user.$where", "sleep(1000)"), 500, "text/plain", "Traceback (most recent call last):\n  File \"/app/db.py\", line 9", nil,
			"nosql-js", alert.Outcome_OUTCOME_ATTEMPTED, alert.Severity_SEVERITY_HIGH, "python-trace", "A03:2021,API8:2023"},
		{"crlf sets a cookie", param(lQ, "next", "/home%0d%0aSet-Cookie:%20session=attacker"), 302, "", "", []decoders.Header{{Name: "Location", Value: "/home"}, {Name: "Set-Cookie", Value: "session=attacker"}},
			"crlf-injection", alert.Outcome_OUTCOME_LIKELY_SUCCESSFUL, alert.Severity_SEVERITY_HIGH, "crlf-header", "A03:2021"},
		{"xxe reads a file", param(decoders.LocXML, "!DOCTYPE", `<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>`), 200, "application/xml", "<r>root:x:0:0:root:/root:/bin/bash</r>", nil,
			"xxe-external-entity", alert.Outcome_OUTCOME_LIKELY_SUCCESSFUL, alert.Severity_SEVERITY_CRITICAL, "passwd", "A05:2021,API8:2023"},
		{"blocked by a WAF", param(lQ, "host", "127.0.0.1;id"), 403, "text/html", "<title>Attention Required! | Cloudflare</title>", nil,
			"cmdi", alert.Outcome_OUTCOME_BLOCKED, alert.Severity_SEVERITY_HIGH, "waf-block", "A03:2021"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			x := exchange(tt.param)
			x.Response = &decoders.Message{Status: tt.status, Body: []byte(tt.body), Headers: tt.headers}
			if tt.ct != "" {
				x.Response.Headers = append(x.Response.Headers, decoders.Header{Name: "Content-Type", Value: tt.ct})
			}
			var a *alert.Alert
			for _, got := range inspectAll(allDetectors(t), x) {
				if got.RuleId == tt.rule {
					a = got
				}
			}
			if a == nil {
				t.Fatalf("no %s alert", tt.rule)
			}
			if a.Outcome != tt.outcome || a.Severity != tt.sev || strings.Join(a.Owasp, ",") != tt.owasp {
				t.Errorf("outcome %v severity %v owasp %v, want %v %v %v", a.Outcome, a.Severity, a.Owasp, tt.outcome, tt.sev, tt.owasp)
			}
			respRule := ""
			if len(a.ResponseEvidence) > 0 {
				respRule = a.ResponseEvidence[0].Rule
			}
			if respRule != tt.respRule {
				t.Errorf("response evidence %v, want rule %q", a.ResponseEvidence, tt.respRule)
			}
			if (tt.outcome == alert.Outcome_OUTCOME_LIKELY_SUCCESSFUL) != strings.Contains(a.Summary, "likely successful") {
				t.Errorf("summary %q", a.Summary)
			}
			for _, e := range a.Evidence {
				if e.Rule != tt.rule || e.Location == "" || e.Matched == "" {
					t.Errorf("evidence %v", e)
				}
			}
		})
	}
}

// TestGraphQLNoOutcome: abuse of GraphQL limits is not an attempt with an
// outcome.
func TestGraphQLNoOutcome(t *testing.T) {
	q := "query { __schema { types { name } } }"
	x := exchange(param(lJ, "query", q))
	x.Response = &decoders.Message{Status: 500, Body: []byte("Traceback (most recent call last):")}
	as := inspectAll(allDetectors(t), x)
	i := slices.IndexFunc(as, func(a *alert.Alert) bool { return a.RuleId == "graphql-introspection" })
	if i < 0 {
		t.Fatalf("no introspection alert:%s", describe(as))
	}
	if a := as[i]; a.Outcome != alert.Outcome_OUTCOME_UNSPECIFIED || len(a.ResponseEvidence) != 0 {
		t.Errorf("graphql alert got an outcome: %v", a)
	}
}
