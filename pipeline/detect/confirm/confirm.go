// Package confirm looks at the response of an exchange whose request carried
// an attack and says whether the response shows the attack worked: the
// targeted interpreter's output (file content, command output, cloud
// metadata, an evaluated template, reflected markup, an injected header) or
// its own error (a DBMS syntax error naming the DBMS, a template engine
// error, a failed include), a stack trace, a server error, or a web
// application firewall's block page.
//
// Input: the decoded exchange (x.Response with its decompressed body, as the
// decoders give it), the attack category of the alert and the request
// values that matched. Output: a Result (outcome, response evidence,
// confidence), or, through Apply, the same written onto the alert. Detectors
// of injection-like attacks call Apply after the request side matched; it
// keeps no state and allocates only when it finds something.
package confirm

import (
	"strconv"
	"strings"

	"github.com/apisensor/sensor/decoders"
	"github.com/apisensor/sensor/pipeline/alert"
	"github.com/apisensor/sensor/pipeline/detect"
)

// Config holds the settings of response confirmation.
type Config struct {
	// ScanBytes bounds how much of a response body is searched; the rest
	// of a longer body is not read.
	ScanBytes int `yaml:"scan_bytes" env:"SENSOR_CONFIRM_SCAN_BYTES"`
}

// DefaultScanBytes is the default Config.ScanBytes: error pages and leaked
// files show what matters in their first kilobytes.
const DefaultScanBytes = 64 << 10

// DefaultConfig returns the default settings.
func DefaultConfig() Config { return Config{ScanBytes: DefaultScanBytes} }

// WithDefaults returns c with zero fields set to their defaults.
func (c Config) WithDefaults() Config {
	if c.ScanBytes <= 0 {
		c.ScanBytes = DefaultScanBytes
	}
	return c
}

// Result is what the response shows about an attack.
type Result struct {
	// Outcome is ATTEMPTED unless the response shows success or a block.
	Outcome alert.Outcome
	// Evidence lists what in the response supports the outcome or the
	// confidence, at most maxEvidence entries, values bounded (not yet
	// redacted: Apply and detect.AddResponseEvidence redact).
	Evidence []*alert.Evidence
	// Confidence is the least confidence the response supports: HIGH for a
	// likely success, MEDIUM for a stack trace or a server error, zero
	// when it says nothing.
	Confidence alert.Confidence
	// Disclosure is set when the response discloses internals (a stack
	// trace, a database or template engine error): OWASP API8:2023,
	// "error messages include stack traces".
	Disclosure bool
}

// maxEvidence bounds Result.Evidence.
const maxEvidence = 4

// snippetBytes bounds the response text quoted in one evidence entry.
const snippetBytes = 160

// gRPC status codes that, like a 5xx, say the server failed on the request.
const (
	grpcUnknown  = 2
	grpcInternal = 13
)

// Evidence locations.
const (
	LocBody   = "response_body"
	LocHeader = "response_header"
	LocStatus = "response_status"
)

// Check looks at x's response for evidence that an attack of category
// (an alert category such as "sql-injection") carried by the request
// values payloads worked. At most scanBytes of the body are searched (the
// default when <= 0). An exchange without a response, or whose response
// says nothing, is ATTEMPTED.
func Check(x *decoders.Exchange, category string, payloads []string, scanBytes int) Result {
	res := Result{Outcome: alert.Outcome_OUTCOME_ATTEMPTED}
	resp := x.Response
	if resp == nil {
		return res
	}
	if scanBytes <= 0 {
		scanBytes = DefaultScanBytes
	}
	body := resp.Body
	if len(body) > scanBytes {
		body = body[:scanBytes]
	}
	if name, ok := blocked(resp, body); ok {
		res.Outcome = alert.Outcome_OUTCOME_BLOCKED
		res.add(&alert.Evidence{
			Location: LocStatus, Name: "status", Value: strconv.Itoa(resp.Status),
			Matched: "status " + strconv.Itoa(resp.Status) + " with a " + name + " block page", Rule: "waf-block",
		})
		return res
	}
	prof := profileOf(category)
	c := checker{x: x, resp: resp, body: body, payloads: payloads, res: res, prof: prof, generic: -1}
	if g := x.GRPC; g != nil && prof.classes != 0 {
		// A gRPC body is framed, maybe compressed, messages: the decoded
		// messages are read instead, and a non-OK grpc-status tells an
		// error from data as a 5xx does.
		failed := g.Status > 0
		budget := scanBytes
		for i := range g.Responses {
			m := g.Responses[i].Data
			if budget <= 0 {
				break
			}
			m = m[:min(len(m), budget)]
			budget -= len(m)
			c.scan(m, LocBody, "body", failed)
		}
		if g.StatusMessage != "" {
			// gRPC services report errors in grpc-message.
			c.scan([]byte(g.StatusMessage), LocHeader, "grpc-message", true)
		}
	} else if len(body) > 0 && prof.classes != 0 {
		c.signatures()
	}
	if len(body) > 0 {
		if prof.reflect {
			c.reflected()
		}
		if prof.sstiEval {
			c.evaluated()
		}
	}
	if prof.crlf {
		c.injectedHeaders()
	}
	if resp.Status >= 500 && resp.Status <= 599 {
		c.res.weak()
		c.res.add(&alert.Evidence{
			Location: LocStatus, Name: "status", Value: strconv.Itoa(resp.Status),
			Matched: "status " + strconv.Itoa(resp.Status) + " after payload", Rule: "server-error",
		})
	}
	if g := x.GRPC; g != nil && (g.Status == grpcUnknown || g.Status == grpcInternal) {
		c.res.weak()
		c.res.add(&alert.Evidence{
			Location: LocStatus, Name: "grpc-status", Value: strconv.Itoa(g.Status),
			Matched: "grpc-status " + strconv.Itoa(g.Status) + " after payload", Rule: "grpc-server-error",
		})
	}
	return c.res
}

// Apply runs Check for alert a (its category) and writes the result onto
// a: outcome, response evidence, confidence, and for a likely success the
// severity one step higher and the summary ending with "likely
// successful". API8:2023 joins the OWASP list when the response discloses
// internals.
func Apply(a *alert.Alert, x *decoders.Exchange, payloads []string, cfg Config) Result {
	res := Check(x, a.Category, payloads, cfg.WithDefaults().ScanBytes)
	for _, e := range res.Evidence {
		detect.AddResponseEvidence(a, e)
	}
	detect.RaiseConfidence(a, res.Confidence)
	if res.Disclosure {
		detect.AddOWASP(a, "API8:2023")
	}
	before := a.Outcome
	detect.SetOutcome(a, res.Outcome)
	if a.Outcome != before && len(res.Evidence) > 0 {
		switch a.Outcome {
		case alert.Outcome_OUTCOME_LIKELY_SUCCESSFUL:
			a.Summary += ": likely successful (" + res.Evidence[0].Matched + ")"
		case alert.Outcome_OUTCOME_BLOCKED:
			a.Summary += ": blocked (" + res.Evidence[0].Matched + ")"
		}
	}
	return res
}

// add appends e unless the result is full or holds the same rule, and
// reports whether it did.
func (r *Result) add(e *alert.Evidence) bool {
	if len(r.Evidence) >= maxEvidence {
		return false
	}
	for _, have := range r.Evidence {
		if have.Rule == e.Rule {
			return false
		}
	}
	r.Evidence = append(r.Evidence, e)
	return true
}

// strong records content evidence: a likely success.
func (r *Result) strong() {
	r.Outcome = alert.Outcome_OUTCOME_LIKELY_SUCCESSFUL
	r.Confidence = alert.Confidence_CONFIDENCE_HIGH
}

// weak records evidence that raises confidence but not the outcome.
func (r *Result) weak() {
	if r.Confidence < alert.Confidence_CONFIDENCE_MEDIUM {
		r.Confidence = alert.Confidence_CONFIDENCE_MEDIUM
	}
}

// profile says what to look for after an attack of one category.
type profile struct {
	classes  class
	reflect  bool // the payload reflected as markup (XSS)
	sstiEval bool // an arithmetic probe evaluated (SSTI)
	crlf     bool // an injected header in the response
}

// What confirms a command that ran (its output, its shell's errors, a
// file it read, a stack trace) and code that ran, whose deserializer may
// also say it was told to build a type (clsDeser).
const (
	clsRun  = clsCmdOutput | clsCmdError | clsFile | clsStack
	clsCode = clsRun | clsDeser
)

// profiles maps alert categories, of this sensor's detectors and the
// coreruleset's attack families, to what confirms them.
var profiles = map[string]profile{
	"sql-injection":           {classes: clsSQL | clsStack},
	"sqli":                    {classes: clsSQL | clsStack},
	"xss":                     {reflect: true},
	"cross-site-scripting":    {reflect: true},
	"os-command-injection":    {classes: clsRun},
	"command-injection":       {classes: clsRun},
	"rce":                     {classes: clsCode},
	"remote-code-execution":   {classes: clsCode},
	"code-injection":          {classes: clsCode},
	"php-injection":           {classes: clsCode},
	"java-injection":          {classes: clsCode},
	"nodejs-injection":        {classes: clsCode},
	"path-traversal":          {classes: clsFile | clsInclude | clsStack},
	"local-file-inclusion":    {classes: clsFile | clsInclude | clsStack},
	"lfi":                     {classes: clsFile | clsInclude | clsStack},
	"remote-file-inclusion":   {classes: clsFile | clsInclude | clsCmdOutput | clsStack},
	"rfi":                     {classes: clsFile | clsInclude | clsCmdOutput | clsStack},
	"ssrf":                    {classes: clsMetadata | clsFile | clsStack},
	"template-injection":      {classes: clsTemplate | clsCmdOutput | clsFile | clsStack, sstiEval: true},
	"ssti":                    {classes: clsTemplate | clsCmdOutput | clsFile | clsStack, sstiEval: true},
	"xxe":                     {classes: clsFile | clsMetadata | clsStack},
	"nosql-injection":         {classes: clsNoSQL | clsStack},
	"ldap-injection":          {classes: clsLDAP | clsStack},
	"jndi-injection":          {classes: clsStack},
	"crlf-injection":          {crlf: true},
	"http-response-splitting": {crlf: true},
	"mail-header-injection":   {classes: clsStack},
	"generic-injection":       {classes: clsCode | clsMetadata},
	"protocol-attack":         {classes: clsStack, crlf: true},
}

// defaultProfile serves categories without a profile: stack traces say
// the payload reached something that failed.
var defaultProfile = profile{classes: clsStack}

func profileOf(category string) profile {
	if p, ok := profiles[category]; ok {
		return p
	}
	if p, ok := profiles[strings.ToLower(category)]; ok {
		return p
	}
	return defaultProfile
}
